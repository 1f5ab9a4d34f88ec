#pragma once
// A plan's ops compiled for the fast Simulator: per part its cost (PartCost) and its copies with everything that
// does not depend on when they run resolved in advance (DMA engine, link speed, whether they touch external
// memory, the buffer they fill). What is left for the event walk is the timing itself.
//
// A compiled op depends on the op's geometry, its parts' rows and channels and the memories, sizes and buffers
// of its regions, not on where in external memory a tensor or param lies: two networks whose ops share a shape
// and a placement share the compiled op, which is what lets a batch scorer (tinyops_scorer.hpp) reuse it.
#include <cstdint>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/simulator_tables.hpp"

namespace tinyops::sim {

// One copy of a compiled op, its facts worked out once (Simulator::run works them out as it walks a plan).
struct CompiledTransfer {
  int wait_input = 0;      // see waited_input()
  int buffer = -1;         // the buffer it names: waited for (but by a copy-out), busy until it lands; -1: none
  int source_buffer = -1;  // a copy-out's: the staging buffer it drains (busy until it has landed)
  int src = 0, dst = 0;    // plan memories
  int engine = -1;         // the DMA engine (-1 on a board without DMA), its streams and costs
  StreamRange streams;
  double issue_cycles = 0, setup_cycles = 0;
  int64_t bytes = 0;
  bool external = false;   // to or from an external memory
  double link_cycles = 0;  // see PlanTables::link_cycles
  double cpu_cycles = 0;   // on a board without DMA: the CPU's copy
};

struct CompiledPart {
  PartCost cost;
  // The bus pressure a copy running while this part computes meets, by memory: the part's stall on it over its
  // busy time. The max over a copy's two memories is dma_pressure() exactly (division by the same positive
  // number is monotone, also after rounding).
  double pressure[kMaxPlanMemories] = {};
  uint32_t stalling = 0;  // bit m: the part stalls on plan memory m (the memories bus contention can slow)
  // Its copies: copy_in, copy_when_due, copy_out, consecutive in CompiledOp::transfers from `copies`.
  const CompiledTransfer* copies = nullptr;
  int copy_in = 0, copy_when_due = 0, copy_out = 0;
  int out_wait_buffer = -1;  // see out_wait_buffer()
  bool copy_ahead = false;
};

struct CompiledOp {
  CompiledOp() = default;
  CompiledOp(const CompiledOp&) = delete;  // its parts point into its transfers
  CompiledOp& operator=(const CompiledOp&) = delete;
  std::vector<CompiledPart> parts;
  std::vector<CompiledTransfer> transfers;
  int64_t external_dma_bytes = 0;  // copied to or from external memory by its copies
  int64_t external_cpu_bytes = 0;  // read or written there by its parts in place
};

// What a copy of `operand` waits for besides the CPU, as CompiledTransfer::wait_input: its op's first input (1),
// its second (2: an add's Input2), none (0).
inline int waited_input(Operand operand, bool two_inputs) {
  return operand == Operand::Input ? 1 : operand == Operand::Input2 && two_inputs ? 2 : 0;
}

// With copies out: the output buffer the part waits for before it computes (-1: none).
inline int out_wait_buffer(const PlanTables& pt, const Part& part) {
  if (part.copy_out.empty()) return -1;
  const int named = part.copy_out.front().buffer;
  return named >= 0 ? named : pt.buffer_of(part.at[int(Operand::Output)]);
}

// Compiles `op_plan` (of `op`, whose geometry is `g`) into `out`, reusing its storage. Throws PlanningError
// when a copy needs a DMA link the board lacks.
void compile_op(const PlanTables& pt, const BoardTables& tables, const Board& board, const Plan& plan,
                const OpGeometry& g, const Op& op, const OpPlan& op_plan, CompiledOp& out);

}  // namespace tinyops::sim
