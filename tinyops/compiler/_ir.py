"""The quantized IR both front ends produce: int8 tensors with TFLite semantics and the ops between them.

A :class:`QuantizedModel` holds what a quantizer decides (float scales and zero points, int8 weights, int32
biases, per-channel weight scales). :func:`derive_integer_params` turns that, once, into the integers the
kernels execute (multipliers, shifts, activation clamps, add parameters); :meth:`QuantizedModel.validate`
checks every shape, dtype and index so that bad input is one clear error naming the op and field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import NoReturn

import numpy as np

from tinyops.compiler import _quant


class OpKind(str, Enum):
    CONV2D = "conv2d"
    DEPTHWISE_CONV2D = "depthwise_conv2d"
    ADD = "add"
    AVERAGE_POOL2D = "average_pool2d"
    FULLY_CONNECTED = "fully_connected"
    PAD = "pad"
    RESHAPE = "reshape"
    # The ops of squeeze-and-excite, classifier heads and branching models (issue 13).
    MUL = "mul"  # element-wise, the second input equal-shaped or (1, 1, C) broadcast
    MEAN = "mean"  # over rows and columns: (H, W, C) -> (1, 1, C)
    LOGISTIC = "logistic"
    HARD_SWISH = "hard_swish"  # standalone (after anything but a convolution it is fused into)
    SOFTMAX = "softmax"  # over channels
    MAX_POOL2D = "max_pool2d"
    CONCATENATION = "concatenation"  # along channels


# hard_swish: TFLite's HARD_SWISH after a convolution without activation, fused into the convolution (its
# pre-activation int8 tensor, pre_activation_scale/zero_point, exists only inside the op).
ACTIVATIONS = ("none", "relu", "relu6", "relu_n1_to_1", "hard_swish")
_HARD_SWISH_OPS = ("conv2d", "depthwise_conv2d")
_WEIGHTED = (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D, OpKind.FULLY_CONNECTED)
_WINDOWED = (OpKind.CONV2D, OpKind.DEPTHWISE_CONV2D, OpKind.AVERAGE_POOL2D, OpKind.MAX_POOL2D)
# TFLite fixes the output quantization of these int8 ops: scale 1/256, zero point -128.
_UNIT_INTERVAL_OUTPUT = (OpKind.LOGISTIC, OpKind.SOFTMAX)
_SAME_QUANTIZATION = (OpKind.AVERAGE_POOL2D, OpKind.RESHAPE, OpKind.PAD, OpKind.MAX_POOL2D, OpKind.CONCATENATION)


@dataclass(frozen=True)
class Padding:
    top: int = 0
    left: int = 0
    bottom: int = 0
    right: int = 0


@dataclass
class QuantizedTensor:
    """An int8 activation, NHWC with batch 1 stored as (height, width, channels); real = scale * (q - zero_point)."""

    name: str
    shape: tuple[int, int, int]
    scale: float
    zero_point: int
    # A constant operand (int8, of `shape`): add's or mul's second input in TFLite exports, e.g. Keras'
    # hard-sigmoid, relu6(x + 3) * (1/6). None for activations.
    data: np.ndarray | None = None

    @property
    def bytes(self) -> int:
        h, w, c = self.shape
        return h * w * c


@dataclass
class QuantizedOp:
    """One op. Weight layouts: conv2d OHWI ``[Cout][kh][kw][Cin]``, depthwise ``[kh][kw][Cout]``,
    fully connected ``[Cout][Cin]`` (Cin = the flattened input)."""

    kind: OpKind
    name: str
    inputs: list[int]
    output: int
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: Padding = Padding()
    activation: str = "none"
    depth_multiplier: int = 1
    weights: np.ndarray | None = None  # int8
    weight_scales: np.ndarray | None = None  # float32, one per output channel (or one, repeated)
    weight_zero_point: int = 0  # fully connected only (TFLite allows it there)
    bias: np.ndarray | None = None  # int32, one per output channel
    pre_activation_scale: float = 0.0  # hard_swish only: the convolution's own output quantization
    pre_activation_zero_point: int = 0
    beta: float = 1.0  # softmax only
    # Derived by derive_integer_params (never set by a front end).
    multipliers: np.ndarray | None = None  # int32 Q31 per output channel
    shifts: np.ndarray | None = None  # int32 executed shifts (> 0 = left), -31 ... 31
    act_min: int = -128
    act_max: int = 127
    add_params: tuple[int, ...] = ()  # input1 m/s, input2 m/s, output m/s
    hard_swish_params: tuple[int, ...] = ()  # reluish Q15 m/exponent, output Q15 m/exponent
    # mul, mean: (multiplier, executed shift); logistic: (input multiplier, input left shift, input radius);
    # softmax: (input beta multiplier, input beta left shift, diff_min).
    op_params: tuple[int, ...] = ()

    @property
    def out_channels(self) -> int:
        return len(self.bias) if self.bias is not None else 0


@dataclass
class QuantizedModel:
    name: str
    tensors: list[QuantizedTensor]
    ops: list[QuantizedOp]  # execution order
    input: int
    output: int
    source: str = "<model>"  # file it came from, for messages
    metadata: dict[str, str] = field(default_factory=dict)
    # A float model edge (TFLite QUANTIZE of a float32 input / DEQUANTIZE to a float32 output): the int8 core
    # is what the IR holds; the edge quantizes with the input tensor's and dequantizes with the output
    # tensor's scale and zero point (quantize_input / dequantize_output).
    float_input: bool = False
    float_output: bool = False

    def op_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.ops:
            counts[op.kind.value] = counts.get(op.kind.value, 0) + 1
        return counts

    def validate(self) -> None:
        """Raise ValueError naming the op and field for anything inconsistent."""

        def fail(where: str, what: str) -> NoReturn:
            raise ValueError(f"{self.source}: {where}: {what}")

        n = len(self.tensors)
        for i, t in enumerate(self.tensors):
            if len(t.shape) != 3 or any(int(d) < 1 for d in t.shape):
                fail(f"tensors[{i}] ({t.name}).shape", f"expected 3 positive dims (h, w, c), got {t.shape}")
            if not -128 <= t.zero_point <= 127:
                fail(f"tensors[{i}] ({t.name}).zero_point", f"expected -128 ... 127, got {t.zero_point}")
            if not (np.isfinite(t.scale) and t.scale > 0):
                fail(f"tensors[{i}] ({t.name}).scale", f"expected a positive finite scale, got {t.scale}")
            if t.data is not None and (t.data.dtype != np.int8 or t.data.shape != tuple(t.shape)):
                fail(
                    f"tensors[{i}] ({t.name}).data",
                    f"expected int8 of shape {tuple(t.shape)}, got {t.data.dtype} {t.data.shape}",
                )
        for label, idx in (("input", self.input), ("output", self.output)):
            if not 0 <= idx < n:
                fail(label, f"expected a tensor index below {n}, got {idx}")
        produced = {self.input} | {i for i, t in enumerate(self.tensors) if t.data is not None}
        for k, op in enumerate(self.ops):
            where = f"ops[{k}] ({op.name}, {op.kind.value})"
            for j in list(op.inputs) + [op.output]:
                if not 0 <= j < n:
                    fail(where, f"tensor index {j} out of range (model has {n} tensors)")
            for j in op.inputs:
                if j not in produced:
                    fail(where, f"input tensor {j} ({self.tensors[j].name}) is read before any op writes it")
            produced.add(op.output)

            def fail_op(field_: str, what: str, w: str = where) -> NoReturn:
                fail(f"{w}.{field_}", what)

            _validate_op(op, self.tensors, fail_op)
        if self.output not in produced:
            fail("output", f"tensor {self.output} is never written")


def _conv_out(size: int, kernel: int, stride: int, dilation: int, before: int, after: int) -> int:
    return (size + before + after - ((kernel - 1) * dilation + 1)) // stride + 1


def _validate_op(op: QuantizedOp, tensors: list[QuantizedTensor], fail: Callable[[str, str], NoReturn]) -> None:  # noqa: C901 - one table
    if op.kind == OpKind.CONCATENATION:
        if len(op.inputs) < 1:
            fail("inputs", "expected at least one input")
    else:
        expected_inputs = 2 if op.kind in (OpKind.ADD, OpKind.MUL) else 1
        if len(op.inputs) != expected_inputs:
            fail("inputs", f"expected {expected_inputs} input(s), got {len(op.inputs)}")
    if op.activation not in ACTIVATIONS:
        fail("activation", f"expected one of {ACTIVATIONS}, got {op.activation!r}")
    if op.activation == "hard_swish":
        if op.kind.value not in _HARD_SWISH_OPS:
            fail("activation", f"hard_swish is fused into {' or '.join(_HARD_SWISH_OPS)} only, not {op.kind.value}")
        if not (np.isfinite(op.pre_activation_scale) and op.pre_activation_scale > 0):
            fail("pre_activation_scale", f"expected a positive finite scale, got {op.pre_activation_scale}")
        if not -128 <= op.pre_activation_zero_point <= 127:
            fail("pre_activation_zero_point", f"expected -128 ... 127, got {op.pre_activation_zero_point}")
    elif op.pre_activation_scale != 0.0 or op.pre_activation_zero_point != 0:
        fail("pre_activation_scale", "set only with activation hard_swish")
    x = tensors[op.inputs[0]].shape
    y = tensors[op.output].shape
    if op.kind in _WINDOWED:
        if min(op.kernel + op.stride + op.dilation) < 1:
            fail("kernel/stride/dilation", "expected positive values")
        p = op.padding
        expect_hw = (
            _conv_out(x[0], op.kernel[0], op.stride[0], op.dilation[0], p.top, p.bottom),
            _conv_out(x[1], op.kernel[1], op.stride[1], op.dilation[1], p.left, p.right),
        )
        if tuple(y[:2]) != expect_hw:
            fail(
                "output shape",
                f"expected {expect_hw} rows x cols from the input {x}, kernel, stride and padding, got {y[:2]}",
            )
    if op.kind in _WEIGHTED:
        cout = y[2]
        if op.weights is None or op.weights.dtype != np.int8:
            fail("weights", "expected an int8 array")
        if op.bias is None or op.bias.dtype != np.int32 or op.bias.shape != (cout,):
            fail("bias", f"expected int32 of shape ({cout},)")
        if op.weight_scales is None or op.weight_scales.shape != (cout,):
            fail("weight_scales", f"expected one scale per output channel ({cout},)")
        if not np.all(np.isfinite(op.weight_scales)) or np.any(op.weight_scales < 0):
            fail("weight_scales", "expected finite non-negative scales")
        shape = {
            OpKind.CONV2D: (cout, op.kernel[0], op.kernel[1], x[2]),
            OpKind.DEPTHWISE_CONV2D: (op.kernel[0], op.kernel[1], cout),
            OpKind.FULLY_CONNECTED: (cout, x[0] * x[1] * x[2]),
        }[op.kind]
        if op.weights.shape != shape:
            fail("weights", f"expected shape {shape}, got {op.weights.shape}")
        if op.kind == OpKind.DEPTHWISE_CONV2D and cout != x[2] * op.depth_multiplier:
            fail("depth_multiplier", f"output channels {cout} != input channels {x[2]} x {op.depth_multiplier}")
        if op.kind == OpKind.FULLY_CONNECTED and y != (1, 1, cout):
            fail("output shape", f"expected (1, 1, {cout}), got {y}")
        if op.kind != OpKind.FULLY_CONNECTED and op.weight_zero_point != 0:
            fail("weight_zero_point", "expected 0 (symmetric weights) outside fully connected")
    elif op.weights is not None or op.bias is not None:
        fail("weights", f"{op.kind.value} takes no weights or bias")
    if op.kind == OpKind.ADD and (tensors[op.inputs[1]].shape not in (x, (1, 1, x[2]), (1, 1, 1)) or y != x):
        fail(
            "inputs",
            f"add needs equal shapes or a (1, 1, C) / (1, 1, 1) second input, got {x}, "
            f"{tensors[op.inputs[1]].shape} -> {y}",
        )
    if op.kind == OpKind.AVERAGE_POOL2D and y[2] != x[2]:
        fail("output shape", "average pool keeps the channel count")
    if op.kind == OpKind.PAD:
        p = op.padding
        if y != (x[0] + p.top + p.bottom, x[1] + p.left + p.right, x[2]):
            fail("padding", f"input {x} padded by {p} does not give the output {y}")
    if op.kind == OpKind.RESHAPE and int(np.prod(x)) != int(np.prod(y)):
        fail("output shape", f"reshape must keep the element count ({x} -> {y})")
    if op.kind in _SAME_QUANTIZATION:
        tout = tensors[op.output]
        for j in op.inputs:
            tin = tensors[j]
            if tin.zero_point != tout.zero_point or np.float32(tin.scale) != np.float32(tout.scale):
                fail(
                    "output quantization",
                    f"{op.kind.value} must keep the input's scale and zero point "
                    f"(input {tin.name}: {tin.scale}/{tin.zero_point}, output "
                    f"{tout.scale}/{tout.zero_point})",
                )
    _validate_new_op(op, tensors, x, y, fail)


def _validate_new_op(
    op: QuantizedOp, tensors: list[QuantizedTensor], x: tuple[int, int, int], y: tuple[int, int, int], fail
) -> None:
    """Shapes and fixed quantizations of the issue-13 ops."""
    if op.activation != "none" and op.kind not in (
        *_WEIGHTED,
        OpKind.ADD,
        OpKind.AVERAGE_POOL2D,
        OpKind.MUL,
        OpKind.MAX_POOL2D,
        OpKind.CONCATENATION,
    ):
        fail("activation", f"{op.kind.value} takes no fused activation")
    if op.kind == OpKind.MUL:
        x2 = tensors[op.inputs[1]].shape
        if y != x or x2 not in (x, (1, 1, x[2]), (1, 1, 1)):
            fail(
                "inputs", f"mul needs the second input equal-shaped, (1, 1, {x[2]}) or (1, 1, 1), got {x} x {x2} -> {y}"
            )
    if op.kind == OpKind.MEAN and y != (1, 1, x[2]):
        fail("output shape", f"mean over rows and columns of {x} gives (1, 1, {x[2]}), got {y}")
    if op.kind in (OpKind.LOGISTIC, OpKind.HARD_SWISH, OpKind.SOFTMAX) and y != x:
        fail("output shape", f"{op.kind.value} keeps the shape {x}, got {y}")
    if op.kind in _UNIT_INTERVAL_OUTPUT:
        out = tensors[op.output]
        if out.zero_point != -128 or np.float32(out.scale) != np.float32(1 / 256):
            fail(
                "output quantization",
                f"int8 {op.kind.value} needs scale 1/256 and zero point -128 (TFLite), "
                f"got {out.scale}/{out.zero_point}",
            )
    if op.kind == OpKind.SOFTMAX and not (np.isfinite(op.beta) and op.beta > 0):
        fail("beta", f"expected a positive finite beta, got {op.beta}")
    if op.kind == OpKind.CONCATENATION:
        shapes = [tensors[j].shape for j in op.inputs]
        if any(s[:2] != y[:2] for s in shapes) or sum(s[2] for s in shapes) != y[2]:
            fail("inputs", f"concatenation along channels of {shapes} does not give {y}")


def derive_integer_params(model: QuantizedModel) -> QuantizedModel:
    """Fill every op's multipliers, shifts, activation clamp and add parameters (TFLite's Prepare), in place."""
    model.validate()
    t = model.tensors
    for op in model.ops:
        out = t[op.output]
        hard_swish = op.activation == "hard_swish"
        # A fused hard-swish: the convolution requantizes to its pre-activation tensor (no clamp but int8's).
        conv_scale = op.pre_activation_scale if hard_swish else out.scale
        op.act_min, op.act_max = _quant.activation_range(
            "none" if hard_swish else op.activation, out.scale, out.zero_point
        )
        if hard_swish:
            try:
                op.hard_swish_params = _quant.hard_swish_params(op.pre_activation_scale, out.scale)
            except ValueError as exc:
                raise ValueError(f"{model.source}: {op.name}: {exc}") from None
        if op.kind in _WEIGHTED:
            assert op.weight_scales is not None  # validate()
            op.multipliers, op.shifts = _quant.per_channel_multipliers(
                t[op.inputs[0]].scale, op.weight_scales, conv_scale
            )
        elif op.kind == OpKind.ADD:
            op.add_params = _quant.add_params(t[op.inputs[0]].scale, t[op.inputs[1]].scale, out.scale)
        try:
            _derive_new_op(op, t)
        except ValueError as exc:
            raise ValueError(f"{model.source}: {op.name}: {exc}") from None
    return model


def _derive_new_op(op: QuantizedOp, t: list[QuantizedTensor]) -> None:
    x, out = t[op.inputs[0]], t[op.output]
    if op.kind == OpKind.MUL:
        op.op_params = _quant.mul_params(x.scale, t[op.inputs[1]].scale, out.scale)
    elif op.kind == OpKind.MEAN:
        op.op_params = _quant.mean_params(x.scale, out.scale, x.shape[0] * x.shape[1])
    elif op.kind == OpKind.LOGISTIC:
        op.op_params = _quant.logistic_params(x.scale)
    elif op.kind == OpKind.SOFTMAX:
        op.op_params = _quant.softmax_params(op.beta, x.scale)
    elif op.kind == OpKind.HARD_SWISH:
        op.hard_swish_params = _quant.hard_swish_params(x.scale, out.scale)
