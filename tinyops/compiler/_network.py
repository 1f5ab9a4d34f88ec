"""IR -> the C++ core's Network, so that the core's planners can plan (and its simulator score) the model.

The core's Network is what the planner sees: shapes, kernels, strides, explicit padding. Reshape changes no
bytes, so it is not an op there: its output aliases its input (the blob writes it as an in-place reshape
sharing storage). :class:`NetworkMapping` records the correspondence both ways for the blob writer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyops import _core
from tinyops.compiler._ir import OpKind, QuantizedModel, QuantizedOp

_CORE_KIND = {
    OpKind.CONV2D: "conv2d",
    OpKind.DEPTHWISE_CONV2D: "depthwise_conv2d",
    OpKind.ADD: "add",
    OpKind.AVERAGE_POOL2D: "average_pool",
    OpKind.FULLY_CONNECTED: "fully_connected",
    OpKind.PAD: "pad",
    OpKind.MUL: "mul",
    OpKind.MEAN: "global_average_pool",
    OpKind.CONCATENATION: "concatenation",  # the same work: a sum per channel over rows and columns
    # Planned and costed as the core kind of the same shape and row rule until the core has their own kernel
    # kinds (the fitted boards have no cost terms for them): max pool as the average pool of its window, and the
    # element-wise maps and softmax (over the channels of each pixel, row for row) as an unpadded pad.
    OpKind.MAX_POOL2D: "average_pool",
    OpKind.LOGISTIC: "pad",
    OpKind.HARD_SWISH: "pad",
    OpKind.SOFTMAX: "pad",
}
# The int8 kernels requantize a channel on their fast path when its executed shift is a right shift of 1..22
# bits (firmware/src/kernels/conv2d_dsp_channels.hpp, kMaxFastRightShift), on their left-shift path when it is
# a left shift of 0..31 bits (most ReLU6 layers of real models), and on the general path otherwise.
_FAST_SHIFTS = (-22, -1)
_LEFT_SHIFTS = (0, 31)


@dataclass(frozen=True)
class RequantShares:
    """Shares of an op's output channels on the kernels' general and left-shift requantization paths."""

    general: float = 0.0
    left_shift: float = 0.0


def requant_shares(shifts: np.ndarray | None) -> RequantShares:
    """Which requantization paths an op's channels take; the core's cost model costs each path's outputs with
    its own term (Op::slow_requant_share, Op::left_shift_share)."""
    if shifts is None or np.size(shifts) == 0:
        return RequantShares()
    shifts = np.asarray(shifts)
    fast = (shifts >= _FAST_SHIFTS[0]) & (shifts <= _FAST_SHIFTS[1])
    left = (shifts >= _LEFT_SHIFTS[0]) & (shifts <= _LEFT_SHIFTS[1])
    return RequantShares(general=float((~fast & ~left).mean()), left_shift=float(left.mean()))


def clamped_activation(op: QuantizedOp) -> bool:
    """Whether the op's activation range is narrower than int8: the DSP kernels then clamp every output by
    compare-and-move where the full range takes one SSAT (a ReLU6 output quantized with zero point -128 and
    scale 6/255, as TFLite exports it, has the full range)."""
    return (op.act_min, op.act_max) != (-128, 127)


# The core costs activations; relu_n1_to_1 is a clamp like the others.
_CORE_ACT = {"none": "none", "relu": "relu", "relu6": "relu6", "relu_n1_to_1": "none", "hard_swish": "h_swish"}


@dataclass
class NetworkMapping:
    network: _core.Network
    core_tensor: list[int]  # IR tensor index -> core tensor id (reshape outputs map to their input's)
    core_op: list[int | None]  # IR op index -> core op id (None for reshape)


def _per_channel_quant(op: QuantizedOp) -> bool:
    """Whether a fully connected op needs a requantization pair per output channel (the IR repeats a per-tensor
    pair per channel: then the core plans one pair, as TFLite does)."""
    m, s = op.multipliers, op.shifts
    return (
        op.kind == OpKind.FULLY_CONNECTED
        and m is not None
        and s is not None
        and not (bool(np.all(m == m.flat[0])) and bool(np.all(s == s.flat[0])))
    )


def to_network(model: QuantizedModel) -> NetworkMapping:
    """Build the core Network of ``model`` (ValueError naming the op for what the core cannot plan)."""
    net = _core.Network(model.name)
    core_tensor: list[int] = [-1] * len(model.tensors)
    core_op: list[int | None] = []
    src = model.tensors[model.input]
    core_tensor[model.input] = net.add_input(*src.shape, name=src.name)
    for k, op in enumerate(model.ops):
        where = f"{model.source}: ops[{k}] ({op.name})"
        inputs = [core_tensor[i] for i in op.inputs]
        if op.kind == OpKind.RESHAPE:
            core_tensor[op.output] = inputs[0]
            core_op.append(None)
            continue
        if op.kind not in _CORE_KIND:
            raise ValueError(f"{where}: the core does not plan {op.kind.value} ops")
        if op.stride[0] != op.stride[1]:
            raise ValueError(f"{where}: stride: the core plans square strides only, got {op.stride}")
        if op.dilation != (1, 1):
            raise ValueError(f"{where}: dilation: the core plans undilated kernels only, got {op.dilation}")
        p = op.padding
        shares = requant_shares(op.shifts)
        core_id = net.add_op(
            _CORE_KIND[op.kind],
            op.name,
            inputs,
            out_channels=model.tensors[op.output].shape[2],
            kernel_h=op.kernel[0],
            kernel_w=op.kernel[1],
            stride=op.stride[0],
            padding=[p.top, p.left, p.bottom, p.right],
            act=_CORE_ACT[op.activation],
            slow_requant_share=shares.general,
            left_shift_share=shares.left_shift,
            clamped_activation=clamped_activation(op),
            per_channel_quant=_per_channel_quant(op),
        )
        core_op.append(core_id)
        core_tensor[op.output] = net.ops[core_id].output
        got = net.tensors[core_tensor[op.output]].shape
        if (got.h, got.w, got.c) != model.tensors[op.output].shape:
            raise ValueError(
                f"{where}: the core computes output {(got.h, got.w, got.c)}, the model says "
                f"{model.tensors[op.output].shape}"
            )
    net.mark_output(core_tensor[model.output])
    return NetworkMapping(net, core_tensor, core_op)
