"""The search's own tables in the results store, beside Optuna's and keyed to its trials.

Optuna's `trials.trial_id` is unique across every study of a storage, so `optuna_trial_id` identifies a
trial's row here; each row also names the study and trial number so the tables read on their own. A trial's
architecture and its predictions under every strategy are written in one transaction before any training
starts; accuracies and exported files are added as each is measured (one committed row each), so a killed
worker leaves every completed measurement in place and nothing half-written.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tinyops.store import Base, Store


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SearchTrial(Base):
    """One sampled architecture of one Optuna trial, and where it was searched."""

    __tablename__ = "tinyops_search_trial"

    id: Mapped[int] = mapped_column(primary_key=True)
    optuna_trial_id: Mapped[int] = mapped_column(unique=True, index=True)
    study_name: Mapped[str] = mapped_column(sa.String(512), index=True)
    trial_number: Mapped[int]
    board: Mapped[str] = mapped_column(sa.String(128))
    design_space: Mapped[str] = mapped_column(sa.String(32))
    label: Mapped[str] = mapped_column(sa.String(128), default="")  # e.g. "mbv2 w0.35 r48 12 blocks"
    arch_json: Mapped[str] = mapped_column(sa.Text)
    macs: Mapped[int] = mapped_column(sa.BigInteger)
    param_count: Mapped[int] = mapped_column(sa.BigInteger)
    weight_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)

    predictions: Mapped[list[Prediction]] = relationship(back_populates="trial", cascade="all, delete-orphan")
    accuracies: Mapped[list[Accuracy]] = relationship(back_populates="trial", cascade="all, delete-orphan")
    exports: Mapped[list[ExportedFile]] = relationship(back_populates="trial", cascade="all, delete-orphan")

    @property
    def arch(self) -> dict[str, Any]:
        return json.loads(self.arch_json)


class Prediction(Base):
    """The C++ core's verdict on the architecture under one strategy: fits or why not, latency, peak SRAM."""

    __tablename__ = "tinyops_search_prediction"
    __table_args__ = (sa.UniqueConstraint("trial_id", "strategy"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_search_trial.id", ondelete="CASCADE"), index=True)
    strategy: Mapped[str] = mapped_column(sa.String(32))
    fits: Mapped[bool]
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    latency_ms: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    peak_sram_bytes: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    plan_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)

    trial: Mapped[SearchTrial] = relationship(back_populates="predictions")


class Accuracy(Base):
    """An accuracy at one fidelity: `proxy-naswot` (a score, not a fraction), `short`, `full`, `int8`."""

    __tablename__ = "tinyops_search_accuracy"
    __table_args__ = (sa.UniqueConstraint("trial_id", "fidelity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_search_trial.id", ondelete="CASCADE"), index=True)
    fidelity: Mapped[str] = mapped_column(sa.String(32))
    value: Mapped[float]
    steps: Mapped[int] = mapped_column(default=0)
    method: Mapped[str] = mapped_column(sa.String(128), default="")
    dataset: Mapped[str] = mapped_column(sa.String(256), default="")
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)

    trial: Mapped[SearchTrial] = relationship(back_populates="accuracies")


class ExportedFile(Base):
    """A file written for a trial: `arch` (JSON), `checkpoint` (PyTorch), `int8` (the compiler handoff)."""

    __tablename__ = "tinyops_search_export"
    __table_args__ = (sa.UniqueConstraint("trial_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(sa.ForeignKey("tinyops_search_trial.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    path: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_now)

    trial: Mapped[SearchTrial] = relationship(back_populates="exports")


def record_trial(
    store: Store,
    *,
    optuna_trial_id: int,
    study_name: str,
    trial_number: int,
    board: str,
    design_space: str,
    label: str,
    arch: dict[str, Any],
    macs: int,
    param_count: int,
    weight_bytes: int,
    predictions: dict[str, Any],
) -> None:
    """Write the architecture and its per-strategy predictions in one transaction."""
    with store.session() as s:
        row = SearchTrial(
            optuna_trial_id=optuna_trial_id,
            study_name=study_name,
            trial_number=trial_number,
            board=board,
            design_space=design_space,
            label=label,
            arch_json=json.dumps(arch, sort_keys=True),
            macs=macs,
            param_count=param_count,
            weight_bytes=weight_bytes,
        )
        for strategy, p in predictions.items():
            row.predictions.append(
                Prediction(
                    strategy=strategy,
                    fits=p.fits,
                    reason=p.reason,
                    latency_ms=p.latency_ms,
                    peak_sram_bytes=p.peak_sram_bytes,
                    plan_json=p.plan_json,
                )
            )
        s.add(row)


def _trial_row(session: sa.orm.Session, optuna_trial_id: int) -> SearchTrial:
    row = session.scalar(sa.select(SearchTrial).where(SearchTrial.optuna_trial_id == optuna_trial_id))
    if row is None:
        raise KeyError(f"trial {optuna_trial_id}: no search record (was it sampled by `tinyops search`?)")
    return row


def record_accuracy(
    store: Store,
    optuna_trial_id: int,
    fidelity: str,
    value: float,
    *,
    steps: int = 0,
    method: str = "",
    dataset: str = "",
) -> None:
    """Add (or replace, when re-measured) one accuracy of a trial, in its own transaction."""
    with store.session() as s:
        row = _trial_row(s, optuna_trial_id)
        for old in [a for a in row.accuracies if a.fidelity == fidelity]:
            row.accuracies.remove(old)
        s.flush()
        row.accuracies.append(
            Accuracy(fidelity=fidelity, value=float(value), steps=steps, method=method, dataset=dataset)
        )


def record_export(store: Store, optuna_trial_id: int, kind: str, path: str) -> None:
    with store.session() as s:
        row = _trial_row(s, optuna_trial_id)
        for old in [e for e in row.exports if e.kind == kind]:
            row.exports.remove(old)
        s.flush()
        row.exports.append(ExportedFile(kind=kind, path=path))


def load_trials(store: Store, study_name: str) -> list[SearchTrial]:
    """Every recorded trial of a study with its predictions, accuracies and exports loaded."""
    with store.session() as s:
        rows = s.scalars(
            sa.select(SearchTrial)
            .where(SearchTrial.study_name == study_name)
            .options(
                sa.orm.selectinload(SearchTrial.predictions),
                sa.orm.selectinload(SearchTrial.accuracies),
                sa.orm.selectinload(SearchTrial.exports),
            )
            .order_by(SearchTrial.trial_number)
        ).all()
        return list(rows)
