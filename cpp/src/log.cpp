#include "tinyops/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <cstdlib>
#include <memory>

#include "tinyops/error.hpp"

namespace tinyops::log {

namespace {

constexpr const char* kEnv = "TINYOPS_LOG";
constexpr spdlog::level::level_enum kDefault = spdlog::level::warn;

const std::vector<std::string> kNames = {"trace", "debug", "info", "warn", "error", "critical", "off"};

// Our names are spdlog's level_enum in order (trace = 0 ... off = 6); "warning", spdlog's own, is accepted too.
bool parse_level(const std::string& name, spdlog::level::level_enum& out) {
  for (size_t l = 0; l < kNames.size(); ++l)
    if (name == kNames[l] || (name == "warning" && l == spdlog::level::warn)) {
      out = static_cast<spdlog::level::level_enum>(l);
      return true;
    }
  return false;
}

enum Component { kPlanner, kSimulator, kBoard, kCalibration, kScorer, kComponents };

// The loggers, made on first use: one sink shared by all (stderr, locked), the level from TINYOPS_LOG.
// They are not registered with spdlog's global registry, so an embedding program's loggers stay its own.
struct Loggers {
  std::array<std::shared_ptr<spdlog::logger>, kComponents> all;

  Loggers() {
    static const std::array<const char*, kComponents> names = {"tinyops.planner", "tinyops.simulator", "tinyops.board",
                                                               "tinyops.calibration", "tinyops.scorer"};
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    sink->set_pattern("[%n] [%l] %v");
    for (int c = 0; c < kComponents; ++c) all[c] = std::make_shared<spdlog::logger>(names[c], sink);
    spdlog::level::level_enum level = kDefault;
    const char* env = std::getenv(kEnv);
    const bool bad_env = env && *env && !parse_level(env, level);
    set(level);
    if (bad_env)
      all[kPlanner]->warn(
          "{}={}: not a log level (expected one of trace, debug, info, warn, error, critical, off);"
          " using warn",
          kEnv, env);
  }

  void set(spdlog::level::level_enum level) {
    for (auto& logger : all) {
      logger->set_level(level);
      logger->flush_on(level);  // what is printed appears at once, in order with the CLI's own output
    }
  }
};

Loggers& loggers() {
  static Loggers instance;
  return instance;
}

}  // namespace

spdlog::logger& planner() { return *loggers().all[kPlanner]; }
spdlog::logger& simulator() { return *loggers().all[kSimulator]; }
spdlog::logger& board() { return *loggers().all[kBoard]; }
spdlog::logger& calibration() { return *loggers().all[kCalibration]; }
spdlog::logger& scorer() { return *loggers().all[kScorer]; }

const std::vector<std::string>& level_names() { return kNames; }

void set_log_level(const std::string& level) {
  spdlog::level::level_enum parsed;
  if (!parse_level(level, parsed))
    throw InputError("log level", level, "expected one of trace, debug, info, warn, error, critical or off");
  loggers().set(parsed);
}

std::string log_level() { return kNames.at(size_t(planner().level())); }

}  // namespace tinyops::log
