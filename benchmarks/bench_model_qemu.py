"""Whole-model instructions per MAC under QEMU (mps2-an500, Cortex-M7 build), per strategy, with a per-op-kind profile.

Models: the shared r064 model (../shared/models/tflite/proxyless-w0.30-r064_int8.tflite, read in place; skipped
when absent) and a generated ProxylessNAS-style int8 model with 3x3, 5x5 and 7x7 depthwise kernels (the arch
JSON from latency_model.examples.build_arch, a seeded PyTorch model of it, post-training quantized by the
search's PTQ exporter on seeded random images: timing does not depend on the values). Each is compiled for
qemu-mps2-an500 under each strategy (`tinyops`, `optimal` by default) and run once on the firmware runner
(Release build) under ``qemu-system-arm -icount shift=0`` with the project's instruction-counting TCG plugin,
which marks ``tinyops_run_begin`` / ``tinyops_run_end``: the instructions of the whole run_model, exactly.
MACs are the model's nominal multiply-accumulates (every tap of every window, TFLite's count). Per op kind, the
runner's per-op times (SysTick ticks; 40 instructions a tick with -icount shift=0) give the share and the
instructions per MAC. Prints the tables; asserts nothing.

    .venv/bin/python benchmarks/bench_model_qemu.py [--strategies tinyops optimal] [--runner-build DIR]
        [--models r064 proxyless] [--ops N] [--profile N]

--runner-build DIR runs another build of the runner (e.g. one configured from another checkout) on the same
blobs, to compare firmware versions. --ops N adds each model's N most expensive ops (shape, instructions per
MAC); --profile N a flat profile of each run (instructions per function, the N most executed instructions).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_kernels_qemu import print_profile, symbol_addresses  # noqa: E402  (the same ELF helpers)

R064 = REPO.parent / "shared" / "models" / "tflite" / "proxyless-w0.30-r064_int8.tflite"
PORT = "qemu-mps2-an500"
INSTRUCTIONS_PER_TICK = 40  # 25 MHz SysTick, 1 ns per instruction (-icount shift=0): hil/_qemu.py
MARKS = ("tinyops_run_begin", "tinyops_run_end")
TARGET = 3.0  # issue 13: instructions per MAC over the whole model


@dataclass
class ModelRun:
    model: str
    strategy: str
    macs: int
    instructions: int
    per_kind: dict[str, tuple[int, int]]  # op kind -> (instructions from the runner's per-op ticks, MACs)
    per_op: list[tuple[str, int, int]]  # (op index, kind and output shape; instructions; MACs)
    profile: dict[int, int]  # instruction address -> executions (with --profile)


def op_macs(model, op) -> int:  # type: ignore[no-untyped-def]
    """Nominal MACs of one op of a tinyops.compiler.QuantizedModel."""
    from tinyops.compiler import OpKind

    h, w, c = model.tensors[op.output].shape
    if op.kind == OpKind.CONV2D:
        return h * w * c * op.kernel[0] * op.kernel[1] * model.tensors[op.inputs[0]].shape[2]
    if op.kind == OpKind.DEPTHWISE_CONV2D:
        return h * w * c * op.kernel[0] * op.kernel[1]
    if op.kind == OpKind.FULLY_CONNECTED:
        return c * int(np.prod(model.tensors[op.inputs[0]].shape))
    return 0


def kind_label(model, op) -> str:  # type: ignore[no-untyped-def]
    kind = op.kind.value
    if op.kind.value in ("conv2d", "depthwise_conv2d"):
        kind += f" {op.kernel[0]}x{op.kernel[1]}"
        if op.kind.value == "conv2d" and op.kernel == (1, 1):
            kind = "conv2d 1x1"
    return kind


# ProxylessNAS-Mobile's stages (kernel sizes 3/5/7, expansions 3 and 6) at width 0.35 and 96 px: an MCU-sized
# network whose depthwise layers take every kernel size on 48 to 3 px maps.
def proxyless_style_model(seed: int = 0):  # type: ignore[no-untyped-def]
    import torch

    from tinyops.latency_model.examples import Stage, build_arch
    from tinyops.search._data import ImageSplit
    from tinyops.search._handoff import to_quantized_model
    from tinyops.search._quantize import quantize
    from tinyops.search._torch_model import build_model

    stages = [
        Stage(32, 2, 2, 5, 3.0),
        Stage(40, 3, 2, 7, 3.0),
        Stage(80, 3, 2, 7, 6.0),
        Stage(96, 2, 1, 5, 3.0),
        Stage(192, 3, 2, 7, 6.0),
        Stage(320, 1, 1, 7, 6.0),
    ]
    arch = build_arch(
        stages, first_channels=32, feature_mix_channels=1280, width_mult=0.35, resolution=96, num_classes=1000
    )
    torch.manual_seed(seed)
    net = build_model(arch)
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (64, 3, 96, 96), dtype=torch.uint8, generator=generator)
    split = ImageSplit(images, torch.zeros(64, dtype=torch.int64))
    qnet = quantize(net, arch, split, num_batches=2, batch_size=32, seed=seed)
    return to_quantized_model(qnet, name="proxyless-style-w0.35-r096-k357")


def run_counted(blob: bytes, image: np.ndarray, elf: Path, profile: bool = False) -> tuple[int, str, dict[int, int]]:
    """Instructions between the runner's run markers, its console, and (`profile`) the per-address counts."""
    from tinyops.compiler._qemu import blob_run_command

    plugin = elf.parent / "libinsn_count.so"
    if not plugin.is_file():
        sys.exit(f"bench_model_qemu: {plugin} is missing (the port's build makes it beside runner.elf)")
    addresses = symbol_addresses(elf, MARKS)
    with tempfile.TemporaryDirectory(prefix="tinyops-bench-") as tmp:
        report = Path(tmp) / "count.txt"
        plugin_args = ",".join(
            [str(plugin)]
            + [f"mark={n}:{a:#x}" for n, a in addresses.items()]
            + ([f"profile={1 << 20}"] if profile else [])
            + [f"outfile={report}"]
        )
        done = subprocess.run(
            blob_run_command(blob, image, PORT, elf, Path(tmp), plugin=plugin_args),
            capture_output=True,
            text=True,
            timeout=900,
            stdin=subprocess.DEVNULL,
        )
        console = done.stdout + done.stderr
        if done.returncode != 0:
            sys.exit(f"bench_model_qemu: the runner exited with {done.returncode}:\n{console[-2000:]}")
        text = report.read_text()
        marks = dict(re.findall(r"^mark (\S+) \d+ (\d+)$", text, re.MULTILINE))
        counts = {int(a, 16): int(n) for a, n in re.findall(r"^insn (0x[0-9a-f]+) (\d+)$", text, re.MULTILINE)}
    return int(marks[MARKS[1]]) - int(marks[MARKS[0]]), console, counts


