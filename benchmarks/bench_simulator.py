"""Simulator throughput: networks scored per second per strategy, MobileNetV2/V3-size networks.

Prints, per strategy (figures, not assertions):
  - simulate: a prebuilt plan scored in a C++ loop (µs per network, the quickest of 10 chunks of runs), and the
    same by the plain ReferenceSimulator that the fast Simulator is checked against bit for bit (its speed-up);
  - plan + simulate of prebuilt Networks by one BatchScorer in a C++ loop, and through one Python `Scorer`
    (µs per network; best of 5 passes over the batch: the first warms them up, as a search's first batch does);
  - networks scored per second from prebuilt Networks (plan + simulate, C++);
  - JSON -> Network -> plan -> score in a C++ loop (µs per network), and the same batch through `Scorer.score`
    (GIL released) with its ratio to the C++ loop;
then each target of issue 2 with the figure that decides it.
Targets (issue 2): fixed strategies ≥ 100,000 networks/s on one core (≤ 10 µs each); optimal ≤ 2 ms per
network; the Python batch call within 1.5x of the C++ loop.

Run: .venv/bin/python benchmarks/bench_simulator.py [--board stm32f746g-disco] [--copies 50]
"""

from __future__ import annotations

import argparse
import json
import time

from rich.console import Console
from rich.table import Table

from tinyops import _core
from tinyops.latency_model import Scorer, examples, load_arch, load_board, plan, strategies

NETWORKS = {
    "mbv2-w1.00-r224": examples.mobilenet_v2(1.0, 224),
    "mbv3-w1.00-r224": examples.mobilenet_v3(1.0, 224),
    "mnasnet-w1.00-r224": examples.mnasnet(1.0, 224),
    "mbv2-w0.35-r144": examples.mobilenet_v2(0.35, 144),
    "mbv3-w0.55-r128": examples.mobilenet_v3(0.55, 128),
}


def best_of(fn, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="stm32f746g-disco")
    parser.add_argument("--copies", type=int, default=40, help="batch = this many copies of each network")
    args = parser.parse_args()

    board = load_board(args.board)
    texts = [json.dumps(a) for a in NETWORKS.values()] * args.copies
    networks = [load_arch(a) for a in NETWORKS.values()]
    table = Table(
        title=f"Simulator throughput on {board.name} ({len(NETWORKS)} MobileNet-size networks, batch of {len(texts)})"
    )
    for col in (
        "strategy",
        "simulate µs",
        "reference µs",
        "plan+sim µs (prebuilt, C++)",
        "networks/s (prebuilt, C++)",
        "prebuilt, Python batch µs",
        "JSON+plan+sim µs (C++)",
        "same, Python batch µs",
        "Python / C++",
    ):
        table.add_column(col, justify="left" if col == "strategy" else "right")
    plan_sim_us: dict[str, float] = {}
    ratios = {"JSON": 0.0, "prebuilt": 0.0}  # worst Python batch / C++ loop
    for strategy in strategies():
        sim_us, ref_us = [], []
        for net in networks:
            p = plan(net, board, strategy)
            if p.fits:
                runs = 2000 if strategy != "optimal" else 200
                sim_us.append(_core.time_simulate_cpp(net, p, board, runs) * 1e6)
                ref_us.append(_core.time_simulate_cpp(net, p, board, runs, reference=True) * 1e6)
        prebuilt = networks * args.copies
        prebuilt_cpp_s = _core.time_score_networks_cpp(prebuilt, [strategy], board, 5) / len(prebuilt)
        scorer = Scorer(board, [strategy])
        prebuilt_s = best_of(lambda s=scorer, nets=prebuilt: s.score(nets)) / len(prebuilt)
        cpp_s = _core.time_score_batch_cpp(texts, [strategy], board, 5) / len(texts)
        py_s = best_of(lambda s=scorer: s.score(texts)) / len(texts)
        plan_sim_us[strategy] = prebuilt_cpp_s * 1e6
        ratios["JSON"] = max(ratios["JSON"], py_s / cpp_s)
        ratios["prebuilt"] = max(ratios["prebuilt"], prebuilt_s / prebuilt_cpp_s)
        table.add_row(
            strategy,
            f"{sum(sim_us) / len(sim_us):.2f}" if sim_us else "-",
            f"{sum(ref_us) / len(ref_us):.2f}" if ref_us else "-",
            f"{prebuilt_cpp_s * 1e6:.2f}",
            f"{1 / prebuilt_cpp_s:,.0f}",
            f"{prebuilt_s * 1e6:.2f}",
            f"{cpp_s * 1e6:.2f}",
            f"{py_s * 1e6:.2f}",
            f"{py_s / cpp_s:.2f}x",
        )
    console = Console(width=200)
    console.print(table)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    fixed = {s: us for s, us in plan_sim_us.items() if s != "optimal"}
    console.print("Targets (issue 2), on this machine:")
    console.print(
        "  fixed strategies >= 100,000 networks/s (<= 10 µs plan + simulate of a prebuilt network): "
        + ", ".join(f"{s} {us:.2f} µs {verdict(us <= 10)}" for s, us in fixed.items())
    )
    if "optimal" in plan_sim_us:
        console.print(
            f"  optimal <= 2 ms: {plan_sim_us['optimal'] / 1000:.3f} ms {verdict(plan_sim_us['optimal'] <= 2000)}"
        )
    console.print(
        "  Python batch within 1.5x of the C++ loop: worst "
        + ", ".join(f"{r:.2f}x from {kind} {verdict(r <= 1.5)}" for kind, r in ratios.items())
    )


if __name__ == "__main__":
    main()
