#!/usr/bin/env python3
"""Experiment 1: design spaces on the paper's boards (STM32F746G-DISCO, STM32F469I-DISCO).

The paper's model families (experiments/_archs.py) over width x resolution grids, each planned and simulated by
the C++ core under every strategy: latency, peak SRAM, internal-flash and SDRAM use, fits or why not. From that
grid: the largest and the most accurate network each space admits (accuracy: published ImageNet top-1, never
trained here), the MACs-vs-latency front of each space, and the speed-up of `tinyops` and `optimal` over the
fastest internal network of equal or more MACs.

    .venv/bin/python experiments/design_spaces.py [--quick] [--out experiments-out]

Tables (CSV in OUT/design_spaces/, rows in OUT/experiments.db): grid, largest, fronts, speedup, boards.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _archs  # noqa: E402
import _common  # noqa: E402

EXPERIMENT = "design_spaces"
BOARDS = ("stm32f746g-disco", "stm32f469i-disco")
HYBRID = ("tinyops", "optimal")  # the internal + external strategies whose speed-up over `internal` is claimed


def memory_use(net: Any, plan: Any, board: Any) -> tuple[int, int]:
    """(internal flash bytes, external memory bytes) a fitting plan uses: the weights live in flash under
    `internal` and in external memory otherwise; arenas in the memory the plan puts them."""
    board_memories = {m.name: m.kind for m in board.memories}
    flash = ext = 0
    for buf in plan.buffers:
        if board_memories.get(buf["memory"]) == "external":
            ext += int(buf["size_bytes"])
        elif board_memories.get(buf["memory"]) == "flash":
            flash += int(buf["size_bytes"])
    if plan.strategy == "internal":
        flash += int(net.weight_bytes)
    else:
        ext += int(net.weight_bytes)
    return flash, ext


def score_grid(
    boards: Sequence[Any], archs: list[tuple[str, str, float, int, dict[str, Any]]], accuracy: pd.DataFrame
) -> pd.DataFrame:
    """One row per (board, network, strategy), every number from the core's planner and simulator."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs
    from tinyops.latency_model import load_arch, strategies

    rows = []
    nets = [(name, family, w, r, load_arch(arch)) for name, family, w, r, arch in archs]
    for board in boards:
        label = _common.board_label(board)
        for name, family, w, r, net in nets:
            top1 = _archs.accuracy_of(family, w, r, accuracy)
            for strategy in strategies():
                plan = _core.plan(net, board, strategy)
                row: dict[str, Any] = {
                    "board": board.name,
                    "board_version": board.version,
                    "board_label": label,
                    "network": name,
                    "family": family,
                    "width_mult": w,
                    "resolution": r,
                    "macs": int(net.total_macs),
                    "params": int(net.param_count),
                    "weight_bytes": int(net.weight_bytes),
                    "strategy": strategy,
                    "fits": bool(plan.fits),
                    "why": plan.why,
                    "published_top1": top1,
                }
                if plan.fits:
                    sim = _core.simulate(net, plan, board, False)
                    flash, ext = memory_use(net, plan, board)
                    row |= {
                        "latency_ms": float(sim.latency_ms),
                        "peak_sram_bytes": int(sim.peak_sram_bytes),
                        "flash_bytes": flash,
                        "external_memory_bytes": ext,
                        "external_traffic_bytes": int(sim.external_bytes),
                    }
                else:
                    row |= {
                        "latency_ms": math.nan,
                        "peak_sram_bytes": math.nan,
                        "flash_bytes": math.nan,
                        "external_memory_bytes": math.nan,
                        "external_traffic_bytes": math.nan,
                    }
                rows.append(row)
    return pd.DataFrame(rows)


def macs_latency_front(points: pd.DataFrame) -> pd.DataFrame:
    """Networks no other network beats on both more MACs and lower latency, by latency."""
    pts = points.sort_values(["latency_ms", "macs"], ascending=[True, False])
    keep, best_macs = [], -1
    for idx, row in pts.iterrows():
        if row["macs"] > best_macs:
            keep.append(idx)
            best_macs = row["macs"]
    return pts.loc[keep]


def fronts(grid: pd.DataFrame) -> pd.DataFrame:
    out = []
    for _, group in grid[grid["fits"]].groupby(["board", "strategy"], sort=False):
        front = macs_latency_front(group)
        out.append(
            front[["board", "strategy", "network", "family", "macs", "latency_ms", "peak_sram_bytes", "published_top1"]]
        )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()


