#pragma once
// Logging in the host core: one spdlog logger per component, named "tinyops.<component>", all writing to
// stderr (standard output stays the CLI's: `tinyops simulate --json` prints only JSON).
//
// What goes where: a planner's decisions and refusals at debug, a degraded path (a fallback, a clamp) at warn.
// The level is the environment's TINYOPS_LOG (trace, debug, info, warn, error, critical, off; default warn),
// read when the first logger is made, or set_log_level() (the CLI's --log-level). A call below the level costs
// one relaxed atomic load and a compare (spdlog's should_log) and formats nothing; still, keep calls out of
// per-part loops, and guard any argument that costs to build with `if (log.should_log(...))`.
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace tinyops::log {

spdlog::logger& planner();      // strategy choices, factor search, per-op choices of optimal, refusals
spdlog::logger& simulator();    // fallbacks of the fast simulator to the reference
spdlog::logger& board();        // board files read and written
spdlog::logger& calibration();  // fits, and the clamps and drops they make
spdlog::logger& scorer();       // the batch scorers' fallbacks

// Every component's level; `level` is one of level_names(). Bad names: InputError naming the value.
void set_log_level(const std::string& level);
std::string log_level();
const std::vector<std::string>& level_names();

}  // namespace tinyops::log
