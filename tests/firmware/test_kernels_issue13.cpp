// The reference kernels of issue 13 (mul, mean, max pool, concatenation, logistic, softmax, standalone
// hard-swish) bit-exact against the compiler's numpy reference (data/op_vectors.hpp, written by
// data/make_op_vectors.py; the numpy reference is itself checked against TFLite Micro and LiteRT), whole and,
// for the row-partitioned ops, part by part.
#include <gtest/gtest.h>

#include <iterator>
#include <vector>

#include "data/op_vectors.hpp"
#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt {
namespace {

namespace v = vectors;

// Tensor k of a case: h, w, c and zero point are shapes[4k .. 4k + 3].
InputRows input(const int8_t* data, const int32_t* shapes, int k, int row_begin = 0, int row_end = -1) {
  const int32_t* s = shapes + 4 * k;
  const int end = row_end < 0 ? s[0] : row_end;
  return InputRows{data + row_begin * s[1] * s[2], s[0], s[1], s[2], row_begin, end, s[3]};
}

OutputRegion output(std::vector<int8_t>& data, const int32_t* shapes, int k, int row_begin = 0, int row_end = -1) {
  const int32_t* s = shapes + 4 * k;
  const int end = row_end < 0 ? s[0] : row_end;
  return OutputRegion{data.data() + row_begin * s[1] * s[2], s[0], s[1], s[2], row_begin, end, 0, s[2], s[3]};
}

template <size_t N>
std::vector<int8_t> expected(const int8_t (&out)[N]) {
  return std::vector<int8_t>(out, out + N);
}

void expect_varied(const std::vector<int8_t>& out, size_t at_least) {
  std::vector<bool> seen(256);
  size_t distinct = 0;
  for (int8_t x : out) distinct += !seen[size_t(x + 128)] && (seen[size_t(x + 128)] = true);
  EXPECT_GE(distinct, at_least) << "the vectors exercise too few values";
}

MulParams mul_params(const int32_t* p) { return MulParams{p[0], p[1], p[2], p[3]}; }

TEST(Issue13Kernels, MulBroadcastGateMatchesTheReferenceWholeAndByRows) {
  std::vector<int8_t> out(std::size(v::mul_broadcast_out));
  mul_reference(mul_params(v::mul_broadcast_params), input(v::mul_broadcast_in0, v::mul_broadcast_shapes, 0),
                input(v::mul_broadcast_in1, v::mul_broadcast_shapes, 1), output(out, v::mul_broadcast_shapes, 2));
  EXPECT_EQ(out, expected(v::mul_broadcast_out));
  expect_varied(out, 60);
  std::vector<int8_t> parts(out.size());
  for (const auto& [begin, end] : {std::pair{0, 2}, {2, 3}, {3, 5}})  // rows of a part; the gate whole each time
    mul_reference(
        mul_params(v::mul_broadcast_params), input(v::mul_broadcast_in0, v::mul_broadcast_shapes, 0, begin, end),
        input(v::mul_broadcast_in1, v::mul_broadcast_shapes, 1), output(parts, v::mul_broadcast_shapes, 2, begin, end));
  EXPECT_EQ(parts, out);
}

TEST(Issue13Kernels, MulOfEqualShapesWithReLU6MatchesTheReference) {
  std::vector<int8_t> out(std::size(v::mul_equal_relu6_out));
  mul_reference(mul_params(v::mul_equal_relu6_params), input(v::mul_equal_relu6_in0, v::mul_equal_relu6_shapes, 0),
                input(v::mul_equal_relu6_in1, v::mul_equal_relu6_shapes, 1), output(out, v::mul_equal_relu6_shapes, 2));
  EXPECT_EQ(out, expected(v::mul_equal_relu6_out));
  expect_varied(out, 10);  // relu6 clamps the rest
}

TEST(Issue13Kernels, MeanMatchesTheReference) {
  std::vector<int8_t> out(std::size(v::mean_requantized_out));
  mean_reference(v::mean_requantized_params[0], v::mean_requantized_params[1],
                 input(v::mean_requantized_in0, v::mean_requantized_shapes, 0),
                 output(out, v::mean_requantized_shapes, 1));
  EXPECT_EQ(out, expected(v::mean_requantized_out));
  std::vector<int8_t> same(std::size(v::mean_same_quantization_out));
  mean_reference(v::mean_same_quantization_params[0], v::mean_same_quantization_params[1],
                 input(v::mean_same_quantization_in0, v::mean_same_quantization_shapes, 0),
                 output(same, v::mean_same_quantization_shapes, 1));
  EXPECT_EQ(same, expected(v::mean_same_quantization_out));
}

TEST(Issue13Kernels, MaxPoolMatchesTheReferenceWholeAndByRows) {
  const WindowGeometry g{3, 3, 2, 2, 1, 1, 1, 1, 1, v::max_pool_same_params[0], v::max_pool_same_params[1]};
  std::vector<int8_t> out(std::size(v::max_pool_same_out));
  max_pool2d_reference(g, input(v::max_pool_same_in0, v::max_pool_same_shapes, 0),
                       output(out, v::max_pool_same_shapes, 1));
  EXPECT_EQ(out, expected(v::max_pool_same_out));
  expect_varied(out, 30);
  // Output rows [0, 2) need input rows [0, 4) (row -1 is padding); rows [2, 5) need [3, 9).
  std::vector<int8_t> parts(out.size());
  max_pool2d_reference(g, input(v::max_pool_same_in0, v::max_pool_same_shapes, 0, 0, 4),
                       output(parts, v::max_pool_same_shapes, 1, 0, 2));
  max_pool2d_reference(g, input(v::max_pool_same_in0, v::max_pool_same_shapes, 0, 3, 9),
                       output(parts, v::max_pool_same_shapes, 1, 2, 5));
  EXPECT_EQ(parts, out);
}

TEST(Issue13Kernels, ConcatenationMatchesTheReference) {
  const InputRows inputs[] = {input(v::concatenation_in0, v::concatenation_shapes, 0),
                              input(v::concatenation_in1, v::concatenation_shapes, 1),
                              input(v::concatenation_in2, v::concatenation_shapes, 2)};
  std::vector<int8_t> out(std::size(v::concatenation_out));
  concatenation_reference(inputs, 3, v::concatenation_params[0], v::concatenation_params[1],
                          output(out, v::concatenation_shapes, 3));
  EXPECT_EQ(out, expected(v::concatenation_out));
}

TEST(Issue13Kernels, LogisticOfEveryInt8ValueMatchesTheReference) {
  for (const auto& [in, want, shapes, p] :
       {std::tuple{v::logistic_small_scale_in0, expected(v::logistic_small_scale_out), v::logistic_small_scale_shapes,
                   v::logistic_small_scale_params},
        std::tuple{v::logistic_large_scale_in0, expected(v::logistic_large_scale_out), v::logistic_large_scale_shapes,
                   v::logistic_large_scale_params}}) {
    std::vector<int8_t> out(256);
    logistic_reference(LogisticParams{shapes[3], p[0], p[1], p[2]}, in, out.data(), 256);
    EXPECT_EQ(out, want);
    expect_varied(out, 20);
  }
}

TEST(Issue13Kernels, SoftmaxMatchesTheReference) {
  std::vector<int8_t> logits(std::size(v::softmax_logits_out));
  const int32_t* p = v::softmax_logits_params;
  softmax_reference(SoftmaxParams{p[0], p[1], p[2]}, v::softmax_logits_in0, logits.data(), 1, 100);
  EXPECT_EQ(logits, expected(v::softmax_logits_out));
  std::vector<int8_t> map(std::size(v::softmax_feature_map_out));
  p = v::softmax_feature_map_params;
  softmax_reference(SoftmaxParams{p[0], p[1], p[2]}, v::softmax_feature_map_in0, map.data(), 12, 12);
  EXPECT_EQ(map, expected(v::softmax_feature_map_out));
  expect_varied(map, 30);
}

TEST(Issue13Kernels, StandaloneHardSwishMatchesTheReference) {
  const int32_t* p = v::hard_swish_params;
  const HardSwishParams params{
      v::hard_swish_shapes[3], v::hard_swish_shapes[7], int16_t(p[0]), int16_t(p[2]), p[1], p[3]};
  std::vector<int8_t> out(256);
  hard_swish_reference(params, v::hard_swish_in0, out.data(), 256);
  EXPECT_EQ(out, expected(v::hard_swish_out));
  expect_varied(out, 30);
}

}  // namespace
}  // namespace tinyops::rt
