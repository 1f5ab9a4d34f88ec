#pragma once
// What a part of an op reads and writes, from the op's parameters: shared by the loader (which checks that
// every region the plan names is large enough) and the executor (which hands them to the kernels), so the
// two cannot disagree.
#include <stdint.h>

#include "tinyops/rt/blob_format.hpp"

namespace tinyops::rt::plan {

inline bool has_weights(OpKind kind) {
  return kind == OpKind::Conv2d || kind == OpKind::DepthwiseConv2d || kind == OpKind::FullyConnected;
}
inline int input_count(OpKind kind) { return kind == OpKind::Add || kind == OpKind::Mul ? 2 : 1; }
// Whether an op of `kind` may have `count` inputs: a concatenation 2..kMaxInputs, the others input_count.
inline bool input_count_ok(OpKind kind, uint32_t count) {
  if (kind == OpKind::Concatenation) return count >= 2 && count <= kMaxInputs;
  return count == static_cast<uint32_t>(input_count(kind));
}
// Where a part's kernel reads input k: the first two at Part.at[Input] / [Input2], a concatenation's others at
// Part.more_inputs (null when the part has no such entry: the loader refuses that part).
inline const fb::Region* input_region(const fb::Part& part, uint32_t k) {
  if (k < 2) return part.at()->size() > k ? part.at()->Get(k) : nullptr;  // Operand::Input, Operand::Input2
  return part.more_inputs() && part.more_inputs()->size() > k - 2 ? part.more_inputs()->Get(k - 2) : nullptr;
}
// Ops whose every part reads the whole input (their output rows each depend on all input rows).
inline bool reads_whole_input(OpKind kind) {
  return kind == OpKind::FullyConnected || kind == OpKind::Reshape || kind == OpKind::Mean;
}
// Input k of a mul that is a (1, 1, C) gate broadcast over the other's rows: every part reads all of it.
inline bool broadcast_gate(const fb::Op& op, int k, const fb::Tensor& input, const fb::Tensor& output) {
  return op.kind() == OpKind::Mul && k == 1 && input.height() == 1 && input.width() == 1 &&
         (output.height() > 1 || output.width() > 1);
}
// The int8 -> int8 maps (each value on its own): an op tabulates its 256 results once, its parts look them up.
inline bool elementwise_map(OpKind kind) { return kind == OpKind::Logistic || kind == OpKind::HardSwish; }
// The op's integer parameters (Op.op_params) by kind: mul and mean 2, logistic and softmax 3, others none.
inline uint32_t op_param_count(OpKind kind) {
  switch (kind) {
    case OpKind::Mul:
    case OpKind::Mean: return 2;
    case OpKind::Logistic:
    case OpKind::Softmax: return 3;
    default: return 0;
  }
}
inline bool fused_hard_swish(const fb::Op& op) {
  return (op.kind() == OpKind::Conv2d || op.kind() == OpKind::DepthwiseConv2d) &&
         op.activation() == fb::FusedActivation::HardSwish;
}

struct RowRange {
  int begin, end;  // empty when begin >= end
};

// Input rows the outputs rows [out_begin, out_end) read, clipped to the input (the halo included).
inline RowRange needed_input_rows(const fb::Op& op, int input_height, int out_begin, int out_end) {
  int lo = out_begin, hi = out_end;  // element-wise ops, reshape, fully connected: row for row (or everything)
  switch (op.kind()) {
    case OpKind::Conv2d:
    case OpKind::DepthwiseConv2d:
    case OpKind::AveragePool2d:
    case OpKind::MaxPool2d: {
      const bool pool = op.kind() == OpKind::AveragePool2d || op.kind() == OpKind::MaxPool2d;
      const int dilation = pool ? 1 : op.dilation_h();
      lo = out_begin * op.stride_h() - op.pad_top();
      hi = (out_end - 1) * op.stride_h() - op.pad_top() + (op.kernel_h() - 1) * dilation + 1;
      break;
    }
    case OpKind::Mean: lo = 0, hi = input_height; break;
    case OpKind::Pad:
      lo = out_begin - op.pad_top();
      hi = out_end - op.pad_top();
      break;
    default: break;
  }
  if (lo < 0) lo = 0;
  if (hi > input_height) hi = input_height;
  return {lo, hi};
}

// Bytes of one output channel's weights (conv2d, fully connected: a part reads the contiguous slice of its
// channels), or 0 where a part reads all weights (depthwise: channels interleave).
inline uint32_t filter_bytes(const fb::Op& op, const fb::Tensor& input) {
  if (op.kind() == OpKind::Conv2d) return uint32_t{op.kernel_h()} * op.kernel_w() * input.channels();
  if (op.kind() == OpKind::FullyConnected) return uint32_t{input.height()} * input.width() * input.channels();
  return 0;
}

// A fully connected op's quant params may be per tensor (one multiplier, one shift: 8 bytes), as the core
// plans TFLite's fully connected layers; every other op has one pair per output channel.
inline bool per_tensor_quant(const fb::Op& op, const fb::Region& quant) {
  return op.kind() == OpKind::FullyConnected && quant.bytes() == 8;
}

inline uint32_t row_bytes(const fb::Tensor& t) { return uint32_t{t.width()} * t.channels(); }

}  // namespace tinyops::rt::plan
