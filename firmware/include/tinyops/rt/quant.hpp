#pragma once
// Fixed-point requantization exactly as TFLite's reference kernels (gemmlowp's rounding): a doubling
// high multiply that rounds half away from zero, then a rounding right shift (half away from zero).
#include <stdint.h>

#include "tinyops/rt/dsp.hpp"

namespace tinyops::rt {

inline int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * b;
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// A shift as (left, right) exponents, each within [0, 31]. The loader bounds every stored shift to
// [-31, 31]; the clamp keeps the shifts defined (no UB) for data a malformed plan leaves in an overlay buffer
// the kernel then reads (found by the loader fuzzer), and changes nothing for valid blobs.
struct ShiftPair {
  int left, right;
};
inline ShiftPair split_shift(int32_t shift) {
  const int32_t clamped = shift > 31 ? 31 : (shift < -31 ? -31 : shift);
  return ShiftPair{clamped > 0 ? clamped : 0, clamped > 0 ? 0 : -clamped};
}

// TFLite's MultiplyByQuantizedMultiplier: x * multiplier * 2^shift with multiplier a Q31 value.
// The left shift wraps like TFLite's int32 arithmetic does on every target (made explicit here).
inline int32_t multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const ShiftPair s = split_shift(shift);
  const int left_shift = s.left, right_shift = s.right;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

// The same result for multipliers >= 0 (the loader guarantees it), in fewer instructions: for a product
// p of either sign, TFLite's truncating (p + nudge) / 2^31 equals the flooring (p + 2^30) >> 31, and the
// saturating case (both INT32_MIN) cannot occur.
inline int32_t multiply_by_quantized_multiplier_fast(int32_t x, int32_t multiplier, int32_t shift) {
  const ShiftPair s = split_shift(shift);
  const int left_shift = s.left, right_shift = s.right;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  const int32_t high = static_cast<int32_t>((static_cast<int64_t>(shifted) * multiplier + (1 << 30)) >> 31);
  // A left shift (as in the released r064 model) leaves nothing to round: skip the rounding's 6-7 instructions.
  return right_shift == 0 ? high : rounding_divide_by_pot(high, right_shift);
}

// Accumulation wraps modulo 2^32 as the int32 arithmetic of TFLite's kernels does on every target; written
// on unsigned values so that a pathological blob (a huge bias, a deep layer) is not undefined behaviour.
inline int32_t wrapping_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Requantization of one output channel in the optimized kernels. When the channel's accumulators are known
// to stay below 2^30 in magnitude (|bias| + 255 * sum|w| < 2^30) and its shift is a right shift, TFLite's
// two roundings reduce exactly to: h = SMMULR(2 * acc, m) (the doubling high multiply, since
// (2am + 2^31) >> 32 = (am + 2^30) >> 31), then (h + 2^(e-1) - [h < 0]) >> e (round half away from zero),
// with no overflow anywhere. Other channels take the general path.
struct ChannelRequant {
  int32_t multiplier, shift;
  int32_t half;         // 2^(e-1), e = -shift
  int32_t right_shift;  // e
  bool bounded;         // the fast path applies

  static ChannelRequant make(int32_t multiplier, int32_t shift, int32_t bias, int64_t abs_weight_sum) {
    const int64_t bound = (bias < 0 ? -int64_t{bias} : int64_t{bias}) + 255 * abs_weight_sum;
    const bool bounded = shift < 0 && shift >= -31 && bound < (int64_t{1} << 30);
    return ChannelRequant{multiplier, shift, bounded ? (1 << (-shift - 1)) : 0, bounded ? -shift : 0, bounded};
  }
};

// x * multiplier * 2^shift for shift in [-31, 0] and |x| < 2^30 (what TFLite's two roundings reduce to there):
// the doubling high multiply by SMMULR, then the rounding right shift (half away from zero; none for shift 0).
// The optimized add and mul use it.
struct RightShiftRescale {
  int32_t multiplier, half, rounds, right_shift;
  static RightShiftRescale make(int32_t multiplier, int32_t shift) {
    const int32_t e = -shift;
    return RightShiftRescale{multiplier, e > 0 ? 1 << (e - 1) : 0, e > 0 ? 1 : 0, e};
  }
  int32_t operator()(int32_t x) const {
    const int32_t high = dsp::smmulr(x * 2, multiplier);
    const int32_t negative = static_cast<int32_t>((static_cast<uint32_t>(high) >> 31) & static_cast<uint32_t>(rounds));
    return (high + half - negative) >> right_shift;
  }
};

// accumulator -> int8 output of a conv / depthwise / fully connected channel.
inline int8_t requantize(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_zero_point, int32_t act_min,
                         int32_t act_max) {
  const int32_t v = wrapping_add(multiply_by_quantized_multiplier(acc, multiplier, shift), output_zero_point);
  return static_cast<int8_t>(clamp_i32(v, act_min, act_max));
}
inline int8_t requantize_fast(int32_t acc, int32_t multiplier, int32_t shift, int32_t output_zero_point,
                              int32_t act_min, int32_t act_max) {
  const int32_t v = wrapping_add(multiply_by_quantized_multiplier_fast(acc, multiplier, shift), output_zero_point);
  return static_cast<int8_t>(clamp_i32(v, act_min, act_max));
}

// The bounded path before the zero point and the clamp (only for q.bounded).
inline int32_t requantize_bounded(int32_t acc, const ChannelRequant& q) {
  const int32_t high = dsp::smmulr(acc * 2, q.multiplier);
  const int32_t negative = static_cast<int32_t>(static_cast<uint32_t>(high) >> 31);
  return (high + q.half - negative) >> q.right_shift;
}

inline int8_t requantize_channel(int32_t acc, const ChannelRequant& q, int32_t output_zero_point, int32_t act_min,
                                 int32_t act_max) {
  if (!q.bounded) return requantize_fast(acc, q.multiplier, q.shift, output_zero_point, act_min, act_max);
  return static_cast<int8_t>(clamp_i32(requantize_bounded(acc, q) + output_zero_point, act_min, act_max));
}

}  // namespace tinyops::rt
