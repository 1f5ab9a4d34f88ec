#pragma once
// Scores networks under the `tinyops` strategy without writing their plans: the batch scorer's path for the
// strategy (batch.hpp), giving bit for bit what simulate(plan_tinyops(net, board)) gives.
//
// Most of plan + simulate is spent writing every part of every op into the Plan and then reading it back to
// cost it. Yet a tinyops op's compiled form (simulator_program.hpp: its parts' costs and copies) depends only
// on its shape, its partition factor, which memories its operands live in and how big they are, which params
// fit their buffers, and two choices the overlay planner makes from its state (the first part's input buffer
// and whether it is copied ahead) -- never on where in external memory its tensors sit. Networks of one
// search share most of their op shapes, so each such op is planned and compiled once and reused by every
// later network that has it; the planner's prologue (placement, factor search) still runs per network.
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "tinyops/batch.hpp"
#include "tinyops/board.hpp"
#include "tinyops/flat_index.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"

namespace tinyops {

class TinyopsScorer {
 public:
  explicit TinyopsScorer(const Board& board);  // `board` must outlive the scorer
  // Fills `out`'s fits, why, latency_ms, total_cycles, peak_sram_bytes and external_bytes. Throws what
  // plan_tinyops or simulate would throw.
  void score(const Network& net, BatchScore& out);
  // Compiled ops kept (for tests and benchmarks).
  size_t compiled_ops() const { return entries_.size(); }

  // What an op's compiled form depends on (see above), packed losslessly into words (two 32-bit fields a word)
  // so that building, hashing and comparing it stay cheap: it is done for every op of every network scored.
  // Ops with equal keys compile to the same thing.
  using Key = std::array<uint64_t, 19>;
  static Key key_of(const Network& net, const Op& op, const Plan& plan, int factor, int parity, bool first_ahead,
                    int staged);

 private:
  static constexpr size_t kMaxCompiledOps = 8192;  // then the cache starts over
  const sim::CompiledOp& compiled(const Key& key, const Network& net, const Op& op, class OverlayPlanner& overlays);
  bool same_layout() const;  // plan_'s memories and buffers are those the kept compiled ops refer to

  const Board& board_;
  Simulator sim_;
  Plan plan_;  // the network's header, placement and buffers; ops written only for ops compiled afresh
  PlannerScratch scratch_;
  std::vector<Simulator::Step> steps_;
  struct Entry {
    Key key;
    const sim::CompiledOp* op;
  };
  FlatIndex index_;  // over entries_
  std::vector<Entry> entries_;
  std::deque<sim::CompiledOp> store_;  // stable addresses
  // What the kept compiled ops' memory and buffer indices mean.
  std::vector<std::string> layout_memories_;
  std::vector<BufferKind> layout_buffers_;
};

}  // namespace tinyops
