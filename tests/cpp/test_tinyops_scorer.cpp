// TinyopsScorer: scoring without writing plans must give exactly what planning and simulating gives, for every
// network, on every board, however the networks follow one another (ops compiled for one network are reused
// by the next), and when the fast walk has to fall back to the full simulation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_paths.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/batch.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"
#include "tinyops/tinyops_scorer.hpp"

using namespace tinyops;
using tinyops::fixtures::kCatalog;
using tinyops::fixtures::kGolden;

namespace {

// The golden file's networks and, from each, narrower / wider and smaller / larger variants: many shapes, many
// of them shared between networks (the case the scorer's reuse is for).
std::vector<Network> networks() {
  const nlohmann::json golden = read_json_file(kGolden);
  std::vector<Network> nets;
  for (const auto& [name, arch] : golden.at("networks").items()) {
    nets.push_back(network_from_arch(arch, name));
    for (const auto& [width, resolution] : {std::pair{0.5, 96}, {0.75, 128}, {1.3, 160}}) {
      const std::string scaled = name + " x" + std::to_string(width) + " r" + std::to_string(resolution);
      nets.push_back(network_from_arch(scale_arch(arch, width, resolution), scaled));
    }
  }
  return nets;
}

void expect_scores_equal_planned_ones(const std::vector<Network>& nets, const Board& board, int rounds) {
  TinyopsScorer scorer(board);
  Simulator sim(board);
  int fitting = 0;
  for (int round = 0; round < rounds; ++round)
    for (const Network& net : nets) {
      SCOPED_TRACE(net.name() + " on " + board.name + ", round " + std::to_string(round));
      BatchScore got;
      scorer.score(net, got);
      const Plan plan = make_plan(net, board, "tinyops");
      ASSERT_EQ(got.fits, plan.fits) << plan.why;
      if (!plan.fits) {
        EXPECT_EQ(got.why, plan.why);
        continue;
      }
      ++fitting;
      const SimResult& want = sim.run(net, plan, false);
      EXPECT_EQ(got.total_cycles, want.total_cycles);
      EXPECT_EQ(got.latency_ms, want.latency_ms);
      EXPECT_EQ(got.peak_sram_bytes, want.peak_sram_bytes);
      EXPECT_EQ(got.external_bytes, want.external_bytes());
    }
  EXPECT_GT(fitting, 0);
  EXPECT_GT(scorer.compiled_ops(), 0u);
}

}  // namespace

TEST(TinyopsScorer, ScoresEqualPlannedAndSimulatedOnesOnEveryBoard) {
  const std::vector<Network> nets = networks();
  for (const std::string& board :
       {"stm32f746g-disco", "stm32f769i-disco", "stm32f469i-disco", "stm32h747i-disco", "qemu-mps2-an500"}) {
    expect_scores_equal_planned_ones(nets, load_board(board, kCatalog), 2);  // round 2: every op compiled before
  }
}

TEST(TinyopsScorer, ReusesCompiledOpsAcrossNetworks) {
  const std::vector<Network> nets = networks();
  const Board board = load_board("stm32f746g-disco", kCatalog);
  TinyopsScorer scorer(board);
  BatchScore score;
  size_t ops = 0;
  for (const Network& net : nets) {
    scorer.score(net, score);
    if (score.fits) ops += net.ops().size();
  }
  const size_t compiled = scorer.compiled_ops();
  EXPECT_LT(compiled, ops);  // shared shapes compiled once
  for (const Network& net : nets) scorer.score(net, score);
  EXPECT_EQ(scorer.compiled_ops(), compiled);  // nothing new the second time
}

TEST(TinyopsScorer, FallsBackToTheFullSimulationWhenCostsRunTheClockBackwards) {
  // A Board edited in code with a negative kernel cost: the compiled walk cannot be trusted (see Simulator).
  Board board = load_board("stm32f746g-disco", kCatalog);
  for (KernelKind kind : {KernelKind::DepthwiseDsp, KernelKind::DepthwiseReference})
    board.kernels[int(kind)].term(CostTerm::Call).value = -5e5;
  expect_scores_equal_planned_ones(networks(), board, 1);
}

TEST(TinyopsScorer, BatchScoresEqualPlannedAndSimulatedOnes) {
  const std::vector<Network> nets = networks();
  const Board board = load_board("stm32f746g-disco", kCatalog);
  std::vector<const Network*> ptrs;
  for (const Network& n : nets) ptrs.push_back(&n);
  const std::vector<BatchScore> batch = score_networks(ptrs, {"tinyops", "external"}, board);
  Simulator sim(board);
  for (const BatchScore& s : batch) {
    if (s.strategy != "tinyops") continue;
    SCOPED_TRACE(nets[size_t(s.arch)].name());
    const Plan plan = make_plan(nets[size_t(s.arch)], board, "tinyops");
    ASSERT_EQ(s.fits, plan.fits);
    if (s.fits)
      EXPECT_EQ(s.total_cycles, sim.run(nets[size_t(s.arch)], plan, false).total_cycles);
    else
      EXPECT_TRUE(std::isnan(s.latency_ms));
  }
}

TEST(BatchScorer, GivesTheSameAnswersCallAfterCallForEveryStrategy) {
  const std::vector<Network> nets = networks();
  const Board board = load_board("stm32f746g-disco", kCatalog);
  std::vector<const Network*> ptrs, reversed;
  for (const Network& n : nets) ptrs.push_back(&n);
  reversed.assign(ptrs.rbegin(), ptrs.rend());
  const std::vector<std::string> strategies = {"internal", "external", "tinyops"};
  BatchScorer scorer(board, strategies);
  const std::vector<BatchScore> first = scorer.score(ptrs);
  const std::vector<BatchScore> again = scorer.score(reversed);  // warm: every shape seen
  ASSERT_EQ(first.size(), again.size());
  const size_t k = strategies.size();
  for (size_t row = 0; row < first.size(); ++row) {
    const BatchScore& a = first[row];
    const BatchScore& b = again[(nets.size() - 1 - size_t(a.arch)) * k + row % k];
    SCOPED_TRACE(nets[size_t(a.arch)].name() + " under " + a.strategy);
    EXPECT_EQ(a.strategy, b.strategy);
    EXPECT_EQ(a.fits, b.fits);
    EXPECT_EQ(a.why, b.why);
    if (a.fits) EXPECT_EQ(a.total_cycles, b.total_cycles);
  }
}
