"""Is `optimal` ever slower than a fixed strategy that fits? The sweep of issue 11, as a new user would try it.

Every example family (MobileNetV2, MobileNetV3, MNASNet: latency_model/examples.py) at widths 0.2-1.0 and
resolutions 64-224 on the F746, F469 and F769 discovery boards: 324 networks. Per board it prints how many
networks fit some strategy, in how many `optimal` is slower than the fastest fitting fixed strategy (internal,
external, tinyops; target 0), the worst ratio optimal / best fixed, which strategy `optimal`'s plan came from,
and the same count and worst ratio for optimal's own search alone (`_core.plan_optimal(..., fixed_strategies=
False)`: what `optimal` returned before it kept a faster fixed strategy's plan). Last, per board, how often
`optimal`'s plan uses output overlays and cross-op param prefetch (networks, ops) and what each gains: optimal /
optimal planned without it (`output_overlays=False`, `prefetch_params=False`), median and best over the
networks that use it.

    python benchmarks/bench_optimal_dominance.py [--boards B ...] [--list]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter

from tinyops import _core
from tinyops.latency_model import dominance, family_grid, load_arch, load_board, optimal_origin, plan

BOARDS = ["stm32f746g-disco", "stm32f469i-disco", "stm32f769i-disco"]
WIDTHS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
RESOLUTIONS = [64, 112, 160, 224]


def search_alone_ms(arch: dict, board: _core.Board) -> float:
    """The latency of optimal's own search plan, without the fixed strategies' plans."""
    net = load_arch(arch)
    searched = _core.plan_optimal(net, board, fixed_strategies=False)
    return _core.simulate(net, searched, board, False).latency_ms if searched.fits else float("nan")


PARAMS = ("weights", "bias", "quant")


def prefetches_params(op: dict) -> bool:
    """Whether an op of a plan JSON copies params with its first part's copy_in (ahead, across ops)."""
    return any(t["operand"] in PARAMS for t in op["parts"][0]["copy_in"])


def feature_use(
    archs: dict, networks: list[str], board: _core.Board, feature: str
) -> tuple[int, int, int, list[float]]:
    """Over `networks`: how many optimal plans use `feature` (output_overlays, prefetch_params), in how many ops
    of how many, and per such network the ratio of its latency to optimal's planned without it."""
    using, feature_ops, ops, ratios = 0, 0, 0, []
    for name in networks:
        net = load_arch(archs[name])
        planned = _core.plan_optimal(net, board)
        doc = json.loads(planned.to_json())
        uses = (lambda o: o["output_overlay"]) if feature == "output_overlays" else prefetches_params
        n = sum(bool(uses(o)) for o in doc["ops"])
        ops += len(doc["ops"])
        if n == 0:
            continue
        using, feature_ops = using + 1, feature_ops + n
        without = _core.plan_optimal(net, board, **{feature: False})
        ratios.append(
            _core.simulate(net, planned, board, False).latency_ms
            / _core.simulate(net, without, board, False).latency_ms
        )
    return using, feature_ops, ops, ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", nargs="+", default=BOARDS)
    parser.add_argument("--list", action="store_true", help="print every network where optimal loses")
    args = parser.parse_args()
    archs = family_grid(WIDTHS, RESOLUTIONS)
    print(
        f"{len(archs)} networks per board: {', '.join(sorted({n.split('-')[0] for n in archs}))} x widths "
        f"{WIDTHS[0]}-{WIDTHS[-1]} x resolutions {RESOLUTIONS[0]}-{RESOLUTIONS[-1]}"
    )
    print(
        f"{'board':18} {'fit':>4} {'loses':>5} {'worst opt/best':>14} {'at':20}  "
        "search alone: loses, worst | fastest fixed strategy (networks) | optimal's plan from (networks)"
    )
    total_losses = 0
    for name in args.boards:
        board = load_board(name)
        frame = dominance(archs, board)
        fitting = frame[frame["best_fixed"] != ""]
        losing = fitting[fitting["loses"]]
        total_losses += len(losing)
        worst = fitting.loc[fitting["ratio"].idxmax()] if len(fitting) else None
        best = Counter(fitting["best_fixed"])
        origin = Counter(optimal_origin(plan(archs[n], board, "optimal")) for n in fitting["network"])
        alone = [search_alone_ms(archs[row.network], board) / row.best_fixed_ms for row in fitting.itertuples()]
        print(
            f"{name:18} {len(fitting):4d} {len(losing):5d} "
            f"{(worst['ratio'] if worst is not None else float('nan')):14.4f} "
            f"{(worst['network'] if worst is not None else '-'):20}  "
            f"{sum(r > 1 for r in alone):4d}, {max(alone, default=float('nan')):.4f} | "
            + ", ".join(f"{s} {n}" for s, n in sorted(best.items()))
            + " | "
            + ", ".join(f"{s} {n}" for s, n in sorted(origin.items()))
        )
        for feature in ("output_overlays", "prefetch_params"):
            using, feature_ops, ops, ratios = feature_use(archs, list(fitting["network"]), board, feature)
            print(
                f"{'':18} {feature}: {using} of {len(fitting)} networks, {feature_ops} of {ops} ops; optimal / "
                f"optimal without: median {statistics.median(ratios) if ratios else float('nan'):.4f}, "
                f"best {min(ratios, default=float('nan')):.4f}"
            )
        if args.list:
            for row in losing.itertuples():
                print(
                    f"    {row.network}: optimal {row.optimal_ms:.2f} ms > {row.best_fixed} {row.best_fixed_ms:.2f} ms"
                )
    print(f"networks where optimal is slower than a fitting strategy: {total_losses} (target 0)")
    return 1 if total_losses else 0


if __name__ == "__main__":
    sys.exit(main())
