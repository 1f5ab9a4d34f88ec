// depthwise conv2d 3x3, Cortex-M DSP variant: 4 channels per step (one 32-bit load of inputs and of
// weights, SXTB16 into even/odd channel pairs, SMLABB/SMLATT per channel). Channel groups are the outer
// loop so that each group's folded bias (bias - zp * sum of its 9 weights) is computed once: interior
// pixels then accumulate raw inputs; border pixels, whose window is clipped, add the input offset to the
// inputs instead (SADD16) and start from the plain bias. Bit-exact with depthwise_conv2d_reference.
#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

struct Accumulators {
  int32_t c0, c1, c2, c3;
};

inline void tap_with_offset(uint32_t x32, uint32_t w32, uint32_t offset_pair, Accumulators& acc) {
  const uint32_t x_even = dsp::sadd16(dsp::sxtb16(x32), offset_pair);
  const uint32_t x_odd = dsp::sadd16(dsp::sxtb16_ror8(x32), offset_pair);
  const uint32_t w_even = dsp::sxtb16(w32), w_odd = dsp::sxtb16_ror8(w32);
  acc.c0 = dsp::smlabb(x_even, w_even, acc.c0);
  acc.c2 = dsp::smlatt(x_even, w_even, acc.c2);
  acc.c1 = dsp::smlabb(x_odd, w_odd, acc.c1);
  acc.c3 = dsp::smlatt(x_odd, w_odd, acc.c3);
}

}  // namespace

bool depthwise_conv2d_3x3_dsp_applies(const WindowGeometry& g, const InputRows& in) {
  return g.kernel_h == 3 && g.kernel_w == 3 && g.dilation_h == 1 && g.dilation_w == 1 && g.depth_multiplier == 1 &&
         in.channels % 4 == 0;
}

void depthwise_conv2d_3x3_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c,
                              const OutputRegion& out) {
  const int channels = in.channels;
  const int row_stride = in.width * channels;
  const int x_step = g.stride_w * channels;
  const int out_step = out.channels;
  const int32_t input_offset = -in.zero_point;
  const uint32_t offset_pair = (static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u;
  const int32_t zp = out.zero_point, lo = g.act_min, hi = g.act_max;
  for (int ch = out.channel_begin; ch < out.channel_end; ch += 4) {
    const int8_t* w = c.weights + ch;
    Accumulators bias{0, 0, 0, 0};
    if (c.bias) bias = {c.bias[ch], c.bias[ch + 1], c.bias[ch + 2], c.bias[ch + 3]};
    // The group's 9 weight words, sign-extended once (even and odd channels), and its folded biases.
    uint32_t w_even[9], w_odd[9];
    Accumulators folded = bias;
    for (int t = 0; t < 9; ++t) {
      const uint32_t w32 = dsp::load32(w + t * channels);
      w_even[t] = dsp::sxtb16(w32);
      w_odd[t] = dsp::sxtb16_ror8(w32);
      folded.c0 = wrapping_add(folded.c0, input_offset * w[t * channels]);
      folded.c1 = wrapping_add(folded.c1, input_offset * w[t * channels + 1]);
      folded.c2 = wrapping_add(folded.c2, input_offset * w[t * channels + 2]);
      folded.c3 = wrapping_add(folded.c3, input_offset * w[t * channels + 3]);
    }
    const int64_t kAbsSum = 9 * 128;  // a bound on sum|w| of a channel
    const ChannelRequant q[4] = {ChannelRequant::make(c.multipliers[ch], c.shifts[ch], bias.c0, kAbsSum),
                                 ChannelRequant::make(c.multipliers[ch + 1], c.shifts[ch + 1], bias.c1, kAbsSum),
                                 ChannelRequant::make(c.multipliers[ch + 2], c.shifts[ch + 2], bias.c2, kAbsSum),
                                 ChannelRequant::make(c.multipliers[ch + 3], c.shifts[ch + 3], bias.c3, kAbsSum)};
    auto store = [&](int8_t* px, const Accumulators& acc) {
      px[0] = requantize_channel(acc.c0, q[0], zp, lo, hi);
      px[1] = requantize_channel(acc.c1, q[1], zp, lo, hi);
      px[2] = requantize_channel(acc.c2, q[2], zp, lo, hi);
      px[3] = requantize_channel(acc.c3, q[3], zp, lo, hi);
    };
    for (int oy = out.row_begin; oy < out.row_end; ++oy) {
      const int in_y0 = oy * g.stride_h - g.pad_top;
      const bool rows_inside = in_y0 >= 0 && in_y0 + 3 <= in.height;
      int8_t* out_px = out.row(oy) + ch;
      // Columns whose window lies inside the input: [ox_begin, ox_end); the others are borders.
      int ox_begin = (g.pad_left + g.stride_w - 1) / g.stride_w;
      int ox_end = (in.width - 3 + g.pad_left) / g.stride_w + 1;
      if (!rows_inside || in.width < 3) ox_begin = ox_end = out.width;
      if (ox_end > out.width) ox_end = out.width;
      if (ox_begin > ox_end) ox_begin = ox_end;
      for (int ox = 0; ox < out.width; ++ox, out_px += out_step) {
        if (ox == ox_begin) {  // the interior run: raw inputs, folded biases, pre-extended weights
          const int8_t* x = in.row(in_y0) + (ox * g.stride_w - g.pad_left) * channels + ch;
          for (; ox < ox_end; ++ox, out_px += out_step, x += x_step) {
            Accumulators acc = folded;
            const int8_t* row = x;
            for (int ky = 0; ky < 3; ++ky, row += row_stride) {
              for (int kx = 0; kx < 3; ++kx) {
                const uint32_t x32 = dsp::load32(row + kx * channels);
                const uint32_t x_even = dsp::sxtb16(x32), x_odd = dsp::sxtb16_ror8(x32);
                const int t = ky * 3 + kx;
                acc.c0 = dsp::smlabb(x_even, w_even[t], acc.c0);
                acc.c2 = dsp::smlatt(x_even, w_even[t], acc.c2);
                acc.c1 = dsp::smlabb(x_odd, w_odd[t], acc.c1);
                acc.c3 = dsp::smlatt(x_odd, w_odd[t], acc.c3);
              }
            }
            store(out_px, acc);
          }
          if (ox >= out.width) break;
        }
        const int in_x0 = ox * g.stride_w - g.pad_left;
        Accumulators acc = bias;
        for (int ky = 0; ky < 3; ++ky) {
          const int in_y = in_y0 + ky;
          if (in_y < 0 || in_y >= in.height) continue;
          const int8_t* in_row = in.row(in_y);
          for (int kx = 0; kx < 3; ++kx) {
            const int in_x = in_x0 + kx;
            if (in_x < 0 || in_x >= in.width) continue;
            tap_with_offset(dsp::load32(in_row + in_x * channels + ch), dsp::load32(w + (ky * 3 + kx) * channels),
                            offset_pair, acc);
          }
        }
        store(out_px, acc);
      }
    }
  }
}

}  // namespace tinyops::rt
