// The blob loader: nothing in the blob is used before it is checked against the blob, the arenas and the
// op's own shapes. A model that loads cannot make the executor touch memory outside the blob, the arenas
// or its overlays (the fuzz target runs every blob it finds loadable to make sure).
#include <string.h>

#include "plan_geometry.hpp"
#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt {
namespace {

bool range_inside(uint64_t offset, uint64_t bytes, uint64_t limit) { return offset <= limit && bytes <= limit - offset; }
bool ranges_overlap(uint64_t a, uint64_t a_bytes, uint64_t b, uint64_t b_bytes) {
  return a_bytes != 0 && b_bytes != 0 && a < b + b_bytes && b < a + a_bytes;
}

// Collects the first error with its location; every check returns false once one has failed.
class Checker {
 public:
  explicit Checker(LoadError* error) : error_(error) {}
  bool fail(Status status, const char* table, uint32_t index, const char* field) {
    if (error_) *error_ = {status, table, index, field};
    status_ = status;
    return false;
  }
  Status status() const { return status_; }

 private:
  LoadError* error_;
  Status status_ = Status::kOk;
};

class Loader {
 public:
  Loader(const BlobHeader& h, Model& model, Checker& check) : h_(h), model_(model), check_(check) {}

  bool tensors() {
    for (uint32_t i = 0; i < h_.tensor_count; ++i) {
      const TensorRecord t = model_.tensor(i);
      if (t.height == 0 || t.width == 0 || t.channels == 0)
        return check_.fail(Status::kBadTensor, "tensor", i, "height/width/channels");
      if (uint64_t{t.height} * t.width * t.channels != t.bytes) return check_.fail(Status::kBadTensor, "tensor", i, "bytes");
      if (t.memory > 1) return check_.fail(Status::kBadTensor, "tensor", i, "memory");
      if (t.reserved0 != 0 || t.reserved1 != 0) return check_.fail(Status::kBadTensor, "tensor", i, "reserved");
      if (t.zero_point < -128 || t.zero_point > 127) return check_.fail(Status::kBadTensor, "tensor", i, "zero_point");
      if (t.scale_multiplier < 0 || t.scale_shift < -31 || t.scale_shift > 30)
        return check_.fail(Status::kBadTensor, "tensor", i, "scale_multiplier/scale_shift");
      const uint32_t arena = t.memory == 0 ? h_.external_arena_bytes : h_.internal_arena_bytes;
      if (!range_inside(t.offset, t.bytes, arena)) return check_.fail(Status::kTensorOutOfArena, "tensor", i, "offset");
    }
    return true;
  }

  bool ops() {
    for (uint32_t i = 0; i < h_.op_count; ++i) {
      if (!op(i)) return false;
    }
    return true;
  }

 private:
  bool tensor_index(uint32_t op_index, uint16_t index, const char* field) {
    if (index >= h_.tensor_count) return check_.fail(Status::kBadTensorIndex, "op", op_index, field);
    return true;
  }

  bool data_ref(uint32_t i, const DataRef& ref, uint64_t expected_bytes, bool optional, const char* field) {
    if (ref.bytes == 0 && ref.offset == 0 && (optional || expected_bytes == 0)) return true;
    if (ref.offset % kDataAlignment != 0) return check_.fail(Status::kDataMisaligned, "op", i, field);
    if (!range_inside(ref.offset, ref.bytes, h_.data_bytes)) return check_.fail(Status::kDataOutOfBounds, "op", i, field);
    if (ref.bytes != expected_bytes) return check_.fail(Status::kDataSizeMismatch, "op", i, field);
    return true;
  }

