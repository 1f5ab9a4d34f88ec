// Board YAML -> Board, validated field by field (schema: latency_model/boards/README.md).
#include "tinyops/board.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
#include "tinyops/strict_reader.hpp"
#include "tinyops/yaml_document.hpp"

namespace tinyops {

const char* to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::Datasheet: return "datasheet";
    case SourceKind::Measurement: return "measurement";
    case SourceKind::Fit: return "fit";
    case SourceKind::Estimate: return "estimate";
    case SourceKind::Derived: return "derived";
  }
  return "?";
}

const char* to_string(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::Internal: return "internal";
    case MemoryKind::External: return "external";
    case MemoryKind::Flash: return "flash";
  }
  return "?";
}

const char* to_string(KernelKind kind) {
  switch (kind) {
    case KernelKind::Conv1x1: return "conv2d_1x1";
    case KernelKind::ConvKxKDsp: return "conv2d_kxk_dsp";
    case KernelKind::ConvKxKReference: return "conv2d_kxk_reference";
    case KernelKind::DepthwiseDsp: return "depthwise_conv2d_dsp";
    case KernelKind::DepthwiseReference: return "depthwise_conv2d_reference";
    case KernelKind::Add: return "add";
    case KernelKind::AveragePool: return "average_pool";
    case KernelKind::GlobalAveragePool: return "global_average_pool";
    case KernelKind::FullyConnected: return "fully_connected";
    case KernelKind::Pad: return "pad";
    case KernelKind::Mul: return "mul";
  }
  return "?";
}

const char* to_string(CostTerm term) {
  switch (term) {
    case CostTerm::Call: return "cycles_per_call";
    case CostTerm::Mac: return "cycles_per_mac";
    case CostTerm::Output: return "cycles_per_output";
    case CostTerm::SlowOutput: return "cycles_per_slow_output";
    case CostTerm::OutputRow: return "cycles_per_output_row";
    case CostTerm::OutputPixel: return "cycles_per_output_pixel";
    case CostTerm::Channel: return "cycles_per_channel";
    case CostTerm::Weight: return "cycles_per_weight";
    case CostTerm::PixelBlock: return "cycles_per_pixel_block";
    case CostTerm::InputGroup: return "cycles_per_input_group";
    case CostTerm::GatherTap: return "cycles_per_gather_tap";
    case CostTerm::RawMac: return "cycles_per_raw_mac";
    case CostTerm::OddMac: return "cycles_per_odd_mac";
    case CostTerm::TailMac: return "cycles_per_tail_mac";
    case CostTerm::DeepMac: return "cycles_per_deep_mac";
    case CostTerm::RowVisit: return "cycles_per_row_visit";
    case CostTerm::ChannelRow: return "cycles_per_channel_row";
    case CostTerm::BorderTap: return "cycles_per_border_tap";
    case CostTerm::BorderWindow: return "cycles_per_border_window";
    case CostTerm::PaddingTap: return "cycles_per_padding_tap";
    case CostTerm::WidenedTile: return "cycles_per_widened_tile";
    case CostTerm::LoneMac: return "cycles_per_lone_mac";
    case CostTerm::LoneTailMac: return "cycles_per_lone_tail_mac";
    case CostTerm::ActivationTable: return "cycles_per_activation_table";
    case CostTerm::ActivationOutput: return "cycles_per_activation_output";
    case CostTerm::LeftShiftOutput: return "cycles_per_left_shift_output";
    case CostTerm::ClampedOutput: return "cycles_per_clamped_output";
  }
  return "?";
}

