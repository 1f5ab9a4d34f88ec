// The executor: runs a loaded model op by op and part by part. For each part: wait for its overlay copies,
// start the copies of the next part (or, on an op's last part, the next op's first input part), compute,
// go on. Copies go through the port's DMA seam; one stream takes one copy at a time, so a fill of several
// arrays queues them (waiting between them) and leaves its largest copy in flight while the CPU computes.
#include <string.h>

#include "plan_geometry.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/port.hpp"
#include "tinyops/rt/runtime.hpp"

tinyops::rt::Results tinyops_results;  // declared extern "C" in results.hpp; zero-initialized (.bss)

namespace tinyops::rt {
namespace {

constexpr int kInputStream = 0;

// Copies on the port's DMA streams, with the time spent waiting for them and the bytes moved.
class Dma {
 public:
  Dma() : streams_(port::dma_streams() > 1 ? 2 : 1) {}
  int weight_stream() const { return streams_ - 1; }
  void copy(int stream, void* dst, const void* src, uint32_t bytes, OpResult& result) {
    if (bytes == 0) return;
    if (busy_[stream]) wait(stream, result);
    port::dma_start(stream, dst, src, bytes);
    busy_[stream] = true;
    result.dma_bytes += bytes;
  }
  void wait_all(OpResult& result) {
    for (int s = 0; s < streams_; ++s) {
      if (busy_[s]) wait(s, result);
    }
  }

