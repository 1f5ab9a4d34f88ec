// softmax, portable reference: TFLite's reference_ops::Softmax for int8 in and out (differences to the row's
// maximum scaled by beta into Q5.26, gemmlowp's exp, their sum in Q12.19, one reciprocal per row; differences
// below diff_min contribute nothing and give the output minimum).
#include "tinyops/rt/fixedpoint.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void softmax_reference(const SoftmaxParams& p, const int8_t* in, int8_t* out, int rows, int depth) {
  constexpr int kScaledDiffIntegerBits = 5;
  constexpr int kAccumulationIntegerBits = 12;
  for (int r = 0; r < rows; ++r) {
    const int8_t* x = in + r * depth;
    int8_t* y = out + r * depth;
    int32_t max_in_row = -128;
    for (int c = 0; c < depth; ++c) max_in_row = x[c] > max_in_row ? x[c] : max_in_row;
    auto exp_of = [&](int c) {
      const int32_t rescaled =
          multiply_by_quantized_multiplier(x[c] - max_in_row, p.input_multiplier, p.input_left_shift);
      return fixedpoint::exp_on_negative_values(rescaled, kScaledDiffIntegerBits);
    };
    int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; ++c) {
      if (x[c] - max_in_row >= p.diff_min)
        sum_of_exps = fixedpoint::add(sum_of_exps, fixedpoint::rescale(exp_of(c), 0, kAccumulationIntegerBits));
    }
    int num_bits_over_unit = 0;
    const int32_t shifted_scale = fixedpoint::reciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    for (int c = 0; c < depth; ++c) {
      if (x[c] - max_in_row >= p.diff_min) {
        const int32_t unsat =
            rounding_divide_by_pot(fixedpoint::mul(shifted_scale, exp_of(c)), num_bits_over_unit + 31 - 8);
        y[c] = static_cast<int8_t>(clamp_i32(unsat - 128, -128, 127));
      } else {
        y[c] = -128;
      }
    }
  }
}

}  // namespace tinyops::rt
