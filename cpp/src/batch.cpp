#include "tinyops/batch.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"
#include "tinyops/simulator_reference.hpp"
#include "tinyops/tinyops_scorer.hpp"

namespace tinyops {

// One plan (and planner scratch) per strategy, rewritten network after network: steady-state planning then
// reuses their storage instead of allocating every op's parts again. `tinyops` has a scorer of its own that
// gives the same figures without writing the plans (tinyops_scorer.hpp).
struct BatchScorer::Slot {
  const PlannerEntry* planner;
  Plan plan;
  PlannerScratch scratch;
  std::unique_ptr<TinyopsScorer> scorer;
};

BatchScorer::BatchScorer(const Board& board, const std::vector<std::string>& strategies)
    : board_(board), strategies_(strategies), sim_(std::make_unique<Simulator>(board_)) {
  for (const std::string& s : strategies_) {
    slots_.push_back(std::make_unique<Slot>(Slot{&planner(s), {}, {}, nullptr}));  // throws for an unknown one
    if (s == "tinyops") slots_.back()->scorer = std::make_unique<TinyopsScorer>(board_);
  }
}

BatchScorer::~BatchScorer() = default;

std::vector<BatchScore> BatchScorer::score(const std::vector<const Network*>& nets) {
  const std::lock_guard<std::mutex> lock(busy_);
  std::vector<BatchScore> out;
  out.reserve(nets.size() * strategies_.size());
  for (size_t a = 0; a < nets.size(); ++a) {
    for (size_t k = 0; k < strategies_.size(); ++k) {
      Slot& slot = *slots_[k];
      BatchScore& score = out.emplace_back();
      score.arch = int(a);
      score.strategy = strategies_[k];
      if (slot.scorer) {
        slot.scorer->score(*nets[a], score);
      } else {
        make_plan_into(*slot.planner, *nets[a], board_, slot.plan, slot.scratch);
        score.fits = slot.plan.fits;
        if (slot.plan.fits) {
          const SimResult& r = sim_->run(*nets[a], slot.plan, false);
          score.latency_ms = r.latency_ms;
          score.total_cycles = r.total_cycles;
          score.peak_sram_bytes = r.peak_sram_bytes;
          score.external_bytes = r.external_bytes();
        } else {
          score.why = slot.plan.why;
        }
      }
      if (!score.fits) score.latency_ms = score.total_cycles = std::numeric_limits<double>::quiet_NaN();
    }
  }
  return out;
}

std::vector<BatchScore> score_networks(const std::vector<const Network*>& nets,
                                       const std::vector<std::string>& strategies, const Board& board) {
  return BatchScorer(board, strategies).score(nets);
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
  BatchScorer scorer(board, strategies);
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(1, repeats); ++r) {
    auto t0 = Clock::now();
    volatile size_t sink = scorer.score(nets).size();
    (void)sink;
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

double time_score_arch_texts(const std::vector<std::string>& texts, const std::vector<std::string>& strategies,
                             const Board& board, int repeats) {
  BatchScorer scorer(board, strategies);
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < std::max(1, repeats); ++r) {
    auto t0 = Clock::now();
    std::vector<Network> nets = networks_from_arch_texts(std::vector<std::string_view>(texts.begin(), texts.end()));
    std::vector<const Network*> ptrs;
    for (const Network& n : nets) ptrs.push_back(&n);
    volatile size_t sink = scorer.score(ptrs).size();
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
