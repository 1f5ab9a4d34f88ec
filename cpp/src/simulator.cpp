#include "tinyops/simulator.hpp"

#include <algorithm>

#include "tinyops/error.hpp"
#include "tinyops/simulator_reference.hpp"

namespace tinyops {

using sim::Active;
using sim::PartCost;

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::Compute: return "compute";
    case EventKind::Wait: return "wait";
    case EventKind::Issue: return "issue";
    case EventKind::CopyIn: return "copy_in";
    case EventKind::CopyOut: return "copy_out";
  }
  return "?";
}

Simulator::Simulator(const Board& board) : board_(board), tables_(board) {
  for (int e : tables_.stream_engine) streams_.push_back(Stream{e, 0});
  // Board files are validated non-negative; a Board edited in code might not be.
  board_non_negative_ = board.bus.cpu_stall_increase.value >= 0 && board.cpu.memcpy_cycles_per_byte.value >= 0;
  for (double c : tables_.engine_issue) board_non_negative_ &= c >= 0;
  for (const Memory& m : board.memories)
    board_non_negative_ &= m.read_cycles_per_byte.value >= 0 && m.write_cycles_per_byte.value >= 0;
}
Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;

void Simulator::reset(const Network& net, const Plan& plan) {
  plan_tables_.reset(board_, tables_, net, plan);
  for (Stream& s : streams_) s.free_at = 0;
  buffer_busy_.assign(plan.buffers.size(), 0.0);
  tensor_ready_.assign(net.tensors().size(), 0.0);
  result_.board = board_.name;
  result_.strategy = plan.strategy;
  result_.external_dma_bytes = result_.external_cpu_bytes = 0;
  result_.per_op.assign(net.ops().size(), OpStats{});
  result_.timeline.clear();
  result_.peak_sram_bytes = plan.peak_sram_bytes();
}

const SimResult& Simulator::reference_run(const Network& net, const Plan& plan, bool record_timeline) {
  if (!reference_) reference_ = std::make_unique<ReferenceSimulator>(board_);
  return reference_->run(net, plan, record_timeline);
}

