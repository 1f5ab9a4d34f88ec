#include "tinyops/planner_tinyops.hpp"

#include <string>

#include "tinyops/error.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

namespace {

int64_t overlay_budget(const Board& board, const Plan& base) {
  return int64_t(board.sram_budget_bytes.value) - align_up(base.peak_sram_bytes());
}

}  // namespace

RowPartitioning tinyops_partitioning(const Network& net, const Board& board, const Plan& base) {
  try {
    return choose_row_partitioning(net, overlay_budget(board, base));
  } catch (const PlanningError& e) {
    const int64_t used = base.peak_sram_bytes();
    throw PlanningError(std::string(e.what()) + " on board " + board.name +
                        (used > 0 ? " (" + std::to_string(used) + " bytes of SRAM already used)" : ""));
  }
}

Plan plan_row_overlays(const Network& net, const Board& board, Plan plan, const RowPartitioning& rows) {
  OverlayPlanner overlays(net, board, plan, rows.buffers);
  for (const Op& op : net.ops()) {
    if (rows.parts[op.id].empty())
      overlays.keep_in_place(op.id, "tinyops:in_place");
    else
      overlays.plan_rows(op.id, rows.op_factor[op.id], rows.parts[op.id], "tinyops:rows");
  }
  plan.strategy = "tinyops";
  return plan;
}

OverlayStart start_overlay_plan(const Network& net, const Board& board, const std::string& strategy) {
  OverlayStart start{plan_external(net, board), std::nullopt, ""};
  start.base.strategy = strategy;
  if (!start.base.fits) return start;
  try {
    start.rows = tinyops_partitioning(net, board, start.base);
  } catch (const PlanningError& e) {
    start.why_not = e.what();
  }
  return start;
}

Plan plan_tinyops(const Network& net, const Board& board) {
  OverlayStart start = start_overlay_plan(net, board, "tinyops");
  if (!start.base.fits) return start.base;
  if (!start.rows) return not_fitting(start.base, start.why_not);
  return plan_row_overlays(net, board, std::move(start.base), *start.rows);
}

}  // namespace tinyops
