"""MobileNetV3-Large as published (squeeze-and-excite in its 40-, 112- and 160-channel stages) against the same
network without SE, under every strategy: simulated latency, peak SRAM, external traffic, and the share of
the latency spent in the SE ops (pool, reduce conv, expand conv, mul), per board.

    .venv/bin/python benchmarks/bench_squeeze_excite.py [--boards stm32f746g-disco,stm32h747i-disco]
        [--resolutions 224,160] [--width 1.0]
"""

from __future__ import annotations

import argparse
import time

from tinyops.latency_model import examples, load_arch, simulate

STRATEGIES = ("internal", "external", "tinyops", "optimal")


def se_op_ids(arch: dict) -> set[int]:
    """Each SE block's four ops: the mul and the pool and two 1x1 convs right before it."""
    net = load_arch(arch)
    ids: set[int] = set()
    for op in net.ops:
        if op.kind == "mul":
            ids.update(range(op.id - 3, op.id + 1))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", default="stm32f746g-disco,stm32h747i-disco")
    parser.add_argument("--resolutions", default="224,160")
    parser.add_argument("--width", type=float, default=1.0)
    args = parser.parse_args()
    print(
        f"{'board':18} {'res':>4} {'strategy':9} {'SE ms':>9} {'no-SE ms':>9} {'SE/no-SE':>8} "
        f"{'SE ops %':>8} {'peak SRAM KB':>12} {'ext MB':>7} {'plan+sim ms':>11}"
    )
    for board in args.boards.split(","):
        for resolution in (int(r) for r in args.resolutions.split(",")):
            with_se = examples.mobilenet_v3(args.width, resolution, se=True)
            without = examples.mobilenet_v3(args.width, resolution)
            se_ids = se_op_ids(with_se)
            for strategy in STRATEGIES:
                start = time.perf_counter()
                r = simulate(with_se, board, strategy)
                elapsed_ms = (time.perf_counter() - start) * 1e3
                if not r.fits:
                    print(f"{board:18} {resolution:>4} {strategy:9} does not fit: {r.why[:90]}")
                    continue
                base = simulate(without, board, strategy)
                per_op = r.per_op
                spans = per_op["end_cycles"] - per_op["start_cycles"]
                se_share = float(spans[per_op["op"].isin(se_ids)].sum() / r.total_cycles)
                print(
                    f"{board:18} {resolution:>4} {strategy:9} {r.latency_ms:9.1f} {base.latency_ms:9.1f} "
                    f"{r.latency_ms / base.latency_ms:8.3f} {100 * se_share:8.1f} {r.peak_sram_bytes / 1024:12.1f} "
                    f"{r.external_bytes / 1e6:7.2f} {elapsed_ms:11.1f}"
                )


if __name__ == "__main__":
    main()
