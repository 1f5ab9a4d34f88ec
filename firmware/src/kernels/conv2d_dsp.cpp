// conv2d, Cortex-M DSP variant: 2 output channels x 2 output pixels per step, accumulated with SMLAD on
// int16 lanes. 1x1 convolutions read the input pixels in place; other kernels gather each pixel's patch first
// (the first 3x3 layer: 27 bytes), padding taps filled with the input zero point. Each pixel pair is
// sign-extended once per channel block into a stack buffer (its "expansion"), with TFLite's input offset
// (-zp) added to every int16 lane; output pixels pair in raster order across row ends. Two inner loops over
// an expanded pair:
// - widened (calls of >= kMinPairsToWiden pixel pairs, 1x1 or KxK patches of <= 256 values): the block's
//   weights are sign-extended to int16 once per call into a 4 KB stack buffer, so that the loop is loads and
//   SMLAD only (24 instructions per 32 MACs on a Cortex-M). The last group's missing lanes (depth % 4) are
//   zero weights.
// - raw (the other calls: few pixels, e.g. the 2x2 and 4x4 layers and their row parts): weights
//   sign-extended in the loop (18 instructions per 16 MACs). Nothing is computed per call in proportion to
//   the weights, so that a part of a partitioned op costs what its pixels cost.
// An odd last channel is computed twice, the copy discarded; an unpaired last pixel (a 1x1 map) takes a
// single-pixel loop over 4 filters at a time. 1x1 filters deeper than 4 * kMaxExpandedGroups sign-extend
// everything in the loop (dot_2x2) and fold -zp * sum(w) into the bias. Bit-exact with conv2d_reference (tested on
// randomized shapes, on the host and on the Cortex-M7 build under QEMU: firmware/app/kernel_check).
#include <string.h>

#include <new>

#include "conv2d_dsp_channels.hpp"
#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

using namespace conv2d_dsp_detail;  // the kernel's own internals

constexpr int kMaxExpandedGroups = 96;     // groups of 4 input values of an expanded pixel pair (1.5 KB)
constexpr int kMaxWidenedGroups = 64;      // of a widened filter (depth <= 256)
constexpr int kWidenedWeightWords = 1024;  // 4 KB of stack: the int16 weights of one channel block
// Widening a channel pair costs about 10 instructions per group of 4 inputs, once per call, and saves 6 per
// group and pixel pair; every part of a row-partitioned op widens again, so tiny calls do not widen.
constexpr int kMinPairsToWiden = 4;

// ---- expanded pixel pairs ----

// Up to 4 bytes as a little-endian word, missing bytes 0.
inline uint32_t load_group(const int8_t* p, int count) {
  if (count >= 4) return dsp::load32(p);
  uint32_t word = 0;
  for (int i = 0; i < count; ++i) word |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return word;
}

// Two int8 vectors of `depth` values, per group of 4: the words (u0,u2) (u1,u3) (v0,v2) (v1,v3) as SXTB16 /
// SXTB16 ROR 8 give them, plus `offset` in each int16 lane; the last group's missing values are 0 (+ offset).
// The layout of an expanded pixel pair (u, v = pixels a, b) and of a widened channel pair (u, v = filters of
// channels 0, 1).
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
// widen_pair<false>'s full groups on a Cortex-M: 2 loads, 4 SXTB16 and one STM a group (9 instructions with the
// loop, against GCC's 13 with four stores). Returns where the groups end in `out`.
inline uint32_t* widen_filter_groups(const int8_t* u, const int8_t* v, int groups, uint32_t* out) {
  if (groups <= 0) return out;
  const int8_t* const u_end = u + 4 * groups;
  __asm__ volatile(
      "1:\n\t"
      "ldr r2, [%[u]], #4\n\t"
      "ldr r4, [%[v]], #4\n\t"
      "sxtb16 r3, r2, ror #8\n\t"
      "sxtb16 r2, r2\n\t"
      "sxtb16 r5, r4, ror #8\n\t"
      "sxtb16 r4, r4\n\t"
      "stmia %[out]!, {r2, r3, r4, r5}\n\t"
      "cmp %[u], %[end]\n\t"
      "bne 1b\n\t"
      : [u] "+r"(u), [v] "+r"(v), [out] "+r"(out)
      : [end] "r"(u_end)
      : "r2", "r3", "r4", "r5", "cc", "memory");
  return out;
}
#endif

