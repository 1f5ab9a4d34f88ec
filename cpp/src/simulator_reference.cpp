#include "tinyops/simulator_reference.hpp"

#include <algorithm>

#include "tinyops/error.hpp"

namespace tinyops {

using sim::Active;
using sim::PartCost;

ReferenceSimulator::ReferenceSimulator(const Board& board) : board_(board), tables_(board) {
  for (int e : tables_.stream_engine) streams_.push_back(Stream{e, 0});
}

void ReferenceSimulator::reset(const Network& net, const Plan& plan, bool record) {
  plan_tables_.reset(board_, tables_, net, plan);
  plan_ = &plan;
  record_ = record;
  for (Stream& s : streams_) s.free_at = 0;
  buffer_busy_.assign(plan.buffers.size(), 0.0);
  tensor_ready_.assign(net.tensors().size(), 0.0);
  active_.clear();
  cpu_ = 0;
  result_.board = board_.name;
  result_.strategy = plan.strategy;
  result_.external_dma_bytes = result_.external_cpu_bytes = 0;
  result_.per_op.assign(net.ops().size(), OpStats{});
  result_.timeline.clear();
  result_.peak_sram_bytes = plan.peak_sram_bytes();
}

void ReferenceSimulator::touch_buffers(const Part& part, double until) {
  if (plan_tables_.staging.empty()) return;  // only arenas: nothing is refilled by DMA
  for (const Region& r : part.at) {
    if (!r.present()) continue;
    int b = plan_tables_.buffer_of(r);
    if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], until);
  }
}

double ReferenceSimulator::issue(const Transfer& t, const Op& op, int op_index, int part, double when,
                                 const PartCost* concurrent, bool copy_out) {
  const int src = t.src.memory, dst = t.dst.memory;  // plan memories
  const sim::PlanTables& pt = plan_tables_;
  OpStats& stats = result_.per_op[op_index];
  double ready = when;
  if (t.operand == Operand::Input || t.operand == Operand::Input2) {
    const int input = t.operand == Operand::Input ? op.inputs[0] : later_input(op);
    if (input >= 0) ready = std::max(ready, tensor_ready_[input]);
  }
  if (t.buffer >= 0 && !copy_out) ready = std::max(ready, buffer_busy_[t.buffer]);
  const int64_t bytes = t.src.bytes;
  if (pt.touches_external(src, dst)) {
    result_.external_dma_bytes += bytes;
    stats.external_bytes += bytes;
  }
  stats.dma_bytes += bytes;

  double start, end;
  int lane;
  if (streams_.empty()) {  // no DMA engine: the CPU copies, synchronously
    start = std::max(ready, cpu_);
    end = start + pt.cpu_copy_cycles(board_.cpu, src, dst, bytes);
    stats.exposed_dma_cycles += end - cpu_;
    cpu_ = end;
    lane = 0;
  } else {
    const int engine = pt.dma_engine(*plan_, board_, src, dst);
    // The CPU programs the transfer (and cleans the D-cache lines it covers).
    const double issue_cycles = tables_.engine_issue[engine];
    if (record_ && issue_cycles > 0)
      result_.timeline.push_back({0, op_index, part, EventKind::Issue, t.operand, cpu_, cpu_ + issue_cycles});
    cpu_ += issue_cycles;
    stats.overhead_cycles += issue_cycles;
    ready = std::max(ready, cpu_);
    Stream* best = nullptr;
    for (Stream& s : streams_)
      if (s.engine == engine && (!best || s.free_at < best->free_at)) best = &s;
    start = std::max(ready, best->free_at);
    const double pressure = sim::dma_pressure(concurrent, src, dst);
    end = start + pt.dma_cycles(tables_, board_.bus.dma_slowdown.value, engine, src, dst, bytes, pressure);
    best->free_at = end;
    lane = 1 + int(best - streams_.data());
    active_.push_back(Active{start, end, src, dst});
  }
  stats.dma_cycles += end - start;
  if (t.buffer >= 0) buffer_busy_[t.buffer] = std::max(buffer_busy_[t.buffer], end);
  if (copy_out) {  // the overlay buffer it reads stays in use until the copy has landed
    const int b = pt.buffer_of(t.src);
    if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], end);
  }
  if (record_)
    result_.timeline.push_back(
        {lane, op_index, part, copy_out ? EventKind::CopyOut : EventKind::CopyIn, t.operand, start, end});
  return end;
}