def measure(name: str, model, strategy: str, elf: Path, profile: bool) -> ModelRun:  # type: ignore[no-untyped-def]
    from tinyops.compiler import compile_model
    from tinyops.compiler._qemu import parse_console

    compiled = compile_model(model, PORT, strategy)
    image = np.random.default_rng(0).integers(-128, 128, size=model.tensors[model.input].shape, dtype=np.int8)
    instructions, console, counts = run_counted(compiled.blob, image, elf, profile)
    _, op_lines, _, unit = parse_console(console)
    # The blob holds the model's ops in order (a reshape as an in-place op): runner op i is model op i.
    if len(op_lines) != len(model.ops):
        sys.exit(f"bench_model_qemu: {name}: the runner reports {len(op_lines)} ops, the model has {len(model.ops)}")
    per_kind: dict[str, tuple[int, int]] = {}
    per_op = []
    for index, (op, line) in enumerate(zip(model.ops, op_lines)):
        label = kind_label(model, op)
        spent, macs = per_kind.get(label, (0, 0))
        op_spent = line["time"] * INSTRUCTIONS_PER_TICK
        per_kind[label] = (spent + op_spent, macs + op_macs(model, op))
        shape = "x".join(str(d) for d in model.tensors[op.output].shape)
        per_op.append((f"{index:>3} {label} -> {shape}", op_spent, op_macs(model, op)))
    return ModelRun(name, strategy, sum(op_macs(model, op) for op in model.ops), instructions, per_kind, per_op, counts)


