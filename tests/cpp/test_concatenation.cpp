// Concatenation along channels (three inputs) in the core: the network's shapes and liveness, the plan of every
// strategy (the later inputs' regions, row parts staging each input's rows in one input buffer), its cost by hand
// on the tiny board, and the plan JSON.
//
// The network: x 4x4x8 (128 B) -> 1x1 conv a 4x4x4 (64 B) and 1x1 conv b 4x4x2 (32 B) -> concat [a, x, b]
// 4x4x14 (224 B). Concatenation is costed as a pad (an estimate kind: 10 cycles per call + 1 per output on the
// tiny board), so its kernel is 10 + 224 = 234 cycles.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "board_fixture.hpp"
#include "sim_compare.hpp"
#include "tinyops/error.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"

using namespace tinyops;

namespace {

Board tiny() { return board_from_yaml_text(fixtures::kTinyBoardYaml, "tiny.yaml"); }

struct Branches {
  Network net{"branches"};
  int x = -1, a = -1, b = -1, cat_op = -1;
};

Branches branches() {
  Branches n;
  n.x = n.net.add_input({4, 4, 8});
  auto conv = [&](const char* name, int out) {
    Op op;
    op.name = name;
    op.kind = OpKind::Conv2D;
    op.inputs = {n.x};
    return n.net.op(n.net.add_op(op, out)).output;
  };
  n.a = conv("a", 4);
  n.b = conv("b", 2);
  Op cat;
  cat.name = "cat";
  cat.kind = OpKind::Concatenation;
  cat.inputs = {n.a, n.x, n.b};
  n.cat_op = n.net.add_op(cat, 14);
  n.net.mark_output(n.net.op(n.cat_op).output);
  return n;
}

bool overlap(const Region& p, const Region& q) {
  return p.memory == q.memory && p.offset < q.end() && q.offset < p.end();
}

}  // namespace

TEST(Concatenation, JoinsChannelsAndKeepsEveryInputLive) {
  Branches n = branches();
  const Op& cat = n.net.op(n.cat_op);
  EXPECT_EQ(n.net.tensor(cat.output).shape, (Shape{4, 4, 14}));
  EXPECT_EQ(cat.macs, 0);
  EXPECT_EQ(cat.weight_bytes, 0);
  for (int t : {n.a, n.x, n.b}) EXPECT_EQ(n.net.tensor(t).last_use, n.cat_op) << n.net.tensor(t).name;
  EXPECT_EQ(kernel_kind(n.net, cat), KernelKind::Pad);  // the estimate until boards fit a concatenation term
}

TEST(Concatenation, RefusesMismatchedInputs) {
  Network net("bad");
  const int x = net.add_input({4, 4, 8});
  Op pool;
  pool.name = "pool";
  pool.kind = OpKind::AveragePool;
  pool.inputs = {x};
  pool.kernel_h = pool.kernel_w = pool.stride = 2;
  const int small = net.op(net.add_op(pool, 0)).output;  // 2x2x8
  Op cat;
  cat.name = "cat";
  cat.kind = OpKind::Concatenation;
  cat.inputs = {x, small};
  try {
    net.add_op(cat, 16);
    FAIL() << "expected a refusal";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cat: concatenation input pool:out is 2x2, the first is 4x4"),
              std::string::npos)
        << e.what();
  }
  cat.inputs = {x};
  EXPECT_THROW(net.add_op(cat, 8), std::invalid_argument);  // one input
  cat.inputs = {x, x};
  EXPECT_THROW(net.add_op(cat, 15), std::invalid_argument);  // 8 + 8 channels, not 15
}

TEST(Concatenation, InternalPlanReadsEveryInputInPlaceHandComputed) {
  Branches n = branches();
  Board board = tiny();
  Plan plan = make_plan(n.net, board, "internal");
  ASSERT_TRUE(plan.fits) << plan.why;
  const Part& part = plan.ops[size_t(n.cat_op)].parts.at(0);
  EXPECT_EQ(part.at[int(Operand::Input)], plan.tensor_home[n.a]);
  EXPECT_EQ(part.at[int(Operand::Input2)], plan.tensor_home[n.x]);
  ASSERT_EQ(part.more_inputs.size(), 1u);
  EXPECT_EQ(part.more_inputs[0], plan.tensor_home[n.b]);
  // All three inputs are live while the concatenation writes its output: no two of the four homes share a byte.
  const int out = n.net.op(n.cat_op).output;
  const int live[] = {n.a, n.x, n.b, out};
  for (int i : live)
    for (int j : live)
      if (i < j) EXPECT_FALSE(overlap(plan.tensor_home[i], plan.tensor_home[j])) << i << " and " << j;
  SimResult r = fixtures::simulate_both(n.net, plan, board);
  EXPECT_DOUBLE_EQ(r.per_op[size_t(n.cat_op)].compute_cycles, 234);
  EXPECT_DOUBLE_EQ(r.per_op[size_t(n.cat_op)].stall_cycles, 0);  // SRAM reads and writes are free
}

