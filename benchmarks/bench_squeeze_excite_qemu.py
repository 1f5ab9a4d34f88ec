"""MobileNetV3-Large with squeeze-and-excite, run whole under QEMU (mps2-an500, Cortex-M7 build): instructions per
MAC per strategy, and the share of the SE ops (the mean, the reduce and expand 1x1 convolutions and the gate mul
of every SE block) and of the gate muls alone, beside the same network without SE.

The models are generated as bench_model_qemu.py generates its ProxylessNAS-style model: the arch JSON of
latency_model.examples.mobilenet_v3 (SE in the 40-, 112- and 160-channel stages as published; width and
resolution by argument), a seeded PyTorch model of it, post-training quantized by the search's PTQ exporter on
seeded random images (timing does not depend on the values). Each is compiled for qemu-mps2-an500 under each
strategy and run once on the firmware runner under ``qemu-system-arm -icount shift=0`` with the
instruction-counting plugin (bench_model_qemu.run_counted): the instructions of the whole run_model, exactly.
MACs are the nominal multiply-accumulates of the convolutions and the classifier (mul and mean count none);
the SE share comes from the runner's per-op times (40 instructions a tick). Prints the table; asserts nothing.

    .venv/bin/python benchmarks/bench_squeeze_excite_qemu.py [--width 0.35] [--resolution 96]
        [--strategies external internal tinyops optimal]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_model_qemu import INSTRUCTIONS_PER_TICK, PORT, op_macs, run_counted  # noqa: E402

STRATEGIES = ("external", "internal", "tinyops", "optimal")


def mobilenet_v3_model(width: float, resolution: int, se: bool, seed: int = 0):  # type: ignore[no-untyped-def]
    import torch

    from tinyops.latency_model import examples
    from tinyops.search._data import ImageSplit
    from tinyops.search._handoff import to_quantized_model
    from tinyops.search._quantize import quantize
    from tinyops.search._torch_model import build_model

    arch = examples.mobilenet_v3(width, resolution, se=se)
    torch.manual_seed(seed)
    net = build_model(arch)
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (64, 3, resolution, resolution), dtype=torch.uint8, generator=generator)
    split = ImageSplit(images, torch.zeros(64, dtype=torch.int64))
    qnet = quantize(net, arch, split, num_batches=2, batch_size=32, seed=seed)
    name = f"mbv3-large{'-se' if se else ''}-w{width}-r{resolution:03d}"
    return to_quantized_model(qnet, name=name)


def se_ops(model) -> set[int]:  # type: ignore[no-untyped-def]
    """Indices of the ops of every SE block: those named under a gate mul's block label."""
    labels = [op.name.removesuffix(".mul") + "." for op in model.ops if op.kind.value == "mul"]
    return {k for k, op in enumerate(model.ops) if any(op.name.startswith(label) for label in labels)}


def run(model, strategy: str, elf: Path) -> tuple[int, int, float, float] | str:  # type: ignore[no-untyped-def]
    """(instructions, MACs, SE ops' and gate muls' shares of the per-op time), or why the strategy does not fit."""
    from tinyops.compiler import PlanDoesNotFit, compile_model
    from tinyops.compiler._qemu import parse_console

    try:
        compiled = compile_model(model, PORT, strategy)
    except PlanDoesNotFit as e:
        return str(e)[:100]
    image = np.random.default_rng(0).integers(-128, 128, size=model.tensors[model.input].shape, dtype=np.int8)
    instructions, console = run_counted(compiled.blob, image, elf)
    _, op_lines, _, _ = parse_console(console)
    times = [line["time"] * INSTRUCTIONS_PER_TICK for line in op_lines]
    se = se_ops(model)
    total = max(sum(times), 1)
    share = sum(t for k, t in enumerate(times) if k in se) / total
    mul_share = sum(t for t, op in zip(times, model.ops) if op.kind.value == "mul") / total
    return instructions, sum(op_macs(model, op) for op in model.ops), share, mul_share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=float, default=0.35)
    parser.add_argument("--resolution", type=int, default=96)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    args = parser.parse_args()
    if shutil.which("qemu-system-arm") is None:
        sys.exit("bench_squeeze_excite_qemu: qemu-system-arm is not installed (scripts/setup.sh installs it)")
    from tinyops.compiler._qemu import runner_elf

    elf = runner_elf(PORT)
    subprocess.run(
        [str(REPO / ".venv/bin/cmake"), "--build", str(elf.parent), "--target", "insn_count_plugin"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"MobileNetV3-Large w{args.width} r{args.resolution} on {PORT} (QEMU -icount shift=0, exact counts)")
    print(
        f"{'model':28} {'strategy':9} {'instructions':>13} {'MACs':>11} {'instr/MAC':>9} {'SE ops %':>8} {'mul %':>6}"
    )
    for se in (True, False):
        model = mobilenet_v3_model(args.width, args.resolution, se)
        for strategy in args.strategies:
            result = run(model, strategy, elf)
            if isinstance(result, str):
                print(f"{model.name:28} {strategy:9} does not fit: {result}")
                continue
            instructions, macs, share, mul_share = result
            print(
                f"{model.name:28} {strategy:9} {instructions:>13,} {macs:>11,} {instructions / macs:>9.2f} "
                f"{100 * share:>8.1f} {100 * mul_share:>6.1f}"
            )


if __name__ == "__main__":
    main()
