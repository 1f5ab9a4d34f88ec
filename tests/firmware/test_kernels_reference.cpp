// The reference kernels on small cases computed by hand (TFLite semantics).
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernel_test_util.hpp"

namespace tinyops::rt {
namespace {

using test::geometry;
using test::whole_input;
using test::whole_output;
constexpr int32_t kHalf = 1 << 30;  // 0.5
constexpr int32_t kOne = 1 << 30;   // with shift 1: 1.0

TEST(Conv2dReference, PointwiseHandComputed) {
  // pixels (1, 2), (3, -1); zero point -1; filters (1, -1), (2, 3); bias (10, -5); scale 0.5; out zp 5.
  const std::vector<int8_t> input{1, 2, 3, -1}, weights{1, -1, 2, 3};
  const std::vector<int32_t> bias{10, -5}, mult{kHalf, kHalf}, shift{0, 0};
  std::vector<int8_t> out(4);
  conv2d_reference(geometry(1, 1, 1, 1, 0, 0, 1, -128, 11), whole_input(input, 1, 2, 2, -1),
                   {weights.data(), bias.data(), mult.data(), shift.data()}, whole_output(out, 1, 2, 2, 5));
  // 9*0.5 -> 5, 8*0.5 = 4, 14*0.5 = 7 (12 clamped to 11), 3*0.5 -> 2
  EXPECT_EQ(out, (std::vector<int8_t>{10, 9, 11, 7}));
}

TEST(Conv2dReference, PaddingContributesNothing) {
  // a 1x1 input (value 2, zero point -3) under a padded 3x3 kernel: only the centre tap (3) counts.
  const std::vector<int8_t> input{2};
  std::vector<int8_t> weights(9, 100);
  weights[4] = 3;
  const std::vector<int32_t> mult{kOne}, shift{1};
  std::vector<int8_t> out(1);
  conv2d_reference(geometry(3, 3, 1, 1, 1, 1), whole_input(input, 1, 1, 1, -3),
                   {weights.data(), nullptr, mult.data(), shift.data()}, whole_output(out, 1, 1, 1, 0));
  EXPECT_EQ(out[0], 15);
}

TEST(DepthwiseConv2dReference, DepthMultiplierHandComputed) {
  // input 1x2x1 (4, -2); kernel 1x2, multiplier 2: taps (1, 2), (3, -1); bias (0, 1); scale 0.5.
  const std::vector<int8_t> input{4, -2}, weights{1, 2, 3, -1};
  const std::vector<int32_t> bias{0, 1}, mult{kHalf, kHalf}, shift{0, 0};
  std::vector<int8_t> out(2);
  depthwise_conv2d_reference(geometry(1, 2, 1, 1, 0, 0, 2), whole_input(input, 1, 2, 1, 0),
                             {weights.data(), bias.data(), mult.data(), shift.data()}, whole_output(out, 1, 1, 2, 0));
  EXPECT_EQ(out, (std::vector<int8_t>{-1, 6}));  // -2*0.5 = -1; 11*0.5 -> 6
}

TEST(FullyConnectedReference, WeightsZeroPoint) {
  const std::vector<int8_t> input{1, 2, 3}, weights{1, 1, 1, -2, 0, 5};
  const std::vector<int32_t> bias{1, 0}, mult{kOne, kOne}, shift{1, 1};
  std::vector<int8_t> out(2);
  const InputRows in = whole_input(input, 1, 1, 3, 1);  // values - zp: (0, 1, 2)
  fully_connected_reference(in, {weights.data(), bias.data(), mult.data(), shift.data()}, 0, -128, 127,
                            whole_output(out, 1, 1, 2, 0));
  EXPECT_EQ(out, (std::vector<int8_t>{4, 10}));
  fully_connected_reference(in, {weights.data(), bias.data(), mult.data(), shift.data()}, 1, -128, 127,
                            whole_output(out, 1, 1, 2, 0));
  EXPECT_EQ(out, (std::vector<int8_t>{1, 7}));  // weights - 1: (0,0,0) + 1, (-3,-1,4) -> 7
}

TEST(AddReference, HandComputed) {
  // in1 (10, -20) zp 0, in2 (3, 4) zp 1, both scaled by 0.5; output scale 2^-20 * 0.5, zp -1.
  const std::vector<int8_t> a{10, -20}, b{3, 4};
  std::vector<int8_t> out(2);
  const AddParams p{kHalf, 0, kHalf, 0, kHalf, -20, -128, 127};
  add_reference(p, whole_input(a, 1, 1, 2, 0), whole_input(b, 1, 1, 2, 1), whole_output(out, 1, 1, 2, -1));
  EXPECT_EQ(out, (std::vector<int8_t>{2, -5}));  // (5 + 1) * 0.5 = 3; (-10 + 1.5) * 0.5 = -4.25 -> -4
}

TEST(AveragePool2dReference, RoundsHalfAwayAndClipsTheWindow) {
  // 2x4 input, 2x2 windows with stride 2: sums 11 -> 2.75 -> 3, -10 -> -2.5 -> -3.
  const std::vector<int8_t> input{1, 2, -1, -2, 3, 5, -3, -4};
  std::vector<int8_t> out(2);
  average_pool2d_reference(geometry(2, 2, 2, 2, 0, 0), whole_input(input, 2, 4, 1, 0), whole_output(out, 1, 2, 1, 0));
  EXPECT_EQ(out, (std::vector<int8_t>{3, -3}));
  // a padded 3x3 window at the corner of a 2x2 input counts 4 values: (1 + 2 + 3 + 5) / 4 -> 3, clamped to 2.
  const std::vector<int8_t> small{1, 2, 3, 5};
  std::vector<int8_t> one(1);
  average_pool2d_reference(geometry(3, 3, 1, 1, 1, 1, 1, -128, 2), whole_input(small, 2, 2, 1, 0),
                           whole_output(one, 1, 1, 1, 0));
  EXPECT_EQ(one[0], 2);
}

TEST(PadReference, FillsWithOutputZeroPoint) {
  const std::vector<int8_t> input{5, 6};
  std::vector<int8_t> out(12);
  pad_reference(1, 1, whole_input(input, 1, 1, 2, 7), whole_output(out, 2, 3, 2, 7));
  EXPECT_EQ(out, (std::vector<int8_t>{7, 7, 7, 7, 7, 7, 7, 7, 5, 6, 7, 7}));
}

TEST(ReshapeReference, CopiesBytes) {
  const std::vector<int8_t> input{1, 2, 3};
  std::vector<int8_t> out(3);
  reshape_reference(input.data(), out.data(), 3);
  EXPECT_EQ(out, input);
}

// Scales 1/16 in and out: TFLite's Prepare gives reluish 21845 (Q15 of 2/3) with exponent 3 and output
// 16384 (Q15 of 1/2) with exponent -6. Values worked through the fixed-point steps by hand; each is also
// the rounded real hard-swish: x = 0, 1, 3, -3, -1, 7.75 (q = 16 x + 3) -> 0, 0.667, 3, 0, -0.333, 7.75.
TEST(HardSwishReference, HandComputed) {
  const HardSwishParams p{3, -2, 21845, 16384, 3, -6};
  const std::vector<int8_t> input{3, 19, 51, -45, -13, 127};
  std::vector<int8_t> out(input.size());
  hard_swish_reference(p, input.data(), out.data(), static_cast<int>(input.size()));
  EXPECT_EQ(out, (std::vector<int8_t>{-2, 9, 46, -2, -7, 122}));
}

TEST(HardSwishReference, RegionTouchesOnlyItsRowsAndChannels) {
  const HardSwishParams p{3, -2, 21845, 16384, 3, -6};
  std::vector<int8_t> t(3 * 2 * 3, 19);  // 3 rows x 2 columns x 3 channels, all x = 1
  // rows [1, 3) x channels [1, 3) of a 3x2x3 tensor; data points at row 1.
  const OutputRegion region{t.data() + 2 * 3, 3, 2, 3, 1, 3, 1, 3, -2};
  hard_swish_region(p, region);
  for (int y = 0; y < 3; ++y) {
    for (int x = 0; x < 2; ++x) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(t[(y * 2 + x) * 3 + c], (y >= 1 && c >= 1) ? 9 : 19) << y << "," << x << "," << c;
      }
    }
  }
}

TEST(HardSwishLut, EqualsTheReferenceForEveryValue) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> zp(-128, 127), q15(1, 32767), reluish_exp(-12, 12), out_exp(-12, 0);
  for (int round = 0; round < 50; ++round) {
    const HardSwishParams p{
        zp(rng),          zp(rng),     static_cast<int16_t>(q15(rng)), static_cast<int16_t>(q15(rng)),
        reluish_exp(rng), out_exp(rng)};
    std::vector<int8_t> a(256), b(256);
    for (int v = 0; v < 256; ++v) a[v] = b[v] = static_cast<int8_t>(v - 128);
    int8_t table[256];
    hard_swish_table(p, table);
    hard_swish_region(p, whole_output(a, 4, 4, 16, 0));
    hard_swish_region_lut(table, whole_output(b, 4, 4, 16, 0));
    ASSERT_EQ(a, b) << "round " << round;
  }
}

}  // namespace
}  // namespace tinyops::rt