  bool quant_arrays(uint32_t i, const OpRecord& op, uint32_t channels) {
    if (!data_ref(i, op.bias, 4ull * channels, true, "bias") ||
        !data_ref(i, op.multipliers, 4ull * channels, false, "multipliers") ||
        !data_ref(i, op.shifts, 4ull * channels, false, "shifts"))
      return false;
    const uint8_t* m = model_.data(op.multipliers);
    const uint8_t* s = model_.data(op.shifts);
    for (uint32_t c = 0; c < channels; ++c) {
      int32_t multiplier, shift;
      memcpy(&multiplier, m + 4 * c, 4);
      memcpy(&shift, s + 4 * c, 4);
      // Left shifts up to 31: TFLite's QuantizeMultiplier gives shifts above 31 for effective scales of 2^31 or
      // more, which its reference interpreters on PyPI execute mod 32 with a wrapping int32 multiply; the
      // compiler stores that executed shift (see tinyops/compiler/_quant.py) and the kernels shift as uint32.
      if (multiplier < 0 || shift < -31 || shift > 31) return check_.fail(Status::kBadQuantParams, "op", i, "multipliers/shifts");
    }
    return true;
  }

  // Output size of a window op: TFLite's rule with explicit paddings.
  static bool window_output_ok(int in, int out, int kernel, int stride, int dilation, int pad_a, int pad_b) {
    const int effective = (kernel - 1) * dilation + 1;
    const int padded = in + pad_a + pad_b;
    return padded >= effective && out == (padded - effective) / stride + 1;
  }

  bool window_params(uint32_t i, const OpRecord& op, const TensorRecord& in, const TensorRecord& out, bool dilated) {
    const int dh = dilated ? op.dilation_h : 1, dw = dilated ? op.dilation_w : 1;
    if (op.kernel_h == 0 || op.kernel_w == 0 || op.stride_h == 0 || op.stride_w == 0)
      return check_.fail(Status::kBadOpParams, "op", i, "kernel/stride");
    if (dilated ? (op.dilation_h == 0 || op.dilation_w == 0) : (op.dilation_h != 0 || op.dilation_w != 0))
      return check_.fail(Status::kBadOpParams, "op", i, "dilation");
    if (!window_output_ok(in.height, out.height, op.kernel_h, op.stride_h, dh, op.pad_top, op.pad_bottom) ||
        !window_output_ok(in.width, out.width, op.kernel_w, op.stride_w, dw, op.pad_left, op.pad_right))
      return check_.fail(Status::kShapeMismatch, "op", i, "output height/width");
    return true;
  }

  bool no_window(uint32_t i, const OpRecord& op) {
    if (op.kernel_h | op.kernel_w | op.stride_h | op.stride_w | op.dilation_h | op.dilation_w)
      return check_.fail(Status::kBadOpParams, "op", i, "kernel/stride/dilation");
    return true;
  }
  bool no_padding(uint32_t i, const OpRecord& op) {
    if (op.pad_top | op.pad_left | op.pad_bottom | op.pad_right) return check_.fail(Status::kBadOpParams, "op", i, "pad");
    return true;
  }
  bool no_data(uint32_t i, const OpRecord& op) {
    const DataRef* refs[4] = {&op.weights, &op.bias, &op.multipliers, &op.shifts};
    for (const DataRef* r : refs) {
      if (r->offset != 0 || r->bytes != 0) return check_.fail(Status::kBadOpParams, "op", i, "weights/bias/multipliers/shifts");
    }
    return true;
  }
  bool params_zero(uint32_t i, const OpRecord& op, int from) {
    for (int k = from; k < 6; ++k) {
      if (op.params[k] != 0) return check_.fail(Status::kBadOpParams, "op", i, "params");
    }
    return true;
  }
  // params of a convolution: kClamp and zeros, or kHardSwish and TFLite's HardSwishParams in range.
  bool fused_activation(uint32_t i, const OpRecord& op) {
    if (op.params[0] == static_cast<int32_t>(FusedActivation::kClamp)) return params_zero(i, op, 1);
    if (op.params[0] != static_cast<int32_t>(FusedActivation::kHardSwish))
      return check_.fail(Status::kBadOpParams, "op", i, "params[0] (fused activation)");
    if (op.act_min != -128 || op.act_max != 127) return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
    if (op.params[1] < -128 || op.params[1] > 127) return check_.fail(Status::kBadQuantParams, "op", i, "params[1]");
    if (op.params[2] < 0 || op.params[2] > INT16_MAX || op.params[4] < 0 || op.params[4] > INT16_MAX)
      return check_.fail(Status::kBadQuantParams, "op", i, "params[2]/params[4] (Q15 multipliers)");
    if (op.params[3] < -31 || op.params[3] > 31 || op.params[5] < -31 || op.params[5] > 0)
      return check_.fail(Status::kBadQuantParams, "op", i, "params[3]/params[5] (exponents)");
    return true;
  }
  static bool same_shape(const TensorRecord& a, const TensorRecord& b) {
    return a.height == b.height && a.width == b.width && a.channels == b.channels;
  }

