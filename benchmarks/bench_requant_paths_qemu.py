"""The DSP kernels' requantization paths on QEMU: one 1x1 convolution and one 3x3 depthwise layer (r064's
shapes), each with the output quantization that puts every channel on one path: a right shift of 1..22 bits
(fast) or a left shift (as ReLU6 layers of real models), on a ReLU6 range narrower than int8 (clamped by
compare-and-move) or the full range (zero point -128, scale 6/255: one SSAT), and a right shift beyond 22 bits
(the general path). Per variant: instructions measured, their ratio to the fast clamped variant, and the
catalog board's prediction.

    .venv/bin/python benchmarks/bench_requant_paths_qemu.py [--board qemu-mps2-an500]

Counts are instructions (QEMU -icount shift=0; deterministic, so one repetition). Nothing is asserted here.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable

from tinyops.compiler import QuantizedModel

# (name, output scale, output zero point, activation)
VARIANTS = (
    ("fast, clamped", 0.1, -3, "relu6"),
    ("fast, full range", 6 / 255, -128, "relu6"),
    ("left shift, clamped", 1e-4, -3, "relu6"),
    ("left shift, full range", 1e-4, -128, "relu6"),
    ("general", 4000.0, -128, "none"),
)


def layer(name: str, shape: tuple[int, int, int], scale: float, zero_point: int, act: str) -> QuantizedModel:
    from tinyops.hil._microbench import _Builder

    builder = _Builder(name, shape, seed=7, out_scale=scale, out_zero_point=zero_point)
    body: dict[str, Callable[[], int]] = {
        "conv1x1": lambda: builder.conv(0, 24, 1, act=act),
        "dw3x3": lambda: builder.depthwise(0, 3, 1, act=act),
    }
    return builder.build(body[name.split("-")[0]]())


def main() -> None:
    from tinyops.hil import QemuTarget
    from tinyops.hil._measure import measure
    from tinyops.hil._pipeline import compile_model, load_board, measurement_job, runner_firmware
    from tinyops.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--board", default="qemu-mps2-an500")
    args = parser.parse_args()
    board = load_board(args.board)
    firmware = runner_firmware(args.board)
    store = open_store(f"sqlite:///{tempfile.mkdtemp()}/hil.db")
    print(f"{args.board} v{board.version}: one op per network, internal placement, instructions")
    print(
        f"{'layer':22s}{'requantization':>24s}{'shifts':>10s}{'measured':>12s}{'ratio':>7s}{'predicted':>12s}{'err %':>8s}"
    )
    for name, shape in (("conv1x1-32x32x8-24", (32, 32, 8)), ("dw3x3-16x16x36", (16, 16, 36))):
        base = None
        for variant, scale, zero_point, act in VARIANTS:
            model = layer(name, shape, scale, zero_point, act)
            op = model.ops[-1]
            compiled = compile_model(model, board, "internal")
            with QemuTarget(args.board, timeout_s=120) as target:
                summary = measure(store, target, measurement_job(compiled, firmware, f"{name}-{variant}"), 1)
            measured, predicted = summary.per_op_median[-1], compiled.predicted[-1] or 0.0
            base = base or measured
            shifts = f"{op.shifts.min()}..{op.shifts.max()}"
            print(
                f"{name:22s}{variant:>24s}{shifts:>10s}{measured:12,d}{measured / base:7.3f}{predicted:12,.0f}"
                f"{100 * (predicted - measured) / measured:+8.2f}"
            )


if __name__ == "__main__":
    main()
