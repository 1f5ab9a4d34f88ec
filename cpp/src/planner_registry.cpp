// The strategy name -> planner table. Planners living in other files add one line here.
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"
#include "tinyops/planner_tinyops.hpp"

namespace tinyops {

const std::vector<PlannerEntry>& planners() {
  static const std::vector<PlannerEntry> table = {
      {"internal", plan_internal, "activations in internal SRAM, weights in internal flash", plan_internal_into},
      {"external", plan_external, "arena and weights in external memory, read in place through the cache",
       plan_external_into},
      {"tinyops", plan_tinyops, "published TinyOps: row parts DMA-copied into ping-pong SRAM overlays", plan_tinyops_into},
      {"optimal", plan_optimal, "per op the fastest of row parts, in place, weight streaming (simulated)"},
  };
  return table;
}

std::vector<std::string> planner_names() {
  std::vector<std::string> names;
  for (const PlannerEntry& e : planners()) names.emplace_back(e.name);
  return names;
}

Plan make_plan(const Network& net, const Board& board, const std::string& strategy) {
  return planner(strategy).fn(net, board);
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
}

const PlannerEntry& planner(const std::string& strategy) {
  for (const PlannerEntry& e : planners())
    if (strategy == e.name) return e;
  std::string names;
  for (const PlannerEntry& e : planners()) names += (names.empty() ? "" : ", ") + std::string(e.name);
  throw InputError("strategy", strategy, "unknown strategy (expected one of: " + names + ")");
}

}  // namespace tinyops
