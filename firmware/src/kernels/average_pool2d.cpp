// average pool, portable reference: TFLite's reference_integer_ops::AveragePool (window clipped to the
// input, mean rounded half away from zero, clamped).
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void average_pool2d_reference(const WindowGeometry& g, const InputRows& in, const OutputRegion& out) {
  for (int oy = out.row_begin; oy < out.row_end; ++oy) {
    int8_t* out_row = out.row(oy);
    const int in_y0 = oy * g.stride_h - g.pad_top;
    const int y_begin = in_y0 < 0 ? 0 : in_y0;
    const int y_end = in_y0 + g.kernel_h > in.height ? in.height : in_y0 + g.kernel_h;
    for (int ox = 0; ox < out.width; ++ox) {
      const int in_x0 = ox * g.stride_w - g.pad_left;
      const int x_begin = in_x0 < 0 ? 0 : in_x0;
      const int x_end = in_x0 + g.kernel_w > in.width ? in.width : in_x0 + g.kernel_w;
      const int32_t count = (y_end - y_begin) * (x_end - x_begin);
      for (int ch = out.channel_begin; ch < out.channel_end; ++ch) {
        int32_t sum = 0;
        for (int y = y_begin; y < y_end; ++y) {
          const int8_t* in_row = in.row(y);
          for (int x = x_begin; x < x_end; ++x) sum += in_row[x * in.channels + ch];
        }
        int32_t average = 0;  // an empty window (possible only with padding larger than the kernel)
        if (count > 0) average = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        out_row[ox * out.channels + ch] = static_cast<int8_t>(clamp_i32(average, g.act_min, g.act_max));
      }
    }
  }
}

}  // namespace tinyops::rt
