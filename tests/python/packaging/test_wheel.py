"""The built wheel, installed into a fresh virtual environment, works without the source checkout: `tinyops
simulate`, compile + the firmware runtime on the host, and the QEMU runner built from the firmware sources the
wheel carries into the user cache (never beside the installed package).

The wheel is built once per session from the editable install's build directory (build/py: CMake finds it up
to date, so no compile). The fresh venv gets only the wheel (`pip install --no-deps`); the third-party packages
come from the project's .venv through a .pth line (what --system-site-packages does for a system Python). That
line is not a site directory, so the editable install's finder there stays inactive; the test checks that
tinyops is imported from the fresh venv. Everything runs with the working directory outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, (
        f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )
    return done.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", "--no-deps", "-w", str(out), str(REPO)],
        cwd=REPO,
        timeout=900,
    )
    (built,) = out.glob("tinyops-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("installed")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)], cwd=root)
    site = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).strip()
    )
    (site / "_tinyops_project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = root / "work"
    work.mkdir()
    return {"python": python, "bin": env_dir / "bin", "site": site, "work": work, "cache": root / "cache"}


def _env(installed: dict[str, Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "TINYOPS_FIRMWARE_BUILD", "TINYOPS_LOG")}
    env["TINYOPS_CACHE_DIR"] = str(installed["cache"])
    env["PATH"] = f"{installed['bin']}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_wheel_carries_the_package_data(wheel: Path) -> None:
    import zipfile

    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "tinyops/__init__.py",
        "tinyops/latency_model/boards/stm32f746g-disco.yaml",
        "tinyops/firmware/ports/qemu-mps2-an500/CMakeLists.txt",
        "tinyops/firmware/src/executor.cpp",
    ):
        assert expected in names, expected
    assert any(n.startswith("tinyops/_core.") for n in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "tinyops.store_tables" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_package_is_imported_from_the_venv(installed: dict[str, Path]) -> None:
    code = (
        "import tinyops, tinyops._core, tinyops._firmware as f; "
        "print(tinyops.__file__); print(tinyops._core.__file__); print(f.source_checkout()); print(f.build_dir('x'))"
    )
    lines = _run([str(installed["python"]), "-c", code], cwd=installed["work"], env=_env(installed)).splitlines()
    assert all(Path(p).is_relative_to(installed["site"]) for p in lines[:2]), lines
    assert lines[2] == "None"
    assert Path(lines[3]).is_relative_to(installed["cache"]), lines[3]


def test_installed_tinyops_simulates(installed: dict[str, Path]) -> None:
    out = _run(
        [str(installed["bin"] / "tinyops"), "simulate", "mbv3-w0.55-r128", "--strategy", "tinyops", "--json"],
        cwd=installed["work"],
        env=_env(installed),
    )
    doc = json.loads(out)
    assert doc["fits"] and doc["latency_ms"] > 0 and doc["strategy"] == "tinyops"


# In the fresh venv: a small .tflite (written by the tests' builder),
# compiled for the F746 under the tinyops strategy, run by the firmware runtime on the host and, where QEMU is
# installed, by the QEMU runner built into the user cache; both bit-exact with the numpy reference.
_RUNTIME_SCRIPT = """
import json, sys
from pathlib import Path
import numpy as np
from tinyops.compiler import HostRuntime, compile_model, evaluate, import_tflite
from tinyops import _firmware

model = import_tflite(Path(sys.argv[1]))
compiled = compile_model(model, "stm32f746g-disco", "tinyops")
images = np.random.default_rng(5).integers(-128, 128, size=(4, *model.tensors[model.input].shape), dtype=np.int8)
expected = evaluate(model, images)
got = HostRuntime(compiled.blob).run(images)
assert np.array_equal(got.reshape(expected.shape), expected), "host runtime differs from the reference"
report = {"host": int(got.size)}
if sys.argv[2] == "qemu":
    from tinyops.compiler._qemu import run_blob_in_qemu, runner_elf
    elf = runner_elf("qemu-mps2-an500")
    run = run_blob_in_qemu(compiled.blob, images[0], elf=elf)
    assert np.array_equal(run.output, expected[0].reshape(-1)), "the QEMU runner differs from the reference"
    report["elf"] = str(elf)
print(json.dumps(report))
"""


def _plannable_model() -> bytes:
    """16x16x4 input: conv 3x3 SAME relu -> depthwise 3x3 SAME stride 2 -> conv 1x1 relu6 -> average pool 8x8
    (global) -> reshape -> fully connected 10 (what the core's planners plan; the tests' .tflite builder writes it)."""
    sys.path.insert(0, str(REPO / "tests" / "python" / "compiler"))
    try:
        import numpy as np
        import tflite
        from tflite_builder import (
            Builder,
            conv_options,
            depthwise_options,
            fc_options,
            pool_options,
            random_constants,
            reshape_options,
        )
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(11)
    bld = Builder()
    op = tflite.BuiltinOperator
    weights, bias = random_constants(bld, rng)
    x = bld.activation((1, 16, 16, 4), 0.05, -3, "input")
    bld.input = x
    c1 = bld.activation((1, 16, 16, 8), 0.04, -128)
    bld.op(op.CONV_2D, [x, weights((8, 3, 3, 4), 8, 0), bias(8)], c1, conv_options(1, "SAME", "relu"))
    d1 = bld.activation((1, 8, 8, 8), 0.06, 5)
    bld.op(
        op.DEPTHWISE_CONV_2D, [c1, weights((1, 3, 3, 8), 8, 3), bias(8)], d1, depthwise_options(2, "SAME", "none", 1)
    )
    c2 = bld.activation((1, 8, 8, 16), 0.07, -128)
    bld.op(op.CONV_2D, [d1, weights((16, 1, 1, 8), 16, 0), bias(16)], c2, conv_options(1, "VALID", "relu6"))
    a1 = bld.activation((1, 1, 1, 16), 0.07, -128)
    bld.op(op.AVERAGE_POOL_2D, [c2], a1, pool_options(8, 8, "VALID"))
    r1 = bld.activation((1, 16), 0.07, -128)
    bld.op(op.RESHAPE, [a1], r1, reshape_options([1, 16]))
    y = bld.activation((1, 10), 0.2, 3, "logits")
    fc_w = bld.constant(rng.integers(-127, 128, size=(10, 16), dtype=np.int8), [0.01], 0)
    bld.op(op.FULLY_CONNECTED, [r1, fc_w, bias(10)], y, fc_options("none"))
    bld.output = y
    return bld.finish()


def test_installed_compiler_and_runtimes_run_a_model(installed: dict[str, Path]) -> None:
    model = installed["work"] / "small.tflite"
    model.write_bytes(_plannable_model())
    qemu = shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-g++")
    out = _run(
        [str(installed["python"]), "-c", _RUNTIME_SCRIPT, str(model), "qemu" if qemu else "host"],
        cwd=installed["work"],
        env=_env(installed),
        timeout=600,
    )
    report = json.loads(out.strip().splitlines()[-1])
    assert report["host"] > 0
    if qemu:
        elf = Path(report["elf"])
        assert elf.is_relative_to(installed["cache"]) and elf.is_file(), elf
