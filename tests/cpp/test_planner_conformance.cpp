// The conformance suite every registered planner passes (cpp/src/planner_registry.cpp; the model is Optuna's
// storage and sampler suites): a planner added to the registry is run through it without touching this file.
//   - validity: a fitting plan passes validate_plan with its network and names its strategy, network, board;
//     a refused plan says why, holds no ops, and both simulators refuse it;
//   - SRAM budget: the plan's peak SRAM and the simulated peak stay within the board's budget;
//   - plan-into vs value: one Plan and scratch reused network after network equal each fresh plan;
//   - the fast simulator equals the reference, figure for figure;
//   - JSON round trip: text -> plan gives the same plan and the same simulation;
//   - determinism: planning twice gives the same plan.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_paths.hpp"
#include "sim_compare.hpp"
#include "tinyops/board.hpp"
#include "tinyops/error.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"

namespace tinyops {
namespace {

// Large and small networks alternating, so that a reused plan shrinks and grows.
const std::vector<std::string> kNetworks = {"mbv2-w1.00-r224", "mbv3-w0.35-r96", "mnasnet-w0.50-r160",
                                            "mbv3-w0.55-r128"};

struct Case {
  Network net;
  Board board;
  std::string what;
};

// Every network of kNetworks on every board of the catalog.
const std::vector<Case>& cases() {
  static const std::vector<Case> all = [] {
    std::vector<Case> out;
    const std::vector<Network> nets = fixtures::golden_networks(kNetworks);
    for (const CatalogEntry& entry : list_board_catalog(fixtures::kCatalog)) {
      const Board board = load_board(entry.name, fixtures::kCatalog);
      for (size_t i = 0; i < nets.size(); ++i) out.push_back({nets[i], board, kNetworks[i] + " on " + entry.name});
    }
    return out;
  }();
  return all;
}

class PlannerConformance : public ::testing::TestWithParam<std::string> {
 protected:
  const PlannerEntry& entry() const { return planner(GetParam()); }
};

TEST_P(PlannerConformance, PlansAreValidOrRefusedWithAReason) {
  int fitting = 0;
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.what);
    const Plan plan = entry().fn(c.net, c.board);
    EXPECT_EQ(plan.strategy, GetParam());
    EXPECT_EQ(plan.network, c.net.name());
    EXPECT_EQ(plan.board, c.board.name);
    EXPECT_EQ(plan.board_version, c.board.version);
    if (!plan.fits) {
      EXPECT_FALSE(plan.why.empty());
      EXPECT_TRUE(plan.ops.empty());
      EXPECT_THROW(Simulator(c.board).run(c.net, plan), PlanningError);
      EXPECT_THROW(ReferenceSimulator(c.board).run(c.net, plan), PlanningError);
      continue;
    }
    ++fitting;
    EXPECT_TRUE(plan.why.empty()) << plan.why;
    EXPECT_NO_THROW(validate_plan(plan, c.net, c.what));
    ASSERT_EQ(plan.ops.size(), c.net.ops().size());
    for (size_t i = 0; i < plan.ops.size(); ++i) {
      EXPECT_EQ(plan.ops[i].op, int(i));
      EXPECT_FALSE(plan.ops[i].parts.empty());
      EXPECT_FALSE(plan.ops[i].strategy.empty());
    }
  }
  EXPECT_GT(fitting, 0) << GetParam() << " fits none of the networks on any board";
}

TEST_P(PlannerConformance, StaysWithinTheSramBudget) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.what);
    const Plan plan = entry().fn(c.net, c.board);
    EXPECT_EQ(plan.sram_budget_bytes, int64_t(c.board.sram_budget_bytes.value));
    if (!plan.fits) continue;
    EXPECT_LE(plan.peak_sram_bytes(), plan.sram_budget_bytes);
    EXPECT_LE(simulate(c.net, plan, c.board).peak_sram_bytes, plan.sram_budget_bytes);
  }
}

TEST_P(PlannerConformance, PlanIntoAReusedPlanEqualsThePlanValue) {
  for (const CatalogEntry& entry_ : list_board_catalog(fixtures::kCatalog)) {
    Plan reused;
    PlannerScratch scratch;
    for (const Case& c : cases()) {
      if (c.board.name != entry_.name) continue;
      SCOPED_TRACE(c.what);
      make_plan_into(entry(), c.net, c.board, reused, scratch);
      const Plan value = entry().fn(c.net, c.board);
      EXPECT_TRUE(reused == value) << "plan-into differs from the plan value";
      EXPECT_EQ(plan_to_json_text(reused), plan_to_json_text(value));
    }
  }
}

TEST_P(PlannerConformance, FastSimulatorEqualsTheReference) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.what);
    const Plan plan = entry().fn(c.net, c.board);
    if (plan.fits) fixtures::simulate_both(c.net, plan, c.board);
  }
}

TEST_P(PlannerConformance, JsonRoundTripGivesTheSamePlanAndSimulation) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.what);
    const Plan plan = entry().fn(c.net, c.board);
    const std::string text = plan_to_json_text(plan);
    const Plan back = plan_from_json_text(text, c.what);
    EXPECT_TRUE(back == plan) << "the plan read back from its JSON differs";
    EXPECT_EQ(plan_to_json_text(back), text);
    if (plan.fits) fixtures::expect_same_result(simulate(c.net, back, c.board), simulate(c.net, plan, c.board));
  }
}

TEST_P(PlannerConformance, PlanningIsDeterministic) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.what);
    EXPECT_TRUE(entry().fn(c.net, c.board) == entry().fn(c.net, c.board));
  }
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredPlanner, PlannerConformance, ::testing::ValuesIn(planner_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace tinyops
