#include "tinyops/batch.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"
#include "tinyops/simulator_reference.hpp"

namespace tinyops {

std::vector<BatchScore> score_networks(const std::vector<const Network*>& nets, const std::vector<std::string>& strategies,
                                       const Board& board) {
  // One plan (and planner scratch) per strategy, rewritten network after network: steady-state planning then
  // reuses their storage instead of allocating every op's parts again.
  struct Slot {
    const PlannerEntry* planner;
    Plan plan;
    PlannerScratch scratch;
  };
  std::vector<Slot> slots;
  slots.reserve(strategies.size());
  for (const std::string& s : strategies) slots.push_back(Slot{&planner(s), {}, {}});  // throws for an unknown one
  Simulator sim(board);
  std::vector<BatchScore> out;
  out.reserve(nets.size() * strategies.size());
  for (size_t a = 0; a < nets.size(); ++a) {
    for (size_t k = 0; k < strategies.size(); ++k) {
      BatchScore score;
      score.arch = int(a);
      score.strategy = strategies[k];
      Plan& plan = slots[k].plan;
      make_plan_into(*slots[k].planner, *nets[a], board, plan, slots[k].scratch);
      score.fits = plan.fits;
      if (plan.fits) {
        const SimResult& r = sim.run(*nets[a], plan, false);
        score.latency_ms = r.latency_ms;
        score.total_cycles = r.total_cycles;
        score.peak_sram_bytes = r.peak_sram_bytes;
        score.external_bytes = r.external_bytes();
      } else {
        score.why = plan.why;
        score.latency_ms = score.total_cycles = std::numeric_limits<double>::quiet_NaN();
      }
      out.push_back(std::move(score));
    }
  }
  return out;
}

std::vector<Network> networks_from_arch_texts(const std::vector<std::string_view>& texts) {
  std::vector<Network> nets;
  nets.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    nets.push_back(network_from_arch_text(texts[i], "archs[" + std::to_string(i) + "]"));
  }
  return nets;
}

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

double time_score_networks(const std::vector<const Network*>& nets, const std::vector<std::string>& strategies,
                           const Board& board, int repeats) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(1, repeats); ++r) {
    auto t0 = Clock::now();
    volatile size_t sink = score_networks(nets, strategies, board).size();
    (void)sink;
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

double time_score_arch_texts(const std::vector<std::string>& texts, const std::vector<std::string>& strategies,
                             const Board& board, int repeats) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(1, repeats); ++r) {
    auto t0 = Clock::now();
    std::vector<Network> nets = networks_from_arch_texts(std::vector<std::string_view>(texts.begin(), texts.end()));
    std::vector<const Network*> ptrs;
    for (const Network& n : nets) ptrs.push_back(&n);
    volatile size_t sink = score_networks(ptrs, strategies, board).size();
    (void)sink;
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

namespace {
// The mean time of a run over the quickest of 10 chunks of the repeats (a shared machine's other work lands
// in some chunks, not all).
template <typename Sim>
double time_runs(Sim& sim, const Network& net, const Plan& plan, int repeats) {
  sim.run(net, plan, false);  // warm up: sizes the scratch storage
  constexpr int kChunks = 10;
  const int per_chunk = std::max(1, repeats / kChunks);
  double sink = 0, best = std::numeric_limits<double>::infinity();
  for (int c = 0; c < kChunks; ++c) {
    auto t0 = Clock::now();
    for (int r = 0; r < per_chunk; ++r) sink += sim.run(net, plan, false).total_cycles;
    best = std::min(best, seconds_since(t0) / per_chunk);
  }
  if (std::isnan(sink)) return -1;  // keeps the loop from being optimized away
  return best;
}
}  // namespace

double time_simulate(const Network& net, const Plan& plan, const Board& board, int repeats, bool reference) {
  if (reference) {
    ReferenceSimulator sim(board);
    return time_runs(sim, net, plan, repeats);
  }
  Simulator sim(board);
  return time_runs(sim, net, plan, repeats);
}

}  // namespace tinyops
