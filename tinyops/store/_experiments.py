"""The experiments' tables in the results store (`experiments/`: the paper's design-space comparison).

An experiment run is one row; each table it produces (a design-space grid, a sweep, fronts, ...) is stored row
by row as JSON records keyed to the run and the table's name, so every figure a notebook draws can be read back
from the store as well as from the CSV written beside it. A run and all its rows are written in one
transaction when the run finishes, so a killed experiment leaves no half-written run behind.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tinyops.store._db import Base, Store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ExperimentRun(Base):
    """One run of one experiment script (quick or full mode)."""

    __tablename__ = "tinyops_experiment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment: Mapped[str] = mapped_column(sa.String(64), index=True)
    mode: Mapped[str] = mapped_column(sa.String(16))  # "quick" | "full"
    command: Mapped[str] = mapped_column(sa.Text)
    git_commit: Mapped[str] = mapped_column(sa.String(64), default="")
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)
    elapsed_s: Mapped[float]
    summary_json: Mapped[str] = mapped_column(sa.Text, default="{}")

    rows: Mapped[list[ExperimentRow]] = relationship(back_populates="run", cascade="all, delete-orphan")


class ExperimentRow(Base):
    """One row of one of a run's tables, as a JSON object (column -> value; NaN stored as null)."""

    __tablename__ = "tinyops_experiment_row"
    __table_args__ = (sa.UniqueConstraint("run_id", "table_name", "row_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_experiment_run.id", ondelete="CASCADE"), index=True)
    table_name: Mapped[str] = mapped_column(sa.String(64))
    row_index: Mapped[int]
    values_json: Mapped[str] = mapped_column(sa.Text)

    run: Mapped[ExperimentRun] = relationship(back_populates="rows")


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars to Python, NaN to None."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record_run(
    store: Store,
    *,
    experiment: str,
    mode: str,
    command: str,
    git_commit: str,
    started_at: dt.datetime,
    elapsed_s: float,
    summary: Mapping[str, Any],
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
) -> int:
    """Write one finished run and every row of its tables in one transaction; returns the run id."""
    with store.session() as s:
        run = ExperimentRun(
            experiment=experiment,
            mode=mode,
            command=command,
            git_commit=git_commit,
            started_at=started_at,
            elapsed_s=elapsed_s,
            summary_json=json.dumps({k: _plain(v) for k, v in summary.items()}, sort_keys=True),
        )
        for name, rows in tables.items():
            for i, row in enumerate(rows):
                run.rows.append(
                    ExperimentRow(
                        table_name=name, row_index=i, values_json=json.dumps({k: _plain(v) for k, v in row.items()})
                    )
                )
        s.add(run)
        s.flush()
        return run.id


def latest_run(store: Store, experiment: str, mode: str | None = None) -> ExperimentRun:
    """The most recent run of `experiment` (in `mode` when given); KeyError naming what exists otherwise."""
    with store.session() as s:
        query = sa.select(ExperimentRun).where(ExperimentRun.experiment == experiment)
        if mode is not None:
            query = query.where(ExperimentRun.mode == mode)
        run = s.scalars(query.order_by(ExperimentRun.id.desc()).limit(1)).first()
        if run is None:
            known = sorted(set(s.scalars(sa.select(ExperimentRun.experiment)).all()))
            raise KeyError(
                f"no {mode + ' ' if mode else ''}run of experiment '{experiment}' in "
                f"{store.engine.url.render_as_string(hide_password=True)} (runs of: "
                f"{', '.join(known) or 'none'}); run experiments/{experiment}.py first"
            )
        return run


def run_rows(store: Store, run_id: int, table_name: str) -> list[dict[str, Any]]:
    """The rows of one table of one run, in order."""
    with store.session() as s:
        values = s.scalars(
            sa.select(ExperimentRow.values_json)
            .where(ExperimentRow.run_id == run_id, ExperimentRow.table_name == table_name)
            .order_by(ExperimentRow.row_index)
        ).all()
    return [json.loads(v) for v in values]
