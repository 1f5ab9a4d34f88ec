from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FIXTURE_DIR = Path(__file__).parent / "fixture_firmware"


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
    subprocess.run([gxx, "-mcpu=cortex-m7", "-mthumb", "-O2", "-g", "-ffreestanding", "-fno-exceptions",
                    "-fno-rtti", "-nostdlib", "-T", str(FIXTURE_DIR / "fixture.ld"), str(FIXTURE_DIR / "fixture.cpp"),
                    "-o", str(out)], check=True)
    return out
