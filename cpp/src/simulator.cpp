#include "tinyops/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <type_traits>
#include <utility>

#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
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
  board_non_negative_ = board.bus.cpu_stall_increase.value >= 0 && std::isfinite(board.bus.cpu_stall_increase.value) &&
                        board.cpu.memcpy_cycles_per_byte.value >= 0;
  for (double c : tables_.engine_issue) board_non_negative_ &= c >= 0;
  for (const Memory& m : board.memories)
    board_non_negative_ &= m.read_cycles_per_byte.value >= 0 && m.write_cycles_per_byte.value >= 0;
}
Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;

void Simulator::reset(const Network& net, const Plan& plan, bool geometries) {
  plan_tables_.reset(board_, tables_, net, plan, geometries);
  for (Stream& s : streams_) s.free_at = 0;
  buffer_busy_.assign(plan.buffers.size(), 0.0);
  tensor_ready_.assign(net.tensors().size(), 0.0);
  result_.board = board_.name;
  result_.strategy = plan.strategy;
  result_.external_dma_bytes = result_.external_cpu_bytes = 0;
  if (geometries)
    result_.per_op.assign(net.ops().size(), OpStats{});  // (run_compiled keeps no per-op figures)
  else
    result_.per_op.clear();
  result_.timeline.clear();
  result_.peak_sram_bytes = plan.peak_sram_bytes();
}

const SimResult& Simulator::reference_run(const Network& net, const Plan& plan, bool record_timeline) {
  if (!reference_) reference_ = std::make_unique<ReferenceSimulator>(board_);
  return reference_->run(net, plan, record_timeline);
}

