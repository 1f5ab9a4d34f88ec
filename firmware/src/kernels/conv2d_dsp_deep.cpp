// conv2d, Cortex-M DSP variant, for 1x1 filters deeper than conv2d_dsp.cpp's expanded path holds
// (4 * kMaxExpandedGroups input channels): 2 output channels x 2 pixels of a row per step, inputs and weights
// sign-extended in the loop (SXTB16) and accumulated with SMLAD, -zp * sum(w) folded into the bias once per
// call. Bit-exact with conv2d_reference (tested with conv2d_dsp.cpp's paths).
#include "conv2d_dsp_channels.hpp"

namespace tinyops::rt::conv2d_dsp_detail {
namespace {

// Input channels [from, to) of a 2x2 tile one at a time (the depth % 4 left by the 4-wide loops);
// channel 1's filter lies w_stride bytes after channel 0's.
inline void dot_2x2_tail(const int8_t* xa, const int8_t* xb, const int8_t* w0, int w_stride, int from, int to,
                         int32_t& a0, int32_t& b0, int32_t& a1, int32_t& b1) {
  for (int i = from; i < to; ++i) {
    const int32_t w0_i = w0[i], w1_i = w0[w_stride + i];
    a0 = wrapping_add(a0, w0_i * xa[i]);
    b0 = wrapping_add(b0, w0_i * xb[i]);
    a1 = wrapping_add(a1, w1_i * xa[i]);
    b1 = wrapping_add(b1, w1_i * xb[i]);
  }
}

// acc[o][p] += sum_i w_o[i] * x_p[i] for 2 pixels and 2 channels: pixel b's patch lies `x_stride` bytes
// after pixel a's, channel 1's filter `depth` bytes after channel 0's. With kSharedStride the two
// distances are the same register, which keeps the loop's 4 accumulators, 6 operands and 3 pointers
// within the 14 usable registers of a Cortex-M (no spills: 20 instructions per 16 MACs + the branch).
template <bool kSharedStride>
inline void dot_2x2(const int8_t* xa, const int8_t* w0, int x_stride, int depth, int32_t& a0, int32_t& b0, int32_t& a1,
                    int32_t& b1) {
  const int xs = kSharedStride ? depth : x_stride;
  const int8_t* const end = xa + (depth & ~3);
  while (xa != end) {
    const uint32_t w0_32 = dsp::load32(w0);
    const uint32_t xa32 = dsp::load32(xa);
    const uint32_t w0_even = dsp::sxtb16(w0_32), w0_odd = dsp::sxtb16_ror8(w0_32);
    const uint32_t xa_even = dsp::sxtb16(xa32), xa_odd = dsp::sxtb16_ror8(xa32);
    a0 = dsp::smlad(xa_even, w0_even, a0);
    a0 = dsp::smlad(xa_odd, w0_odd, a0);
    const uint32_t xb32 = dsp::load32(xa + xs);
    const uint32_t xb_even = dsp::sxtb16(xb32), xb_odd = dsp::sxtb16_ror8(xb32);
    b0 = dsp::smlad(xb_even, w0_even, b0);
    b0 = dsp::smlad(xb_odd, w0_odd, b0);
    const uint32_t w1_32 = dsp::load32(w0 + depth);
    const uint32_t w1_even = dsp::sxtb16(w1_32), w1_odd = dsp::sxtb16_ror8(w1_32);
    a1 = dsp::smlad(xa_even, w1_even, a1);
    a1 = dsp::smlad(xa_odd, w1_odd, a1);
    b1 = dsp::smlad(xb_even, w1_even, b1);
    b1 = dsp::smlad(xb_odd, w1_odd, b1);
    xa += 4;
    w0 += 4;
  }
  dot_2x2_tail(xa, xa + xs, w0, depth, 0, depth & 3, a0, b0, a1, b1);
}

inline int32_t dot_1x1(const int8_t* x, const int8_t* w, int depth) {
  int32_t acc = 0;
  int i = 0;
  for (; i + 4 <= depth; i += 4) {
    const uint32_t x32 = dsp::load32(x + i), w32 = dsp::load32(w + i);
    acc = dsp::smlad(dsp::sxtb16(x32), dsp::sxtb16(w32), acc);
    acc = dsp::smlad(dsp::sxtb16_ror8(x32), dsp::sxtb16_ror8(w32), acc);
  }
  for (; i < depth; ++i) acc = wrapping_add(acc, w[i] * x[i]);
  return acc;
}

}  // namespace

// 1x1 convolutions deeper than the widened path takes: pixel pairs within a row, in place.
void conv2d_pointwise_deep(const WindowGeometry& g, const InputRows& in, const ChannelData& c,
                           const OutputRegion& out) {
  const int depth = in.channels;
  const int x_stride = g.stride_w * depth;
  ChannelBlock block;
  const int32_t zp = out.zero_point, lo = g.act_min, hi = g.act_max;
  for (int block_begin = out.channel_begin; block_begin < out.channel_end; block_begin += kChannelBlock) {
    const int block_end = block_begin + kChannelBlock < out.channel_end ? block_begin + kChannelBlock : out.channel_end;
    const int count = block_end - block_begin;
    set_up_channels(c, depth, block_begin - out.channel_begin, count, zp, block);
    fold_input_zero_point(in.zero_point, c.weights + (block_begin - out.channel_begin) * depth, depth, count, block);
    for (int oy = out.row_begin; oy < out.row_end; ++oy) {
      int8_t* out_row = out.row(oy);
      const int8_t* in_row = in.row(oy * g.stride_h);
      for (int ox = 0; ox < out.width; ox += 2) {
        const bool pair = ox + 1 < out.width;
        const int8_t* xa = in_row + ox * x_stride;
        int8_t* out_a = out_row + ox * out.channels;
        int8_t* out_b = out_a + out.channels;
        int oc = block_begin;
        for (; pair && oc + 2 <= block_end; oc += 2) {
          const int i = oc - block_begin;
          const int8_t* w0 = c.weights + (oc - out.channel_begin) * depth;
          int32_t a0 = block.bias[i], b0 = a0, a1 = block.bias[i + 1], b1 = a1;
          if (x_stride == depth) {
            dot_2x2<true>(xa, w0, x_stride, depth, a0, b0, a1, b1);
          } else {
            dot_2x2<false>(xa, w0, x_stride, depth, a0, b0, a1, b1);
          }
          out_a[oc] = requantize_in_block(a0, block, i, zp, lo, hi);
          out_a[oc + 1] = requantize_in_block(a1, block, i + 1, zp, lo, hi);
          out_b[oc] = requantize_in_block(b0, block, i, zp, lo, hi);
          out_b[oc + 1] = requantize_in_block(b1, block, i + 1, zp, lo, hi);
        }
        for (; oc < block_end; ++oc) {  // the odd channel, or every channel of an unpaired last pixel
          const int8_t* w = c.weights + (oc - out.channel_begin) * depth;
          const int i = oc - block_begin;
          out_a[oc] = requantize_in_block(wrapping_add(block.bias[i], dot_1x1(xa, w, depth)), block, i, zp, lo, hi);
          if (pair) {
            out_b[oc] = requantize_in_block(wrapping_add(block.bias[i], dot_1x1(xa + x_stride, w, depth)), block, i, zp,
                                            lo, hi);
          }
        }
      }
    }
  }
}

}  // namespace tinyops::rt::conv2d_dsp_detail
