#include "tinyops/planner_tinyops.hpp"

#include <string>

#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

namespace {

int64_t overlay_budget(const Board& board, const Plan& base) {
  return int64_t(board.sram_budget_bytes.value) - align_up(base.peak_sram_bytes());
}

}  // namespace

RowPartitioning tinyops_partitioning(const Network& net, const Board& board, const Plan& base) {
  RowPartitioning rows;
  FactorSearchScratch scratch;
  tinyops_partitioning(net, board, base, rows, scratch);
  return rows;
}

void tinyops_partitioning(const Network& net, const Board& board, const Plan& base, RowPartitioning& out,
                          FactorSearchScratch& scratch, bool copy_parts) {
  try {
    choose_row_partitioning(net, overlay_budget(board, base), out, scratch, copy_parts);
    spdlog::logger& log = log::planner();
    if (log.should_log(spdlog::level::debug))
      log.debug("{} on {}: row factor {} (largest part {} B), overlay buffers {} of {} B left by the arena", net.name(),
                board.name, out.network_factor, out.largest_part_bytes, out.buffers.total_bytes(),
                overlay_budget(board, base));
  } catch (const PlanningError& e) {
    const int64_t used = base.peak_sram_bytes();
    throw PlanningError(std::string(e.what()) + " on board " + board.name +
                        (used > 0 ? " (" + std::to_string(used) + " bytes of SRAM already used)" : ""));
  }
}

void add_row_overlays(const Network& net, const Board& board, Plan& plan, const RowPartitioning& rows,
                      SpareParts* spare) {
  resize_ops(plan, net.ops().size(), spare);
  OverlayPlanner overlays(net, board, plan, rows.buffers, 0, spare);
  for (const Op& op : net.ops()) {
    if (rows.parts[op.id].empty())
      overlays.keep_in_place(op.id, "tinyops:in_place");
    else
      overlays.plan_rows(op.id, rows.op_factor[op.id], rows.parts[op.id], "tinyops:rows");
  }
  plan.strategy = "tinyops";
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

Plan plan_tinyops(const Network& net, const Board& board) { return plan_value<plan_tinyops_into>(net, board); }

bool start_tinyops_plan(const Network& net, const Board& board, Plan& plan, PlannerScratch& scratch, bool copy_parts) {
  // The external placement without its whole-op parts: the overlay planner writes every op.
  if (!place_in_external(net, board, "tinyops", plan, scratch)) return false;
  try {
    tinyops_partitioning(net, board, plan, scratch.rows, scratch.search, copy_parts);
  } catch (const PlanningError& e) {
    not_fitting(plan, e.what(), &scratch);
    return false;
  }
  return true;
}

void plan_tinyops_into(const Network& net, const Board& board, Plan& plan, PlannerScratch& scratch) {
  if (start_tinyops_plan(net, board, plan, scratch))
    add_row_overlays(net, board, plan, scratch.rows, &scratch.spare_parts);
}

}  // namespace tinyops
