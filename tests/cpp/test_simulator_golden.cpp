// The plans and the simulator's figures on the built-in example networks (MobileNetV2/V3, MNASNet at several
// widths and resolutions) x every strategy x four boards, against what data/simulator_golden.json recorded
// (each plan's JSON by hash, the figures exactly), and the fast Simulator against the ReferenceSimulator op by op.
// Exact equality: an optimization of the simulator or a planner must not move any figure. When a change is meant to
// move them, regenerate the file with tests/cpp/data/make_simulator_golden.py and say why in the commit.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "data_paths.hpp"
#include "sim_compare.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/planner.hpp"

using namespace tinyops;
using tinyops::fixtures::kCatalog;
using tinyops::fixtures::kGolden;

namespace {

// The plain sum of a per-op column and the sum weighted by op position (i + 1), in op order, as the
// generator computes them.
std::string fnv1a64(const std::string& text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001B3ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

template <typename T, typename Get>
std::pair<T, T> column(const SimResult& r, Get get) {
  T total = 0, weighted = 0;
  for (size_t i = 0; i < r.per_op.size(); ++i) {
    total += get(r.per_op[i]);
    weighted += T(i + 1) * get(r.per_op[i]);
  }
  return {total, weighted};
}

template <typename T>
void expect_column(const nlohmann::json& expected, const std::pair<T, T>& got, const char* name) {
  EXPECT_EQ(got.first, expected.at(0).get<T>()) << name << " (sum)";
  EXPECT_EQ(got.second, expected.at(1).get<T>()) << name << " (op-weighted sum)";
}

void expect_golden(const nlohmann::json& c, const SimResult& r) {
  EXPECT_EQ(r.total_cycles, c.at("total_cycles").get<double>());
  EXPECT_EQ(r.peak_sram_bytes, c.at("peak_sram_bytes").get<int64_t>());
  EXPECT_EQ(r.external_dma_bytes, c.at("external_dma_bytes").get<int64_t>());
  EXPECT_EQ(r.external_cpu_bytes, c.at("external_cpu_bytes").get<int64_t>());
  ASSERT_EQ(r.per_op.size(), c.at("ops").get<size_t>());
  expect_column(c.at("parts"), column<int64_t>(r, [](const OpStats& s) { return int64_t(s.parts); }), "parts");
  expect_column(c.at("start"), column<double>(r, [](const OpStats& s) { return s.start; }), "start");
  expect_column(c.at("end"), column<double>(r, [](const OpStats& s) { return s.end; }), "end");
  expect_column(c.at("compute_cycles"), column<double>(r, [](const OpStats& s) { return s.compute_cycles; }),
                "compute");
  expect_column(c.at("stall_cycles"), column<double>(r, [](const OpStats& s) { return s.stall_cycles; }), "stall");
  expect_column(c.at("exposed_dma_cycles"), column<double>(r, [](const OpStats& s) { return s.exposed_dma_cycles; }),
                "exposed_dma");
  expect_column(c.at("overhead_cycles"), column<double>(r, [](const OpStats& s) { return s.overhead_cycles; }),
                "overhead");
  expect_column(c.at("dma_cycles"), column<double>(r, [](const OpStats& s) { return s.dma_cycles; }), "dma_cycles");
  expect_column(c.at("dma_bytes"), column<int64_t>(r, [](const OpStats& s) { return s.dma_bytes; }), "dma_bytes");
  expect_column(c.at("external_bytes"), column<int64_t>(r, [](const OpStats& s) { return s.external_bytes; }),
                "external_bytes");
}

}  // namespace

TEST(SimulatorGolden, ExampleNetworksKeepTheirFiguresOnBothSimulators) {
  const nlohmann::json golden = read_json_file(kGolden);
  std::map<std::string, Board> boards;
  std::map<std::string, Network> nets;
  int simulated = 0;
  for (const nlohmann::json& c : golden.at("cases")) {
    const std::string net_name = c.at("network"), board_name = c.at("board"), strategy = c.at("strategy");
    SCOPED_TRACE(net_name + " on " + board_name + " under " + strategy);
    if (!boards.count(board_name)) boards.emplace(board_name, load_board(board_name, kCatalog));
    if (!nets.count(net_name)) nets.emplace(net_name, network_from_arch(golden.at("networks").at(net_name), net_name));
    const Board& board = boards.at(board_name);
    const Network& net = nets.at(net_name);
    const Plan plan = make_plan(net, board, strategy);
    ASSERT_EQ(plan.fits, c.at("fits").get<bool>()) << plan.why;
    EXPECT_EQ(fnv1a64(plan_to_json_text(plan)), c.at("plan_fnv1a64").get<std::string>()) << "the plan changed";
    if (!plan.fits) continue;
    Simulator fast(board);
    ReferenceSimulator reference(board);
    const SimResult& ref = reference.run(net, plan, false);
    expect_golden(c, ref);
    expect_golden(c, fast.run(net, plan, false));
    fixtures::expect_same_result(fast.run(net, plan, false), ref);
    fixtures::expect_same_result(fast.run(net, plan, false), ReferenceSimulator(board).run(net, plan, true),
                                 "reference recording its timeline");
    ++simulated;
  }
  EXPECT_GE(simulated, 90);  // most cases fit: the comparison is not vacuous
}

TEST(SimulatorGolden, ReusedSimulatorGivesTheSameFiguresAcrossPlans) {
  // One Simulator scoring different networks and strategies in turn (its scratch storage and per-op caches
  // carried over) agrees with a fresh reference each time.
  const nlohmann::json golden = read_json_file(kGolden);
  const Board board = load_board("stm32f746g-disco", kCatalog);
  Simulator fast(board);
  for (const char* name : {"mbv2-w0.35-r144", "mbv3-w0.55-r128", "mnasnet-w0.50-r160"}) {
    const Network net = network_from_arch(golden.at("networks").at(name), name);
    for (const std::string& strategy : planner_names()) {
      SCOPED_TRACE(std::string(name) + " under " + strategy);
      const Plan plan = make_plan(net, board, strategy);
      if (!plan.fits) continue;
      fixtures::expect_same_result(fast.run(net, plan, false), ReferenceSimulator(board).run(net, plan, false));
    }
  }
}

TEST(SimulatorGolden, CostsRunningTheClockBackwardsFallBackToTheReference) {
  // The fast path relies on the CPU's clock never running backwards; a Board edited in code with a negative
  // kernel cost breaks that, and the fast path must still agree with the reference (it reruns it).
  const nlohmann::json golden = read_json_file(kGolden);
  Board board = load_board("stm32f746g-disco", kCatalog);
  for (KernelKind kind : {KernelKind::DepthwiseDsp, KernelKind::DepthwiseReference})
    board.kernels[int(kind)].term(CostTerm::Call).value = -5e5;
  const Network net = network_from_arch(golden.at("networks").at("mbv2-w0.35-r144"), "mbv2-w0.35-r144");
  for (const std::string& strategy : {"external", "tinyops"}) {
    SCOPED_TRACE(strategy);
    const Plan plan = make_plan(net, board, strategy);
    ASSERT_TRUE(plan.fits) << plan.why;
    Simulator fast(board);
    fixtures::expect_same_result(fast.run(net, plan, false), ReferenceSimulator(board).run(net, plan, false));
  }
}
