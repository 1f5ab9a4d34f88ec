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

// The requantization of a group's 4 channels, on the path all four can take (as conv2d_dsp's blocks). kFast:
// each on the bounded path (ChannelRequant) with a right shift e <= 22, the output zero point joining the
// rounding term: ((h + 2^(e-1) - [h < 0]) >> e) + zp = (h + 2^(e-1) + zp * 2^e - [h < 0]) >> e, with
// |h| < 2^30 and |zp * 2^e| <= 2^29 (no overflow). kLeftShift: shifts in [0, 31] (most of the released r064
// model's) need no rounding shift: ((acc << s) * m + 2^30) >> 31, the shift wrapping as in TFLite. kGeneral:
// requantize_channel per channel. Each of the first two has a variant for the full int8 activation range,
// clamped by one SSAT (most layers of real models: the 4 compare-and-move instructions of a clamp per output).
struct GroupRequant {
  enum class Path { kFast, kFastFullRange, kLeftShift, kLeftShiftFullRange, kGeneral };
  ChannelRequant q[4];
  int32_t offset[4];
  Path path;
  int32_t zp, lo, hi;

  GroupRequant(const ChannelData& c, int ch, const int32_t (&bias)[4], int64_t abs_weight_sum, int32_t zero_point,
               int32_t act_min, int32_t act_max)
      : zp(zero_point), lo(act_min), hi(act_max) {
    bool fast = true, left = true;
    for (int i = 0; i < 4; ++i) {
      q[i] = ChannelRequant::make(c.multipliers[ch + i], c.shifts[ch + i], bias[i], abs_weight_sum);
      const bool channel_fast = q[i].bounded && q[i].right_shift <= 22;
      offset[i] = channel_fast ? (1 + 2 * zero_point) * (1 << (q[i].right_shift - 1)) : 0;
      fast = fast && channel_fast;
      left = left && static_cast<uint32_t>(q[i].shift) <= 31;
    }
    const bool full_range = act_min == -128 && act_max == 127;
    if (fast) {
      path = full_range ? Path::kFastFullRange : Path::kFast;
    } else if (left) {
      path = full_range ? Path::kLeftShiftFullRange : Path::kLeftShift;
    } else {
      path = Path::kGeneral;
    }
  }
  int32_t fast(int32_t acc, int i) const {
    const int32_t high = dsp::smmulr(acc * 2, q[i].multiplier);
    return (high + offset[i] - static_cast<int32_t>(static_cast<uint32_t>(high) >> 31)) >> q[i].right_shift;
  }
  int32_t left_shift(int32_t acc, int i) const {
    const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(acc) << q[i].shift);
    const int32_t v = static_cast<int32_t>((static_cast<int64_t>(shifted) * q[i].multiplier + (1 << 30)) >> 31);
    return wrapping_add(v, zp);
  }
  // The 4 channels of one pixel (one branch on the path per pixel).
  void store(const int32_t (&acc)[4], int8_t* px) const {
    if (path == Path::kFastFullRange) {
      for (int i = 0; i < 4; ++i) px[i] = static_cast<int8_t>(dsp::ssat8(fast(acc[i], i)));
    } else if (path == Path::kLeftShiftFullRange) {
      for (int i = 0; i < 4; ++i) px[i] = static_cast<int8_t>(dsp::ssat8(left_shift(acc[i], i)));
    } else if (path == Path::kFast) {
      for (int i = 0; i < 4; ++i) px[i] = static_cast<int8_t>(clamp_i32(fast(acc[i], i), lo, hi));
    } else if (path == Path::kLeftShift) {
      for (int i = 0; i < 4; ++i) px[i] = static_cast<int8_t>(clamp_i32(left_shift(acc[i], i), lo, hi));
    } else {
      for (int i = 0; i < 4; ++i) px[i] = requantize_channel(acc[i], q[i], zp, lo, hi);
    }
  }
  // Channels i and i + 2 of one pixel (one branch on the path for both).
  void store_pair(int32_t acc_low, int32_t acc_high, int i, int8_t* px) const {
    if (path == Path::kFastFullRange) {
      px[i] = static_cast<int8_t>(dsp::ssat8(fast(acc_low, i)));
      px[i + 2] = static_cast<int8_t>(dsp::ssat8(fast(acc_high, i + 2)));
    } else if (path == Path::kLeftShiftFullRange) {
      px[i] = static_cast<int8_t>(dsp::ssat8(left_shift(acc_low, i)));
      px[i + 2] = static_cast<int8_t>(dsp::ssat8(left_shift(acc_high, i + 2)));
    } else if (path == Path::kFast) {
      px[i] = static_cast<int8_t>(clamp_i32(fast(acc_low, i), lo, hi));
      px[i + 2] = static_cast<int8_t>(clamp_i32(fast(acc_high, i + 2), lo, hi));
    } else if (path == Path::kLeftShift) {
      px[i] = static_cast<int8_t>(clamp_i32(left_shift(acc_low, i), lo, hi));
      px[i + 2] = static_cast<int8_t>(clamp_i32(left_shift(acc_high, i + 2), lo, hi));
    } else {
      px[i] = requantize_channel(acc_low, q[i], zp, lo, hi);
      px[i + 2] = requantize_channel(acc_high, q[i + 2], zp, lo, hi);
    }
  }
};

