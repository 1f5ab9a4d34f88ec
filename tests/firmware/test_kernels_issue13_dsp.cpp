// The optimized kernels of issue 13's ops bit-exact against their reference kernels: squeeze-and-excite's
// (1, 1, C) mul gate by rows, the tabulated int8 -> int8 maps (logistic, standalone hard-swish) and concatenation's
// memcpy path.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernel_test_util.hpp"
#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt {
namespace {

// TFLite's MUL parameters (a Q31 multiplier >= 2^30, shifts of both signs) over random zero points, activation
// ranges, channel counts (multiples of 4 and not) and row parts; mul() takes the reference path for left shifts
// and for equal-shaped inputs.
TEST(MulGate, MatchesReferenceWholeAndByRows) {
  std::mt19937 rng(29);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), zp(-128, 127), dim(1, 9), shift(-31, 3);
  int optimized = 0;
  for (int i = 0; i < 500; ++i) {
    const int h = dim(rng), w = dim(rng) + (h == 1 ? 1 : 0), c = dim(rng) * (i % 2 ? 4 : 1) + (i % 5 == 0 ? 3 : 0);
    const auto a = test::random_bytes(rng, static_cast<size_t>(h * w * c));
    const auto gate = test::random_bytes(rng, static_cast<size_t>(c));
    MulParams p{mult(rng), shift(rng), -128, 127};
    if (i % 3 == 1) p.act_min = std::uniform_int_distribution<int>(-128, -20)(rng), p.act_max = 127 + p.act_min / 4;
    const int32_t zp1 = zp(rng), zp2 = zp(rng), zp_out = zp(rng);
    const InputRows g{gate.data(), 1, 1, c, 0, 1, zp2};
    std::vector<int8_t> expected(a.size(), 0x55), actual(a.size(), 0x55);
    mul_reference(p, test::whole_input(a, h, w, c, zp1), g, test::whole_output(expected, h, w, c, zp_out));
    ASSERT_EQ(mul_gate_applies(p, test::whole_input(a, h, w, c, zp1), g), p.shift <= 0) << "case " << i;
    optimized += p.shift <= 0;
    const int parts = 1 + i % 3;
    for (int part = 0; part < parts; ++part) {
      const int r0 = h * part / parts, r1 = h * (part + 1) / parts;
      if (r0 == r1) continue;
      const size_t offset = static_cast<size_t>(r0 * w * c);
      mul(p, InputRows{a.data() + offset, h, w, c, r0, r1, zp1}, g,
          OutputRegion{actual.data() + offset, h, w, c, r0, r1, 0, c, zp_out});
    }
    ASSERT_EQ(actual, expected) << "case " << i << " shift " << p.shift << " channels " << c;
  }
  EXPECT_GT(optimized, 300);
}

TEST(MulGate, EqualShapesAndSinglePixelsTakeTheReference) {
  const std::vector<int8_t> a(12, 3), b(12, 5);
  const MulParams p{1 << 30, -3, -128, 127};
  EXPECT_FALSE(mul_gate_applies(p, test::whole_input(a, 1, 3, 4, 0), test::whole_input(b, 1, 3, 4, 0)));
  EXPECT_FALSE(mul_gate_applies(p, test::whole_input(a, 1, 1, 12, 0), test::whole_input(b, 1, 1, 12, 0)));
  EXPECT_FALSE(mul_gate_applies(MulParams{1 << 30, 1, -128, 127}, test::whole_input(a, 3, 1, 4, 0),
                                test::whole_input(b, 1, 1, 4, 0)));
}

// A map's table from its reference kernel, then looked up: every int8 value gives the reference's result.
TEST(MapLut, LogisticAndHardSwishTablesGiveTheReference) {
  std::vector<int8_t> values(256), table(256), looked_up(256), expected(256);
  for (int v = 0; v < 256; ++v) values[size_t(v)] = static_cast<int8_t>(v - 128);
  const LogisticParams logistic{3, 1518500250, 6, 1791};
  logistic_reference(logistic, values.data(), table.data(), 256);
  std::vector<int8_t> shuffled = values;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(3));
  map_lut(table.data(), shuffled.data(), looked_up.data(), 256);
  logistic_reference(logistic, shuffled.data(), expected.data(), 256);
  EXPECT_EQ(looked_up, expected);
  const HardSwishParams hard_swish{3, -20, 21845, 17476, 2, -1};
  hard_swish_table(hard_swish, table.data());
  map_lut(table.data(), shuffled.data(), looked_up.data(), 256);
  hard_swish_reference(hard_swish, shuffled.data(), expected.data(), 256);
  EXPECT_EQ(looked_up, expected);
  map_lut(table.data(), shuffled.data(), shuffled.data(), 256);  // in place
  EXPECT_EQ(shuffled, expected);
}

// 2..6 inputs of random channel counts, whole and by row parts (each input's rows staged on their own, as the
// planner stages them): the memcpy path over the full int8 range, the reference's clamps otherwise.
TEST(ConcatenationCopy, MatchesReferenceWholeAndByRows) {
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> dim(1, 7), count(2, 6);
  int copied = 0;
  for (int i = 0; i < 300; ++i) {
    const int n = count(rng), h = dim(rng), w = dim(rng);
    const bool full_range = i % 4 != 0;
    const int32_t act_min = full_range ? -128 : -100 + i % 50, act_max = full_range ? 127 : 90;
    std::vector<std::vector<int8_t>> data;
    int c = 0;
    for (int k = 0; k < n; ++k) {
      const int ck = dim(rng) * (k % 2 ? 4 : 1);
      data.push_back(test::random_bytes(rng, size_t(h * w * ck)));
      c += ck;
    }
    std::vector<int8_t> expected(size_t(h * w * c), 0x55), actual(expected.size(), 0x55);
    std::vector<InputRows> whole;
    for (const auto& d : data) whole.push_back(test::whole_input(d, h, w, int(d.size()) / (h * w), 0));
    concatenation_reference(whole.data(), n, act_min, act_max, test::whole_output(expected, h, w, c, 0));
    ASSERT_EQ(concatenation_copy_applies(act_min, act_max), full_range);
    copied += full_range;
    const int parts = 1 + i % 3;
    for (int part = 0; part < parts; ++part) {
      const int r0 = h * part / parts, r1 = h * (part + 1) / parts;
      if (r0 == r1) continue;
      std::vector<InputRows> rows;
      for (const auto& d : data) {
        const int ck = int(d.size()) / (h * w);
        rows.push_back(InputRows{d.data() + size_t(r0 * w * ck), h, w, ck, r0, r1, 0});
      }
      concatenation(rows.data(), n, act_min, act_max,
                    OutputRegion{actual.data() + size_t(r0 * w * c), h, w, c, r0, r1, 0, c, 0});
    }
    ASSERT_EQ(actual, expected) << "case " << i << ": " << n << " inputs, " << h << "x" << w << "x" << c;
  }
  EXPECT_GT(copied, 200);
}

}  // namespace
}  // namespace tinyops::rt
