"""The calibration set: single-op and small-block int8 networks that sweep what the kernel cost model depends on.

Each benchmark case (a network of given shapes) is measured under every placement (internal, external,
tinyops) and, for the tinyops row-partitioned overlays, under a sweep of SRAM budgets that makes the planner
choose larger partition factors. Shapes sweep what the features of every kernel kind depend on: input
channels and kernel sizes (MACs per output), spatial sizes and output channels (outputs, rows, pixel pairs),
odd widths and channel counts (the DSP kernels' lone pixels and channels), channels that are not a multiple
of 4 (the reference depthwise kernel), maps wider than the DSP depthwise kernel's column strip, and the network tail (1-3 px maps, where most taps fall in padding).
Every op is kept above a few thousand instructions, so that the QEMU port's 40-instruction timer tick is at
most about 1 % of what is measured. Networks are the compiler's IR (`tinyops.compiler.QuantizedModel`) with seeded random int8 weights: timing
does not depend on the values, and a seed makes every benchmark reproducible.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from tinyops.compiler import OpKind, Padding, QuantizedModel, QuantizedOp, QuantizedTensor, derive_integer_params
from tinyops.hil._target import Target
from tinyops.store import Store


@dataclass(frozen=True)
class MicroBenchmark:
    name: str  # unique and stable: it keys the measurement run and the held-out split
    model: QuantizedModel
    strategy: str  # placement: "internal", "external" or "tinyops" (row-partitioned overlays)
    sram_budget_bytes: int | None = None  # the partition-factor sweep: plan with this SRAM budget

    @property
    def case(self) -> str:
        """The network and its shapes, whatever the placement: the unit of the held-out split."""
        return self.name.split("@")[0]


class _Builder:
    """Appends ops to one network, creating tensors with fixed quantization (values do not change timing)."""

    def __init__(
        self, name: str, shape: tuple[int, int, int], seed: int, out_scale: float = 0.1, out_zero_point: int = -3
    ) -> None:
        # out_scale: of weighted ops' outputs. 0.1 gives right shifts of about 9 bits (the kernels' fast
        # requantization); LEFT_SHIFT_SCALE a left shift (their left-shift path, as ReLU6 layers of real models);
        # GENERAL_REQUANT_SCALE a right shift beyond 22 bits (the general path). out_zero_point: -3 leaves a
        # ReLU6 a range narrower than int8 (a clamp), -128 the full range (one SSAT, as real models' ReLU6).
        self.out_scale = out_scale
        self.out_zero_point = out_zero_point
        self.rng = np.random.default_rng(seed)
        self.tensors = [QuantizedTensor("input", shape, 0.05, -3)]
        self.ops: list[QuantizedOp] = []
        self.name = name

    def _tensor(self, shape: tuple[int, int, int], scale: float = 0.05, zero_point: int = -3) -> int:
        self.tensors.append(QuantizedTensor(f"t{len(self.tensors)}", shape, scale, zero_point))
        return len(self.tensors) - 1

    def _weighted_op(
        self, kind: OpKind, name: str, x: int, out: int, weight_shape: tuple[int, ...], cout: int, **geometry: Any
    ) -> None:
        self.ops.append(
            QuantizedOp(
                kind,
                name,
                [x],
                out,
                weights=self.rng.integers(-127, 128, size=weight_shape, dtype=np.int8),
                weight_scales=np.full(cout, 0.004, dtype=np.float32),
                bias=self.rng.integers(-2000, 2000, size=cout, dtype=np.int32),
                **geometry,
            )
        )

    def _windowed(
        self, kind: OpKind, x: int, cout: int, kernel: int, stride: int, act: str, weight_shape: tuple[int, ...]
    ) -> int:
        h, w, _ = self.tensors[x].shape
        pad = _same_padding(h, w, kernel, stride)
        out = self._tensor(
            (
                (h + pad.top + pad.bottom - kernel) // stride + 1,
                (w + pad.left + pad.right - kernel) // stride + 1,
                cout,
            ),
            scale=self.out_scale,
            zero_point=self.out_zero_point,
        )
        fused = {"pre_activation_scale": 0.1} if act == "hard_swish" else {}
        self._weighted_op(
            kind,
            f"{kind.value}{kernel}x{kernel}_{len(self.ops)}",
            x,
            out,
            weight_shape,
            cout,
            kernel=(kernel, kernel),
            stride=(stride, stride),
            padding=pad,
            activation=act,
            **fused,
        )
        return out

    def conv(self, x: int, cout: int, kernel: int, stride: int = 1, act: str = "relu6") -> int:
        cin = self.tensors[x].shape[2]
        return self._windowed(OpKind.CONV2D, x, cout, kernel, stride, act, (cout, kernel, kernel, cin))

    def depthwise(self, x: int, kernel: int, stride: int = 1, act: str = "relu6") -> int:
        c = self.tensors[x].shape[2]
        return self._windowed(OpKind.DEPTHWISE_CONV2D, x, c, kernel, stride, act, (kernel, kernel, c))

    def add(self, a: int, b: int) -> int:
        out = self._tensor(self.tensors[a].shape, scale=0.1)
        self.ops.append(QuantizedOp(OpKind.ADD, f"add_{len(self.ops)}", [a, b], out))
        return out

    def average_pool(self, x: int, kernel: int, stride: int) -> int:
        h, w, c = self.tensors[x].shape
        t = self.tensors[x]
        out = self._tensor(((h - kernel) // stride + 1, (w - kernel) // stride + 1, c), t.scale, t.zero_point)
        self.ops.append(
            QuantizedOp(
                OpKind.AVERAGE_POOL2D,
                f"pool{kernel}_{len(self.ops)}",
                [x],
                out,
                kernel=(kernel, kernel),
                stride=(stride, stride),
            )
        )
        return out

    def fully_connected(self, x: int, cout: int) -> int:
        h, w, c = self.tensors[x].shape
        out = self._tensor((1, 1, cout), scale=self.out_scale, zero_point=self.out_zero_point)
        self._weighted_op(OpKind.FULLY_CONNECTED, f"fc_{len(self.ops)}", x, out, (cout, h * w * c), cout)
        return out

    def pad(self, x: int, amount: int) -> int:
        h, w, c = self.tensors[x].shape
        t = self.tensors[x]
        out = self._tensor((h + 2 * amount, w + 2 * amount, c), t.scale, t.zero_point)
        self.ops.append(
            QuantizedOp(OpKind.PAD, f"pad_{len(self.ops)}", [x], out, padding=Padding(amount, amount, amount, amount))
        )
        return out

    def build(self, output: int) -> QuantizedModel:
        model = QuantizedModel(
            self.name, self.tensors, self.ops, input=0, output=output, source=f"<microbenchmark {self.name}>"
        )
        return derive_integer_params(model)


def _same_padding(h: int, w: int, kernel: int, stride: int) -> Padding:
    def split(size: int) -> tuple[int, int]:
        out = -(-size // stride)
        total = max(0, (out - 1) * stride + kernel - size)
        return total // 2, total - total // 2

    top, bottom = split(h)
    left, right = split(w)
    return Padding(top, left, bottom, right)


def _single_ops(seed: int) -> list[tuple[str, QuantizedModel]]:
    nets: list[tuple[str, QuantizedModel]] = []

    def make(name: str, shape: tuple[int, int, int], body) -> None:  # type: ignore[no-untyped-def]
        b = _Builder(name, shape, seed + len(nets))
        nets.append((name, b.build(body(b, 0))))

    for hw, cin, cout in itertools.product((6, 11, 20), (8, 22, 48), (8, 31)):
        make(f"conv1x1-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), lambda b, x, c=cout: b.conv(x, c, 1))
    # Every unrolled depth of the widened loop (1-4 groups: the kernel's accumulate_pair_widened_small) on small
    # maps, beside the 2 and 4 groups above.
    for hw, cin, cout in itertools.product((5, 16), (4, 12), (24, 40)):
        make(f"conv1x1-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), lambda b, x, c=cout: b.conv(x, c, 1))
    # 3 px maps: calls of few pixel pairs (the raw loop) and a lone pixel, as in a network's tail.
    for (k, s), hw, (cin, cout) in itertools.product(
        ((3, 1), (3, 2), (5, 1)), (3, 8, 15), ((3, 8), (5, 7), (8, 16), (16, 8))
    ):
        make(
            f"conv{k}x{k}s{s}-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), lambda b, x, k=k, s=s, c=cout: b.conv(x, c, k, s)
        )
    # Patches deeper than the DSP kernel's 256 bytes: the reference kernel.
    for (k, s), hw, (cin, cout) in itertools.product(((3, 1), (3, 2), (5, 1)), (6, 9), ((32, 8), (48, 5))):
        make(
            f"conv{k}x{k}s{s}-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), lambda b, x, k=k, s=s, c=cout: b.conv(x, c, k, s)
        )
    for (k, s), hw, c in itertools.product(((3, 1), (3, 2), (5, 1), (5, 2), (7, 1)), (8, 15, 24), (6, 14, 32)):
        make(f"dw{k}x{k}s{s}-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x, k=k, s=s: b.depthwise(x, k, s))
    for k, s in ((5, 1), (7, 1), (7, 2)):  # maps wider than the DSP depthwise kernel's ring: two column strips
        make(f"dw{k}x{k}s{s}-6x100x8", (6, 100, 8), lambda b, x, k=k, s=s: b.depthwise(x, k, s))
    for hw, c in itertools.product((8, 14, 20), (16, 24, 64)):
        make(f"add-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x: b.add(x, b.conv(x, b.tensors[x].shape[2], 1)))
    for (k, s), hw, c in itertools.product(((2, 2), (3, 1), (3, 3)), (9, 12, 24), (8, 16, 32)):
        make(f"pool{k}s{s}-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x, k=k, s=s: b.average_pool(x, k, s))
    for hw, c in itertools.product((4, 7, 10), (64, 160)):  # global pools: the kernel covers the input
        make(f"gpool-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x, hw=hw: b.average_pool(x, hw, hw))
    for cin, cout in itertools.product((64, 160, 320), (16, 40, 100)):
        make(f"fc-{cin}-{cout}", (1, 1, cin), lambda b, x, c=cout: b.fully_connected(x, c))
    for hw, c, amount in itertools.product((7, 12, 17, 24), (8, 16, 24, 48), (1, 2)):
        make(f"pad{amount}-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x, p=amount: b.pad(x, p))
    # The add alone (the input added to itself): one op per network, so a profile of the run is the add's
    # (the derived boards' samples); 7 x 6 leaves rows of 42 elements, a 2-element tail after the 4-wide loop.
    # Four map sizes, so that its per-call, per-row and per-pixel terms stay separable in any training share.
    for hw, c in itertools.product((5, 7, 9, 12), (6, 24, 60)):
        make(f"add-self-{hw}x{hw}x{c}", (hw, hw, c), lambda b, x: b.add(x, x))
    return nets


def _network_tail(seed: int) -> list[tuple[str, QuantizedModel]]:
    """The tail of an ImageNet network: 1x1 convolutions on 1-3 px maps (odd pixel counts leave the DSP
    kernel's pixel pairs half empty; deep filters skip the pre-extension) and large depthwise kernels on tiny
    maps, strides 1 and 2 (most taps fall in the padding, which the kernels skip or gather as zeros)."""
    nets = []
    for i, (hw, cin, cout) in enumerate(itertools.product((1, 2, 3), (96, 288, 480), (64, 384))):
        b = _Builder(f"conv1x1-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), seed + 2000 + i)
        nets.append((b.name, b.build(b.conv(0, cout, 1))))
    # A one-pixel classifier: the lone pixel's loop over many channel blocks, at the expanded path's full depth.
    for i, cin in enumerate((160, 384)):
        b = _Builder(f"conv1x1-1x1x{cin}-1000", (1, 1, cin), seed + 2100 + i)
        nets.append((b.name, b.build(b.conv(0, 1000, 1))))
    for i, (k, hw, c) in enumerate(itertools.product((3, 5, 7), (2, 4, 7), (48, 144))):
        b = _Builder(f"dw{k}x{k}s1-{hw}x{hw}x{c}", (hw, hw, c), seed + 3000 + i)
        nets.append((b.name, b.build(b.depthwise(0, k, 1))))
    # Stride 2 there ('same' padding one larger at the bottom and right): windows on maps smaller than the kernel
    # (the DSP kernel's per-window path), and rings that are mostly padding.
    for i, (k, hw, c) in enumerate(itertools.product((3, 5, 7), (2, 4, 6), (48, 144))):
        b = _Builder(f"dw{k}x{k}s2-{hw}x{hw}x{c}", (hw, hw, c), seed + 3100 + i)
        nets.append((b.name, b.build(b.depthwise(0, k, 2))))
    return nets


LEFT_SHIFT_SCALE = 1e-4  # with the builder's input and weight scales: a left shift of 2 bits
GENERAL_REQUANT_SCALE = 4000.0  # a right shift of 24 bits
RELU6_FULL_RANGE_SCALE = 6 / 255  # with zero point -128: ReLU6 over all of int8, as TFLite exports it


def _imagenet_layers(seed: int) -> list[tuple[str, QuantizedModel]]:
    """Layers of the shapes scaled ImageNet networks have (ProxylessNAS / MobileNet at width 0.3-0.5, 64-128 px):
    wide 1x1 convolutions (several channel blocks, widened weights in smaller blocks), depthwise layers of
    48-144 channels on 4-32 px maps, and the stem convolution on an RGB image; each with the fast and with the
    left-shift requantization (real models have both), on a ReLU6 range narrower than int8 (clamped) and, every
    other shape, on the full range (saturated, as real models' ReLU6 layers), every third with the general
    requantization, and each with a fused hard-swish."""
    shapes: list[tuple[str, tuple[int, int, int], Any]] = []
    for hw, cin, cout in itertools.product((4, 9, 16, 32), (16, 40, 96, 144), (24, 72, 160)):
        if hw * hw * max(cin, cout) <= 32 * 32 * 48:  # within reach of the SRAM budget
            shapes.append(
                (f"conv1x1-{hw}x{hw}x{cin}-{cout}", (hw, hw, cin), lambda b, act, c=cout: b.conv(0, c, 1, act=act))
            )
    for (k, s), hw, c in itertools.product(((3, 1), (3, 2), (5, 1), (7, 2)), (8, 16, 32), (48, 144)):
        if hw * hw * c <= 32 * 32 * 48:
            shapes.append(
                (f"dw{k}x{k}s{s}-{hw}x{hw}x{c}", (hw, hw, c), lambda b, act, k=k, s=s: b.depthwise(0, k, s, act=act))
            )
    for hw, cout, s in itertools.product((32, 64), (8, 16), (1, 2)):
        shapes.append(
            (f"conv3x3s{s}-{hw}x{hw}x3-{cout}", (hw, hw, 3), lambda b, act, c=cout, s=s: b.conv(0, c, 3, s, act=act))
        )
    # (suffix, output scale and zero point, activation, every n-th shape): the kernels' requantization paths
    # and activation clamps, and a fused hard-swish (MobileNetV3's activation).
    variants = (
        ("", 0.1, -3, "relu6", 1),
        ("-slowq", LEFT_SHIFT_SCALE, -3, "relu6", 1),
        ("-hswish", 0.1, -3, "hard_swish", 1),
        ("-fullq", RELU6_FULL_RANGE_SCALE, -128, "relu6", 2),
        ("-leftq", LEFT_SHIFT_SCALE, -128, "relu6", 2),
        ("-generalq", GENERAL_REQUANT_SCALE, -128, "none", 3),
    )
    nets = []
    for i, ((s, (name, shape, body)), (suffix, out_scale, zero_point, act, every)) in enumerate(
        itertools.product(enumerate(shapes), variants)
    ):
        if s % every == 0:
            b = _Builder(name + suffix, shape, seed + 4000 + i, out_scale=out_scale, out_zero_point=zero_point)
            nets.append((b.name, b.build(body(b, act))))
    return nets


def _blocks(seed: int) -> list[tuple[str, QuantizedModel]]:
    """Inverted-residual blocks (1x1 expand, KxK depthwise, 1x1 project, add), the unit of the search space."""
    nets = []
    for i, (hw, c, expand, k) in enumerate(itertools.product((8, 16), (8, 16), (3, 6), (3, 5))):
        b = _Builder(f"mbconv-{hw}x{hw}x{c}-e{expand}-k{k}", (hw, hw, c), seed + 1000 + i)
        y = b.conv(b.depthwise(b.conv(0, c * expand, 1), k), c, 1, act="none")
        nets.append((b.name, b.build(b.add(0, y))))
    return nets


STRATEGIES = ("internal", "external", "tinyops")
# The partition-factor sweep: tinyops plans with SRAM budgets of about 4 x (largest activation / factor) (the
# ping-pong input buffers, the filter and im2col buffers the published runtime sizes by its largest part).
PARTITION_FACTORS = (3, 5, 8)


def _sweep_budgets(model: QuantizedModel) -> list[int]:
    largest = max(int(np.prod(t.shape)) for t in model.tensors)
    return sorted({4 * -(-largest // f) + 1024 for f in PARTITION_FACTORS}, reverse=True)


def calibration_set(
    strategies: tuple[str, ...] = STRATEGIES, seed: int = 0, every: int = 1, partition_sweep: bool = True
) -> list[MicroBenchmark]:
    """Every single-op, network-tail and block case under each placement and, with `partition_sweep`, the
    tinyops placement under smaller SRAM budgets (larger partition factors). `every` > 1 keeps every n-th
    case (a quick set for CI), placements and budgets included."""
    if every < 1:
        raise ValueError(f"every: expected at least 1, got {every}")
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"strategies: expected some of {', '.join(STRATEGIES)}, got {', '.join(sorted(unknown))}")
    nets = (_single_ops(seed) + _network_tail(seed) + _imagenet_layers(seed) + _blocks(seed))[::every]
    benches = []
    for name, model in nets:
        benches += [MicroBenchmark(f"{name}@{strategy}", model, strategy) for strategy in strategies]
        if partition_sweep and "tinyops" in strategies:
            benches += [
                MicroBenchmark(f"{name}@tinyops-sram{budget}", model, "tinyops", budget)
                for budget in _sweep_budgets(model)
            ]
    return benches


def board_with_sram_budget(board: Any, budget_bytes: int) -> Any:
    """`board` (a core Board) with another SRAM budget, same name and version (its measurements are the board's)."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    doc = yaml.safe_load(board.to_yaml())
    doc["sram"]["budget_bytes"] = {
        "value": int(budget_bytes),
        "source": "estimate",
        "ref": "calibration partition-factor sweep",
    }
    return _core.board_from_yaml(yaml.safe_dump(doc, sort_keys=False), f"{board.source} (SRAM budget {budget_bytes})")


@dataclass(frozen=True)
class CalibrationRun:
    measured: int  # benchmarks measured (or already in the store)
    skipped: list[str]  # benchmarks whose plan does not fit, with the reason


def measure_calibration_set(
    store: Store, target: Target, board: Any, benchmarks: list[MicroBenchmark], repetitions: int = 1
) -> CalibrationRun:
    """Compile and measure every benchmark on `target` (resumable: stored repetitions are kept)."""
    from tinyops.compiler import PlanDoesNotFit
    from tinyops.hil._measure import measure
    from tinyops.hil._pipeline import compile_model, measurement_job, runner_firmware

    firmware = runner_firmware(board.name)
    measured, skipped = 0, []
    for bench in benchmarks:
        planned_on = (
            board if bench.sram_budget_bytes is None else board_with_sram_budget(board, bench.sram_budget_bytes)
        )
        try:
            compiled = compile_model(bench.model, planned_on, bench.strategy)
        except PlanDoesNotFit as exc:  # e.g. a placement that does not fit: reported, not measured
            skipped.append(f"{bench.name}: {exc}")
            continue
        measure(store, target, measurement_job(compiled, firmware, bench.name), repetitions)
        measured += 1
    return CalibrationRun(measured, skipped)
