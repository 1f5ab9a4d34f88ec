#pragma once
// Scoring many architectures x strategies on one board in one call (the search's inner loop), and the same
// work timed in a pure C++ loop, so a benchmark can compare the Python batch call against it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

struct BatchScore {
  int arch = 0;               // index into the networks given
  std::string strategy;
  bool fits = false;
  std::string why;            // when it does not fit
  double latency_ms = 0;      // NaN when it does not fit
  double total_cycles = 0;
  int64_t peak_sram_bytes = 0;
  int64_t external_bytes = 0;
};

// Plans and simulates every network under every strategy (timeline off). Row order: arch-major.
std::vector<BatchScore> score_networks(const std::vector<const Network*>& nets, const std::vector<std::string>& strategies,
                                       const Board& board);
// Architectures as ProxylessNASNets JSON texts; an invalid one is an InputError naming "archs[i]".
std::vector<Network> networks_from_arch_texts(const std::vector<std::string_view>& texts);

// Seconds per pass of score_networks over prebuilt `nets` (plan + simulate), best of `repeats` passes.
double time_score_networks(const std::vector<const Network*>& nets, const std::vector<std::string>& strategies,
                           const Board& board, int repeats);
// Seconds per pass of score_networks over `texts` (parsing included), best of `repeats` passes.
double time_score_arch_texts(const std::vector<std::string>& texts, const std::vector<std::string>& strategies,
                             const Board& board, int repeats);
// Seconds per simulation of a prebuilt plan (timeline off): `repeats` runs in 10 chunks, the mean run of the
// quickest chunk; with `reference`, by
// the ReferenceSimulator (the plain event simulation the fast Simulator is checked against).
double time_simulate(const Network& net, const Plan& plan, const Board& board, int repeats, bool reference = false);

}  // namespace tinyops
