"""Measurement runs in the store: per-op rows, recorded failures, and a run killed half-way then resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tinyops.hil import FirmwareImage, QemuTarget, TargetTimeout
from tinyops.hil._measure import MeasurementJob, measure
from tinyops.hil._store import HilMeasurement, HilOpMeasurement, HilRun
from tinyops.store import open_store


def _job(elf: Path) -> MeasurementJob:
    return MeasurementJob(
        model="fixture",
        board="qemu-mps2-an500",
        board_version=1,
        strategy="internal",
        firmware=FirmwareImage(elf),
        op_names=[f"op{i}" for i in range(5)],
        kernel_kinds=["loop"] * 5,
        predicted=[12000.0 * (i + 1) for i in range(5)],
    )


def test_measure_stores_instruction_counts_per_op(tmp_path: Path, fixture_elf: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'hil.db'}")
    with QemuTarget(timeout_s=20) as target:
        summary = measure(store, target, _job(fixture_elf), repetitions=3)
    assert summary.unit == "instructions" and summary.repetitions == 3 and summary.measured_now == 3
    # 12000*(k+1) instructions per op, read from a 40-instruction tick: exact to one tick.
    assert all(abs(m - 12000 * (k + 1)) <= 40 for k, m in enumerate(summary.per_op_median))
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(HilOpMeasurement)) == 15
    with QemuTarget(timeout_s=20) as target:  # nothing left to measure: the same run is found, not re-measured
        again = measure(store, target, _job(fixture_elf), repetitions=3)
    assert again.run_id == summary.run_id and again.measured_now == 0


def test_failed_repetition_is_recorded_without_op_rows(tmp_path: Path, fixture_elf: Path, set_fixture_mode) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'hil.db'}")
    job = _job(fixture_elf)
    with QemuTarget(timeout_s=1.0) as target:
        target.flash(job.firmware)
        set_fixture_mode(target, job.firmware, "hang")  # at op 2
        target.flash = lambda firmware, blob=None: None  # keep the hang mode written above  # type: ignore[method-assign]
        with pytest.raises(TargetTimeout):
            measure(store, target, job, repetitions=2)
    with store.session() as session:
        (failure,) = session.scalars(sa.select(HilMeasurement)).all()
        assert not failure.ok and "did not finish within 1.0 s" in (failure.error or "")
        assert session.scalar(sa.select(sa.func.count()).select_from(HilOpMeasurement)) == 0
    with QemuTarget(timeout_s=20) as target:  # the re-run replaces the failure and completes
        summary = measure(store, target, job, repetitions=2)
    assert summary.repetitions == 2 and summary.measured_now == 2


_CHILD = """
import sys
from tinyops.hil import QemuTarget
from tinyops.hil._measure import measure
from tinyops.store import open_store
sys.path.insert(0, {test_dir!r})
from test_measure import _job
with QemuTarget(timeout_s=20) as target:
    measure(open_store({url!r}), target, _job(__import__("pathlib").Path({elf!r})), repetitions={reps})
"""


def test_killed_run_leaves_whole_repetitions_and_resumes(tmp_path: Path, fixture_elf: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hil.db'}"
    store = open_store(url)
    reps = 80
    code = _CHILD.format(test_dir=str(Path(__file__).parent), url=url, elf=str(fixture_elf), reps=reps)
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            with store.session() as session:
                done = session.scalar(sa.select(sa.func.count()).select_from(HilMeasurement))
            if done >= 5:
                break
            assert child.poll() is None, "the measuring process ended before it could be killed"
            time.sleep(0.01)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the child and its QEMU
        child.wait()
    with store.session() as session:
        kept = session.scalars(sa.select(HilMeasurement)).all()
        assert 5 <= len(kept) < reps
        assert all(m.ok and len(m.ops) == 5 for m in kept)  # whole repetitions only
        kept_ids = {m.id for m in kept}
    with QemuTarget(timeout_s=20) as target:
        summary = measure(store, target, _job(fixture_elf), repetitions=reps)
    assert summary.repetitions == reps and summary.measured_now == reps - len(kept_ids)
    with store.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(HilRun)) == 1
        ids = set(session.scalars(sa.select(HilMeasurement.id)))
        assert kept_ids <= ids and len(ids) == reps
        assert session.scalar(sa.select(sa.func.count()).select_from(HilOpMeasurement)) == 5 * reps
