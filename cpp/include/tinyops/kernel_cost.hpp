#pragma once
// The kernel cost model: which firmware kernel an op runs (kernel_kind), the work features of one op part
// that kernel's cost is linear in (kernel_features, one per CostTerm of board.hpp), its compute cycles from
// the board's per-kind parameters, and how many times a kernel fetches an operand it reads in place (the
// reuse model behind memory stall cycles).
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

// The firmware's dispatch (firmware/src/kernels: conv2d(), depthwise_conv2d()), restated on the core's IR:
// pointwise convolutions (1x1, no padding) and patches of at most kMaxDspConvPatch bytes run the DSP conv2d
// kernel; 3x3, 5x5 and 7x7 depthwise convolutions with channels a multiple of 4 run the DSP depthwise kernel
// (the core has no dilation and depth multiplier 1); everything else runs its reference kernel.
inline constexpr int kMaxDspConvPatch = 256;         // rt::kMaxConvPatch
inline constexpr int kDepthwiseDspRingWords = 1024;  // rt::kDepthwiseDspRingWords: its column strips
// The DSP conv2d kernel's internal paths (conv2d_dsp.cpp, whose constants these restate).
inline constexpr int kMaxDspExpandedDepth = 384;     // 4 x kMaxExpandedGroups: deeper 1x1 filters take dot_2x2
inline constexpr int kDspConvChannelBlock = 32;      // kChannelBlock
inline constexpr int kMaxDspWidenedGroups = 64;      // kMaxWidenedGroups
inline constexpr int kDspWidenedWeightWords = 1024;  // kWidenedWeightWords
inline constexpr int kMinDspPairsToWiden = 4;        // kMinPairsToWiden
inline constexpr int kMaxDspUnrolledGroups = 4;      // accumulate_pair_widened_any's unrolled cases
// The set-up the executor keeps between the row parts of a conv2d op (rt::Conv2dOpState, conv2d_dsp.cpp's
// BlockSetUp): words for entries, and the words of an entry's header on the Cortex-M (a 4-byte pointer, three
// ints and a ChannelBlock of 33 biases, 32 channel quants of 4 words and the path).
inline constexpr int kDspConvSetUpWords = (4800 - 8) / 4;  // (rt::kConv2dOpStateBytes - 8) / 4
inline constexpr int kDspConvEntryHeaderWords = 1 + 3 + 33 + 32 * 4 + 1;
KernelKind kernel_kind(const Network& net, const Op& op);

// What the cost model needs of an op, computed once per op.
struct OpGeometry {
  KernelKind kind = KernelKind::Conv1x1;
  int out_h = 1, out_w = 1, out_c = 1;
  int in_h = 1, in_w = 1, in_c = 1;
  int kernel_h = 1, kernel_w = 1, stride = 1;
  int pad_top = 0, pad_left = 0;
  double macs_per_output = 0;       // nominal accumulations per output element
  double slow_requant_share = 0;    // Op::slow_requant_share
  double left_shift_share = 0;      // Op::left_shift_share
  bool clamped_activation = false;  // Op::clamped_activation
  bool hard_swish = false;  // a fused hard-swish or hard-sigmoid (a 256-entry table per op, one lookup an output)
  // Windowed ops: over output rows [0, r), the kernel rows inside the input (row_taps_prefix[r]); over all
  // output columns, the kernel columns inside the input (col_taps).
  std::vector<int> row_taps_prefix;
  int col_taps = 0;
};
OpGeometry op_geometry(const Network& net, const Op& op);

// One value per CostTerm: the part's work in that term's unit (see CostTerm in board.hpp).
using CostFeatures = std::array<double, kCostTermCount>;
inline bool is_conv(KernelKind k) {
  return k == KernelKind::Conv1x1 || k == KernelKind::ConvKxKDsp || k == KernelKind::ConvKxKReference;
}
inline bool is_depthwise(KernelKind k) { return k == KernelKind::DepthwiseDsp || k == KernelKind::DepthwiseReference; }

