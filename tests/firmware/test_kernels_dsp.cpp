// The DSP-optimized kernels (host build: portable intrinsics) against the references, bit for bit, over
// randomized shapes, quantization parameters and row/channel regions.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "kernel_test_util.hpp"
#include "tinyops/rt/dsp.hpp"

namespace tinyops::rt {
namespace {

struct Case {
  int h, w, cin, cout, kh, kw, sh, sw, pt, pl, ho, wo;
  int32_t in_zp, out_zp, act_min, act_max;
  std::vector<int8_t> input, weights;
  std::vector<int32_t> bias, mult, shift;
};

Case random_case(std::mt19937& rng, int kh, int kw, int stride, int cin, int cout, bool depthwise) {
  std::uniform_int_distribution<int> dim(1, 9), zp(-128, 127), pad(0, kh / 2), shift(-12, 1);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), bias(-40000, 40000);
  Case c;
  c.h = std::max(dim(rng), kh - 1);
  c.w = std::max(dim(rng), kw - 1);
  c.cin = cin;
  c.cout = depthwise ? cin : cout;
  c.kh = kh, c.kw = kw, c.sh = stride, c.sw = stride;
  c.pt = pad(rng), c.pl = pad(rng);
  const int pb = pad(rng), pr = pad(rng);
  c.ho = (c.h + c.pt + pb - kh) / stride + 1;
  c.wo = (c.w + c.pl + pr - kw) / stride + 1;
  if (c.ho < 1 || c.wo < 1) return random_case(rng, kh, kw, stride, cin, cout, depthwise);
  c.in_zp = zp(rng), c.out_zp = zp(rng);
  c.act_min = std::uniform_int_distribution<int>(-128, -20)(rng);
  c.act_max = std::uniform_int_distribution<int>(20, 127)(rng);
  c.input = test::random_bytes(rng, static_cast<size_t>(c.h * c.w * c.cin));
  c.weights = test::random_bytes(rng, static_cast<size_t>(kh * kw * (depthwise ? c.cout : c.cin * c.cout)), -127, 127);
  for (int k = 0; k < c.cout; ++k) {
    c.bias.push_back(bias(rng));
    c.mult.push_back(mult(rng));
    c.shift.push_back(shift(rng));
  }
  return c;
}

// By i % 5: mixed shifts; right shifts only (the DSP kernels' short requantization on every channel); the
// same with the whole int8 activation range (a clamp by SSAT); left shifts only, up to 31 (they wrap, as in
// the released r064 model; small ones every other time, since large ones saturate every output); the same
// with the whole int8 range (the released r064 model's layers).
void vary_requantization(Case& c, int i, std::mt19937& rng) {
  if (i % 5 == 0) return;
  std::uniform_int_distribution<int> left(0, (i / 5) % 2 ? 31 : 2);
  for (auto& s : c.shift) s = i % 5 >= 3 ? left(rng) : (s >= 0 ? -1 - s : s);
  if (i % 5 == 2 || i % 5 == 4) c.act_min = -128, c.act_max = 127;
}

WindowGeometry geometry_of(const Case& c) {
  return test::geometry(c.kh, c.kw, c.sh, c.sw, c.pt, c.pl, 1, c.act_min, c.act_max);
}

using Kernel = void (*)(const WindowGeometry&, const InputRows&, const ChannelData&, const OutputRegion&);

std::vector<int8_t> run_whole(Kernel kernel, const Case& c) {
  std::vector<int8_t> out(static_cast<size_t>(c.ho * c.wo * c.cout), 0x55);
  kernel(geometry_of(c), test::whole_input(c.input, c.h, c.w, c.cin, c.in_zp),
         {c.weights.data(), c.bias.data(), c.mult.data(), c.shift.data()},
         test::whole_output(out, c.ho, c.wo, c.cout, c.out_zp));
  return out;
}

// Runs `kernel` part by part: output rows [r0, r1) x channels [c0, c1), each part given only its input rows
// (halo included) in a buffer of exactly that size and only its channels' weights, as the executor does.
// With `state`: conv2d_dsp_reusing on one Conv2dOpState for all parts, each part reading its filters in place (as
// the executor's parts of one op do: the set-up of a block is then found again by the next row part).
std::vector<int8_t> run_in_parts(Kernel kernel, const Case& c, int row_parts, int channel_parts, bool depthwise,
                                 Conv2dOpState* state = nullptr) {
  std::vector<int8_t> out(static_cast<size_t>(c.ho * c.wo * c.cout), 0x55);
  const WindowGeometry g = geometry_of(c);
  const int filter = c.kh * c.kw * c.cin;
  for (int rp = 0; rp < row_parts; ++rp) {
    const int r0 = c.ho * rp / row_parts, r1 = c.ho * (rp + 1) / row_parts;
    if (r0 == r1) continue;
    const int in0 = std::clamp(r0 * c.sh - c.pt, 0, c.h), in1 = std::clamp((r1 - 1) * c.sh - c.pt + c.kh, 0, c.h);
    const size_t row_bytes = static_cast<size_t>(c.w * c.cin);
    std::vector<int8_t> rows(c.input.begin() + static_cast<long>(in0 * row_bytes),
                             c.input.begin() + static_cast<long>(in1 * row_bytes));
    const InputRows in{rows.data(), c.h, c.w, c.cin, in0, in1, c.in_zp};
    for (int cp = 0; cp < channel_parts; ++cp) {
      const int c0 = c.cout * cp / channel_parts, c1 = c.cout * (cp + 1) / channel_parts;
      if (c0 == c1) continue;
      std::vector<int8_t> w =
          depthwise ? c.weights : std::vector<int8_t>(c.weights.begin() + c0 * filter, c.weights.begin() + c1 * filter);
      const int off = depthwise ? 0 : c0;
      const OutputRegion region{
          out.data() + static_cast<long>(r0 * c.wo * c.cout), c.ho, c.wo, c.cout, r0, r1, c0, c1, c.out_zp};
      if (state) {
        const ChannelData in_place{c.weights.data() + c0 * filter, c.bias.data() + off, c.mult.data() + off,
                                   c.shift.data() + off};
        conv2d_dsp_reusing(g, in, in_place, region, *state);
      } else {
        kernel(g, in, {w.data(), c.bias.data() + off, c.mult.data() + off, c.shift.data() + off}, region);
      }
    }
  }
  return out;
}

TEST(Conv2dDsp, PointwiseMatchesReference) {
  std::mt19937 rng(11);
  for (int i = 0; i < 300; ++i) {
    const int cin = std::uniform_int_distribution<int>(1, 70)(rng),
              cout = std::uniform_int_distribution<int>(1, 21)(rng);
    const int stride = 1 + i % 2;
    Case c = random_case(rng, 1, 1, stride, cin, cout, false);
    vary_requantization(c, i, rng);
    c.pt = c.pl = 0;
    c.ho = (c.h - 1) / stride + 1, c.wo = (c.w - 1) / stride + 1;
    ASSERT_TRUE(conv2d_dsp_applies(geometry_of(c), test::whole_input(c.input, c.h, c.w, c.cin, c.in_zp)));
    const auto expected = run_whole(conv2d_reference, c);
    ASSERT_EQ(run_whole(conv2d_dsp, c), expected) << "case " << i << " cin " << cin << " cout " << cout;
    ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 3, 1 + i % 4, false), expected) << "parts, case " << i;
    {
      Conv2dOpState state;
      ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 3, 1 + i % 4, false, &state), expected)
          << "shared state, case " << i;
    }
  }
}