template <bool kOffset>
void widen_pair(const int8_t* u, const int8_t* v, int depth, uint32_t offset, uint32_t* out) {
  auto put = [offset](uint32_t u32, uint32_t v32, uint32_t* group) {
    group[0] = kOffset ? dsp::sadd16(dsp::sxtb16(u32), offset) : dsp::sxtb16(u32);
    group[1] = kOffset ? dsp::sadd16(dsp::sxtb16_ror8(u32), offset) : dsp::sxtb16_ror8(u32);
    group[2] = kOffset ? dsp::sadd16(dsp::sxtb16(v32), offset) : dsp::sxtb16(v32);
    group[3] = kOffset ? dsp::sadd16(dsp::sxtb16_ror8(v32), offset) : dsp::sxtb16_ror8(v32);
  };
  int i = 0;
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
  if constexpr (!kOffset) {
    i = depth / 4 * 4;
    out = widen_filter_groups(u, v, depth / 4, out);
  }
#endif
  for (; i + 4 <= depth; i += 4, out += 4) put(dsp::load32(u + i), dsp::load32(v + i), out);
  if (i < depth) put(load_group(u + i, depth - i), load_group(v + i, depth - i), out);
}

// acc += x . w over one group: x an expanded pixel pair's group, w a widened channel pair's.
inline void tile_group(const uint32_t* x, const uint32_t* w, int32_t& a0, int32_t& b0, int32_t& a1, int32_t& b1) {
  a0 = dsp::smlad(x[1], w[1], dsp::smlad(x[0], w[0], a0));
  b0 = dsp::smlad(x[3], w[1], dsp::smlad(x[2], w[0], b0));
  a1 = dsp::smlad(x[1], w[3], dsp::smlad(x[0], w[2], a1));
  b1 = dsp::smlad(x[3], w[3], dsp::smlad(x[2], w[2], b1));
}

// The 2x2 tile of an expanded pixel pair and a widened channel pair over all groups: acc = {a0, b0, a1, b1}
// (pixel a/b, channel 0/1). On a Cortex-M, two groups per iteration with hand-allocated registers (2 LDM of
// inputs, 4 LDRD of weights, 16 SMLAD, compare and branch: 24 instructions per 32 MACs; the compiler would
// spill). The loop needs 13 registers, which GCC finds only in a function without other work: with the
// requantization beside it, it fails with "impossible constraints".
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
#define TINYOPS_RT_WIDENED_GROUP      \
  "ldmia %[x]!, {r2, r3, r4, r5}\n\t" \
  "ldrd r6, r8, [%[w]], #8\n\t"       \
  "smlad %[a0], r2, r6, %[a0]\n\t"    \
  "smlad %[a0], r3, r8, %[a0]\n\t"    \
  "smlad %[b0], r4, r6, %[b0]\n\t"    \
  "smlad %[b0], r5, r8, %[b0]\n\t"    \
  "ldrd r6, r8, [%[w]], #8\n\t"       \
  "smlad %[a1], r2, r6, %[a1]\n\t"    \
  "smlad %[a1], r3, r8, %[a1]\n\t"    \
  "smlad %[b1], r4, r6, %[b1]\n\t"    \
  "smlad %[b1], r5, r8, %[b1]\n\t"
