#include "tinyops/kernel_cost.hpp"

#include <algorithm>
#include <cmath>

namespace tinyops {

KernelKind kernel_kind(const Op& op) {
  switch (op.kind) {
    case OpKind::Conv2D: return op.kernel_h == 1 && op.kernel_w == 1 ? KernelKind::Conv1x1 : KernelKind::ConvKxK;
    case OpKind::DepthwiseConv2D: return KernelKind::Depthwise;
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
  g.kind = kernel_kind(op);
  g.out_h = out.h, g.out_w = out.w, g.out_c = out.c;
  g.in_h = in.h, g.in_w = in.w, g.in_c = in.c;
  g.kernel_h = op.kernel_h, g.kernel_w = op.kernel_w, g.stride = op.stride;
  switch (g.kind) {
    case KernelKind::Conv1x1:
    case KernelKind::ConvKxK:
    case KernelKind::Depthwise:
    case KernelKind::FullyConnected: g.macs_per_output = double(op.macs) / double(out.elements()); break;
    case KernelKind::AveragePool: g.macs_per_output = double(op.kernel_h) * op.kernel_w; break;
    case KernelKind::GlobalAveragePool: g.macs_per_output = double(in.h) * in.w; break;
    case KernelKind::Add:
    case KernelKind::Pad: g.macs_per_output = 0; break;
  }
  return g;
}

PartWork part_work(const OpGeometry& g, const Part& part) {
  PartWork w;
  w.out_pixels = double(part.out_row_end - part.out_row_begin) * g.out_w;
  w.outputs = w.out_pixels * (part.out_channel_end - part.out_channel_begin);
  w.macs = w.outputs * g.macs_per_output;
  return w;
}

double read_passes(const OpGeometry& g, Operand operand, double bytes, double out_pixels, bool cached,
                   double dcache_bytes) {
  const double window_limit = cached ? dcache_bytes / 2 : 0;
  const bool spatial = g.kind == KernelKind::ConvKxK || g.kind == KernelKind::Depthwise ||
                       g.kind == KernelKind::AveragePool;
  switch (operand) {
    case Operand::Weights: {
      if (bytes <= window_limit) return 1;
      if (g.kind == KernelKind::Conv1x1 || g.kind == KernelKind::ConvKxK) return std::max(1.0, std::ceil(out_pixels / 2));
      if (g.kind == KernelKind::Depthwise) return std::max(1.0, out_pixels);
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
