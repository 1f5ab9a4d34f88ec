// Plan helpers and structural validation. JSON (de)serialization lives in plan_json.cpp.
#include "tinyops/plan.hpp"

#include <algorithm>

#include "tinyops/error.hpp"
#include "tinyops/network.hpp"

namespace tinyops {

const char* to_string(Operand operand) {
  switch (operand) {
    case Operand::Input: return "input";
    case Operand::Input2: return "input2";
    case Operand::Weights: return "weights";
    case Operand::Bias: return "bias";
    case Operand::Quant: return "quant";
    case Operand::Output: return "output";
    case Operand::Scratch: return "scratch";
  }
  return "?";
}

const char* to_string(Partitioning p) {
  switch (p) {
    case Partitioning::None: return "none";
    case Partitioning::Rows: return "rows";
    case Partitioning::OutputChannels: return "output_channels";
  }
  return "?";
}

const char* to_string(BufferKind kind) {
  switch (kind) {
    case BufferKind::Arena: return "arena";
    case BufferKind::Input: return "input";
    case BufferKind::Weights: return "weights";
    case BufferKind::Bias: return "bias";
    case BufferKind::Quant: return "quant";
    case BufferKind::Output: return "output";
    case BufferKind::Scratch: return "scratch";
  }
  return "?";
}

int Plan::memory_index(const std::string& name) const {
  auto it = std::find(memories.begin(), memories.end(), name);
  return it == memories.end() ? -1 : int(it - memories.begin());
}

int Plan::add_memory(const std::string& name, int64_t size_bytes) {
  int i = memory_index(name);
  if (i >= 0) return i;
  memories.push_back(name);
  memory_sizes.push_back(size_bytes);
  return int(memories.size()) - 1;
}

int Plan::add_buffer(const std::string& name, BufferKind kind, Region region) {
  buffers.push_back(Buffer{name, kind, region});
  return int(buffers.size()) - 1;
}

int Plan::buffer_index(const std::string& name) const {
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].name == name) return int(i);
  return -1;
}

int64_t Plan::peak_sram_bytes() const {
  int64_t peak = 0;
  for (const Buffer& b : buffers)
    if (b.region.memory == sram_memory) peak = std::max(peak, b.region.end());
  for (const Region& r : tensor_home)  // tensors homed in SRAM outside any buffer still occupy it
    if (r.memory == sram_memory && sram_memory >= 0) peak = std::max(peak, r.end());
  return peak;
}

namespace {

class PlanChecker {
 public:
  PlanChecker(const Plan& plan, const std::string& source) : plan_(plan), source_(source) {}

  [[noreturn]] void fail(const std::string& field, const std::string& expected) const {
    throw InputError(source_, field, expected);
  }

  void region(const Region& r, const std::string& field) const {
    if (!r.present()) return;
    if (r.memory >= int(plan_.memories.size())) fail(field + ".memory", "expected one of the plan's memories");
    if (r.offset < 0 || r.bytes < 0) fail(field, "expected a non-negative offset and size");
    int64_t size = plan_.memory_sizes[r.memory];
    if (r.end() > size)
      fail(field, "expected to lie inside memory " + plan_.memories[r.memory] + " (" + std::to_string(size) +
                      " bytes), ends at " + std::to_string(r.end()));
  }

  void transfer(const Transfer& t, const std::string& field) const {
    region(t.src, field + ".src");
    region(t.dst, field + ".dst");
    if (!t.src.present() || !t.dst.present()) fail(field, "expected a source and a destination region");
    if (t.src.bytes != t.dst.bytes) fail(field, "expected source and destination of the same size");
    if (t.buffer >= int(plan_.buffers.size())) fail(field + ".buffer", "expected one of the plan's buffers");
    if (t.buffer >= 0) {
      const Region& b = plan_.buffers[t.buffer].region;
      if (t.dst.memory != b.memory || t.dst.offset < b.offset || t.dst.end() > b.end())
        fail(field + ".dst", "expected to lie inside buffer " + plan_.buffers[t.buffer].name);
    }
  }

  // Buffers a part touches (reads, writes or copies out of).
  // Whether `part` reads or writes any byte of `b` (an operand there, or an output copied out of it).
  static bool touches(const Part& part, const Region& b) {
    for (const Region& r : part.at)
      if (r.present() && r.memory == b.memory && r.offset < b.end() && b.offset < r.end()) return true;
    for (const Region& r : part.more_inputs)
      if (r.memory == b.memory && r.offset < b.end() && b.offset < r.end()) return true;
    for (const Transfer& t : part.copy_out)
      if (t.src.memory == b.memory && t.src.offset < b.end() && b.offset < t.src.end()) return true;
    return false;
  }