def print_run(run: ModelRun, top_ops: int) -> None:
    per_mac = run.instructions / run.macs
    print(
        f"\n{run.model} under {run.strategy}: {run.instructions:,} instructions, {run.macs:,} MACs, "
        f"{per_mac:.2f} instructions/MAC (target <= {TARGET:.1f}: {'met' if per_mac <= TARGET else 'missed'})"
    )
    total = sum(spent for spent, _ in run.per_kind.values())
    print(f"  {'op kind':<22} {'instructions':>13} {'share':>7} {'MACs':>11} {'instr/MAC':>10}")
    for label, (spent, macs) in sorted(run.per_kind.items(), key=lambda item: -item[1][0]):
        per = f"{spent / macs:.2f}" if macs else "-"
        print(f"  {label:<22} {spent:>13,} {spent / total:>7.1%} {macs:>11,} {per:>10}")
    if top_ops:
        print(f"  its {top_ops} most expensive ops:")
        for label, spent, macs in sorted(run.per_op, key=lambda item: -item[1])[:top_ops]:
            per = f"{spent / macs:.2f}" if macs else "-"
            print(f"  {label:<36} {spent:>11,} {spent / total:>7.1%} {macs:>9,} {per:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strategies", nargs="+", default=["tinyops", "optimal"])
    parser.add_argument("--models", nargs="+", choices=["r064", "proxyless"], default=["r064", "proxyless"])
    parser.add_argument("--ops", type=int, default=0, metavar="N", help="print each run's N most expensive ops")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print each run's flat profile")
    parser.add_argument(
        "--runner-build",
        type=Path,
        default=None,
        help=f"a configured firmware build of {PORT} holding runner.elf (default: build/fw-{PORT})",
    )
    args = parser.parse_args()
    if shutil.which("qemu-system-arm") is None:
        sys.exit("bench_model_qemu: qemu-system-arm is not installed (scripts/setup.sh installs it)")
    from tinyops.compiler import import_tflite
    from tinyops.compiler._qemu import runner_elf

    elf = runner_elf(PORT) if args.runner_build is None else args.runner_build / "runner.elf"
    if args.runner_build is not None:
        subprocess.run(
            [
                str(REPO / ".venv/bin/cmake"),
                "--build",
                str(args.runner_build),
                "--target",
                "runner",
                "insn_count_plugin",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    else:  # runner_elf builds the runner; the plugin is a target of the same build
        subprocess.run(
            [str(REPO / ".venv/bin/cmake"), "--build", str(elf.parent), "--target", "insn_count_plugin"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(
        f"Whole-model instructions per MAC, {PORT} (Cortex-M7 build, arm-none-eabi-gcc -O3), QEMU -icount "
        f"shift=0,\ncounted exactly by the insn_count TCG plugin between the runner's run markers ({elf})"
    )
    models = []
    if "r064" in args.models and R064.is_file():
        models.append((R064.stem, import_tflite(R064)))
    elif "r064" in args.models:
        print(f"\n(skipped: {R064} is absent)")
    if "proxyless" in args.models:
        models.append(("proxyless-style-w0.35-r096-k357", proxyless_style_model()))
    for name, model in models:
        for strategy in args.strategies:
            run = measure(name, model, strategy, elf, args.profile > 0)
            print_run(run, args.ops)
            if args.profile:
                print_profile(elf, run.profile, args.profile)


if __name__ == "__main__":
    main()
