"""The planners on the built-in examples: simulated latency per strategy and the time to plan + score one network.

Prints, per network on one board (default STM32F746G-DISCO): external / tinyops / optimal latency, the speed-ups
tinyops over external and optimal over tinyops, peak SRAM, and per strategy the milliseconds one network takes to
parse, plan and simulate in a C++ loop (the optimal planner's target: <= 2 ms per MobileNet-size network).

    python benchmarks/bench_planners.py [--board NAME] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tinyops import _core
from tinyops.latency_model import examples, load_board

REPO = Path(__file__).resolve().parents[1]
SHARED_MBV3 = REPO.parent / "shared" / "models" / "arch" / "mbv3-w1.00-r224.json"
STRATEGIES = ["external", "tinyops", "optimal"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="stm32f746g-disco")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes (best kept)")
    args = parser.parse_args()
    board = load_board(args.board)

    archs = {name: json.dumps(examples.builtin(name)) for name in examples.BUILTIN}
    if SHARED_MBV3.is_file():
        archs["mbv3-w1.00-r224 (shared)"] = SHARED_MBV3.read_text()
    else:
        print(f"({SHARED_MBV3} absent: the shared MobileNetV3 is left out)")

    print(f"board {args.board}")
    header = (
        f"{'network':28} {'external ms':>11} {'tinyops ms':>10} {'optimal ms':>10} {'tiny/ext':>8} "
        f"{'opt/tiny':>8} {'SRAM tiny':>9} {'SRAM opt':>9} " + " ".join(f"{s + ' ms/net':>16}" for s in STRATEGIES)
    )
    print(header)
    for name, text in archs.items():
        scores = _core.score_batch([text], STRATEGIES, board)
        latency = dict(zip(scores["strategy"], scores["latency_ms"]))
        sram = dict(zip(scores["strategy"], scores["peak_sram_bytes"]))
        per_net_ms = [1e3 * _core.time_score_batch_cpp([text], [s], board, args.repeats) for s in STRATEGIES]
        print(
            f"{name:28} {latency['external']:11.1f} {latency['tinyops']:10.1f} {latency['optimal']:10.1f} "
            f"{latency['tinyops'] / latency['external']:8.3f} {latency['optimal'] / latency['tinyops']:8.3f} "
            f"{sram['tinyops']:9d} {sram['optimal']:9d} " + " ".join(f"{t:16.3f}" for t in per_net_ms)
        )


if __name__ == "__main__":
    main()
