"""The version is written once, in pyproject.toml; the package reads it from its installed metadata."""

from __future__ import annotations

import tomllib
from pathlib import Path

import tinyops


def test_version_comes_from_pyproject() -> None:
    with open(Path(__file__).resolve().parents[2] / "pyproject.toml", "rb") as f:
        assert tinyops.__version__ == tomllib.load(f)["project"]["version"]
