// One 1x1 conv (4x4x8 -> 4x4x16) on the tiny board, every cycle counted by hand.
// MACs 16 px x 8 x 16 = 2048; outputs 256; weights 128 B, bias 64 B, quant 128 B, input 128 B, output 256 B.
// Kernel: 100 + 1 x 2048 + 2 x 256 = 2660 cycles. The board has no D-cache, so a conv sweeps its filter
// once per two output pixels when it reads it in place: 16 px / 2 = 8 passes.
#include <gtest/gtest.h>

#include "board_fixture.hpp"
#include "net_fixture.hpp"
#include "sim_compare.hpp"
#include "tinyops/error.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"

using namespace tinyops;

namespace {

Board tiny() { return board_from_yaml_text(fixtures::kTinyBoardYaml, "tiny.yaml"); }
constexpr double kKernel = 2660;

// The external plan, with input and weights DMA-copied into two SRAM buffers before the conv.
Plan staged_plan(const Network& net, const Board& board) {
  Plan plan = plan_external(net, board);
  const Region in_home = plan.tensor_home[0], w_home = plan.op_params[0][kParamWeights];
  int in_buf = plan.add_buffer("input", BufferKind::Input, Region{plan.sram_memory, 0, 128});
  int w_buf = plan.add_buffer("filter", BufferKind::Weights, Region{plan.sram_memory, 128, 128});
  Part& part = plan.ops[0].parts[0];
  part.copy_in = {Transfer{Operand::Input, in_home, plan.buffers[in_buf].region, in_buf},
                  Transfer{Operand::Weights, w_home, plan.buffers[w_buf].region, w_buf}};
  part.at[int(Operand::Input)] = plan.buffers[in_buf].region;
  part.at[int(Operand::Weights)] = plan.buffers[w_buf].region;
  validate_plan(plan, net);
  return plan;
}

// Two row parts (rows 0-1, 2-3) with ping-pong input buffers; output written in place to SDRAM.
Plan two_row_parts(const Network& net, const Board& board, bool ahead) {
  Plan plan = plan_external(net, board);
  const Region in_home = plan.tensor_home[0], out_home = plan.tensor_home[1];
  int ping = plan.add_buffer("input_ping", BufferKind::Input, Region{plan.sram_memory, 0, 64});
  int pong = plan.add_buffer("input_pong", BufferKind::Input, Region{plan.sram_memory, 64, 64});
  OpPlan& op = plan.ops[0];
  op.partitioning = Partitioning::Rows;
  op.factor = 2;
  Part whole = op.parts[0];
  op.parts.clear();
  for (int k = 0; k < 2; ++k) {
    Part p = whole;
    p.in_row_begin = p.out_row_begin = 2 * k;
    p.in_row_end = p.out_row_end = 2 * k + 2;
    const int buf = k == 0 ? ping : pong;
    p.copy_in = {
        Transfer{Operand::Input, Region{in_home.memory, in_home.offset + 64 * k, 64}, plan.buffers[buf].region, buf}};
    p.copy_ahead = ahead && k == 1;
    p.at[int(Operand::Input)] = plan.buffers[buf].region;
    p.at[int(Operand::Output)] = Region{out_home.memory, out_home.offset + 128 * k, 128};
    op.parts.push_back(p);
  }
  validate_plan(plan, net);
  return plan;
}

}  // namespace

TEST(Simulator, InternalConvPaysFlashStallsOnly) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Board board = tiny();
  Plan plan = make_plan(net, board, "internal");
  ASSERT_TRUE(plan.fits) << plan.why;
  SimResult r = fixtures::simulate_both(net, plan, board);
  // Flash 0.5 cycles/byte: weights 128 B x 8 passes + bias 64 + quant 128 = 1216 B -> 608 cycles.
  EXPECT_DOUBLE_EQ(r.per_op[0].compute_cycles, kKernel);
  EXPECT_DOUBLE_EQ(r.per_op[0].stall_cycles, 608);
  EXPECT_DOUBLE_EQ(r.total_cycles, kKernel + 608);
  EXPECT_DOUBLE_EQ(r.latency_ms, 3.268);  // 1 MHz clock
  EXPECT_EQ(r.external_bytes(), 0);
  EXPECT_EQ(r.peak_sram_bytes, 128 + 256);  // input and output live together in the arena
}