__attribute__((always_inline)) inline void dot_2x2_widened(const uint32_t* x, const uint32_t* w, int groups,
                                                           int32_t* acc) {
  const uint32_t* const end = x + 4 * groups;
  int32_t a0 = acc[0], b0 = acc[1], a1 = acc[2], b1 = acc[3];
  if (groups & 1) {  // an odd group first, then two per iteration
    __asm__ volatile(TINYOPS_RT_WIDENED_GROUP
                     : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [x] "+r"(x), [w] "+r"(w)
                     :
                     : "r2", "r3", "r4", "r5", "r6", "r8", "memory");
  }
  if (x != end) {
    __asm__ volatile("1:\n\t" TINYOPS_RT_WIDENED_GROUP TINYOPS_RT_WIDENED_GROUP
                     "cmp %[x], %[end]\n\t"
                     "bne 1b\n\t"
                     : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [x] "+r"(x), [w] "+r"(w)
                     : [end] "r"(end)
                     : "r2", "r3", "r4", "r5", "r6", "r8", "cc", "memory");
  }
  acc[0] = a0, acc[1] = b0, acc[2] = a1, acc[3] = b1;
}
#undef TINYOPS_RT_WIDENED_GROUP
#else
inline void dot_2x2_widened(const uint32_t* x, const uint32_t* w, int groups, int32_t* acc) {
  for (const uint32_t* const end = x + 4 * groups; x != end; x += 4, w += 4)
    tile_group(x, w, acc[0], acc[1], acc[2], acc[3]);
}
#endif

// The accumulators of an expanded pixel pair for every channel of a block, from its widened weights:
// acc[2k] pixel a, acc[2k + 1] pixel b of channel k (count rounded up to even).
__attribute__((noinline)) void accumulate_pair_widened(const uint32_t* expanded, const uint32_t* weights, int groups,
                                                       const int32_t* bias, int count, int32_t* acc) {
  for (const int32_t* const end = bias + count; bias < end; bias += 2, weights += 4 * groups, acc += 4) {
    int32_t tile[4] = {bias[0], bias[0], bias[1], bias[1]};
    dot_2x2_widened(expanded, weights, groups, tile);
    memcpy(acc, tile, sizeof tile);
  }
}

// accumulate_pair_widened for G groups known at compile time (1x1 layers of 4 to 16 input channels), fully
// unrolled: there the loop's set-up per channel pair (about 30 instructions, as many as its MACs at G = 2)
// dominated.
template <int G>
__attribute__((noinline)) void accumulate_pair_widened_small(const uint32_t* expanded, const uint32_t* weights,
                                                             const int32_t* bias, int count, int32_t* acc) {
  for (const int32_t* const end = bias + count; bias < end; bias += 2, weights += 4 * G, acc += 4) {
    int32_t a0 = bias[0], b0 = a0, a1 = bias[1], b1 = a1;
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) tile_group(expanded + 4 * g, weights + 4 * g, a0, b0, a1, b1);
    acc[0] = a0, acc[1] = b0, acc[2] = a1, acc[3] = b1;
  }
}

// accumulate_pair_widened, unrolled for the smallest depths.
void accumulate_pair_widened_any(const uint32_t* expanded, const uint32_t* weights, int groups, const int32_t* bias,
                                 int count, int32_t* acc) {
  switch (groups) {
    case 1: accumulate_pair_widened_small<1>(expanded, weights, bias, count, acc); break;
    case 2: accumulate_pair_widened_small<2>(expanded, weights, bias, count, acc); break;
    case 3: accumulate_pair_widened_small<3>(expanded, weights, bias, count, acc); break;
    case 4: accumulate_pair_widened_small<4>(expanded, weights, bias, count, acc); break;
    default: accumulate_pair_widened(expanded, weights, groups, bias, count, acc); break;
  }
}

// One group of a channel pair's raw filters (channel 1's `w1_offset` bytes after channel 0's), sign-extended
// into the widened layout; `count` < 4 for the depth % 4 tail (missing weights 0).
inline void widen_group(const int8_t* w0, int w1_offset, int count, uint32_t* out) {
  const uint32_t w0_32 = load_group(w0, count), w1_32 = load_group(w0 + w1_offset, count);
  out[0] = dsp::sxtb16(w0_32);
  out[1] = dsp::sxtb16_ror8(w0_32);
  out[2] = dsp::sxtb16(w1_32);
  out[3] = dsp::sxtb16_ror8(w1_32);
}

