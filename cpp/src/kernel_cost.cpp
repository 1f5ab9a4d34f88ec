#include "tinyops/kernel_cost.hpp"

namespace tinyops {
namespace {

// Along one axis: for output index o the window starts at o * stride - pad; how many of its `kernel` taps
// fall inside [0, size), and whether all do.
struct AxisTap {
  int taps;
  bool inside;
};
AxisTap axis_tap(int o, int size, int kernel, int stride, int pad) {
  const int begin = o * stride - pad;
  const int taps = std::max(0, std::min(begin + kernel, size) - std::max(begin, 0));
  return {taps, begin >= 0 && begin + kernel <= size};
}

bool windowed(KernelKind k) {
  return is_conv(k) || is_depthwise(k) || k == KernelKind::AveragePool || k == KernelKind::GlobalAveragePool;
}

// The DSP conv2d kernel (conv2d_dsp.cpp). Filters of at most kMaxDspExpandedDepth run the expanded path:
// output pixels pair in raster order (across row ends); per block of output channels each pair is gathered
// (KxK patches) and sign-extended once, then every channel pair (an odd last one computed twice) runs the
// widened loop (1x1 calls of >= kMinPairsToWiden pairs, weights widened to int16 once per call; blocks sized
// so that the widened weights fit kWidenedWeightWords) or the raw loop (weights sign-extended in the loop).
// Deeper 1x1 filters run the deep path: pairs within a row, 2x2 tiles sign-extending in the loop, an odd
// channel or lone pixel one at a time, the input zero point folded into the bias per call.
void conv_dsp_features(const OpGeometry& g, double rows, double channels, CostFeatures& f) {
  using T = CostTerm;
  const int depth = g.kernel_h * g.kernel_w * g.in_c;
  const int c = int(channels);
  const double pixels = rows * g.out_w;
  if (depth <= kMaxDspExpandedDepth) {
    const int groups = (depth + 3) / 4;
    const double pairs = std::ceil(pixels / 2);
    const bool pointwise = g.kind == KernelKind::Conv1x1;
    const bool widen = pointwise && groups <= kMaxDspWidenedGroups && pairs >= kMinDspPairsToWiden;
    const int widened_block = kDspWidenedWeightWords / (4 * groups) * 2;
    const int block = widen && widened_block < kDspConvChannelBlock ? widened_block : kDspConvChannelBlock;
    const double blocks = std::ceil(channels / block);
    double computed_channels = 0;  // odd channels of a block are computed twice
    for (int first = 0; first < c; first += block) computed_channels += double((std::min(block, c - first) + 1) & ~1);
    const double executed_macs = pairs * 2 * computed_channels * groups * 4;
    f[int(T::Mac)] = executed_macs;
    f[int(T::Channel)] = channels;
    f[int(T::PixelBlock)] = pairs * blocks;
    f[int(T::InputGroup)] = pairs * blocks * groups;
    if (pointwise) {
      f[int(T::Weight)] = widen ? computed_channels * groups * 4 : 0;
      f[int(T::RawMac)] = widen ? 0 : executed_macs;
    } else {
      f[int(T::GatherTap)] = pixels * blocks * g.kernel_h * g.kernel_w;
    }
    return;
  }
  const double blocks = std::ceil(channels / kDspConvChannelBlock);
  double tile_channels = 0;
  for (int first = 0; first < c; first += kDspConvChannelBlock)
    tile_channels += double(std::min(kDspConvChannelBlock, c - first) / 2 * 2);
  const double pairs = rows * (g.out_w / 2), lone = rows * (g.out_w % 2);
  const double tile_outputs = pairs * 2 * tile_channels;
  f[int(T::Mac)] = pixels * channels * depth;
  f[int(T::Channel)] = channels;
  f[int(T::Weight)] = channels * depth;
  f[int(T::PixelBlock)] = (pairs + lone) * blocks;
  f[int(T::DeepMac)] = tile_outputs * (depth / 4 * 4);
  f[int(T::TailMac)] = tile_outputs * (depth % 4);
  f[int(T::OddMac)] = (pixels * channels - tile_outputs) * depth;
}

}  // namespace

KernelKind kernel_kind(const Network& net, const Op& op) {
  const int in_c = net.tensor(op.inputs[0]).shape.c;
  switch (op.kind) {
    case OpKind::Conv2D: {
      const bool pointwise = op.kernel_h == 1 && op.kernel_w == 1 && op.pad.top == 0 && op.pad.left == 0;
      if (pointwise) return KernelKind::Conv1x1;
      return op.kernel_h * op.kernel_w * in_c <= kMaxDspConvPatch ? KernelKind::ConvKxKDsp
                                                                  : KernelKind::ConvKxKReference;
    }
    case OpKind::DepthwiseConv2D:
      return op.kernel_h == 3 && op.kernel_w == 3 && in_c % 4 == 0 ? KernelKind::Depthwise3x3Dsp
                                                                   : KernelKind::DepthwiseReference;
    case OpKind::Add: return KernelKind::Add;
    case OpKind::AveragePool: return KernelKind::AveragePool;
    case OpKind::GlobalAveragePool: return KernelKind::GlobalAveragePool;
    case OpKind::FullyConnected: return KernelKind::FullyConnected;
    case OpKind::Pad: return KernelKind::Pad;
  }
  return KernelKind::Conv1x1;
}

OpGeometry op_geometry(const Network& net, const Op& op) {
  const Shape& in = net.tensor(op.inputs[0]).shape;
  const Shape& out = net.tensor(op.output).shape;
  OpGeometry g;
  g.kind = kernel_kind(net, op);
  g.out_h = out.h, g.out_w = out.w, g.out_c = out.c;
  g.in_h = in.h, g.in_w = in.w, g.in_c = in.c;
  g.kernel_h = op.kernel_h, g.kernel_w = op.kernel_w, g.stride = op.stride;
  g.slow_requant_share = op.slow_requant_share;
  g.hard_swish = op.act == Activation::HardSwish;
  if (is_conv(g.kind) || is_depthwise(g.kind) || g.kind == KernelKind::FullyConnected)
    g.macs_per_output = double(op.macs) / double(out.elements());
  else if (g.kind == KernelKind::AveragePool || g.kind == KernelKind::GlobalAveragePool)
    g.macs_per_output = double(op.kernel_h) * op.kernel_w;
  if (windowed(g.kind)) {
    const bool global = g.kind == KernelKind::GlobalAveragePool;
    const int stride = global ? 1 : op.stride, pad_top = global ? 0 : op.pad.top, pad_left = global ? 0 : op.pad.left;
    g.row_taps_prefix.assign(size_t(out.h) + 1, 0);
    g.row_inside_prefix.assign(size_t(out.h) + 1, 0);
    for (int o = 0; o < out.h; ++o) {
      const AxisTap t = axis_tap(o, in.h, op.kernel_h, stride, pad_top);
      g.row_taps_prefix[size_t(o) + 1] = g.row_taps_prefix[size_t(o)] + t.taps;
      g.row_inside_prefix[size_t(o) + 1] = g.row_inside_prefix[size_t(o)] + (t.inside ? 1 : 0);
    }
    for (int o = 0; o < out.w; ++o) {
      const AxisTap t = axis_tap(o, in.w, op.kernel_w, stride, pad_left);
      g.col_taps += t.taps;
      g.col_inside += t.inside ? 1 : 0;
    }
  }
  return g;
}

CostFeatures kernel_features(const OpGeometry& g, const Part& part) {
  using T = CostTerm;
  CostFeatures f{};
  const int r0 = part.out_row_begin, r1 = part.out_row_end;
  const double rows = r1 - r0, channels = part.out_channel_end - part.out_channel_begin;
  const double pixels = rows * g.out_w, outputs = pixels * channels;
  f[int(T::Call)] = 1;
  f[int(T::Output)] = outputs;
  f[int(T::SlowOutput)] = outputs * g.slow_requant_share;  // 0 for kinds without per-channel requantization
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
  if (!windowed(g.kind)) return f;  // add, pad: no MACs
  // Taps inside the input, summed over the part's pixels (windows are separable: rows x columns).
  const double row_taps = g.row_taps_prefix[size_t(r1)] - g.row_taps_prefix[size_t(r0)];
  const double valid_taps = row_taps * g.col_taps;
  switch (g.kind) {
    case KernelKind::Conv1x1:
    case KernelKind::ConvKxKDsp:
      conv_dsp_features(g, rows, channels, f);
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
    case KernelKind::Depthwise3x3Dsp: {
      const double rows_inside = g.row_inside_prefix[size_t(r1)] - g.row_inside_prefix[size_t(r0)];
      const double interior = g.in_w >= 3 ? rows_inside * g.col_inside : 0;
      f[int(T::Mac)] = interior * 9 * channels;  // border windows are costed per tap
      f[int(T::Channel)] = channels;
      f[int(T::ChannelRow)] = rows * channels;
      f[int(T::BorderTap)] = (valid_taps - interior * 9) * channels;
      break;
    }
    default: break;
  }
  return f;
}

}  // namespace tinyops