TEST(Simulator, ExternalConvPaysSdramStalls) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Board board = tiny();
  SimResult r = fixtures::simulate_both(net, make_plan(net, board, "external"), board);
  // Reads 1 cycle/byte: input 128 + weights 128 x 8 + bias 64 + quant 128 = 1344; writes 2 x 256 = 512.
  EXPECT_DOUBLE_EQ(r.per_op[0].stall_cycles, 1344 + 512);
  EXPECT_DOUBLE_EQ(r.total_cycles, kKernel + 1856);
  EXPECT_EQ(r.external_cpu_bytes, 1344 + 256);
  EXPECT_EQ(r.external_dma_bytes, 0);
  EXPECT_EQ(r.peak_sram_bytes, 0);
}

TEST(Simulator, StagedConvWaitsForItsCopies) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Board board = tiny();
  SimResult r = fixtures::simulate_both(net, staged_plan(net, board), board);
  // CPU issues input (0-20) and weights (20-40); input moves 20-62 on stream 1, weights 40-82 on stream 2
  // (10 setup + 128 B / 4 B per cycle). The CPU waits 40-82, then computes with bias/quant/output in SDRAM:
  // 2660 + 64 + 128 + 2 x 256 = 3364 -> ends at 3446.
  EXPECT_DOUBLE_EQ(r.per_op[0].overhead_cycles, 40);
  EXPECT_DOUBLE_EQ(r.per_op[0].exposed_dma_cycles, 42);
  EXPECT_DOUBLE_EQ(r.per_op[0].stall_cycles, 704);
  EXPECT_DOUBLE_EQ(r.total_cycles, 3446);
  EXPECT_EQ(r.external_dma_bytes, 256);
  EXPECT_EQ(r.peak_sram_bytes, 256);
  // The timeline: two issues and a wait and the compute on the CPU, one copy on each DMA stream.
  int copies = 0;
  for (const TimelineEvent& e : r.timeline) copies += e.kind == EventKind::CopyIn;
  EXPECT_EQ(copies, 2);
}

TEST(Simulator, TwoRowPartsHandComputed) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Board board = tiny();
  // Each part: kernel 100 + 1024 + 256 = 1380; stalls: weights 128 B x 4 passes (8 px / 2) + bias 64
  // + quant 128 = 704, output 128 B x 2 = 256 -> 960. Copy of 64 B: 10 + 16 = 26 cycles.
  // Serial: part 0 issue 0-20, copy 20-46, compute 46-2386; part 1 issue 2386-2406, copy 2406-2432,
  // compute 2432-4772.
  SimResult serial = fixtures::simulate_both(net, two_row_parts(net, board, false), board);
  EXPECT_DOUBLE_EQ(serial.total_cycles, 4772);
  // Ahead: part 0 waits for its copy (20-46), then issues part 1's copy (46-66; it moves 66-92) and
  // computes 66-2406; part 1's copy has landed, so it computes at once: 2406-4746.
  SimResult ahead = fixtures::simulate_both(net, two_row_parts(net, board, true), board);
  EXPECT_DOUBLE_EQ(ahead.total_cycles, 4746);
  EXPECT_DOUBLE_EQ(ahead.per_op[0].exposed_dma_cycles, 26);
}

TEST(Simulator, OverlapIsNeverWorseThanSerial) {
  Board board = tiny();
  for (int h : {4, 8, 16})
    for (int c : {8, 16, 32}) {
      Network net = fixtures::one_conv(h, 4, c / 2, c);
      if (net.tensor(0).shape.bytes() / 2 > 64) continue;  // the ping-pong buffers of two_row_parts hold 64 B
      EXPECT_LE(fixtures::simulate_both(net, two_row_parts(net, board, true), board).total_cycles,
                fixtures::simulate_both(net, two_row_parts(net, board, false), board).total_cycles);
    }
}

TEST(Simulator, BusContentionSlowsTheCpu) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  Board quiet = tiny();
  Board busy = board_from_yaml_text(
      fixtures::tiny_board_with("cpu_stall_increase: {value: 0", "cpu_stall_increase: {value: 1"), "busy.yaml");
  double t_quiet = fixtures::simulate_both(net, two_row_parts(net, quiet, true), quiet).total_cycles;
  double t_busy = fixtures::simulate_both(net, two_row_parts(net, busy, true), busy).total_cycles;
  EXPECT_GT(t_busy, t_quiet);  // part 0's SDRAM stalls overlap part 1's copy from SDRAM
}

