from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURE_DIR = Path(__file__).parent / "fixture_firmware"
# What the fixture firmware does when run (its `fixture_mode` variable).
FIXTURE_MODES = {"finish": 0, "hang": 1, "fault": 2, "error_status": 3}
R064 = Path("models/tflite/proxyless-w0.30-r064_int8.tflite")


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (scripts/setup.sh installs it)")
    return path


@pytest.fixture(scope="session")
def fixture_elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fault-injection firmware, cross-built for mps2-an500 (finish / hang / fault / error on request)."""
    gxx = _need("arm-none-eabi-g++")
    _need("qemu-system-arm")
    out = tmp_path_factory.mktemp("fixture") / "fixture.elf"
    subprocess.run(
        [
            gxx,
            "-mcpu=cortex-m7",
            "-mthumb",
            "-O2",
            "-g",
            "-ffreestanding",
            "-fno-exceptions",
            "-fno-rtti",
            "-nostdlib",
            "-T",
            str(FIXTURE_DIR / "fixture.ld"),
            str(FIXTURE_DIR / "fixture.cpp"),
            "-o",
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture
def set_fixture_mode():  # type: ignore[no-untyped-def]
    """set_fixture_mode(target, firmware, "hang"): what the fixture firmware does on its next run."""

    def set_mode(target, firmware, mode: str) -> None:  # type: ignore[no-untyped-def]
        address, _ = firmware.symbol("fixture_mode")
        target._write_memory(address, FIXTURE_MODES[mode].to_bytes(4, "little"))

    return set_mode


@pytest.fixture(scope="session")
def r064_path() -> Path:
    """The released ImageNet model, read in place from ../shared; skip (saying why) where it is absent."""
    repo = Path(__file__).resolve().parents[3]
    for shared in (repo.parent / "shared", repo.parent.parent / "shared"):  # beside the clone or a worktree
        if (shared / R064).is_file():
            return shared / R064
    pytest.skip(f"shared model absent: ../shared/{R064}")


@pytest.fixture(scope="session")
def r064_internal_blob(r064_path: Path) -> bytes:
    """r064 compiled for qemu-mps2-an500 under `internal`: a blob and its flash image (the weights)."""
    from tinyops import _core
    from tinyops.compiler import compile_model

    if "internal" not in _core.strategies():
        pytest.skip("tinyops._core has no internal planner in this build")
    return compile_model(r064_path, "qemu-mps2-an500", "internal").blob
