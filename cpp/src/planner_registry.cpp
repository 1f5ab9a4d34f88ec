// The strategy name -> planner table. Planners living in other files add one line here.
#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"
#include "tinyops/planner_tinyops.hpp"

namespace tinyops {

const std::vector<PlannerEntry>& planners() {
  static const std::vector<PlannerEntry> table = {
      {"internal", plan_internal, "activations in internal SRAM, weights in internal flash", plan_internal_into},
      {"external", plan_external, "arena and weights in external memory, read in place through the cache",
       plan_external_into},
      {"tinyops", plan_tinyops, "published TinyOps: row parts DMA-copied into ping-pong SRAM overlays",
       plan_tinyops_into},
      {"optimal", plan_optimal, "per op the fastest of row parts, in place, weight streaming (simulated)"},
  };
  return table;
}

namespace {

// The planner's result at debug: what it refused and why, or per op how it runs (parts, factor, overlays).
void log_plan(const Network& net, const Plan& plan) {
  spdlog::logger& log = log::planner();
  if (!plan.fits) {
    log.debug("{} refused {} on {}: {}", plan.strategy, net.name(), plan.board, plan.why);
    return;
  }
  log.debug("{} plan of {} on {}: {} ops, peak SRAM {} of {} B", plan.strategy, net.name(), plan.board, plan.ops.size(),
            plan.peak_sram_bytes(), plan.sram_budget_bytes);
  for (const OpPlan& o : plan.ops)
    log.debug("  op {:3} {:<18} {:<24} {} parts{}{}{}", o.op, to_string(net.op(o.op).kind), o.strategy, o.parts.size(),
              o.partitioning == Partitioning::None ? "" : " by ",
              o.partitioning == Partitioning::None ? "" : to_string(o.partitioning),
              o.output_overlay ? ", output overlay" : "");
}

}  // namespace

std::vector<std::string> planner_names() {
  std::vector<std::string> names;
  for (const PlannerEntry& e : planners()) names.emplace_back(e.name);
  return names;
}

Plan make_plan(const Network& net, const Board& board, const std::string& strategy) {
  Plan plan = planner(strategy).fn(net, board);
  if (log::planner().should_log(spdlog::level::debug)) log_plan(net, plan);
  return plan;
}

void make_plan_into(const Network& net, const Board& board, const std::string& strategy, Plan& out,
                    PlannerScratch& scratch) {
  make_plan_into(planner(strategy), net, board, out, scratch);
}

void make_plan_into(const PlannerEntry& planner, const Network& net, const Board& board, Plan& out,
                    PlannerScratch& scratch) {
  if (planner.into)
    planner.into(net, board, out, scratch);
  else
    out = planner.fn(net, board);
  if (log::planner().should_log(spdlog::level::debug)) log_plan(net, out);  // off: one atomic load
}

const PlannerEntry& planner(const std::string& strategy) {
  for (const PlannerEntry& e : planners())
    if (strategy == e.name) return e;
  std::string names;
  for (const PlannerEntry& e : planners()) names += (names.empty() ? "" : ", ") + std::string(e.name);
  throw InputError("strategy", strategy, "unknown strategy (expected one of: " + names + ")");
}

}  // namespace tinyops