TEST(Simulator, RefusesPlansThatDoNotFit) {
  Network net = fixtures::one_conv(64, 64, 16, 16);  // 64 KB in + 64 KB out > the 60000 B budget
  Board board = tiny();
  Plan plan = make_plan(net, board, "internal");
  EXPECT_FALSE(plan.fits);
  EXPECT_NE(plan.why.find("activation arena needs 131,072 B > SRAM budget 60,000 B"), std::string::npos) << plan.why;
  EXPECT_NE(plan.why.find("short by 71,072 B"), std::string::npos) << plan.why;
  EXPECT_THROW(fixtures::simulate_both(net, plan, board), PlanningError);
}

TEST(Simulator, BoardWithoutDmaCopiesOnTheCpu) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  std::string text = fixtures::kTinyBoardYaml;
  auto begin = text.find("dma:\n"), end = text.find("bus:\n");
  text.replace(begin, end - begin, "dma: []\n");
  Board board = board_from_yaml_text(text, "nodma.yaml");
  SimResult r = fixtures::simulate_both(net, staged_plan(net, board), board);
  // Two synchronous copies of 128 B at memcpy 1 + SDRAM read 1 cycle/byte = 256 cycles each.
  EXPECT_DOUBLE_EQ(r.per_op[0].exposed_dma_cycles, 512);
  EXPECT_DOUBLE_EQ(r.total_cycles, 512 + kKernel + 704);
}

TEST(Simulator, CpuCopiesPayTheirIssueCyclesEach) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  std::string text =
      fixtures::tiny_board_with("  memcpy_cycles_per_byte: {value: 1, source: estimate, ref: \"test\"}\n",
                                "  memcpy_cycles_per_byte: {value: 1, source: estimate, ref: \"test\"}\n"
                                "  memcpy_issue_cycles: {value: 50, source: measurement, ref: \"test\"}\n");
  auto begin = text.find("dma:\n"), end = text.find("bus:\n");
  text.replace(begin, end - begin, "dma: []\n");
  Board board = board_from_yaml_text(text, "nodma_issue.yaml");
  EXPECT_DOUBLE_EQ(board.cpu.memcpy_issue_cycles.value, 50);
  SimResult r = fixtures::simulate_both(net, staged_plan(net, board), board);
  // As BoardWithoutDmaCopiesOnTheCpu, each of the two copies (input, weights) 50 cycles longer: 256 + 50.
  EXPECT_DOUBLE_EQ(r.per_op[0].exposed_dma_cycles, 2 * (256 + 50));
  EXPECT_DOUBLE_EQ(r.total_cycles, 2 * (256 + 50) + kKernel + 704);
}

TEST(Simulator, UnknownStrategyIsAnInputError) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  EXPECT_THROW(make_plan(net, tiny(), "fastest"), InputError);
}

TEST(Simulator, InternalNamesTheFlashShortfall) {
  Network net = fixtures::one_conv(2, 2, 256, 256);  // weights 65,536 + bias 1,024 + quant 2,048 B > the 64 KB flash
  Plan plan = make_plan(net, tiny(), "internal");
  EXPECT_FALSE(plan.fits);
  EXPECT_NE(plan.why.find("weights need 68,608 B > 65,536 B of internal flash (flash, short by 3,072 B)"),
            std::string::npos)
      << plan.why;
}

TEST(Simulator, CopyWithoutADmaLinkIsRefusedByBothSimulators) {
  Network net = fixtures::one_conv(4, 4, 8, 16);
  const std::string one_way = fixtures::tiny_board_with(
      "      - {from: sram, to: sdram, bytes_per_cycle: {value: 4, source: estimate, ref: \"test\"}}\n", "");
  Board board = board_from_yaml_text(one_way, "one_way.yaml");
  Plan plan = plan_external(net, board);
  // The output written to an SRAM overlay and copied out to SDRAM, which this board's DMA cannot do.
  const int out_buf = plan.add_buffer("output", BufferKind::Output, Region{plan.sram_memory, 0, 256});
  Part& part = plan.ops[0].parts[0];
  part.at[int(Operand::Output)] = plan.buffers[out_buf].region;
  part.copy_out = {Transfer{Operand::Output, plan.buffers[out_buf].region, plan.tensor_home[1], -1}};
  try {
    fixtures::simulate_both(net, plan, board);
    FAIL() << "expected a PlanningError";
  } catch (const PlanningError& e) {
    EXPECT_NE(std::string(e.what()).find("has no DMA link between them"), std::string::npos) << e.what();
  }
}
