"""Measurement runs: K repetitions of one compiled model on one target, recorded per op in the results store.

Resumable: the run is keyed by (model hash, board + parameter version, target, strategy, firmware hash); each
completed repetition is committed with all its per-op rows in one transaction, so a run killed half-way
leaves whole repetitions only, and the same call again measures just the missing ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from tinyops.hil._elf import FirmwareImage
from tinyops.hil._errors import TargetError
from tinyops.hil._results import RunResults
from tinyops.hil._store import HilMeasurement, HilOpMeasurement, HilRun
from tinyops.hil._target import Target
from tinyops.store import Store

if TYPE_CHECKING:
    from tinyops.latency_model._calibration import OpSample


@dataclass(frozen=True)
class MeasurementJob:
    """What to measure: a firmware (+ model blob) and what the host knows about its ops, in execution order."""

    model: str
    board: str
    board_version: int
    strategy: str
    firmware: FirmwareImage
    op_names: list[str]
    kernel_kinds: list[str]
    blob: bytes | None = None
    plan_json: str = "{}"
    predicted: list[float | None] | None = None  # per op, in the unit the target measures
    op_features: list[dict[str, float]] | None = None  # per op, the cost model's {term: work} (kernel_cost.hpp)

    @property
    def model_sha256(self) -> str:
        return hashlib.sha256(self.blob if self.blob is not None else self.model.encode()).hexdigest()


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    unit: str
    measured_now: int  # repetitions measured by this call
    repetitions: int  # completed repetitions in the store
    per_op_median: list[int]  # over the completed repetitions


def _find_or_create_run(store: Store, job: MeasurementJob, target: Target, unit: str, repetitions: int) -> int:
    key = dict(
        model_sha256=job.model_sha256,
        board=job.board,
        board_version=job.board_version,
        target=target.kind,
        strategy=job.strategy,
        firmware_sha256=job.firmware.sha256,
    )
    with store.session() as session:
        run = session.scalars(sa.select(HilRun).filter_by(**key)).one_or_none()
        if run is None:
            run = HilRun(model=job.model, unit=unit, plan_json=job.plan_json, repetitions=repetitions, **key)
            session.add(run)
            session.flush()
        run.repetitions = max(run.repetitions, repetitions)
        return run.id


def _completed(store: Store, run_id: int) -> set[int]:
    with store.session() as session:
        return set(session.scalars(sa.select(HilMeasurement.repetition).filter_by(run_id=run_id, ok=True)))


def _record(
    store: Store,
    run_id: int,
    repetition: int,
    job: MeasurementJob,
    scale: int,
    results: RunResults | None,
    error: str | None,
) -> None:
    """One transaction: the repetition with all its ops, or the failure with none."""
    with store.session() as session:
        session.execute(sa.delete(HilMeasurement).filter_by(run_id=run_id, repetition=repetition, ok=False))
        row = HilMeasurement(
            run_id=run_id,
            repetition=repetition,
            ok=results is not None,
            error=error,
            total=results.total_cycles * scale if results else None,
        )
        if results is not None:
            for index, op in enumerate(results.ops):
                row.ops.append(
                    HilOpMeasurement(
                        op_index=index,
                        op_name=job.op_names[index],
                        kernel_kind=job.kernel_kinds[index],
                        measured=op.cycles * scale,
                        dma_wait=op.dma_wait_cycles * scale,
                        parts=op.parts,
                        dma_bytes=op.dma_bytes,
                        predicted=job.predicted[index] if job.predicted else None,
                        features_json=json.dumps(job.op_features[index] if job.op_features else {}),
                    )
                )
        session.add(row)


def measure(
    store: Store,
    target: Target,
    job: MeasurementJob,
    repetitions: int,
    on_repetition: Callable[[int, RunResults], None] | None = None,
) -> RunSummary:
    """Flash `job` and measure the repetitions the store does not hold yet.

    A target failure is recorded against its repetition (message, no op rows) and re-raised.
    """
    if repetitions < 1:
        raise ValueError(f"repetitions: expected at least 1, got {repetitions}")
    for name in ("kernel_kinds", "predicted", "op_features"):
        values = getattr(job, name)
        if values is not None and len(values) != len(job.op_names):
            raise ValueError(f"{name}: expected one entry per op ({len(job.op_names)}), got {len(values)}")
    unit, scale = target.measured_unit()
    run_id = _find_or_create_run(store, job, target, unit, repetitions)
    missing = [rep for rep in range(repetitions) if rep not in _completed(store, run_id)]
    if missing:
        target.flash(job.firmware, job.blob)
    for repetition in missing:
        try:
            results = target.run()
            if len(results.ops) != len(job.op_names):
                raise TargetError(
                    f"{target.kind}: the firmware recorded {len(results.ops)} ops, the plan has {len(job.op_names)}"
                )
        except TargetError as exc:
            _record(store, run_id, repetition, job, scale, None, str(exc))
            raise
        _record(store, run_id, repetition, job, scale, results, None)
        if on_repetition is not None:
            on_repetition(repetition, results)
    return summarize(store, run_id, measured_now=len(missing))


def summarize(store: Store, run_id: int, measured_now: int = 0) -> RunSummary:
    with store.session() as session:
        run = session.get(HilRun, run_id)
        if run is None:
            raise ValueError(f"run {run_id}: not in the store")
        rows = session.execute(
            sa.select(HilOpMeasurement.op_index, HilOpMeasurement.measured)
            .join(HilMeasurement)
            .filter(HilMeasurement.run_id == run_id, HilMeasurement.ok.is_(True))
        ).all()
        completed = len(_completed(store, run_id))
        unit = run.unit
    by_op: dict[int, list[int]] = {}
    for index, value in rows:
        by_op.setdefault(index, []).append(value)
    medians = [sorted(v)[len(v) // 2] for _, v in sorted(by_op.items())]
    return RunSummary(run_id=run_id, unit=unit, measured_now=measured_now, repetitions=completed, per_op_median=medians)


def calibration_samples(store: Store, board: str, board_version: int, target: str) -> list[OpSample]:
    """Per-op medians over the completed repetitions of every run on (board, version, target), for the ops the
    cost model knows (those recorded with features). A run named CASE@PLACEMENT belongs to benchmark case CASE."""
    from tinyops.latency_model._calibration import OpSample, kernel_kinds

    kinds = set(kernel_kinds())
    with store.session() as session:
        rows = session.execute(
            sa.select(
                HilRun.id,
                HilRun.model,
                HilOpMeasurement.op_index,
                HilOpMeasurement.kernel_kind,
                HilOpMeasurement.features_json,
                HilOpMeasurement.dma_bytes,
                HilOpMeasurement.measured,
            )
            .join(HilMeasurement, HilMeasurement.run_id == HilRun.id)
            .join(HilOpMeasurement, HilOpMeasurement.measurement_id == HilMeasurement.id)
            .filter(
                HilRun.board == board,
                HilRun.board_version == board_version,
                HilRun.target == target,
                HilMeasurement.ok.is_(True),
            )
        ).all()
    grouped: dict[tuple[int, int], list] = {}
    for row in rows:
        grouped.setdefault((row.id, row.op_index), []).append(row)
    samples = []
    for (_run, _op), reps in sorted(grouped.items()):
        first = reps[0]
        try:
            features = json.loads(first.features_json or "{}")
            if not isinstance(features, dict) or not all(isinstance(v, (int, float)) for v in features.values()):
                raise ValueError("expected an object of numbers")
        except ValueError as exc:
            raise ValueError(
                f"store {store.url}: run {first.id} ({first.model}) op {first.op_index}: features_json "
                f"is not the cost model's {{term: work}} ({exc})"
            ) from None
        if first.kernel_kind not in kinds or not features:
            continue
        measured = sorted(r.measured for r in reps)[len(reps) // 2]
        samples.append(
            OpSample(
                kernel_kind=first.kernel_kind,
                features=features,
                copied_bytes=first.dma_bytes,
                measured=measured,
                case=first.model.split("@")[0],
                network=first.model,
            )
        )
    return samples


def measured_versions(store: Store, board: str) -> list[tuple[int, str, int]]:
    """(board version, target, runs) of the completed runs of `board` in the store: what a calibration could use."""
    with store.session() as session:
        rows = session.execute(
            sa.select(HilRun.board_version, HilRun.target, sa.func.count(sa.distinct(HilRun.id)))
            .join(HilMeasurement, HilMeasurement.run_id == HilRun.id)
            .filter(HilRun.board == board, HilMeasurement.ok.is_(True))
            .group_by(HilRun.board_version, HilRun.target)
            .order_by(HilRun.board_version, HilRun.target)
        ).all()
    return [(int(v), str(t), int(n)) for v, t, n in rows]
