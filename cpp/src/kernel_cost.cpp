#include "tinyops/kernel_cost.hpp"

namespace tinyops {
namespace {

// Along one axis: for output index o the window starts at o * stride - pad; how many of its `kernel` taps
// fall inside [0, size).
int axis_taps(int o, int size, int kernel, int stride, int pad) {
  const int begin = o * stride - pad;
  return std::max(0, std::min(begin + kernel, size) - std::max(begin, 0));
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
    case OpKind::DepthwiseConv2D: {
      const int k = op.kernel_h;
      const bool dsp = op.kernel_w == k && (k == 3 || k == 5 || k == 7) && in_c % 4 == 0;
      return dsp ? KernelKind::DepthwiseDsp : KernelKind::DepthwiseReference;
    }
    case OpKind::Add: return KernelKind::Add;
    case OpKind::AveragePool: return KernelKind::AveragePool;
    case OpKind::GlobalAveragePool: return KernelKind::GlobalAveragePool;
    case OpKind::FullyConnected: return KernelKind::FullyConnected;
    case OpKind::Pad: return KernelKind::Pad;
    case OpKind::Mul: return KernelKind::Mul;
    // An estimate until the boards have a fitted concatenation term: a copy per output element clamped to the
    // activation range, as an unpadded pad copies its input.
    case OpKind::Concatenation: return KernelKind::Pad;
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
  g.pad_top = op.pad.top, g.pad_left = op.pad.left;
  g.slow_requant_share = op.slow_requant_share;
  g.left_shift_share = op.left_shift_share;
  g.clamped_activation = op.clamped_activation;
  g.hard_swish = op.act == Activation::HardSwish || op.act == Activation::HardSigmoid;
  if (is_conv(g.kind) || is_depthwise(g.kind) || g.kind == KernelKind::FullyConnected)
    g.macs_per_output = double(op.macs) / double(out.elements());
  else if (g.kind == KernelKind::AveragePool || g.kind == KernelKind::GlobalAveragePool)
    g.macs_per_output = double(op.kernel_h) * op.kernel_w;
  if (detail::windowed(g.kind)) {
    const bool global = g.kind == KernelKind::GlobalAveragePool;
    const int stride = global ? 1 : op.stride, pad_top = global ? 0 : op.pad.top, pad_left = global ? 0 : op.pad.left;
    g.row_taps_prefix.assign(size_t(out.h) + 1, 0);
    for (int o = 0; o < out.h; ++o)
      g.row_taps_prefix[size_t(o) + 1] =
          g.row_taps_prefix[size_t(o)] + axis_taps(o, in.h, op.kernel_h, stride, pad_top);
    for (int o = 0; o < out.w; ++o) g.col_taps += axis_taps(o, in.w, op.kernel_w, stride, pad_left);
  }
  return g;
}

}  // namespace tinyops
