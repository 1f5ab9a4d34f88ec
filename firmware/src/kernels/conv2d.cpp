// conv2d, portable reference: TFLite's reference_integer_ops::ConvPerChannel, restricted to a region.
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void conv2d_reference(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  const int32_t input_offset = -in.zero_point;
  const int filter_stride = g.kernel_h * g.kernel_w * in.channels;
  for (int oy = out.row_begin; oy < out.row_end; ++oy) {
    int8_t* out_row = out.row(oy);
    const int in_y0 = oy * g.stride_h - g.pad_top;
    for (int ox = 0; ox < out.width; ++ox) {
      const int in_x0 = ox * g.stride_w - g.pad_left;
      for (int oc = out.channel_begin; oc < out.channel_end; ++oc) {
        const int k = oc - out.channel_begin;
        const int8_t* filter = c.weights + k * filter_stride;
        int32_t acc = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int in_y = in_y0 + ky * g.dilation_h;
          if (in_y < 0 || in_y >= in.height) continue;  // padding contributes nothing
          const int8_t* in_row = in.row(in_y);
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int in_x = in_x0 + kx * g.dilation_w;
            if (in_x < 0 || in_x >= in.width) continue;
            const int8_t* x = in_row + in_x * in.channels;
            const int8_t* w = filter + (ky * g.kernel_w + kx) * in.channels;
            for (int ic = 0; ic < in.channels; ++ic) acc = wrapping_add(acc, w[ic] * (x[ic] + input_offset));
          }
        }
        if (c.bias) acc = wrapping_add(acc, c.bias[k]);
        out_row[ox * out.channels + oc] =
            requantize(acc, c.multipliers[k], c.shifts[k], out.zero_point, g.act_min, g.act_max);
      }
    }
  }
}

void conv2d(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  if (conv2d_dsp_applies(g, in)) {
    conv2d_dsp(g, in, c, out);
  } else {
    conv2d_reference(g, in, c, out);
  }
}

}  // namespace tinyops::rt
