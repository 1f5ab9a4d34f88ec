// depthwise conv2d KxK (K = 3, 5, 7), Cortex-M DSP variant, 4 channels per step. K is a template
// parameter, so the window is fully unrolled.
//
// Per group of 4 channels, the input rows a window needs are gathered once into a ring of K scratch rows
// that holds them sign-extended, with the input offset added, as int16 pairs (even channels, odd channels:
// 8 bytes per pixel) and with the padding written as zeros. Every window, border or not, then takes the same
// loop, even channels then odd ones: per tap one load of inputs, one of the weights (sign-extended once per
// group) and SMLABB/SMLATT, at immediate offsets. Each input row is gathered once per channel group as the output rows
// advance (a row stays in the ring while windows use it). Wide maps are cut into column strips so that the
// ring fits kDepthwiseDspRingWords; a strip re-gathers the K - stride columns its neighbour shares. Maps narrower or
// shorter than the kernel (a network's last layers, where most taps fall in the padding) skip the ring: each
// window runs only its taps inside the map, reading the input in place and adding the offset per tap.
// Bit-exact with depthwise_conv2d_reference.
#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

struct Accumulators {
  int32_t c0, c1, c2, c3;
};

constexpr int kNoRow = -0x7FFFFFFF - 1;  // a ring slot that holds no row yet
inline int min_int(int a, int b) { return a < b ? a : b; }
inline int max_int(int a, int b) { return a > b ? a : b; }

// Input row `y` (columns [x_first, x_first + columns)) of channels [ch, ch + 4) into `dst`, two words a pixel
// (even channels, odd channels); rows and columns outside the input are zeros (padding: input plus offset 0).
void gather_row(const InputRows& in, int y, int ch, int x_first, int columns, uint32_t offset_pair, uint32_t* dst) {
  if (y < 0 || y >= in.height) {
    for (int j = 0; j < 2 * columns; ++j) dst[j] = 0;
    return;
  }
  const int inside_begin = min_int(max_int(0, -x_first), columns);
  const int inside_end = max_int(inside_begin, min_int(columns, in.width - x_first));
  int j = 0;
  for (; j < inside_begin; ++j) dst[2 * j] = dst[2 * j + 1] = 0;
  const int8_t* x = in.row(y) + (x_first + j) * in.channels + ch;
  for (; j < inside_end; ++j, x += in.channels) {
    const uint32_t x32 = dsp::load32(x);
    dst[2 * j] = dsp::sadd16(dsp::sxtb16(x32), offset_pair);
    dst[2 * j + 1] = dsp::sadd16(dsp::sxtb16_ror8(x32), offset_pair);
  }
  for (; j < columns; ++j) dst[2 * j] = dst[2 * j + 1] = 0;
}

