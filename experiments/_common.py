"""What every experiment script and notebook shares: the command line, the output folder, the results store
(tables `tinyops_experiment_run` / `tinyops_experiment_row`), CSV tables, and how a board is named on a figure.

Layout of one output folder (default `experiments-out/`, `--out` elsewhere):

    experiments-out/experiments.db          the results store (SQLite), every run of every experiment
    experiments-out/<experiment>/<table>.csv the tables of the latest run, beside the figures
    experiments-out/<experiment>/figures/   what the experiment's notebook draws (PNG) and its tables (.md)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "experiments-out"
STORE_FILE = "experiments.db"
# What a figure says when it shows accuracies it did not measure.
PUBLISHED_ACCURACY_NOTE = (
    "ImageNet top-1: published accuracies (experiments/data/imagenet_accuracy.csv), not trained here"
)


def out_dir_from_env() -> Path:
    """The output folder a notebook reads: $TINYOPS_EXPERIMENTS_OUT, else experiments-out/ in the repository."""
    return Path(os.environ.get("TINYOPS_EXPERIMENTS_OUT", DEFAULT_OUT)).resolve()


def store_url(out: Path) -> str:
    return f"sqlite:///{(out / STORE_FILE).resolve()}"


def parse_args(
    description: str, argv: Sequence[str] | None = None, extra: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """--quick (the CI size) / full (default), --out DIR; `extra(parser)` adds an experiment's own options."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="the small CI version (seconds to a minute)")
    parser.add_argument(
        "--out",
        type=Path,
        default=out_dir_from_env(),
        help="output folder: store, CSV tables, figures (default: experiments-out/)",
    )
    if extra is not None:
        extra(parser)
    return parser.parse_args(argv)


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


@dataclass
class Run:
    """One run of an experiment: collects its tables, then writes CSVs and the store in `finish`."""

    experiment: str
    quick: bool
    out: Path
    argv: Sequence[str] | None = None  # the command recorded with the run (default: this process's)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _t0: float = field(default_factory=time.perf_counter)

    @property
    def mode(self) -> str:
        return "quick" if self.quick else "full"

    @property
    def folder(self) -> Path:
        return self.out / self.experiment

    def table(self, name: str, frame: pd.DataFrame) -> pd.DataFrame:
        if not name.isidentifier():
            raise ValueError(f"table name '{name}': expected an identifier (it names a CSV file)")
        self.tables[name] = frame.reset_index(drop=True)
        return frame

    def finish(self, summary: Mapping[str, Any]) -> int:
        """Write `<table>.csv` for every table and the run with all its rows into the store; returns the run id."""
        from tinyops.store import open_store
        from tinyops.store._experiments import record_run

        self.folder.mkdir(parents=True, exist_ok=True)
        for name, frame in self.tables.items():
            frame.to_csv(self.folder / f"{name}.csv", index=False)
        elapsed = time.perf_counter() - self._t0
        store = open_store(store_url(self.out))
        argv = list(self.argv if self.argv is not None else sys.argv)
        command = " ".join([Path(argv[0]).name if argv else self.experiment, *argv[1:]])
        run_id = record_run(
            store,
            experiment=self.experiment,
            mode=self.mode,
            command=command,
            git_commit=_git_commit(),
            started_at=self.started_at,
            elapsed_s=elapsed,
            summary=dict(summary) | {"elapsed_s": elapsed},
            tables={n: f.to_dict(orient="records") for n, f in self.tables.items()},
        )
        store.engine.dispose()
        print(
            f"{self.experiment} ({self.mode}): {elapsed:.1f} s; tables {', '.join(self.tables)} in "
            f"{self.folder}/ and run {run_id} in {self.out / STORE_FILE}"
        )
        return run_id


def load_tables(
    experiment: str, out: Path | None = None, mode: str | None = None
) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The latest run of `experiment` from the store: (summary, {table name: DataFrame})."""
    import json

    import sqlalchemy as sa

    from tinyops.store import open_store
    from tinyops.store._experiments import ExperimentRow, latest_run, run_rows

    out = out or out_dir_from_env()
    if not (out / STORE_FILE).is_file():
        raise FileNotFoundError(f"{out / STORE_FILE}: no results store; run experiments/{experiment}.py first")
    store = open_store(store_url(out))
    run = latest_run(store, experiment, mode)
    with store.session() as s:
        names = s.scalars(sa.select(ExperimentRow.table_name).where(ExperimentRow.run_id == run.id).distinct()).all()
    tables = {name: pd.DataFrame(run_rows(store, run.id, name)) for name in sorted(names)}
    summary = json.loads(run.summary_json) | {
        "run_id": run.id,
        "mode": run.mode,
        "command": run.command,
        "git_commit": run.git_commit,
    }
    store.engine.dispose()
    return summary, tables


def provenance(board: Any) -> str:
    """Where a board's kernel cost coefficients come from, e.g. "kernel costs: 30 estimate"."""
    counts: Counter[str] = Counter()
    for kind in board.kernel_kinds:
        for term in ("cycles_per_call", "cycles_per_mac", "cycles_per_output"):
            counts[board.kernel_cost(kind, term).source] += 1
    return "kernel costs: " + ", ".join(f"{n} {source}" for source, n in counts.most_common())


def board_label(board: Any, derived_from: str = "") -> str:
    """How a table or figure names a board: name, parameter version and the provenance of its coefficients."""
    base = f"{board.name} v{board.version}"
    if derived_from:
        base += f" (derived from {derived_from})"
    return f"{base}; {provenance(board)}"


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".2f") -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            if v != v:
                return "-"
            if v.is_integer():
                return f"{int(v):,}"  # counts and byte sizes that went through a column with NaNs
            return format(v, ".3g") if 0 < abs(v) < 1 else format(v, floatfmt)
        return str(v)

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body]) + "\n"


def figures_dir(experiment: str, out: Path | None = None) -> Path:
    path = (out or out_dir_from_env()) / experiment / "figures"
    path.mkdir(parents=True, exist_ok=True)
    return path
