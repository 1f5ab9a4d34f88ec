#pragma once
// A board: CPU, memories, SRAM budget, DMA engines, bus contention and the kernel cost model, every number
// with its provenance. Loaded from one YAML file per board (schema: latency_model/boards/README.md) and
// validated on load; calibration writes new parameter versions back with write_board_yaml.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tinyops {

enum class SourceKind { Datasheet, Measurement, Fit, Estimate };
const char* to_string(SourceKind kind);

// A number and where it comes from ("datasheet" + "RM0385 §2.2", "estimate" + "to be calibrated", ...).
struct Quantity {
  double value = 0;
  SourceKind source = SourceKind::Estimate;
  std::string ref;
  bool operator==(const Quantity&) const = default;
};

enum class MemoryKind { Internal, External, Flash };
const char* to_string(MemoryKind kind);

struct Memory {
  std::string name;
  MemoryKind kind = MemoryKind::Internal;
  Quantity base;                  // address
  Quantity size_bytes;
  // Stall cycles the CPU pays per byte it fetches from / writes back to this memory, beyond what the kernel
  // cost model already counts for data in zero-wait-state SRAM (so 0 for TCM/SRAM).
  Quantity read_cycles_per_byte;
  Quantity write_cycles_per_byte;
  bool cached = false;            // the CPU reaches it through the D-cache (re-reads of a small window hit)
  bool dma_reachable = true;      // a DMA engine can read/write it (CCM on the F469 cannot)
  bool operator==(const Memory&) const = default;
};

struct Cpu {
  std::string core;               // "cortex-m7", "cortex-m4f"
  Quantity clock_hz;
  Quantity icache_bytes;
  Quantity dcache_bytes;          // 0: no data cache
  Quantity memcpy_cycles_per_byte;  // CPU copy cost, used when the board has no DMA engine
  bool operator==(const Cpu&) const = default;
};

// DMA bandwidth from one memory to another, bytes per CPU cycle.
struct DmaLink {
  std::string from, to;
  Quantity bytes_per_cycle;
  bool operator==(const DmaLink&) const = default;
};

struct DmaEngine {
  std::string name;
  Quantity streams;               // concurrent streams the runtime uses
  Quantity setup_cycles;          // latency from start request to the first byte moving
  Quantity cpu_issue_cycles;      // CPU time to program one transfer (incl. the D-cache clean on an M7)
  std::vector<DmaLink> links;
  bool operator==(const DmaEngine&) const = default;
};

// CPU and DMA sharing one memory slow each other down: the CPU's stall cycles on that memory grow by
// `cpu_stall_increase` x (fraction of the op part during which DMA uses it); a DMA transfer's duration grows
// by `dma_slowdown` x (fraction of the concurrent part's time the CPU spends stalled on that memory).
struct BusContention {
  Quantity cpu_stall_increase;
  Quantity dma_slowdown;
  bool operator==(const BusContention&) const = default;
};

// Kernel kinds of the cost model (an op maps to one of them; see kernel_kind()).
enum class KernelKind { Conv1x1, ConvKxK, Depthwise, Add, AveragePool, GlobalAveragePool, FullyConnected, Pad };
inline constexpr int kKernelKindCount = 8;
const char* to_string(KernelKind kind);

// cycles(part) = cycles_per_call + cycles_per_mac * macs(part) + cycles_per_output * output_elements(part).
// For pools "macs" are the accumulations (kernel area x outputs; input elements for a global pool); for add and
// pad they are 0. On QEMU the unit is instructions, not cycles (QEMU counts instructions).
struct KernelCost {
  Quantity cycles_per_mac;
  Quantity cycles_per_output;
  Quantity cycles_per_call;
  bool operator==(const KernelCost&) const = default;
};

struct Board {
  std::string name;
  std::string description;
  int version = 1;                // parameter version: calibration writes version + 1
  std::string source;             // the file it was loaded from (for messages)
  Cpu cpu;
  std::vector<Memory> memories;
  std::string sram_memory;        // the memory holding the arena / overlay buffers
  Quantity sram_budget_bytes;     // how much of it the plan may use
  std::vector<DmaEngine> dma;     // empty: copies are done by the CPU (QEMU)
  BusContention bus;
  std::array<KernelCost, kKernelKindCount> kernels;

  int memory_index(const std::string& name) const;  // -1 if absent
  const Memory& memory(const std::string& name) const;  // throws InputError
  // The first memory of a kind (-1 if none).
  int first_memory_of_kind(MemoryKind kind) const;
  const KernelCost& kernel(KernelKind kind) const { return kernels[int(kind)]; }
  double cycles_to_ms(double cycles) const { return cycles / cpu.clock_hz.value * 1e3; }
  bool operator==(const Board&) const = default;
};

// Parse and validate. `source` names the text in errors. Errors: InputError(source, key path, expected).
Board board_from_yaml_text(const std::string& text, const std::string& source = "<board>");
Board load_board_file(const std::string& path);
// Serialize (inverse of board_from_yaml_text; provenance kept, comments are not).
std::string board_to_yaml_text(const Board& board);
void write_board_yaml(const Board& board, const std::string& path);

// The catalog: one <name>.yaml per board in `catalog_dir`.
struct CatalogEntry {
  std::string name;
  std::string path;
};
std::vector<CatalogEntry> list_board_catalog(const std::string& catalog_dir);
// A catalog name ("stm32f746g-disco") or a path to a YAML file.
Board load_board(const std::string& name_or_path, const std::string& catalog_dir);

}  // namespace tinyops
