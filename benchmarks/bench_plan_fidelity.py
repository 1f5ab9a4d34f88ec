"""Plan fidelity: the latency the blob predicts (the simulator's score of the very plan it carries) against
what the firmware runner measures running that blob under QEMU, per network and strategy, and the share of
ops whose measured time is within ±10 % of their predicted span.

Networks: the shared ProxylessNAS r064 model and generated ones (the HIL micro-benchmarks' MBConv blocks and
network tails, seeded int8 weights). Boards: the catalog's fitted qemu-mps2-an500 (copies by CPU) and
qemu-mps2-an505 (PL081 DMA), whose clock is QEMU's 1 GHz instruction clock under ``-icount shift=0``; the
runner's timer ticks every `instructions_per_tick` instructions (read from its ELF: compiler._ports.qemu_port).
Nothing here is asserted; the figures are printed.

    .venv/bin/python benchmarks/bench_plan_fidelity.py [--networks N] [--seed S] [--boards B ...]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

R064 = Path(__file__).resolve().parents[1].parent / "shared/models/tflite/proxyless-w0.30-r064_int8.tflite"
BOARDS = ("qemu-mps2-an500", "qemu-mps2-an505")
STRATEGIES = ("external", "internal", "tinyops", "optimal")  # external first: the "vs external" base


def predicted_per_op(compiled: Any, board: Any) -> list[float | None]:
    """Each IR op's span in the simulated plan (cycles), None for a reshape (no core op)."""
    from tinyops import _core

    rows = {r["op"]: r for r in _core.simulate(compiled.mapping.network, compiled.plan, board, False).per_op}
    return [
        None if c is None else float(rows[c]["end_cycles"] - rows[c]["start_cycles"]) for c in compiled.mapping.core_op
    ]


def main() -> None:
    from tinyops.compiler import import_tflite
    from tinyops.hil._microbench import _blocks, _network_tail

    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", type=int, default=20, help="generated networks besides r064")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boards", nargs="+", default=list(BOARDS))
    args = parser.parse_args()
    models = [("r064", import_tflite(R064))] if R064.is_file() else []
    models += (_blocks(args.seed) + _network_tail(args.seed))[: args.networks]
    for board_name in args.boards:
        fidelity(board_name, models, args.seed)


def fidelity(board_name: str, models: list[tuple[str, Any]], seed: int) -> None:
    from tinyops.compiler import PlanDoesNotFit, compile_model
    from tinyops.compiler._ports import qemu_port
    from tinyops.compiler._qemu import run_blob_in_qemu, runner_elf
    from tinyops.latency_model import load_board

    board = load_board(board_name)
    # Instructions per timer tick, as cycles of the board's clock (QEMU's 1 GHz instruction clock).
    ticks_to_cycles = qemu_port(board_name).instructions_per_tick * board.clock_hz / 1e9
    elf = runner_elf(board_name)
    rng = np.random.default_rng(seed)
    print(f"board {board_name} (catalog v{board.version}), runner {elf}; {len(models)} networks\n")
    print(
        "vs external: the strategy's time over the external plan's, predicted / measured (what the plan itself\n"
        "changes, apart from the board's kernel costs)\n"
    )
    print(
        f"{'network':34s}{'strategy':>10s}{'predicted ms':>14s}{'measured ms':>13s}{'error':>9s}{'ops ±10%':>10s}"
        f"{'vs external':>16s}"
    )
    per_strategy: dict[str, dict[str, list[float]]] = {
        s: {"errors": [], "within": [], "ratio_errors": []} for s in STRATEGIES
    }
    for name, model in models:
        image = rng.integers(-128, 128, size=model.tensors[model.input].shape, dtype=np.int8)
        base: tuple[float, float] | None = None
        for strategy in STRATEGIES:
            try:
                compiled = compile_model(model, board, strategy)
            except PlanDoesNotFit:
                print(f"{name:34s}{strategy:>10s}{'does not fit':>14s}")
                continue
            run = run_blob_in_qemu(compiled.blob, image, port=board_name, elf=elf)
            measured_ms = run.total * ticks_to_cycles / board.clock_hz * 1e3
            error = (compiled.predicted_ms - measured_ms) / measured_ms
            within = []
            for predicted, op in zip(predicted_per_op(compiled, board), run.ops):
                measured = op["time"] * ticks_to_cycles
                if predicted is not None and measured >= 100 * ticks_to_cycles:  # ops of >= 100 ticks (4 µs)
                    within.append(abs(predicted - measured) <= 0.10 * measured)
            share = float(np.mean(within)) if within else float("nan")
            s = per_strategy[strategy]
            s["errors"].append(error)
            s["within"] += within
            if strategy == "external":
                base = (compiled.predicted_ms, measured_ms)
            ratio = f"{compiled.predicted_ms / base[0]:7.3f} /{measured_ms / base[1]:6.3f}" if base else ""
            if base:
                s["ratio_errors"].append(compiled.predicted_ms / base[0] - measured_ms / base[1])
            print(
                f"{name:34s}{strategy:>10s}{compiled.predicted_ms:14.3f}{measured_ms:13.3f}{100 * error:+8.1f}%"
                f"{100 * share:9.0f}%{ratio:>16s}"
            )
    print(
        f"\n{board_name}\n{'strategy':10s}{'networks':>10s}{'max |total error|':>19s}{'mean total error':>18s}"
        f"{'ops within ±10%':>17s}{'max |vs-external error|':>26s}"
    )
    for strategy, s in per_strategy.items():
        if not s["errors"]:
            continue
        e = np.array(s["errors"])
        r = np.array(s["ratio_errors"]) if s["ratio_errors"] else np.array([np.nan])
        print(
            f"{strategy:10s}{len(e):10d}{100 * np.max(np.abs(e)):18.1f}%{100 * np.mean(e):+17.1f}%"
            f"{100 * np.mean(s['within']):15.1f}% of {len(s['within']):<5d}{100 * np.max(np.abs(r)):14.1f} points"
        )
    print()


if __name__ == "__main__":
    main()