  bool kind_params(uint32_t i, const OpRecord& op, const TensorRecord& in, const TensorRecord& in2, const TensorRecord& out) {
    if (op.act_min > op.act_max) return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
    switch (static_cast<OpKind>(op.kind)) {
      case OpKind::kConv2d:
      case OpKind::kDepthwiseConv2d: {
        const bool depthwise = op.kind == static_cast<uint8_t>(OpKind::kDepthwiseConv2d);
        if (!window_params(i, op, in, out, true) || !fused_activation(i, op)) return false;
        if (depthwise ? (op.depth_multiplier == 0 || uint32_t{in.channels} * op.depth_multiplier != out.channels)
                      : op.depth_multiplier != 1)
          return check_.fail(Status::kShapeMismatch, "op", i, "depth_multiplier");
        const uint64_t weights = uint64_t{op.kernel_h} * op.kernel_w * out.channels * (depthwise ? 1 : in.channels);
        return data_ref(i, op.weights, weights, false, "weights") && quant_arrays(i, op, out.channels);
      }
      case OpKind::kFullyConnected:
        if (!no_window(i, op) || !no_padding(i, op) || op.depth_multiplier != 0 || !params_zero(i, op, 1))
          return false;
        if (op.params[0] < -128 || op.params[0] > 127) return check_.fail(Status::kBadQuantParams, "op", i, "params[0]");
        if (out.height != 1 || out.width != 1) return check_.fail(Status::kShapeMismatch, "op", i, "output shape");
        return data_ref(i, op.weights, uint64_t{in.bytes} * out.channels, false, "weights") &&
               quant_arrays(i, op, out.channels);
      case OpKind::kAdd:
        if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || op.depth_multiplier != 0) return false;
        if (!same_shape(in, out) || !same_shape(in2, out)) return check_.fail(Status::kShapeMismatch, "op", i, "inputs");
        for (int k = 0; k < 6; k += 2) {
          const bool input_side = k < 4;  // input multipliers are < 1 in TFLite: shifts <= 0
          if (op.params[k] < 0 || op.params[k + 1] < -31 || op.params[k + 1] > (input_side ? 0 : 30))
            return check_.fail(Status::kBadQuantParams, "op", i, "params");
        }
        return true;
      case OpKind::kAveragePool2d:
        if (!window_params(i, op, in, out, false) || !no_data(i, op) || !params_zero(i, op, 0) || op.depth_multiplier != 0)
          return false;
        if (in.channels != out.channels) return check_.fail(Status::kShapeMismatch, "op", i, "channels");
        if (in.zero_point != out.zero_point) return check_.fail(Status::kBadQuantParams, "op", i, "zero_point");
        return true;
      case OpKind::kPad:
        if (!no_window(i, op) || !no_data(i, op) || !params_zero(i, op, 0) || op.depth_multiplier != 0) return false;
        if (op.act_min != -128 || op.act_max != 127) return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
        if (out.height != in.height + op.pad_top + op.pad_bottom || out.width != in.width + op.pad_left + op.pad_right ||
            out.channels != in.channels)
          return check_.fail(Status::kShapeMismatch, "op", i, "output shape");
        if (in.zero_point != out.zero_point) return check_.fail(Status::kBadQuantParams, "op", i, "zero_point");
        return true;
      case OpKind::kReshape:
        if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || !params_zero(i, op, 0) ||
            op.depth_multiplier != 0)
          return false;
        if (op.act_min != -128 || op.act_max != 127) return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
        if (in.bytes != out.bytes) return check_.fail(Status::kShapeMismatch, "op", i, "bytes");
        return true;
    }
    return check_.fail(Status::kBadOpKind, "op", i, "kind");
  }

  bool op(uint32_t i) {
    const OpRecord op = model_.op(i);
    if (op.kind == 0 || op.kind > kMaxOpKind) return check_.fail(Status::kBadOpKind, "op", i, "kind");
    if (op.reserved0 != 0 || op.reserved1 != 0) return check_.fail(Status::kBadOpParams, "op", i, "reserved");
    if (op.strategy > 2) return check_.fail(Status::kBadOpParams, "op", i, "strategy");
    if (op.flags & ~(kFlagCopyWeights | kFlagPrefetchNext)) return check_.fail(Status::kBadOpParams, "op", i, "flags");
    const int inputs = plan::input_count(op.kind);
    if (!tensor_index(i, op.inputs[0], "inputs[0]") || !tensor_index(i, op.output, "output")) return false;
    if (inputs == 2 ? !tensor_index(i, op.inputs[1], "inputs[1]") : op.inputs[1] != kNoTensor)
      return inputs == 2 ? false : check_.fail(Status::kBadTensorIndex, "op", i, "inputs[1]");
    const TensorRecord in = model_.tensor(op.inputs[0]);
    const TensorRecord in2 = inputs == 2 ? model_.tensor(op.inputs[1]) : in;
    const TensorRecord out = model_.tensor(op.output);
    return kind_params(i, op, in, in2, out) && partition(i, op, in, in2, out);
  }

  bool strategy_allowed(const OpRecord& op) const {
    switch (static_cast<Strategy>(op.strategy)) {
      case Strategy::kInPlace:
        return true;
      case Strategy::kRows:
        return op.kind != static_cast<uint8_t>(OpKind::kFullyConnected) && op.kind != static_cast<uint8_t>(OpKind::kReshape);
      case Strategy::kChannels:
        return op.kind == static_cast<uint8_t>(OpKind::kConv2d) || op.kind == static_cast<uint8_t>(OpKind::kFullyConnected);
    }
    return false;
  }

  bool overlay_pair(uint32_t i, const ArenaRef (&pair)[2], bool alignment, const char* field) {
    for (const ArenaRef& r : pair) {
      if (r.bytes == 0) return check_.fail(Status::kOverlayTooSmall, "op", i, field);
      if (!range_inside(r.offset, r.bytes, h_.internal_arena_bytes)) return check_.fail(Status::kOverlayOutOfArena, "op", i, field);
      if (alignment && r.offset % 4 != 0) return check_.fail(Status::kDataMisaligned, "op", i, field);
    }
    if (ranges_overlap(pair[0].offset, pair[0].bytes, pair[1].offset, pair[1].bytes))
      return check_.fail(Status::kOverlayOverlap, "op", i, field);
    return true;
  }

  bool partition(uint32_t i, const OpRecord& op, const TensorRecord& in, const TensorRecord& in2, const TensorRecord& out) {
    if (!strategy_allowed(op)) return check_.fail(Status::kBadPartition, "op", i, "strategy");
    if (op.part_count == 0 || op.part_first > h_.part_count || op.part_count > h_.part_count - op.part_first)
      return check_.fail(Status::kBadPartition, "op", i, "part_first/part_count");
    const bool in_place = op.strategy == static_cast<uint8_t>(Strategy::kInPlace);
    const bool input_overlay = op.input_overlays[0].bytes != 0 || op.input_overlays[1].bytes != 0;
    const bool weight_overlay = (op.flags & kFlagCopyWeights) != 0;
    if (in_place && (op.part_count != 1 || op.flags != 0 || input_overlay))
      return check_.fail(Status::kBadPartition, "op", i, "strategy");
    if (input_overlay) {
      if (!overlay_pair(i, op.input_overlays, false, "input_overlays")) return false;
      // A copy's source and target must not overlap (resident inputs are not copied onto themselves).
      const TensorRecord* sources[2] = {&in, &in2};
      for (int k = 0; k < plan::input_count(op.kind); ++k) {
        if (sources[k]->memory != static_cast<uint8_t>(MemoryKind::kInternal)) continue;
        for (const ArenaRef& x : op.input_overlays) {
          if (ranges_overlap(x.offset, x.bytes, sources[k]->offset, sources[k]->bytes))
            return check_.fail(Status::kOverlayOverlap, "op", i, "input_overlays (over an input)");
        }
      }
    }
    if (weight_overlay) {
      if (!plan::has_weights(op.kind)) return check_.fail(Status::kBadOpParams, "op", i, "flags");
      if (!overlay_pair(i, op.weight_overlays, true, "weight_overlays")) return false;
      for (const ArenaRef& w : op.weight_overlays) {
        for (const ArenaRef& x : op.input_overlays) {
          if (ranges_overlap(w.offset, w.bytes, x.offset, x.bytes)) return check_.fail(Status::kOverlayOverlap, "op", i, "weight_overlays");
        }
      }
    } else {
      for (const ArenaRef& w : op.weight_overlays) {
        if (w.offset != 0 || w.bytes != 0) return check_.fail(Status::kBadPartition, "op", i, "weight_overlays");
      }
    }
    if (!parts(i, op, in, in2, out, input_overlay, weight_overlay)) return false;
    return (op.flags & kFlagPrefetchNext) == 0 || prefetch(i, op, out);
  }

  bool parts(uint32_t i, const OpRecord& op, const TensorRecord& in, const TensorRecord& in2, const TensorRecord& out,
             bool input_overlay, bool weight_overlay) {
    const bool rows_split = op.strategy == static_cast<uint8_t>(Strategy::kRows);
    const bool channels_split = op.strategy == static_cast<uint8_t>(Strategy::kChannels);
    uint64_t covered = 0;
    // The fills the executor will make, to find which buffers the last part uses (for the prefetch check).
    int in_fills = 0, w_fills = 0, prev_in_begin = -1, prev_in_end = -1, prev_c_begin = -1, prev_c_end = -1;
    for (uint32_t p = op.part_first; p < op.part_first + op.part_count; ++p) {
      const PartRecord part = model_.part(p);
      if (part.reserved != 0) return check_.fail(Status::kBadPartition, "part", p, "reserved");
      if (part.output_row_begin >= part.output_row_end || part.output_row_end > out.height)
        return check_.fail(Status::kBadPartition, "part", p, "output_row_begin/end");
      if (part.channel_begin >= part.channel_end || part.channel_end > out.channels)
        return check_.fail(Status::kBadPartition, "part", p, "channel_begin/end");
      if (part.input_row_begin >= part.input_row_end || part.input_row_end > in.height)
        return check_.fail(Status::kBadPartition, "part", p, "input_row_begin/end");
      const bool full_rows = part.output_row_begin == 0 && part.output_row_end == out.height;
      const bool full_input = part.input_row_begin == 0 && part.input_row_end == in.height;
      const bool full_channels = part.channel_begin == 0 && part.channel_end == out.channels;
      if ((!rows_split && (!full_rows || !full_input)) || (!channels_split && !full_channels))
        return check_.fail(Status::kBadPartition, "part", p, rows_split ? "channel_begin/end" : "output_row_begin/end");
      const plan::RowRange need = plan::needed_input_rows(op, in.height, part.output_row_begin, part.output_row_end);
      if (need.begin < need.end && (need.begin < part.input_row_begin || need.end > part.input_row_end))
        return check_.fail(Status::kBadPartition, "part", p, "input_row_begin/end (halo)");
      for (uint32_t q = op.part_first; q < p; ++q) {
        const PartRecord other = model_.part(q);
        if (part.output_row_begin < other.output_row_end && other.output_row_begin < part.output_row_end &&
            part.channel_begin < other.channel_end && other.channel_begin < part.channel_end)
          return check_.fail(Status::kBadPartition, "part", p, "overlaps another part");
      }
      covered += static_cast<uint64_t>(part.output_row_end - part.output_row_begin) * (part.channel_end - part.channel_begin);
      if (input_overlay && (part.input_row_begin != prev_in_begin || part.input_row_end != prev_in_end)) {
        uint32_t fill = plan::align4(plan::input_rows_bytes(in, part.input_row_begin, part.input_row_end));
        if (plan::input_count(op.kind) == 2) fill += plan::input_rows_bytes(in2, part.input_row_begin, part.input_row_end);
        if (fill > op.input_overlays[in_fills % 2].bytes) return check_.fail(Status::kOverlayTooSmall, "part", p, "input rows");
        prev_in_begin = part.input_row_begin, prev_in_end = part.input_row_end;
        ++in_fills;
      }
      if (weight_overlay && (part.channel_begin != prev_c_begin || part.channel_end != prev_c_end)) {
        const plan::WeightSlice s = plan::weight_slice(op, in, part.channel_begin, part.channel_end);
        if (s.total_bytes > op.weight_overlays[w_fills % 2].bytes) return check_.fail(Status::kOverlayTooSmall, "part", p, "weights");
        prev_c_begin = part.channel_begin, prev_c_end = part.channel_end;
        ++w_fills;
      }
    }
    if (covered != uint64_t{out.height} * out.channels) return check_.fail(Status::kBadPartition, "op", i, "parts do not cover the output");
    last_buffers_[0] = input_overlay ? op.input_overlays[(in_fills - 1) % 2] : ArenaRef{0, 0};
    last_buffers_[1] = weight_overlay ? op.weight_overlays[(w_fills - 1) % 2] : ArenaRef{0, 0};
    return true;
  }

  bool prefetch(uint32_t i, const OpRecord& op, const TensorRecord& out) {
    if (i + 1 >= h_.op_count) return check_.fail(Status::kBadPartition, "op", i, "flags (prefetch without a next op)");
    const OpRecord next = model_.op(i + 1);
    if (next.kind == 0 || next.kind > kMaxOpKind || next.strategy == 0 || next.part_count == 0 ||
        next.part_first >= h_.part_count || next.input_overlays[0].bytes == 0 ||
        !range_inside(next.input_overlays[0].offset, next.input_overlays[0].bytes, h_.internal_arena_bytes))
      return check_.fail(Status::kBadPartition, "op", i, "flags (the next op has no input overlay)");
    for (int k = 0; k < plan::input_count(next.kind); ++k) {
      if (next.inputs[k] >= h_.tensor_count) return check_.fail(Status::kBadTensorIndex, "op", i + 1, "inputs");
      const TensorRecord t = model_.tensor(next.inputs[k]);
      if (next.inputs[k] == op.output ||
          (t.memory == out.memory && ranges_overlap(t.offset, t.bytes, out.offset, out.bytes)))
        return check_.fail(Status::kOverlayOverlap, "op", i, "flags (prefetch reads this op's output)");
    }
    const ArenaRef target = next.input_overlays[0];
    for (const ArenaRef& used : last_buffers_) {
      if (ranges_overlap(target.offset, target.bytes, used.offset, used.bytes))
        return check_.fail(Status::kOverlayOverlap, "op", i, "flags (prefetch target in use)");
    }
    return true;
  }

  const BlobHeader& h_;
  Model& model_;
  Checker& check_;
  ArenaRef last_buffers_[2]{};  // the input and weight buffers of the last op's last part
};

}  // namespace