  void check() const {
    if (plan_.memories.size() != plan_.memory_sizes.size()) fail("memories", "expected a size for every memory");
    for (size_t i = 0; i < plan_.memory_sizes.size(); ++i)
      if (plan_.memory_sizes[i] <= 0)
        fail("memories[" + std::to_string(i) + "].size_bytes", "expected a positive size");
    if (plan_.sram_memory < -1 || plan_.sram_memory >= int(plan_.memories.size()))
      fail("sram_memory", "expected one of the plan's memories");
    if (plan_.sram_budget_bytes < 0) fail("sram_budget_bytes", "expected a non-negative size");
    for (size_t i = 0; i < plan_.buffers.size(); ++i) {
      const std::string f = "buffers[" + std::to_string(i) + "]";
      if (!plan_.buffers[i].region.present()) fail(f + ".memory", "expected a memory");
      region(plan_.buffers[i].region, f);
      for (size_t j = 0; j < i; ++j)
        if (plan_.buffers[j].name == plan_.buffers[i].name) fail(f + ".name", "expected a unique buffer name");
    }
    for (size_t i = 0; i < plan_.tensor_home.size(); ++i)
      region(plan_.tensor_home[i], "tensor_home[" + std::to_string(i) + "]");
    for (size_t i = 0; i < plan_.op_params.size(); ++i)
      for (int k = 0; k < 3; ++k) region(plan_.op_params[i][k], "op_params[" + std::to_string(i) + "]");
    const Part* previous = nullptr;
    for (size_t i = 0; i < plan_.ops.size(); ++i) {
      const OpPlan& op = plan_.ops[i];
      const std::string f = "ops[" + std::to_string(i) + "]";
      if (op.op != int(i)) fail(f + ".op", "expected op " + std::to_string(i) + " (ops in network order)");
      if (op.factor < 1) fail(f + ".factor", "expected a factor >= 1");
      if (op.parts.empty()) fail(f + ".parts", "expected at least one part");
      for (size_t p = 0; p < op.parts.size(); ++p) {
        const Part& part = op.parts[p];
        const std::string pf = f + ".parts[" + std::to_string(p) + "]";
        if (part.in_row_begin < 0 || part.in_row_end < part.in_row_begin)
          fail(pf + ".in_rows", "expected 0 <= begin <= end");
        if (part.out_row_begin < 0 || part.out_row_end <= part.out_row_begin)
          fail(pf + ".out_rows", "expected 0 <= begin < end");
        if (part.out_channel_begin < 0 || part.out_channel_end <= part.out_channel_begin)
          fail(pf + ".out_channels", "expected 0 <= begin < end");
        for (int k = 0; k < kOperandCount; ++k) region(part.at[k], pf + ".at." + to_string(Operand(k)));
        if (!part.at[int(Operand::Output)].present()) fail(pf + ".at.output", "expected where the output is written");
        for (size_t k = 0; k < part.more_inputs.size(); ++k) {
          const std::string mf = pf + ".more_inputs[" + std::to_string(k) + "]";
          region(part.more_inputs[k], mf);
          if (!part.more_inputs[k].present()) fail(mf, "expected where the input is read");
        }
        for (size_t t = 0; t < part.copy_in.size(); ++t)
          transfer(part.copy_in[t], pf + ".copy_in[" + std::to_string(t) + "]");
        for (size_t t = 0; t < part.copy_when_due.size(); ++t)
          transfer(part.copy_when_due[t], pf + ".copy_when_due[" + std::to_string(t) + "]");
        for (size_t t = 0; t < part.copy_out.size(); ++t)
          transfer(part.copy_out[t], pf + ".copy_out[" + std::to_string(t) + "]");
        if (part.copy_ahead && previous) {
          for (size_t t = 0; t < part.copy_in.size(); ++t) {
            // Bytes, not whole buffers: a prefetched param may share its buffer with the previous op's.
            int b = part.copy_in[t].buffer;
            if (b >= 0 && touches(*previous, part.copy_in[t].dst))
              fail(pf + ".copy_in[" + std::to_string(t) + "]",
                   "copy issued ahead into bytes of buffer " + plan_.buffers[b].name +
                       " which the previous part still uses (expected a ping-pong buffer or other bytes)");
          }
        }
        previous = &part;
      }
    }
  }

