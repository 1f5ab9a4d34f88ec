"""The firmware kernel tests' vectors (tests/firmware/data/op_vectors.hpp) are what the numpy reference gives
today: a change to the reference arithmetic must regenerate them (make_op_vectors.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "tests/firmware/data/make_op_vectors.py"


def test_firmware_op_vectors_are_current() -> None:
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
