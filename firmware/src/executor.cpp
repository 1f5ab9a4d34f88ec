// The executor: runs a loaded model's plan exactly as the blob lists it. The blob's transfers are in issue
// order, each with the part and the point it is issued at; for every part the executor
//   1. issues the transfers due at this part (copies not issued ahead, and those issued only when due),
//   2. waits for the transfers the part lists in `waits`,
//   3. issues the transfers listed ahead (the next part's copies, overlapping this part's compute),
//   4. computes the part, its operands where the part's `at` regions say,
//   5. issues the output copies of the part (output overlays).
// Copies go through the port's DMA seam; a stream takes one copy at a time (a copy onto a busy stream waits
// for the one in flight), so "wait for transfer t" is a wait on its stream while t is the copy in flight.
#include <string.h>

#include "loader_internal.hpp"
#include "plan_geometry.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/port.hpp"
#include "tinyops/rt/runtime.hpp"

tinyops::rt::Results tinyops_results;  // declared extern "C" in results.hpp; zero-initialized (.bss)

namespace tinyops::rt {
namespace {

// Model::address with the last two segments each memory resolved to remembered: a part's operands and both ends
// of every transfer go through here (issue #11: ~200 instructions of executor per transfer, 86 of them in the
// memory map's search), and they fall in a memory's one or two segments (arena, constants) almost always. A hit
// costs a range check; a miss takes the loader's search and remembers its segment.
class Addresses {
 public:
  explicit Addresses(const Model& model) : model_(model) {
    for (Span(&ways)[2] : spans_) ways[0] = ways[1] = Span{0, 0, nullptr};  // holds nothing (base null)
  }
  uint8_t* operator()(const fb::Region& r) {
    const uint32_t memory = static_cast<uint16_t>(r.memory());  // absent (-1) maps past the table
    if (memory < kMemories) {
      for (const Span& s : spans_[memory]) {
        const uint32_t at = r.offset() - s.offset;  // wraps past s.bytes when r starts before the segment
        if (at <= s.bytes && r.bytes() <= s.bytes - at && s.base != nullptr) return s.base + at;
      }
    }
    uint8_t* address = model_.address(r);
    const fb::Segment* segment = address ? loader::find_segment(*model_.plan().segments(), r) : nullptr;
    if (segment && memory < kMemories) {
      Span* ways = spans_[memory];
      ways[1] = ways[0];
      ways[0] = Span{segment->offset(), segment->bytes(), address - (r.offset() - segment->offset())};
    }
    return address;
  }

 private:
  static constexpr uint32_t kMemories = 8;  // plans name a few memories; others take the search every time
  struct Span {
    uint32_t offset, bytes;  // a segment of the memory
    uint8_t* base;           // its address
  };
  const Model& model_;
  Span spans_[kMemories][2];  // per memory, the two segments resolved last, the latest first
};

// The blob's transfers on the port's DMA streams, with the time spent waiting for them and the bytes moved.
class Dma {
 public:
  Dma(const Model& model, Addresses& addresses)
      : addresses_(addresses), transfers_(model.plan().transfers()), waits_(model.plan().transfer_waits()) {
    const int port_streams = port::dma_streams();
    streams_ = port_streams < 1 ? 1 : (port_streams > int(kMaxStreams) ? int(kMaxStreams) : port_streams);
    for (int32_t& t : in_flight_) t = -1;
  }
  // Issues every transfer up to (issue_part, point) that has not been issued yet.
  void issue_until(uint32_t issue_part, fb::IssuePoint point, OpResult& result) {
    if (!transfers_) return;
    while (next_ < transfers_->size()) {
      const fb::Transfer& t = *transfers_->Get(next_);
      if (t.issue_part() != issue_part || t.issue() != point) return;
      for (uint32_t w = 0; w < t.wait_count(); ++w) wait_for(waits_->Get(t.wait_first() + w), result);
      const int stream = t.stream() % streams_;
      if (in_flight_[stream] >= 0) wait_stream(stream, result);
      port::dma_start(stream, addresses_(t.dst()), addresses_(t.src()), t.src().bytes());
      in_flight_[stream] = int32_t(next_);
      result.dma_bytes += t.src().bytes();
      ++next_;
    }
  }
  void wait_for(uint32_t transfer, OpResult& result) {
    const int stream = transfers_->Get(transfer)->stream() % streams_;
    if (in_flight_[stream] == int32_t(transfer)) wait_stream(stream, result);
  }
  void wait_all(OpResult& result) {
    for (int s = 0; s < streams_; ++s) {
      if (in_flight_[s] >= 0) wait_stream(s, result);
    }
  }

