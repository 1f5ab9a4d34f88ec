#pragma once
// The `tinyops` strategy: the published TinyOps runtime's scheme (DESIGN.md, execution strategy 3).
//
// Activations and weights stay where the `external` plan put them (external memory). Every partitionable op
// runs part by part from static SRAM overlay buffers: its input part is DMA-copied into one of two ping-pong
// buffers while the previous part computes (on an op's last part, the next op's first part when it has a
// single input whose rows already exist); filter, bias and quant params are copied into their buffers when
// the op starts if they fit, else read in place; outputs are written straight to external memory. Fully
// connected and global pooling run in place, as under `external`.
#include <optional>
#include <string>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/partitioning.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

// The registered planner: the `external` plan re-planned the published way. When no partition factor fits the
// SRAM budget the plan comes back with fits = false and `why` naming the budget and the smallest need
// (simulate() then throws PlanningError with that message).
Plan plan_tinyops(const Network& net, const Board& board);
void plan_tinyops_into(const Network& net, const Board& board, Plan& out, PlannerScratch& scratch);
// Its first half: the external placement (no ops yet) and the partitioning in scratch.rows (see
// choose_row_partitioning for `copy_parts`); false, with `out` marked not fitting, when either does not fit.
// With copy_parts, add_row_overlays(..., scratch.rows) then writes the ops (it reads rows.parts).
bool start_tinyops_plan(const Network& net, const Board& board, Plan& out, PlannerScratch& scratch,
                        bool copy_parts = true);

// The published overlay plan of `net` for a given row partitioning, written into `plan`: an `external` plan of
// `net` on `board` (tensor homes and op params in external memory), with or without its ops; `spare`: see
// reset_op_plan.
void add_row_overlays(const Network& net, const Board& board, Plan& plan, const RowPartitioning& rows,
                      SpareParts* spare = nullptr);

// The partition of `net` the tinyops plan uses on `board` (its SRAM budget, less what `base` already uses).
RowPartitioning tinyops_partitioning(const Network& net, const Board& board, const Plan& base);
void tinyops_partitioning(const Network& net, const Board& board, const Plan& base, RowPartitioning& out,
                          FactorSearchScratch& scratch, bool copy_parts = true);

// Where the overlay planners start: the `external` plan labelled `strategy` and, when the base fits and some
// partition factor fits the budget, the tinyops partitioning on it (else `why_not` says why).
struct OverlayStart {
  Plan base;
  std::optional<RowPartitioning> rows;
  std::string why_not;
};
OverlayStart start_overlay_plan(const Network& net, const Board& board, const std::string& strategy);

}  // namespace tinyops
