#pragma once
// The output channels' state shared by the DSP conv2d kernel's paths (conv2d_dsp.cpp: expanded pixel pairs;
// conv2d_dsp_deep.cpp: 1x1 filters deeper than the expansion holds): a block's accumulator start values and
// requantization parameters, set up once per call, and the requantization they allow. Internal to the
// kernel, not part of the runtime's interface.
#include <stdint.h>

#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt::conv2d_dsp_detail {

inline constexpr int kChannelBlock = 32;  // output channels whose state lives on the stack at once

// Sum of a filter's weights, 4 at a time (SMLAD with 1, 1).
inline int32_t weight_sum(const int8_t* w, int depth) {
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

// A channel's requantization. The fast one applies where the accumulators stay below 2^30
// (ChannelRequant::bounded) and the right shift e is at most 22: the output zero point joins the rounding
// term, ((h + 2^(e-1) - [h < 0]) >> e) + zp = (h + (2^(e-1) + zp * 2^e) - [h < 0]) >> e, with |h| < 2^30 and
// |zp * 2^e| <= 2^29 (no overflow). Channels with a left shift (most of the released r064 model's) need no
// rounding shift: ((x << s) * m + 2^30) >> 31. Others take TFLite's general arithmetic on (multiplier, shift).
struct ChannelQuant {
  int32_t multiplier, offset, right_shift;  // offset, right_shift: fast channels only
  int32_t shift;
};
enum class RequantPath { kFast, kLeftShift, kGeneral };  // of a whole block
inline constexpr int kMaxFastRightShift = 22;

// The output channels of one block: accumulator start values and requantization parameters, once per call.
struct ChannelBlock {
  int32_t bias[kChannelBlock + 1];  // + 1: an odd block's last channel is computed twice
  ChannelQuant quant[kChannelBlock];
  RequantPath path;  // the one every channel of the block can take
};

inline constexpr int32_t kNoBias[kChannelBlock] = {};  // the bias of an op without one

// Called once per block of a part (unless the op's Conv2dOpState holds the block already): about 20 branch-free
// instructions per channel. Whether the block is all fast / all left shifts is gathered as an OR of flags and
// of shifts (every shift in [0, 31] exactly when their OR, unsigned, is), not as two ANDs of comparisons.
inline void set_up_channels(const ChannelData& c, int depth, int first, int count, int32_t output_zero_point,
                            ChannelBlock& block) {
  // ChannelRequant::bounded: |bias| + 255 * 128 * depth < 2^30 (|w| <= 128, |x - zp| <= 255).
  const int64_t bias_limit = (int64_t{1} << 30) - int64_t{255} * 128 * depth;
  const uint32_t abs_bias_limit = bias_limit > 0 ? static_cast<uint32_t>(bias_limit) : 0u;
  const int32_t rounding_and_zero_point = 1 + 2 * output_zero_point;  // 2^(e-1) + zp * 2^e = this * 2^(e-1)
  const int32_t* bias = c.bias ? c.bias + first : kNoBias;
  const int32_t* shifts = c.shifts + first;
  const int32_t* multipliers = c.multipliers + first;
  uint32_t any_slow = 0, shift_bits = 0;
  for (int i = 0; i < count; ++i) {
    const int32_t b = bias[i], shift = shifts[i];
    block.bias[i] = b;
    const uint32_t abs_bias = b < 0 ? 0u - static_cast<uint32_t>(b) : static_cast<uint32_t>(b);
    // fast: shift in [-kMaxFastRightShift, -1] (one unsigned comparison) and a bounded bias
    const uint32_t slow = (static_cast<uint32_t>(-1 - shift) >= kMaxFastRightShift) | (abs_bias >= abs_bias_limit);
    const int32_t e = slow ? 1 : -shift;
    block.quant[i] = ChannelQuant{multipliers[i], rounding_and_zero_point * (1 << (e - 1)), e, shift};
    any_slow |= slow;
    shift_bits |= static_cast<uint32_t>(shift);
  }
  block.path = !any_slow ? RequantPath::kFast : (shift_bits <= 31 ? RequantPath::kLeftShift : RequantPath::kGeneral);
  block.bias[count] = count > 0 ? block.bias[count - 1] : 0;
}

// For loops on raw (not offset) inputs: bias - zp * sum(w) in place of the bias.
inline void fold_input_zero_point(int32_t input_zero_point, const int8_t* weights, int depth, int count,
                                  ChannelBlock& block) {
  for (int i = 0; i <= count; ++i) {
    const int k = i < count ? i : count - 1;
    block.bias[i] = wrapping_add(block.bias[i], -input_zero_point * weight_sum(weights + k * depth, depth));
  }
}

// The requantized value before the clamp (SMMULR on 2 * acc, as ChannelRequant's bounded path).
inline int32_t requantize_fast_unclamped(int32_t acc, const ChannelQuant& q) {
  const int32_t high = dsp::smmulr(acc * 2, q.multiplier);
  return (high + q.offset - static_cast<int32_t>(static_cast<uint32_t>(high) >> 31)) >> q.right_shift;
}

// Pixels a and b of one channel. kFullRange: the activation range is all of int8 (a clamp by SSAT).
template <bool kFullRange>
inline void requantize_fast_pair(const int32_t* acc, ChannelQuant q, int32_t lo, int32_t hi, int8_t* out_a,
                                 int8_t* out_b) {
  const int32_t va = requantize_fast_unclamped(acc[0], q), vb = requantize_fast_unclamped(acc[1], q);
  *out_a = static_cast<int8_t>(kFullRange ? dsp::ssat8(va) : clamp_i32(va, lo, hi));
  *out_b = static_cast<int8_t>(kFullRange ? dsp::ssat8(vb) : clamp_i32(vb, lo, hi));
}

// TFLite's arithmetic for a left shift s in [0, 31]: the shift wraps, the rounding shift is by 0.
inline int32_t requantize_left_shift_unclamped(int32_t acc, const ChannelQuant& q) {
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(acc) << q.shift);
  return static_cast<int32_t>((static_cast<int64_t>(shifted) * q.multiplier + (1 << 30)) >> 31);
}

// One output of channel i of a block (the deep loops).
inline int8_t requantize_in_block(int32_t acc, const ChannelBlock& block, int i, int32_t zp, int32_t lo, int32_t hi) {
  const ChannelQuant& q = block.quant[i];
  if (block.path == RequantPath::kFast)
    return static_cast<int8_t>(clamp_i32(requantize_fast_unclamped(acc, q), lo, hi));
  return requantize_fast(acc, q.multiplier, q.shift, zp, lo, hi);
}

// 1x1 convolutions deeper than the expanded path takes (conv2d_dsp_deep.cpp).
void conv2d_pointwise_deep(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);

}  // namespace tinyops::rt::conv2d_dsp_detail
