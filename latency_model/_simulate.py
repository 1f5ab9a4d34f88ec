"""plan / simulate / score_batch: the Python face of the C++ planners and simulator."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from tinyops import _core
from tinyops.latency_model._arch import ArchLike, arch_to_json_text, load_arch
from tinyops.latency_model._boards import DEFAULT_BOARD, load_board
from tinyops.latency_model._plot import plot_timeline as _plot_timeline

BoardLike: TypeAlias = str | Path | _core.Board
NetworkLike: TypeAlias = ArchLike | _core.Network


def strategies() -> list[str]:
    """The strategies the core's planner registry offers, in DESIGN.md's order."""
    return list(_core.strategies())


def _network(arch: NetworkLike) -> _core.Network:
    return arch if isinstance(arch, _core.Network) else load_arch(arch)


def _check_strategy(strategy: str) -> None:
    known = strategies()
    if strategy not in known:
        raise ValueError(f"unknown strategy '{strategy}' (expected one of: {', '.join(known)})")


@dataclass
class SimulationResult:
    """One network planned and simulated on one board under one strategy.

    A plan that does not fit the board is a result too: `fits` is False, `why` names the shortfall, and the
    latency is NaN.
    """

    network: _core.Network
    board: _core.Board
    plan: _core.Plan
    raw: _core.SimResult | None
    per_op: pd.DataFrame = field(repr=False)
    timeline: pd.DataFrame = field(repr=False)
    label: str = ""  # what plots and tables call the network (default: its name)

    def __post_init__(self) -> None:
        self.label = self.label or self.network.name

    @property
    def strategy(self) -> str:
        return self.plan.strategy

    @property
    def fits(self) -> bool:
        return bool(self.plan.fits)

    @property
    def why(self) -> str:
        return self.plan.why

    @property
    def total_cycles(self) -> float:
        return self.raw.total_cycles if self.raw else math.nan

    @property
    def latency_ms(self) -> float:
        return self.raw.latency_ms if self.raw else math.nan

    @property
    def peak_sram_bytes(self) -> int:
        return int(self.raw.peak_sram_bytes) if self.raw else int(self.plan.peak_sram_bytes)

    @property
    def external_bytes(self) -> int:
        return int(self.raw.external_bytes) if self.raw else 0

    def plot_timeline(self, path: str | Path) -> Path:
        """Gantt chart (CPU and DMA lanes) of this simulation, written as a PNG."""
        if not self.fits:
            raise ValueError(f"{self.label} does not fit {self.board.name} under {self.strategy}: {self.why}")
        title = f"{self.label} on {self.board.name}, {self.strategy}: {self.latency_ms:.2f} ms"
        return _plot_timeline(self.timeline, self.board.clock_hz, path, title)

    def summary(self) -> dict[str, object]:
        """The figures of the design-space table, as plain values (JSON-ready)."""
        return {
            "network": self.label,
            "board": self.board.name,
            "strategy": self.strategy,
            "fits": self.fits,
            "why": self.why,
            "latency_ms": self.latency_ms,
            "total_cycles": self.total_cycles,
            "peak_sram_bytes": self.peak_sram_bytes,
            "sram_budget_bytes": int(self.plan.sram_budget_bytes),
            "external_bytes": self.external_bytes,
        }


_JSON_OBJECT = re.compile(r"\s*\{")  # a str that is JSON text rather than a path (matched without a copy)


def _is_prebuilt(arch: object) -> bool:
    """A core Network, or JSON text already serialized (passed to C++ as is, parsed there without the GIL)."""
    return isinstance(arch, _core.Network) or (isinstance(arch, str) and _JSON_OBJECT.match(arch) is not None)


def plan(arch: NetworkLike, board: BoardLike = DEFAULT_BOARD, strategy: str = "tinyops") -> _core.Plan:
    """Plan `arch` on `board` with one of the strategies of DESIGN.md (see `_core.strategies()`)."""
    _check_strategy(strategy)
    return _core.plan(_network(arch), load_board(board), strategy)


def simulate(
    arch: NetworkLike,
    board: BoardLike = DEFAULT_BOARD,
    strategy: str = "tinyops",
    *,
    with_plan: _core.Plan | None = None,
    timeline: bool = True,
    label: str = "",
) -> SimulationResult:
    """Plan (unless `with_plan` is given) and simulate; per-op breakdown and timeline as DataFrames."""
    net, brd = _network(arch), load_board(board)
    the_plan = with_plan if with_plan is not None else plan(net, brd, strategy)
    if not the_plan.fits:
        return SimulationResult(net, brd, the_plan, None, pd.DataFrame(), pd.DataFrame(), label)
    raw = _core.simulate(net, the_plan, brd, timeline)
    return SimulationResult(
        net, brd, the_plan, raw, _per_op_frame(net, the_plan, raw.per_op), pd.DataFrame(raw.timeline), label
    )


def _per_op_frame(net: _core.Network, the_plan: _core.Plan, rows: list[dict]) -> pd.DataFrame:
    """The simulator's per-op rows, with how the plan runs each op: its strategy label (e.g. "tinyops:rows")
    and which of its activations live in the SRAM memory between ops ("in", "out", "in+out" or "")."""
    frame = pd.DataFrame(rows)
    label = {o.op: o.strategy for o in the_plan.ops}
    memory, sram = the_plan.tensor_memory, the_plan.sram_memory

    def resident(op_id: int) -> str:
        op = net.ops[op_id]
        marks = [
            name
            for name, tensors in (("in", op.inputs), ("out", [op.output]))
            if any(memory[t] == sram for t in tensors)
        ]
        return "+".join(marks)

    frame["plan"] = [label[i] for i in frame["op"]]
    frame["resident"] = [resident(i) for i in frame["op"]]
    return frame


class Scorer:
    """Scores batches of architectures x strategies on one board, call after call, in C++ with the GIL released.

    It keeps what it learns about op shapes (geometries, partitions, tinyops' compiled ops) from one call to the
    next, so a search that scores a batch per step pays the warm-up once: hold one per board. `score(archs)`
    returns one row per (arch index, strategy): fits, why, latency_ms (NaN where it does not fit),
    total_cycles, peak_sram_bytes, external_bytes.
    """

    def __init__(self, board: BoardLike = DEFAULT_BOARD, strategy_names: Sequence[str] | None = None) -> None:
        names = list(strategy_names) if strategy_names is not None else strategies()
        for name in names:
            _check_strategy(name)
        self._scorer = _core.BatchScorer(load_board(board), names)

    def score(self, archs: Sequence[NetworkLike]) -> pd.DataFrame:
        """Score architectures (dicts, paths, JSON texts or Networks)."""
        items = [a if _is_prebuilt(a) else arch_to_json_text(a)[0] for a in archs]
        return pd.DataFrame(self._scorer.score(items), copy=False)  # the columns are fresh arrays: no copy needed


def score_batch(
    archs: Sequence[NetworkLike],
    board: BoardLike = DEFAULT_BOARD,
    strategy_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One batch: `Scorer(board, strategy_names).score(archs)` (see Scorer; hold a Scorer to score many)."""
    return Scorer(board, strategy_names).score(archs)
