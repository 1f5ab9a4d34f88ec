#pragma once
// The plain discrete-event simulation, written for clarity: the reference the fast Simulator (simulator.hpp)
// is tested against, bit for bit, and the one that records timelines. The model is described in simulator.hpp.
#include <vector>

#include "tinyops/simulator.hpp"
#include "tinyops/simulator_tables.hpp"

namespace tinyops {

class ReferenceSimulator {
 public:
  explicit ReferenceSimulator(const Board& board);
  // Throws PlanningError when the plan does not fit (plan.why) or uses a copy the board cannot do.
  const SimResult& run(const Network& net, const Plan& plan, bool record_timeline = true);
  const Board& board() const { return board_; }

 private:
  struct Stream {
    int engine = 0;
    double free_at = 0;
  };

  void reset(const Network& net, const Plan& plan, bool record);
  // Issues one transfer at `when`; returns when it lands. `concurrent` is the part computing meanwhile.
  double issue(const Transfer& t, const Op& op, int op_index, int part, double when, const sim::PartCost* concurrent,
               bool copy_out);
  void touch_buffers(const Part& part, double until);

  Board board_;
  sim::BoardTables tables_;
  sim::PlanTables plan_tables_;
  const Plan* plan_ = nullptr;
  std::vector<Stream> streams_;
  std::vector<double> buffer_busy_;   // buffer -> when it is no longer used
  std::vector<double> tensor_ready_;  // tensor -> when all its bytes are in its home
  std::vector<sim::Active> active_;
  double cpu_ = 0;
  bool record_ = false;
  SimResult result_;
};

}  // namespace tinyops