// One channel group on a map narrower or shorter than the kernel: each window runs only its taps inside the
// map, reading the input in place and adding the offset per tap. (g, in, out by value: see depthwise_dsp.)
template <int K>
void direct_windows(const WindowGeometry g, const InputRows in, const OutputRegion out, int ch,
                    const int32_t (&bias)[4], const uint32_t* weights, uint32_t offset_pair,
                    const GroupRequant& requant) {
  const int stride_h = g.stride_h, stride_w = g.stride_w;
  for (int oy = out.row_begin; oy < out.row_end; ++oy) {
    const int in_y0 = oy * stride_h - g.pad_top;
    const int ky_begin = max_int(0, -in_y0), ky_end = min_int(K, in.height - in_y0);
    int8_t* out_px = out.row(oy) + ch;
    for (int ox = 0; ox < out.width; ++ox, out_px += out.channels) {
      const int in_x0 = ox * stride_w - g.pad_left;
      const int kx_begin = max_int(0, -in_x0), kx_end = min_int(K, in.width - in_x0);
      int32_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
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
          acc[0] = dsp::smlabb(x_even, w_even, acc[0]);
          acc[2] = dsp::smlatt(x_even, w_even, acc[2]);
          acc[1] = dsp::smlabb(x_odd, w_odd, acc[1]);
          acc[3] = dsp::smlatt(x_odd, w_odd, acc[3]);
        }
      }
      requant.store(acc, out_px);
    }
  }
}

// Kernel rows [ky_begin, ky_end) x columns [kx_begin, kx_end).
struct TapRange {
  int ky_begin, ky_end, kx_begin, kx_end;
};

// The taps that some window of the part has inside the map: direct_windows reads no others (a 2x2 map under a
// 7x7 kernel: 9 of 49, whose sign-extension per channel group then cost more than the windows).
template <int K>
TapRange taps_inside(const WindowGeometry& g, const InputRows& in, const OutputRegion& out) {
  const int y_first = out.row_begin * g.stride_h - g.pad_top, y_last = (out.row_end - 1) * g.stride_h - g.pad_top;
  const int x_first = -g.pad_left, x_last = (out.width - 1) * g.stride_w - g.pad_left;
  return TapRange{max_int(0, -y_last), min_int(K, in.height - y_first), max_int(0, -x_last),
                  min_int(K, in.width - x_first)};
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
  const bool direct = in.width < K || in.height < K;
  uint32_t ring[K * 2 * kRingColumns];
  const TapRange used = direct ? taps_inside<K>(g, in, out) : TapRange{0, K, 0, K};  // (all, on the ring)
  for (int ch = out.channel_begin; ch < out.channel_end; ch += 4) {
    const int8_t* w = c.weights + ch;
    int32_t bias[4] = {0, 0, 0, 0};
    if (c.bias) bias[0] = c.bias[ch], bias[1] = c.bias[ch + 1], bias[2] = c.bias[ch + 2], bias[3] = c.bias[ch + 3];
    // The group's weight words, sign-extended once: even channels, odd channels per tap; the taps of `used`.
    uint32_t weights[2 * kTaps];
    const int channels = in.channels;
    auto widen_tap = [&weights, w, channels](int t) {
      const uint32_t w32 = dsp::load32(w + t * channels);
      weights[2 * t] = dsp::sxtb16(w32);
      weights[2 * t + 1] = dsp::sxtb16_ror8(w32);
    };
    if (direct) {
      for (int ky = used.ky_begin; ky < used.ky_end; ++ky)
        for (int kx = used.kx_begin; kx < used.kx_end; ++kx) widen_tap(ky * K + kx);
    } else {
      for (int t = 0; t < kTaps; ++t) widen_tap(t);
    }
    constexpr int64_t kAbsSum = int64_t{kTaps} * 128;  // a bound on sum|w| of a channel
    const GroupRequant requant(c, ch, bias, kAbsSum, out.zero_point, g.act_min, g.act_max);
    if (direct) {
      direct_windows<K>(g, in, out, ch, bias, weights, offset_pair, requant);
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
        for (int ox = ox_begin, x = 0; ox < ox_end; ++ox, x += 2 * stride_w, out_px += out.channels) {
          // Even channels (ch, ch + 2), then odd ones (ch + 1, ch + 3): two accumulators live at a time, so
          // the unrolled window keeps its row pointers and operands in registers.
          // 3x3: the four sums stay in registers, one requantization branch per pixel; larger windows need
          // the registers, so each half stores its two channels.
          int32_t sums[4];
#pragma GCC unroll 2
          for (int half = 0; half < 2; ++half) {
            int32_t acc_low = bias[half], acc_high = bias[half + 2];
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
            if constexpr (K == 3) {
              sums[half] = acc_low, sums[half + 2] = acc_high;
            } else {
              requant.store_pair(acc_low, acc_high, half, out_px);
            }
          }
          if constexpr (K == 3) requant.store(sums, out_px);
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

void depthwise_conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  switch (g.kernel_h) {
    case 3: depthwise_dsp<3>(g, in, c, out); break;
    case 5: depthwise_dsp<5>(g, in, c, out); break;
    case 7: depthwise_dsp<7>(g, in, c, out); break;
    default: depthwise_conv2d_reference(g, in, c, out); break;  // not reached: the dispatcher checks applies
  }
}

}  // namespace tinyops::rt
