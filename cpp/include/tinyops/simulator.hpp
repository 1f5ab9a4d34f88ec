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
#include <string>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

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
  double start = 0, end = 0;         // CPU-lane cycles from its first wait/issue to its last compute
  double compute_cycles = 0;         // kernel cycles
  double stall_cycles = 0;           // memory stalls of in-place operands (incl. contention)
  double exposed_dma_cycles = 0;     // CPU waiting for copies (and synchronous CPU copies)
  double overhead_cycles = 0;        // CPU programming DMA transfers
  double dma_cycles = 0;             // busy time of the transfers this op's parts needed
  int64_t dma_bytes = 0;
  int64_t external_bytes = 0;        // to/from external memories, by DMA or by the CPU in place
};

struct SimResult {
  std::string board;
  std::string strategy;
  double total_cycles = 0;
  double latency_ms = 0;
  int64_t peak_sram_bytes = 0;
  int64_t external_dma_bytes = 0;
  int64_t external_cpu_bytes = 0;    // fetched/written in place by the CPU (re-fetches counted)
  int64_t external_bytes() const { return external_dma_bytes + external_cpu_bytes; }
  std::vector<OpStats> per_op;
  std::vector<TimelineEvent> timeline;  // empty unless recorded
};

// Reusable simulator for one board: run() keeps its scratch storage between calls, so scoring many plans
// allocates nothing once warmed up (set record_timeline = false for batch scoring).
class Simulator {
 public:
  explicit Simulator(const Board& board);
  // Throws PlanningError when the plan does not fit (plan.why) or uses a copy the board cannot do.
  const SimResult& run(const Network& net, const Plan& plan, bool record_timeline = false);
  const Board& board() const { return board_; }

 private:
  struct Stream {
    int engine = 0;
    double free_at = 0;
  };
  struct Active {  // a DMA transfer in flight (for bus contention)
    double start, end;
    int src, dst;  // plan memory indices
  };
  static constexpr int kMaxPlanMemories = 8;
  struct PartCost {
    double compute = 0, stall = 0;
    double stall_by_memory[kMaxPlanMemories] = {};  // by plan memory
    int64_t external_bytes = 0;
  };
  struct MemoryCost {  // a plan memory's board parameters, flat for the hot loop
    double read_cpb = 0, write_cpb = 0;
    bool cached = false, external = false;
  };
  struct StagingBuffer {  // a non-arena buffer: DMA fills or drains it, so its users are tracked
    int memory;
    int64_t begin, end;
    int index;
  };

  void reset(const Network& net, const Plan& plan, bool record);
  PartCost part_cost(const OpGeometry& g, const Part& part) const;
  double stall_contention(const PartCost& cost, double start, double nominal) const;
  // Issues one transfer at `when`; returns when it lands. `pressure` is the concurrent part's stall share.
  double issue(const Transfer& t, const Op& op, int op_index, int part, double when, const PartCost* concurrent,
               bool copy_out);
  void touch_buffers(const Part& part, double until);
  int buffer_of(const Region& r) const;

  Board board_;
  // Board parameters in flat form.
  int memory_count_ = 0;
  std::vector<int> link_engine_;       // [src * memory_count_ + dst] (board memories) -> engine, -1: none
  std::vector<double> link_bpc_;       // bytes per cycle of that link
  std::vector<double> engine_setup_, engine_issue_;
  double dcache_bytes_ = 0;

  // Per-run state, by plan memory index.
  const Network* net_ = nullptr;
  const Plan* plan_ = nullptr;
  int plan_memories_ = 0;
  std::vector<int> memory_map_;        // plan memory -> board memory
  std::vector<MemoryCost> memory_cost_;
  std::vector<int> plan_link_engine_;  // [src * plan_memories_ + dst]
  std::vector<double> plan_link_bpc_;
  std::vector<StagingBuffer> staging_;
  std::vector<Stream> streams_;
  std::vector<double> buffer_busy_;    // buffer -> when it is no longer used
  std::vector<double> tensor_ready_;   // tensor -> when all its bytes are in its home
  std::vector<Active> active_;
  std::vector<OpGeometry> geometry_;
  double cpu_ = 0;
  OpStats* stats_ = nullptr;
  bool record_ = false;
  SimResult result_;
};

// One-shot convenience: simulate `plan` of `net` on `board`.
SimResult simulate(const Network& net, const Plan& plan, const Board& board, bool record_timeline = true);

}  // namespace tinyops