const SimResult& Simulator::run(const Network& net, const Plan& plan, bool record_timeline) {
  if (record_timeline) return reference_run(net, plan, true);
  reset(net, plan);
  const sim::PlanTables& pt = plan_tables_;
  const auto& ops = plan.ops;
  // Whether the CPU's clock only moved forward (see the buffer marks below); if not, the reference reruns.
  bool monotone = board_non_negative_;
  const bool cpu_copies = streams_.empty();
  const double cpu_stall_increase = board_.bus.cpu_stall_increase.value;
  const double dma_slowdown = board_.bus.dma_slowdown.value;
  const double memcpy_cpb = board_.cpu.memcpy_cycles_per_byte.value;
  // The CPU lane's clock lives in a local so that the chain of waits, issues and computes stays in registers.
  double cpu = 0;
  size_t n_active = 0;  // transfers in flight: active_[0, n_active)

  // Issues one transfer now (at `cpu`); returns when it lands. `concurrent` is the part computing meanwhile.
  auto issue = [&](const Transfer& t, const Op& op, OpStats& stats, const PartCost* concurrent,
                   bool copy_out) __attribute__((always_inline)) -> double {
    const int src = t.src.memory, dst = t.dst.memory;  // plan memories
    double ready = cpu;
    if (t.operand == Operand::Input) {
      ready = std::max(ready, tensor_ready_[op.inputs[0]]);
    } else if (t.operand == Operand::Input2 && op.inputs.size() > 1) {
      ready = std::max(ready, tensor_ready_[op.inputs[1]]);
    }
    if (t.buffer >= 0 && !copy_out) ready = std::max(ready, buffer_busy_[t.buffer]);
    const int64_t bytes = t.src.bytes;
    if (pt.touches_external(src, dst)) {
      result_.external_dma_bytes += bytes;
      stats.external_bytes += bytes;
    }
    stats.dma_bytes += bytes;
    double start, end;
    if (cpu_copies) {  // no DMA engine: the CPU copies, synchronously
      start = std::max(ready, cpu);
      end = start + pt.cpu_copy_cycles(memcpy_cpb, src, dst, bytes);
      monotone &= bytes >= 0;
      stats.exposed_dma_cycles += end - cpu;
      cpu = end;
    } else {
      const int engine = pt.dma_engine(plan, board_, src, dst);
      const double issue_cycles = tables_.engine_issue[engine];
      cpu += issue_cycles;
      stats.overhead_cycles += issue_cycles;
      ready = std::max(ready, cpu);
      Stream* best = nullptr;
      for (Stream& s : streams_)
        if (s.engine == engine && (!best || s.free_at < best->free_at)) best = &s;
      start = std::max(ready, best->free_at);
      const double pressure = sim::dma_pressure(concurrent, src, dst);
      end = start + pt.dma_cycles(tables_, dma_slowdown, engine, src, dst, bytes, pressure);
      best->free_at = end;
      if (n_active == active_.size()) active_.resize(2 * n_active + 4);
      active_[n_active++] = Active{start, end, src, dst};
    }
    stats.dma_cycles += end - start;
    if (t.buffer >= 0) buffer_busy_[t.buffer] = std::max(buffer_busy_[t.buffer], end);
    if (copy_out) {  // the overlay buffer it reads stays in use until the copy has landed
      const int b = pt.buffer_of(t.src);
      if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], end);
    }
    return end;
  };

  double next_land = 0;  // when the copies issued ahead for the coming part land
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpPlan& op_plan = ops[i];
    const Op& op = net.op(op_plan.op);
    const OpGeometry& g = *pt.geometry[op.id];
    OpStats& stats = result_.per_op[i];
    stats.op = op.id;
    stats.parts = int(op_plan.parts.size());
    stats.start = cpu;
    const size_t n_parts = op_plan.parts.size();
    const int input = op.inputs[0], input2 = op.inputs.size() > 1 ? op.inputs[1] : -1;
    for (size_t p = 0; p < n_parts; ++p) {
      const Part& part = op_plan.parts[p];
      const bool issued_ahead = part.copy_ahead && (i > 0 || p > 0);
      // 1. Copies not issued ahead are issued now; wait for the part's inputs.
      double land = issued_ahead ? next_land : cpu;
      bool input_copied = false;
      for (const Transfer& t : part.copy_in) {
        input_copied |= (t.operand == Operand::Input);
        if (!issued_ahead) land = std::max(land, issue(t, op, stats, nullptr, false));
      }
      for (const Transfer& t : part.copy_when_due) land = std::max(land, issue(t, op, stats, nullptr, false));
      double ready = land;
      if (!input_copied) ready = std::max(ready, tensor_ready_[input]);
      if (input2 >= 0) ready = std::max(ready, tensor_ready_[input2]);
      if (!part.copy_out.empty()) {
        int b = part.copy_out.front().buffer >= 0 ? part.copy_out.front().buffer
                                                  : pt.buffer_of(part.at[int(Operand::Output)]);
        if (b >= 0) ready = std::max(ready, buffer_busy_[b]);
      }
      if (ready > cpu) {
        stats.exposed_dma_cycles += ready - cpu;
        cpu = ready;
      }
      // 2. The next part's copies, issued ahead, overlap this part's compute.
      const PartCost cost = pt.part_cost(tables_, g, part);
      const bool last = p + 1 == n_parts;
      const Part* next = !last ? &op_plan.parts[p + 1] : i + 1 < ops.size() ? &ops[i + 1].parts.front() : nullptr;
      if (next && next->copy_ahead) {
        const Op& next_op = last ? net.op(ops[i + 1].op) : op;
        OpStats& next_stats = last ? result_.per_op[i + 1] : stats;
        next_land = cpu;
        for (const Transfer& t : next->copy_in) next_land = std::max(next_land, issue(t, next_op, next_stats, &cost, false));
      }
      // 3. Compute, with stalls growing under concurrent DMA on the same memory.
      n_active = size_t(std::remove_if(active_.data(), active_.data() + n_active,
                                       [&](const Active& a) { return a.end <= cpu; }) - active_.data());
      const double nominal = cost.compute + cost.stall;
      const double stall = cost.stall + sim::stall_contention(cost, active_.data(), active_.data() + n_active,
                                                              pt.memories, cpu_stall_increase, cpu, nominal);
      cpu += cost.compute + stall;
      stats.compute_cycles += cost.compute;
      stats.stall_cycles += stall;
      stats.external_bytes += cost.external_bytes;
      result_.external_cpu_bytes += cost.external_bytes;
      // The reference also marks the staging buffers this part used as busy until `cpu`. Every later read of
      // buffer_busy_ takes the max with a time no earlier than the CPU's clock then, and that clock never runs
      // backwards while all costs are non-negative, so those marks can never win: skipped (checked below).
      monotone &= cost.compute + stall >= 0;
      // 4. Output overlay: copy the part's output to its home.
      double out_ready = cpu;
      for (const Transfer& t : part.copy_out) out_ready = std::max(out_ready, issue(t, op, stats, nullptr, true));
      tensor_ready_[op.output] = std::max(tensor_ready_[op.output], out_ready);
    }
    stats.end = cpu;
  }
  if (!monotone) return reference_run(net, plan, false);
  // The network is done when the CPU is and the last output copy has landed.
  double end = cpu;
  for (const Stream& s : streams_) end = std::max(end, s.free_at);
  result_.total_cycles = end;
  result_.latency_ms = board_.cycles_to_ms(end);
  return result_;
}

SimResult simulate(const Network& net, const Plan& plan, const Board& board, bool record_timeline) {
  if (record_timeline) return ReferenceSimulator(board).run(net, plan, true);
  Simulator sim(board);
  return sim.run(net, plan, false);
}

}  // namespace tinyops
