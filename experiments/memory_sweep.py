#!/usr/bin/env python3
"""Experiment 2: internal-memory sweep on an F746-like board: where the hybrid space starts and stops winning.

The STM32F746G-DISCO's board file with its internal SRAM (64 KB - 1 MB) and internal flash (256 KB - 2 MB)
replaced, everything else (clock, caches, SDRAM, DMA, kernel costs) kept. The SRAM budget keeps the F746
port's reserve (its 320 KB less its 304,128 B budget: 23,552 B of stack and static RAM). For every size pair,
the design-space grid of experiment 1 is scored under internal, tinyops and optimal (C++ batch scorer); per
pair: how many networks the internal space admits, the largest and most accurate of them (published
accuracy) against the hybrid spaces', and the speed-up of the hybrid fronts over the fastest internal network
of equal or more MACs.

    .venv/bin/python experiments/memory_sweep.py [--quick] [--out experiments-out]

Tables: sweep (one row per size pair and hybrid strategy), base_board.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _archs  # noqa: E402
import _common  # noqa: E402
import design_spaces  # noqa: E402

EXPERIMENT = "memory_sweep"
BASE_BOARD = "stm32f746g-disco"
KB = 1024
FULL_SRAM_KB = (64, 128, 192, 256, 320, 384, 512, 768, 1024)
FULL_FLASH_KB = (256, 512, 768, 1024, 1536, 2048)
QUICK_SRAM_KB = (128, 320, 1024)
QUICK_FLASH_KB = (512, 2048)
STRATEGIES = ("internal", "tinyops", "optimal")


def derived_board(base: Any, sram_kb: int, flash_kb: int) -> Any:
    """`base` with its internal SRAM and flash resized; the sizes say where they come from (this sweep)."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    doc = yaml.safe_load(base.to_yaml())
    reserve = next(m for m in base.memories if m.name == base.sram_memory).size_bytes - base.sram_budget_bytes
    ref = f"memory sweep of experiments/memory_sweep.py: {base.name} v{base.version} resized (hypothetical part)"
    doc["name"] = f"{base.name}-sram{sram_kb}k-flash{flash_kb}k"
    doc["description"] = f"{base.name} with {sram_kb} KB SRAM and {flash_kb} KB internal flash"
    for mem in doc["memories"]:
        if mem["name"] == doc["sram"]["memory"]:
            mem["size_bytes"] = {"value": sram_kb * KB, "source": "estimate", "ref": ref}
        elif mem["kind"] == "flash":
            mem["size_bytes"] = {"value": flash_kb * KB, "source": "estimate", "ref": ref}
    budget = sram_kb * KB - reserve
    if budget <= 0:
        raise ValueError(f"memory sweep: {sram_kb} KB SRAM leaves no budget after the port's {reserve} B reserve")
    doc["sram"]["budget_bytes"] = {
        "value": budget,
        "source": "estimate",
        "ref": f"{sram_kb} KB less the {base.name} port's {reserve} B reserve",
    }
    return _core.board_from_yaml(yaml.safe_dump(doc, sort_keys=False), f"<{doc['name']}>")


def score_board(
    board: Any, archs: list[tuple[str, str, float, int, dict[str, Any]]], macs: list[int], accuracy: pd.DataFrame
) -> pd.DataFrame:
    """The grid on one board in the columns `design_spaces.speedups/largest` read."""
    from tinyops.latency_model import Scorer

    scored = Scorer(board, STRATEGIES).score([json.dumps(a[4]) for a in archs])
    meta = pd.DataFrame(
        [
            {"network": n, "family": f, "macs": m, "published_top1": _archs.accuracy_of(f, w, r, accuracy)}
            for (n, f, w, r, _), m in zip(archs, macs)
        ]
    )
    frame = scored.join(meta, on="arch")
    frame["board"], frame["board_label"] = board.name, board.name
    return frame


