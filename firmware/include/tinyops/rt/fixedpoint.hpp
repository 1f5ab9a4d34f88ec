#pragma once
// gemmlowp's fixed-point exp, reciprocal and logistic on raw int32 values, as TFLite's int8 LOGISTIC and
// SOFTMAX run them (fixedpoint/fixedpoint.h, function for function). A FixedPoint<int32, k> holds k integer
// bits and 31 - k fractional bits; plain adds wrap modulo 2^32 as gemmlowp's do.
#include <stdint.h>

#include "tinyops/rt/quant.hpp"

namespace tinyops::rt::fixedpoint {

inline int32_t add(int32_t a, int32_t b) { return wrapping_add(a, b); }
inline int32_t sub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t mul(int32_t a, int32_t b) { return saturating_rounding_doubling_high_mul(a, b); }

// SaturatingRoundingMultiplyByPOT<exponent>.
inline int32_t multiply_by_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return rounding_divide_by_pot(x, -exponent);
  const int32_t threshold = static_cast<int32_t>((int64_t{1} << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

// Rescale<dst>(FixedPoint<src>).
inline int32_t rescale(int32_t x, int src_integer_bits, int dst_integer_bits) {
  return multiply_by_pot(x, src_integer_bits - dst_integer_bits);
}

// exp(a) for a in [-1/4, 0), Q0.31 in and out.
inline int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
  constexpr int32_t kConstantTerm = 1895147668;  // exp(-1/8)
  constexpr int32_t kOneThird = 715827883;
  const int32_t x = add(a, 1 << 28);
  const int32_t x2 = mul(x, x);
  const int32_t x3 = mul(x2, x);
  const int32_t x4 = mul(x2, x2);
  const int32_t x4_over_4 = multiply_by_pot(x4, -2);
  const int32_t poly = multiply_by_pot(add(mul(add(x4_over_4, x3), kOneThird), x2), -1);
  return add(kConstantTerm, mul(kConstantTerm, add(x, poly)));
}

// exp(a) in Q0.31 for a <= 0 in FixedPoint<int32, integer_bits>.
inline int32_t exp_on_negative_values(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = int32_t{1} << (fractional_bits - 2);
  const int32_t a_mod_quarter_minus_one_quarter = sub(a & (one_quarter - 1), one_quarter);
  int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
      rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  const int32_t remainder = sub(a_mod_quarter_minus_one_quarter, a);
  struct Barrel {
    int exponent;
    int32_t multiplier;  // exp(-2^exponent) in Q0.31
  };
  constexpr Barrel kBarrel[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                                {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Barrel& b : kBarrel) {
    if (integer_bits > b.exponent && (remainder & (int32_t{1} << (fractional_bits + b.exponent))) != 0)
      result = mul(result, b.multiplier);
  }
  if (integer_bits > 5 && a < -(int32_t{1} << (36 - integer_bits))) result = 0;
  return a == 0 ? INT32_MAX : result;
}

// 1 / (1 + a) for a in [0, 1), Q0.31 in and out (Newton-Raphson in Q2.29).
inline int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  const int64_t sum = int64_t{a} + INT32_MAX;
  const int32_t half_denominator = static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);  // RoundingHalfSum
  constexpr int32_t kOneQ2 = 1 << 29;
  int32_t x = add(1515870810, mul(half_denominator, -1010580540));  // 48/17 - 32/17 * d
  for (int i = 0; i < 3; ++i) {
    const int32_t one_minus_half_denominator_times_x = sub(kOneQ2, mul(half_denominator, x));
    x = add(x, rescale(mul(x, one_minus_half_denominator_times_x), 4, 2));
  }
  return rescale(x, 1, 0);  // ExactMulByPot<-1>, then Rescale<0>
}

// 1 / (1 + exp(-a)) in Q0.31 for a in FixedPoint<int32, integer_bits>.
inline int32_t logistic(int32_t a, int integer_bits) {
  if (a == 0) return 1 << 30;
  const int32_t abs_input = a > 0 ? a : sub(0, a);
  const int32_t if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(sub(0, abs_input), integer_bits));
  return a > 0 ? if_positive : sub(INT32_MAX, if_positive);
}

// TFLite's GetReciprocal: 1 / x scaled into Q0.31 for x > 0 with x_integer_digits, and the bits over unit.
inline int32_t reciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const uint32_t u = static_cast<uint32_t>(x);
  int headroom_plus_one = 0;  // count leading zeros
  while (headroom_plus_one < 32 && (u & (uint32_t{1} << (31 - headroom_plus_one))) == 0) ++headroom_plus_one;
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const uint32_t shifted = headroom_plus_one < 32 ? u << headroom_plus_one : 0;
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(shifted - (uint32_t{1} << 31));
  return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

}  // namespace tinyops::rt::fixedpoint
