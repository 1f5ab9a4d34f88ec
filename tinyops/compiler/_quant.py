"""TFLite's integer requantization arithmetic, computed once here for every consumer.

Everything downstream (the numpy reference evaluator, the blob, the firmware kernels) executes the integers
this module derives; nobody re-derives them from float scales.

One quirk of the reference interpreters matters for real models: TFLite computes ``x * (1 << left_shift)``
in 32-bit ``int``. ``QuantizeMultiplier`` returns left shifts above 31 for effective scales of 2^31 or more
(the released ``proxyless-w0.30-r064_int8.tflite`` has shifts up to 98), and the x86 builds of TFLite Micro
and LiteRT that ship on PyPI then shift by ``left_shift mod 32`` and wrap on overflow (the ``shl``
instruction masks its count). We store that *executed* shift (``shift mod 32`` when ``shift > 31``) so
that the kernels compute, without undefined behaviour, ``int32(uint32(x) << shift)`` for ``0 < shift <= 31``
and give the reference's bits. For sane scales (every shift <= 30) this changes nothing.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
# TFLite's quantized add scales both inputs up by 2^20 before rescaling them (int8 path).
ADD_LEFT_SHIFT = 20


def _tflite_round(value: float) -> int:
    """std::round: half away from zero."""
    return int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)


def quantize_multiplier(real_multiplier: float) -> tuple[int, int]:
    """TFLite's ``QuantizeMultiplier``: a double as a Q31 multiplier in [2^30, 2^31) and a power-of-two shift.

    Returns TFLite's shift unchanged (it may exceed 31; see :func:`executed_shift`). Multipliers below
    2^-31 flush to (0, 0) as TFLite does.
    """
    if real_multiplier < 0 or not math.isfinite(real_multiplier):
        raise ValueError(f"requantization multiplier must be finite and >= 0, got {real_multiplier!r}")
    if real_multiplier == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real_multiplier)
    q_fixed = _tflite_round(mantissa * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def executed_shift(shift: int) -> int:
    """The left shift the reference interpreters actually apply: ``shift mod 32`` above 31 (see module doc)."""
    return shift & 31 if shift > 31 else shift


def quantize_multiplier_executed(real_multiplier: float) -> tuple[int, int]:
    """:func:`quantize_multiplier` with the shift the reference executes (in -31 ... 31)."""
    multiplier, shift = quantize_multiplier(real_multiplier)
    return multiplier, executed_shift(shift)


def per_channel_multipliers(
    input_scale: float, weight_scales: np.ndarray, output_scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Conv / depthwise / FC output multipliers and shifts, one per channel, as TFLite's
    ``PopulateConvolutionQuantizationParams``: (double)input_scale * (double)filter_scale / (double)output_scale,
    each scale being the float32 stored in the model."""
    s_in = float(np.float32(input_scale))
    s_out = float(np.float32(output_scale))
    pairs = [quantize_multiplier_executed(s_in * float(np.float32(s_w)) / s_out) for s_w in weight_scales]
    multipliers = np.array([m for m, _ in pairs], dtype=np.int32)
    shifts = np.array([s for _, s in pairs], dtype=np.int32)
    return multipliers, shifts


def add_params(input1_scale: float, input2_scale: float, output_scale: float) -> tuple[int, int, int, int, int, int]:
    """TFLite's int8 ADD parameters (input1 multiplier/shift, input2 multiplier/shift, output multiplier/shift),
    with ``left_shift = 20`` implied, as ``PrepareGeneralSubOp``/add.cc compute them."""
    s1, s2, s_out = (float(np.float32(s)) for s in (input1_scale, input2_scale, output_scale))
    twice_max_input_scale = 2.0 * max(s1, s2)
    real_input1 = s1 / twice_max_input_scale
    real_input2 = s2 / twice_max_input_scale
    real_output = twice_max_input_scale / ((1 << ADD_LEFT_SHIFT) * s_out)
    params: list[int] = []
    for real, what in ((real_input1, "input1"), (real_input2, "input2"), (real_output, "output")):
        if not 0.0 < real < 1.0:
            raise ValueError(f"add {what} rescale {real!r} is outside (0, 1) as TFLite requires")
        params.extend(quantize_multiplier(real))
    return tuple(params)  # type: ignore[return-value]


