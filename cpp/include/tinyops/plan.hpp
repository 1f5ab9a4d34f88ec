#pragma once
// The Plan: the ONE execution plan of a network on a board. The simulator scores it, the firmware compiler
// serializes it into the model blob and the firmware executes it; nothing downstream re-plans.
//
// A plan says, for every op in network order, where each operand is read/written for every part of the op
// (a region of a memory: home memory or an SRAM buffer), which slices are DMA-copied into which SRAM buffer
// before a part computes (`copy_in`) and which are copied out after it (`copy_out`, output overlays), and
// whether a part's copies are issued ahead, while the previous part computes (double buffering; on an op's
// first part that is the cross-op prefetch). Memories are named in `memories` and referenced by index, so the
// plan is self-contained and can be checked against any board that has memories of those names.
//
// Rules the simulator and the firmware rely on (checked by validate_plan, and on JSON load):
//   - ops appear once each, in network order; every part has at least one output row / channel;
//   - every region lies inside its memory's extent as declared by the plan (offset >= 0, bytes >= 0);
//   - a copy's destination lies inside the buffer it names, and source/destination have the same size;
//   - a part whose copies are issued ahead never targets a buffer that the previous part accesses
//     (that would overwrite data in use: use two buffers, ping-pong);
//   - (with the network) a first part copied ahead reads only input rows the previous op has written before
//     its last part.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tinyops {

class Network;

// The operands of one op. Input2 is the second input of add, mul and concatenation (and the operand of the copies
// of a concatenation's later inputs); Scratch is the im2col / work buffer.
enum class Operand { Input = 0, Input2, Weights, Bias, Quant, Output, Scratch };
inline constexpr int kOperandCount = 7;
const char* to_string(Operand operand);

// How an op is split into parts.
enum class Partitioning { None, Rows, OutputChannels };
const char* to_string(Partitioning p);

// A byte range of one memory. `memory` indexes Plan::memories; -1 means "no such operand" (e.g. the bias of
// an add). Offsets are relative to the memory's base address.
struct Region {
  int memory = -1;
  int64_t offset = 0;
  int64_t bytes = 0;
  bool present() const { return memory >= 0; }
  int64_t end() const { return offset + bytes; }
  bool operator==(const Region&) const = default;
};

// What a static SRAM buffer is for (firmware allocates them once; sizes are network-wide maxima).
enum class BufferKind { Arena, Input, Weights, Bias, Quant, Output, Scratch };
const char* to_string(BufferKind kind);

// A network-level buffer: an activation arena or a DMA staging / overlay / scratch buffer.
struct Buffer {
  std::string name;  // unique, e.g. "input_ping", "filter", "arena"
  BufferKind kind = BufferKind::Input;
  Region region;
  bool operator==(const Buffer&) const = default;
};

// One DMA copy (or, on a board without DMA, one synchronous CPU copy).
struct Transfer {
  Operand operand = Operand::Input;
  Region src;
  Region dst;
  int buffer = -1;  // index into Plan::buffers holding dst (-1: dst is a tensor's home, e.g. overlay copy-out)
  bool operator==(const Transfer&) const = default;
};

struct Part {
  // Input rows read by this part, halo included, [begin, end) in the op's (unpadded) input.
  int in_row_begin = 0, in_row_end = 0;
  // Output rows and output channels this part produces, [begin, end).
  int out_row_begin = 0, out_row_end = 0;
  int out_channel_begin = 0, out_channel_end = 0;
  // Where the kernel reads/writes each operand for this part (indexed by Operand; absent ones have memory -1).
  std::array<Region, kOperandCount> at{};
  // Where the kernel reads the op's inputs after the second (a concatenation of three or more; empty otherwise),
  // in input order: Input and Input2 in `at` are its first two.
  std::vector<Region> more_inputs;
  std::vector<Transfer> copy_in;  // must land before this part computes
  // Also must land before this part computes, but issued only when the part is due (after the previous part
  // has computed), even when copy_in is issued ahead: copies into buffers the previous part still uses, e.g.
  // an op's filter while the previous op's last part runs from the same filter buffer.
  std::vector<Transfer> copy_when_due;
  std::vector<Transfer> copy_out;  // started when this part has computed (output overlay)
  // copy_in is issued while the previous part computes (for part 0: during the previous op's last part,
  // i.e. cross-op prefetch). Otherwise it is issued when this part is due and the CPU waits for it.
  bool copy_ahead = false;
  bool operator==(const Part&) const = default;
};

struct OpPlan {
  int op = -1;           // op id in the Network
  std::string strategy;  // how the planner ran it, e.g. "external", "tinyops:rows", "optimal:resident"
  Partitioning partitioning = Partitioning::None;
  int factor = 1;               // the partition factor asked for (parts may be fewer: empty parts are dropped)
  std::vector<Part> parts;      // at least one
  bool output_overlay = false;  // outputs are written to an SRAM buffer and copied out (see Part::copy_out)
  bool prefetched() const { return !parts.empty() && parts.front().copy_ahead; }
  bool operator==(const OpPlan&) const = default;
};

struct Plan {
  std::string network;                // Network::name, for messages
  std::string board;                  // board name
  int board_version = 0;              // board parameter version the plan was made with
  std::string strategy;               // "internal", "external", "tinyops", "optimal", ...
  std::vector<std::string> memories;  // names of the board memories the plan uses; Region::memory indexes it
  std::vector<int64_t> memory_sizes;  // their sizes in bytes (for bounds checks without the board)
  int sram_memory = -1;               // the memory whose budget the plan must respect
  int64_t sram_budget_bytes = 0;
  std::vector<Buffer> buffers;                   // arenas and staging buffers
  std::vector<Region> tensor_home;               // per tensor id: where the activation lives between ops
  std::vector<std::array<Region, 3>> op_params;  // per op id: home of weights, bias, quant (absent: memory -1)
  std::vector<OpPlan> ops;                       // network order
  // Whether the plan respects the board: if not, `why` says what is short and by how much. A plan that does
  // not fit is never simulated (simulate() throws PlanningError with `why`).
  bool fits = true;
  std::string why;

  int memory_index(const std::string& name) const;                          // -1 if absent
  int add_memory(const std::string& name, int64_t size_bytes);              // returns the index (existing or new)
  int add_buffer(const std::string& name, BufferKind kind, Region region);  // returns the index
  int buffer_index(const std::string& name) const;                          // -1 if absent
  // Bytes of the SRAM memory the plan uses: the end of the furthest buffer in `sram_memory`.
  int64_t peak_sram_bytes() const;
  bool operator==(const Plan&) const = default;
};

// Index of the weights/bias/quant entries in Plan::op_params[op].
inline constexpr int kParamWeights = 0, kParamBias = 1, kParamQuant = 2;

// Structural checks (see the rules above). `source` names the plan in errors (file path or "<plan>").
// Throws InputError(source, "ops[3].parts[1].copy_in[0].dst", what was expected).
void validate_plan(const Plan& plan, const std::string& source = "<plan>");
// Further checks against the network the plan is for (op ids, operand sizes, tensor count).
void validate_plan(const Plan& plan, const Network& network, const std::string& source = "<plan>");

nlohmann::json plan_to_json(const Plan& plan);
// Strict: unknown keys, missing fields and wrong types are InputErrors naming `source` and the JSON path.
Plan plan_from_json(const nlohmann::json& j, const std::string& source = "<plan>");
std::string plan_to_json_text(const Plan& plan, int indent = -1);
Plan plan_from_json_text(const std::string& text, const std::string& source = "<plan>");

}  // namespace tinyops
