#pragma once
// A board: CPU, memories, SRAM budget, DMA engines, bus contention and the kernel cost model, every number
// with its provenance. Loaded from one YAML file per board (schema: latency_model/boards/README.md) and
// validated on load; calibration writes new parameter versions back with write_board_yaml.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace tinyops {

enum class SourceKind { Datasheet, Measurement, Fit, Estimate, Derived };
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
  Quantity base;  // address
  Quantity size_bytes;
  // Stall cycles the CPU pays per byte it fetches from / writes back to this memory, beyond what the kernel
  // cost model already counts for data in zero-wait-state SRAM (so 0 for TCM/SRAM).
  Quantity read_cycles_per_byte;
  Quantity write_cycles_per_byte;
  bool cached = false;        // the CPU reaches it through the D-cache (re-reads of a small window hit)
  bool dma_reachable = true;  // a DMA engine can read/write it (CCM on the F469 cannot)
  bool operator==(const Memory&) const = default;
};

struct Cpu {
  std::string core;  // "cortex-m7", "cortex-m4f"
  Quantity clock_hz;
  Quantity icache_bytes;
  Quantity dcache_bytes;            // 0: no data cache
  Quantity memcpy_cycles_per_byte;  // CPU copy cost, used when the board has no DMA engine
  // CPU cycles per such copy besides its bytes: the runtime's bookkeeping of a transfer (the executor's issue,
  // the two ends' addresses, the copy call). Optional in the YAML (absent: 0); with it the planners see that
  // splitting into parts that each copy costs something even where the bytes are few.
  Quantity memcpy_issue_cycles;
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
  Quantity streams;           // concurrent streams the runtime uses
  Quantity setup_cycles;      // latency from start request to the first byte moving
  Quantity cpu_issue_cycles;  // CPU time to program one transfer (incl. the D-cache clean on an M7)
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

// Kernel kinds of the cost model: one per kernel the firmware runs, so that one set of parameters costs one
// loop nest. kernel_kind() (kernel_cost.hpp) picks the kind an op runs exactly as the firmware's dispatch
// does (firmware/src/kernels: conv2d_dsp_applies, depthwise_conv2d_dsp_applies):
//   conv2d_1x1                  pointwise (1x1, no padding, any stride): the DSP kernel, pixels read in place
//   conv2d_kxk_dsp              other convolutions with kh*kw*Cin <= 256: the DSP kernel on gathered patches
//   conv2d_kxk_reference        deeper patches: the portable reference kernel
//   depthwise_conv2d_dsp        3x3, 5x5 and 7x7 depthwise with channels a multiple of 4: the DSP kernel
//   depthwise_conv2d_reference  every other depthwise convolution: the reference kernel
//   add, average_pool, global_average_pool, fully_connected, pad, mul: one kernel each
enum class KernelKind {
  Conv1x1,
  ConvKxKDsp,
  ConvKxKReference,
  DepthwiseDsp,
  DepthwiseReference,
  Add,
  AveragePool,
  GlobalAveragePool,
  FullyConnected,
  Pad,
  Mul
};
inline constexpr int kKernelKindCount = 11;
const char* to_string(KernelKind kind);

// The named, linear terms of the kernel cost model: cycles(part) = sum over the kind's terms of
// value x feature(part). Every value is a cost per unit of work, so it is non-negative (NNLS fits them). The
// features, per part (kernel_features() in kernel_cost.hpp computes them):
//   cycles_per_call          1: the kernel call and its set-up
//   cycles_per_mac           multiply-accumulates executed: for DSP convolutions those the kernel computes
//                            (an odd channel of a block twice, depth rounded up to 4 on the expanded path);
//                            for the reference kernels and pools those of taps inside the input (padding taps
//                            are skipped; a global pool's are the input elements summed); for the DSP
//                            depthwise every tap of every window (padding taps multiply gathered zeros),
//                            except on maps smaller than its kernel (border taps)
//   cycles_per_output        output elements (requantize, clamp, store)
//   cycles_per_slow_output   extra per output element requantized on the general path (Op::slow_requant_share;
//                            the DSP conv's deep path and the reference kernels: every channel off the fast path,
//                            left shifts included, as they have no left-shift path)
//   cycles_per_left_shift_output  extra per output element requantized on the DSP kernels' left-shift path
//                            (Op::left_shift_share; expanded DSP conv and DSP depthwise)
//   cycles_per_clamped_output extra per output element clamped by compare-and-move rather than saturated by one SSAT
//                            (DSP conv and depthwise: an activation range narrower than int8, the general path,
//                            and every output of the deep path)
//   cycles_per_output_row    output rows (row loop overhead)
//   cycles_per_output_pixel  output pixels (column loop overhead)
//   cycles_per_channel       output channels set up per call (DSP kernels: bias, requantization)
//   cycles_per_weight        filter elements processed per call (DSP conv: widened to int16, or summed into the
//                            bias for 1x1 filters deeper than the expanded path takes; DSP depthwise: taps
//                            sign-extended per channel group, K*K or on a map smaller than K those inside)
//   cycles_per_pixel_block   output pixel pairs (or lone pixels) x blocks of output channels (DSP conv)
//   cycles_per_input_group   4-byte input groups sign-extended per pixel pair and channel block (DSP conv)
//   cycles_per_gather_tap    patch taps gathered (copied or padded) per pixel and channel block (DSP KxK); DSP
//                            depthwise: input elements gathered (sign-extended or zero-padded) into its row ring
//   cycles_per_raw_mac       extra per MAC of the paired raw loop (DSP conv calls too small to widen the weights)
//   cycles_per_widened_tile  DSP conv: pixel pairs x channel pairs of the general widened loop (more than 4 input
//                            groups: its per-tile set-up, which the unrolled loops of 1-4 groups do not pay)
//   cycles_per_lone_mac      DSP conv: extra per MAC of a lone last pixel's single-pixel loop over 4 filters at a
//                            time (23 instructions per 16 MACs against the paired raw loop's 18)
//   cycles_per_lone_tail_mac DSP conv: extra per MAC of a lone pixel's last count % 4 channels of a block (plain C)
//   cycles_per_odd_mac       extra per MAC outside 2x2 tiles on the deep path: an odd last pixel or channel
//   cycles_per_tail_mac      extra per MAC of the depth % 4 input channels of deep-path tiles
//   cycles_per_deep_mac      extra per MAC of deep-path tiles (weights sign-extended in the loop)
//   cycles_per_row_visit     kernel rows visited per output element (reference kernels, pools; DSP depthwise:
//                            ring slots checked per output row x channels x strips, or on a map smaller than
//                            the kernel, kernel rows inside per window x channels)
//   cycles_per_channel_row   output rows x channels x column strips (the DSP depthwise loops rows inside
//                            channel groups and strips)
//   cycles_per_border_tap    DSP depthwise on a map narrower or shorter than its kernel: the taps inside the
//                            map x channels (read in place, the offset added per tap)
//   cycles_per_border_window DSP depthwise on such a map: windows x channels (each window's bounds and tap
//                            loops set up, where the ring path runs one fixed unrolled window)
//   cycles_per_padding_tap   DSP depthwise ring: gathered pixel positions in the padding x channels (written
//                            as zeros: no load, no sign extension)
//   cycles_per_activation_table  1 for the first part of an op with a fused hard-swish (its 256-entry table)
//   cycles_per_activation_output output elements passed through a fused hard-swish (one table load each)
enum class CostTerm {
  Call,
  Mac,
  Output,
  SlowOutput,
  OutputRow,
  OutputPixel,
  Channel,
  Weight,
  PixelBlock,
  InputGroup,
  GatherTap,
  RawMac,
  OddMac,
  TailMac,
  DeepMac,
  RowVisit,
  ChannelRow,
  BorderTap,
  BorderWindow,
  PaddingTap,
  WidenedTile,
  LoneMac,
  LoneTailMac,
  ActivationTable,
  ActivationOutput,
  LeftShiftOutput,
  ClampedOutput
};
inline constexpr int kCostTermCount = 27;
const char* to_string(CostTerm term);
// The terms a kind's cost depends on (the others' features are always 0 for it). The first three
// (call, mac, output) are required in a board file; a missing other term is 0 ("not modelled").
const std::vector<CostTerm>& kernel_terms(KernelKind kind);
inline constexpr int kRequiredCostTerms = 3;

struct KernelCost {
  std::array<Quantity, kCostTermCount> terms;
  const Quantity& term(CostTerm t) const { return terms[int(t)]; }
  Quantity& term(CostTerm t) { return terms[int(t)]; }
  bool operator==(const KernelCost&) const = default;
};

struct Board {
  std::string name;
  std::string description;
  int version = 1;     // parameter version: calibration writes version + 1
  std::string source;  // the file it was loaded from (for messages)
  Cpu cpu;
  std::vector<Memory> memories;
  std::string sram_memory;     // the memory holding the arena / overlay buffers
  Quantity sram_budget_bytes;  // how much of it the plan may use
  std::vector<DmaEngine> dma;  // empty: copies are done by the CPU (QEMU)
  BusContention bus;
  std::array<KernelCost, kKernelKindCount> kernels;

  int memory_index(const std::string& name) const;      // -1 if absent
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
