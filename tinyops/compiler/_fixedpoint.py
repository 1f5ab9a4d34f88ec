"""gemmlowp's fixed-point transcendentals on numpy arrays, as TFLite's int8 LOGISTIC and SOFTMAX run them.

Values are int64 arrays holding int32 raw fixed-point numbers; a ``FixedPoint<int32, k>`` (k integer bits)
has 31 - k fractional bits. Each function mirrors the gemmlowp template of the same name bit for bit
(``fixedpoint/fixedpoint.h``), including int32 wrap-around on plain adds, so that the numpy reference, the
firmware kernels and the reference interpreters agree exactly.
"""

from __future__ import annotations

import numpy as np

from tinyops.compiler._quant import INT32_MAX, INT32_MIN, _wrap_int32, rounding_divide_by_pot
from tinyops.compiler._quant import saturating_rounding_doubling_high_mul as _srdhm

# exp(-2^k) in Q0.31 for k = -2 ... 4: the barrel shifter of exp_on_negative_values.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535), (3, 720401), (4, 242))


def mul(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """FixedPoint multiplication (SaturatingRoundingDoublingHighMul of the raw values)."""
    return _srdhm(np.asarray(a, np.int64), np.asarray(b, np.int64))


def saturating_multiply_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """SaturatingRoundingMultiplyByPOT<exponent>: saturating left shift, or rounding right shift."""
    if exponent == 0:
        return x
    if exponent < 0:
        return rounding_divide_by_pot(x, np.int64(-exponent))
    threshold = (1 << (31 - exponent)) - 1
    shifted = _wrap_int32(x << exponent)
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, shifted))


def rescale(x: np.ndarray, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    """Rescale<dst>(FixedPoint<src>)."""
    return saturating_multiply_by_pot(x, src_integer_bits - dst_integer_bits)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    constant_term = 1895147668  # exp(-1/8) in Q0.31
    constant_1_over_3 = 715827883
    x = _wrap_int32(a + (1 << 28))  # Taylor expansion around -1/8
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = saturating_multiply_by_pot(x4, -2)
    poly = saturating_multiply_by_pot(_wrap_int32(mul(_wrap_int32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return _wrap_int32(constant_term + mul(constant_term, _wrap_int32(x + poly)))


def exp_on_negative_values(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """exp(a) in Q0.31 for a <= 0 given as FixedPoint<int32, integer_bits>."""
    a = np.asarray(a, np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = _wrap_int32((a & (one_quarter - 1)) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0)
    )
    remainder = _wrap_int32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where((remainder & bit) != 0, mul(result, multiplier), result)
    if integer_bits > 5:
        result = np.where(a < -(1 << (36 - integer_bits)), 0, result)
    return np.where(a == 0, INT32_MAX, result)


def one_over_one_plus_x_for_x_in_0_1(a: np.ndarray) -> np.ndarray:
    """1 / (1 + a) in Q0.31 for a in [0, 1) given in Q0.31 (Newton-Raphson, three steps, in Q2.29)."""
    a = np.asarray(a, np.int64)
    total = a + INT32_MAX
    half_denominator = np.where(total >= 0, (total + 1) // 2, -((-(total - 1)) // 2))  # (sum + sign) / 2, C
    one_f2 = 1 << 29
    x = _wrap_int32(1515870810 + mul(half_denominator, -1010580540))  # 48/17 - 32/17 * d
    for _ in range(3):
        one_minus_half_denominator_times_x = _wrap_int32(one_f2 - mul(half_denominator, x))
        x = _wrap_int32(x + rescale(mul(x, one_minus_half_denominator_times_x), 4, 2))
    return rescale(x, 1, 0)  # ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale<0>


def logistic(a: np.ndarray, integer_bits: int) -> np.ndarray:
    """gemmlowp::logistic: 1 / (1 + exp(-a)) in Q0.31 for any a in FixedPoint<int32, integer_bits>."""
    a = np.asarray(a, np.int64)
    positive = a > 0
    abs_input = np.where(positive, a, _wrap_int32(-a))
    if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(_wrap_int32(-abs_input), integer_bits))
    if_negative = _wrap_int32(INT32_MAX - if_positive)
    return np.where(a == 0, 1 << 30, np.where(positive, if_positive, if_negative))


def reciprocal(x: np.ndarray, x_integer_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite's GetReciprocal: (1 / x in Q0.31 scaled into [0.5, 1), num_bits_over_unit), x > 0."""
    x = np.asarray(x, np.int64)
    unsigned = x & 0xFFFFFFFF
    # CountLeadingZeros(uint32): frexp is exact on integers below 2^53 (the exponent is the bit length).
    headroom_plus_one = 32 - np.frexp(unsigned.astype(np.float64))[1].astype(np.int64)
    num_bits_over_unit = x_integer_digits - headroom_plus_one
    shifted_sum_minus_one = _wrap_int32(((unsigned << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit
