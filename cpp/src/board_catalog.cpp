// Writing boards back to YAML (calibration bumps the version and marks fitted numbers), and the catalog.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tinyops/board.hpp"
#include "tinyops/error.hpp"
#include "tinyops/log.hpp"

namespace tinyops {
namespace {

namespace fs = std::filesystem;

void emit(YAML::Emitter& out, const char* key, const Quantity& q) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "value" << YAML::Value;
  if (q.value == std::floor(q.value) && std::fabs(q.value) < 9e15)
    out << int64_t(q.value);
  else
    out << YAML::Precision(17) << q.value;
  out << YAML::Key << "source" << YAML::Value << to_string(q.source);
  out << YAML::Key << "ref" << YAML::Value << YAML::DoubleQuoted << q.ref;
  out << YAML::EndMap;
}

}  // namespace

std::string board_to_yaml_text(const Board& b) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << b.name;
  out << YAML::Key << "description" << YAML::Value << YAML::DoubleQuoted << b.description;
  out << YAML::Key << "version" << YAML::Value << b.version;
  out << YAML::Key << "cpu" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "core" << YAML::Value << b.cpu.core;
  emit(out, "clock_hz", b.cpu.clock_hz);
  emit(out, "icache_bytes", b.cpu.icache_bytes);
  emit(out, "dcache_bytes", b.cpu.dcache_bytes);
  emit(out, "memcpy_cycles_per_byte", b.cpu.memcpy_cycles_per_byte);
  emit(out, "memcpy_issue_cycles", b.cpu.memcpy_issue_cycles);
  out << YAML::EndMap;
  out << YAML::Key << "memories" << YAML::Value << YAML::BeginSeq;
  for (const Memory& m : b.memories) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << m.name;
    out << YAML::Key << "kind" << YAML::Value << to_string(m.kind);
    emit(out, "base", m.base);
    emit(out, "size_bytes", m.size_bytes);
    emit(out, "read_cycles_per_byte", m.read_cycles_per_byte);
    emit(out, "write_cycles_per_byte", m.write_cycles_per_byte);
    out << YAML::Key << "cached" << YAML::Value << m.cached;
    out << YAML::Key << "dma_reachable" << YAML::Value << m.dma_reachable;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "sram" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "memory" << YAML::Value << b.sram_memory;
  emit(out, "budget_bytes", b.sram_budget_bytes);
  out << YAML::EndMap;
  out << YAML::Key << "dma" << YAML::Value << YAML::BeginSeq;
  for (const DmaEngine& e : b.dma) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << e.name;
    emit(out, "streams", e.streams);
    emit(out, "setup_cycles", e.setup_cycles);
    emit(out, "cpu_issue_cycles", e.cpu_issue_cycles);
    out << YAML::Key << "links" << YAML::Value << YAML::BeginSeq;
    for (const DmaLink& l : e.links) {
      out << YAML::BeginMap << YAML::Key << "from" << YAML::Value << l.from << YAML::Key << "to" << YAML::Value << l.to;
      emit(out, "bytes_per_cycle", l.bytes_per_cycle);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "bus" << YAML::Value << YAML::BeginMap;
  emit(out, "cpu_stall_increase", b.bus.cpu_stall_increase);
  emit(out, "dma_slowdown", b.bus.dma_slowdown);
  out << YAML::EndMap;
  out << YAML::Key << "kernels" << YAML::Value << YAML::BeginMap;
  for (int k = 0; k < kKernelKindCount; ++k) {
    out << YAML::Key << to_string(KernelKind(k)) << YAML::Value << YAML::BeginMap;
    for (CostTerm t : kernel_terms(KernelKind(k))) emit(out, to_string(t), b.kernels[k].term(t));
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void write_board_yaml(const Board& board, const std::string& path) {
  std::string text = board_to_yaml_text(board);
  board_from_yaml_text(text, path);  // never write a file that would not load back
  std::ofstream out(path);
  if (!out) throw InputError(path, "(file)", "expected a writable path");
  out << "# Written by tinyops (board parameter version " << board.version << ").\n" << text;
  if (!out) throw InputError(path, "(file)", "write failed");
  log::board().info("wrote {} (parameter version {}) to {}", board.name, board.version, path);
}

std::vector<CatalogEntry> list_board_catalog(const std::string& catalog_dir) {
  std::error_code ec;
  if (!fs::is_directory(catalog_dir, ec))
    throw InputError(catalog_dir, "(directory)", "expected the board catalog directory");
  std::vector<CatalogEntry> out;
  for (const auto& entry : fs::directory_iterator(catalog_dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".yaml")
      out.push_back({entry.path().stem().string(), entry.path().string()});
  }
  std::sort(out.begin(), out.end(), [](const CatalogEntry& a, const CatalogEntry& b) { return a.name < b.name; });
  return out;
}

Board load_board(const std::string& name_or_path, const std::string& catalog_dir) {
  std::error_code ec;
  if (fs::is_regular_file(name_or_path, ec)) return load_board_file(name_or_path);
  std::string names;
  for (const CatalogEntry& e : list_board_catalog(catalog_dir)) {
    if (e.name == name_or_path) {
      Board b = load_board_file(e.path);
      if (b.name != e.name) throw InputError(e.path, "name", "expected \"" + e.name + "\" (the file's name)");
      return b;
    }
    names += (names.empty() ? "" : ", ") + e.name;
  }
  throw InputError(name_or_path, "(board)", "expected a board YAML file or a catalog name (" + names + ")");
}

}  // namespace tinyops
