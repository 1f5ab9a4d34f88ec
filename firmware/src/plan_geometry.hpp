#pragma once
// What a part of an op reads and where its overlay copies go: shared by the loader (which checks that
// every fill fits its buffer) and the executor (which makes the copies), so the two cannot disagree.
#include <stdint.h>

#include "tinyops/rt/blob_format.hpp"

namespace tinyops::rt::plan {

inline uint32_t align4(uint32_t v) { return (v + 3u) & ~3u; }

inline bool has_weights(uint8_t kind) {
  return kind == static_cast<uint8_t>(OpKind::kConv2d) || kind == static_cast<uint8_t>(OpKind::kDepthwiseConv2d) ||
         kind == static_cast<uint8_t>(OpKind::kFullyConnected);
}
inline int input_count(uint8_t kind) { return kind == static_cast<uint8_t>(OpKind::kAdd) ? 2 : 1; }
inline bool fused_hard_swish(const OpRecord& op) {
  return (op.kind == static_cast<uint8_t>(OpKind::kConv2d) || op.kind == static_cast<uint8_t>(OpKind::kDepthwiseConv2d)) &&
         op.params[0] == static_cast<int32_t>(FusedActivation::kHardSwish);
}

struct RowRange {
  int begin, end;  // empty when begin >= end
};

// Input rows the outputs rows [out_begin, out_end) read, clipped to the input (the halo included).
inline RowRange needed_input_rows(const OpRecord& op, int input_height, int out_begin, int out_end) {
  int lo = out_begin, hi = out_end;  // add, reshape, fully connected: row for row (or everything)
  switch (static_cast<OpKind>(op.kind)) {
    case OpKind::kConv2d:
    case OpKind::kDepthwiseConv2d:
    case OpKind::kAveragePool2d: {
      const int dilation = op.kind == static_cast<uint8_t>(OpKind::kAveragePool2d) ? 1 : op.dilation_h;
      lo = out_begin * op.stride_h - op.pad_top;
      hi = (out_end - 1) * op.stride_h - op.pad_top + (op.kernel_h - 1) * dilation + 1;
      break;
    }
    case OpKind::kPad:
      lo = out_begin - op.pad_top;
      hi = out_end - op.pad_top;
      break;
    default:
      break;
  }
  if (lo < 0) lo = 0;
  if (hi > input_height) hi = input_height;
  return {lo, hi};
}

// Per-output-channel weight bytes (conv2d, fully connected), or 0 where weights are not sliced.
inline uint32_t filter_bytes(const OpRecord& op, const TensorRecord& input) {
  if (op.kind == static_cast<uint8_t>(OpKind::kConv2d)) return uint32_t{op.kernel_h} * op.kernel_w * input.channels;
  if (op.kind == static_cast<uint8_t>(OpKind::kFullyConnected)) return input.bytes;
  return 0;
}

// The weight overlay of a part covering output channels [channel_begin, channel_end): where each array's
// slice comes from (offset in the data section) and goes (offset in the buffer).
struct WeightSlice {
  uint32_t source[4];  // weights, bias, multipliers, shifts
  uint32_t target[4];
  uint32_t bytes[4];
  uint32_t total_bytes;
};

inline WeightSlice weight_slice(const OpRecord& op, const TensorRecord& input, int channel_begin, int channel_end) {
  const uint32_t per_channel = filter_bytes(op, input);
  const uint32_t channels = static_cast<uint32_t>(channel_end - channel_begin);
  const uint32_t first = static_cast<uint32_t>(channel_begin);
  WeightSlice s{};
  // Depthwise weights interleave channels, so its (full-channel) slice is the whole array.
  s.source[0] = op.weights.offset + per_channel * first;
  s.bytes[0] = per_channel ? per_channel * channels : op.weights.bytes;
  const DataRef* arrays[3] = {&op.bias, &op.multipliers, &op.shifts};
  for (int i = 0; i < 3; ++i) {
    s.source[i + 1] = arrays[i]->offset + 4 * first;
    s.bytes[i + 1] = arrays[i]->bytes ? 4 * channels : 0;
  }
  uint32_t at = 0;
  for (int i = 0; i < 4; ++i) {
    s.target[i] = at;
    at += align4(s.bytes[i]);
  }
  s.total_bytes = at;
  return s;
}

// Bytes of input i's rows [row_begin, row_end) in an input overlay, and where they start in it.
inline uint32_t input_rows_bytes(const TensorRecord& input, int row_begin, int row_end) {
  return static_cast<uint32_t>(row_end - row_begin) * input.width * input.channels;
}

}  // namespace tinyops::rt::plan