const std::vector<CostTerm>& kernel_terms(KernelKind kind) {
  using T = CostTerm;
  static const std::vector<T> conv_dsp{T::Call,
                                       T::Mac,
                                       T::Output,
                                       T::SlowOutput,
                                       T::OutputRow,
                                       T::Channel,
                                       T::Weight,
                                       T::PixelBlock,
                                       T::InputGroup,
                                       T::RawMac,
                                       T::WidenedTile,
                                       T::LoneMac,
                                       T::LoneTailMac,
                                       T::OddMac,
                                       T::TailMac,
                                       T::DeepMac,
                                       T::ActivationTable,
                                       T::ActivationOutput,
                                       T::LeftShiftOutput,
                                       T::ClampedOutput};
  static const std::vector<T> conv_kxk_dsp{
      T::Call,    T::Mac,         T::Output,          T::SlowOutput,       T::OutputRow,       T::Channel,
      T::Weight,  T::PixelBlock,  T::InputGroup,      T::GatherTap,        T::RawMac,          T::WidenedTile,
      T::LoneMac, T::LoneTailMac, T::ActivationTable, T::ActivationOutput, T::LeftShiftOutput, T::ClampedOutput};
  static const std::vector<T> reference{
      T::Call,        T::Mac,      T::Output,          T::SlowOutput,      T::OutputRow,
      T::OutputPixel, T::RowVisit, T::ActivationTable, T::ActivationOutput};
  static const std::vector<T> pool{T::Call, T::Mac, T::Output, T::OutputRow, T::OutputPixel, T::RowVisit};
  static const std::vector<T> depthwise_dsp{
      T::Call,      T::Mac,          T::Output,          T::SlowOutput,       T::OutputRow,       T::OutputPixel,
      T::Channel,   T::Weight,       T::ChannelRow,      T::RowVisit,         T::GatherTap,       T::PaddingTap,
      T::BorderTap, T::BorderWindow, T::ActivationTable, T::ActivationOutput, T::LeftShiftOutput, T::ClampedOutput};
  static const std::vector<T> elementwise{T::Call, T::Mac, T::Output, T::OutputRow, T::OutputPixel};
  static const std::vector<T> dense{T::Call, T::Mac, T::Output, T::SlowOutput};
  switch (kind) {
    case KernelKind::Conv1x1: return conv_dsp;
    case KernelKind::ConvKxKDsp: return conv_kxk_dsp;
    case KernelKind::ConvKxKReference:
    case KernelKind::DepthwiseReference: return reference;
    case KernelKind::AveragePool:
    case KernelKind::GlobalAveragePool: return pool;
    case KernelKind::DepthwiseDsp: return depthwise_dsp;
    case KernelKind::Add:
    case KernelKind::Mul:
    case KernelKind::Pad: return elementwise;
    case KernelKind::FullyConnected: return dense;
  }
  return dense;
}

int Board::memory_index(const std::string& name) const {
  for (size_t i = 0; i < memories.size(); ++i)
    if (memories[i].name == name) return int(i);
  return -1;
}

const Memory& Board::memory(const std::string& name) const {
  int i = memory_index(name);
  if (i < 0) throw InputError(source.empty() ? name : source, "memories", "no memory named \"" + name + "\"");
  return memories[i];
}

int Board::first_memory_of_kind(MemoryKind kind) const {
  for (size_t i = 0; i < memories.size(); ++i)
    if (memories[i].kind == kind) return int(i);
  return -1;
}