namespace detail {
inline bool windowed(KernelKind k) {
  return is_conv(k) || is_depthwise(k) || k == KernelKind::AveragePool || k == KernelKind::GlobalAveragePool;
}

// How many of the positions [begin, begin + count) fall inside [0, size).
inline double inside(int begin, int count, int size) {
  return double(std::max(0, std::min(begin + count, size) - std::max(begin, 0)));
}

// The DSP depthwise kernel's weight taps sign-extended per channel group of output rows [r0, r1): all K*K
// for the ring; on a map narrower or shorter than K (read in place) only the kernel rows x columns that some
// window of the part has inside the map (depthwise_conv2d_dsp.cpp: taps_inside).
inline double depthwise_dsp_widened_taps(const OpGeometry& g, int r0, int r1) {
  const int k = g.kernel_h;
  if (g.in_w >= k && g.in_h >= k) return double(k) * k;
  const int y_first = r0 * g.stride - g.pad_top, y_last = (r1 - 1) * g.stride - g.pad_top;
  const int x_first = -g.pad_left, x_last = (g.out_w - 1) * g.stride - g.pad_left;
  const int tap_rows = std::min(k, g.in_h - y_first) - std::max(0, -y_last);
  const int tap_columns = std::min(k, g.in_w - x_first) - std::max(0, -x_last);
  return double(std::max(0, tap_rows)) * std::max(0, tap_columns);
}
// The DSP depthwise kernel (depthwise_conv2d_dsp.cpp). Per channel group (4 channels) of a part it
// sign-extends the K*K weights once; then per column strip it gathers each input row the part's windows span
// into a ring of K rows (pixels inside the input loaded and sign-extended, the padding written as zeros),
// checks the K ring slots per output row, and runs every window's K*K taps unrolled. On a map narrower or
// shorter than K it skips the ring: each window sets up its bounds and loops over its kernel rows inside the
// map and their taps inside, read in place.
inline void depthwise_dsp_features(const OpGeometry& g, int r0, int r1, double channels, CostFeatures& f) {
  using T = CostTerm;
  const int k = g.kernel_h;
  const double rows = r1 - r0, outputs = rows * g.out_w * channels;
  const double row_taps = g.row_taps_prefix[size_t(r1)] - g.row_taps_prefix[size_t(r0)];
  f[int(T::Channel)] = channels;
  f[int(T::Weight)] = channels * depthwise_dsp_widened_taps(g, r0, r1);
  if (g.in_w < k || g.in_h < k) {
    f[int(T::BorderTap)] = row_taps * g.col_taps * channels;
    f[int(T::BorderWindow)] = outputs;
    f[int(T::RowVisit)] = row_taps * g.out_w * channels;
    f[int(T::ChannelRow)] = rows * channels;
    return;
  }
  const int ring_columns = kDepthwiseDspRingWords / (2 * k);
  const int strip_width = (ring_columns - k) / g.stride + 1;
  const int strips = (g.out_w + strip_width - 1) / strip_width;
  // Rows [first_row, first_row + gathered_rows) are gathered once per strip (stride <= 2 < K: no gaps).
  const int first_row = r0 * g.stride - g.pad_top, gathered_rows = (r1 - r0 - 1) * g.stride + k;
  const double rows_inside = inside(first_row, gathered_rows, g.in_h);
  double gathered_columns = 0, columns_inside = 0;
  for (int ox = 0; ox < g.out_w; ox += strip_width) {
    const int columns = (std::min(g.out_w, ox + strip_width) - ox - 1) * g.stride + k;
    gathered_columns += columns;
    columns_inside += inside(ox * g.stride - g.pad_left, columns, g.in_w);
  }
  f[int(T::Mac)] = outputs * k * k;
  f[int(T::ChannelRow)] = rows * channels * strips;
  f[int(T::RowVisit)] = rows * channels * strips * k;
  f[int(T::GatherTap)] = rows_inside * columns_inside * channels;
  f[int(T::PaddingTap)] = (gathered_rows * gathered_columns - rows_inside * columns_inside) * channels;
}

// The DSP kernels' requantization (conv2d_dsp_channels.hpp, depthwise_conv2d_dsp.cpp GroupRequant): channels
// on the fast right-shift path or the left-shift path saturate by one SSAT on the full int8 range and clamp by
// compare-and-move on a narrower one; the general path always clamps. The DSP conv's deep path (1x1 filters
// deeper than kMaxDspExpandedDepth) has only the fast path and the general one, and always clamps.
inline void dsp_requant_features(const OpGeometry& g, double outputs, bool deep, CostFeatures& f) {
  using T = CostTerm;
  if (deep) {
    f[int(T::SlowOutput)] = outputs * (g.slow_requant_share + g.left_shift_share);
    f[int(T::ClampedOutput)] = outputs;
    return;
  }
  f[int(T::SlowOutput)] = outputs * g.slow_requant_share;
  f[int(T::LeftShiftOutput)] = outputs * g.left_shift_share;
  f[int(T::ClampedOutput)] = g.clamped_activation ? outputs : outputs * g.slow_requant_share;
}

// The DSP conv2d kernel (conv2d_dsp.cpp). Filters of at most kMaxDspExpandedDepth run the expanded path:
// output pixels pair in raster order (across row ends); per block of output channels each pair is gathered
// (KxK patches) and sign-extended once, then every channel pair (an odd last one computed twice) runs the
// widened loop (calls of >= kMinDspPairsToWiden pairs, 1x1 or KxK: weights widened to int16 once per call and
// block, blocks sized so that the widened weights fit kDspWidenedWeightWords; unrolled for 1-4 groups) or the raw
// loop (weights sign-extended in the loop). A lone last pixel (an odd pixel count) runs the single-pixel raw loop
// over exactly its channels (4 at a time, a block's last count % 4 in plain C), widened call or not. Deeper 1x1 filters
// run the deep path: pairs within a row, 2x2 tiles sign-extending in the loop, an odd channel or lone pixel one at a
// time, the input zero point folded into the bias per block (count + 1 filter sums: the odd-block copy's too).
// `follows_part`: the part continues a row partition (its op's previous part computed the same channels from the
// same filters), so the blocks the op state holds need no set-up: the state keeps entries of one block each, and
// parts walk the blocks in alternate directions, so min(blocks, entries) of them are found set up.
inline void conv_dsp_features(const OpGeometry& g, double rows, double channels, bool follows_part, CostFeatures& f) {
  using T = CostTerm;
  const int depth = g.kernel_h * g.kernel_w * g.in_c;
  const int c = int(channels);
  const double pixels = rows * g.out_w;
  if (depth <= kMaxDspExpandedDepth) {
    const int groups = (depth + 3) / 4;
    const double pairs = std::ceil(pixels / 2);  // the lone pixel's included: it is gathered and expanded too
    const double lone = pixels - 2 * std::floor(pixels / 2);
    const bool widen = groups <= kMaxDspWidenedGroups && pairs >= kMinDspPairsToWiden;
    const int widened_block = kDspWidenedWeightWords / (4 * groups) * 2;
    const int block = widen && widened_block < kDspConvChannelBlock ? widened_block : kDspConvChannelBlock;
    static_assert(kDspConvChannelBlock % 2 == 0 && kDspWidenedWeightWords % (4 * kMaxDspWidenedGroups) == 0,
                  "channel blocks are even (widened_block >= 2 whenever widen)");
    const double blocks = std::ceil(channels / block);
    // Odd channels of a block are computed twice by the pair loops; blocks are even, so only the last partial
    // block has any.
    const double computed_channels = double(c / block * block + ((c % block + 1) & ~1));
    const double paired_macs = (pairs - lone) * 2 * computed_channels * groups * 4;
    // The lone pixel's loop takes 4 filters at a time, then each block's last count % 4 channels in plain C.
    const double lone_tail_channels = double(c / block * (block % 4) + c % block % 4);
    const double lone_macs = lone * (channels - lone_tail_channels) * groups * 4;
    const double lone_tail_macs = lone * lone_tail_channels * groups * 4;
    const int entry_words = kDspConvEntryHeaderWords + (widen ? 2 * groups * ((block + 1) & ~1) : 0);
    const double held_blocks = follows_part ? std::min(blocks, double(kDspConvSetUpWords / entry_words)) : 0;
    // Held blocks are whole ones but for a last partial block when all are held.
    const double held_channels = held_blocks == blocks ? channels : held_blocks * block;
    const double held_computed = held_blocks == blocks ? computed_channels : held_blocks * block;
    f[int(T::Mac)] = paired_macs + lone_macs + lone_tail_macs;
    f[int(T::Channel)] = channels - held_channels;
    f[int(T::PixelBlock)] = pairs * blocks;
    f[int(T::InputGroup)] = pairs * blocks * groups;
    f[int(T::Weight)] = widen ? (computed_channels - held_computed) * groups * 4 : 0;
    f[int(T::RawMac)] = widen ? 0 : paired_macs;
    // Widened calls of 1-4 groups run fully unrolled loops; deeper ones set up each 2x2 tile's group loop.
    f[int(T::WidenedTile)] = widen && groups > kMaxDspUnrolledGroups ? (pairs - lone) * computed_channels / 2 : 0;
    f[int(T::LoneMac)] = lone_macs;
    f[int(T::LoneTailMac)] = lone_tail_macs;
    if (g.kind == KernelKind::ConvKxKDsp) f[int(T::GatherTap)] = pixels * blocks * g.kernel_h * g.kernel_w;
    return;
  }
  const double blocks = std::ceil(channels / kDspConvChannelBlock);
  // Channels in pairs per block (the block is even, so only the last partial block can leave one over).
  const double tile_channels =
      double(c / kDspConvChannelBlock * kDspConvChannelBlock + c % kDspConvChannelBlock / 2 * 2);
  const double pairs = rows * (g.out_w / 2), lone = rows * (g.out_w % 2);
  const double tile_outputs = pairs * 2 * tile_channels;
  f[int(T::Mac)] = pixels * channels * depth;
  f[int(T::Channel)] = channels;
  f[int(T::Weight)] = (channels + blocks) * depth;
  f[int(T::PixelBlock)] = (pairs + lone) * blocks;
  f[int(T::DeepMac)] = tile_outputs * (depth / 4 * 4);
  f[int(T::TailMac)] = tile_outputs * (depth % 4);
  f[int(T::OddMac)] = (pixels * channels - tile_outputs) * depth;
}
}  // namespace detail

