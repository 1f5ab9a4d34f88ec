// logistic, portable reference: TFLite's reference_integer_ops::Logistic for int8 (the input rescaled to
// Q4.27, gemmlowp's fixed-point logistic, the result in Q0.8 offset by the output zero point -128; inputs
// beyond the radius saturate).
#include "tinyops/rt/fixedpoint.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void logistic_reference(const LogisticParams& p, const int8_t* in, int8_t* out, int count) {
  constexpr int kInputIntegerBits = 4;
  constexpr int kOutputIntegerBits = 8;
  for (int i = 0; i < count; ++i) {
    const int32_t input = in[i] - p.input_zero_point;
    if (input <= -p.input_range_radius) {
      out[i] = -128;
    } else if (input >= p.input_range_radius) {
      out[i] = 127;
    } else {
      const int32_t input_q4 = multiply_by_quantized_multiplier(input, p.input_multiplier, p.input_left_shift);
      const int32_t output_q0 = fixedpoint::logistic(input_q4, kInputIntegerBits);
      const int32_t output_q23 = rounding_divide_by_pot(output_q0, 31 - kOutputIntegerBits) - 128;
      out[i] = static_cast<int8_t>(clamp_i32(output_q23, -128, 127));
    }
  }
}

}  // namespace tinyops::rt
