#pragma once
// Scoring many architectures x strategies on one board in one call (the search's inner loop), and the same
// work timed in a pure C++ loop, so a benchmark can compare the Python batch call against it.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

struct BatchScore {
  int arch = 0;  // index into the networks given
  std::string strategy;
  bool fits = false;
  std::string why;        // when it does not fit
  double latency_ms = 0;  // NaN when it does not fit
  double total_cycles = 0;
  int64_t peak_sram_bytes = 0;
  int64_t external_bytes = 0;
};

// Scores networks under fixed strategies on one board, call after call: it keeps what it learns about op shapes
// (geometries, partition memos, tinyops' compiled ops) and its working storage from one call to the next, so
// a search that scores a batch per step pays the warm-up once. Calls from several threads take turns.
class BatchScorer {
 public:
  // Throws InputError("strategy", ...) for an unknown strategy.
  BatchScorer(const Board& board, const std::vector<std::string>& strategies);
  ~BatchScorer();
  BatchScorer(const BatchScorer&) = delete;  // its parts refer to its board
  BatchScorer& operator=(const BatchScorer&) = delete;
  // Plans and simulates every network under every strategy (timeline off). Row order: arch-major.
  std::vector<BatchScore> score(const std::vector<const Network*>& nets);

 private:
  struct Slot;
  Board board_;
  std::vector<std::string> strategies_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<class Simulator> sim_;
  std::mutex busy_;
};

// One-off: BatchScorer(board, strategies).score(nets).
std::vector<BatchScore> score_networks(const std::vector<const Network*>& nets,
                                       const std::vector<std::string>& strategies, const Board& board);
// Architectures as ProxylessNASNets JSON texts; an invalid one is an InputError naming "archs[i]".
std::vector<Network> networks_from_arch_texts(const std::vector<std::string_view>& texts);

// Seconds per pass of one BatchScorer over prebuilt `nets` (plan + simulate), best of `repeats` passes (the
// first warms it up, as the first batch of a search does).
double time_score_networks(const std::vector<const Network*>& nets, const std::vector<std::string>& strategies,
                           const Board& board, int repeats);
// The same over `texts` (parsing included).
double time_score_arch_texts(const std::vector<std::string>& texts, const std::vector<std::string>& strategies,
                             const Board& board, int repeats);
// Seconds per simulation of a prebuilt plan (timeline off): `repeats` runs in 10 chunks, the mean run of the
// quickest chunk; with `reference`, by
// the ReferenceSimulator (the plain event simulation the fast Simulator is checked against).
double time_simulate(const Network& net, const Plan& plan, const Board& board, int repeats, bool reference = false);

}  // namespace tinyops