// Depths around the kernel's limits: several channel blocks in the widened weight buffer (depth up to 256),
// raw filters up to depth 512, then the deep 1x1 fallback; odd channel counts and depth % 4 tails throughout.
TEST(Conv2dDsp, DeepPointwiseMatchesReference) {
  std::mt19937 rng(17);
  for (int i = 0; i < 40; ++i) {
    const int cin = std::uniform_int_distribution<int>(i < 20 ? 150 : 257, i < 20 ? 256 : 600)(rng);
    const int cout = std::uniform_int_distribution<int>(1, 45)(rng);
    Case c = random_case(rng, 1, 1, 1 + i % 2, cin, cout, false);
    vary_requantization(c, i, rng);
    c.pt = c.pl = 0;
    c.ho = (c.h - 1) / c.sh + 1, c.wo = (c.w - 1) / c.sw + 1;
    const auto expected = run_whole(conv2d_reference, c);
    ASSERT_EQ(run_whole(conv2d_dsp, c), expected) << "case " << i << " cin " << cin << " cout " << cout;
    ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 3, 1 + i % 4, false), expected) << "parts, case " << i;
    {
      Conv2dOpState state;
      ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 3, 1 + i % 4, false, &state), expected)
          << "shared state, case " << i;
    }
  }
}

// One output pixel (the classifier's 1x1 convolution) and odd pixel counts: the single-pixel path, 4 filters
// at a time, with count % 4 channels and depth % 4 tails, over every requantization path and channel part.
TEST(Conv2dDsp, SinglePixelMatchesReference) {
  std::mt19937 rng(19);
  for (int i = 0; i < 100; ++i) {
    const int cin = std::uniform_int_distribution<int>(1, 384)(rng);
    const int cout = std::uniform_int_distribution<int>(1, 75)(rng);
    Case c = random_case(rng, 1, 1, 1, cin, cout, false);
    vary_requantization(c, i, rng);
    c.h = i % 2 ? 1 : 3, c.w = i % 2 ? 1 : 3;  // 1 pixel, or 9 (4 pairs and one alone)
    c.input = test::random_bytes(rng, static_cast<size_t>(c.h * c.w * c.cin));
    c.pt = c.pl = 0, c.ho = c.h, c.wo = c.w;
    const auto expected = run_whole(conv2d_reference, c);
    ASSERT_EQ(run_whole(conv2d_dsp, c), expected) << "case " << i << " cin " << cin << " cout " << cout;
    ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1, 1 + i % 4, false), expected) << "parts, case " << i;
    {
      Conv2dOpState state;
      ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1, 1 + i % 4, false, &state), expected) << "shared state, case " << i;
    }
  }
}