// The accumulators of an expanded pixel pair for every channel of a block, from the raw int8 filters
// (`depth` bytes each, channel after channel): acc[2k] pixel a, acc[2k + 1] pixel b of channel k. On a
// Cortex-M the full groups take one LDM of inputs, 2 weight loads, 4 SXTB16 and 8 SMLAD per 16 MACs (18
// instructions with the loop, whose end is read from memory: GCC finds no 14th register for it).
__attribute__((noinline)) void accumulate_pair_raw(const uint32_t* expanded, const int8_t* weights, int depth,
                                                   const int32_t* bias, int count, int32_t* acc) {
  const int full_groups = depth / 4, tail = depth % 4;
  const uint32_t* const x_end = expanded + 4 * full_groups;
  for (int k = 0; k < count; k += 2, weights += 2 * depth, acc += 4) {
    const int32_t w1_offset = k + 1 < count ? depth : 0;  // an odd last channel: twice itself
    int32_t a0 = bias[k], b0 = a0, a1 = bias[k + 1], b1 = a1;
    const uint32_t* x = expanded;
    const int8_t* w0 = weights;
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
    if (x != x_end) {
      const int32_t w1_from_next = w1_offset - 4;  // from w0 after its post-increment
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
          "ldr r2, %[end]\n\t"
          "cmp %[x], r2\n\t"
          "bne 1b\n\t"
          : [a0] "+r"(a0), [b0] "+r"(b0), [a1] "+r"(a1), [b1] "+r"(b1), [x] "+r"(x), [w0] "+r"(w0), [w] "=&r"(w),
            [we] "=&r"(w_even)
          : [w1] "r"(w1_from_next), [end] "m"(x_end)
          : "r2", "r3", "r4", "r5", "cc", "memory");
    }
#else
    for (; x != x_end; x += 4, w0 += 4) {
      uint32_t w[4];
      widen_group(w0, w1_offset, 4, w);
      tile_group(x, w, a0, b0, a1, b1);
    }
#endif
    if (tail) {
      uint32_t w[4];
      widen_group(w0, w1_offset, tail, w);
      tile_group(x, w, a0, b0, a1, b1);
    }
    acc[0] = a0, acc[1] = b0, acc[2] = a1, acc[3] = b1;
  }
}

// One sign-extended group of 4 filter values (SXTB16, SXTB16 ROR 8) times an expanded pixel's group.
inline int32_t dot_group(uint32_t x_even, uint32_t x_odd, uint32_t w32, int32_t acc) {
  return dsp::smlad(x_odd, dsp::sxtb16_ror8(w32), dsp::smlad(x_even, dsp::sxtb16(w32), acc));
}

