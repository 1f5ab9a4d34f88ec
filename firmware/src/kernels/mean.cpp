// mean over rows and columns, portable reference: TFLite's QuantizedMeanOrSum for int8 (the int32 sum per
// channel minus count x the input zero point, one requantization with 1/count folded into it, clamped).
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void mean_reference(int32_t multiplier, int32_t shift, const InputRows& in, const OutputRegion& out) {
  const int32_t count = in.height * in.width;
  int8_t* o = out.row(0);
  for (int ch = out.channel_begin; ch < out.channel_end; ++ch) {
    int32_t sum = 0;
    for (int y = 0; y < in.height; ++y) {
      const int8_t* row = in.row(y);
      for (int x = 0; x < in.width; ++x) sum = wrapping_add(sum, row[x * in.channels + ch]);
    }
    const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(sum) -
                                                 static_cast<uint32_t>(in.zero_point) * static_cast<uint32_t>(count));
    const int32_t v = wrapping_add(multiply_by_quantized_multiplier(shifted, multiplier, shift), out.zero_point);
    o[ch] = static_cast<int8_t>(clamp_i32(v, -128, 127));
  }
}

}  // namespace tinyops::rt
