"""`make test` enforces the style: its lint targets fail on a deliberately bad file in a temporary copy of the
tree (and pass on the copy without it), for every check: ruff's lint, ruff's format, clang-format over the
host core and the firmware, and mypy over the packages."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
TOOLS = {"RUFF": VENV_BIN / "ruff", "PY": VENV_BIN / "python", "CLANG_FORMAT": shutil.which("clang-format")}


def _tracked_files() -> list[str]:
    done = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [name for name in done.stdout.decode().split("\0") if name and (REPO / name).is_file()]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [name for name, tool in TOOLS.items() if tool is None or not Path(tool).exists()]
    if missing:
        pytest.fail(f"style tools missing ({', '.join(missing)}): make setup installs them")
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the tree to copy is unknown")
    copy = tmp_path_factory.mktemp("tree")
    for name in _tracked_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    if (REPO / "build" / "mypy-cache").is_dir():  # what `make lint` just wrote: mypy rechecks changed files only
        shutil.copytree(REPO / "build" / "mypy-cache", copy / "build" / "mypy-cache")
    return copy


def _make(tree: Path, target: str) -> subprocess.CompletedProcess[str]:
    overrides = [f"{name}={tool}" for name, tool in TOOLS.items()]
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(tree), target, *overrides],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def bad_file(tree: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    relative, text = request.param
    path = tree / relative
    path.write_text(text)
    yield path
    path.unlink()


def test_the_copy_passes_every_check(tree: Path) -> None:
    for target in ("lint-style", "lint-types"):
        done = _make(tree, target)
        assert done.returncode == 0, (
            f"make {target} fails on the unchanged tree:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


@pytest.mark.parametrize(
    ("bad_file", "target"),
    [
        (("tinyops/_bad_lint.py", "import os\n"), "lint-style"),  # ruff: unused import
        (("tinyops/_bad_format.py", "x = {  'a':1}\n"), "lint-style"),  # ruff format
        (("cpp/src/bad_format.cpp", "int  f( ){return 1;}\n"), "lint-style"),  # clang-format, host core
        (("firmware/src/bad_format.cpp", "int  g( ){return 2;}\n"), "lint-style"),  # clang-format, firmware
        (("latency_model/_bad_types.py", 'count: int = "three"\n'), "lint-types"),  # mypy
    ],
    indirect=["bad_file"],
    ids=["ruff-lint", "ruff-format", "clang-format-core", "clang-format-firmware", "mypy"],
)
def test_a_bad_file_fails_the_check(tree: Path, bad_file: Path, target: str) -> None:
    done = _make(tree, target)
    assert done.returncode != 0, f"make {target} passed with {bad_file.name} in the tree"
    assert bad_file.name in done.stdout + done.stderr, done.stdout[-3000:] + done.stderr[-3000:]
