// add, portable reference: TFLite's reference_integer_ops::Add for int8 (both inputs scaled up by
// 2^left_shift, rescaled to a common scale, summed, rescaled to the output).
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void add_reference(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  const int row_elements = out.width * out.channels;
  for (int y = out.row_begin; y < out.row_end; ++y) {
    const int8_t* a = in1.row(y);
    const int8_t* b = in2.row(y);
    int8_t* o = out.row(y);
    for (int i = 0; i < row_elements; ++i) {
      const int32_t shifted1 = (a[i] - in1.zero_point) * (1 << kAddLeftShift);
      const int32_t shifted2 = (b[i] - in2.zero_point) * (1 << kAddLeftShift);
      const int32_t scaled1 = multiply_by_quantized_multiplier(shifted1, p.input1_multiplier, p.input1_shift);
      const int32_t scaled2 = multiply_by_quantized_multiplier(shifted2, p.input2_multiplier, p.input2_shift);
      const int32_t sum =
          multiply_by_quantized_multiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift) + out.zero_point;
      o[i] = static_cast<int8_t>(clamp_i32(sum, p.act_min, p.act_max));
    }
  }
}

}  // namespace tinyops::rt