def activation_range(activation: str, output_scale: float, output_zero_point: int) -> tuple[int, int]:
    """TFLite's ``CalculateActivationRangeQuantized`` for int8 (``TfLiteRound(f / scale)`` in float32)."""
    qmin, qmax = -128, 127
    scale = np.float32(output_scale)

    def quantize(value: float) -> int:
        return output_zero_point + _tflite_round(float(np.float32(value) / scale))

    if activation == "none":
        return qmin, qmax
    if activation == "relu":
        return max(qmin, quantize(0.0)), qmax
    if activation == "relu6":
        return max(qmin, quantize(0.0)), min(qmax, quantize(6.0))
    if activation == "relu_n1_to_1":
        return max(qmin, quantize(-1.0)), min(qmax, quantize(1.0))
    raise ValueError(f"unsupported fused activation {activation!r} (expected none, relu, relu6, relu_n1_to_1)")


def _int16_multiplier(q31: int) -> int:
    """TFLite's ``DownScaleInt32ToInt16Multiplier``: a Q31 multiplier (>= 0) rounded to Q15."""
    if q31 >= INT32_MAX - (1 << 15):
        return (1 << 15) - 1
    return (q31 + (1 << 15)) >> 16


def hard_swish_params(input_scale: float, output_scale: float) -> tuple[int, int, int, int]:
    """TFLite's int8 ``HardSwishPrepare``: (reluish multiplier Q15, reluish exponent, output multiplier Q15,
    output exponent), from the scales in float32 as TFLite computes them."""
    hires_input_scale = np.float32(1.0 / 128.0) * np.float32(input_scale)
    reluish_scale = np.float32(3.0) / np.float32(32768.0)
    output_multiplier, output_exponent = quantize_multiplier(float(hires_input_scale / np.float32(output_scale)))
    if output_exponent > 0:
        raise ValueError(
            f"hard-swish output scale {output_scale!r} is below input scale / 128 "
            f"({float(hires_input_scale)!r}): TFLite requires output_multiplier_exponent <= 0"
        )
    reluish_multiplier, reluish_exponent = quantize_multiplier(float(hires_input_scale / reluish_scale))
    if not -31 <= reluish_exponent <= 31:
        raise ValueError(
            f"hard-swish input scale {input_scale!r}: reluish exponent {reluish_exponent} outside -31 ... 31"
        )
    return (
        _int16_multiplier(reluish_multiplier),
        reluish_exponent,
        _int16_multiplier(output_multiplier),
        output_exponent,
    )


def scale_as_q31(scale: float) -> tuple[int, int]:
    """A tensor's float scale as multiplier x 2^(shift-31) (unclamped shift), for the blob's tensor records."""
    if scale <= 0:
        return 0, 0
    multiplier, shift = quantize_multiplier(float(np.float32(scale)))
    if not -31 <= shift <= 30:
        return 0, 0
    return multiplier, shift


# ---- vectorized integer arithmetic (numpy reference evaluator) -------------------------------------------


def _wrap_int32(values: np.ndarray) -> np.ndarray:
    return ((values.astype(np.int64) + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """gemmlowp's SRDHM on int64 arrays holding int32 values."""
    product = a.astype(np.int64) * b.astype(np.int64)
    nudged = product + np.where(product >= 0, 1 << 30, 1 - (1 << 30))
    high = np.where(nudged >= 0, nudged >> 31, -((-nudged) >> 31))  # C division truncates toward zero
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, high)


def rounding_divide_by_pot(x: np.ndarray, exponent: npt.ArrayLike) -> np.ndarray:
    """gemmlowp's RoundingDivideByPOT: arithmetic right shift rounding half away from zero."""
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x: np.ndarray, multiplier: npt.ArrayLike, shift: npt.ArrayLike) -> np.ndarray:
    """TFLite's ``MultiplyByQuantizedMultiplier`` (double rounding) with executed shifts in -31 ... 31."""
    x = _wrap_int32(np.asarray(x, dtype=np.int64))
    shift = np.asarray(shift, dtype=np.int64)
    left = np.where(shift > 0, shift, 0)
    right = np.where(shift > 0, 0, -shift)
    shifted = _wrap_int32(x << left)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, np.asarray(multiplier)), right)


