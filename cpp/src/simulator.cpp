#include "tinyops/simulator.hpp"

#include <algorithm>

#include "tinyops/error.hpp"

namespace tinyops {

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

Simulator::Simulator(const Board& board) : board_(board) {
  memory_count_ = int(board.memories.size());
  if (memory_count_ > 8) throw InputError(board.source, "memories", "expected at most 8 memories");
  dcache_bytes_ = board.cpu.dcache_bytes.value;
  link_engine_.assign(size_t(memory_count_) * memory_count_, -1);
  link_bpc_.assign(size_t(memory_count_) * memory_count_, 0);
  for (size_t e = 0; e < board.dma.size(); ++e) {
    const DmaEngine& engine = board.dma[e];
    engine_setup_.push_back(engine.setup_cycles.value);
    engine_issue_.push_back(engine.cpu_issue_cycles.value);
    for (const DmaLink& l : engine.links) {
      size_t k = size_t(board.memory_index(l.from)) * memory_count_ + board.memory_index(l.to);
      if (link_engine_[k] < 0) link_engine_[k] = int(e), link_bpc_[k] = l.bytes_per_cycle.value;
    }
    for (int s = 0; s < int(engine.streams.value); ++s) streams_.push_back(Stream{int(e), 0});
  }
}

void Simulator::reset(const Network& net, const Plan& plan, bool record) {
  if (!plan.fits) throw PlanningError("plan " + plan.strategy + " of " + plan.network + " on " + plan.board + " does not fit: " + plan.why);
  if (plan.ops.size() != net.ops().size() || plan.tensor_home.size() != net.tensors().size())
    throw PlanningError("plan of " + plan.network + " does not match network " + net.name() + " (op or tensor count)");
  net_ = &net;
  plan_ = &plan;
  record_ = record;
  plan_memories_ = int(plan.memories.size());
  if (plan_memories_ > kMaxPlanMemories) throw PlanningError("plan uses more than 8 memories");
  memory_map_.resize(plan_memories_);
  memory_cost_.resize(plan_memories_);
  for (int i = 0; i < plan_memories_; ++i) {
    const int m = memory_map_[i] = board_.memory_index(plan.memories[i]);
    if (m < 0) throw PlanningError("plan uses memory " + plan.memories[i] + ", which board " + board_.name + " does not have");
    const Memory& mem = board_.memories[m];
    memory_cost_[i] = MemoryCost{mem.read_cycles_per_byte.value, mem.write_cycles_per_byte.value, mem.cached,
                                 mem.kind == MemoryKind::External};
  }
  plan_link_engine_.resize(size_t(plan_memories_) * plan_memories_);
  plan_link_bpc_.resize(plan_link_engine_.size());
  for (int a = 0; a < plan_memories_; ++a)
    for (int b = 0; b < plan_memories_; ++b) {
      const size_t k = size_t(memory_map_[a]) * memory_count_ + memory_map_[b];
      plan_link_engine_[size_t(a) * plan_memories_ + b] = link_engine_[k];
      plan_link_bpc_[size_t(a) * plan_memories_ + b] = link_bpc_[k];
    }
  staging_.clear();
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer& buf = plan.buffers[b];
    if (buf.kind != BufferKind::Arena)
      staging_.push_back(StagingBuffer{buf.region.memory, buf.region.offset, buf.region.end(), int(b)});
  }
  for (Stream& s : streams_) s.free_at = 0;
  buffer_busy_.assign(plan.buffers.size(), 0.0);
  tensor_ready_.assign(net.tensors().size(), 0.0);
  active_.clear();
  geometry_.resize(net.ops().size());
  for (const Op& op : net.ops()) geometry_[op.id] = op_geometry(net, op);
  cpu_ = 0;
  result_.board = board_.name;
  result_.strategy = plan.strategy;
  result_.external_dma_bytes = result_.external_cpu_bytes = 0;
  result_.per_op.assign(net.ops().size(), OpStats{});
  result_.timeline.clear();
  result_.peak_sram_bytes = plan.peak_sram_bytes();
}