// The accumulators of one expanded pixel (pixel a of the pair layout: words 0, 1 of each group) for every
// channel of a block, from the raw filters: acc[2k] of channel k. A pixel without a partner (a 1x1 map: the
// classifier's last convolution; an odd pixel count) costs half of a pair computed twice: 4 channels share
// each group's input words. On a Cortex-M the full groups take one LDRD of inputs, 4 weight loads, 8 SXTB16
// and 8 SMLAD (23 instructions per 16 MACs with the loop, against 18 per 8 useful ones as a pair); channels
// 2 and 3 are read through a second pointer, so the 4 filters need one offset register (GCC's own
// allocation spills two offsets: 28 instructions).
__attribute__((noinline)) void accumulate_single_raw(const uint32_t* expanded, const int8_t* weights, int depth,
                                                     const int32_t* bias, int count, int32_t* acc) {
  const int full_groups = depth / 4, tail = depth % 4;
  const uint32_t* const x_end = expanded + 4 * full_groups;
  int k = 0;
  for (; k + 4 <= count; k += 4, weights += 4 * depth) {
    int32_t a0 = bias[k], a1 = bias[k + 1], a2 = bias[k + 2], a3 = bias[k + 3];
    const int8_t* w = weights;
    const uint32_t* x = expanded;
#if TINYOPS_RT_HAVE_DSP && defined(__OPTIMIZE__)
    if (x != x_end) {
      const int8_t* w2 = w + 2 * depth;
      uint32_t x_even, x_odd, w32, w_even;
// clang-format off
#define TINYOPS_RT_SINGLE_CHANNEL(acc, load)        \
  load "\n\t"                                       \
  "sxtb16 %[we], %[w32]\n\t"                        \
  "sxtb16 %[w32], %[w32], ror #8\n\t"               \
  "smlad %[" acc "], %[xe], %[we], %[" acc "]\n\t"  \
  "smlad %[" acc "], %[xo], %[w32], %[" acc "]\n\t"
      __asm__ volatile(
          "1:\n\t"
          "ldrd %[xe], %[xo], [%[x]], #16\n\t"
          TINYOPS_RT_SINGLE_CHANNEL("a1", "ldr %[w32], [%[w], %[d]]")
          TINYOPS_RT_SINGLE_CHANNEL("a0", "ldr %[w32], [%[w]], #4")
          TINYOPS_RT_SINGLE_CHANNEL("a3", "ldr %[w32], [%[w2], %[d]]")
          TINYOPS_RT_SINGLE_CHANNEL("a2", "ldr %[w32], [%[w2]], #4")
          "cmp %[x], %[end]\n\t"
          "bne 1b\n\t"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [w2] "+r"(w2),
            [xe] "=&r"(x_even), [xo] "=&r"(x_odd), [w32] "=&r"(w32), [we] "=&r"(w_even)
          : [d] "r"(depth), [end] "r"(x_end)
          : "cc", "memory");
// clang-format on
#undef TINYOPS_RT_SINGLE_CHANNEL
    }
#else
    for (; x != x_end; x += 4, w += 4) {
      const uint32_t x_even = x[0], x_odd = x[1];
      a0 = dot_group(x_even, x_odd, dsp::load32(w), a0);
      a1 = dot_group(x_even, x_odd, dsp::load32(w + depth), a1);
      a2 = dot_group(x_even, x_odd, dsp::load32(w + 2 * depth), a2);
      a3 = dot_group(x_even, x_odd, dsp::load32(w + 3 * depth), a3);
    }
#endif
    if (tail) {
      a0 = dot_group(x[0], x[1], load_group(w, tail), a0);
      a1 = dot_group(x[0], x[1], load_group(w + depth, tail), a1);
      a2 = dot_group(x[0], x[1], load_group(w + 2 * depth, tail), a2);
      a3 = dot_group(x[0], x[1], load_group(w + 3 * depth, tail), a3);
    }
    acc[2 * k] = a0, acc[2 * k + 2] = a1, acc[2 * k + 4] = a2, acc[2 * k + 6] = a3;
  }
  for (; k < count; ++k, weights += depth) {  // the block's last count % 4 channels
    int32_t a = bias[k];
    const int8_t* w = weights;
    const uint32_t* x = expanded;
    for (; x != x_end; x += 4, w += 4) a = dot_group(x[0], x[1], dsp::load32(w), a);
    if (tail) a = dot_group(x[0], x[1], load_group(w, tail), a);
    acc[2 * k] = a;
  }
}