// Inline: the simulator calls it for every part of every plan it scores.
inline CostFeatures kernel_features(const OpGeometry& g, const Part& part) {
  using T = CostTerm;
  CostFeatures f{};
  const int r0 = part.out_row_begin, r1 = part.out_row_end;
  const double rows = r1 - r0, channels = part.out_channel_end - part.out_channel_begin;
  const double pixels = rows * g.out_w, outputs = pixels * channels;
  f[int(T::Call)] = 1;
  f[int(T::Output)] = outputs;
  // The reference kernels' one requantization branches on the shift (0 for kinds without per-channel
  // requantization); the DSP kernels' paths are set below.
  f[int(T::SlowOutput)] = outputs * (g.slow_requant_share + g.left_shift_share);
  if (g.hard_swish) {  // the executor tabulates it before the op's first part, then looks every output up
    f[int(T::ActivationTable)] = part.out_row_begin == 0 && part.out_channel_begin == 0 ? 1 : 0;
    f[int(T::ActivationOutput)] = outputs;
  }
  if (g.kind == KernelKind::FullyConnected) {
    f[int(T::Mac)] = outputs * g.macs_per_output;
    return f;
  }
  f[int(T::OutputRow)] = rows;
  f[int(T::OutputPixel)] = pixels;
  if (!detail::windowed(g.kind)) return f;  // add, mul, pad: no MACs
  // Taps inside the input, summed over the part's pixels (windows are separable: rows x columns).
  const double row_taps = g.row_taps_prefix[size_t(r1)] - g.row_taps_prefix[size_t(r0)];
  const double valid_taps = row_taps * g.col_taps;
  switch (g.kind) {
    case KernelKind::Conv1x1:
    case KernelKind::ConvKxKDsp:
      // A row part after the first: the executor's op state still holds the previous part's block set-up.
      detail::conv_dsp_features(g, rows, channels, r0 > 0 && part.out_channel_begin == 0 && channels == g.out_c, f);
      detail::dsp_requant_features(g, outputs, g.kernel_h * g.kernel_w * g.in_c > kMaxDspExpandedDepth, f);
      break;
    case KernelKind::ConvKxKReference:
      f[int(T::Mac)] = valid_taps * g.in_c * channels;
      f[int(T::RowVisit)] = outputs * g.kernel_h;
      break;
    case KernelKind::DepthwiseReference:
      f[int(T::Mac)] = valid_taps * channels;
      f[int(T::RowVisit)] = outputs * g.kernel_h;
      break;
    case KernelKind::AveragePool:
    case KernelKind::GlobalAveragePool:
      f[int(T::Mac)] = valid_taps * channels;
      f[int(T::RowVisit)] = row_taps * g.out_w * channels;
      break;
    case KernelKind::DepthwiseDsp:
      detail::depthwise_dsp_features(g, r0, r1, channels, f);
      detail::dsp_requant_features(g, outputs, false, f);
      break;
    default: break;
  }
  return f;
}

