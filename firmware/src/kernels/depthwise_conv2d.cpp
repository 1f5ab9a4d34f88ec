// depthwise conv2d, portable reference: TFLite's reference_integer_ops::DepthwiseConvPerChannel.
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void depthwise_conv2d_reference(const WindowGeometry& g, const InputRows& in, const ChannelData& c,
                                const OutputRegion& out) {
  const int32_t input_offset = -in.zero_point;
  for (int oy = out.row_begin; oy < out.row_end; ++oy) {
    int8_t* out_row = out.row(oy);
    const int in_y0 = oy * g.stride_h - g.pad_top;
    for (int ox = 0; ox < out.width; ++ox) {
      const int in_x0 = ox * g.stride_w - g.pad_left;
      for (int oc = out.channel_begin; oc < out.channel_end; ++oc) {
        const int ic = oc / g.depth_multiplier;
        int32_t acc = 0;
        for (int ky = 0; ky < g.kernel_h; ++ky) {
          const int in_y = in_y0 + ky * g.dilation_h;
          if (in_y < 0 || in_y >= in.height) continue;
          const int8_t* in_row = in.row(in_y);
          for (int kx = 0; kx < g.kernel_w; ++kx) {
            const int in_x = in_x0 + kx * g.dilation_w;
            if (in_x < 0 || in_x >= in.width) continue;
            const int32_t w = c.weights[(ky * g.kernel_w + kx) * out.channels + oc];
            acc = wrapping_add(acc, w * (in_row[in_x * in.channels + ic] + input_offset));
          }
        }
        if (c.bias) acc = wrapping_add(acc, c.bias[oc]);
        out_row[ox * out.channels + oc] =
            requantize(acc, c.multipliers[oc], c.shifts[oc], out.zero_point, g.act_min, g.act_max);
      }
    }
  }
}

void depthwise_conv2d(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  if (depthwise_conv2d_dsp_applies(g, in)) {
    depthwise_conv2d_dsp(g, in, c, out);
  } else {
    depthwise_conv2d_reference(g, in, c, out);
  }
}

}  // namespace tinyops::rt
