// The simulator's handling of what the overlay planners emit beyond plain ping-pong inputs: copies issued only
// when a part is due (Part::copy_when_due) and output overlays whose buffer is reused (copy_out).
// One 1x1 conv (4x4x8 -> 4x4x16) on the tiny board (board_fixture.hpp), in two row parts of 2 rows.
#include <gtest/gtest.h>

#include "board_fixture.hpp"
#include "net_fixture.hpp"
#include "sim_compare.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"

using namespace tinyops;

namespace {

Board tiny() { return board_from_yaml_text(fixtures::kTinyBoardYaml, "tiny.yaml"); }

// Two row parts with ping-pong inputs, part 1 copied ahead; `filter`: the weights copied into an SRAM buffer
// when part 0 is due; `overlay`: both parts write one SRAM output buffer that is copied out after each part.
Plan two_parts(const Network& net, const Board& board, bool filter, bool overlay) {
  Plan plan = plan_external(net, board);
  const Region in_home = plan.tensor_home[0], out_home = plan.tensor_home[1], w_home = plan.op_params[0][kParamWeights];
  const int ping = plan.add_buffer("input_ping", BufferKind::Input, Region{plan.sram_memory, 0, 64});
  const int pong = plan.add_buffer("input_pong", BufferKind::Input, Region{plan.sram_memory, 64, 64});
  const int w_buf = plan.add_buffer("filter", BufferKind::Weights, Region{plan.sram_memory, 128, 128});
  const int out_buf = plan.add_buffer("output", BufferKind::Output, Region{plan.sram_memory, 256, 128});
  OpPlan& op = plan.ops[0];
  op.partitioning = Partitioning::Rows;
  op.factor = 2;
  op.output_overlay = overlay;
  const Part whole = op.parts[0];
  op.parts.clear();
  for (int k = 0; k < 2; ++k) {
    Part p = whole;
    p.in_row_begin = p.out_row_begin = 2 * k;
    p.in_row_end = p.out_row_end = 2 * k + 2;
    const int buf = k == 0 ? ping : pong;
    p.copy_in = {
        Transfer{Operand::Input, Region{in_home.memory, in_home.offset + 64 * k, 64}, plan.buffers[buf].region, buf}};
    p.copy_ahead = k == 1;
    p.at[int(Operand::Input)] = plan.buffers[buf].region;
    if (filter) {
      p.at[int(Operand::Weights)] = plan.buffers[w_buf].region;
      if (k == 0) p.copy_when_due = {Transfer{Operand::Weights, w_home, plan.buffers[w_buf].region, w_buf}};
    }
    const Region home{out_home.memory, out_home.offset + 128 * k, 128};
    if (overlay) {
      p.at[int(Operand::Output)] = plan.buffers[out_buf].region;
      p.copy_out = {Transfer{Operand::Output, plan.buffers[out_buf].region, home, -1}};
    } else {
      p.at[int(Operand::Output)] = home;
    }
    op.parts.push_back(p);
  }
  validate_plan(plan, net);
  return plan;
}

}  // namespace

// Part 0: the CPU issues its input (0-20; it moves 20-46) and, due now, the weights (20-40; they move 40-82 on
// the second stream); it waits 40-82, issues part 1's input ahead (82-102; it moves 102-128) and computes:
// kernel 1380 + stalls (bias 64 + quant 128 read at 1 cycle/byte, output 128 B written at 2) 448, to 1930.
// Part 1 finds its copy landed and computes 1828 more: 3758. Without the copy the weights would be read in
// place, 4 passes of 128 B = 512 stall cycles a part (TwoRowPartsHandComputed: 4746).
TEST(SimulatorOverlays, CopyWhenDueIsIssuedWithThePartAndAwaited) {
  const Network net = fixtures::one_conv(4, 4, 8, 16);
  const Board board = tiny();
  const SimResult r = fixtures::simulate_both(net, two_parts(net, board, /*filter=*/true, /*overlay=*/false), board);
  EXPECT_DOUBLE_EQ(r.per_op[0].exposed_dma_cycles, 42);
  EXPECT_DOUBLE_EQ(r.per_op[0].overhead_cycles, 60);
  EXPECT_DOUBLE_EQ(r.total_cycles, 3758);
}

// With one output buffer for both parts, part 1 may only write it once part 0's copy-out has landed.
TEST(SimulatorOverlays, ReusedOutputBufferWaitsForItsCopyOut) {
  const Network net = fixtures::one_conv(4, 4, 8, 16);
  const Board board = tiny();
  const SimResult r = fixtures::simulate_both(net, two_parts(net, board, /*filter=*/false, /*overlay=*/true), board);
  double copy_out_end = -1, part1_compute_start = -1;
  for (const TimelineEvent& e : r.timeline) {
    if (e.kind == EventKind::CopyOut && e.part == 0) copy_out_end = e.end;
    if (e.kind == EventKind::Compute && e.part == 1) part1_compute_start = e.start;
  }
  ASSERT_GE(copy_out_end, 0);
  ASSERT_GE(part1_compute_start, 0);
  EXPECT_GE(part1_compute_start, copy_out_end);
}
