// make_plan_into: one Plan and PlannerScratch rewritten network after network (the batch scorer's reuse of
// storage) must give exactly the plan make_plan returns for each network from scratch.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_paths.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/batch.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/error.hpp"

using namespace tinyops;
using tinyops::fixtures::kCatalog;

namespace {

// The golden file's example networks, in an order that alternates large and small ones (more ops, then fewer,
// then more: stale ops and parts in the reused plan must never leak into the next one).
std::vector<Network> example_networks() {
  return fixtures::golden_networks({"mbv2-w1.00-r224", "mbv3-w0.35-r96", "mnasnet-w1.00-r224", "mbv3-w0.55-r128",
                                    "mbv2-w0.35-r144", "mbv3-w1.00-r224", "mnasnet-w0.50-r160", "mbv2-w1.00-r224"});
}

}  // namespace

TEST(PlanInto, ReusedPlanEqualsAFreshPlanForEveryNetworkStrategyAndBoard) {
  const std::vector<Network> nets = example_networks();
  int fitting = 0, not_fitting = 0;
  for (const char* board_name : {"stm32f746g-disco", "qemu-mps2-an500", "stm32h747i-disco"}) {
    const Board board = load_board(board_name, kCatalog);
    for (const std::string& strategy : planner_names()) {
      Plan reused;
      PlannerScratch scratch;
      for (const Network& net : nets) {
        SCOPED_TRACE(net.name() + " on " + board_name + " under " + strategy);
        make_plan_into(net, board, strategy, reused, scratch);
        const Plan fresh = make_plan(net, board, strategy);
        ASSERT_EQ(reused.fits, fresh.fits) << fresh.why;
        EXPECT_EQ(reused.ops.size(), fresh.ops.size());
        EXPECT_TRUE(reused == fresh) << "the reused plan differs from the fresh one";
        EXPECT_EQ(plan_to_json_text(reused), plan_to_json_text(fresh));
        (fresh.fits ? fitting : not_fitting)++;
      }
    }
  }
  EXPECT_GT(fitting, 50);
  EXPECT_GT(not_fitting, 0);  // internal refuses the large networks: a plan cleared, then reused again
}

TEST(PlanInto, BatchScoresEqualScoresOfFreshPlans) {
  const std::vector<Network> nets = example_networks();
  const Board board = load_board("stm32f746g-disco", kCatalog);
  std::vector<const Network*> ptrs;
  for (const Network& n : nets) ptrs.push_back(&n);
  const std::vector<std::string> strategies = planner_names();
  const std::vector<BatchScore> batch = score_networks(ptrs, strategies, board);
  ASSERT_EQ(batch.size(), nets.size() * strategies.size());
  for (const BatchScore& s : batch) {
    SCOPED_TRACE(nets[s.arch].name() + " under " + s.strategy);
    const std::vector<BatchScore> alone = score_networks({ptrs[s.arch]}, {s.strategy}, board);
    ASSERT_EQ(alone.size(), 1u);
    EXPECT_EQ(s.fits, alone[0].fits);
    EXPECT_EQ(s.why, alone[0].why);
    if (!s.fits) continue;
    EXPECT_EQ(s.total_cycles, alone[0].total_cycles);
    EXPECT_EQ(s.peak_sram_bytes, alone[0].peak_sram_bytes);
    EXPECT_EQ(s.external_bytes, alone[0].external_bytes);
  }
}

TEST(PlanInto, UnknownStrategyIsAnInputError) {
  Plan plan;
  PlannerScratch scratch;
  EXPECT_THROW(make_plan_into(Network(), Board(), "fastest", plan, scratch), InputError);
  EXPECT_THROW(score_networks({}, {"fastest"}, Board()), InputError);
}
