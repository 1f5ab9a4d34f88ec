"""Whether `optimal` is ever slower than a fixed strategy that fits the same network on the same board.

`optimal` keeps the fastest of its own search and the fixed strategies' plans (cpp/src/planner_optimal.cpp),
so it should lose nowhere; `dominance` scores a set of networks under every strategy and reports, per network,
optimal's latency against the fastest fixed strategy that fits. The sweep (benchmarks/bench_optimal_dominance.py)
and its test (tests/python/latency_model/test_dominance.py) both read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from tinyops.latency_model import examples
from tinyops.latency_model._simulate import BoardLike, NetworkLike, Scorer

FIXED_STRATEGIES = ("internal", "external", "tinyops")


def family_grid(
    widths: Iterable[float],
    resolutions: Iterable[int],
    families: Mapping[str, Callable[..., dict[str, Any]]] | None = None,
) -> dict[str, dict[str, Any]]:
    """The example families (examples.FAMILIES) at every width x resolution, by name ('mbv3-w0.35-r096')."""
    widths, resolutions = list(widths), list(resolutions)
    return {
        f"{family}-w{width:.2f}-r{resolution:03d}": make(width, resolution)
        for family, make in (families or examples.FAMILIES).items()
        for width in widths
        for resolution in resolutions
    }


def optimal_origin(optimal_plan: Any) -> str:
    """Where an `optimal` plan came from: 'search' (its own per-op choices) or the fixed strategy it kept
    (planner_optimal.cpp labels those ops 'optimal:<strategy>[:...]')."""
    labels = {op.strategy.split(":")[1] for op in optimal_plan.ops if op.strategy.count(":") >= 1}
    fixed = labels & set(FIXED_STRATEGIES)
    return fixed.pop() if len(fixed) == 1 and len(labels) == 1 else "search"


def dominance(archs: Mapping[str, NetworkLike], board: BoardLike) -> pd.DataFrame:
    """One row per network: optimal_ms, the fastest fitting fixed strategy (best_fixed, best_fixed_ms; '' and
    NaN when none fits), ratio = optimal_ms / best_fixed_ms, and `loses` (optimal slower, or not fitting where a
    fixed strategy fits)."""
    names = list(archs)
    scores = Scorer(board, [*FIXED_STRATEGIES, "optimal"]).score([archs[n] for n in names])
    rows = []
    for index, group in scores.groupby("arch", sort=True):
        fits = group[group["fits"]]
        latency = dict(zip(fits["strategy"], fits["latency_ms"]))
        fixed = {s: latency[s] for s in FIXED_STRATEGIES if s in latency}
        best = min(fixed, key=fixed.__getitem__) if fixed else ""
        best_ms = fixed[best] if fixed else math.nan
        optimal_ms = latency.get("optimal", math.nan)
        loses = bool(fixed) and (math.isnan(optimal_ms) or optimal_ms > best_ms)
        rows.append(
            {
                "network": names[int(index)],
                "optimal_ms": optimal_ms,
                "best_fixed": best,
                "best_fixed_ms": best_ms,
                "ratio": optimal_ms / best_ms if fixed else math.nan,
                "loses": loses,
            }
        )
    return pd.DataFrame(rows)
