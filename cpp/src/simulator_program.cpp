#include "tinyops/simulator_program.hpp"

namespace tinyops::sim {

namespace {

CompiledTransfer compile_transfer(const PlanTables& pt, const BoardTables& tables, const Board& board, const Plan& plan,
                                  const Op& op, const Transfer& t, bool copy_out) {
  CompiledTransfer c;
  c.wait_input = waited_input(t.operand, op.inputs.size() > 1);
  c.buffer = t.buffer;
  c.source_buffer = copy_out ? pt.buffer_of(t.src) : -1;
  c.src = t.src.memory;
  c.dst = t.dst.memory;
  c.bytes = t.src.bytes;
  c.external = pt.touches_external(c.src, c.dst);
  if (tables.stream_engine.empty()) {
    c.cpu_cycles = pt.cpu_copy_cycles(board.cpu, c.src, c.dst, c.bytes);
  } else {
    c.engine = pt.dma_engine(plan, board, c.src, c.dst);
    c.streams = tables.engine_streams[size_t(c.engine)];
    c.issue_cycles = tables.engine_issue[size_t(c.engine)];
    c.setup_cycles = tables.engine_setup[size_t(c.engine)];
    c.link_cycles = pt.link_cycles(c.src, c.dst, c.bytes);
  }
  return c;
}

}  // namespace

void compile_op(const PlanTables& pt, const BoardTables& tables, const Board& board, const Plan& plan,
                const OpGeometry& g, const Op& op, const OpPlan& op_plan, CompiledOp& out) {
  out.parts.resize(op_plan.parts.size());
  out.transfers.clear();
  out.external_dma_bytes = out.external_cpu_bytes = 0;
  std::vector<size_t> first(op_plan.parts.size());
  for (size_t p = 0; p < op_plan.parts.size(); ++p) {
    const Part& part = op_plan.parts[p];
    CompiledPart& c = out.parts[p];
    c.cost = pt.part_cost(tables, g, part);
    const double busy = c.cost.compute + c.cost.stall;
    c.stalling = 0;
    for (int m = 0; m < kMaxPlanMemories; ++m) {
      c.pressure[m] = busy > 0 ? c.cost.stall_by_memory[m] / busy : 0;
      if (m < pt.memories && c.cost.stall_by_memory[m] > 0) c.stalling |= 1u << m;
    }
    first[p] = out.transfers.size();
    out.external_cpu_bytes += c.cost.external_bytes;
    c.copy_in = int(part.copy_in.size());
    c.copy_when_due = int(part.copy_when_due.size());
    c.copy_out = int(part.copy_out.size());
    c.copy_ahead = part.copy_ahead;
    c.out_wait_buffer = out_wait_buffer(pt, part);
    for (const Transfer& t : part.copy_in)
      out.transfers.push_back(compile_transfer(pt, tables, board, plan, op, t, false));
    for (const Transfer& t : part.copy_when_due)
      out.transfers.push_back(compile_transfer(pt, tables, board, plan, op, t, false));
    for (const Transfer& t : part.copy_out)
      out.transfers.push_back(compile_transfer(pt, tables, board, plan, op, t, true));
  }
  for (size_t p = 0; p < out.parts.size(); ++p) out.parts[p].copies = out.transfers.data() + first[p];  // now stable
  for (const CompiledTransfer& t : out.transfers)
    if (t.external) out.external_dma_bytes += t.bytes;
}

}  // namespace tinyops::sim
