"""A numpy reference evaluator of the IR with TFLite's reference integer arithmetic.

It is the executable definition the C++ kernels are checked against and a simulated-int8 path for the
search (batched: inputs N x H x W x C). It is written for clarity, not speed; the host runtime in
``tinyops._core`` is the fast path.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinyops.compiler import _fixedpoint
from tinyops.compiler._ir import OpKind, QuantizedModel, QuantizedOp
from tinyops.compiler._quant import (
    ADD_LEFT_SHIFT,
    SOFTMAX_ACCUMULATION_INTEGER_BITS,
    SOFTMAX_SCALED_DIFF_INTEGER_BITS,
    hard_swish,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
)


def _windows(x: np.ndarray, op: QuantizedOp, out_hw: tuple[int, int], fill: int = 0) -> np.ndarray:
    """(N, Ho, Wo, kh, kw, C) view of the zero-padded input ``x`` (N, H, W, C) under op's kernel/stride/dilation."""
    p = op.padding
    padded = np.pad(x, ((0, 0), (p.top, p.bottom), (p.left, p.right), (0, 0)), constant_values=fill)
    n, _, _, c = padded.shape
    sn, sh, sw, sc = padded.strides
    (kh, kw), (st_h, st_w), (dh, dw) = op.kernel, op.stride, op.dilation
    return as_strided(
        padded,
        shape=(n, out_hw[0], out_hw[1], kh, kw, c),
        strides=(sn, sh * st_h, sw * st_w, sh * dh, sw * dw, sc),
        writeable=False,
    )


def _requantize(acc: np.ndarray, op: QuantizedOp, zero_point: int) -> np.ndarray:
    assert op.bias is not None and op.multipliers is not None and op.shifts is not None  # validated, derived
    acc = acc + op.bias.astype(np.int64)
    if op.activation == "hard_swish":  # to the pre-activation tensor, then TFLite's HARD_SWISH
        pre = multiply_by_quantized_multiplier(acc, op.multipliers, op.shifts) + op.pre_activation_zero_point
        pre = np.clip(pre, -128, 127).astype(np.int8)
        return hard_swish(pre, op.pre_activation_zero_point, zero_point, op.hard_swish_params)
    scaled = multiply_by_quantized_multiplier(acc, op.multipliers, op.shifts) + zero_point
    return np.clip(scaled, op.act_min, op.act_max).astype(np.int8)