namespace {

const std::vector<std::string> kSourceNames = {"datasheet", "measurement", "fit", "estimate", "derived"};
const std::vector<std::string> kMemoryKindNames = {"internal", "external", "flash"};
constexpr double kInf = std::numeric_limits<double>::infinity();

enum class Bound { NonNegative, Positive };

// A number with provenance: {value: X, source: datasheet|measurement|fit|estimate|derived, ref: "where from"}.
Quantity quantity(const StrictReader& parent, const std::string& key, Bound bound, bool integral = false,
                  double max = kInf) {
  StrictReader r = parent.at(key);
  r.expect_keys({"value", "source", "ref"});
  Quantity q;
  q.value = r.number("value");
  const char* expected = bound == Bound::Positive ? "a positive" : "a non-negative";
  if (bound == Bound::Positive ? !(q.value > 0) : !(q.value >= 0))
    r.fail("value", std::string("expected ") + expected + (integral ? " integer" : " number") + ", got " +
                        r.at("value").raw().dump());
  if (integral && q.value != double(int64_t(q.value)))
    r.fail("value", "expected an integer, got " + r.at("value").raw().dump());
  if (q.value > max) r.fail("value", "expected at most " + std::to_string(int64_t(max)));
  q.source = SourceKind(r.choice("source", kSourceNames));
  q.ref = r.str("ref");
  if (q.ref.empty()) r.fail("ref", "expected a reference saying where the number comes from");
  return q;
}

Cpu read_cpu(const StrictReader& r) {
  r.expect_keys({"core", "clock_hz", "icache_bytes", "dcache_bytes", "memcpy_cycles_per_byte"},
                {"memcpy_issue_cycles"});
  Cpu cpu;
  cpu.core = r.str("core");
  cpu.clock_hz = quantity(r, "clock_hz", Bound::Positive);
  cpu.icache_bytes = quantity(r, "icache_bytes", Bound::NonNegative, true);
  cpu.dcache_bytes = quantity(r, "dcache_bytes", Bound::NonNegative, true);
  cpu.memcpy_cycles_per_byte = quantity(r, "memcpy_cycles_per_byte", Bound::Positive);
  cpu.memcpy_issue_cycles = r.has("memcpy_issue_cycles")
                                ? quantity(r, "memcpy_issue_cycles", Bound::NonNegative)
                                : Quantity{0, SourceKind::Estimate, "not given: no fixed cost per CPU copy"};
  return cpu;
}

// A kernel's cost terms: the first kRequiredCostTerms must be there, the kind's others may be.
void expect_kernel_terms(const StrictReader& c, const std::vector<CostTerm>& terms) {
  if (!c.raw().is_object()) c.fail("expected a mapping of cost terms, got " + c.raw().dump());
  std::vector<std::string> allowed;
  for (CostTerm t : terms) allowed.emplace_back(to_string(t));
  for (auto it = c.raw().begin(); it != c.raw().end(); ++it)
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
      c.fail(it.key(), "unknown cost term for this kernel (expected some of: " + join_choices(allowed) + ")");
  for (int t = 0; t < kRequiredCostTerms; ++t)
    if (!c.has(allowed[size_t(t)])) c.fail(allowed[size_t(t)], "missing");
}

Memory read_memory(const StrictReader& r) {
  r.expect_keys({"name", "kind", "base", "size_bytes", "read_cycles_per_byte", "write_cycles_per_byte", "cached",
                 "dma_reachable"});
  Memory m;
  m.name = r.str("name");
  if (m.name.empty()) r.fail("name", "expected a non-empty name");
  m.kind = MemoryKind(r.choice("kind", kMemoryKindNames));
  m.base = quantity(r, "base", Bound::NonNegative, true, double(uint64_t(1) << 32));
  m.size_bytes = quantity(r, "size_bytes", Bound::Positive, true, double(uint64_t(1) << 32));
  m.read_cycles_per_byte = quantity(r, "read_cycles_per_byte", Bound::NonNegative);
  m.write_cycles_per_byte = quantity(r, "write_cycles_per_byte", Bound::NonNegative);
  m.cached = r.boolean("cached");
  m.dma_reachable = r.boolean("dma_reachable");
  return m;
}

DmaEngine read_dma(const StrictReader& r, const Board& board) {
  r.expect_keys({"name", "streams", "setup_cycles", "cpu_issue_cycles", "links"});
  DmaEngine e;
  e.name = r.str("name");
  e.streams = quantity(r, "streams", Bound::Positive, true, 16);
  e.setup_cycles = quantity(r, "setup_cycles", Bound::NonNegative);
  e.cpu_issue_cycles = quantity(r, "cpu_issue_cycles", Bound::NonNegative);
  for (const StrictReader& l : r.at("links").items()) {
    l.expect_keys({"from", "to", "bytes_per_cycle"});
    DmaLink link;
    for (const char* end : {"from", "to"}) {
      std::string name = l.str(end);
      int m = board.memory_index(name);
      if (m < 0) l.fail(end, "expected the name of a memory of this board, got \"" + name + "\"");
      if (!board.memories[m].dma_reachable) l.fail(end, "memory \"" + name + "\" is marked dma_reachable: false");
      (std::string(end) == "from" ? link.from : link.to) = name;
    }
    link.bytes_per_cycle = quantity(l, "bytes_per_cycle", Bound::Positive);
    e.links.push_back(link);
  }
  if (e.links.empty()) r.fail("links", "expected at least one memory-to-memory link");
  return e;
}

Board read_board(const StrictReader& r) {
  r.expect_keys({"name", "description", "version", "cpu", "memories", "sram", "dma", "bus", "kernels"});
  Board b;
  b.source = r.source();
  b.name = r.str("name");
  if (b.name.empty()) r.fail("name", "expected a non-empty name");
  b.description = r.str("description");
  b.version = int(r.integer("version", 1, 1 << 30));
  b.cpu = read_cpu(r.at("cpu"));
  const auto memories = r.at("memories").items();
  if (memories.empty() || memories.size() > 8) r.fail("memories", "expected 1 to 8 memories");
  for (const StrictReader& m : memories) {
    b.memories.push_back(read_memory(m));
    if (b.memory_index(b.memories.back().name) != int(b.memories.size()) - 1)
      m.fail("name", "expected a unique memory name, \"" + b.memories.back().name + "\" appears twice");
  }
  StrictReader sram = r.at("sram");
  sram.expect_keys({"memory", "budget_bytes"});
  b.sram_memory = sram.str("memory");
  int m = b.memory_index(b.sram_memory);
  if (m < 0) sram.fail("memory", "expected the name of a memory of this board, got \"" + b.sram_memory + "\"");
  if (b.memories[m].kind != MemoryKind::Internal) sram.fail("memory", "expected an internal memory");
  b.sram_budget_bytes = quantity(sram, "budget_bytes", Bound::Positive, true);
  if (b.sram_budget_bytes.value > b.memories[m].size_bytes.value)
    sram.at("budget_bytes")
        .fail("value", "expected at most the size of memory " + b.sram_memory + " (" +
                           std::to_string(int64_t(b.memories[m].size_bytes.value)) + " bytes)");
  for (const StrictReader& e : r.at("dma").items()) b.dma.push_back(read_dma(e, b));
  StrictReader bus = r.at("bus");
  bus.expect_keys({"cpu_stall_increase", "dma_slowdown"});
  b.bus.cpu_stall_increase = quantity(bus, "cpu_stall_increase", Bound::NonNegative);
  b.bus.dma_slowdown = quantity(bus, "dma_slowdown", Bound::NonNegative);
  StrictReader kernels = r.at("kernels");
  kernels.expect_keys({"conv2d_1x1", "conv2d_kxk_dsp", "conv2d_kxk_reference", "depthwise_conv2d_dsp",
                       "depthwise_conv2d_reference", "add", "average_pool", "global_average_pool", "fully_connected",
                       "pad", "mul"});
  for (int k = 0; k < kKernelKindCount; ++k) {
    const std::vector<CostTerm>& terms = kernel_terms(KernelKind(k));
    StrictReader c = kernels.at(to_string(KernelKind(k)));
    expect_kernel_terms(c, terms);
    for (size_t t = 0; t < terms.size(); ++t) {
      Quantity& q = b.kernels[k].term(terms[t]);
      if (int(t) < kRequiredCostTerms || c.has(to_string(terms[t])))
        q = quantity(c, to_string(terms[t]), Bound::NonNegative);
      else
        q = Quantity{0, SourceKind::Estimate, "not in the board file: term not modelled"};
    }
  }
  return b;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "(file)", "expected a readable file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Board board_from_yaml_text(const std::string& text, const std::string& source) {
  nlohmann::json doc = yaml_text_to_json(text, source);
  return read_board(StrictReader(doc, source));
}

Board load_board_file(const std::string& path) {
  Board board = board_from_yaml_text(read_text_file(path), path);
  log::board().debug("read {} (parameter version {}) from {}", board.name, board.version, path);
  return board;
}

}  // namespace tinyops
