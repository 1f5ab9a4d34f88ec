#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "data_paths.hpp"
#include "board_fixture.hpp"
#include "tinyops/board.hpp"
#include "tinyops/error.hpp"

using namespace tinyops;
using tinyops::fixtures::kTinyBoardYaml;
using tinyops::fixtures::tiny_board_with;

namespace {

const std::string& catalog_dir() { return fixtures::kCatalog; }

// Loading `text` fails with an InputError naming `source` and `field`, whose message contains `expected`.
void expect_input_error(const std::string& text, const std::string& field, const std::string& expected) {
  try {
    board_from_yaml_text(text, "bad.yaml");
    FAIL() << "expected an InputError at " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.source(), "bad.yaml");
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Board, LoadsTheTinyBoard) {
  Board b = board_from_yaml_text(kTinyBoardYaml, "tiny.yaml");
  EXPECT_EQ(b.name, "tiny");
  EXPECT_EQ(b.version, 3);
  ASSERT_EQ(b.memories.size(), 3u);
  EXPECT_EQ(b.memories[2].name, "sdram");
  EXPECT_EQ(b.memories[2].kind, MemoryKind::External);
  EXPECT_EQ(int64_t(b.memories[2].base.value), int64_t(0xC0000000));
  EXPECT_EQ(b.sram_budget_bytes.value, 60000);
  EXPECT_EQ(b.sram_budget_bytes.source, SourceKind::Measurement);
  ASSERT_EQ(b.dma.size(), 1u);
  EXPECT_EQ(b.dma[0].links[0].bytes_per_cycle.value, 4);
  EXPECT_EQ(b.kernel(KernelKind::Conv1x1).term(CostTerm::Call).value, 100);
}

TEST(Board, MalformedYamlNamesTheLine) { expect_input_error("name: [unclosed\n", "(file)", "line"); }

TEST(Board, UnknownKeyIsNamed) {
  expect_input_error(tiny_board_with("  core: cortex-m7", "  core: cortex-m7\n  turbo: true"), "cpu.turbo",
                     "unknown key");
}

TEST(Board, MissingFieldIsNamed) {
  expect_input_error(tiny_board_with("version: 3\n", ""), "version", "missing");
  expect_input_error(tiny_board_with("    cached: false\n", ""), "memories[0].cached", "missing");
}

TEST(Board, WrongTypeIsNamed) {
  expect_input_error(tiny_board_with("cached: false", "cached: maybe"), "memories[0].cached", "true or false");
  expect_input_error(tiny_board_with("value: 1000000", "value: fast"), "cpu.clock_hz.value", "number");
}

TEST(Board, NegativeSizeIsRejected) {
  expect_input_error(tiny_board_with("size_bytes: {value: 65536", "size_bytes: {value: -5"),
                     "memories[0].size_bytes.value", "positive");
}

TEST(Board, ZeroBandwidthIsRejected) {
  expect_input_error(tiny_board_with("bytes_per_cycle: {value: 4", "bytes_per_cycle: {value: 0"),
                     "dma[0].links[0].bytes_per_cycle.value", "positive");
}

TEST(Board, InfiniteOrNanNumbersAreRejected) {
  // Every cost and size is a finite number: YAML's .inf / .nan, and numbers too large for a double, are read as
  // strings (the fast simulator relies on finite board costs; see Simulator).
  expect_input_error(tiny_board_with("value: 1000000", "value: .inf"), "cpu.clock_hz.value", "expected a number");
  expect_input_error(tiny_board_with("bytes_per_cycle: {value: 4", "bytes_per_cycle: {value: .nan"),
                     "dma[0].links[0].bytes_per_cycle.value", "expected a number");
  expect_input_error(tiny_board_with("value: 1000000", "value: 1e999"), "cpu.clock_hz.value", "expected a number");
}

TEST(Board, BudgetMustFitItsMemory) {
  expect_input_error(tiny_board_with("budget_bytes: {value: 60000", "budget_bytes: {value: 70000"),
                     "sram.budget_bytes.value", "at most the size of memory sram");
  expect_input_error(tiny_board_with("budget_bytes: {value: 60000", "budget_bytes: {value: 0"),
                     "sram.budget_bytes.value", "positive");
}

TEST(Board, UnknownMemoryAndProvenanceAreRejected) {
  expect_input_error(tiny_board_with("{from: sdram, to: sram", "{from: sdram, to: dtcm"), "dma[0].links[0].to",
                     "memory");
  expect_input_error(tiny_board_with("source: estimate, ref: \"test\"}", "source: guess, ref: \"test\"}"),
                     "cpu.clock_hz.source", "datasheet");
  expect_input_error(tiny_board_with("memory: sram", "memory: flash"), "sram.memory", "internal");
}

TEST(Board, YamlRoundTripKeepsEveryNumberAndItsProvenance) {
  Board b = board_from_yaml_text(kTinyBoardYaml, "tiny.yaml");
  b.version = 4;
  b.kernels[int(KernelKind::Conv1x1)].term(CostTerm::Mac) = Quantity{0.8125, SourceKind::Fit, "calibration run 7"};
  b.kernels[int(KernelKind::Conv1x1)].term(CostTerm::Output) =
      Quantity{12.5, SourceKind::Derived, "llvm-mca cortex-m7"};
  auto path = std::filesystem::temp_directory_path() / "tinyops_test_board_roundtrip.yaml";
  write_board_yaml(b, path.string());
  Board back = load_board_file(path.string());
  back.source = b.source;
  EXPECT_EQ(back, b);
  std::filesystem::remove(path);
}

TEST(Board, CatalogHoldsTheBoardsOfTheDesign) {
  std::vector<std::string> names;
  for (const CatalogEntry& e : list_board_catalog(catalog_dir())) names.push_back(e.name);
  for (const char* wanted : {"stm32f746g-disco", "stm32f469i-disco", "stm32f769i-disco", "stm32h747i-disco",
                             "qemu-mps2-an500", "qemu-mps2-an505"})
    EXPECT_NE(std::find(names.begin(), names.end(), wanted), names.end()) << wanted;
  for (const CatalogEntry& e : list_board_catalog(catalog_dir())) {
    Board b = load_board(e.name, catalog_dir());
    EXPECT_EQ(b.name, e.name);
  }
  EXPECT_EQ(load_board("stm32f746g-disco", catalog_dir()).sram_budget_bytes.value,
            297 * 1024);  // the F746 port's internal arena
  EXPECT_THROW(load_board("no-such-board", catalog_dir()), InputError);
}