 private:
  const Plan& plan_;
  const std::string& source_;
};

}  // namespace

void validate_plan(const Plan& plan, const std::string& source) { PlanChecker(plan, source).check(); }

namespace {

// Bytes of `tensor` (NHWC, from its home's start) that op plan `producer` has written before its last part:
// the rows of earlier parts that cover every output channel.
int64_t bytes_before_last_part(const OpPlan& producer, const Shape& shape) {
  int rows = 0;
  for (size_t p = 0; p + 1 < producer.parts.size(); ++p) {
    const Part& part = producer.parts[p];
    if (part.out_channel_begin == 0 && part.out_channel_end == shape.c && part.out_row_begin <= rows)
      rows = std::max(rows, part.out_row_end);
  }
  return int64_t(rows) * shape.w * shape.c;
}

// A first part copied ahead (during the previous op's last part) may only read input rows that op has
// already produced.
void check_prefetch(const Plan& plan, const Network& network, size_t i, const std::string& source) {
  const Part& first = plan.ops[i].parts.front();
  if (i == 0 || !first.copy_ahead) return;
  const Op& op = network.op(plan.ops[i].op);
  const OpPlan& previous = plan.ops[i - 1];
  for (size_t t = 0; t < first.copy_in.size(); ++t) {
    const Transfer& copy = first.copy_in[t];
    const size_t which = copy.operand == Operand::Input ? 0 : copy.operand == Operand::Input2 ? 1 : 2;
    if (which >= op.inputs.size()) continue;
    const Tensor& tensor = network.tensor(op.inputs[which]);
    if (tensor.producer != previous.op) continue;
    const Region& home = plan.tensor_home[tensor.id];
    const int64_t ready = bytes_before_last_part(previous, tensor.shape);
    if (copy.src.memory != home.memory || copy.src.offset < home.offset || copy.src.end() > home.offset + ready)
      throw InputError(source, "ops[" + std::to_string(i) + "].parts[0].copy_in[" + std::to_string(t) + "]",
                       "prefetches bytes of " + tensor.name + " that op " + std::to_string(previous.op) +
                           " has not written before its last part (" + std::to_string(ready) + " bytes ready)");
  }
}

}  // namespace

void validate_plan(const Plan& plan, const Network& network, const std::string& source) {
  validate_plan(plan, source);
  if (!plan.fits) return;  // a plan that does not fit carries no layout
  if (plan.ops.size() != network.ops().size())
    throw InputError(source, "ops",
                     "expected " + std::to_string(network.ops().size()) + " ops (network " + network.name() +
                         "), got " + std::to_string(plan.ops.size()));
  if (plan.tensor_home.size() != network.tensors().size())
    throw InputError(source, "tensor_home", "expected " + std::to_string(network.tensors().size()) + " tensors");
  if (plan.op_params.size() != network.ops().size())
    throw InputError(source, "op_params", "expected " + std::to_string(network.ops().size()) + " entries");
  for (const Tensor& t : network.tensors()) {
    const Region& r = plan.tensor_home[t.id];
    if (!r.present() || r.bytes != t.shape.bytes())
      throw InputError(source, "tensor_home[" + std::to_string(t.id) + "]",
                       "expected a home of " + std::to_string(t.shape.bytes()) + " bytes for tensor " + t.name);
  }
  for (const OpPlan& op : plan.ops) {
    const Op& network_op = network.op(op.op);
    const Shape& out = network.tensor(network_op.output).shape;
    const size_t more_inputs = network_op.inputs.size() > 2 ? network_op.inputs.size() - 2 : 0;
    for (size_t p = 0; p < op.parts.size(); ++p) {
      const Part& part = op.parts[p];
      if (part.more_inputs.size() != more_inputs)
        throw InputError(source, "ops[" + std::to_string(op.op) + "].parts[" + std::to_string(p) + "].more_inputs",
                         "expected " + std::to_string(more_inputs) + " regions (op " + network_op.name + " has " +
                             std::to_string(network_op.inputs.size()) + " inputs), got " +
                             std::to_string(part.more_inputs.size()));
      if (part.out_row_end > out.h || part.out_channel_end > out.c)
        throw InputError(
            source, "ops[" + std::to_string(op.op) + "].parts[" + std::to_string(p) + "]",
            "expected output rows <= " + std::to_string(out.h) + " and channels <= " + std::to_string(out.c));
    }
  }
  for (size_t i = 0; i < plan.ops.size(); ++i) check_prefetch(plan, network, i, source);
}

}  // namespace tinyops