const SimResult& ReferenceSimulator::run(const Network& net, const Plan& plan, bool record_timeline) {
  reset(net, plan, record_timeline);
  const auto& ops = plan.ops;
  double next_land = 0;  // when the copies issued ahead for the coming part land
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpPlan& op_plan = ops[i];
    const Op& op = net.op(op_plan.op);
    const OpGeometry& g = *plan_tables_.geometry[op.id];
    OpStats& stats = result_.per_op[i];
    stats.op = op.id;
    stats.parts = int(op_plan.parts.size());
    stats.start = cpu_;
    for (size_t p = 0; p < op_plan.parts.size(); ++p) {
      const Part& part = op_plan.parts[p];
      const bool issued_ahead = part.copy_ahead && (i > 0 || p > 0);
      // 1. Copies not issued ahead are issued now; wait for the part's inputs.
      double land = issued_ahead ? next_land : cpu_;
      if (!issued_ahead)
        for (const Transfer& t : part.copy_in)
          land = std::max(land, issue(t, op, int(i), int(p), cpu_, nullptr, false));
      for (const Transfer& t : part.copy_when_due)
        land = std::max(land, issue(t, op, int(i), int(p), cpu_, nullptr, false));
      double ready = land;
      bool input_copied = false;
      for (const Transfer& t : part.copy_in) input_copied |= (t.operand == Operand::Input);
      if (!input_copied) ready = std::max(ready, tensor_ready_[op.inputs[0]]);
      if (op.inputs.size() > 1) ready = std::max(ready, tensor_ready_[later_input(op)]);
      if (!part.copy_out.empty()) {
        int b = part.copy_out.front().buffer >= 0 ? part.copy_out.front().buffer
                                                  : plan_tables_.buffer_of(part.at[int(Operand::Output)]);
        if (b >= 0) ready = std::max(ready, buffer_busy_[b]);
      }
      if (ready > cpu_) {
        if (record_) result_.timeline.push_back({0, int(i), int(p), EventKind::Wait, Operand::Input, cpu_, ready});
        stats.exposed_dma_cycles += ready - cpu_;
        cpu_ = ready;
      }
      // 2. The next part's copies, issued ahead, overlap this part's compute.
      PartCost cost = plan_tables_.part_cost(tables_, g, part);
      const Part* next = p + 1 < op_plan.parts.size() ? &op_plan.parts[p + 1]
                         : i + 1 < ops.size()         ? &ops[i + 1].parts.front()
                                                      : nullptr;
      if (next && next->copy_ahead) {
        const size_t ni = p + 1 < op_plan.parts.size() ? i : i + 1;
        const int np = p + 1 < op_plan.parts.size() ? int(p + 1) : 0;
        const Op& next_op = net.op(ops[ni].op);
        next_land = cpu_;
        for (const Transfer& t : next->copy_in)
          next_land = std::max(next_land, issue(t, next_op, int(ni), np, cpu_, &cost, false));
      }
      // 3. Compute, with stalls growing under concurrent DMA on the same memory.
      if (!active_.empty())
        active_.erase(std::remove_if(active_.begin(), active_.end(), [&](const Active& a) { return a.end <= cpu_; }),
                      active_.end());
      const double nominal = cost.compute + cost.stall;
      const double stall = cost.stall + sim::stall_contention(cost, active_.data(), active_.data() + active_.size(),
                                                              sim::all_memories(plan_tables_.memories),
                                                              board_.bus.cpu_stall_increase.value, cpu_, nominal);
      const double start = cpu_;
      cpu_ += cost.compute + stall;
      if (record_) result_.timeline.push_back({0, int(i), int(p), EventKind::Compute, Operand::Output, start, cpu_});
      stats.compute_cycles += cost.compute;
      stats.stall_cycles += stall;
      stats.external_bytes += cost.external_bytes;
      result_.external_cpu_bytes += cost.external_bytes;
      touch_buffers(part, cpu_);
      // 4. Output overlay: copy the part's output to its home.
      double out_ready = cpu_;
      for (const Transfer& t : part.copy_out)
        out_ready = std::max(out_ready, issue(t, op, int(i), int(p), cpu_, nullptr, true));
      tensor_ready_[op.output] = std::max(tensor_ready_[op.output], out_ready);
    }
    stats.end = cpu_;
  }
  // The network is done when the CPU is and the last output copy has landed.
  double end = cpu_;
  for (const Stream& s : streams_) end = std::max(end, s.free_at);
  result_.total_cycles = end;
  result_.latency_ms = board_.cycles_to_ms(end);
  return result_;
}

}  // namespace tinyops
