// max pool, portable reference: TFLite's reference_integer_ops::MaxPool (window clipped to the input,
// the maximum clamped to the activation range; input and output share their quantization).
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void max_pool2d_reference(const WindowGeometry& g, const InputRows& in, const OutputRegion& out) {
  for (int oy = out.row_begin; oy < out.row_end; ++oy) {
    int8_t* out_row = out.row(oy);
    const int in_y0 = oy * g.stride_h - g.pad_top;
    const int y_begin = in_y0 < 0 ? 0 : in_y0;
    const int y_end = in_y0 + g.kernel_h > in.height ? in.height : in_y0 + g.kernel_h;
    for (int ox = 0; ox < out.width; ++ox) {
      const int in_x0 = ox * g.stride_w - g.pad_left;
      const int x_begin = in_x0 < 0 ? 0 : in_x0;
      const int x_end = in_x0 + g.kernel_w > in.width ? in.width : in_x0 + g.kernel_w;
      for (int ch = out.channel_begin; ch < out.channel_end; ++ch) {
        int32_t largest = -128;
        for (int y = y_begin; y < y_end; ++y) {
          const int8_t* in_row = in.row(y);
          for (int x = x_begin; x < x_end; ++x) {
            const int32_t v = in_row[x * in.channels + ch];
            largest = v > largest ? v : largest;
          }
        }
        out_row[ox * out.channels + ch] = static_cast<int8_t>(clamp_i32(largest, g.act_min, g.act_max));
      }
    }
  }
}

}  // namespace tinyops::rt
