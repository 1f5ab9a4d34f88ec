// Building blocks shared by the planners: plan header, memories, arena, whole-op parts.
#include <array>
#include <string>
#include <utility>

#include "tinyops/memory_planner.hpp"
#include "tinyops/planner.hpp"

namespace tinyops {

std::string format_bytes(int64_t bytes) {
  std::string digits = std::to_string(bytes < 0 ? -bytes : bytes);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (bytes < 0 ? "-" : "") + out + " B";
}

int use_memory(Plan& plan, const Board& board, int board_memory) {
  const Memory& m = board.memories.at(board_memory);
  return plan.add_memory(m.name, int64_t(m.size_bytes.value));
}

Plan start_plan(const Network& net, const Board& board, const std::string& strategy) {
  Plan plan;
  start_plan(plan, net, board, strategy);
  return plan;
}

void start_plan(Plan& plan, const Network& net, const Board& board, const std::string& strategy,
                PlannerScratch* scratch) {
  // Copy-assigning a default (empty) container keeps the target's storage (so fields added to Plan later are
  // reset too); the ops are moved aside first as that would destroy them.
  static const Plan kDefaultPlan;
  std::vector<OpPlan> ops = std::move(plan.ops);
  plan = kDefaultPlan;
  plan.ops = std::move(ops);  // entries kept: their parts' storage is rewritten, not reallocated
  if (scratch && plan.ops.empty()) plan.ops.swap(scratch->spare_ops);
  plan.network = net.name();
  plan.board = board.name;
  plan.board_version = board.version;
  plan.strategy = strategy;
  plan.sram_memory = use_memory(plan, board, board.memory_index(board.sram_memory));
  plan.sram_budget_bytes = int64_t(board.sram_budget_bytes.value);
}

namespace {

// `part` back to a default Part, keeping its copy lists' storage. Field by field (copy-assigning a default Part
// costs a vector assignment per list, per part): a field added to Part (or OpPlan, in reset_op_plan) must be
// reset here too, which the reuse test (test_plan_into.cpp) checks for the fields the planners set.
void reset_part(Part& part) {
  part.in_row_begin = part.in_row_end = 0;
  part.out_row_begin = part.out_row_end = 0;
  part.out_channel_begin = part.out_channel_end = 0;
  part.at.fill(Region{});
  part.more_inputs.clear();
  part.copy_in.clear();
  part.copy_when_due.clear();
  part.copy_out.clear();
  part.copy_ahead = false;
}

}  // namespace

void reset_op_plan(OpPlan& o, int op, std::string_view strategy, size_t n_parts, SpareParts* spare) {
  // Field by field, as reset_part (assigning a default OpPlan would destroy the parts).
  o.op = op;
  o.strategy = strategy;
  o.partitioning = Partitioning::None;
  o.factor = 1;
  o.output_overlay = false;
  std::vector<Part>& parts = o.parts;
  if (spare) {
    while (parts.size() > n_parts) {
      spare->push_back(std::move(parts.back()));
      parts.pop_back();
    }
    while (parts.size() < n_parts && !spare->empty()) {
      parts.push_back(std::move(spare->back()));
      spare->pop_back();
    }
  }
  parts.resize(n_parts);
  for (Part& part : parts) reset_part(part);
}

void resize_ops(Plan& plan, size_t n_ops, SpareParts* spare) {
  if (spare)
    for (size_t i = n_ops; i < plan.ops.size(); ++i)
      for (Part& part : plan.ops[i].parts) spare->push_back(std::move(part));
  plan.ops.resize(n_ops);
}

int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset) {
  ArenaScratch scratch;
  return place_arena(plan, net, memory, offset, scratch);
}

int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset, ArenaScratch& scratch) {
  plan_arena(net, scratch);
  const ArenaLayout& layout = scratch.layout;
  plan.tensor_home.assign(net.tensors().size(), {});
  for (const Tensor& t : net.tensors())
    plan.tensor_home[t.id] = Region{memory, offset + layout.offsets[t.id], t.shape.bytes()};
  plan.add_buffer("arena", BufferKind::Arena, Region{memory, offset, layout.peak_bytes});
  return offset + layout.peak_bytes;
}

Part whole_op_part(const Plan& plan, const Network& net, const Op& op) {
  Part part;
  fill_whole_op_part(plan, net, op, part);
  return part;
}

void fill_whole_op_part(const Plan& plan, const Network& net, const Op& op, Part& part) {
  const Shape& in = net.tensor(op.inputs[0]).shape;
  const Shape& out = net.tensor(op.output).shape;
  part.in_row_begin = 0;
  part.in_row_end = in.h;
  part.out_row_begin = 0;
  part.out_row_end = out.h;
  part.out_channel_begin = 0;
  part.out_channel_end = out.c;
  // Ids come from the network the plan was placed for (tensor_home and op_params sized by it).
  part.at[int(Operand::Input)] = plan.tensor_home[op.inputs[0]];
  if (op.inputs.size() > 1) part.at[int(Operand::Input2)] = plan.tensor_home[op.inputs[1]];
  part.more_inputs.clear();
  for (size_t k = 2; k < op.inputs.size(); ++k) part.more_inputs.push_back(plan.tensor_home[op.inputs[k]]);
  const std::array<Region, 3>& params = plan.op_params[op.id];
  part.at[int(Operand::Weights)] = params[kParamWeights];
  part.at[int(Operand::Bias)] = params[kParamBias];
  part.at[int(Operand::Quant)] = params[kParamQuant];
  part.at[int(Operand::Output)] = plan.tensor_home[op.output];
}

void add_whole_op(Plan& plan, const Network& net, const Op& op, std::string_view strategy, SpareParts* spare) {
  OpPlan& o = plan.ops.at(op.id);
  reset_op_plan(o, op.id, strategy, 1, spare);
  fill_whole_op_part(plan, net, op, o.parts.front());
}

void add_whole_ops(Plan& plan, const Network& net, std::string_view strategy, SpareParts* spare) {
  resize_ops(plan, net.ops().size(), spare);
  for (const Op& op : net.ops()) add_whole_op(plan, net, op, strategy, spare);
}

Plan& not_fitting(Plan& plan, const std::string& why, PlannerScratch* scratch) {
  if (scratch && scratch->spare_ops.empty()) scratch->spare_ops.swap(plan.ops);
  plan.fits = false;
  plan.why = why;
  plan.buffers.clear();
  plan.tensor_home.clear();
  plan.op_params.clear();
  plan.ops.clear();
  return plan;
}

}  // namespace tinyops