TEST(Concatenation, ExternalPlanStallsOnEveryInputHandComputed) {
  Branches n = branches();
  Board board = tiny();
  Plan plan = make_plan(n.net, board, "external");
  ASSERT_TRUE(plan.fits) << plan.why;
  SimResult r = fixtures::simulate_both(n.net, plan, board);
  // In SDRAM: reads 64 + 128 + 32 B at 1 cycle/byte, the 224 B output written at 2 cycles/byte.
  EXPECT_DOUBLE_EQ(r.per_op[size_t(n.cat_op)].compute_cycles, 234);
  EXPECT_DOUBLE_EQ(r.per_op[size_t(n.cat_op)].stall_cycles, 224 + 448);
  EXPECT_EQ(r.per_op[size_t(n.cat_op)].external_bytes, 224 + 224);
}

TEST(Concatenation, RowPartsStageEveryInputsRowsInOneBuffer) {
  Branches n = branches();
  // A budget that makes tinyops split the 4-row ops into parts.
  Board board = board_from_yaml_text(
      fixtures::tiny_board_with("budget_bytes: {value: 60000", "budget_bytes: {value: 1800"), "tiny.yaml");
  for (const char* strategy : {"tinyops", "optimal"}) {
    SCOPED_TRACE(strategy);
    Plan plan = make_plan(n.net, board, strategy);
    ASSERT_TRUE(plan.fits) << plan.why;
    validate_plan(plan, n.net);
    const OpPlan& cat = plan.ops[size_t(n.cat_op)];
    size_t copies = 0;
    for (const Part& part : cat.parts) {
      ASSERT_EQ(part.more_inputs.size(), 1u);
      const Region* at[] = {&part.at[int(Operand::Input)], &part.at[int(Operand::Input2)], &part.more_inputs[0]};
      const int tensors[] = {n.a, n.x, n.b};
      const int rows = part.in_row_end - part.in_row_begin;
      ASSERT_EQ(part.out_row_end - part.out_row_begin, rows);
      size_t copied = 0;
      for (int k = 0; k < 3; ++k) {
        const Shape& s = n.net.tensor(tensors[k]).shape;
        EXPECT_EQ(at[k]->bytes, int64_t(rows) * s.w * s.c);
        if (at[k]->memory == plan.sram_memory && plan.tensor_home[tensors[k]].memory == plan.sram_memory) continue;
        // Copied: its row slice, into the part's input buffer right after the input copied before it.
        const Transfer& t = part.copy_in.at(copied);
        EXPECT_EQ(t.operand, k == 0 ? Operand::Input : Operand::Input2);
        EXPECT_EQ(t.dst, *at[k]);
        const Region& home = plan.tensor_home[tensors[k]];
        EXPECT_EQ(t.src, (Region{home.memory, home.offset + int64_t(part.in_row_begin) * s.w * s.c, at[k]->bytes}));
        if (copied > 0) EXPECT_EQ(t.dst.offset, part.copy_in[copied - 1].dst.end());
        EXPECT_EQ(plan.buffers.at(size_t(t.buffer)).kind, BufferKind::Input);
        ++copied;
      }
      EXPECT_EQ(copied, part.copy_in.size());  // no other copy: a concatenation has no params
      copies += copied;
    }
    if (std::string(strategy) == "tinyops") {
      EXPECT_GT(cat.parts.size(), 1u);
      EXPECT_EQ(copies, 3 * cat.parts.size());  // the arena is in SDRAM: every input's rows copied in every part
    }
    fixtures::simulate_both(n.net, plan, board);
  }
}

TEST(Concatenation, PlanJsonKeepsTheLaterInputsAndChecksTheirCount) {
  Branches n = branches();
  Board board = tiny();
  Plan plan = make_plan(n.net, board, "internal");
  const Plan back = plan_from_json_text(plan_to_json_text(plan));
  EXPECT_EQ(back, plan);
  plan.ops[size_t(n.cat_op)].parts[0].more_inputs.clear();
  try {
    validate_plan(plan, n.net, "cat.plan.json");
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ops[2].parts[0].more_inputs"), std::string::npos) << e.what();
  }
}
