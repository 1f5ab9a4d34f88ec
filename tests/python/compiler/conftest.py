from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

R064 = "models/tflite/proxyless-w0.30-r064_int8.tflite"


@pytest.fixture(scope="session")
def r064_path() -> Path:
    """The released ImageNet model, read in place from ../shared; skip (saying why) where it is absent."""
    repo = Path(__file__).resolve().parents[3]
    # ../shared beside the clone (CI, /work/main); a git worktree one level further down sees it at ../../shared.
    candidates = [repo.parent / "shared" / R064, repo.parent.parent / "shared" / R064]
    path = next((p for p in candidates if p.is_file()), candidates[0])
    if not path.is_file():
        pytest.skip(f"shared model absent: {path}")
    return path


@pytest.fixture(scope="session")
def r064_model(r064_path: Path):
    from tinyops.compiler import import_tflite

    return import_tflite(r064_path)


@pytest.fixture(scope="session")
def r064_inputs() -> np.ndarray:
    return np.random.default_rng(2022).integers(-128, 128, size=(6, 64, 64, 3), dtype=np.int8)