TEST(Conv2dDsp, SmallPatchMatchesReference) {
  std::mt19937 rng(12);
  for (int i = 0; i < 300; ++i) {
    const int k = i % 3 == 0 ? 5 : 3;
    const int cin = std::uniform_int_distribution<int>(1, 256 / (k * k))(rng);
    const int cout = std::uniform_int_distribution<int>(1, 70)(rng);  // > 64: two folded-bias blocks
    Case c = random_case(rng, k, k, 1 + i % 2, cin, cout, false);
    vary_requantization(c, i, rng);
    ASSERT_TRUE(conv2d_dsp_applies(geometry_of(c), test::whole_input(c.input, c.h, c.w, c.cin, c.in_zp)));
    const auto expected = run_whole(conv2d_reference, c);
    ASSERT_EQ(run_whole(conv2d_dsp, c), expected) << "case " << i;
    ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 4, 1 + i % 3, false), expected) << "parts, case " << i;
    {
      Conv2dOpState state;
      ASSERT_EQ(run_in_parts(conv2d_dsp, c, 1 + i % 4, 1 + i % 3, false, &state), expected)
          << "shared state, case " << i;
    }
  }
}

TEST(Conv2dDsp, FirstLayerShape) {
  std::mt19937 rng(13);
  Case c = random_case(rng, 3, 3, 2, 3, 16, false);
  c.h = c.w = 64, c.pt = c.pl = 0, c.ho = c.wo = 32;  // TFLite SAME, stride 2: padding only bottom/right
  c.input = test::random_bytes(rng, 64 * 64 * 3);
  EXPECT_EQ(run_whole(conv2d_dsp, c), run_whole(conv2d_reference, c));
}

