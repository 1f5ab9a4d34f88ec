// Requantization: TFLite's rounding on hand-computed edge cases, and the fast form equal to it.
#include <gtest/gtest.h>

#include <random>

#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

constexpr int32_t kHalf = 1 << 30;  // 0.5 as a Q31 multiplier

TEST(Quant, DoublingHighMulRoundsLikeGemmlowp) {
  EXPECT_EQ(saturating_rounding_doubling_high_mul(1, kHalf), 1);    // +0.5 -> 1
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-1, kHalf), 0);   // -0.5 -> 0 (gemmlowp's nudge)
  EXPECT_EQ(saturating_rounding_doubling_high_mul(-3, kHalf), -1);  // -1.5 -> -1
  EXPECT_EQ(saturating_rounding_doubling_high_mul(5, kHalf), 3);    // 2.5 -> 3
  EXPECT_EQ(saturating_rounding_doubling_high_mul(INT32_MIN, INT32_MIN), INT32_MAX);
}

TEST(Quant, RoundingDivideByPowerOfTwoRoundsHalfAwayFromZero) {
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2);    // 1.5
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2);  // -1.5
  EXPECT_EQ(rounding_divide_by_pot(-2, 2), -1);  // -0.5
  EXPECT_EQ(rounding_divide_by_pot(2, 2), 1);    // 0.5
  EXPECT_EQ(rounding_divide_by_pot(-5, 2), -1);  // -1.25
  EXPECT_EQ(rounding_divide_by_pot(7, 0), 7);
  EXPECT_EQ(rounding_divide_by_pot(INT32_MAX, 31), 1);
}

TEST(Quant, MultiplyByQuantizedMultiplierRoundsTwice) {
  EXPECT_EQ(multiply_by_quantized_multiplier(3, kHalf, -1), 1);    // 0.75: 1.5 -> 2, then 2/2 = 1
  EXPECT_EQ(multiply_by_quantized_multiplier(5, kHalf, -2), 1);    // 0.625
  EXPECT_EQ(multiply_by_quantized_multiplier(-5, kHalf, -2), -1);  // -0.625: -2.5 -> -2, -2/4 -> -1
  EXPECT_EQ(multiply_by_quantized_multiplier(3, kHalf, 2), 6);     // left shift first: 12 * 0.5
  EXPECT_EQ(multiply_by_quantized_multiplier(-1, kHalf, 0), 0);
  EXPECT_EQ(requantize(300, kHalf, 0, 10, -128, 127), 127);  // 150 + 10 clamped
  EXPECT_EQ(requantize(-300, kHalf, 0, 10, -128, 0), -128);
  EXPECT_EQ(requantize(9, kHalf, 0, 5, -128, 127), 10);  // 4.5 -> 5, + 5
}

TEST(Quant, FastFormIsBitExact) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> multiplier(0, INT32_MAX);
  std::uniform_int_distribution<int32_t> shift(-31, 8);
  for (int i = 0; i < 200000; ++i) {
    int32_t x = any(rng);
    if (i % 3 == 0) x >>= 12;  // typical accumulator sizes too
    const int32_t m = multiplier(rng), s = shift(rng);
    ASSERT_EQ(multiply_by_quantized_multiplier_fast(x, m, s), multiply_by_quantized_multiplier(x, m, s))
        << "x=" << x << " m=" << m << " shift=" << s;
  }
}

TEST(Quant, BoundedChannelPathIsBitExact) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int32_t> acc_d(-(1 << 30) + 1, (1 << 30) - 1), multiplier(0, INT32_MAX);
  std::uniform_int_distribution<int32_t> shift(-31, -1), zp(-128, 127);
  for (int i = 0; i < 200000; ++i) {
    int32_t acc = acc_d(rng);
    if (i % 2) acc >>= (i % 29);
    const int32_t m = multiplier(rng), s = shift(rng), z = zp(rng);
    const ChannelRequant q = ChannelRequant::make(m, s, 0, 0);
    ASSERT_TRUE(q.bounded);
    ASSERT_EQ(requantize_channel(acc, q, z, -128, 127), requantize(acc, m, s, z, -128, 127))
        << "acc=" << acc << " m=" << m << " shift=" << s;
  }
  // Channels whose accumulators may reach 2^30, or that shift left, take the general path.
  EXPECT_FALSE(ChannelRequant::make(kHalf, -3, 1 << 29, (1 << 22)).bounded);
  EXPECT_FALSE(ChannelRequant::make(kHalf, 1, 0, 10).bounded);
  EXPECT_EQ(requantize_channel(INT32_MAX, ChannelRequant::make(kHalf, 1, INT32_MAX, 0), 0, -128, 127),
            requantize(INT32_MAX, kHalf, 1, 0, -128, 127));
}

}  // namespace
}  // namespace tinyops::rt

// Garbage quant data (a malformed plan's overlay never filled, found by the loader fuzzer: 0x7F7F7F7F) must
// not be undefined behaviour: shifts clamp to [-31, 31], valid shifts are unchanged (UBSan build checks).
TEST(Quant, OutOfRangeShiftsClampInsteadOfUndefinedBehaviour) {
  using namespace tinyops::rt;
  const int32_t garbage = 0x7F7F7F7F;
  EXPECT_EQ(multiply_by_quantized_multiplier(12345, 1 << 30, garbage),
            multiply_by_quantized_multiplier(12345, 1 << 30, 31));
  EXPECT_EQ(multiply_by_quantized_multiplier_fast(-7, 1 << 30, -garbage),
            multiply_by_quantized_multiplier_fast(-7, 1 << 30, -31));
  EXPECT_FALSE(ChannelRequant::make(1 << 30, -garbage, 0, 1).bounded);
}
