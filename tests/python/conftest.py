from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared, read in place; tests that need it skip (saying why) where it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data absent: {SHARED}")
    return SHARED