def _run_op(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray]) -> np.ndarray:
    t = model.tensors
    x = values[op.inputs[0]]
    n = x.shape[0]
    zp_in, zp_out = t[op.inputs[0]].zero_point, t[op.output].zero_point
    out_shape = (n, *t[op.output].shape)
    if op.kind == OpKind.CONV2D:
        assert op.weights is not None  # validate(): weighted ops have weights
        win = _windows(x.astype(np.int64) - zp_in, op, out_shape[1:3])
        acc = np.tensordot(win, op.weights.astype(np.int64), axes=([3, 4, 5], [1, 2, 3]))
        return _requantize(acc, op, zp_out)
    if op.kind == OpKind.DEPTHWISE_CONV2D:
        assert op.weights is not None
        win = _windows(x.astype(np.int64) - zp_in, op, out_shape[1:3])
        if op.depth_multiplier > 1:
            win = np.repeat(win, op.depth_multiplier, axis=-1)
        acc = np.einsum("nhwyxc,yxc->nhwc", win, op.weights.astype(np.int64))
        return _requantize(acc, op, zp_out)
    if op.kind == OpKind.FULLY_CONNECTED:
        assert op.weights is not None
        flat = x.reshape(n, -1).astype(np.int64) - zp_in
        acc = flat @ (op.weights.astype(np.int64) - op.weight_zero_point).T
        return _requantize(acc, op, zp_out).reshape(out_shape)
    if op.kind == OpKind.AVERAGE_POOL2D:
        sums = _windows(x.astype(np.int64), op, out_shape[1:3]).sum(axis=(3, 4))
        ones = np.ones((1, *x.shape[1:3], 1), np.int64)
        counts = _windows(ones, op, out_shape[1:3]).sum(axis=(3, 4))
        half = counts // 2
        mean = np.where(sums > 0, (sums + half) // counts, -((-sums + half) // counts))  # C truncation
        return np.clip(mean, op.act_min, op.act_max).astype(np.int8)
    if op.kind == OpKind.ADD:
        m1, s1, m2, s2, mo, so = op.add_params
        y = values[op.inputs[1]]
        zp_in2 = t[op.inputs[1]].zero_point
        a = multiply_by_quantized_multiplier((x.astype(np.int64) - zp_in) << ADD_LEFT_SHIFT, m1, s1)
        b = multiply_by_quantized_multiplier((y.astype(np.int64) - zp_in2) << ADD_LEFT_SHIFT, m2, s2)
        raw = multiply_by_quantized_multiplier(a + b, mo, so) + zp_out
        return np.clip(raw, op.act_min, op.act_max).astype(np.int8)
    if op.kind == OpKind.PAD:
        p = op.padding
        return np.pad(x, ((0, 0), (p.top, p.bottom), (p.left, p.right), (0, 0)), constant_values=zp_out)
    if op.kind == OpKind.RESHAPE:
        return x.reshape(out_shape)
    if op.kind in _NEW_OPS:
        return _NEW_OPS[op.kind](model, op, values, out_shape)
    raise ValueError(f"{model.source}: {op.name}: no reference for op kind {op.kind}")


def _mul(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    """reference_integer_ops::Mul / BroadcastMul4DSlow."""
    t = model.tensors
    a = values[op.inputs[0]].astype(np.int64) - t[op.inputs[0]].zero_point
    b = values[op.inputs[1]].astype(np.int64) - t[op.inputs[1]].zero_point
    multiplier, shift = op.op_params
    raw = multiply_by_quantized_multiplier(a * b, multiplier, shift) + t[op.output].zero_point
    return np.clip(raw, op.act_min, op.act_max).astype(np.int8)


def _mean(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    """TFLite's int8 MEAN over rows and columns (QuantizedMeanOrSum): the sum minus the zero points, one
    requantization with 1/count folded into the multiplier."""
    t = model.tensors
    tin, tout = t[op.inputs[0]], t[op.output]
    x = values[op.inputs[0]].astype(np.int64)
    count = x.shape[1] * x.shape[2]
    sums = x.sum(axis=(1, 2), keepdims=True)
    multiplier, shift = op.op_params
    raw = multiply_by_quantized_multiplier(sums - tin.zero_point * count, multiplier, shift) + tout.zero_point
    return np.clip(raw, -128, 127).astype(np.int8)


def _logistic(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    """reference_integer_ops::Logistic: input rescaled to Q4.27, gemmlowp's logistic, output in Q0.8 - 128."""
    x = values[op.inputs[0]].astype(np.int64) - model.tensors[op.inputs[0]].zero_point
    multiplier, left_shift, radius = op.op_params
    q4 = multiply_by_quantized_multiplier(x, multiplier, left_shift)
    q0 = _fixedpoint.logistic(q4, 4)
    out = np.clip(rounding_divide_by_pot(q0, np.int64(31 - 8)) - 128, -128, 127)
    return np.where(x <= -radius, -128, np.where(x >= radius, 127, out)).astype(np.int8)


def _hard_swish(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    t = model.tensors
    return hard_swish(values[op.inputs[0]], t[op.inputs[0]].zero_point, t[op.output].zero_point, op.hard_swish_params)


def _softmax(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    """reference_ops::Softmax (int8 in, int8 out) over the channels of each pixel."""
    multiplier, left_shift, diff_min = op.op_params
    x = values[op.inputs[0]].astype(np.int64)
    diff = x - x.max(axis=-1, keepdims=True)
    used = diff >= diff_min
    scaled = multiply_by_quantized_multiplier(diff, multiplier, left_shift)
    exps = _fixedpoint.exp_on_negative_values(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS)
    accumulated = np.where(used, _fixedpoint.rescale(exps, 0, SOFTMAX_ACCUMULATION_INTEGER_BITS), 0)
    sum_of_exps = _wrap_sum(accumulated)
    shifted_scale, num_bits_over_unit = _fixedpoint.reciprocal(sum_of_exps, SOFTMAX_ACCUMULATION_INTEGER_BITS)
    unsat = rounding_divide_by_pot(_fixedpoint.mul(shifted_scale, exps), num_bits_over_unit + 31 - 8)
    return np.where(used, np.clip(unsat - 128, -128, 127), -128).astype(np.int8)


def _wrap_sum(values: np.ndarray) -> np.ndarray:
    """Sum over the last axis with int32 wrap-around (keepdims)."""
    total = values.sum(axis=-1, keepdims=True)
    return ((total + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def _max_pool(model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple) -> np.ndarray:
    """reference_integer_ops::MaxPool: the window's valid elements only (padding never wins), then the clamp."""
    window_max = _windows(values[op.inputs[0]], op, out_shape[1:3], fill=-128).max(axis=(3, 4))
    return np.clip(window_max, op.act_min, op.act_max).astype(np.int8)


def _concatenation(
    model: QuantizedModel, op: QuantizedOp, values: dict[int, np.ndarray], out_shape: tuple
) -> np.ndarray:
    joined = np.concatenate([values[j] for j in op.inputs], axis=-1)
    return np.clip(joined, op.act_min, op.act_max).astype(np.int8)


_NEW_OPS = {
    OpKind.MUL: _mul,
    OpKind.MEAN: _mean,
    OpKind.LOGISTIC: _logistic,
    OpKind.HARD_SWISH: _hard_swish,
    OpKind.SOFTMAX: _softmax,
    OpKind.MAX_POOL2D: _max_pool,
    OpKind.CONCATENATION: _concatenation,
}


def quantize_input(model: QuantizedModel, values: np.ndarray) -> np.ndarray:
    """A float model's input edge (TFLite's QUANTIZE, AffineQuantize): round(x / scale) half away from zero
    in float32, plus the zero point, clamped to int8."""
    t = model.tensors[model.input]
    q = np.asarray(values, np.float32) / np.float32(t.scale)
    rounded = np.sign(q) * np.floor(np.abs(q).astype(np.float64) + 0.5)
    return np.clip(rounded + t.zero_point, -128, 127).astype(np.int8)


def dequantize_output(model: QuantizedModel, values: np.ndarray) -> np.ndarray:
    """A float model's output edge (TFLite's DEQUANTIZE): float32(double(scale) * (q - zero_point))."""
    t = model.tensors[model.output]
    return (float(np.float32(t.scale)) * (np.asarray(values, np.float64) - t.zero_point)).astype(np.float32)


@overload
def evaluate(
    model: QuantizedModel, inputs: np.ndarray, *, keep_intermediates: Literal[False] = False
) -> np.ndarray: ...
@overload
def evaluate(
    model: QuantizedModel, inputs: np.ndarray, *, keep_intermediates: Literal[True]
) -> dict[int, np.ndarray]: ...
def evaluate(
    model: QuantizedModel, inputs: np.ndarray, *, keep_intermediates: bool = False
) -> np.ndarray | dict[int, np.ndarray]:
    """Run int8 ``inputs`` (N x H x W x C, or one H x W x C image) through the model.

    Returns the output (N x h x w x c, or h x w x c for one image), or with ``keep_intermediates`` every
    tensor's value by IR tensor index.
    """
    inputs = np.asarray(inputs)
    want = model.tensors[model.input].shape
    single = inputs.shape == want
    batch = inputs[None] if single else inputs
    if inputs.dtype != np.int8 or batch.shape[1:] != want:
        raise ValueError(
            f"{model.source}: input: expected int8 of shape (N, {', '.join(map(str, want))}), "
            f"got {inputs.dtype} {inputs.shape}"
        )
    values = {model.input: batch}
    values.update({i: t.data[None] for i, t in enumerate(model.tensors) if t.data is not None})  # constants
    for op in model.ops:
        values[op.output] = _run_op(model, op, values)
    if keep_intermediates:
        return {k: (v[0] if single else v) for k, v in values.items()}
    out = values[model.output]
    return out[0] if single else out
