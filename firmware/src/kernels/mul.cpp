// mul, portable reference: TFLite's reference_integer_ops::Mul / BroadcastMul4DSlow for int8 (the product of
// the zero-point-free inputs, requantized once). A (1, 1, C) second input is squeeze-and-excite's gate.
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void mul_reference(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  const bool broadcast = in2.height == 1 && in2.width == 1 && (in1.height > 1 || in1.width > 1);
  for (int y = out.row_begin; y < out.row_end; ++y) {
    const int8_t* a = in1.row(y);
    const int8_t* b = broadcast ? in2.data : in2.row(y);
    int8_t* o = out.row(y);
    for (int x = 0; x < out.width; ++x) {
      for (int ch = 0; ch < out.channels; ++ch) {
        const int i = x * out.channels + ch;
        const int32_t product = (a[i] - in1.zero_point) * (b[broadcast ? ch : i] - in2.zero_point);
        const int32_t v = multiply_by_quantized_multiplier(product, p.multiplier, p.shift) + out.zero_point;
        o[i] = static_cast<int8_t>(clamp_i32(v, p.act_min, p.act_max));
      }
    }
  }
}

}  // namespace tinyops::rt
