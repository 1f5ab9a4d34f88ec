#include "tinyops/kernel_cost.hpp"

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

}  // namespace tinyops
