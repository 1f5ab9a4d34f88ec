"""Helpers of the search tests: a tiny ImageFolder tree writer and the `tinyops` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinyops.latency_model

needs_core = pytest.mark.skipif(
    not hasattr(tinyops.latency_model, "simulate"),
    reason="the core's latency API (tinyops.latency_model.simulate) is not in this build",
)

# Settings that make a trial take about a second: narrow networks, 32x32 inputs, a few steps on a tiny tree.
# The design space the tests search: `external` is planned by every build of the core that has `simulate`.
SPACE = "external"
TINY_SEARCH = ["--space", SPACE, "--steps", "6", "--train-images", "96", "--resolutions", "32", "--widths", "0.25"]


def write_tree(
    root: Path, classes: int = 3, per_class: int = 12, size: int | tuple[int, int] = 16, splits: bool = True
) -> Path:
    """An ImageFolder tree of PNGs whose classes differ in brightness (learnable in a few steps): with
    `splits`, root/train/<class> and root/val/<class>; else root/<class>."""
    from PIL import Image

    w, h = (size, size) if isinstance(size, int) else size
    rng = np.random.default_rng(0)
    parts = (("train", per_class), ("val", max(1, per_class // 2))) if splits else (("", per_class),)
    for split, n in parts:
        for c in range(classes):
            d = root / split / f"class_{c}"
            d.mkdir(parents=True)
            for i in range(n):
                pixels = rng.integers(0, 50, size=(h, w, 3), dtype=np.uint8) + np.uint8(80 * c)
                Image.fromarray(pixels).save(d / f"{i}.png")
    return root


def cli(args: list[str], cwd: Path, **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    """`tinyops ARGS` in a subprocess (wide console so that messages are never wrapped)."""
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-c", "from tinyops.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


def start_cli(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.Popen(
        [sys.executable, "-c", "from tinyops.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