 private:
  void wait(int stream, OpResult& result) {
    const uint32_t t0 = port::cycles();
    port::dma_wait(stream);
    result.dma_wait_cycles += port::cycles() - t0;
    busy_[stream] = false;
  }
  int streams_;
  bool busy_[2] = {false, false};
};

// Which overlay buffer holds what: a buffer is refilled only when the content a part needs changes.
struct FillState {
  int fills = 0;
  int begin = -1, end = -1;  // the row (input) or channel (weights) range of the last fill
  int buffer = 0;            // buffer index of the last fill
};

struct OpContext {
  const Model& model;
  OpRecord op;
  TensorRecord inputs[2];
  TensorRecord output;
  Dma& dma;
  OpResult& result;
};

OpContext context(const Model& model, uint32_t index, Dma& dma, OpResult& result) {
  const OpRecord op = model.op(index);
  const TensorRecord first = model.tensor(op.inputs[0]);
  const TensorRecord second = plan::input_count(op.kind) == 2 ? model.tensor(op.inputs[1]) : first;
  return OpContext{model, op, {first, second}, model.tensor(op.output), dma, result};
}

uint8_t* overlay(const Model& model, const ArenaRef& ref) { return model.internal_arena() + ref.offset; }

// Copies the input rows of `part` into the next input buffer unless the last fill holds them already.
void fill_inputs(const OpContext& c, const PartRecord& part, FillState& state) {
  if (state.fills > 0 && state.begin == part.input_row_begin && state.end == part.input_row_end) return;
  state.buffer = state.fills % 2;
  uint8_t* dst = overlay(c.model, c.op.input_overlays[state.buffer]);
  const int count = plan::input_count(c.op.kind);
  for (int k = 0; k < count; ++k) {
    const TensorRecord& t = c.inputs[k];
    const uint32_t row_bytes = uint32_t{t.width} * t.channels;
    const uint32_t bytes = plan::input_rows_bytes(t, part.input_row_begin, part.input_row_end);
    // The second input of an add goes to the other stream, so that both copies are in flight together.
    const int stream = k == 0 ? kInputStream : c.dma.weight_stream();
    c.dma.copy(stream, dst, c.model.tensor_data(t) + part.input_row_begin * row_bytes, bytes, c.result);
    dst += plan::align4(bytes);
  }
  state.begin = part.input_row_begin, state.end = part.input_row_end;
  ++state.fills;
}

void fill_weights(const OpContext& c, const PartRecord& part, FillState& state) {
  if (state.fills > 0 && state.begin == part.channel_begin && state.end == part.channel_end) return;
  state.buffer = state.fills % 2;
  uint8_t* dst = overlay(c.model, c.op.weight_overlays[state.buffer]);
  const plan::WeightSlice s = plan::weight_slice(c.op, c.inputs[0], part.channel_begin, part.channel_end);
  const uint8_t* data = c.model.data(DataRef{0, 0});
  // The small per-channel arrays first, the weights last: their copy is the one left in flight.
  static const int kOrder[4] = {1, 2, 3, 0};
  for (int k : kOrder) c.dma.copy(c.dma.weight_stream(), dst + s.target[k], data + s.source[k], s.bytes[k], c.result);
  state.begin = part.channel_begin, state.end = part.channel_end;
  ++state.fills;
}

WindowGeometry geometry(const OpRecord& op) {
  const bool dilated = op.kind != static_cast<uint8_t>(OpKind::kAveragePool2d);
  return WindowGeometry{op.kernel_h, op.kernel_w, op.stride_h, op.stride_w, dilated ? op.dilation_h : 1,
                        dilated ? op.dilation_w : 1, op.pad_top, op.pad_left, op.depth_multiplier,
                        op.act_min, op.act_max};
}

// The fused hard-swish of a convolution (BLOB_FORMAT.md, FusedActivation::kHardSwish).
HardSwishParams hard_swish_params(const OpRecord& op, int32_t output_zero_point) {
  return HardSwishParams{op.params[1], output_zero_point, static_cast<int16_t>(op.params[2]),
                         static_cast<int16_t>(op.params[4]), op.params[3], op.params[5]};
}

// Runs the kernel of one part on its operands, in overlays or in place. `hard_swish_lut`: the op's fused
// hard-swish tabulated (null when the op has none).
void compute(const OpContext& c, const PartRecord& part, const FillState& in_state, const FillState& w_state,
             const int8_t* hard_swish_lut) {
  const OpRecord& op = c.op;
  const bool input_overlay = op.input_overlays[0].bytes != 0;
  InputRows in[2];
  const uint8_t* overlay_at = input_overlay ? overlay(c.model, op.input_overlays[in_state.buffer]) : nullptr;
  for (int k = 0; k < plan::input_count(op.kind); ++k) {
    const TensorRecord& t = c.inputs[k];
    const uint32_t row_bytes = uint32_t{t.width} * t.channels;
    const int8_t* rows = input_overlay ? reinterpret_cast<const int8_t*>(overlay_at)
                                       : c.model.tensor_data(t) + part.input_row_begin * row_bytes;
    in[k] = InputRows{rows, t.height, t.width, t.channels, part.input_row_begin, part.input_row_end, t.zero_point};
    if (input_overlay) overlay_at += plan::align4(plan::input_rows_bytes(t, part.input_row_begin, part.input_row_end));
  }
  const TensorRecord& o = c.output;
  const OutputRegion out{c.model.tensor_data(o) + part.output_row_begin * uint32_t{o.width} * o.channels, o.height,
                         o.width, o.channels, part.output_row_begin, part.output_row_end, part.channel_begin,
                         part.channel_end, o.zero_point};
  ChannelData channel{};
  if (plan::has_weights(op.kind)) {
    const plan::WeightSlice s = plan::weight_slice(op, c.inputs[0], part.channel_begin, part.channel_end);
    const uint8_t* base = (op.flags & kFlagCopyWeights) ? overlay(c.model, op.weight_overlays[w_state.buffer]) : nullptr;
    const uint8_t* data = c.model.data(DataRef{0, 0});
    auto at = [&](int k) { return base ? base + s.target[k] : data + s.source[k]; };
    channel = ChannelData{reinterpret_cast<const int8_t*>(at(0)),
                          op.bias.bytes ? reinterpret_cast<const int32_t*>(at(1)) : nullptr,
                          reinterpret_cast<const int32_t*>(at(2)), reinterpret_cast<const int32_t*>(at(3))};
  }
  // A fused hard-swish: the kernel writes the pre-activation values (their zero point), then hard-swish
  // rewrites the region in place.
  const bool hard_swish = plan::fused_hard_swish(op);
  OutputRegion kernel_out = out;
  if (hard_swish) kernel_out.zero_point = op.params[1];
  switch (static_cast<OpKind>(op.kind)) {
    case OpKind::kConv2d: conv2d(geometry(op), in[0], channel, kernel_out); break;
    case OpKind::kDepthwiseConv2d: depthwise_conv2d(geometry(op), in[0], channel, kernel_out); break;
    case OpKind::kFullyConnected:
      fully_connected_reference(in[0], channel, op.params[0], op.act_min, op.act_max, out);
      break;
    case OpKind::kAdd: {
      const AddParams p{op.params[0], op.params[1], op.params[2], op.params[3], op.params[4], op.params[5],
                        op.act_min, op.act_max};
      add(p, in[0], in[1], out);
      break;
    }
    case OpKind::kAveragePool2d: average_pool2d_reference(geometry(op), in[0], out); break;
    case OpKind::kPad: pad_reference(op.pad_top, op.pad_left, in[0], out); break;
    case OpKind::kReshape: reshape_reference(in[0].data, out.data, o.bytes); break;
  }
  if (hard_swish) hard_swish_region_lut(hard_swish_lut, out);
}

}  // namespace

Status run_model(const Model& model, Results* results) {
  results->magic = kResultsMagic;
  results->version = kResultsVersion;
  results->op_result_bytes = sizeof(OpResult);
  const char* unit = port::cycles_unit();
  memset(results->cycles_unit, 0, sizeof results->cycles_unit);
  for (size_t k = 0; k + 1 < sizeof results->cycles_unit && unit[k] != '\0'; ++k) results->cycles_unit[k] = unit[k];
  if (!model.loaded()) {
    results->status = static_cast<int32_t>(Status::kNotLoaded);
    results->op_count = 0;
    return Status::kNotLoaded;
  }
  const uint32_t op_count = model.header().op_count;
  results->op_count = op_count;
  Dma dma;
  bool first_input_prefetched = false;
  const uint32_t run_start = port::cycles();
  for (uint32_t i = 0; i < op_count; ++i) {
    OpResult& result = results->ops[i];
    result = OpResult{};
    const uint32_t op_start = port::cycles();
    const OpContext c = context(model, i, dma, result);
    const bool input_overlay = c.op.input_overlays[0].bytes != 0;
    const bool weight_overlay = (c.op.flags & kFlagCopyWeights) != 0;
    FillState in_state, w_state;
    const PartRecord first = model.part(c.op.part_first);
    if (input_overlay) {
      if (first_input_prefetched) {  // the previous op already copied it into buffer 0
        in_state = FillState{1, first.input_row_begin, first.input_row_end, 0};
      } else {
        fill_inputs(c, first, in_state);
      }
    }
    first_input_prefetched = false;
    if (weight_overlay) fill_weights(c, first, w_state);
    int8_t hard_swish_lut[256];
    if (plan::fused_hard_swish(c.op)) hard_swish_table(hard_swish_params(c.op, c.output.zero_point), hard_swish_lut);
    for (uint32_t p = 0; p < c.op.part_count; ++p) {
      const PartRecord part = model.part(c.op.part_first + p);
      dma.wait_all(result);
      const FillState in_now = in_state, w_now = w_state;
      if (p + 1 < c.op.part_count) {
        const PartRecord next = model.part(c.op.part_first + p + 1);
        if (input_overlay) fill_inputs(c, next, in_state);
        if (weight_overlay) fill_weights(c, next, w_state);
      } else if (c.op.flags & kFlagPrefetchNext) {
        // The loader checked that the next op has input overlays and does not read this op's output.
        const OpContext n = context(model, i + 1, dma, result);
        FillState prefetch_state;
        fill_inputs(n, model.part(n.op.part_first), prefetch_state);
        first_input_prefetched = true;
      }
      compute(c, part, in_now, w_now, hard_swish_lut);
      ++result.parts;
    }
    result.cycles = port::cycles() - op_start;
  }
  dma.wait_all(results->ops[op_count - 1]);
  results->total_cycles = port::cycles() - run_start;
  results->status = static_cast<int32_t>(Status::kOk);
  ++results->run_count;
  return Status::kOk;
}

}  // namespace tinyops::rt