// 3x3, 5x5 and 7x7, strides 1 and 2, paddings 0..k/2 on each side, maps of k-1 to 9 px (windows clipped on
// every side), every requantization path, whole and in 1-5 row parts (each given only its input rows).
TEST(DepthwiseConv2dDsp, MatchesReferenceForEveryKernelSize) {
  std::mt19937 rng(14);
  for (int i = 0; i < 450; ++i) {
    const int k = 3 + 2 * (i % 3), channels = 4 * std::uniform_int_distribution<int>(1, 12)(rng);
    Case c = random_case(rng, k, k, 1 + i / 3 % 2, channels, channels, true);
    vary_requantization(c, i / 6, rng);
    ASSERT_TRUE(depthwise_conv2d_dsp_applies(geometry_of(c), test::whole_input(c.input, c.h, c.w, c.cin, c.in_zp)));
    const auto expected = run_whole(depthwise_conv2d_reference, c);
    ASSERT_EQ(run_whole(depthwise_conv2d_dsp, c), expected) << "case " << i << " k " << k;
    ASSERT_EQ(run_in_parts(depthwise_conv2d_dsp, c, 1 + i % 5, 1, true), expected) << "parts, case " << i << " k " << k;
  }
}

// The layer shapes of real models: maps wider than a kernel's column strip, TFLite SAME padding.
TEST(DepthwiseConv2dDsp, MatchesReferenceOnModelShapes) {
  std::mt19937 rng(18);
  for (const int k : {3, 5, 7}) {
    for (const int stride : {1, 2}) {
      Case c = random_case(rng, k, k, stride, 16, 16, true);
      c.h = 13, c.w = 120;
      const int out = (c.w + stride - 1) / stride, total = (out - 1) * stride + k - c.w;
      c.pt = c.pl = total / 2, c.ho = (c.h + stride - 1) / stride, c.wo = out;
      c.input = test::random_bytes(rng, static_cast<size_t>(c.h * c.w * c.cin));
      const auto expected = run_whole(depthwise_conv2d_reference, c);
      ASSERT_EQ(run_whole(depthwise_conv2d_dsp, c), expected) << "k " << k << " stride " << stride;
      ASSERT_EQ(run_in_parts(depthwise_conv2d_dsp, c, 3, 1, true), expected)
          << "parts, k " << k << " stride " << stride;
    }
  }
}

// Add: TFLite's parameters (Q31 multipliers, input shifts 0 and below, output shifts of any sign) over random
// zero points, activation ranges and odd element counts, whole and by rows; add() takes the reference path
// when a shift is not a right shift, and an output written over an input (in place) is the same.
TEST(AddDsp, MatchesReference) {
  std::mt19937 rng(19);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), zp(-128, 127), dim(1, 9);
  std::uniform_int_distribution<int> input_shift(-31, 0), output_shift(-31, 2);
  for (int i = 0; i < 400; ++i) {
    const int h = dim(rng), w = dim(rng), c = dim(rng) * (i % 2 ? 4 : 1);
    const auto a = test::random_bytes(rng, static_cast<size_t>(h * w * c));
    const auto b = test::random_bytes(rng, static_cast<size_t>(h * w * c));
    AddParams p{mult(rng), input_shift(rng), mult(rng), input_shift(rng), mult(rng), output_shift(rng), -128, 127};
    if (i % 7 == 0)
      p.input1_multiplier = 1 << 30, p.input1_shift = 0, p.input2_shift = -1, p.output_shift = -19;  // r064's
    if (i % 3 == 1) p.act_min = std::uniform_int_distribution<int>(-128, -20)(rng), p.act_max = 127 + p.act_min / 4;
    const int32_t zp1 = zp(rng), zp2 = zp(rng), zp_out = zp(rng);
    std::vector<int8_t> expected(a.size(), 0x55), actual(a.size(), 0x55);
    add_reference(p, test::whole_input(a, h, w, c, zp1), test::whole_input(b, h, w, c, zp2),
                  test::whole_output(expected, h, w, c, zp_out));
    ASSERT_EQ(add_dsp_applies(p), p.output_shift <= 0) << "case " << i;
    const int parts = 1 + i % 3;
    for (int part = 0; part < parts; ++part) {
      const int r0 = h * part / parts, r1 = h * (part + 1) / parts;
      const size_t offset = static_cast<size_t>(r0 * w * c);
      const InputRows in1{a.data() + offset, h, w, c, r0, r1, zp1}, in2{b.data() + offset, h, w, c, r0, r1, zp2};
      add(p, in1, in2, OutputRegion{actual.data() + offset, h, w, c, r0, r1, 0, c, zp_out});
    }
    ASSERT_EQ(actual, expected) << "case " << i << " shifts " << p.input1_shift << " " << p.input2_shift << " "
                                << p.output_shift;
    std::vector<int8_t> in_place = a;
    add(p, test::whole_input(in_place, h, w, c, zp1), test::whole_input(b, h, w, c, zp2),
        test::whole_output(in_place, h, w, c, zp_out));
    ASSERT_EQ(in_place, expected) << "in place, case " << i;
  }
}

