// The core's loggers: planner decisions at debug, silence when the level is above them, bad level names.
#include <gtest/gtest.h>

#include <string>

#include "data_paths.hpp"
#include "tinyops/board.hpp"
#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {
namespace {

// Restores the level a test changed.
class LogLevel : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = log::log_level(); }
  void TearDown() override { log::set_log_level(saved_); }
  std::string saved_;
};

std::string plan_and_capture(const Network& net, const Board& board, const std::string& strategy) {
  ::testing::internal::CaptureStderr();
  make_plan(net, board, strategy);
  return ::testing::internal::GetCapturedStderr();
}

TEST_F(LogLevel, DebugPrintsThePlannersChoicesAndRefusals) {
  const Network net = fixtures::golden_networks({"mbv3-w0.55-r128"}).front();
  const Board board = load_board("stm32f746g-disco", fixtures::kCatalog);
  log::set_log_level("debug");
  EXPECT_EQ(log::log_level(), "debug");

  const std::string tinyops = plan_and_capture(net, board, "tinyops");
  const std::string on = net.name() + " on stm32f746g-disco: ";
  EXPECT_NE(tinyops.find("[tinyops.planner] [debug] " + on + "row factor "), std::string::npos) << tinyops;
  EXPECT_NE(tinyops.find("tinyops plan of " + on + std::to_string(net.ops().size()) + " ops"), std::string::npos)
      << tinyops;
  EXPECT_NE(tinyops.find("tinyops:rows"), std::string::npos) << tinyops;

  const std::string internal = plan_and_capture(net, board, "internal");
  EXPECT_NE(internal.find("internal refused " + on), std::string::npos) << internal;
}

TEST_F(LogLevel, AboveDebugThePlannerPrintsNothing) {
  const Network net = fixtures::golden_networks({"mbv3-w0.55-r128"}).front();
  const Board board = load_board("stm32f746g-disco", fixtures::kCatalog);
  for (const char* level : {"info", "warn", "off"}) {
    log::set_log_level(level);
    EXPECT_EQ(plan_and_capture(net, board, "tinyops"), "") << level;
  }
}

TEST_F(LogLevel, EveryNamedLevelRoundTripsAndOthersAreInputErrors) {
  for (const std::string& level : log::level_names()) {
    log::set_log_level(level);
    EXPECT_EQ(log::log_level(), level);
  }
  log::set_log_level("warning");  // spdlog's own name for warn
  EXPECT_EQ(log::log_level(), "warn");
  EXPECT_THROW(log::set_log_level("verbose"), InputError);
  EXPECT_THROW(log::set_log_level(""), InputError);
}

TEST_F(LogLevel, OneLoggerPerComponent) {
  EXPECT_EQ(log::planner().name(), "tinyops.planner");
  EXPECT_EQ(log::simulator().name(), "tinyops.simulator");
  EXPECT_EQ(log::board().name(), "tinyops.board");
  EXPECT_EQ(log::calibration().name(), "tinyops.calibration");
  EXPECT_EQ(log::scorer().name(), "tinyops.scorer");
}

}  // namespace
}  // namespace tinyops