// The outputs of a pixel pair from its accumulators, channels [0, count) of a block; with kPaired false,
// pixel a's alone.
template <RequantPath kPath, bool kFullRange, bool kPaired = true>
void requantize_pair(const int32_t* acc, const ChannelBlock& block, int count, int32_t zp, int32_t lo, int32_t hi,
                     int8_t* out_a, int8_t* out_b) {
  for (int k = 0; k < count; ++k, acc += 2) {
    const ChannelQuant q = block.quant[k];  // a copy: the int8 stores may alias the block
    if (kPath == RequantPath::kFast && kPaired) {
      requantize_fast_pair<kFullRange>(acc, q, lo, hi, out_a + k, out_b + k);
    } else if (kPath == RequantPath::kFast) {
      const int32_t v = requantize_fast_unclamped(acc[0], q);
      out_a[k] = static_cast<int8_t>(kFullRange ? dsp::ssat8(v) : clamp_i32(v, lo, hi));
    } else if (kPath == RequantPath::kLeftShift) {
      const int32_t va = wrapping_add(requantize_left_shift_unclamped(acc[0], q), zp);
      out_a[k] = static_cast<int8_t>(kFullRange ? dsp::ssat8(va) : clamp_i32(va, lo, hi));
      if (kPaired) {
        const int32_t vb = wrapping_add(requantize_left_shift_unclamped(acc[1], q), zp);
        out_b[k] = static_cast<int8_t>(kFullRange ? dsp::ssat8(vb) : clamp_i32(vb, lo, hi));
      }
    } else {
      out_a[k] = requantize_fast(acc[0], q.multiplier, q.shift, zp, lo, hi);
      if (kPaired) out_b[k] = requantize_fast(acc[1], q.multiplier, q.shift, zp, lo, hi);
    }
  }
}

// requantize_pair on the path of the block (kPaired: both pixels, else pixel a's alone).
template <bool kPaired>
void requantize_block(const int32_t* acc, const ChannelBlock& block, int count, bool full_range, int32_t zp, int32_t lo,
                      int32_t hi, int8_t* out_a, int8_t* out_b) {
  if (block.path == RequantPath::kFast && full_range) {
    requantize_pair<RequantPath::kFast, true, kPaired>(acc, block, count, zp, lo, hi, out_a, out_b);
  } else if (block.path == RequantPath::kFast) {
    requantize_pair<RequantPath::kFast, false, kPaired>(acc, block, count, zp, lo, hi, out_a, out_b);
  } else if (block.path == RequantPath::kLeftShift && full_range) {
    requantize_pair<RequantPath::kLeftShift, true, kPaired>(acc, block, count, zp, lo, hi, out_a, out_b);
  } else if (block.path == RequantPath::kLeftShift) {
    requantize_pair<RequantPath::kLeftShift, false, kPaired>(acc, block, count, zp, lo, hi, out_a, out_b);
  } else {
    requantize_pair<RequantPath::kGeneral, false, kPaired>(acc, block, count, zp, lo, hi, out_a, out_b);
  }
}

bool is_pointwise(const WindowGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.pad_top == 0 && g.pad_left == 0;
}

