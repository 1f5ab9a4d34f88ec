#pragma once
// Row partitioning of ops, exactly as the published TinyOps runtime computes it (DESIGN.md, execution
// strategy 3), and the network-wide choice of partition factors and overlay buffers built on it.
//
// Everything here is a pure function of the network's shapes: the `tinyops` planner turns the result into a
// Plan, and the `optimal` planner reuses the same part geometry for the ops it keeps row-partitioned.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tinyops/flat_index.hpp"
#include "tinyops/network.hpp"

namespace tinyops {

// How an op's input rows map to its output rows.
enum class RowRule {
  Window,       // conv, depthwise, average pool: a kernel_rows-tall window moving by `stride`
  Elementwise,  // add (and mul / hard-swish): output row r needs input row r only
  Pad,          // pad: output rows are input rows plus pad_top rows above and pad_bottom rows below
  Whole,        // fully connected, global pool: never partitioned, runs on its whole input
};

struct RowGeometry {
  RowRule rule = RowRule::Whole;
  int in_rows = 0;
  int out_rows = 0;
  int kernel_rows = 1;
  int stride = 1;
  int pad_top = 0;
  int pad_bottom = 0;
  bool operator==(const RowGeometry&) const = default;
};

// One part of a row-partitioned op: the input rows copied into SRAM and the output rows computed from them.
// The kernel runs on the copied rows with `pad_top` virtual rows above them (only the first part has any)
// and produces out_end - out_begin rows; rows the last window needs below the input are padding.
struct RowPart {
  int in_begin = 0, in_end = 0;    // input rows [in_begin, in_end)
  int out_begin = 0, out_end = 0;  // output rows [out_begin, out_end)
  int pad_top = 0;
  int in_rows() const { return in_end - in_begin; }
  int out_rows() const { return out_end - out_begin; }
  bool operator==(const RowPart&) const = default;
};

// The row geometry of an op of `net` (its first input's rows, its output rows, kernel, stride, padding).
RowGeometry row_geometry(const Network& net, const Op& op);
RowRule row_rule(OpKind kind);

// The parts of an op for partition factor `factor` (>= 1). Input rows are dealt out in stride-sized groups
// round-robin over `factor` parts (the first part also takes pad_top % stride rows, the last the rows left
// over), each part is extended downward by the halo its last window needs, and parts that would produce no
// output rows are dropped. An op whose kernel is at least as tall as its input, or a Whole op, is one part.
std::vector<RowPart> partition_rows(const RowGeometry& g, int factor);
// The same into `parts` (its storage reused: the factor search partitions thousands of times per network).
void partition_rows(const RowGeometry& g, int factor, std::vector<RowPart>& parts);

// Largest number of input rows any part of `g` holds at `factor` (`scratch`: storage for the parts).
int largest_part_rows(const RowGeometry& g, int factor);
int largest_part_rows(const RowGeometry& g, int factor, std::vector<RowPart>& scratch);
// Input rows of the first part of `g` at `factor` (partition_rows(g, factor).front().in_rows()) in constant
// time: a lower bound of largest_part_rows that lets the factor search skip factors without partitioning.
int first_part_rows(const RowGeometry& g, int factor);

// The static SRAM buffers of the published runtime, each rounded up to 32-byte alignment.
struct OverlayBuffers {
  int64_t input_bytes = 0;   // each of the two ping-pong input buffers: the largest part
  int64_t filter_bytes = 0;  // filter buffer: the largest part
  // max(largest part, receptive field x 4 for conv / x 2 for depthwise). Holding a largest part, filter and
  // im2col also serve as the ping-pong pair of an add's second input parts (and, under `optimal`, of
  // streamed filter slices).
  int64_t im2col_bytes = 0;
  int64_t bias_bytes = 0;   // the largest bias (int32 per output channel)
  int64_t quant_bytes = 0;  // each of the two quant-param buffers: the largest bias + 128
  int64_t total_bytes() const { return 2 * input_bytes + filter_bytes + im2col_bytes + bias_bytes + 2 * quant_bytes; }
  bool operator==(const OverlayBuffers&) const = default;
};

constexpr int64_t kOverlayAlignment = 32;
constexpr int kMaxPartitionFactor = 223;  // the published runtime's largest factor
// Inline: with the default alignment the division compiles to shifts (the factor search sizes buffers ~100
// times a network).
inline int64_t align_up(int64_t bytes, int64_t alignment = kOverlayAlignment) {
  return (bytes + alignment - 1) / alignment * alignment;
}

// The network-wide factor choice of the published runtime, for one trial factor.
struct RowPartitioning {
  int network_factor = 0;                   // the trial factor f that set the largest part
  int64_t largest_part_bytes = 0;           // rows x width x channels of the largest part in the network
  std::vector<int> op_factor;               // per op: its smallest factor whose parts fit; 0: not partitioned
  std::vector<std::vector<RowPart>> parts;  // per op; empty for ops that are not partitioned
  OverlayBuffers buffers;
  // Left by choose_row_partitioning(..., copy_parts = false) instead of `parts` (then empty): per op, its parts
  // as a range of the scratch's kept parts, read through op_parts() until the scratch partitions again.
  std::vector<std::pair<int, int>> kept_range;
};

// Partitions every op with `factor`, takes the largest part, gives each op the smallest factor (from 2)
// whose largest part is no larger, and sizes the buffers.
RowPartitioning partition_network(const Network& net, int factor);

// The first factor f = 2, 3, ... 223 whose buffers fit `sram_budget_bytes`. Throws PlanningError naming the
// budget and the smallest buffer total any factor needs when none fits.
RowPartitioning choose_row_partitioning(const Network& net, int64_t sram_budget_bytes);

// The factor search's working storage, reused from one network to the next (a batch partitions thousands).
struct FactorSearchScratch {
  struct OpClass {  // ops whose parts have the same rows and the same bytes a row
    int geometry = 0;
    int64_t row_bytes = 0;
    int next = -1;  // the next class of the network with the same geometry, -1 for none
    bool operator==(const OpClass&) const = default;
  };
  std::vector<int> op_class;  // per op: its class, -1 when not partitioned
  std::vector<OpClass> classes;
  // The distinct geometries seen, kept from one network to the next with their memoized part rows and parts (a
  // pure function of the geometry and factor: networks of one search share most of their geometries), found
  // through an open-addressing table of their indices. Cleared when kMaxKeptGeometries accumulate or the kept
  // parts reach kMaxKeptParts (~5 MB).
  static constexpr size_t kMaxKeptGeometries = 4096;
  static constexpr size_t kMaxKeptParts = size_t(1) << 18;
  std::vector<RowGeometry> geometries;
  FlatIndex geometry_index;  // over geometries
  struct Memo {              // one geometry at one factor
    int largest_rows = -1;   // -1 until computed
    int first_rows = -1;     // first_part_rows; -1 until computed
    int parts_begin = -1;    // its parts in kept_parts, [parts_begin, parts_end); -1 until an op is given them
    int parts_end = -1;
  };
  std::vector<std::vector<Memo>> memo;  // [geometry][factor]
  std::vector<RowPart> kept_parts;
  std::vector<int> geometry_class;  // [geometry]: the network's first class of it, -1 for none
  std::vector<RowPart> parts;       // partition_rows' output while measuring
  std::vector<int> class_factor;    // per class: its factor in the last evaluated trial
};
// The same into `out`, reusing its storage and `scratch`'s; without `copy_parts`, the per-op parts stay in the
// scratch (RowPartitioning::kept_range) for a caller that reads only a few of them.
void choose_row_partitioning(const Network& net, int64_t sram_budget_bytes, RowPartitioning& out,
                             FactorSearchScratch& scratch, bool copy_parts = true);
// The parts of op `op` in `r`, copied or kept in `scratch`.
inline std::span<const RowPart> op_parts(const RowPartitioning& r, const FactorSearchScratch& scratch, int op) {
  if (!r.parts.empty()) return r.parts[size_t(op)];
  const auto [begin, end] = r.kept_range[size_t(op)];
  return {scratch.kept_parts.data() + begin, size_t(end - begin)};
}

// Bytes of one input row an op's part stages in an input buffer: its first input's row, or for a concatenation
// the rows of all its inputs, staged one after another in the one buffer (as many bytes as an output row).
int64_t staged_row_bytes(const Network& net, const Op& op);

// Bytes of the receptive-field scratch a conv / depthwise kernel needs: kh x kw x in_channels x 4 for conv
// (int16 im2col columns, two at a time), kh x kw x channels x 2 for depthwise; 0 for other ops.
int64_t receptive_field_bytes(const Network& net, const Op& op);

// Whether the tensor of `bytes` is copied into a buffer of `buffer_bytes` (else it is read in place).
inline bool fits_buffer(int64_t bytes, int64_t buffer_bytes) { return bytes <= buffer_bytes; }

}  // namespace tinyops
