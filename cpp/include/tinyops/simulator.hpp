#pragma once
// The discrete-event latency simulator (DESIGN.md "Simulator model"): one CPU lane and N DMA stream lanes.
//
// For every part of every op, in plan order:
//   1. copy_in not issued ahead is issued now; the CPU waits until all of the part's copies have landed, the
//      tensors it reads in place are complete, and an overlay buffer it writes has been copied out;
//   2. the next part's copy_in, if copy_ahead, is issued (the CPU pays cpu_issue_cycles per transfer);
//   3. the part computes: kernel cycles (kernel_cost.hpp) + stall cycles for operands read/written in place in
//      memories with a per-byte cost, the stalls growing with DMA traffic on the same memory (bus contention);
//   4. its copy_out (output overlay) is issued.
// A transfer starts when issued, a stream of an engine linking the two memories is free, its source tensor is
// complete and its destination buffer is no longer used; it takes setup + bytes / bandwidth cycles, longer
// while the CPU stalls on the same memory. On a board without DMA the CPU copies synchronously.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/simulator_program.hpp"
#include "tinyops/simulator_tables.hpp"

namespace tinyops {

enum class EventKind { Compute, Wait, Issue, CopyIn, CopyOut };
const char* to_string(EventKind kind);

struct TimelineEvent {
  int lane = 0;  // 0: CPU; k >= 1: DMA stream k-1 (engines' streams numbered in board order)
  int op = -1;
  int part = -1;
  EventKind kind = EventKind::Compute;
  Operand operand = Operand::Input;  // for copies
  double start = 0, end = 0;         // cycles
};

struct OpStats {
  int op = -1;
  int parts = 0;
  double start = 0, end = 0;      // CPU-lane cycles from its first wait/issue to its last compute
  double compute_cycles = 0;      // kernel cycles
  double stall_cycles = 0;        // memory stalls of in-place operands (incl. contention)
  double exposed_dma_cycles = 0;  // CPU waiting for copies (and synchronous CPU copies)
  double overhead_cycles = 0;     // CPU programming DMA transfers
  double dma_cycles = 0;          // busy time of the transfers this op's parts needed
  int64_t dma_bytes = 0;
  int64_t external_bytes = 0;  // to/from external memories, by DMA or by the CPU in place
};

struct SimResult {
  std::string board;
  std::string strategy;
  double total_cycles = 0;
  double latency_ms = 0;
  int64_t peak_sram_bytes = 0;
  int64_t external_dma_bytes = 0;
  int64_t external_cpu_bytes = 0;  // fetched/written in place by the CPU (re-fetches counted)
  int64_t external_bytes() const { return external_dma_bytes + external_cpu_bytes; }
  std::vector<OpStats> per_op;
  std::vector<TimelineEvent> timeline;  // empty unless recorded
};

// Reusable simulator for one board: run() keeps its scratch storage between calls, so scoring many plans
// allocates nothing once warmed up (set record_timeline = false for batch scoring).
//
// This is the fast path: the same event simulation as ReferenceSimulator (simulator_reference.hpp), giving the
// same figures bit for bit (tests/cpp/test_simulator_golden.cpp), without the bookkeeping whose outcome is
// known (timeline events; staging-buffer marks that can never win while the CPU's clock runs forward) and with
// the CPU's clock in a register. A run that records the timeline is handed to the reference.
class ReferenceSimulator;

class Simulator {
 public:
  explicit Simulator(const Board& board);
  ~Simulator();
  Simulator(Simulator&&) noexcept;
  Simulator& operator=(Simulator&&) = delete;
  // Throws PlanningError when the plan does not fit (plan.why) or uses a copy the board cannot do.
  const SimResult& run(const Network& net, const Plan& plan, bool record_timeline = false);
  const Board& board() const { return board_; }

  // The fast path in two halves, for a scorer that compiles ops itself (tinyops_scorer.hpp) instead of handing
  // over a whole plan. prepare() resolves the plan's memories and buffers (it reads the plan's header and
  // buffers, not its ops); run_compiled() then walks the compiled ops, one Step per op in
  // network order, and fills the result's totals (not per_op). False when a cost is negative, so that the
  // clock could run backwards: the fast walk is then not exact and the caller must simulate the plan.
  struct Step {
    const sim::CompiledOp* op;
    int op_id;
    int input, input2, output;  // the op's tensors (input2: -1 when it has one input)
  };
  void prepare(const Network& net, const Plan& plan);
  // The geometry of `op` (of the prepared network), from the simulator's cache.
  const OpGeometry& geometry(const Network& net, const Op& op);
  const sim::PlanTables& plan_tables() const { return plan_tables_; }
  const sim::BoardTables& board_tables() const { return tables_; }
  bool run_compiled(const Network& net, const std::vector<Step>& steps);
  const SimResult& result() const { return result_; }

 private:
  struct Stream {
    int engine = 0;
    double free_at = 0;
  };

  void reset(const Network& net, const Plan& plan, bool geometries = true);
  // The event walk over a plan's ops or compiled ones (see simulator.cpp); false when the clock ran backwards.
  template <bool kStats, typename Ops>
  bool walk(const Network& net, const Ops& ops);
  const SimResult& reference_run(const Network& net, const Plan& plan, bool record_timeline);

  Board board_;
  sim::BoardTables tables_;
  sim::PlanTables plan_tables_;
  std::unique_ptr<ReferenceSimulator> reference_;  // made on the first timeline request
  std::vector<Stream> streams_;
  std::vector<double> buffer_busy_;   // buffer -> when it is no longer used
  std::vector<double> tensor_ready_;  // tensor -> when all its bytes are in its home
  std::vector<sim::Active> active_;   // storage for the transfers in flight (the count is local to run())
  bool board_non_negative_ = true;    // the board's issue and copy costs cannot move the CPU's clock backwards
  SimResult result_;
};

// One-shot convenience: simulate `plan` of `net` on `board`.
SimResult simulate(const Network& net, const Plan& plan, const Board& board, bool record_timeline = true);

}  // namespace tinyops