def sweep_rows(
    base: Any,
    sram_kbs: Sequence[int],
    flash_kbs: Sequence[int],
    archs: list[tuple[str, str, float, int, dict[str, Any]]],
) -> pd.DataFrame:
    from tinyops.latency_model import load_arch

    accuracy = _archs.published_accuracy()
    macs = [int(load_arch(a[4]).total_macs) for a in archs]
    rows = []
    for sram_kb in sram_kbs:
        for flash_kb in flash_kbs:
            board = derived_board(base, sram_kb, flash_kb)
            grid = score_board(board, archs, macs, accuracy)
            big = design_spaces.largest(grid).set_index("strategy")
            speed = design_spaces.speedups(grid)
            internal = big.loc["internal"]
            for strategy in ("tinyops", "optimal"):
                hybrid = big.loc[strategy]
                s = speed[speed["strategy"] == strategy] if not speed.empty else speed
                rows.append(
                    {
                        "sram_kb": sram_kb,
                        "flash_kb": flash_kb,
                        "sram_budget_bytes": board.sram_budget_bytes,
                        "strategy": strategy,
                        "internal_fit": int(internal["fit"]),
                        "hybrid_fit": int(hybrid["fit"]),
                        "of": int(internal["of"]),
                        "internal_largest_macs": internal.get("largest_macs", math.nan),
                        "hybrid_largest_macs": hybrid.get("largest_macs", math.nan),
                        "internal_best_top1": internal.get("most_accurate_top1", math.nan),
                        "hybrid_best_top1": hybrid.get("most_accurate_top1", math.nan),
                        "speedup_median": float(s["speedup"].median()) if len(s) else math.nan,
                        "speedup_max": float(s["speedup"].max()) if len(s) else math.nan,
                        "share_front_faster": float((s["speedup"] > 1).mean()) if len(s) else math.nan,
                    }
                )
    frame = pd.DataFrame(rows)
    # NaN where no internal network with a published accuracy fits (then any hybrid accuracy is a gain).
    frame["top1_gain"] = frame["hybrid_best_top1"] - frame["internal_best_top1"]
    frame["faster_at_equal_macs"] = frame["speedup_median"] > 1
    frame["admits_larger"] = frame["hybrid_largest_macs"] > frame["internal_largest_macs"].fillna(0)
    return frame


def run(quick: bool, out: Path) -> dict[str, Any]:
    from tinyops.latency_model import load_board

    run_ = _common.Run(EXPERIMENT, quick, out)
    base = load_board(BASE_BOARD)
    grid = _archs.QUICK_GRID if quick else _archs.FULL_GRID
    sweep = run_.table(
        "sweep",
        sweep_rows(
            base, QUICK_SRAM_KB if quick else FULL_SRAM_KB, QUICK_FLASH_KB if quick else FULL_FLASH_KB, grid.archs()
        ),
    )
    run_.table(
        "base_board",
        pd.DataFrame(
            [
                {
                    "board": base.name,
                    "version": base.version,
                    "label": _common.board_label(base) + "; SRAM/flash sizes swept "
                    "(derived boards, sizes marked estimate)",
                }
            ]
        ),
    )
    summary: dict[str, Any] = {"size_pairs": int(len(sweep) // 2)}
    for strategy in ("tinyops", "optimal"):
        s = sweep[sweep["strategy"] == strategy]
        wins = s[s["speedup_median"] > 1]
        summary[f"{strategy}:pairs_faster_at_equal_macs"] = int(len(wins))
        summary[f"{strategy}:max_sram_kb_faster"] = int(wins["sram_kb"].max()) if len(wins) else 0
        summary[f"{strategy}:pairs_admitting_larger"] = int(s["admits_larger"].sum())
    run_.finish(summary)
    return summary


def main(argv: Sequence[str] | None = None) -> None:
    args = _common.parse_args(__doc__.splitlines()[0], argv)
    for key, value in run(args.quick, args.out).items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
