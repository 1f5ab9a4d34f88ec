"""Pareto fronts per design space from the recorded trials, and their plot (one PNG, one panel per space).

Every trial is scored under every strategy, so the front of each design space is computed over the same
candidates: those the space can deploy, ranked by accuracy (higher) and that space's latency (lower).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tinyops.search._design_spaces import STRATEGIES
from tinyops.search._records import SearchTrial

# Accuracy fidelities from best to cheapest: a front shows each candidate's best measured accuracy.
FIDELITY_ORDER = ("int8", "full", "short")


@dataclass(frozen=True)
class Candidate:
    trial_number: int
    optuna_trial_id: int
    design_space: str
    accuracy: float
    fidelity: str
    latency_ms: float
    peak_sram_bytes: int | None
    macs: int
    param_count: int
    arch_name: str


def _best_accuracy(row: SearchTrial) -> tuple[float, str] | None:
    by_fidelity = {a.fidelity: a.value for a in row.accuracies}
    for fidelity in FIDELITY_ORDER:
        if fidelity in by_fidelity:
            return by_fidelity[fidelity], fidelity
    return None


def candidates(rows: Iterable[SearchTrial], design_space: str, *, fidelity: str | None = None) -> list[Candidate]:
    """Trials with a measured accuracy that `design_space` can deploy (accuracy of `fidelity`, else best)."""
    out = []
    for row in rows:
        pred = next((p for p in row.predictions if p.strategy == design_space), None)
        if pred is None or not pred.fits or pred.latency_ms is None:
            continue
        if fidelity is not None:
            acc = next(((a.value, a.fidelity) for a in row.accuracies if a.fidelity == fidelity), None)
        else:
            acc = _best_accuracy(row)
        if acc is None:
            continue
        out.append(
            Candidate(
                row.trial_number,
                row.optuna_trial_id,
                design_space,
                acc[0],
                acc[1],
                pred.latency_ms,
                pred.peak_sram_bytes,
                row.macs,
                row.param_count,
                row.label,
            )
        )
    return out


def pareto_front(points: Sequence[Candidate]) -> list[Candidate]:
    """Non-dominated candidates (higher accuracy, lower latency), sorted by latency."""
    front = []
    for p in points:
        dominated = any(
            (q.accuracy >= p.accuracy and q.latency_ms <= p.latency_ms)
            and (q.accuracy > p.accuracy or q.latency_ms < p.latency_ms)
            for q in points
        )
        if not dominated:
            front.append(p)
    return sorted(front, key=lambda c: (c.latency_ms, -c.accuracy))


def fronts(
    rows: Sequence[SearchTrial], spaces: Iterable[str] | None = None, *, fidelity: str | None = "short"
) -> dict[str, tuple[list[Candidate], list[Candidate]]]:
    """Per design space (default: every strategy the rows were scored under): (deployable candidates, front)."""
    if spaces is None:
        scored = {p.strategy for row in rows for p in row.predictions}
        spaces = [s for s in STRATEGIES if s in scored]
    result = {}
    for space in spaces:
        points = candidates(rows, space, fidelity=fidelity)
        result[space] = (points, pareto_front(points))
    return result


def plot_fronts(per_space: dict[str, tuple[list[Candidate], list[Candidate]]], path: str | Path, *, title: str) -> Path:
    """One PNG: every deployable candidate and the front of each design space, latency on a log axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    colors = {"internal": "tab:blue", "external": "tab:red", "tinyops": "tab:green", "optimal": "tab:purple"}
    markers = {"internal": "o", "external": "s", "tinyops": "^", "optimal": "D"}
    for space, (points, front) in per_space.items():
        color = colors.get(space, "black")
        if points:
            ax.scatter(
                [p.latency_ms for p in points],
                [100 * p.accuracy for p in points],
                s=14,
                alpha=0.25,
                color=color,
                marker=markers.get(space, "o"),
            )
        if front:
            ax.step(
                [p.latency_ms for p in front],
                [100 * p.accuracy for p in front],
                where="post",
                color=color,
                marker=markers.get(space, "o"),
                label=f"{space} ({len(points)} deployable)",
            )
        else:
            ax.plot([], [], color=color, label=f"{space} (none deployable)")
    ax.set_xscale("log")
    ax.set_xlabel("predicted latency (ms, C++ simulator)")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