Simulator::PartCost Simulator::part_cost(const OpGeometry& g, const Part& part) const {
  PartCost cost;
  const PartWork work = part_work(g, part);
  cost.compute = compute_cycles(board_.kernels[int(g.kind)], work);
  for (int k = 0; k < kOperandCount; ++k) {
    const Region& r = part.at[k];
    if (!r.present() || r.bytes == 0 || Operand(k) == Operand::Scratch) continue;
    const MemoryCost& mc = memory_cost_[r.memory];
    if (mc.read_cpb == 0 && mc.write_cpb == 0 && !mc.external) continue;  // SRAM: nothing to count
    double bytes = double(r.bytes);
    double cycles;
    if (Operand(k) == Operand::Output) {
      cycles = bytes * mc.write_cpb;
    } else {
      bytes *= read_passes(g, Operand(k), bytes, work.out_pixels, mc.cached, dcache_bytes_);
      cycles = bytes * mc.read_cpb;
    }
    cost.stall_by_memory[r.memory] += cycles;
    cost.stall += cycles;
    if (mc.external) cost.external_bytes += int64_t(bytes);
  }
  return cost;
}

double Simulator::stall_contention(const PartCost& cost, double start, double nominal) const {
  if (cost.stall <= 0 || active_.empty() || nominal <= 0) return 0;
  double extra = 0;
  const double end = start + nominal;
  for (int m = 0; m < plan_memories_; ++m) {
    if (cost.stall_by_memory[m] <= 0) continue;
    double overlap = 0;
    for (const Active& a : active_)
      if (a.src == m || a.dst == m) overlap += std::max(0.0, std::min(end, a.end) - std::max(start, a.start));
    extra += cost.stall_by_memory[m] * board_.bus.cpu_stall_increase.value * std::min(1.0, overlap / nominal);
  }
  return extra;
}

int Simulator::buffer_of(const Region& r) const {
  for (const StagingBuffer& s : staging_)
    if (s.memory == r.memory && r.offset >= s.begin && r.offset + r.bytes <= s.end) return s.index;
  return -1;
}

void Simulator::touch_buffers(const Part& part, double until) {
  if (staging_.empty()) return;  // only arenas: nothing is refilled by DMA
  for (const Region& r : part.at) {
    if (!r.present()) continue;
    int b = buffer_of(r);
    if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], until);
  }
}

double Simulator::issue(const Transfer& t, const Op& op, int op_index, int part, double when,
                        const PartCost* concurrent, bool copy_out) {
  const int src = t.src.memory, dst = t.dst.memory;  // plan memories
  OpStats& stats = result_.per_op[op_index];
  double ready = when;
  if (t.operand == Operand::Input || t.operand == Operand::Input2) {
    const size_t which = t.operand == Operand::Input ? 0 : 1;
    if (which < op.inputs.size()) ready = std::max(ready, tensor_ready_[op.inputs[which]]);
  }
  if (t.buffer >= 0 && !copy_out) ready = std::max(ready, buffer_busy_[t.buffer]);
  const int64_t bytes = t.src.bytes;
  if (memory_cost_[src].external || memory_cost_[dst].external) {
    result_.external_dma_bytes += bytes;
    stats.external_bytes += bytes;
  }
  stats.dma_bytes += bytes;

  double start, end;
  int lane;
  if (streams_.empty()) {  // no DMA engine: the CPU copies, synchronously
    start = std::max(ready, cpu_);
    end = start + double(bytes) * (board_.cpu.memcpy_cycles_per_byte.value + memory_cost_[src].read_cpb +
                                   memory_cost_[dst].write_cpb);
    stats.exposed_dma_cycles += end - cpu_;
    cpu_ = end;
    lane = 0;
  } else {
    const size_t k = size_t(src) * plan_memories_ + dst;
    const int engine = plan_link_engine_[k];
    if (engine < 0)
      throw PlanningError("plan copies " + plan_->memories[src] + " -> " + plan_->memories[dst] + " but board " +
                          board_.name + " has no DMA link between them");
    // The CPU programs the transfer (and cleans the D-cache lines it covers).
    const double issue_cycles = engine_issue_[engine];
    if (record_ && issue_cycles > 0)
      result_.timeline.push_back({0, op_index, part, EventKind::Issue, t.operand, cpu_, cpu_ + issue_cycles});
    cpu_ += issue_cycles;
    stats.overhead_cycles += issue_cycles;
    ready = std::max(ready, cpu_);
    Stream* best = nullptr;
    for (Stream& s : streams_)
      if (s.engine == engine && (!best || s.free_at < best->free_at)) best = &s;
    start = std::max(ready, best->free_at);
    double pressure = 0;
    if (concurrent && concurrent->compute + concurrent->stall > 0)
      pressure = std::max(concurrent->stall_by_memory[src], concurrent->stall_by_memory[dst]) /
                 (concurrent->compute + concurrent->stall);
    const double duration =
        engine_setup_[engine] + double(bytes) / plan_link_bpc_[k] * (1 + board_.bus.dma_slowdown.value * pressure);
    end = start + duration;
    best->free_at = end;
    lane = 1 + int(best - streams_.data());
    active_.push_back(Active{start, end, src, dst});
  }
  stats.dma_cycles += end - start;
  if (t.buffer >= 0) buffer_busy_[t.buffer] = std::max(buffer_busy_[t.buffer], end);
  if (copy_out) {  // the overlay buffer it reads stays in use until the copy has landed
    const int b = buffer_of(t.src);
    if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], end);
  }
  if (record_)
    result_.timeline.push_back(
        {lane, op_index, part, copy_out ? EventKind::CopyOut : EventKind::CopyIn, t.operand, start, end});
  return end;
}