namespace {

// What the walk needs of an op besides its parts.
struct OpView {
  int id;
  int input, input2, output;   // tensor ids; input2 -1 when the op has one input
  const OpGeometry* geometry;  // (a plan's ops are costed as they are walked)
  // The tensor a copy waits for, by its sim::waited_input() (a branch: predicted, it costs less than a load).
  static int waited(int wait_input, const OpView& op) {
    return wait_input == 1 ? op.input : wait_input == 2 ? op.input2 : -1;
  }
};

// The two kinds of ops the walk times. A plan's ops, costed and resolved as they are walked (a plan is mostly
// simulated once: compiling it first would only add a pass), and compiled ops (Simulator::run_compiled).
struct PlanOps {
  const Plan& plan;
  const sim::PlanTables& pt;
  const sim::BoardTables& tables;
  const Board& board;
  size_t size() const { return plan.ops.size(); }
  OpView op(const Network& net, size_t i) const {
    const Op& o = net.op(plan.ops[i].op);
    return OpView{o.id, o.inputs[0], later_input(o), o.output, pt.geometry[size_t(o.id)]};
  }
  const std::vector<Part>& parts(size_t i) const { return plan.ops[i].parts; }
  PartCost cost(const OpView& op, const Part& part) const { return pt.part_cost(tables, *op.geometry, part); }
  static bool copy_ahead(const Part& part) { return part.copy_ahead; }
  uint32_t stalling(const Part&) const { return sim::all_memories(pt.memories); }  // (zero ones are skipped)
  static bool brings_input(const Transfer& t) { return t.operand == Operand::Input; }
  int out_wait_buffer(const Part& part) const { return sim::out_wait_buffer(pt, part); }
  static std::span<const Transfer> copy_in(const Part& part) { return part.copy_in; }
  static std::span<const Transfer> copy_when_due(const Part& part) { return part.copy_when_due; }
  static std::span<const Transfer> copy_out(const Part& part) { return part.copy_out; }
  // A copy's facts, worked out where the walk needs them (compile_op works them out once for a compiled op).
  static int wait_tensor(const Transfer& t, const OpView& op) {
    return OpView::waited(sim::waited_input(t.operand, op.input2 >= 0), op);
  }
  static int buffer(const Transfer& t) { return t.buffer; }
  static int src(const Transfer& t) { return t.src.memory; }
  static int dst(const Transfer& t) { return t.dst.memory; }
  static int64_t bytes(const Transfer& t) { return t.src.bytes; }
  bool external(const Transfer& t) const { return pt.touches_external(t.src.memory, t.dst.memory); }
  double cpu_cycles(const Transfer& t) const {
    return pt.cpu_copy_cycles(board.cpu, t.src.memory, t.dst.memory, t.src.bytes);
  }
  int engine(const Transfer& t) const { return pt.dma_engine(plan, board, t.src.memory, t.dst.memory); }
  double issue_cycles(const Transfer&, int engine) const { return tables.engine_issue[size_t(engine)]; }
  double setup_cycles(const Transfer&, int engine) const { return tables.engine_setup[size_t(engine)]; }
  sim::StreamRange streams(const Transfer&, int engine) const { return tables.engine_streams[size_t(engine)]; }
  double link_cycles(const Transfer& t) const { return pt.link_cycles(t.src.memory, t.dst.memory, t.src.bytes); }
  int source_buffer(const Transfer& t) const { return pt.buffer_of(t.src); }
  // What a copy issued during a part reads to know how busy the part keeps the bus (see dma_pressure).
  static const PartCost* pressure_source(const Part&, const PartCost& cost) { return &cost; }
  static double pressure(const PartCost* concurrent, int src, int dst) {
    return sim::dma_pressure(concurrent, src, dst);
  }
};

struct CompiledOps {
  const std::vector<Simulator::Step>& steps;
  size_t size() const { return steps.size(); }
  OpView op(const Network&, size_t i) const {
    const Simulator::Step& s = steps[i];
    return OpView{s.op_id, s.input, s.input2, s.output, nullptr};
  }
  const std::vector<sim::CompiledPart>& parts(size_t i) const { return steps[i].op->parts; }
  static const PartCost& cost(const OpView&, const sim::CompiledPart& part) { return part.cost; }
  static bool copy_ahead(const sim::CompiledPart& part) { return part.copy_ahead; }
  static uint32_t stalling(const sim::CompiledPart& part) { return part.stalling; }
  static bool brings_input(const sim::CompiledTransfer& t) { return t.wait_input == 1; }
  static int out_wait_buffer(const sim::CompiledPart& part) { return part.out_wait_buffer; }
  static std::span<const sim::CompiledTransfer> copy_in(const sim::CompiledPart& part) {
    return {part.copies, size_t(part.copy_in)};
  }
  static std::span<const sim::CompiledTransfer> copy_when_due(const sim::CompiledPart& part) {
    return {part.copies + part.copy_in, size_t(part.copy_when_due)};
  }
  static std::span<const sim::CompiledTransfer> copy_out(const sim::CompiledPart& part) {
    return {part.copies + part.copy_in + part.copy_when_due, size_t(part.copy_out)};
  }
  // The op's external traffic, summed when it was compiled.
  std::pair<int64_t, int64_t> external_bytes(size_t i) const {
    return {steps[i].op->external_dma_bytes, steps[i].op->external_cpu_bytes};
  }
  static int wait_tensor(const sim::CompiledTransfer& t, const OpView& op) { return OpView::waited(t.wait_input, op); }
  static int buffer(const sim::CompiledTransfer& t) { return t.buffer; }
  static int src(const sim::CompiledTransfer& t) { return t.src; }
  static int dst(const sim::CompiledTransfer& t) { return t.dst; }
  static int64_t bytes(const sim::CompiledTransfer& t) { return t.bytes; }
  static bool external(const sim::CompiledTransfer& t) { return t.external; }
  static double cpu_cycles(const sim::CompiledTransfer& t) { return t.cpu_cycles; }
  static int engine(const sim::CompiledTransfer& t) { return t.engine; }
  static double issue_cycles(const sim::CompiledTransfer& t, int) { return t.issue_cycles; }
  static double setup_cycles(const sim::CompiledTransfer& t, int) { return t.setup_cycles; }
  static sim::StreamRange streams(const sim::CompiledTransfer& t, int) { return t.streams; }
  static double link_cycles(const sim::CompiledTransfer& t) { return t.link_cycles; }
  static int source_buffer(const sim::CompiledTransfer& t) { return t.source_buffer; }
  static const sim::CompiledPart* pressure_source(const sim::CompiledPart& part, const PartCost&) { return &part; }
  static double pressure(const sim::CompiledPart* concurrent, int src, int dst) {
    return concurrent ? std::max(concurrent->pressure[src], concurrent->pressure[dst]) : 0.0;
  }
};

}  // namespace

const SimResult& Simulator::run(const Network& net, const Plan& plan, bool record_timeline) {
  if (record_timeline) return reference_run(net, plan, true);
  reset(net, plan);
  if (!walk<true>(net, PlanOps{plan, plan_tables_, tables_, board_})) {
    log::simulator().warn(
        "{} plan of {} on {}: a cost ran the fast walk's clock backwards; simulated by the "
        "reference instead",
        plan.strategy, net.name(), board_.name);
    return reference_run(net, plan, false);
  }
  return result_;
}

void Simulator::prepare(const Network& net, const Plan& plan) { reset(net, plan, false); }

