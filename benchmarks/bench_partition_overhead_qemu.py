"""Instructions of one inference per execution strategy, counted exactly under QEMU: the cost of
partitioned execution (tinyops, optimal) against the unpartitioned run (external) of the same model.

Compiles the model for each strategy (core planner + blob writer), runs one input through each blob on
the firmware runner under ``qemu-system-arm -M mps2-an500 -icount shift=0`` with the project's
instruction-counting plugin marking ``tinyops_run_begin`` / ``tinyops_run_end`` (so only ``run_model``
is counted: not the loader, not the console), checks that every strategy gives the same output bytes,
and prints the table, with the simulator's prediction for each plan beside it (on QEMU a cycle is an
instruction) so that the predicted gap can be read against the measured one. Asserts nothing (issue 11's
target: partitioned <= 3 % more instructions).

    .venv/bin/python benchmarks/bench_partition_overhead_qemu.py [MODEL.tflite] [--port qemu-mps2-an505] [--board B]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from tinyops.compiler import compile_model
from tinyops.compiler._qemu import blob_run_command, parse_console, runner_elf
from tinyops.hil import FirmwareImage

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO.parent / "shared/models/tflite/proxyless-w0.30-r064_int8.tflite"
PORT = "qemu-mps2-an500"
MARKERS = ("tinyops_run_begin", "tinyops_run_end")


def marker_addresses(elf: Path) -> list[int]:
    image = FirmwareImage(elf)
    if not all(image.has_symbol(name) for name in MARKERS):
        sys.exit(f"bench_partition_overhead_qemu: {elf} has no {' / '.join(MARKERS)} (rebuild the runner)")
    return [image.symbol(name)[0] for name in MARKERS]


def count_run(
    blob: bytes, image: np.ndarray, port: str, elf: Path, plugin: Path
) -> tuple[int, np.ndarray, list[dict[str, int]]]:
    """Instructions between the run markers, the output and the per-op console records of one run."""
    begin, end = marker_addresses(elf)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "count.txt"
        plugin_args = f"{plugin},mark=begin:{begin:#x},mark=end:{end:#x},outfile={report}"
        done = subprocess.run(
            blob_run_command(blob, image, port, elf, Path(tmp), plugin=plugin_args),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            sys.exit(f"bench_partition_overhead_qemu: the runner exited with {done.returncode}:\n{done.stdout[-2000:]}")
        marks = dict(re.findall(r"^mark (begin|end) 0 (\d+)$", report.read_text(), re.MULTILINE))
    output, ops, _, _ = parse_console(done.stdout)
    return int(marks["end"]) - int(marks["begin"]), output, ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path, default=DEFAULT_MODEL)
    parser.add_argument(
        "--port", default=PORT, help="QEMU port whose runner runs the plans (qemu-mps2-an505: PL081 DMA)"
    )
    parser.add_argument("--board", help="board the plans are made for (default: the port's own)")
    parser.add_argument("--strategies", default="external,tinyops,optimal")
    args = parser.parse_args()
    if not args.model.is_file():
        sys.exit(f"bench_partition_overhead_qemu: model not found: {args.model}")
    args.board = args.board or args.port
    elf = runner_elf(args.port)
    # runner_elf builds the runner; the plugin is a target of the same build (without it QEMU exits at once)
    subprocess.run(
        [str(REPO / ".venv/bin/cmake"), "--build", str(elf.parent), "--target", "insn_count_plugin"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    plugin = elf.parent / "libinsn_count.so"
    image = np.random.default_rng(0).integers(-128, 128, size=(1, 64, 64, 3), dtype=np.int8)

    rows, baseline, predicted_baseline, reference_output = [], None, None, None
    for strategy in args.strategies.split(","):
        try:
            compiled = compile_model(args.model, args.board, strategy)
        except RuntimeError as error:
            print(f"{strategy}: not compiled ({error})")
            continue
        shape = compiled.model.tensors[compiled.model.input].shape
        instructions, output, ops = count_run(compiled.blob, image.reshape(shape), args.port, elf, plugin)
        if reference_output is None:
            reference_output = output
        predicted = (compiled.predicted_ms or 0.0) * 1e-3 * compiled.board.clock_hz
        rows.append(
            (
                strategy,
                instructions,
                predicted,
                sum(op["parts"] for op in ops),
                sum(op["dma_bytes"] for op in ops),
                np.array_equal(output, reference_output),
            )
        )
        baseline = baseline or instructions
        predicted_baseline = predicted_baseline or predicted
    if not rows:
        sys.exit("bench_partition_overhead_qemu: no strategy compiled")
    print(f"\nInstructions of one inference ({args.model.name}, plans for {args.board}), runner on {args.port},")
    print("counted exactly between tinyops_run_begin/end by the insn_count plugin; predicted: the simulator's")
    print(f"latency of the plan on {args.board} in cycles (instructions on a QEMU board)\n")
    print(
        f"{'strategy':<10} {'instructions':>13} {'vs first':>9} {'predicted':>11} {'vs first':>9} {'parts':>6} "
        f"{'DMA bytes':>10} {'same output':>12}"
    )
    for strategy, instructions, predicted, parts, dma_bytes, same in rows:
        print(
            f"{strategy:<10} {instructions:>13,} {100 * (instructions / baseline - 1):>+8.2f}% {predicted:>11,.0f} "
            f"{100 * (predicted / predicted_baseline - 1):>+8.2f}% {parts:>6} {dma_bytes:>10,} "
            f"{'yes' if same else 'NO':>12}"
        )


if __name__ == "__main__":
    main()