def _srdhm_i16(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp's SaturatingRoundingDoublingHighMul on int16 values (held in int64 arrays)."""
    product = a * np.int64(b)
    nudged = product + np.where(product >= 0, 1 << 14, 1 - (1 << 14))
    high = np.where(nudged >= 0, nudged >> 15, -((-nudged) >> 15))
    return np.where((a == -(1 << 15)) & (b == -(1 << 15)), (1 << 15) - 1, high)


def hard_swish(x: np.ndarray, input_zero_point: int, output_zero_point: int, params: tuple[int, ...]) -> np.ndarray:
    """TFLite's reference int8 HardSwish (the 16-bit fixed-point form) on an int8 array."""
    reluish_multiplier, reluish_exponent, output_multiplier, output_exponent = params
    hires = (x.astype(np.int64) - input_zero_point) * 128
    preshift_output = _srdhm_i16(hires, output_multiplier)
    reluish = hires
    if reluish_exponent > 0:
        reluish = np.clip(reluish << (reluish_exponent - 1), -(1 << 15), (1 << 15) - 1)
    reluish = _srdhm_i16(reluish, reluish_multiplier)
    if reluish_exponent > 0:
        reluish = np.clip(reluish << 1, -(1 << 15), (1 << 15) - 1)
    if reluish_exponent < 0:
        reluish = rounding_divide_by_pot(reluish, np.int64(-reluish_exponent))
    reluish = (reluish + (1 << 15)) >> 1
    product = reluish * preshift_output
    truncated = np.where(product >= 0, product >> 15, -((-product) >> 15))  # SaturatingDoublingHighMul
    truncated = np.where((reluish == -(1 << 15)) & (preshift_output == -(1 << 15)), (1 << 15) - 1, truncated)
    out = rounding_divide_by_pot(truncated, np.int64(-output_exponent)) + output_zero_point
    return np.clip(out, -128, 127).astype(np.int8)


# ---- parameters of the element-wise and reduction ops (TFLite's Prepare of each) -------------------------


def mul_params(input1_scale: float, input2_scale: float, output_scale: float) -> tuple[int, int]:
    """int8 MUL: (multiplier, executed shift) of (double)s1 * (double)s2 / (double)s_out (mul_common.cc)."""
    s1, s2, s_out = (float(np.float32(s)) for s in (input1_scale, input2_scale, output_scale))
    return quantize_multiplier_executed(s1 * s2 / s_out)


def mean_params(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """int8 MEAN over ``count`` elements: TFLite's QuantizedMeanOrSum multiplier (input / output scale)
    with the 1/count factor folded in as it does: multiplier * 2^shift / count, shift = floor(log2(count))
    capped at 32 and at 31 + the output shift. Returns (multiplier, executed shift)."""
    multiplier, shift = quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
    log2_count = min(count.bit_length() - 1, 32, 31 + shift)
    if count < 1 or log2_count < 0:
        raise ValueError(
            f"mean over {count} elements with input/output scales {input_scale!r}/{output_scale!r}: "
            "outside what TFLite's int8 kernel represents"
        )
    return (multiplier << log2_count) // count, executed_shift(shift - log2_count)


def logistic_params(input_scale: float) -> tuple[int, int, int]:
    """int8 LOGISTIC (``logistic_common.cc``): input in Q4.27 by (multiplier, left shift) and the input
    radius beyond which the output saturates. Output quantization is fixed: scale 1/256, zero point -128."""
    input_integer_bits = 4
    real = float(np.float32(input_scale)) * float(1 << (31 - input_integer_bits))
    mantissa, left_shift = math.frexp(real)
    multiplier = _tflite_round(mantissa * (1 << 31))
    if multiplier >= 1 << 31 or not -31 <= left_shift <= 31:
        raise ValueError(f"logistic input scale {input_scale!r} is outside what TFLite's int8 kernel represents")
    return multiplier, left_shift, _input_radius(input_integer_bits, left_shift)


def _input_radius(input_integer_bits: int, input_left_shift: int, total_signed_bits: int = 31) -> int:
    """TFLite's CalculateInputRadius (every factor a power of two or small: exact in double)."""
    max_input_rescaled = (
        ((1 << input_integer_bits) - 1) * 2.0 ** (total_signed_bits - input_integer_bits) / 2.0**input_left_shift
    )
    return int(math.floor(max_input_rescaled))


SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
SOFTMAX_ACCUMULATION_INTEGER_BITS = 12


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """int8 SOFTMAX (``softmax_common.cc``, PreprocessSoftmaxScaling): (multiplier, left shift, diff_min).
    Output quantization is fixed: scale 1/256, zero point -128."""
    real = min(
        float(np.float32(beta)) * float(np.float32(input_scale)) * float(1 << (31 - SOFTMAX_SCALED_DIFF_INTEGER_BITS)),
        float((1 << 31) - 1),
    )
    if real <= 1.0:
        raise ValueError(
            f"softmax beta * input scale {real / (1 << 26)!r} is too small for TFLite's int8 kernel "
            "(QuantizeMultiplierGreaterThanOne)"
        )
    multiplier, left_shift = quantize_multiplier(real)
    return multiplier, left_shift, -_input_radius(SOFTMAX_SCALED_DIFF_INTEGER_BITS, left_shift)
