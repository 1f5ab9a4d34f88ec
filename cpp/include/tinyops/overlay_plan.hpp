#pragma once
// Builds the ops of an overlay plan (tinyops, optimal) on top of an `external` plan: allocates the static SRAM
// buffers once, then writes one op at a time, in network order, deciding the ping-pong buffer of each part and
// whether an op's first part can be copied ahead while the previous op's last part computes.
#include <string>
#include <string_view>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/partitioning.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

// Names of the overlay buffers in Plan::buffers.
inline constexpr const char* kInputPingBuffer = "input_ping";
inline constexpr const char* kInputPongBuffer = "input_pong";
inline constexpr const char* kFilterBuffer = "filter";
inline constexpr const char* kIm2colBuffer = "im2col";
inline constexpr const char* kBiasBuffer = "bias";
inline constexpr const char* kQuantBuffer = "quant";             // the two quant-param buffers, back to back
inline constexpr const char* kOutputPingBuffer = "output_ping";  // output overlays (optimal)
inline constexpr const char* kOutputPongBuffer = "output_pong";

class OverlayPlanner {
 public:
  // Adds the board's SRAM memory to `plan` and the overlay buffers after whatever SRAM the plan already uses;
  // with output_bytes > 0 also two ping-pong output buffers of that size (output overlays). plan.ops must have
  // an entry per op (the base plan's, or storage to reuse): each op is rewritten by one of the calls below;
  // parts they drop go to `spare` and parts they add come from there (see reset_op_plan).
  OverlayPlanner(const Network& net, const Board& board, Plan& plan, const OverlayBuffers& buffers,
                 int64_t output_bytes = 0, SpareParts* spare = nullptr);

  // The op runs whole, its operands read in place at their homes (SRAM for a resident tensor), labelled `label`.
  void keep_in_place(int op, std::string_view label);
  // Row parts: input parts into the ping-pong buffers (an add's second input into filter / im2col), params
  // copied into their buffers when they fit, outputs written straight to the output's home or, with
  // `output_overlay`, into the output buffers and copied out by DMA while the next part computes.
  void plan_rows(int op, int factor, std::span<const RowPart> parts, std::string_view label,
                 bool output_overlay = false);
  // Whether every part's output fits an output buffer.
  bool output_overlay_fits(int op, std::span<const RowPart> parts) const;
  // Output-channel parts (weight streaming): the whole input copied once into the ping buffer, each part's
  // filters, bias and quant params into alternating buffers (filter / im2col) while the previous part computes.
  // Requires channel_parts' weights to fit the filter buffer and the input the ping buffer.
  void plan_channels(int op, int parts, std::string_view label);
  // Whether plan_channels can run `op` in `parts` parts with the buffers this planner has.
  bool channels_fit(int op, int parts) const;

  // What plan_rows decides for an op from the planner's state rather than from the op's shapes and homes: the
  // input buffer its first part uses and whether that part is copied ahead (tinyops_scorer.hpp keys the ops it
  // compiles once by these).
  struct RowStart {
    int parity = 0;
    bool first_ahead = false;  // when its input is copied at all
  };
  RowStart row_start(int op_id, std::span<const RowPart> parts) const {
    const Op& op = net_.op(op_id);
    // An add's first part is never copied ahead: its second input may be the tensor the previous op writes.
    return RowStart{parity_, op.inputs.size() == 1 && can_prefetch(op.inputs[0], parts.front().in_end)};
  }
  // The planner's state as plan_rows / keep_in_place leave it, without writing the op (its plan is known).
  void skip_rows(int op, std::span<const RowPart> parts);
  void skip_in_place() { previous_ = Previous{}; }
  // Whether op params of `bytes` (weights, bias or quant: kParamWeights...) are copied into their buffer; if
  // not, parts read them in place.
  bool stages_param(int param, int64_t bytes) const {
    const int64_t capacity[3] = {sizes_.filter_bytes, sizes_.bias_bytes, 2 * sizes_.quant_bytes};
    return fits_buffer(bytes, capacity[param]);
  }

  // Cross-op param prefetch (optimal): an op's staged weights, bias and quant params are copied ahead with its
  // first part (while the previous op's last part computes) when they fit beside what that part reads in the
  // same buffer (at the buffer's other end); otherwise, as by default, when the op is due.
  void prefetch_params(bool on) { prefetch_params_ = on; }

  const OverlayBuffers& buffers() const { return sizes_; }
  // Whether `tensor` lives in SRAM (resident, see planner_optimal): parts read / write it in place, no copies.
  bool resident(int tensor) const;

 private:
  // A concatenation part's inputs: each input's row slice copied into the input buffer after the one before.
  void stage_concatenation_inputs(const Op& op, const RowPart& rows, Part& part);
  struct Bytes {  // [begin, end) within a buffer; empty when end <= begin
    int64_t begin = 0, end = 0;
  };
  struct Previous {
    bool overlay = false;           // the previous op ran from the overlay buffers (its last part can prefetch)
    int out_tensor = -1;            // its output tensor
    int rows_done = 0;              // output rows complete before its last part computes
    bool full_before_last = false;  // channel-partitioned: no row is complete until the last part
    Bytes param_reads[3] = {};      // per param buffer (kParamWeights...): what its last part reads there
  };

  // Rows [begin, end) of a tensor at `home` whose rows are `row_bytes` long.
  static Region rows_of(const Region& home, int64_t row_bytes, int begin, int end) {
    return Region{home.memory, home.offset + begin * row_bytes, (end - begin) * row_bytes};
  }
  Region in_buffer(int buffer, int64_t bytes) const {
    const Region& b = plan_.buffers[buffer].region;
    return Region{b.memory, b.offset, bytes};
  }
  // Whether the next op's first part (reading `tensor` rows [0, rows)) may be copied ahead.
  bool can_prefetch(int tensor, int rows) const {
    if (!previous_.overlay) return false;             // only an overlay op's last part issues the next op's first copy
    if (tensor != previous_.out_tensor) return true;  // an older tensor: complete
    return !previous_.full_before_last && rows <= previous_.rows_done;
  }
  void copy_params(const Op& op, Part& first, Part* all, size_t n_parts, bool weights);
  void finish_rows(const Op& op, std::span<const RowPart> parts) {
    previous_ = Previous{true, op.output, parts.back().out_begin, false};
    if (prefetch_params_) record_param_reads(plan_.ops.at(op.id).parts.back());
  }
  void record_param_reads(const Part& last);
  // Where a staged param of `bytes` goes in `buffer` (param: kParamWeights...), and whether it can be copied
  // ahead: beside what the previous op's last part reads there, else at the start, when due.
  Region param_place(int buffer, int param, int64_t bytes, bool first_ahead, bool& ahead) const;

  const Network& net_;
  Plan& plan_;
  OverlayBuffers sizes_;
  int sram_ = -1;
  int input_[2] = {-1, -1};
  int filter_ = -1, im2col_ = -1, bias_ = -1, quant_ = -1;
  int output_[2] = {-1, -1};
  int64_t output_bytes_ = 0;
  SpareParts* spare_ = nullptr;
  int parity_ = 0;         // which input buffer the next part uses
  int output_parity_ = 0;  // which output buffer the next overlaid part writes
  bool prefetch_params_ = false;
  Previous previous_;
};

}  // namespace tinyops
