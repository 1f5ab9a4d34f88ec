// The `tinyops` and `optimal` planners on the F746 board: structure of the published scheme, SRAM within the
// budget, optimal <= tinyops <= external, and a clear error when no overlay fits.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"
#include "tinyops/planner_tinyops.hpp"
#include "tinyops/simulator.hpp"

using namespace tinyops;

namespace {

const std::string kCatalog = std::string(TINYOPS_SOURCE_DIR) + "/latency_model/boards";
const std::string kMbv3 = std::string(TINYOPS_SHARED_DIR) + "/models/arch/mbv3-w1.00-r224.json";

Board f746() { return load_board("stm32f746g-disco", kCatalog); }

// MobileNetV3 variants derived from the shared w1.00-r224 config as MCUNet/OFA derive them.
Network mbv3(double width, int resolution) {
  const nlohmann::json arch = scale_arch(read_json_file(kMbv3), width, resolution);
  return network_from_arch(arch, "mbv3-w" + std::to_string(width) + "-r" + std::to_string(resolution));
}

#define SKIP_WITHOUT_SHARED() \
  if (!std::filesystem::exists(kMbv3)) GTEST_SKIP() << kMbv3 << " is absent (../shared not mounted)"

}  // namespace

TEST(TinyopsPlanner, PublishedStructureOnF746) {
  SKIP_WITHOUT_SHARED();
  const Board board = f746();
  const Network net = mbv3(1.0, 224);
  const Plan plan = make_plan(net, board, "tinyops");
  ASSERT_TRUE(plan.fits) << plan.why;
  validate_plan(plan, net);
  EXPECT_EQ(plan.strategy, "tinyops");
  EXPECT_LE(plan.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));

  const RowPartitioning rows = tinyops_partitioning(net, board, plan_external(net, board));
  // The buffers are exactly the published set, back to back in SRAM.
  const int ping = plan.buffer_index(kInputPingBuffer), pong = plan.buffer_index(kInputPongBuffer);
  ASSERT_GE(ping, 0);
  ASSERT_GE(pong, 0);
  EXPECT_EQ(plan.buffers[ping].region.bytes, rows.buffers.input_bytes);
  EXPECT_EQ(plan.buffers[plan.buffer_index(kQuantBuffer)].region.bytes, 2 * rows.buffers.quant_bytes);
  EXPECT_EQ(plan.peak_sram_bytes(), rows.buffers.total_bytes());

  int prefetched = 0;
  for (const Op& op : net.ops()) {
    const OpPlan& o = plan.ops[op.id];
    if (op.kind == OpKind::FullyConnected || op.kind == OpKind::GlobalAveragePool) {
      EXPECT_EQ(o.partitioning, Partitioning::None) << op.name;  // runs in place, as published
      continue;
    }
    ASSERT_EQ(o.partitioning, Partitioning::Rows) << op.name;
    EXPECT_EQ(o.factor, rows.op_factor[op.id]);
    ASSERT_EQ(o.parts.size(), rows.parts[op.id].size());
    for (size_t p = 0; p < o.parts.size(); ++p) {
      const Part& part = o.parts[p];
      // Input parts alternate between the two ping-pong buffers; the output goes straight to external memory.
      ASSERT_FALSE(part.copy_in.empty());
      EXPECT_TRUE(part.copy_in[0].buffer == ping || part.copy_in[0].buffer == pong);
      EXPECT_EQ(part.at[int(Operand::Output)].memory, plan.tensor_home[op.output].memory);
      if (p > 0) {
        EXPECT_TRUE(part.copy_ahead);
        EXPECT_NE(part.copy_in[0].buffer, o.parts[p - 1].copy_in[0].buffer);
      }
    }
    prefetched += o.parts.front().copy_ahead;
    // Params copied when the op starts, never ahead: the previous op may still read the same buffers.
    if (op.weight_bytes <= rows.buffers.filter_bytes && op.weight_bytes > 0)
      EXPECT_EQ(o.parts.front().at[int(Operand::Weights)].memory, plan.sram_memory) << op.name;
    if (op.weight_bytes > rows.buffers.filter_bytes)
      EXPECT_EQ(o.parts.front().at[int(Operand::Weights)].memory, plan.op_params[op.id][kParamWeights].memory);
  }
  EXPECT_GT(prefetched, 0) << "no op's first part was copied during the previous op's last part";
}

// The plan the firmware executes is the plan the simulator scores: it survives a JSON round trip.
TEST(TinyopsPlanner, JsonRoundTrip) {
  SKIP_WITHOUT_SHARED();
  const Network net = mbv3(0.55, 128);
  for (const char* strategy : {"tinyops", "optimal"}) {
    const Plan plan = make_plan(net, f746(), strategy);
    EXPECT_EQ(plan_from_json_text(plan_to_json_text(plan)), plan) << strategy;
  }
}

// optimal <= tinyops <= external on the F746, for MobileNetV3 variants from MCU size to the full network.
TEST(TinyopsPlanner, OptimalNotSlowerThanTinyopsNotSlowerThanExternal) {
  SKIP_WITHOUT_SHARED();
  const Board board = f746();
  Simulator sim(board);
  for (auto [width, resolution] : {std::pair{0.35, 144}, {0.55, 128}, {0.75, 160}, {1.0, 224}}) {
    const Network net = mbv3(width, resolution);
    SCOPED_TRACE(net.name());
    const Plan optimal = make_plan(net, board, "optimal");
    const Plan tinyops = make_plan(net, board, "tinyops");
    const Plan external = make_plan(net, board, "external");
    validate_plan(optimal, net);
    const double t_opt = sim.run(net, optimal).total_cycles;
    const double t_tiny = sim.run(net, tinyops).total_cycles;
    const double t_ext = sim.run(net, external).total_cycles;
    EXPECT_LE(t_opt, t_tiny);
    EXPECT_LE(t_tiny, t_ext);
    EXPECT_LE(optimal.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
    EXPECT_LE(tinyops.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
  }
}

TEST(TinyopsPlanner, BudgetTooSmallIsReportedWithTheSmallestNeed) {
  SKIP_WITHOUT_SHARED();
  Board board = f746();
  board.sram_budget_bytes.value = 4000;
  const Network net = mbv3(0.55, 128);
  const Plan plan = make_plan(net, board, "tinyops");
  EXPECT_FALSE(plan.fits);
  EXPECT_NE(plan.why.find("4000 bytes"), std::string::npos) << plan.why;
  EXPECT_NE(plan.why.find("smallest overlay buffers need"), std::string::npos) << plan.why;
  try {
    simulate(net, plan, board);
    FAIL() << "expected PlanningError";
  } catch (const PlanningError& e) {
    EXPECT_NE(std::string(e.what()).find("4000 bytes"), std::string::npos) << e.what();
  }
  // optimal still has a plan: every op in place needs no SRAM.
  const Plan optimal = make_plan(net, board, "optimal");
  ASSERT_TRUE(optimal.fits);
  EXPECT_EQ(optimal.peak_sram_bytes(), 0);
}