TEST(Dispatch, FallsBackToReferenceOutsideTheOptimizedShapes) {
  std::mt19937 rng(15);
  const Case big = random_case(rng, 3, 3, 1, 40, 5, false);  // 3*3*40 > kMaxConvPatch
  EXPECT_FALSE(conv2d_dsp_applies(geometry_of(big), test::whole_input(big.input, big.h, big.w, big.cin, 0)));
  EXPECT_EQ(run_whole(conv2d, big), run_whole(conv2d_reference, big));
  const Case odd = random_case(rng, 5, 5, 1, 6, 6, true);  // channels not a multiple of 4
  EXPECT_FALSE(depthwise_conv2d_dsp_applies(geometry_of(odd), test::whole_input(odd.input, odd.h, odd.w, odd.cin, 0)));
  EXPECT_EQ(run_whole(depthwise_conv2d, odd), run_whole(depthwise_conv2d_reference, odd));
  const Case even_kernel = random_case(rng, 4, 4, 1, 8, 8, true);  // only 3x3, 5x5 and 7x7 have a DSP kernel
  EXPECT_FALSE(
      depthwise_conv2d_dsp_applies(geometry_of(even_kernel), test::whole_input(even_kernel.input, 4, 4, 8, 0)));
  EXPECT_EQ(run_whole(depthwise_conv2d, even_kernel), run_whole(depthwise_conv2d_reference, even_kernel));
  WindowGeometry dilated = geometry_of(even_kernel);
  dilated.kernel_h = dilated.kernel_w = 3, dilated.dilation_h = 2;
  EXPECT_FALSE(depthwise_conv2d_dsp_applies(dilated, test::whole_input(even_kernel.input, 4, 4, 8, 0)));
}

TEST(DspIntrinsics, PortableDefinitionsFollowTheInstructionSemantics) {
  const uint32_t x = dsp::pack4(-1, 2, -3, 127);
  EXPECT_EQ(dsp::sxtb16(x), 0xFFFDFFFFu);       // (-1, -3)
  EXPECT_EQ(dsp::sxtb16_ror8(x), 0x007F0002u);  // (2, 127)
  EXPECT_EQ(dsp::smlad(0x00030002u, 0xFFFF0004u, 10), 10 + 8 - 3);
  EXPECT_EQ(dsp::smlabb(0x00030002u, 0xFFFF0004u, 0), 8);
  EXPECT_EQ(dsp::smlatt(0x00030002u, 0xFFFF0004u, 0), -3);
  EXPECT_EQ(dsp::sadd16(0x0001FFFFu, 0x00010001u), 0x00020000u);
}

}  // namespace
}  // namespace tinyops::rt

namespace tinyops::rt {
namespace {

// A blob may carry any int32 bias: accumulation wraps like TFLite's int32 arithmetic, in every variant
// (and without undefined behaviour: the sanitizer build runs this too).
TEST(Conv2dDsp, ExtremeBiasesWrapLikeTheReference) {
  std::mt19937 rng(16);
  for (int i = 0; i < 20; ++i) {
    Case c = random_case(rng, i % 2 ? 3 : 1, i % 2 ? 3 : 1, 1, 4 + i, 5, false);
    if (i % 2 == 0) c.pt = c.pl = 0, c.ho = c.h, c.wo = c.w;
    for (auto& b : c.bias) b = (i % 3 == 0) ? INT32_MAX : INT32_MIN + 5;
    ASSERT_EQ(run_whole(conv2d_dsp, c), run_whole(conv2d_reference, c)) << "case " << i;
  }
}

}  // namespace
}  // namespace tinyops::rt
