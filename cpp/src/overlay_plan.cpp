#include "tinyops/overlay_plan.hpp"

#include <algorithm>

#include "tinyops/error.hpp"

namespace tinyops {

namespace {

// Regions and copies are written member by member: one built as a temporary and copied is stored in pieces and
// reloaded whole, a store-forwarding stall per write that cost more than the rest of the part's planning.
// Always inlined, so that the regions passed in stay in registers instead of becoming such temporaries.
[[gnu::always_inline]] inline void set_region(Region& to, const Region& from) {
  to.memory = from.memory;
  to.offset = from.offset;
  to.bytes = from.bytes;
}

[[gnu::always_inline]] inline void append_copy(std::vector<Transfer>& list, Operand operand, const Region& src,
                                               const Region& dst, int buffer) {
  Transfer& t = list.emplace_back();
  t.operand = operand;
  set_region(t.src, src);
  set_region(t.dst, dst);
  t.buffer = buffer;
}

}  // namespace

OverlayPlanner::OverlayPlanner(const Network& net, const Board& board, Plan& plan, const OverlayBuffers& buffers,
                               int64_t output_bytes, SpareParts* spare)
    : net_(net), plan_(plan), sizes_(buffers), output_bytes_(output_bytes), spare_(spare) {
  const Memory& sram = board.memory(board.sram_memory);
  sram_ = plan_.add_memory(sram.name, int64_t(sram.size_bytes.value));
  plan_.sram_memory = sram_;
  plan_.sram_budget_bytes = int64_t(board.sram_budget_bytes.value);
  int64_t offset = align_up(plan_.peak_sram_bytes());
  auto add = [&](const char* name, BufferKind kind, int64_t bytes) {
    const int i = plan_.add_buffer(name, kind, Region{sram_, offset, bytes});
    offset += align_up(bytes);
    return i;
  };
  input_[0] = add(kInputPingBuffer, BufferKind::Input, sizes_.input_bytes);
  input_[1] = add(kInputPongBuffer, BufferKind::Input, sizes_.input_bytes);
  filter_ = add(kFilterBuffer, BufferKind::Weights, sizes_.filter_bytes);
  im2col_ = add(kIm2colBuffer, BufferKind::Scratch, sizes_.im2col_bytes);
  bias_ = add(kBiasBuffer, BufferKind::Bias, sizes_.bias_bytes);
  quant_ = add(kQuantBuffer, BufferKind::Quant, 2 * sizes_.quant_bytes);
  if (output_bytes_ > 0) {
    output_[0] = add(kOutputPingBuffer, BufferKind::Output, output_bytes_);
    output_[1] = add(kOutputPongBuffer, BufferKind::Output, output_bytes_);
  }
  if (offset > plan_.memory_sizes[sram_])
    throw PlanningError("overlay buffers of " + std::to_string(offset) + " bytes do not fit memory " + sram.name +
                        " of board " + board.name + " (" + std::to_string(plan_.memory_sizes[sram_]) + " bytes)");
}

bool OverlayPlanner::resident(int tensor) const { return plan_.tensor_home.at(tensor).memory == sram_; }

void OverlayPlanner::keep_in_place(int op, std::string_view label) {
  add_whole_op(plan_, net_, net_.op(op), label, spare_);  // nothing reads the overlay buffers
  skip_in_place();
}

void OverlayPlanner::skip_rows(int op_id, std::span<const RowPart> parts) {
  parity_ ^= int(parts.size() & 1);  // plan_rows flips it once per part
  finish_rows(net_.op(op_id), parts);
}

void OverlayPlanner::record_param_reads(const Part& last) {
  const int buffers[3] = {filter_, bias_, quant_};  // indexed by kParamWeights...
  for (int param = 0; param < 3; ++param) {
    const Region& b = plan_.buffers[size_t(buffers[param])].region;
    Bytes used;
    for (const Region& r : last.at) {
      if (r.memory != b.memory || r.bytes <= 0 || r.offset < b.offset || r.end() > b.end()) continue;
      const Bytes here{r.offset - b.offset, r.end() - b.offset};
      used = used.end <= used.begin ? here : Bytes{std::min(used.begin, here.begin), std::max(used.end, here.end)};
    }
    previous_.param_reads[param] = used;
  }
}

Region OverlayPlanner::param_place(int buffer, int param, int64_t bytes, bool first_ahead, bool& ahead) const {
  constexpr int64_t kParamAlignment = 16;  // int32 bias and quant, and the kernels' word loads of weights
  Region at = in_buffer(buffer, bytes);
  ahead = false;
  if (!prefetch_params_ || !first_ahead || !previous_.overlay) return at;
  const Bytes used = previous_.param_reads[param];
  const int64_t at_end = (plan_.buffers[size_t(buffer)].region.bytes - bytes) / kParamAlignment * kParamAlignment;
  if (used.end <= used.begin || bytes <= used.begin) {
    ahead = true;  // the start of the buffer is free while the previous op's last part computes
  } else if (at_end >= used.end) {
    at.offset += at_end;  // the other end is
    ahead = true;
  }
  return at;
}

// Filter, bias and quant params: copied into their buffers if they fit, else read in place from their home.
// Copied when the op starts (the previous op's last part may still read them), or with prefetch_params ahead
// with the first part where param_place finds them room beside what that part reads.
void OverlayPlanner::copy_params(const Op& op, Part& first, Part* all, size_t n_parts, bool weights) {
  const auto& home = plan_.op_params[op.id];
  first.copy_when_due.reserve(first.copy_when_due.size() + 4);  // weights, bias, quant in two halves
  auto stage = [&](Operand operand, const Region& src, int buffer, int param) {
    if (!src.present()) return;
    Region at = src;
    if (stages_param(param, src.bytes)) {
      bool ahead = false;
      at = param_place(buffer, param, src.bytes, first.copy_ahead, ahead);
      std::vector<Transfer>& list = ahead ? first.copy_in : first.copy_when_due;
      if (operand == Operand::Quant) {  // multipliers and shifts: two copies into the two quant buffers
        const int64_t half = src.bytes / 2;
        append_copy(list, operand, Region{src.memory, src.offset, half}, Region{at.memory, at.offset, half}, buffer);
        append_copy(list, operand, Region{src.memory, src.offset + half, src.bytes - half},
                    Region{at.memory, at.offset + half, src.bytes - half}, buffer);
      } else {
        append_copy(list, operand, src, at, buffer);
      }
    }
    for (size_t p = 0; p < n_parts; ++p) set_region(all[p].at[int(operand)], at);
  };
  if (weights) stage(Operand::Weights, home[kParamWeights], filter_, kParamWeights);
  stage(Operand::Bias, home[kParamBias], bias_, kParamBias);
  stage(Operand::Quant, home[kParamQuant], quant_, kParamQuant);
}

bool OverlayPlanner::output_overlay_fits(int op_id, std::span<const RowPart> parts) const {
  // A resident output is written in SRAM already: staging it in SRAM too would only add a copy.
  if (output_bytes_ <= 0 || resident(net_.op(op_id).output)) return false;
  const Shape& out = net_.tensor(net_.op(op_id).output).shape;
  for (const RowPart& p : parts)
    if (int64_t(p.out_rows()) * out.w * out.c > output_bytes_) return false;
  return true;
}

void OverlayPlanner::plan_rows(int op_id, int factor, std::span<const RowPart> rows, std::string_view label,
                               bool output_overlay) {
  if (output_overlay && !output_overlay_fits(op_id, rows))
    throw PlanningError("op " + std::to_string(op_id) + ": output parts do not fit the output buffers");
  const Op& op = net_.op(op_id);
  OpPlan& o = plan_.ops.at(op_id);
  reset_op_plan(o, op_id, label, rows.size(), spare_);  // rewritten in place: its parts' storage reused
  o.partitioning = Partitioning::Rows;
  o.factor = factor;
  o.output_overlay = output_overlay;
  const int64_t scratch = receptive_field_bytes(net_, op);
  const bool two_inputs = op.inputs.size() > 1;
  const bool broadcast = two_inputs && !(net_.tensor(op.inputs[1]).shape == net_.tensor(op.inputs[0]).shape);
  auto row_bytes = [&](int tensor) {
    const Shape& s = net_.tensor(tensor).shape;
    return int64_t(s.w) * s.c;
  };
  const Shape& out = net_.tensor(op.output).shape;
  const Region& in_home = plan_.tensor_home[op.inputs[0]];
  const Region& in2_home = plan_.tensor_home[op.inputs[two_inputs ? 1 : 0]];
  const Region& out_home = plan_.tensor_home[op.output];
  const int64_t in_row = row_bytes(op.inputs[0]), in2_row = row_bytes(op.inputs[two_inputs ? 1 : 0]);
  const int64_t out_row = int64_t(out.w) * out.c;
  const bool first_ahead = row_start(op_id, rows).first_ahead;
  for (size_t p = 0; p < rows.size(); ++p) {
    const RowPart& r = rows[p];
    Part& part = o.parts[p];
    part.in_row_begin = r.in_begin;
    part.in_row_end = r.in_end;
    part.out_row_begin = r.out_begin;
    part.out_row_end = r.out_end;
    part.out_channel_begin = 0;
    part.out_channel_end = out.c;
    // An input part is copied into `buffer`, unless the input is resident (its home in SRAM): read in place.
    auto stage_input = [&](Operand operand, const Region& in, int64_t row, int buffer, int begin, int end) {
      const Region src = rows_of(in, row, begin, end);
      if (in.memory == sram_) {
        set_region(part.at[int(operand)], src);
        return;
      }
      set_region(part.at[int(operand)], in_buffer(buffer, src.bytes));
      append_copy(part.copy_in, operand, src, part.at[int(operand)], buffer);
    };
    if (op.kind == OpKind::Concatenation) {
      stage_concatenation_inputs(op, r, part);
    } else {
      stage_input(Operand::Input, in_home, in_row, input_[parity_], r.in_begin, r.in_end);
    }
    // add, mul: the second input's part into filter / im2col, alternating; a broadcast (1, 1, C) gate whole
    if (two_inputs && op.kind != OpKind::Concatenation)
      stage_input(Operand::Input2, in2_home, in2_row, parity_ == 0 ? filter_ : im2col_, broadcast ? 0 : r.in_begin,
                  broadcast ? 1 : r.in_end);
    if (scratch > 0)
      set_region(part.at[int(Operand::Scratch)], in_buffer(im2col_, std::min(scratch, sizes_.im2col_bytes)));
    const Region home = rows_of(out_home, out_row, r.out_begin, r.out_end);
    if (output_overlay) {  // written to SRAM, copied out while the next part computes
      set_region(part.at[int(Operand::Output)], in_buffer(output_[output_parity_], home.bytes));
      append_copy(part.copy_out, Operand::Output, part.at[int(Operand::Output)], home, -1);
      output_parity_ ^= 1;
    } else {
      set_region(part.at[int(Operand::Output)], home);
    }
    part.copy_ahead = !part.copy_in.empty() && (p > 0 || first_ahead);
    parity_ ^= 1;
  }
  copy_params(op, o.parts.front(), o.parts.data(), o.parts.size(), /*weights=*/true);
  finish_rows(op, rows);
}

void OverlayPlanner::stage_concatenation_inputs(const Op& op, const RowPart& rows, Part& part) {
  // Every input's row slice is its own copy, stacked one after another in the input buffer (sized for the
  // output's rows, which are as many bytes as all inputs' rows); a resident input is read in place.
  const int buffer = input_[parity_];
  int64_t stacked = 0;
  part.more_inputs.resize(op.inputs.size() - 2);
  for (size_t k = 0; k < op.inputs.size(); ++k) {
    const Shape& s = net_.tensor(op.inputs[k]).shape;
    const Region& home = plan_.tensor_home[op.inputs[k]];
    Region& at = k == 0   ? part.at[int(Operand::Input)]
                 : k == 1 ? part.at[int(Operand::Input2)]
                          : part.more_inputs[k - 2];
    const Region src = rows_of(home, int64_t(s.w) * s.c, rows.in_begin, rows.in_end);
    if (home.memory == sram_) {
      set_region(at, src);
      continue;
    }
    Region staged = in_buffer(buffer, src.bytes);
    staged.offset += stacked;
    stacked += src.bytes;
    set_region(at, staged);
    append_copy(part.copy_in, k == 0 ? Operand::Input : Operand::Input2, src, staged, buffer);
  }
}

bool OverlayPlanner::channels_fit(int op_id, int parts) const {
  const Op& op = net_.op(op_id);
  if (!(op.kind == OpKind::FullyConnected || (op.kind == OpKind::Conv2D && op.kernel_h == 1 && op.kernel_w == 1)))
    return false;  // a KxK conv needs the im2col buffer for its columns; depthwise channels are not contiguous
  const int channels = net_.tensor(op.output).shape.c;
  if (parts < 2 || parts > channels) return false;
  const int per_part = (channels + parts - 1) / parts;
  const int64_t per_channel = op.weight_bytes / channels;
  return (resident(op.inputs[0]) || net_.tensor(op.inputs[0]).shape.bytes() <= sizes_.input_bytes) &&
         per_channel * per_part <= std::min(sizes_.filter_bytes, sizes_.im2col_bytes);
}

void OverlayPlanner::plan_channels(int op_id, int parts, std::string_view label) {
  if (!channels_fit(op_id, parts)) throw PlanningError("op " + std::to_string(op_id) + " cannot stream its weights");
  const Op& op = net_.op(op_id);
  const Shape& out = net_.tensor(op.output).shape;
  const auto& home = plan_.op_params[op_id];
  const int channels = out.c;
  const int per_part = (channels + parts - 1) / parts;
  const int64_t per_channel = op.weight_bytes / channels;
  OpPlan& o = plan_.ops.at(op_id);
  reset_op_plan(o, op_id, label, size_t((channels + per_part - 1) / per_part), spare_);
  o.partitioning = Partitioning::OutputChannels;
  o.factor = parts;
  const int in = op.inputs[0];
  const int buffer = input_[parity_];
  const bool copy_input = !resident(in);  // a resident input is read in place
  const Region input = copy_input ? in_buffer(buffer, net_.tensor(in).shape.bytes()) : plan_.tensor_home[in];
  for (int c = 0, p = 0; c < channels; c += per_part, ++p) {
    const int end = std::min(channels, c + per_part);
    Part& part = o.parts[size_t(p)];
    part.in_row_begin = 0;
    part.in_row_end = net_.tensor(in).shape.h;
    part.out_row_begin = 0;
    part.out_row_end = out.h;
    part.out_channel_begin = c;
    part.out_channel_end = end;
    set_region(part.at[int(Operand::Input)], input);
    const int filters = p % 2 == 0 ? filter_ : im2col_;
    const Region src{home[kParamWeights].memory, home[kParamWeights].offset + c * per_channel, (end - c) * per_channel};
    set_region(part.at[int(Operand::Weights)], in_buffer(filters, src.bytes));
    append_copy(p == 0 ? part.copy_when_due : part.copy_in, Operand::Weights, src, part.at[int(Operand::Weights)],
                filters);
    if (p == 0 && copy_input) append_copy(part.copy_in, Operand::Input, plan_.tensor_home[in], input, buffer);
    // Channels are the innermost dimension: a part writes a strided slice of the whole output.
    part.at[int(Operand::Output)] = plan_.tensor_home[op.output];
    part.copy_ahead = p > 0 || (copy_input && can_prefetch(in, net_.tensor(in).shape.h));
  }
  copy_params(op, o.parts.front(), o.parts.data(), o.parts.size(), /*weights=*/false);  // placed per part
  parity_ ^= 1;
  previous_ = Previous{true, op.output, 0, true};
  if (prefetch_params_) record_param_reads(o.parts.back());
}

}  // namespace tinyops
