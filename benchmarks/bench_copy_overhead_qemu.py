"""What a CPU copy costs on QEMU an500 beyond the model's bytes x memcpy_cycles_per_byte (issue 11, item 3).

On the an500 (no DMA) every transfer of a plan is a synchronous CPU copy, which the simulator prices at
bytes x (memcpy_cycles_per_byte + the memories' per-byte costs) and nothing per copy. Per generated network
tail (the HIL micro-benchmarks' 1x1 convs and depthwise blocks), this runs the `external` plan (no copies) and
the `tinyops` plan (input, weights, bias and quant copied into SRAM) in the an500 runner and prints what the
copies add, predicted and measured, and the part the model misses per transfer. Where the two plans differ
only by their copies (inputs of 1-2 rows, one part), that remainder is the copy's fixed cost; where tinyops
splits an op into row parts, kernel-cost differences between the plans mix in. Nothing is asserted.

    .venv/bin/python benchmarks/bench_copy_overhead_qemu.py [--seed S]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

BOARD = "qemu-mps2-an500"


def main() -> None:
    from tinyops.compiler import compile_model
    from tinyops.compiler._ports import qemu_port
    from tinyops.compiler._qemu import run_blob_in_qemu, runner_elf
    from tinyops.hil._microbench import _network_tail
    from tinyops.latency_model import load_board

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    board = load_board(BOARD)
    elf = runner_elf(BOARD)
    ticks_to_cycles = qemu_port(BOARD).instructions_per_tick * board.clock_hz / 1e9
    rng = np.random.default_rng(args.seed)
    print(f"{BOARD} (catalog v{board.version}): cycles = instructions; runner {elf}")
    print(
        f"{'network':22s}{'parts':>6s}{'copies':>7s}{'bytes':>7s}{'predicted +':>12s}{'measured +':>11s}{'per copy':>10s}"
    )
    single_part: list[float] = []
    for name, model in _network_tail(args.seed):
        image = rng.integers(-128, 128, size=model.tensors[model.input].shape, dtype=np.int8)
        runs = {}
        for strategy in ("external", "tinyops"):
            compiled = compile_model(model, board, strategy)
            measured = run_blob_in_qemu(compiled.blob, image, port=BOARD, elf=elf).total * ticks_to_cycles
            runs[strategy] = (compiled, compiled.predicted_ms * 1e-3 * board.clock_hz, measured)
        (_, predicted_external, measured_external), (tinyops, predicted, measured) = runs.values()
        copies = tinyops.layout.transfer_count
        copied = sum(
            t["src"]["bytes"]
            for o in tinyops.plan_json["ops"]
            for part in o["parts"]
            for key in ("copy_in", "copy_when_due", "copy_out")
            for t in part.get(key, [])
        )
        missed = ((measured - measured_external) - (predicted - predicted_external)) / max(copies, 1)
        parts = tinyops.layout.part_count
        if parts == len(tinyops.model.ops):
            single_part.append(missed)
        print(
            f"{name:22s}{parts:6d}{copies:7d}{copied:7d}{predicted - predicted_external:+12.0f}"
            f"{measured - measured_external:+11.0f}{missed:+10.0f}"
        )
    if single_part:
        print(
            f"\nnetworks whose tinyops plan runs every op in one part: {len(single_part)}; cycles the model misses "
            f"per copy: median {statistics.median(single_part):.0f}, range {min(single_part):.0f}-{max(single_part):.0f}"
        )


if __name__ == "__main__":
    main()
