// concatenation along channels, portable reference: TFLite's reference_ops::Concatenation for int8 inputs
// that share the output's scale and zero point (a copy per input and pixel), clamped to the activation range.
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void concatenation_reference(const InputRows* inputs, int count, int32_t act_min, int32_t act_max,
                             const OutputRegion& out) {
  for (int y = out.row_begin; y < out.row_end; ++y) {
    int8_t* o = out.row(y);
    for (int x = 0; x < out.width; ++x) {
      int8_t* pixel = o + x * out.channels;
      for (int k = 0; k < count; ++k) {
        const InputRows& in = inputs[k];
        const int8_t* src = in.row(y) + x * in.channels;
        for (int ch = 0; ch < in.channels; ++ch) pixel[ch] = static_cast<int8_t>(clamp_i32(src[ch], act_min, act_max));
        pixel += in.channels;
      }
    }
  }
}

}  // namespace tinyops::rt
