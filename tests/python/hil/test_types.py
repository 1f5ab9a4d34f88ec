"""The HIL package (targets, probe plugin, measurement, calibration) type-checks with mypy."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_hil_package_type_checks() -> None:
    api = pytest.importorskip("mypy.api")
    paths = [str(REPO / "hil"), str(REPO / "latency_model" / "_calibration.py"), str(REPO / "tinyops" / "cli" / "_hil.py")]
    out, err, status = api.run(["--ignore-missing-imports", "--follow-imports=silent", "--no-error-summary",
                                "--cache-dir", str(REPO / "build" / "mypy-cache"), *paths])
    assert status == 0, out + err