template <int K>
void depthwise_dsp(const WindowGeometry& geometry, const InputRows& input, const ChannelData& c,
                   const OutputRegion& output) {
  // Local copies: the int8 output stores may alias anything, so fields read through the references would be
  // reloaded after every store.
  const WindowGeometry g = geometry;
  const InputRows in = input;
  const OutputRegion out = output;
  constexpr int kTaps = K * K;
  constexpr int kRingColumns = kDepthwiseDspRingWords / (2 * K);  // pixels (2 words each) per slot
  const int stride_h = g.stride_h, stride_w = g.stride_w;
  const int strip_width = (kRingColumns - K) / stride_w + 1;  // output columns per strip
  const int32_t input_offset = -in.zero_point;
  const uint32_t offset_pair = (static_cast<uint32_t>(input_offset) & 0xFFFFu) * 0x10001u;
  const int32_t zp = out.zero_point, lo = g.act_min, hi = g.act_max;
  const bool direct = in.width < K || in.height < K;
  uint32_t ring[K * 2 * kRingColumns];
  for (int ch = out.channel_begin; ch < out.channel_end; ch += 4) {
    const int8_t* w = c.weights + ch;
    Accumulators bias{0, 0, 0, 0};
    if (c.bias) bias = {c.bias[ch], c.bias[ch + 1], c.bias[ch + 2], c.bias[ch + 3]};
    // The group's K*K weight words, sign-extended once: even channels, odd channels per tap.
    uint32_t weights[2 * kTaps];
    for (int t = 0; t < kTaps; ++t) {
      const uint32_t w32 = dsp::load32(w + t * in.channels);
      weights[2 * t] = dsp::sxtb16(w32);
      weights[2 * t + 1] = dsp::sxtb16_ror8(w32);
    }
    constexpr int64_t kAbsSum = int64_t{kTaps} * 128;  // a bound on sum|w| of a channel
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
    if (direct) {  // a map narrower or shorter than the kernel: only the taps inside it, read in place
      for (int oy = out.row_begin; oy < out.row_end; ++oy) {
        const int in_y0 = oy * stride_h - g.pad_top;
        const int ky_begin = max_int(0, -in_y0), ky_end = min_int(K, in.height - in_y0);
        int8_t* out_px = out.row(oy) + ch;
        for (int ox = 0; ox < out.width; ++ox, out_px += out.channels) {
          const int in_x0 = ox * stride_w - g.pad_left;
          const int kx_begin = max_int(0, -in_x0), kx_end = min_int(K, in.width - in_x0);
          Accumulators acc = bias;
          for (int ky = ky_begin; ky < ky_end; ++ky) {
            const int8_t* x = in.row(in_y0 + ky) + (in_x0 + kx_begin) * in.channels + ch;
            const uint32_t* w_row = weights + 2 * ky * K;
            // Not unrolled: a loop over the few taps inside beats per-pixel set-up of unrolled offsets.
#pragma GCC unroll 1
            for (int kx = kx_begin; kx < kx_end; ++kx, x += in.channels) {
              const uint32_t x32 = dsp::load32(x);
              const uint32_t x_even = dsp::sadd16(dsp::sxtb16(x32), offset_pair);
              const uint32_t x_odd = dsp::sadd16(dsp::sxtb16_ror8(x32), offset_pair);
              const uint32_t w_even = w_row[2 * kx], w_odd = w_row[2 * kx + 1];
              acc.c0 = dsp::smlabb(x_even, w_even, acc.c0);
              acc.c2 = dsp::smlatt(x_even, w_even, acc.c2);
              acc.c1 = dsp::smlabb(x_odd, w_odd, acc.c1);
              acc.c3 = dsp::smlatt(x_odd, w_odd, acc.c3);
            }
          }
          store(out_px, acc);
        }
      }
      continue;
    }
    for (int ox_begin = 0; ox_begin < out.width; ox_begin += strip_width) {
      const int ox_end = min_int(out.width, ox_begin + strip_width);
      const int x_first = ox_begin * stride_w - g.pad_left;
      const int columns = (ox_end - ox_begin - 1) * stride_w + K;
      const int slot_words = 2 * columns;
      int slot_row[K];  // the input row each ring slot holds
      for (int s = 0; s < K; ++s) slot_row[s] = kNoRow;
      for (int oy = out.row_begin; oy < out.row_end; ++oy) {
        const int in_y0 = oy * stride_h - g.pad_top;
        const uint32_t* rows[K];
        for (int ky = 0; ky < K; ++ky) {
          const int y = in_y0 + ky, slot = (y % K + K) % K;
          uint32_t* dst = ring + slot * slot_words;
          if (slot_row[slot] != y) {
            gather_row(in, y, ch, x_first, columns, offset_pair, dst);
            slot_row[slot] = y;
          }
          rows[ky] = dst;
        }
        int8_t* out_px = out.row(oy) + ox_begin * out.channels + ch;
        const int32_t bias_words[4] = {bias.c0, bias.c1, bias.c2, bias.c3};
        for (int ox = ox_begin, x = 0; ox < ox_end; ++ox, x += 2 * stride_w, out_px += out.channels) {
          // Even channels (ch, ch + 2), then odd ones (ch + 1, ch + 3): two accumulators live at a time, so
          // the unrolled window keeps its row pointers and operands in registers.
#pragma GCC unroll 2
          for (int half = 0; half < 2; ++half) {
            int32_t acc_low = bias_words[half], acc_high = bias_words[half + 2];
#pragma GCC unroll 7
            for (int ky = 0; ky < K; ++ky) {
              const uint32_t* row = rows[ky] + x + half;
              const uint32_t* w = weights + 2 * ky * K + half;
#pragma GCC unroll 7
              for (int kx = 0; kx < K; ++kx) {
                acc_low = dsp::smlabb(row[2 * kx], w[2 * kx], acc_low);
                acc_high = dsp::smlatt(row[2 * kx], w[2 * kx], acc_high);
              }
            }
            out_px[half] = requantize_channel(acc_low, q[half], zp, lo, hi);
            out_px[half + 2] = requantize_channel(acc_high, q[half + 2], zp, lo, hi);
          }
        }
      }
    }
  }
}

}  // namespace

bool depthwise_conv2d_dsp_applies(const WindowGeometry& g, const InputRows& in) {
  const bool size = g.kernel_h == g.kernel_w && (g.kernel_h == 3 || g.kernel_h == 5 || g.kernel_h == 7);
  return size && g.dilation_h == 1 && g.dilation_w == 1 && g.depth_multiplier == 1 && in.channels % 4 == 0;
}

void depthwise_conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c,
                          const OutputRegion& out) {
  switch (g.kernel_h) {
    case 3: depthwise_dsp<3>(g, in, c, out); break;
    case 5: depthwise_dsp<5>(g, in, c, out); break;
    case 7: depthwise_dsp<7>(g, in, c, out); break;
    default: depthwise_conv2d_reference(g, in, c, out); break;  // not reached: the dispatcher checks applies
  }
}

}  // namespace tinyops::rt