inline double compute_cycles(const KernelCost& c, const CostFeatures& f) {
  double cycles = 0;
  for (int t = 0; t < kCostTermCount; ++t) cycles += c.terms[size_t(t)].value * f[size_t(t)];
  return cycles;
}

struct PartWork {
  double macs = 0;
  double outputs = 0;
  double out_pixels = 0;  // output rows x width of the part
};

// The work of one part (inline: it and read_passes run for every part the simulator scores).
inline PartWork part_work(const OpGeometry& g, const Part& part) {
  PartWork w;
  w.out_pixels = double(part.out_row_end - part.out_row_begin) * g.out_w;
  w.outputs = w.out_pixels * (part.out_channel_end - part.out_channel_begin);
  w.macs = w.outputs * g.macs_per_output;
  return w;
}

// How many times the kernel fetches each byte of `operand` (read in place, `bytes` per part) from a memory.
// Through a D-cache a re-read window that fits in half the cache is fetched once; otherwise (or uncached)
// every sweep fetches it again: CMSIS-NN's conv kernels sweep the whole filter once per two output pixels,
// depthwise once per pixel; a spatial window re-reads input rows kernel_h / stride times (kernel area /
// stride^2 when uncached).
inline double read_passes(const OpGeometry& g, Operand operand, double bytes, double out_pixels, bool cached,
                          double dcache_bytes) {
  const double window_limit = cached ? dcache_bytes / 2 : 0;
  const bool spatial =
      (is_conv(g.kind) && g.kind != KernelKind::Conv1x1) || is_depthwise(g.kind) || g.kind == KernelKind::AveragePool;
  switch (operand) {
    case Operand::Weights: {
      if (bytes <= window_limit) return 1;
      if (is_conv(g.kind)) return std::max(1.0, std::ceil(out_pixels / 2));
      if (is_depthwise(g.kind)) return std::max(1.0, out_pixels);
      return 1;
    }
    case Operand::Input: {
      if (!spatial) return 1;
      const double window = double(g.kernel_h) * g.in_w * g.in_c;
      const double s2 = double(g.stride) * g.stride;
      if (window <= window_limit) return 1;
      if (!cached) return std::max(1.0, g.kernel_h * g.kernel_w / s2);
      return std::max(1.0, double(g.kernel_h) / g.stride);
    }
    default: return 1;
  }
}

}  // namespace tinyops
