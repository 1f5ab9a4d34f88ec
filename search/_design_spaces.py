"""Design spaces as constraint sets on a board, with every number from the C++ core.

The paper's design spaces (DESIGN.md, "Execution strategies") are the architectures a strategy can deploy on a
board: **internal** (activations in internal SRAM, weights in internal flash), **external** (everything in
external memory, executed in place), **tinyops** (external memory with partitioned, DMA-overlaid ops in an
SRAM budget) and **optimal** (our planner, same budget). Whether an architecture fits, and its latency and peak
SRAM, come from `tinyops.latency_model.simulate` (the core's planners and simulator); this module only turns
those verdicts into Optuna constraint values (feasible when <= 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DESIGN_SPACES: dict[str, str] = {
    "internal": "activations in internal SRAM and weights in internal flash (MCUNet / TFLM)",
    "external": "arena and weights in external memory, read in place through the cache",
    "tinyops": "external memory, each op row-partitioned and DMA-overlaid into the SRAM budget (the paper)",
    "optimal": "our planner: per-op choice by simulated latency in the same SRAM budget",
}
STRATEGIES: tuple[str, ...] = tuple(DESIGN_SPACES)
# Objective value stored for an architecture that does not fit (Optuna needs a finite number; constraints
# already mark the trial infeasible, so samplers and fronts never rank it by this value).
INFEASIBLE_LATENCY_MS = 1e9


@dataclass(frozen=True)
class Prediction:
    """The core's verdict on one architecture under one strategy."""

    strategy: str
    fits: bool
    reason: str
    latency_ms: float | None
    peak_sram_bytes: int | None
    plan_json: str | None = None


@dataclass(frozen=True)
class Limits:
    """Extra constraints a user adds to a design space (None: no limit)."""

    max_latency_ms: float | None = None
    max_peak_sram_bytes: int | None = None


def check_design_space(name: str) -> str:
    if name not in DESIGN_SPACES:
        raise ValueError(f"unknown design space '{name}' (expected one of: {', '.join(DESIGN_SPACES)})")
    return name


class CoreScorer:
    """Scores architectures on one board with the C++ core (planner + simulator) under every strategy it has."""

    def __init__(self, board: str) -> None:
        try:
            from tinyops.latency_model import load_board, plan, simulate
        except ImportError as exc:
            raise RuntimeError(
                "the C++ core's latency API (tinyops.latency_model.load_board/plan/simulate) is not "
                f"in this build ({exc}); the search needs it for feasibility and latency"
            ) from None
        from tinyops import _core

        self.board_name = board
        self.board = load_board(board)  # unknown board: ValueError listing the catalog
        self._plan, self._simulate = plan, simulate
        known = set(_core.strategies()) if hasattr(_core, "strategies") else set(STRATEGIES)
        self.strategies = tuple(s for s in STRATEGIES if s in known)

    def require(self, design_space: str) -> None:
        if design_space not in self.strategies:
            raise ValueError(
                f"design space '{design_space}': this build's core has no '{design_space}' planner "
                f"(it has: {', '.join(self.strategies)})"
            )

    def predict(self, arch: Mapping[str, Any] | Any) -> dict[str, Prediction]:
        """Plan and simulate `arch` (dict, path or core Network) under every strategy of the core."""
        from tinyops.latency_model import load_arch

        net = arch if not isinstance(arch, (Mapping, str)) and hasattr(arch, "ops") else load_arch(arch)
        return {s: self._predict_one(net, s) for s in self.strategies}

    def _predict_one(self, net: Any, strategy: str) -> Prediction:
        try:
            plan = self._plan(net, self.board, strategy)
            result = self._simulate(net, self.board, strategy, with_plan=plan, timeline=False)
        except RuntimeError as exc:  # the core's PlanningError: this strategy cannot deploy it
            return Prediction(strategy, False, str(exc), None, None)
        latency = float(result.latency_ms)
        return Prediction(
            strategy,
            bool(result.fits),
            str(result.why or ""),
            latency if result.fits and math.isfinite(latency) else None,
            int(result.peak_sram_bytes),
            plan.to_json(),
        )


def constraint_values(design_space: str, predictions: Mapping[str, Prediction], limits: Limits) -> dict[str, float]:
    """Optuna constraint values (feasible when every value is <= 0) for one design space."""
    p = predictions[design_space]
    values = {f"fits_{design_space}": 0.0 if p.fits else 1.0}
    if limits.max_latency_ms is not None:
        latency = p.latency_ms if p.latency_ms is not None else INFEASIBLE_LATENCY_MS
        values["latency_ms_over_limit"] = latency - limits.max_latency_ms
    if limits.max_peak_sram_bytes is not None:
        peak = p.peak_sram_bytes if p.peak_sram_bytes is not None else 2**62
        values["peak_sram_bytes_over_limit"] = float(peak - limits.max_peak_sram_bytes)
    return values


def infeasibility_reason(design_space: str, predictions: Mapping[str, Prediction], limits: Limits) -> str:
    """Why an architecture is outside the design space (empty when it is inside)."""
    p = predictions[design_space]
    if not p.fits:
        return p.reason or f"does not fit the {design_space} strategy"
    if limits.max_latency_ms is not None and (p.latency_ms or INFEASIBLE_LATENCY_MS) > limits.max_latency_ms:
        return f"latency {p.latency_ms:.1f} ms over the limit of {limits.max_latency_ms:g} ms"
    if limits.max_peak_sram_bytes is not None and (p.peak_sram_bytes or 0) > limits.max_peak_sram_bytes:
        return f"peak SRAM {p.peak_sram_bytes} bytes over the limit of {limits.max_peak_sram_bytes} bytes"
    return ""