def speedups(grid: pd.DataFrame) -> pd.DataFrame:
    """For each network on the MACs-latency front of tinyops / optimal: the fastest internal network with at
    least as many MACs, and the speed-up (its latency / this one). No such internal network: no row (the
    hybrid space then admits a network larger than any internal one: see `largest`)."""
    rows = []
    for board, per_board in grid.groupby("board", sort=False):
        internal = per_board[(per_board["strategy"] == "internal") & per_board["fits"]]
        for strategy in HYBRID:
            space = per_board[(per_board["strategy"] == strategy) & per_board["fits"]]
            if space.empty:
                continue
            for _, n in macs_latency_front(space).iterrows():
                refs = internal[internal["macs"] >= n["macs"]]
                if refs.empty:
                    continue
                ref = refs.loc[refs["latency_ms"].idxmin()]
                rows.append(
                    {
                        "board": board,
                        "strategy": strategy,
                        "network": n["network"],
                        "macs": n["macs"],
                        "latency_ms": n["latency_ms"],
                        "internal_network": ref["network"],
                        "internal_macs": ref["macs"],
                        "internal_latency_ms": ref["latency_ms"],
                        "speedup": ref["latency_ms"] / n["latency_ms"],
                    }
                )
    return pd.DataFrame(rows)


def same_network(grid: pd.DataFrame) -> pd.DataFrame:
    """For networks that fit both internal memory and a hybrid strategy: internal latency / hybrid latency of
    the *same* network (the speed-up above also reflects which families each space admits)."""
    rows = []
    fit = grid[grid["fits"]]
    for board, per_board in fit.groupby("board", sort=False):
        internal = per_board[per_board["strategy"] == "internal"].set_index("network")["latency_ms"]
        for strategy in HYBRID:
            other = per_board[per_board["strategy"] == strategy].set_index("network")["latency_ms"]
            ratio = (internal / other).dropna()
            if len(ratio):
                rows.append(
                    {
                        "board": board,
                        "strategy": strategy,
                        "networks": len(ratio),
                        "ratio_min": ratio.min(),
                        "ratio_median": ratio.median(),
                        "ratio_max": ratio.max(),
                        "share_faster": float((ratio > 1).mean()),
                    }
                )
    return pd.DataFrame(rows)


def equal_accuracy(grid: pd.DataFrame) -> pd.DataFrame:
    """The paper's claim in accuracy terms: for each published top-1 an internal network reaches, the fastest
    network of each space with at least that accuracy, and internal latency / hybrid latency."""
    rows = []
    acc = grid[grid["fits"]].dropna(subset=["published_top1"])
    for board, per_board in acc.groupby("board", sort=False):
        internal = per_board[per_board["strategy"] == "internal"]
        for level in sorted(internal["published_top1"].unique()):
            ref = internal[internal["published_top1"] >= level].sort_values("latency_ms").iloc[0]
            for strategy in HYBRID:
                cand = per_board[(per_board["strategy"] == strategy) & (per_board["published_top1"] >= level)]
                if cand.empty:
                    continue
                best = cand.sort_values("latency_ms").iloc[0]
                rows.append(
                    {
                        "board": board,
                        "strategy": strategy,
                        "top1_at_least": level,
                        "internal_network": ref["network"],
                        "internal_latency_ms": ref["latency_ms"],
                        "network": best["network"],
                        "top1": best["published_top1"],
                        "latency_ms": best["latency_ms"],
                        "speedup": ref["latency_ms"] / best["latency_ms"],
                    }
                )
    return pd.DataFrame(rows)


def largest(grid: pd.DataFrame) -> pd.DataFrame:
    """Per board and strategy: how many networks fit, the largest (MACs) and the most accurate (published)."""
    rows = []
    for (board, strategy), group in grid.groupby(["board", "strategy"], sort=False):
        fit = group[group["fits"]]
        row: dict[str, Any] = {
            "board": board,
            "board_label": group["board_label"].iloc[0],
            "strategy": strategy,
            "fit": len(fit),
            "of": len(group),
        }
        if not fit.empty:
            big = fit.loc[fit["macs"].idxmax()]
            row |= {
                "largest_network": big["network"],
                "largest_macs": big["macs"],
                "largest_latency_ms": big["latency_ms"],
            }
            for col in ("peak_sram_bytes", "flash_bytes", "external_memory_bytes"):  # where its bytes live
                if col in big:
                    row[f"largest_{col}"] = big[col]
            acc = fit.dropna(subset=["published_top1"])
            if not acc.empty:
                best = acc.sort_values(["published_top1", "latency_ms"], ascending=[False, True]).iloc[0]
                row |= {
                    "most_accurate_network": best["network"],
                    "most_accurate_top1": best["published_top1"],
                    "most_accurate_latency_ms": best["latency_ms"],
                }
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(grid: pd.DataFrame, speed: pd.DataFrame, big: pd.DataFrame) -> dict[str, Any]:
    """The headline figures per board: speed-up range on the front, and the accuracy/size the spaces admit."""
    summary: dict[str, Any] = {}
    for board in grid["board"].unique():
        for strategy in HYBRID:
            s = speed[(speed["board"] == board) & (speed["strategy"] == strategy)] if not speed.empty else speed
            key = f"{board}:{strategy}"
            if s is not None and not s.empty:
                summary[f"{key}:speedup_min"] = float(s["speedup"].min())
                summary[f"{key}:speedup_median"] = float(s["speedup"].median())
                summary[f"{key}:speedup_max"] = float(s["speedup"].max())
                summary[f"{key}:share_faster"] = float((s["speedup"] > 1).mean())
        for strategy in ("internal", *HYBRID):
            row = big[(big["board"] == board) & (big["strategy"] == strategy)]
            if not row.empty:
                for col in ("largest_macs", "most_accurate_top1"):
                    if col in row and not pd.isna(row[col].iloc[0]):
                        summary[f"{board}:{strategy}:{col}"] = float(row[col].iloc[0])
    return summary