// `count` bytes, a word at a time: the spans of a patch are a few bytes (the first layer's 3 or 9), where a
// call of the library's memcpy costs about 45 instructions.
inline void copy_small(int8_t* dst, const int8_t* src, int count) {
  int i = 0;
  for (; i + 4 <= count; i += 4) dsp::store32(dst + i, dsp::load32(src + i));
  for (; i < count; ++i) dst[i] = src[i];
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
    const int channels = in_.channels;
    // A window row wholly inside the map (undilated) is one contiguous span of the input row.
    const bool columns_inside = g_.dilation_w == 1 && in_x0 >= 0 && in_x0 + g_.kernel_w <= in_.width;
    int8_t* dst = buffer;
    for (int ky = 0; ky < g_.kernel_h; ++ky) {
      const int in_y = in_y0 + ky * g_.dilation_h;
      const bool row_inside = in_y >= 0 && in_y < in_.height;
      const int8_t* in_row = row_inside ? in_.row(in_y) : nullptr;
      if (row_inside && columns_inside) {
        copy_small(dst, in_row + in_x0 * channels, g_.kernel_w * channels);
        dst += g_.kernel_w * channels;
        continue;
      }
      for (int kx = 0; kx < g_.kernel_w; ++kx, dst += channels) {
        const int in_x = in_x0 + kx * g_.dilation_w;
        if (row_inside && in_x >= 0 && in_x < in_.width) {
          copy_small(dst, in_row + in_x * channels, channels);
        } else {
          memset(dst, pad, static_cast<size_t>(channels));
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

// Output pixels of a region in raster order, so that pairs run across row ends.
struct PixelCursor {
  int y, x;
  void advance(int width) {
    if (++x == width) x = 0, ++y;
  }
};

// What conv2d_expanded sets up for its channel blocks, kept in the caller's Conv2dOpState between the parts of an
// op. The state is cut into entries of one block's set-up (its channel state, and its int16 weights when the call
// widens), block b in entry b % entries: one entry for a widened block of 4 KB of weights, up to 7 for the small
// calls that do not widen (the 2x2 and 4x4 layers, where the set-up weighs most), so that the next part of the op
// finds as many of its blocks already set up as the space holds.
struct BlockEntry {
  const int8_t* weights;    // the block's first filter; null: the entry holds nothing
  int first, count, depth;  // its channels [first, first + count) of the op
  ChannelBlock block;
  // The block's int16 weights, when widened: the entry's words after this header.
  uint32_t* widened() { return reinterpret_cast<uint32_t*>(this + 1); }
  const uint32_t* widened() const { return reinterpret_cast<const uint32_t*>(this + 1); }
};
static_assert(sizeof(BlockEntry) % 4 == 0, "entries are whole words");
constexpr int kEntryHeaderWords = static_cast<int>(sizeof(BlockEntry) / 4);
constexpr int kSetUpWords = (kConv2dOpStateBytes - 8) / 4;
static_assert(kEntryHeaderWords + kWidenedWeightWords <= kSetUpWords, "a widened block fits the state");
struct BlockSetUp {
  uint32_t reverse;  // the next call walks the blocks last to first
  uint32_t layout;   // the words of an entry as the last call cut them (0: none yet)
  uint32_t words[kSetUpWords];
  BlockEntry& entry(int i, int entry_words) { return *reinterpret_cast<BlockEntry*>(words + i * entry_words); }
};
static_assert(sizeof(BlockSetUp) <= kConv2dOpStateBytes, "kConv2dOpStateBytes holds the kernel's set-up");

BlockSetUp& held_set_up(Conv2dOpState& state) {
  if (state.held == 0) {
    BlockSetUp* s = new (state.storage) BlockSetUp;
    s->reverse = 0;
    s->layout = 0;
    state.held = 1;
  }
  return *std::launder(reinterpret_cast<BlockSetUp*>(state.storage));
}

// Block `index` of a call, channels [first, first + count) set up in its entry of `s` (channel state, and int16
// weights when `widen`), unless the entry holds it already. `entry_words`: the call's entry size.
BlockEntry& set_up_block(const ChannelData& c, const int8_t* block_weights, int depth, int groups, int index,
                         int offset, int first, int count, int32_t zp, bool widen, int entry_words, BlockSetUp& s) {
  const int entries = kSetUpWords / entry_words;
  if (s.layout != static_cast<uint32_t>(entry_words)) {  // cut anew: every entry empty
    for (int i = 0; i < entries; ++i) s.entry(i, entry_words).weights = nullptr;
    s.layout = static_cast<uint32_t>(entry_words);
  }
  BlockEntry& e = s.entry(index % entries, entry_words);
  if (e.weights == block_weights && e.first == first && e.count == count && e.depth == depth) return e;
  set_up_channels(c, depth, offset, count, zp, e.block);
  if (widen) {
    for (int i = 0; i < count; i += 2) {
      const int8_t* w0 = block_weights + i * depth;
      widen_pair<false>(w0, i + 1 < count ? w0 + depth : w0, depth, 0, e.widened() + 2 * groups * i);
    }
  }
  e.weights = block_weights, e.first = first, e.count = count, e.depth = depth;
  return e;
}

void conv2d_expanded(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out,
                     BlockSetUp& s) {
  const int depth = g.kernel_h * g.kernel_w * in.channels;
  const int groups = (depth + 3) / 4;
  const int pixels = (out.row_end - out.row_begin) * out.width;
  const PatchSource source(g, in);
  const bool widen = groups <= kMaxWidenedGroups && (pixels + 1) / 2 >= kMinPairsToWiden;
  const int widened_block = kWidenedWeightWords / (4 * groups) * 2;
  const int block_channels = widen && widened_block < kChannelBlock ? widened_block : kChannelBlock;
  // The input offset goes into the expansion (int16 lanes of -zp): no sums of weights.
  const uint32_t input_offset = (static_cast<uint32_t>(-in.zero_point) & 0xFFFFu) * 0x00010001u;
  const bool full_range = g.act_min == -128 && g.act_max == 127;
  const int32_t zp = out.zero_point, lo = g.act_min, hi = g.act_max;
  int8_t patches[2 * kMaxConvPatch];  // gathered patches of a pixel pair
  uint32_t expanded[4 * kMaxExpandedGroups];
  int8_t discarded[kChannelBlock];  // the outputs of an unpaired last pixel's copy
  int32_t accumulators[2 * (kChannelBlock + 1)];

  // Blocks of block_channels from channel_begin, walked in the direction of s.reverse.
  const int blocks = (out.channel_end - out.channel_begin + block_channels - 1) / block_channels;
  const bool reverse = s.reverse != 0;
  s.reverse = !reverse;
  // An entry: its header, and the int16 weights of a full block when widened (2 * groups words a channel pair).
  const int entry_words = kEntryHeaderWords + (widen ? 2 * groups * ((block_channels + 1) & ~1) : 0);
  for (int b = 0; b < blocks; ++b) {
    const int index = reverse ? blocks - 1 - b : b;
    const int first = out.channel_begin + index * block_channels;
    const int count = out.channel_end - first < block_channels ? out.channel_end - first : block_channels;
    const int8_t* block_weights = c.weights + (first - out.channel_begin) * depth;
    const BlockEntry& entry = set_up_block(c, block_weights, depth, groups, index, first - out.channel_begin, first,
                                           count, zp, widen, entry_words, s);
    const ChannelBlock& block = entry.block;
    const int32_t* const bias = block.bias;
    const uint32_t* const widened = entry.widened();
    PixelCursor pixel{out.row_begin, 0};
    for (int p = 0; p < pixels; p += 2) {
      const PixelCursor a = pixel;
      pixel.advance(out.width);
      const bool paired = p + 1 < pixels;
      const PixelCursor b_pixel = paired ? pixel : a;
      pixel.advance(out.width);
      const int8_t* xa = source.patch(a.y, a.x, patches);
      const int8_t* xb = paired ? source.patch(b_pixel.y, b_pixel.x, patches + kMaxConvPatch) : xa;
      int8_t* out_a = out.row(a.y) + a.x * out.channels + first;
      int8_t* out_b = paired ? out.row(b_pixel.y) + b_pixel.x * out.channels + first : discarded;
      widen_pair<true>(xa, xb, depth, input_offset, expanded);
      if (!paired) {
        accumulate_single_raw(expanded, block_weights, depth, bias, count, accumulators);
        requantize_block<false>(accumulators, block, count, full_range, zp, lo, hi, out_a, out_b);
        continue;
      }
      if (widen) {
        accumulate_pair_widened_any(expanded, widened, groups, bias, (count + 1) & ~1, accumulators);
      } else {
        accumulate_pair_raw(expanded, block_weights, depth, bias, count, accumulators);
      }
      requantize_block<true>(accumulators, block, count, full_range, zp, lo, hi, out_a, out_b);
    }
  }
}

}  // namespace

bool conv2d_dsp_applies(const WindowGeometry& g, const InputRows& in) {
  return is_pointwise(g) || g.kernel_h * g.kernel_w * in.channels <= kMaxConvPatch;
}

void conv2d_dsp_reusing(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out,
                        Conv2dOpState& state) {
  if (g.kernel_h * g.kernel_w * in.channels <= 4 * kMaxExpandedGroups) {
    conv2d_expanded(g, in, c, out, held_set_up(state));
  } else {
    conv2d_pointwise_deep(g, in, c, out);
  }
}

void conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  Conv2dOpState state;  // one call: nothing to reuse
  conv2d_dsp_reusing(g, in, c, out, state);
}

}  // namespace tinyops::rt
