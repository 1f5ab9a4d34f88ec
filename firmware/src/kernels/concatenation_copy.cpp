// concatenation along channels, optimized variant for the full int8 activation range (TFLite's int8
// CONCATENATION has no fused activation: every real model's concat): the clamp changes no value, so each
// input's channels of a pixel are one memcpy instead of a clamp per byte. Bit-exact with
// concatenation_reference; concatenation() dispatches.
#include <string.h>

#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt {

bool concatenation_copy_applies(int32_t act_min, int32_t act_max) { return act_min <= -128 && act_max >= 127; }

void concatenation_copy(const InputRows* inputs, int count, const OutputRegion& out) {
  for (int y = out.row_begin; y < out.row_end; ++y) {
    int8_t* o = out.row(y);
    int channel = 0;
    for (int k = 0; k < count; ++k) {
      const InputRows& in = inputs[k];
      const int8_t* src = in.row(y);
      const size_t bytes = size_t(in.channels);
      int8_t* dst = o + channel;
      for (int x = 0; x < out.width; ++x, src += bytes, dst += out.channels) memcpy(dst, src, bytes);
      channel += in.channels;
    }
  }
}

void concatenation(const InputRows* inputs, int count, int32_t act_min, int32_t act_max, const OutputRegion& out) {
  if (concatenation_copy_applies(act_min, act_max)) {
    concatenation_copy(inputs, count, out);
  } else {
    concatenation_reference(inputs, count, act_min, act_max, out);
  }
}

}  // namespace tinyops::rt
