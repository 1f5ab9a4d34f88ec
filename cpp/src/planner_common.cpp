// Building blocks shared by the planners: plan header, memories, arena, whole-op parts.
#include <string>

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
  plan.network = net.name();
  plan.board = board.name;
  plan.board_version = board.version;
  plan.strategy = strategy;
  plan.sram_memory = use_memory(plan, board, board.memory_index(board.sram_memory));
  plan.sram_budget_bytes = int64_t(board.sram_budget_bytes.value);
  return plan;
}

int64_t place_arena(Plan& plan, const Network& net, int memory, int64_t offset) {
  ArenaLayout layout = plan_arena(net);
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
  part.at[int(Operand::Input)] = plan.tensor_home.at(op.inputs[0]);
  if (op.inputs.size() > 1) part.at[int(Operand::Input2)] = plan.tensor_home.at(op.inputs[1]);
  part.at[int(Operand::Weights)] = plan.op_params.at(op.id)[kParamWeights];
  part.at[int(Operand::Bias)] = plan.op_params.at(op.id)[kParamBias];
  part.at[int(Operand::Quant)] = plan.op_params.at(op.id)[kParamQuant];
  part.at[int(Operand::Output)] = plan.tensor_home.at(op.output);
}

void add_whole_ops(Plan& plan, const Network& net, const std::string& strategy) {
  plan.ops.reserve(plan.ops.size() + net.ops().size());
  for (const Op& op : net.ops()) {
    OpPlan& o = plan.ops.emplace_back();
    o.op = op.id;
    o.strategy = strategy;
    fill_whole_op_part(plan, net, op, o.parts.emplace_back());
  }
}

Plan& not_fitting(Plan& plan, const std::string& why) {
  plan.fits = false;
  plan.why = why;
  plan.buffers.clear();
  plan.tensor_home.clear();
  plan.op_params.clear();
  plan.ops.clear();
  return plan;
}

}  // namespace tinyops
