#pragma once
// What the C++ tests read in place from the source tree: the board catalog and the golden file of example
// networks (tests/cpp/data/make_simulator_golden.py writes it).
#include <string>
#include <vector>

#include "tinyops/arch_json.hpp"
#include "tinyops/network.hpp"

namespace tinyops::fixtures {

inline const std::string kCatalog = std::string(TINYOPS_SOURCE_DIR) + "/latency_model/boards";
inline const std::string kGolden = std::string(TINYOPS_SOURCE_DIR) + "/tests/cpp/data/simulator_golden.json";

// The golden file's example networks named in `names`, in that order (a name may repeat).
inline std::vector<Network> golden_networks(const std::vector<std::string>& names) {
  const nlohmann::json archs = read_json_file(kGolden).at("networks");
  std::vector<Network> nets;
  for (const std::string& name : names) nets.push_back(network_from_arch(archs.at(name), name));
  return nets;
}

}  // namespace tinyops::fixtures
