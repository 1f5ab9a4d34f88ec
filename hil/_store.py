"""The HIL tables of the results store: measurement runs, their repetitions with per-op counts, calibrations.

A repetition and its per-op rows are written in one transaction, so a killed run leaves only whole
repetitions behind, and a re-run of the same (model, board version, target, strategy, firmware) continues
where it stopped.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tinyops.store import Base


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class HilRun(Base):
    """One measurement campaign: a compiled model on one target, repeated `repetitions` times."""

    __tablename__ = "tinyops_hil_runs"
    __table_args__ = (
        sa.UniqueConstraint(
            "model_sha256", "board", "board_version", "target", "strategy", "firmware_sha256", name="uq_tinyops_hil_run"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(sa.String(200))
    model_sha256: Mapped[str] = mapped_column(sa.String(64))
    board: Mapped[str] = mapped_column(sa.String(100))
    board_version: Mapped[int]
    target: Mapped[str] = mapped_column(sa.String(20))  # "qemu" | "pyocd"
    strategy: Mapped[str] = mapped_column(sa.String(40))
    firmware_sha256: Mapped[str] = mapped_column(sa.String(64))
    unit: Mapped[str] = mapped_column(sa.String(20))  # "instructions" (QEMU) | "cycles" (DWT)
    plan_json: Mapped[str] = mapped_column(sa.Text)
    repetitions: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
    measurements: Mapped[list[HilMeasurement]] = relationship(back_populates="run", cascade="all, delete-orphan")


class HilMeasurement(Base):
    """One repetition: either ok with all its per-op rows, or failed with the message and none."""

    __tablename__ = "tinyops_hil_measurements"
    __table_args__ = (sa.UniqueConstraint("run_id", "repetition", name="uq_tinyops_hil_measurement"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_hil_runs.id", ondelete="CASCADE"))
    repetition: Mapped[int]
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(sa.Text)
    total: Mapped[int | None] = mapped_column(sa.BigInteger)  # the whole run, in the run's unit
    measured_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
    run: Mapped[HilRun] = relationship(back_populates="measurements")
    ops: Mapped[list[HilOpMeasurement]] = relationship(back_populates="measurement", cascade="all, delete-orphan")


class HilOpMeasurement(Base):
    __tablename__ = "tinyops_hil_op_measurements"
    __table_args__ = (sa.UniqueConstraint("measurement_id", "op_index", name="uq_tinyops_hil_op"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measurement_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_hil_measurements.id", ondelete="CASCADE"))
    op_index: Mapped[int]
    op_name: Mapped[str] = mapped_column(sa.String(200))
    kernel_kind: Mapped[str] = mapped_column(sa.String(40))  # the firmware kernel that ran (the cost model's kind)
    measured: Mapped[int] = mapped_column(sa.BigInteger)  # in the run's unit
    dma_wait: Mapped[int] = mapped_column(sa.BigInteger)
    parts: Mapped[int]
    dma_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    features_json: Mapped[str] = mapped_column(sa.Text, default="{}")  # the cost model's {term: work} of this op
    predicted: Mapped[float | None]  # the simulator's figure for this op, same unit
    measurement: Mapped[HilMeasurement] = relationship(back_populates="ops")


class HilCalibration(Base):
    """A fit of a board's kernel cost parameters, with its held-out error."""

    __tablename__ = "tinyops_hil_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    board: Mapped[str] = mapped_column(sa.String(100))
    from_version: Mapped[int]
    to_version: Mapped[int]
    target: Mapped[str] = mapped_column(sa.String(20))
    train_ops: Mapped[int]
    test_ops: Mapped[int]
    mape: Mapped[float | None]  # held-out figures; None when nothing was held out
    within_10pct: Mapped[float | None]
    report_json: Mapped[str] = mapped_column(sa.Text)  # per kernel kind figures and the parameters
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