TensorRecord Model::tensor(uint32_t index) const {
  TensorRecord t;
  memcpy(&t, blob_ + header_.tensor_table_offset + sizeof(TensorRecord) * index, sizeof t);
  return t;
}
OpRecord Model::op(uint32_t index) const {
  OpRecord o;
  memcpy(&o, blob_ + header_.op_table_offset + sizeof(OpRecord) * index, sizeof o);
  return o;
}
PartRecord Model::part(uint32_t index) const {
  PartRecord p;
  memcpy(&p, blob_ + header_.part_table_offset + sizeof(PartRecord) * index, sizeof p);
  return p;
}
int8_t* Model::tensor_data(const TensorRecord& tensor) const {
  uint8_t* arena = tensor.memory == static_cast<uint8_t>(MemoryKind::kInternal) ? arenas_.internal : arenas_.external;
  return reinterpret_cast<int8_t*>(arena + tensor.offset);
}

namespace {

bool header_ok(const uint8_t* blob, uint32_t blob_bytes, const Arenas& arenas, BlobHeader& h, Checker& check) {
  if (blob == nullptr || reinterpret_cast<uintptr_t>(blob) % 4 != 0) return check.fail(Status::kBlobNull, "header", 0, "blob");
  if (blob_bytes < sizeof(BlobHeader)) return check.fail(Status::kBlobTooSmall, "header", 0, "total_bytes");
  memcpy(&h, blob, sizeof h);
  if (h.magic != kBlobMagic) return check.fail(Status::kBadMagic, "header", 0, "magic");
  if (h.version != kBlobVersion) return check.fail(Status::kUnsupportedVersion, "header", 0, "version");
  if (h.header_bytes != sizeof(BlobHeader)) return check.fail(Status::kBadHeader, "header", 0, "header_bytes");
  if (h.total_bytes < sizeof(BlobHeader) || h.total_bytes > blob_bytes)
    return check.fail(Status::kBlobTooSmall, "header", 0, "total_bytes");
  if (h.flags != 0 || h.reserved != 0) return check.fail(Status::kBadHeader, "header", 0, "flags/reserved");
  if (crc32(blob + 16, h.total_bytes - 16) != h.crc32) return check.fail(Status::kCrcMismatch, "header", 0, "crc32");
  if (h.op_count == 0 || h.op_count > kMaxOps) return check.fail(Status::kTooManyOps, "header", 0, "op_count");
  if (h.tensor_count == 0) return check.fail(Status::kBadHeader, "header", 0, "tensor_count");
  const uint32_t body = h.total_bytes - sizeof(BlobHeader);
  struct Table {
    uint32_t offset;
    uint64_t bytes;
    const char* field;
  };
  const Table tables[4] = {{h.tensor_table_offset, uint64_t{sizeof(TensorRecord)} * h.tensor_count, "tensor_table_offset"},
                           {h.op_table_offset, uint64_t{sizeof(OpRecord)} * h.op_count, "op_table_offset"},
                           {h.part_table_offset, uint64_t{sizeof(PartRecord)} * h.part_count, "part_table_offset/part_count"},
                           {h.data_offset, h.data_bytes, "data_offset/data_bytes"}};
  for (const Table& t : tables) {
    if (t.offset < sizeof(BlobHeader) || !range_inside(t.offset - sizeof(BlobHeader), t.bytes, body))
      return check.fail(Status::kTableOutOfBounds, "header", 0, t.field);
  }
  if (h.data_offset % kDataAlignment != 0) return check.fail(Status::kDataMisaligned, "header", 0, "data_offset");
  if (h.external_arena_bytes > arenas.external_bytes || (h.external_arena_bytes != 0 && arenas.external == nullptr))
    return check.fail(Status::kArenaTooSmall, "header", 0, "external_arena_bytes");
  if (h.internal_arena_bytes > arenas.internal_bytes || (h.internal_arena_bytes != 0 && arenas.internal == nullptr))
    return check.fail(Status::kArenaTooSmall, "header", 0, "internal_arena_bytes");
  if (reinterpret_cast<uintptr_t>(arenas.internal) % 4 != 0 || reinterpret_cast<uintptr_t>(arenas.external) % 4 != 0)
    return check.fail(Status::kDataMisaligned, "header", 0, "arenas");
  if (h.input_tensor >= h.tensor_count) return check.fail(Status::kBadTensorIndex, "header", 0, "input_tensor");
  if (h.output_tensor >= h.tensor_count) return check.fail(Status::kBadTensorIndex, "header", 0, "output_tensor");
  return true;
}

}  // namespace

Status load_model(const uint8_t* blob, uint32_t blob_bytes, const Arenas& arenas, Model* model, LoadError* error) {
  if (error) *error = {Status::kOk, "", 0, ""};
  Checker check(error);
  Model candidate;
  if (!header_ok(blob, blob_bytes, arenas, candidate.header_, check)) {
    if (model) *model = Model{};
    return check.status();
  }
  candidate.blob_ = blob;
  candidate.arenas_ = arenas;
  Loader loader(candidate.header_, candidate, check);
  if (!loader.tensors() || !loader.ops()) {
    if (model) *model = Model{};
    return check.status();
  }
  candidate.loaded_ = true;
  if (model) *model = candidate;
  return Status::kOk;
}

}  // namespace tinyops::rt