const OpGeometry& Simulator::geometry(const Network& net, const Op& op) {
  return *plan_tables_.cached_geometry(sim::PlanTables::geometry_key(net, op), net, op);
}

bool Simulator::run_compiled(const Network& net, const std::vector<Step>& steps) {
  return walk<false>(net, CompiledOps{steps});
}

template <bool kStats, typename Ops>
bool Simulator::walk(const Network& net, const Ops& ops) {
  // Whether the CPU's clock only moved forward (see the buffer marks below); if not, the reference reruns.
  bool monotone = board_non_negative_;
  const bool cpu_copies = streams_.empty();
  const double cpu_stall_increase = board_.bus.cpu_stall_increase.value;
  const double dma_slowdown = board_.bus.dma_slowdown.value;
  // The CPU lane's clock lives in a local so that the chain of waits, issues and computes stays in registers.
  double cpu = 0;
  size_t n_active = 0;  // transfers in flight: active_[0, n_active)
  int64_t external_dma_bytes = 0, external_cpu_bytes = 0;
  OpStats no_stats;

  // Issues one transfer now (at `cpu`); returns when it lands. `concurrent` is the part computing meanwhile.
  using PartOf = std::remove_cvref_t<decltype(ops.parts(0).front())>;
  using PressureSource = decltype(Ops::pressure_source(std::declval<const PartOf&>(), std::declval<const PartCost&>()));
  const PressureSource no_part = nullptr;
  // `concurrent`: what ops.pressure() reads of the part computing meanwhile (no_part: none).
  auto issue = [&](const auto& t, const OpView& op, OpStats& stats, const auto* concurrent, bool copy_out)
                   __attribute__((always_inline))
                       ->double {
    const int src = ops.src(t), dst = ops.dst(t), buffer = ops.buffer(t);  // plan memories, buffer
    double ready = cpu;
    const int tensor = ops.wait_tensor(t, op);
    if (tensor >= 0) ready = std::max(ready, tensor_ready_[tensor]);
    if (buffer >= 0 && !copy_out) ready = std::max(ready, buffer_busy_[buffer]);  // a copy-out never waits for it
    const int64_t bytes = ops.bytes(t);
    if constexpr (kStats) {  // (else counted op by op)
      if (ops.external(t)) {
        external_dma_bytes += bytes;
        stats.external_bytes += bytes;
      }
      stats.dma_bytes += bytes;
    }
    double start, end;
    if (cpu_copies) {  // no DMA engine: the CPU copies, synchronously
      start = std::max(ready, cpu);
      end = start + ops.cpu_cycles(t);
      monotone &= bytes >= 0;
      if constexpr (kStats) stats.exposed_dma_cycles += end - cpu;
      cpu = end;
    } else {
      const int engine = ops.engine(t);
      const double issue_cycles = ops.issue_cycles(t, engine);
      cpu += issue_cycles;
      if constexpr (kStats) stats.overhead_cycles += issue_cycles;
      ready = std::max(ready, cpu);
      const auto [first, count] = ops.streams(t, engine);
      Stream* const streams = &streams_[size_t(first)];
      int best = 0;  // the first of the earliest free (a predicted branch: a select measured 10% slower)
      for (int k = 1; k < count; ++k)
        if (streams[k].free_at < streams[best].free_at) best = k;
      const double best_free = streams[best].free_at;
      start = std::max(ready, best_free);
      const double pressure = ops.pressure(concurrent, src, dst);
      end = start + sim::dma_time(ops.setup_cycles(t, engine), ops.link_cycles(t), dma_slowdown, pressure);
      streams[best].free_at = end;
      if (n_active == active_.size()) active_.resize(2 * n_active + 4);
      active_[n_active++] = Active{start, end, src, dst};
    }
    if constexpr (kStats) stats.dma_cycles += end - start;
    if (buffer >= 0) buffer_busy_[buffer] = std::max(buffer_busy_[buffer], end);
    if (copy_out) {  // the overlay buffer it reads stays in use until the copy has landed
      const int b = ops.source_buffer(t);
      if (b >= 0) buffer_busy_[b] = std::max(buffer_busy_[b], end);
    }
    return end;
  };

  double next_land = 0;  // when the copies issued ahead for the coming part land
  const size_t n_ops = ops.size();
  for (size_t i = 0; i < n_ops; ++i) {
    const auto& parts = ops.parts(i);
    const OpView op = ops.op(net, i);
    OpStats& stats = kStats ? result_.per_op[i] : no_stats;
    if constexpr (kStats) {
      stats.op = op.id;
      stats.parts = int(parts.size());
      stats.start = cpu;
    }
    const size_t n_parts = parts.size();
    const int input = op.input, input2 = op.input2;
    if constexpr (!kStats) {
      const auto [dma, cpu_bytes] = ops.external_bytes(i);
      external_dma_bytes += dma;
      external_cpu_bytes += cpu_bytes;
    }
    for (size_t p = 0; p < n_parts; ++p) {
      const auto& part = parts[p];
      const bool issued_ahead = ops.copy_ahead(part) && (i > 0 || p > 0);
      // 1. Copies not issued ahead are issued now; wait for the part's inputs.
      double land = issued_ahead ? next_land : cpu;
      bool input_copied = false;  // (else the part waits for the input tensor itself)
      for (const auto& t : ops.copy_in(part)) {
        input_copied |= ops.brings_input(t);
        if (!issued_ahead) land = std::max(land, issue(t, op, stats, no_part, false));
      }
      for (const auto& t : ops.copy_when_due(part)) land = std::max(land, issue(t, op, stats, no_part, false));
      double ready = land;
      if (!input_copied) ready = std::max(ready, tensor_ready_[input]);
      if (input2 >= 0) ready = std::max(ready, tensor_ready_[input2]);
      const int out_buffer = ops.out_wait_buffer(part);
      if (out_buffer >= 0) ready = std::max(ready, buffer_busy_[out_buffer]);
      if (ready > cpu) {
        if constexpr (kStats) stats.exposed_dma_cycles += ready - cpu;
        cpu = ready;
      }
      // 2. The next part's copies, issued ahead, overlap this part's compute.
      const auto& cost = ops.cost(op, part);
      const bool last = p + 1 == n_parts;
      const size_t next_i = last ? i + 1 : i;
      const auto* next = !last ? &parts[p + 1] : next_i < n_ops ? &ops.parts(next_i).front() : nullptr;
      if (next && ops.copy_ahead(*next)) {
        const OpView next_op = last ? ops.op(net, next_i) : op;
        OpStats& next_stats = kStats && last ? result_.per_op[next_i] : stats;
        next_land = cpu;
        for (const auto& t : ops.copy_in(*next))
          next_land = std::max(next_land, issue(t, next_op, next_stats, ops.pressure_source(part, cost), false));
      }
      // 3. Compute, with stalls growing under concurrent DMA on the same memory.
      // Transfers that have landed are dropped now and then, not every part: one that landed before the part
      // starts overlaps it by max(0, end - start) = 0, adding exactly nothing to stall_contention's sums.
      if (n_active > 6)
        n_active = size_t(
            std::remove_if(active_.data(), active_.data() + n_active, [&](const Active& a) { return a.end <= cpu; }) -
            active_.data());
      const double nominal = cost.compute + cost.stall;
      const double stall = cost.stall + sim::stall_contention(cost, active_.data(), active_.data() + n_active,
                                                              ops.stalling(part), cpu_stall_increase, cpu, nominal);
      cpu += cost.compute + stall;
      if constexpr (kStats) {
        external_cpu_bytes += cost.external_bytes;
        stats.compute_cycles += cost.compute;
        stats.stall_cycles += stall;
        stats.external_bytes += cost.external_bytes;
      }
      // The reference also marks the staging buffers this part used as busy until `cpu`. Every later read of
      // buffer_busy_ takes the max with a time no earlier than the CPU's clock then, and that clock never runs
      // backwards while all costs are non-negative, so those marks can never win: skipped (checked below).
      monotone &= cost.compute + stall >= 0;
      // 4. Output overlay: copy the part's output to its home.
      double out_ready = cpu;
      for (const auto& t : ops.copy_out(part)) out_ready = std::max(out_ready, issue(t, op, stats, no_part, true));
      tensor_ready_[op.output] = std::max(tensor_ready_[op.output], out_ready);
    }
    if constexpr (kStats) stats.end = cpu;
  }
  if (!monotone) return false;
  // The network is done when the CPU is and the last output copy has landed.
  double end = cpu;
  for (const Stream& s : streams_) end = std::max(end, s.free_at);
  result_.total_cycles = end;
  result_.latency_ms = board_.cycles_to_ms(end);
  result_.external_dma_bytes = external_dma_bytes;
  result_.external_cpu_bytes = external_cpu_bytes;
  return true;
}

SimResult simulate(const Network& net, const Plan& plan, const Board& board, bool record_timeline) {
  if (record_timeline) return ReferenceSimulator(board).run(net, plan, true);
  Simulator sim(board);
  return sim.run(net, plan, false);
}

}  // namespace tinyops
