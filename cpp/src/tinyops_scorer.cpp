#include "tinyops/tinyops_scorer.hpp"

#include <bit>
#include <utility>

#include "tinyops/log.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/planner_tinyops.hpp"

namespace tinyops {

namespace {

uint64_t pair(int64_t low, int64_t high) { return uint64_t(uint32_t(low)) | uint64_t(uint32_t(high)) << 32; }

// The shape and planning words (the first ten: what tells one op of a network from another), each rotated
// differently, folded by xor and mixed by one multiply. Collisions only cost a key comparison.
uint64_t hash_key(const TinyopsScorer::Key& k) {
  const auto fold = [&]<size_t... I>(std::index_sequence<I...>) { return (std::rotl(k[I], int(7 * I)) ^ ...); };
  const uint64_t h = fold(std::make_index_sequence<10>{}) * 0x9E3779B97F4A7C15ull;  // rotations known at compile time
  return h ^ h >> 32;
}

}  // namespace

// Everything plan_rows / keep_in_place and the simulator's geometry read of the op besides where in a memory
// its operands lie: the op's shape (as sim::PlanTables::GeometryKey: kind, kernel, stride, padding, requant share,
// activation, MACs, input and output shapes), the second input's shape, the memories of the operands' homes,
// the params' sizes, the partition factor and the planner's choices.
TinyopsScorer::Key TinyopsScorer::key_of(const Network& net, const Op& op, const Plan& plan, int factor, int parity,
                                         bool first_ahead, int staged) {
  const Shape& in = net.tensor(op.inputs[0]).shape;
  const Shape& out = net.tensor(op.output).shape;
  const bool two = op.inputs.size() > 1;
  const Shape in2 = two ? net.tensor(op.inputs[1]).shape : Shape{};
  // A concatenation's inputs after the second: their channels and homes' memories decide its copies.
  uint64_t more_inputs = 0;
  for (size_t k = 2; k < op.inputs.size(); ++k)
    more_inputs = more_inputs * 0x100000001B3ull ^
                  pair(net.tensor(op.inputs[k]).shape.c, plan.tensor_home[size_t(op.inputs[k])].memory);
  const std::array<Region, 3>& params = plan.op_params[size_t(op.id)];
  return Key{
      pair(in.h, in.w),
      pair(in.c, out.h),
      pair(out.w, out.c),
      pair(op.kernel_h, op.kernel_w),
      pair(op.stride, op.pad.top),
      pair(op.pad.left, op.pad.bottom),
      pair(op.pad.right, int64_t(op.kind) | int64_t(op.act) << 8 | int64_t(op.clamped_activation) << 15),
      uint64_t(op.macs),
      std::bit_cast<uint64_t>(op.slow_requant_share),
      pair(factor, parity | int(first_ahead) << 1 | staged << 2),
      pair(plan.tensor_home[size_t(op.inputs[0])].memory, two ? plan.tensor_home[size_t(op.inputs[1])].memory : -1),
      pair(params[kParamWeights].memory, params[kParamBias].memory),
      pair(params[kParamQuant].memory, plan.tensor_home[size_t(op.output)].memory),
      pair(in2.h, in2.w),
      uint64_t(in2.c) ^ std::rotl(more_inputs, 32),
      uint64_t(params[kParamWeights].bytes),
      uint64_t(params[kParamBias].bytes),
      uint64_t(params[kParamQuant].bytes),
      std::bit_cast<uint64_t>(op.left_shift_share)};
}

TinyopsScorer::TinyopsScorer(const Board& board) : board_(board), sim_(board) {}

bool TinyopsScorer::same_layout() const {
  if (plan_.memories != layout_memories_ || plan_.buffers.size() != layout_buffers_.size()) return false;
  for (size_t b = 0; b < plan_.buffers.size(); ++b)  // the overlay planner adds them in one order: kinds suffice
    if (plan_.buffers[b].kind != layout_buffers_[b]) return false;
  return true;
}

const sim::CompiledOp& TinyopsScorer::compiled(const Key& key, const Network& net, const Op& op,
                                               OverlayPlanner& overlays) {
  const uint64_t h = hash_key(key);
  const int found = index_.find(h, [&](int e) { return entries_[size_t(e)].key == key; });
  const std::span<const RowPart> rows = op_parts(scratch_.rows, scratch_.search, op.id);
  if (found >= 0) {  // planned before: only the planner's state moves on
    if (rows.empty())
      overlays.skip_in_place();
    else
      overlays.skip_rows(op.id, rows);
    return *entries_[size_t(found)].op;
  }
  if (rows.empty())
    overlays.keep_in_place(op.id, "tinyops:in_place");
  else
    overlays.plan_rows(op.id, scratch_.rows.op_factor[size_t(op.id)], rows, "tinyops:rows");
  sim::CompiledOp& c = store_.emplace_back();
  sim::compile_op(sim_.plan_tables(), sim_.board_tables(), board_, plan_, sim_.geometry(net, op), op,
                  plan_.ops[size_t(op.id)], c);
  index_.insert(h, int(entries_.size()), [&](int e) { return hash_key(entries_[size_t(e)].key); });
  entries_.push_back(Entry{key, &c});
  return c;
}

void TinyopsScorer::score(const Network& net, BatchScore& out) {
  out.fits = start_tinyops_plan(net, board_, plan_, scratch_, /*copy_parts=*/false);  // parts read in place
  if (!out.fits) {
    out.why = plan_.why;
    return;
  }
  const size_t n_ops = net.ops().size();
  resize_ops(plan_, n_ops, &scratch_.spare_parts);
  OverlayPlanner overlays(net, board_, plan_, scratch_.rows.buffers, 0, &scratch_.spare_parts);
  sim_.prepare(net, plan_);
  if (!same_layout() || entries_.size() > kMaxCompiledOps) {
    index_.clear();
    entries_.clear();
    store_.clear();
    layout_memories_ = plan_.memories;
    layout_buffers_.clear();
    for (const Buffer& b : plan_.buffers) layout_buffers_.push_back(b.kind);
  }
  steps_.resize(n_ops);
  for (const Op& op : net.ops()) {
    const std::span<const RowPart> rows = op_parts(scratch_.rows, scratch_.search, op.id);
    int factor = 0, staged = 0;  // factor 0: in place
    OverlayPlanner::RowStart start;
    if (!rows.empty()) {
      factor = scratch_.rows.op_factor[size_t(op.id)];
      start = overlays.row_start(op.id, rows);
      for (int param = kParamWeights; param <= kParamQuant; ++param)
        if (overlays.stages_param(param, plan_.op_params[size_t(op.id)][size_t(param)].bytes)) staged |= 1 << param;
    }
    const Key key = key_of(net, op, plan_, factor, start.parity, start.first_ahead, staged);
    steps_[size_t(op.id)] =
        Simulator::Step{&compiled(key, net, op, overlays), op.id, op.inputs[0], later_input(op), op.output};
  }
  const SimResult* r = &sim_.result();
  if (!sim_.run_compiled(net, steps_)) {  // a cost ran the clock backwards: the plan, simulated in full
    log::scorer().warn("tinyops scorer: {} on {}: a cost ran the clock backwards; planned and simulated in full",
                       net.name(), board_.name);
    plan_tinyops_into(net, board_, plan_, scratch_);
    r = &sim_.run(net, plan_, false);
  }
  out.latency_ms = r->latency_ms;
  out.total_cycles = r->total_cycles;
  out.peak_sram_bytes = plan_.peak_sram_bytes();
  out.external_bytes = r->external_bytes();
}

}  // namespace tinyops