 private:
  void wait_stream(int stream, OpResult& result) {
    const uint32_t t0 = port::cycles();
    port::dma_wait(stream);
    result.dma_wait_cycles += port::cycles() - t0;
    in_flight_[stream] = -1;
  }
  Addresses& addresses_;
  const flatbuffers::Vector<const fb::Transfer*>* transfers_;
  const flatbuffers::Vector<uint32_t>* waits_;
  uint32_t next_ = 0;
  int streams_ = 1;
  int32_t in_flight_[kMaxStreams];  // the transfer each stream is copying, -1 when idle
};

WindowGeometry geometry(const fb::Op& op) {
  const bool dilated = op.kind() == OpKind::Conv2d || op.kind() == OpKind::DepthwiseConv2d;
  return WindowGeometry{op.kernel_h(),
                        op.kernel_w(),
                        op.stride_h(),
                        op.stride_w(),
                        dilated ? op.dilation_h() : 1,
                        dilated ? op.dilation_w() : 1,
                        op.pad_top(),
                        op.pad_left(),
                        op.depth_multiplier(),
                        op.act_min(),
                        op.act_max()};
}

// The fused hard-swish of a convolution (BLOB_FORMAT.md, FusedActivation::HardSwish).
HardSwishParams hard_swish_params(const fb::Op& op, int32_t output_zero_point) {
  return HardSwishParams{op.pre_activation_zero_point(),
                         output_zero_point,
                         static_cast<int16_t>(op.reluish_multiplier()),
                         static_cast<int16_t>(op.hs_output_multiplier()),
                         op.reluish_exponent(),
                         op.hs_output_exponent()};
}

// An int8 -> int8 map (logistic, standalone hard-swish) tabulated: the op's 256 results, computed once per op by
// the reference kernel, so every part costs one load per value and stays bit-exact with the reference.
void map_table(const Model& model, const fb::Op& op, int8_t table[256]) {
  const int32_t input_zero_point = model.tensor(op.inputs()->Get(0)).zero_point();
  if (op.kind() == OpKind::HardSwish) {
    HardSwishParams p = hard_swish_params(op, model.tensor(op.output()).zero_point());
    p.input_zero_point = input_zero_point;
    hard_swish_table(p, table);
    return;
  }
  int8_t values[256];
  for (int v = 0; v < 256; ++v) values[v] = static_cast<int8_t>(v - 128);
  const auto& q = *op.op_params();
  logistic_reference(LogisticParams{input_zero_point, q.Get(0), q.Get(1), q.Get(2)}, values, table, 256);
}

const fb::Region& at(const fb::Part& part, Operand operand) { return *part.at()->Get(static_cast<uint32_t>(operand)); }

// A fully connected op whose plan holds one multiplier and shift for all channels (the core plans TFLite's
// per-tensor quantization): the per-channel kernel runs on chunks of channels with the pair repeated.
void fully_connected_per_tensor(const fb::Op& op, const InputRows& in, const ChannelData& c, const OutputRegion& out) {
  constexpr int kChunk = 32;
  int32_t multipliers[kChunk], shifts[kChunk];
  for (int k = 0; k < kChunk; ++k) multipliers[k] = c.multipliers[0], shifts[k] = c.shifts[0];
  const int depth = in.height * in.width * in.channels;
  for (int c0 = out.channel_begin; c0 < out.channel_end; c0 += kChunk) {
    const int k = c0 - out.channel_begin;
    OutputRegion chunk = out;
    chunk.channel_begin = c0;
    chunk.channel_end = c0 + kChunk < out.channel_end ? c0 + kChunk : out.channel_end;
    const ChannelData slice{c.weights + k * depth, c.bias ? c.bias + k : nullptr, multipliers, shifts};
    fully_connected_reference(in, slice, op.weights_zero_point(), op.act_min(), op.act_max(), chunk);
  }
}

// Runs the kernel of one part on its operands where the plan puts them. `g`: the op's window (geometry(op), once
// per op); `lut`: the op's fused hard-swish tabulated (null when the op has none); `conv_state`: see run_parts.
void compute(const Model& model, Addresses& address, const fb::Op& op, const WindowGeometry& g, const fb::Part& part,
             const int8_t* lut, Conv2dOpState* conv_state) {
  InputRows in[kMaxInputs];
  const int inputs = int(op.inputs()->size());  // the loader checked it against the kind (plan::input_count_ok)
  for (int k = 0; k < inputs; ++k) {
    const fb::Tensor& t = model.tensor(op.inputs()->Get(uint32_t(k)));
    const int8_t* rows = reinterpret_cast<const int8_t*>(address(*plan::input_region(part, uint32_t(k))));
    in[k] =
        InputRows{rows, t.height(), t.width(), t.channels(), part.in_row_begin(), part.in_row_end(), t.zero_point()};
  }
  const fb::Tensor& o = model.tensor(op.output());
  if (inputs > 1 && plan::broadcast_gate(op, 1, model.tensor(op.inputs()->Get(1)), o))
    in[1].row_begin = 0, in[1].row_end = 1;  // the (1, 1, C) gate, whole in every part
  const OutputRegion out{reinterpret_cast<int8_t*>(address(at(part, Operand::Output))),
                         o.height(),
                         o.width(),
                         o.channels(),
                         part.out_row_begin(),
                         part.out_row_end(),
                         part.channel_begin(),
                         part.channel_end(),
                         o.zero_point()};
  ChannelData channel{};
  if (plan::has_weights(op.kind())) {
    // Weights: the part's channel slice starts the region; bias and quant regions hold every channel.
    const uint8_t* bias = address(at(part, Operand::Bias));
    const uint8_t* quant = address(at(part, Operand::Quant));
    const uint32_t first = plan::per_tensor_quant(op, at(part, Operand::Quant)) ? 0 : 4u * part.channel_begin();
    channel = ChannelData{reinterpret_cast<const int8_t*>(address(at(part, Operand::Weights))),
                          bias ? reinterpret_cast<const int32_t*>(bias + 4u * part.channel_begin()) : nullptr,
                          reinterpret_cast<const int32_t*>(quant + first),
                          reinterpret_cast<const int32_t*>(quant + at(part, Operand::Quant).bytes() / 2 + first)};
  }
  // A fused hard-swish: the kernel writes the pre-activation values (their zero point), then hard-swish
  // rewrites the region in place.
  const bool hard_swish = plan::fused_hard_swish(op);
  OutputRegion kernel_out = out;
  if (hard_swish) kernel_out.zero_point = op.pre_activation_zero_point();
  switch (op.kind()) {
    case OpKind::Conv2d:
      if (conv_state && conv2d_dsp_applies(g, in[0])) {
        conv2d_dsp_reusing(g, in[0], channel, kernel_out, *conv_state);
      } else {
        conv2d(g, in[0], channel, kernel_out);
      }
      break;
    case OpKind::DepthwiseConv2d: depthwise_conv2d(g, in[0], channel, kernel_out); break;
    case OpKind::FullyConnected:
      if (plan::per_tensor_quant(op, at(part, Operand::Quant))) {
        fully_connected_per_tensor(op, in[0], channel, out);
      } else {
        fully_connected_reference(in[0], channel, op.weights_zero_point(), op.act_min(), op.act_max(), out);
      }
      break;
    case OpKind::Add: {
      const auto& p = *op.add_params();
      const AddParams params{p.Get(0), p.Get(1), p.Get(2), p.Get(3), p.Get(4), p.Get(5), op.act_min(), op.act_max()};
      add(params, in[0], in[1], out);
      break;
    }
    case OpKind::AveragePool2d: average_pool2d_reference(g, in[0], out); break;
    case OpKind::Pad: pad_reference(op.pad_top(), op.pad_left(), in[0], out); break;
    case OpKind::Reshape: reshape_reference(in[0].data, out.data, o.home()->bytes()); break;
    case OpKind::MaxPool2d: max_pool2d_reference(g, in[0], out); break;
    case OpKind::Mul: {
      const auto& q = *op.op_params();
      mul(MulParams{q.Get(0), q.Get(1), op.act_min(), op.act_max()}, in[0], in[1], out);
      break;
    }
    case OpKind::Concatenation: concatenation(in, inputs, op.act_min(), op.act_max(), out); break;
    case OpKind::Mean: mean_reference(op.op_params()->Get(0), op.op_params()->Get(1), in[0], out); break;
    case OpKind::Logistic:
    case OpKind::HardSwish:
      map_lut(lut, in[0].row(out.row_begin), out.row(out.row_begin),
              (out.row_end - out.row_begin) * plan::row_bytes(o));
      break;
    case OpKind::Softmax: {
      const auto& q = *op.op_params();
      softmax_reference(SoftmaxParams{q.Get(0), q.Get(1), q.Get(2)}, in[0].row(out.row_begin), out.row(out.row_begin),
                        (out.row_end - out.row_begin) * o.width(), o.channels());
      break;
    }
    default: break;
  }
  if (hard_swish) hard_swish_region_lut(lut, out);
}

// The parts of one op, in the blob's order, from global part index g (advanced past them). `conv_state`: the
// conv2d kernel's set-up kept between the op's parts (conv2d ops), else null.
void run_parts(const Model& model, Addresses& addresses, const fb::Op& op, const int8_t* lut, Dma& dma, uint32_t& g,
               OpResult& result, Conv2dOpState* conv_state) {
  const WindowGeometry window = geometry(op);
  for (uint32_t p = 0; p < op.parts()->size(); ++p, ++g) {
    const fb::Part& part = *op.parts()->Get(p);
    dma.issue_until(g, fb::IssuePoint::Due, result);
    if (part.waits()) {
      for (uint32_t w : *part.waits()) dma.wait_for(w, result);
    }
    dma.issue_until(g, fb::IssuePoint::Ahead, result);
    compute(model, addresses, op, window, part, lut, conv_state);
    dma.issue_until(g, fb::IssuePoint::AfterCompute, result);
    ++result.parts;
  }
}

// A conv2d op's parts, its kernel set-up held here (Conv2dOpState) for the op's duration: not inlined, so that
// the state takes stack only while a conv2d op runs, in place of the kernel's own (the stack's peak unchanged).
__attribute__((noinline)) void run_conv2d_parts(const Model& model, Addresses& addresses, const fb::Op& op,
                                                const int8_t* lut, Dma& dma, uint32_t& g, OpResult& result) {
  Conv2dOpState state;
  run_parts(model, addresses, op, lut, dma, g, result, &state);
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
  const uint32_t op_count = model.op_count();
  results->op_count = op_count;
  Addresses addresses(model);
  Dma dma(model, addresses);
  uint32_t g = 0;  // global part index
  const uint32_t run_start = port::cycles();
  for (uint32_t i = 0; i < op_count; ++i) {
    OpResult& result = results->ops[i];
    result = OpResult{};
    const uint32_t op_start = port::cycles();
    const fb::Op& op = *model.plan().ops()->Get(i);
    int8_t lut[256];  // the op's fused hard-swish or int8 -> int8 map, tabulated
    if (plan::fused_hard_swish(op))
      hard_swish_table(hard_swish_params(op, model.tensor(op.output()).zero_point()), lut);
    if (plan::elementwise_map(op.kind())) map_table(model, op, lut);
    if (op.kind() == OpKind::Conv2d) {
      run_conv2d_parts(model, addresses, op, lut, dma, g, result);
    } else {
      run_parts(model, addresses, op, lut, dma, g, result, nullptr);
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