def verdict(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Plain sentences: per board, what each space admits, and where the hybrid spaces are faster or not."""
    lines = []
    big, speed = tables["largest"], tables["speedup"]
    for board, per_board in big.groupby("board", sort=False):
        rows = per_board.set_index("strategy")
        internal = rows.loc["internal"]
        lines.append(f"{rows['board_label'].iloc[0]}:")
        for strategy in ("internal", *HYBRID):
            r = rows.loc[strategy]
            acc = (
                f", most accurate {r['most_accurate_network']} ({r['most_accurate_top1']:.1f} % published)"
                if isinstance(r.get("most_accurate_network"), str)
                else ", none with a published accuracy"
            )
            largest_ = (
                f"largest {r['largest_network']} ({r['largest_macs'] / 1e6:.0f} M MACs){acc}"
                if r["fit"]
                else "nothing fits"
            )
            lines.append(f"  {strategy:8s} {int(r['fit'])}/{int(r['of'])} networks fit; {largest_}")
        for strategy in HYBRID:
            s = speed[(speed["board"] == board) & (speed["strategy"] == strategy)] if len(speed) else speed
            if not len(s):
                continue
            wins, loses = s[s["speedup"] > 1], s[s["speedup"] <= 1]
            text = (
                f"  {strategy} vs the fastest internal network of >= MACs: {s['speedup'].min():.2f}-"
                f"{s['speedup'].max():.2f}x"
            )
            if len(wins):
                text += f"; faster for {len(wins)} of {len(s)} front networks"
            if len(loses):
                pairs = [
                    n if n == ref else f"{n} (internal {ref} is faster)"
                    for n, ref in zip(loses["network"], loses["internal_network"])
                ]
                text += f"; NOT faster for {', '.join(pairs)}"
                text += (
                    " (a network that fits internal memory runs fastest there)"
                    if any(n == ref for n, ref in zip(loses["network"], loses["internal_network"]))
                    else ""
                )
            lines.append(text)
        same = tables.get("same_network")
        if same is not None and len(same):
            for r in same[same["board"] == board].itertuples():
                lines.append(
                    f"  the same network under {r.strategy} vs internal, where both fit ({r.networks}): "
                    f"{r.ratio_min:.2f}-{r.ratio_max:.2f}x, median {r.ratio_median:.2f}x"
                )
        equal = tables.get("equal_accuracy")
        if equal is not None and len(equal):
            for strategy, e in equal[equal["board"] == board].groupby("strategy", sort=False):
                levels = sorted({f"{v:.1f} %" for v in e["top1_at_least"]})
                lo, hi = e["speedup"].min(), e["speedup"].max()
                lines.append(
                    f"  {strategy} vs the fastest internal network of >= published top-1 ({', '.join(levels)}): "
                    + (f"{lo:.2f}x" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}-{hi:.2f}x")
                )
        if not internal["fit"]:
            lines.append("  the internal space admits no grid network on this board")
    return lines


def board_table(boards: Sequence[Any]) -> pd.DataFrame:
    rows = []
    for b in boards:
        mems = {m.kind: m for m in b.memories}
        rows.append(
            {
                "board": b.name,
                "version": b.version,
                "label": _common.board_label(b),
                "core": b.core,
                "clock_mhz": b.clock_hz / 1e6,
                "sram_budget_bytes": b.sram_budget_bytes,
                "flash_bytes": mems["flash"].size_bytes if "flash" in mems else 0,
                "external_bytes": mems["external"].size_bytes if "external" in mems else 0,
            }
        )
    return pd.DataFrame(rows)


def run(quick: bool, out: Path, boards: Sequence[str] = BOARDS, argv: Sequence[str] | None = None) -> dict[str, Any]:
    from tinyops.latency_model import load_board

    run_ = _common.Run(EXPERIMENT, quick, out, argv)
    grid_spec = _archs.QUICK_GRID if quick else _archs.FULL_GRID
    loaded = [load_board(b) for b in boards]
    grid = run_.table("grid", score_grid(loaded, grid_spec.archs(), _archs.published_accuracy()))
    run_.table("fronts", fronts(grid))
    speed = run_.table("speedup", speedups(grid))
    big = run_.table("largest", largest(grid))
    run_.table("same_network", same_network(grid))
    run_.table("equal_accuracy", equal_accuracy(grid))
    run_.table("boards", board_table(loaded))
    summary = summarize(grid, speed, big) | {"networks": int(grid["network"].nunique()), "plans": int(len(grid))}
    run_.finish(summary)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    args = _common.parse_args(__doc__.splitlines()[0], argv)
    summary = run(args.quick, args.out)
    for key, value in summary.items():
        print(f"  {key}: {value:.3g}" if isinstance(value, float) else f"  {key}: {value}")


if __name__ == "__main__":
    main()