const SimResult& Simulator::run(const Network& net, const Plan& plan, bool record_timeline) {
  reset(net, plan, record_timeline);
  const auto& ops = plan.ops;
  double next_land = 0;  // when the copies issued ahead for the coming part land
  for (size_t i = 0; i < ops.size(); ++i) {
    const OpPlan& op_plan = ops[i];
    const Op& op = net.op(op_plan.op);
    const OpGeometry& g = geometry_[op.id];
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
        for (const Transfer& t : part.copy_in) land = std::max(land, issue(t, op, int(i), int(p), cpu_, nullptr, false));
      for (const Transfer& t : part.copy_when_due) land = std::max(land, issue(t, op, int(i), int(p), cpu_, nullptr, false));
      double ready = land;
      bool input_copied = false;
      for (const Transfer& t : part.copy_in) input_copied |= (t.operand == Operand::Input);
      if (!input_copied) ready = std::max(ready, tensor_ready_[op.inputs[0]]);
      if (op.inputs.size() > 1) ready = std::max(ready, tensor_ready_[op.inputs[1]]);
      if (!part.copy_out.empty()) {
        int b = part.copy_out.front().buffer >= 0 ? part.copy_out.front().buffer : buffer_of(part.at[int(Operand::Output)]);
        if (b >= 0) ready = std::max(ready, buffer_busy_[b]);
      }
      if (ready > cpu_) {
        if (record_) result_.timeline.push_back({0, int(i), int(p), EventKind::Wait, Operand::Input, cpu_, ready});
        stats.exposed_dma_cycles += ready - cpu_;
        cpu_ = ready;
      }
      // 2. The next part's copies, issued ahead, overlap this part's compute.
      PartCost cost = part_cost(g, part);
      const Part* next = p + 1 < op_plan.parts.size() ? &op_plan.parts[p + 1]
                         : i + 1 < ops.size()        ? &ops[i + 1].parts.front()
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
      const double stall = cost.stall + stall_contention(cost, cpu_, nominal);
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
      for (const Transfer& t : part.copy_out) out_ready = std::max(out_ready, issue(t, op, int(i), int(p), cpu_, nullptr, true));
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

SimResult simulate(const Network& net, const Plan& plan, const Board& board, bool record_timeline) {
  Simulator sim(board);
  return sim.run(net, plan, record_timeline);
}

}  // namespace tinyops
