// conv2d, Cortex-M DSP variant: 2 output channels x 2 output pixels per step, each 4 input bytes
// sign-extended in pairs (SXTB16, SXTB16 ROR 8) and accumulated with SMLAD. Works on raw int8 inputs:
// TFLite's sum w*(x - zp) is computed as sum w*x - zp*sum(w), the second term folded into the bias once
// per output channel. Padding taps are filled with zp, so that they contribute exactly nothing.
// 1x1 convolutions read the input pixels in place; other kernels gather each pixel's patch first (the
// first 3x3 layer: 27 bytes). Bit-exact with conv2d_reference (tested on randomized shapes).
#include <string.h>

#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

constexpr int kChannelBlock = 64;  // output channels whose folded biases live on the stack at once

// Sum of a filter's weights, 4 at a time (SMLAD with 1, 1).
int32_t weight_sum(const int8_t* w, int depth) {
  constexpr uint32_t kOnes = 0x00010001u;
  int32_t sum = 0;
  int i = 0;
  for (; i + 4 <= depth; i += 4) {
    const uint32_t w32 = dsp::load32(w + i);
    sum = dsp::smlad(dsp::sxtb16(w32), kOnes, sum);
    sum = dsp::smlad(dsp::sxtb16_ror8(w32), kOnes, sum);
  }
  for (; i < depth; ++i) sum += w[i];
  return sum;
}

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
inline void dot_2x2(const int8_t* xa, const int8_t* w0, int x_stride, int depth, int32_t& a0, int32_t& b0,
                    int32_t& a1, int32_t& b1) {
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

// The inputs of a pixel pair, sign-extended once for all output channels: per 4 input channels, the
// words (a0,a2) (a1,a3) (b0,b2) (b1,b3) of pixels a and b, as SXTB16 / SXTB16 ROR 8 give them.
constexpr int kMaxExpandedGroups = 64;  // depth <= 256 (1 KB of stack); deeper filters take dot_2x2
inline void expand_pair(const int8_t* xa, const int8_t* xb, int groups, uint32_t* out) {
  for (int k = 0; k < groups; ++k, out += 4) {
    const uint32_t a = dsp::load32(xa + 4 * k), b = dsp::load32(xb + 4 * k);
    out[0] = dsp::sxtb16(a);
    out[1] = dsp::sxtb16_ror8(a);
    out[2] = dsp::sxtb16(b);
    out[3] = dsp::sxtb16_ror8(b);
  }
}

// dot_2x2 over `groups` x 4 input channels of an expanded pixel pair: per 16 MACs one LDM of the 4 input
// words, 2 weight loads, 4 SXTB16 and 8 SMLAD (17 instructions with the loop on a Cortex-M; the
// registers are laid out by hand there, the compiler would spill one). The loop needs 14 registers: it is
// used only in expanded_pair_tiles (compiled without a frame pointer) and only in optimized builds.
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
#define TINYOPS_RT_DOT_2X2_ASM 1
#endif
__attribute__((always_inline)) inline void dot_2x2_expanded(const uint32_t* x, const int8_t* w0, int depth, int groups,
                                                            int32_t& a0, int32_t& b0, int32_t& a1, int32_t& b1) {
#ifdef TINYOPS_RT_DOT_2X2_ASM
  const uint32_t* const end = x + 4 * groups;
  const int32_t w1_offset = depth - 4;  // from w0 after its post-increment
  int32_t acc_a0 = a0, acc_b0 = b0, acc_a1 = a1, acc_b1 = b1;
  uint32_t w, w_even;
  __asm__ volatile(
      "1:\n\t"
      "ldmia %[x]!, {r2, r3, r4, r5}\n\t"
      "ldr %[w], [%[w0]], #4\n\t"
      "sxtb16 %[we], %[w]\n\t"
      "sxtb16 %[w], %[w], ror #8\n\t"
      "smlad %[a0], r2, %[we], %[a0]\n\t"
      "smlad %[a0], r3, %[w], %[a0]\n\t"
      "smlad %[b0], r4, %[we], %[b0]\n\t"
      "smlad %[b0], r5, %[w], %[b0]\n\t"
      "ldr %[w], [%[w0], %[w1]]\n\t"
      "sxtb16 %[we], %[w]\n\t"
      "sxtb16 %[w], %[w], ror #8\n\t"
      "smlad %[a1], r2, %[we], %[a1]\n\t"
      "smlad %[a1], r3, %[w], %[a1]\n\t"
      "smlad %[b1], r4, %[we], %[b1]\n\t"
      "smlad %[b1], r5, %[w], %[b1]\n\t"
      "cmp %[x], %[end]\n\t"
      "bne 1b\n\t"
      : [a0] "+r"(acc_a0), [b0] "+r"(acc_b0), [a1] "+r"(acc_a1), [b1] "+r"(acc_b1), [x] "+r"(x), [w0] "+r"(w0),
        [w] "=&r"(w), [we] "=&r"(w_even)
      : [w1] "r"(w1_offset), [end] "r"(end)
      : "r2", "r3", "r4", "r5", "cc", "memory");
  a0 = acc_a0, b0 = acc_b0, a1 = acc_a1, b1 = acc_b1;
#else
  for (int k = 0; k < groups; ++k, x += 4, w0 += 4) {
    const uint32_t w0_32 = dsp::load32(w0), w1_32 = dsp::load32(w0 + depth);
    const uint32_t w0_even = dsp::sxtb16(w0_32), w0_odd = dsp::sxtb16_ror8(w0_32);
    const uint32_t w1_even = dsp::sxtb16(w1_32), w1_odd = dsp::sxtb16_ror8(w1_32);
    a0 = dsp::smlad(x[1], w0_odd, dsp::smlad(x[0], w0_even, a0));
    b0 = dsp::smlad(x[3], w0_odd, dsp::smlad(x[2], w0_even, b0));
    a1 = dsp::smlad(x[1], w1_odd, dsp::smlad(x[0], w1_even, a1));
    b1 = dsp::smlad(x[3], w1_odd, dsp::smlad(x[2], w1_even, b1));
  }
#endif
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

// The output channels of one block: folded biases and requantization parameters, set up once per call.
struct ChannelState {
  int32_t folded_bias;
  ChannelRequant requant;
};
struct ChannelBlock {
  ChannelState channel[kChannelBlock];
};

struct PairTiles {
  const uint32_t* expanded;  // the pixel pair, expanded
  const int8_t* xa;          // the raw pixels, for the depth % 4 tail
  const int8_t* xb;
  const int8_t* weights;     // of the first channel pair
  int depth, groups, pairs;  // pairs: channel pairs to compute
  const ChannelState* channels;
  int8_t* out_a;  // at the first channel; pixel b's outputs are out_b_offset bytes further
  int out_b_offset;
  int32_t zero_point, act_min, act_max;
};

// Every channel pair of a block for one expanded pixel pair: the hot loop of 1x1 and small-patch convs,
// in a function of its own so that the accumulators stay in registers around dot_2x2_expanded.
#ifdef TINYOPS_RT_DOT_2X2_ASM
__attribute__((noinline, optimize("omit-frame-pointer")))
#endif
void expanded_pair_tiles(const PairTiles& t) {
  const int8_t* w0 = t.weights;
  const ChannelState* ch = t.channels;
  int8_t* oa = t.out_a;
  const int32_t zp = t.zero_point, lo = t.act_min, hi = t.act_max;
  const bool tail = 4 * t.groups < t.depth;
  for (const ChannelState* const end = ch + 2 * t.pairs; ch != end; ch += 2, w0 += 2 * t.depth, oa += 2) {
    int32_t a0 = ch[0].folded_bias, b0 = a0, a1 = ch[1].folded_bias, b1 = a1;
    dot_2x2_expanded(t.expanded, w0, t.depth, t.groups, a0, b0, a1, b1);
    if (tail) dot_2x2_tail(t.xa, t.xb, w0, t.depth, 4 * t.groups, t.depth, a0, b0, a1, b1);
    int8_t* ob = oa + t.out_b_offset;
    const ChannelRequant* q = &ch[0].requant;
    const ChannelRequant* q1 = &ch[1].requant;
    if (q->bounded && q1->bounded) {
      oa[0] = static_cast<int8_t>(clamp_i32(requantize_bounded(a0, *q) + zp, lo, hi));
      ob[0] = static_cast<int8_t>(clamp_i32(requantize_bounded(b0, *q) + zp, lo, hi));
      oa[1] = static_cast<int8_t>(clamp_i32(requantize_bounded(a1, *q1) + zp, lo, hi));
      ob[1] = static_cast<int8_t>(clamp_i32(requantize_bounded(b1, *q1) + zp, lo, hi));
    } else {
      oa[0] = requantize_channel(a0, *q, zp, lo, hi);
      ob[0] = requantize_channel(b0, *q, zp, lo, hi);
      oa[1] = requantize_channel(a1, *q1, zp, lo, hi);
      ob[1] = requantize_channel(b1, *q1, zp, lo, hi);
    }
  }
}

bool is_pointwise(const WindowGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.pad_top == 0 && g.pad_left == 0;
}

// Where the input patch of output pixel (oy, ox) lies: in place for 1x1, else gathered into `buffer`.
class PatchSource {
 public:
  PatchSource(const WindowGeometry& g, const InputRows& in) : g_(g), in_(in), pointwise_(is_pointwise(g)) {}
  bool pointwise() const { return pointwise_; }

  const int8_t* patch(int oy, int ox, int8_t* buffer) const {
    const int in_y0 = oy * g_.stride_h - g_.pad_top;
    const int in_x0 = ox * g_.stride_w - g_.pad_left;
    if (pointwise_) return in_.row(in_y0) + in_x0 * in_.channels;
    const int8_t pad = static_cast<int8_t>(in_.zero_point);
    int8_t* dst = buffer;
    for (int ky = 0; ky < g_.kernel_h; ++ky) {
      const int in_y = in_y0 + ky * g_.dilation_h;
      const bool row_inside = in_y >= 0 && in_y < in_.height;
      const int8_t* in_row = row_inside ? in_.row(in_y) : nullptr;
      for (int kx = 0; kx < g_.kernel_w; ++kx, dst += in_.channels) {
        const int in_x = in_x0 + kx * g_.dilation_w;
        if (row_inside && in_x >= 0 && in_x < in_.width) {
          memcpy(dst, in_row + in_x * in_.channels, static_cast<size_t>(in_.channels));
        } else {
          memset(dst, pad, static_cast<size_t>(in_.channels));
        }
      }
    }
    return buffer;
  }

 private:
  const WindowGeometry& g_;
  const InputRows& in_;
  bool pointwise_;
};

}  // namespace

bool conv2d_dsp_applies(const WindowGeometry& g, const InputRows& in) {
  return is_pointwise(g) || g.kernel_h * g.kernel_w * in.channels <= kMaxConvPatch;
}

void conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  const int depth = g.kernel_h * g.kernel_w * in.channels;
  const PatchSource source(g, in);
  int8_t patches[2 * kMaxConvPatch];  // gathered patches of a pixel pair, back to back
  uint32_t expanded[4 * kMaxExpandedGroups];
  const int groups = depth / 4;
  const bool expand = groups > 0 && groups <= kMaxExpandedGroups;
  ChannelBlock block;
  const int32_t zp = out.zero_point, lo = g.act_min, hi = g.act_max;

  for (int block_begin = out.channel_begin; block_begin < out.channel_end; block_begin += kChannelBlock) {
    const int block_end = block_begin + kChannelBlock < out.channel_end ? block_begin + kChannelBlock : out.channel_end;
    for (int oc = block_begin; oc < block_end; ++oc) {
      const int k = oc - out.channel_begin;
      const int32_t bias = c.bias ? c.bias[k] : 0;
      ChannelState& state = block.channel[oc - block_begin];
      state.folded_bias = wrapping_add(bias, -in.zero_point * weight_sum(c.weights + k * depth, depth));
      // |w| <= 128: a bound on sum|w| without reading the weights again.
      state.requant = ChannelRequant::make(c.multipliers[k], c.shifts[k], bias, int64_t{128} * depth);
    }
    for (int oy = out.row_begin; oy < out.row_end; ++oy) {
      int8_t* out_row = out.row(oy);
      // Pixel pairs within the row: pixel b's patch is x_stride bytes after pixel a's.
      for (int ox = 0; ox < out.width; ox += 2) {
        const bool pair = ox + 1 < out.width;
        const int8_t* xa = source.patch(oy, ox, patches);
        if (pair) source.patch(oy, ox + 1, patches + depth);
        const int x_stride = source.pointwise() ? g.stride_w * in.channels : depth;
        int8_t* out_a = out_row + ox * out.channels;
        int8_t* out_b = out_a + out.channels;
        int oc = block_begin;
        if (pair && expand) expand_pair(xa, xa + x_stride, groups, expanded);
        if (pair && expand) {
          const int pairs = (block_end - block_begin) / 2;
          expanded_pair_tiles(PairTiles{expanded, xa, xa + x_stride, c.weights + (block_begin - out.channel_begin) * depth,
                                        depth, groups, pairs, block.channel, out_a + block_begin,
                                        static_cast<int>(out_b - out_a), zp, lo, hi});
          oc += 2 * pairs;
        } else if (pair) {
          for (; oc + 2 <= block_end; oc += 2) {
            const int k = oc - out.channel_begin;
            const ChannelState* ch = block.channel + (oc - block_begin);
            const int8_t* w0 = c.weights + k * depth;
            int32_t a0 = ch[0].folded_bias, b0 = a0, a1 = ch[1].folded_bias, b1 = a1;
            if (x_stride == depth) {
              dot_2x2<true>(xa, w0, x_stride, depth, a0, b0, a1, b1);
            } else {
              dot_2x2<false>(xa, w0, x_stride, depth, a0, b0, a1, b1);
            }
            const ChannelRequant& q0 = ch[0].requant;
            const ChannelRequant& q1 = ch[1].requant;
            out_a[oc] = requantize_channel(a0, q0, zp, lo, hi);
            out_a[oc + 1] = requantize_channel(a1, q1, zp, lo, hi);
            out_b[oc] = requantize_channel(b0, q0, zp, lo, hi);
            out_b[oc + 1] = requantize_channel(b1, q1, zp, lo, hi);
          }
        }
        for (; oc < block_end; ++oc) {  // the odd channel, or every channel of an unpaired last pixel
          const int k = oc - out.channel_begin;
          const int8_t* w = c.weights + k * depth;
          const int32_t fold = block.channel[oc - block_begin].folded_bias;
          const ChannelRequant& q = block.channel[oc - block_begin].requant;
          out_a[oc] = requantize_channel(wrapping_add(fold, dot_1x1(xa, w, depth)), q, zp, lo, hi);
          if (pair) out_b[oc] = requantize_channel(wrapping_add(fold, dot_1x1(xa + x_stride, w, depth)), q, zp, lo, hi);
        }
      }
    }
  }
}

}  // namespace tinyops::rt
