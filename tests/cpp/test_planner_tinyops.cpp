// The `tinyops` and `optimal` planners on the F746 board: structure of the published scheme, SRAM within the
// budget, optimal <= tinyops <= external, and a clear error when no overlay fits.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_paths.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"
#include "tinyops/planner_tinyops.hpp"
#include "tinyops/simulator.hpp"

using namespace tinyops;
using tinyops::fixtures::kCatalog;

namespace {

const std::string kMbv3 = std::string(TINYOPS_SHARED_DIR) + "/models/arch/mbv3-w1.00-r224.json";

Board f746() { return load_board("stm32f746g-disco", kCatalog); }

// MobileNetV3 variants derived from the shared w1.00-r224 config as MCUNet/OFA derive them.
Network mbv3(double width, int resolution) {
  const nlohmann::json arch = scale_arch(read_json_file(kMbv3), width, resolution);
  return network_from_arch(arch, "mbv3-w" + std::to_string(width) + "-r" + std::to_string(resolution));
}

#define SKIP_WITHOUT_SHARED() \
  if (!std::filesystem::exists(kMbv3)) GTEST_SKIP() << kMbv3 << " is absent (../shared not mounted)"

}  // namespace

TEST(TinyopsPlanner, PublishedStructureOnF746) {
  SKIP_WITHOUT_SHARED();
  const Board board = f746();
  const Network net = mbv3(1.0, 224);
  const Plan plan = make_plan(net, board, "tinyops");
  ASSERT_TRUE(plan.fits) << plan.why;
  validate_plan(plan, net);
  EXPECT_EQ(plan.strategy, "tinyops");
  EXPECT_LE(plan.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));

  const RowPartitioning rows = tinyops_partitioning(net, board, plan_external(net, board));
  // The buffers are exactly the published set, back to back in SRAM.
  const int ping = plan.buffer_index(kInputPingBuffer), pong = plan.buffer_index(kInputPongBuffer);
  ASSERT_GE(ping, 0);
  ASSERT_GE(pong, 0);
  EXPECT_EQ(plan.buffers[ping].region.bytes, rows.buffers.input_bytes);
  EXPECT_EQ(plan.buffers[plan.buffer_index(kQuantBuffer)].region.bytes, 2 * rows.buffers.quant_bytes);
  EXPECT_EQ(plan.peak_sram_bytes(), rows.buffers.total_bytes());

  int prefetched = 0;
  for (const Op& op : net.ops()) {
    const OpPlan& o = plan.ops[op.id];
    if (op.kind == OpKind::FullyConnected || op.kind == OpKind::GlobalAveragePool) {
      EXPECT_EQ(o.partitioning, Partitioning::None) << op.name;  // runs in place, as published
      continue;
    }
    ASSERT_EQ(o.partitioning, Partitioning::Rows) << op.name;
    EXPECT_EQ(o.factor, rows.op_factor[op.id]);
    ASSERT_EQ(o.parts.size(), rows.parts[op.id].size());
    for (size_t p = 0; p < o.parts.size(); ++p) {
      const Part& part = o.parts[p];
      // Input parts alternate between the two ping-pong buffers; the output goes straight to external memory.
      ASSERT_FALSE(part.copy_in.empty());
      EXPECT_TRUE(part.copy_in[0].buffer == ping || part.copy_in[0].buffer == pong);
      EXPECT_EQ(part.at[int(Operand::Output)].memory, plan.tensor_home[op.output].memory);
      if (p > 0) {
        EXPECT_TRUE(part.copy_ahead);
        EXPECT_NE(part.copy_in[0].buffer, o.parts[p - 1].copy_in[0].buffer);
      }
    }
    prefetched += o.parts.front().copy_ahead;
    // Params copied when the op starts, never ahead: the previous op may still read the same buffers.
    if (op.weight_bytes <= rows.buffers.filter_bytes && op.weight_bytes > 0)
      EXPECT_EQ(o.parts.front().at[int(Operand::Weights)].memory, plan.sram_memory) << op.name;
    if (op.weight_bytes > rows.buffers.filter_bytes)
      EXPECT_EQ(o.parts.front().at[int(Operand::Weights)].memory, plan.op_params[op.id][kParamWeights].memory);
  }
  EXPECT_GT(prefetched, 0) << "no op's first part was copied during the previous op's last part";
}

// The plan the firmware executes is the plan the simulator scores: it survives a JSON round trip.
TEST(TinyopsPlanner, JsonRoundTrip) {
  SKIP_WITHOUT_SHARED();
  const Network net = mbv3(0.55, 128);
  for (const char* strategy : {"tinyops", "optimal"}) {
    const Plan plan = make_plan(net, f746(), strategy);
    EXPECT_EQ(plan_from_json_text(plan_to_json_text(plan)), plan) << strategy;
  }
}

// optimal <= tinyops <= external (and optimal <= internal where that fits) on the F746, for MobileNetV3 variants
// from MCU size to the full network.
TEST(TinyopsPlanner, OptimalNotSlowerThanTinyopsNotSlowerThanExternal) {
  SKIP_WITHOUT_SHARED();
  const Board board = f746();
  Simulator sim(board);
  for (auto [width, resolution] : {std::pair{0.35, 96}, {0.35, 144}, {0.55, 128}, {0.75, 160}, {1.0, 224}}) {
    const Network net = mbv3(width, resolution);
    SCOPED_TRACE(net.name());
    const Plan optimal = make_plan(net, board, "optimal");
    const Plan tinyops = make_plan(net, board, "tinyops");
    const Plan external = make_plan(net, board, "external");
    validate_plan(optimal, net);
    const double t_opt = sim.run(net, optimal).total_cycles;
    const double t_tiny = sim.run(net, tinyops).total_cycles;
    const double t_ext = sim.run(net, external).total_cycles;
    EXPECT_LE(t_opt, t_tiny);
    EXPECT_LE(t_tiny, t_ext);
    if (const Plan internal = make_plan(net, board, "internal"); internal.fits)
      EXPECT_LE(t_opt, sim.run(net, internal).total_cycles);
    EXPECT_LE(optimal.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
    EXPECT_LE(tinyops.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
  }
}

TEST(TinyopsPlanner, BudgetTooSmallIsReportedWithTheSmallestNeed) {
  SKIP_WITHOUT_SHARED();
  Board board = f746();
  board.sram_budget_bytes.value = 4000;
  const Network net = mbv3(0.55, 128);
  const Plan plan = make_plan(net, board, "tinyops");
  EXPECT_FALSE(plan.fits);
  EXPECT_NE(plan.why.find("4000 bytes"), std::string::npos) << plan.why;
  EXPECT_NE(plan.why.find("smallest overlay buffers need"), std::string::npos) << plan.why;
  try {
    simulate(net, plan, board);
    FAIL() << "expected PlanningError";
  } catch (const PlanningError& e) {
    EXPECT_NE(std::string(e.what()).find("4000 bytes"), std::string::npos) << e.what();
  }
  // optimal still has a plan: every op in place needs no SRAM.
  const Plan optimal = make_plan(net, board, "optimal");
  ASSERT_TRUE(optimal.fits);
  EXPECT_EQ(optimal.peak_sram_bytes(), 0);
}

// What optimal chose is recorded per op in a form the firmware executes: the partitioning kind, the parts,
// and for weight streaming the channel slices of the filters, alternating between the two weight buffers.
TEST(OptimalPlanner, ChoicesAreRecordedAndExecutable) {
  SKIP_WITHOUT_SHARED();
  // SDRAM reads made dear (4 cycles a byte instead of the F746 estimate) so that streaming the big late
  // filters through SRAM certainly beats reading them in place, whatever calibration later makes of the board.
  Board board = f746();
  board.memories[board.memory_index("sdram")].read_cycles_per_byte.value = 4.0;
  const Network net = mbv3(1.0, 224);
  const Plan plan = make_plan(net, board, "optimal");
  validate_plan(plan, net);
  int channel_ops = 0;
  for (const OpPlan& o : plan.ops) {
    const Op& op = net.op(o.op);
    ASSERT_EQ(o.strategy.rfind("optimal:", 0), 0u) << o.strategy;
    if (o.partitioning == Partitioning::OutputChannels) {
      ++channel_ops;
      EXPECT_TRUE(op.kind == OpKind::FullyConnected || (op.kind == OpKind::Conv2D && op.kernel_h == 1));
      int next = 0;
      for (size_t p = 0; p < o.parts.size(); ++p) {
        const Part& part = o.parts[p];
        EXPECT_EQ(part.out_channel_begin, next);
        next = part.out_channel_end;
        const Region& w = part.at[int(Operand::Weights)];
        EXPECT_EQ(w.memory, plan.sram_memory);
        EXPECT_EQ(w.bytes,
                  op.weight_bytes / net.tensor(op.output).shape.c * (part.out_channel_end - part.out_channel_begin));
        if (p > 0) {
          EXPECT_TRUE(part.copy_ahead);
          EXPECT_NE(w.offset, o.parts[p - 1].at[int(Operand::Weights)].offset);  // ping-pong
        }
      }
      EXPECT_EQ(next, net.tensor(op.output).shape.c);
    }
    if (o.output_overlay)  // each part written to an SRAM output buffer, then copied to the output's home
      for (const Part& part : o.parts) EXPECT_EQ(part.copy_out.size(), 1u);
  }
  // The late pointwise convs' filters (up to 960 x 160 bytes) do not fit the filter buffer whole.
  EXPECT_GT(channel_ops, 0);
}

// Output overlays: with SDRAM writes made dear, writing row parts to SRAM and copying them out by DMA
// must pay, within the same SRAM budget and never slower than tinyops.
TEST(OptimalPlanner, OutputOverlaysWhereTheyPay) {
  SKIP_WITHOUT_SHARED();
  Board board = f746();
  board.memories[board.memory_index("sdram")].write_cycles_per_byte.value = 4.0;
  const Network net = mbv3(0.55, 128);
  const Plan plan = make_plan(net, board, "optimal");
  validate_plan(plan, net);
  EXPECT_LE(plan.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
  Simulator sim(board);
  const double with_overlays = sim.run(net, plan).total_cycles;  // run() reuses its result: copy it first
  EXPECT_LT(with_overlays,
            sim.run(net, plan_optimal(net, board, OptimalOptions{.output_overlays = false})).total_cycles);
  int overlay_ops = 0;
  for (const OpPlan& o : plan.ops) {
    if (!o.output_overlay) continue;
    ++overlay_ops;
    const Op& op = net.op(o.op);
    for (const Part& part : o.parts) {
      ASSERT_EQ(part.copy_out.size(), 1u);
      EXPECT_EQ(part.at[int(Operand::Output)].memory, plan.sram_memory);
      EXPECT_EQ(part.copy_out[0].dst.memory, plan.tensor_home[op.output].memory);
    }
  }
  EXPECT_GT(overlay_ops, 0);
}

namespace {

// input 16x16x8 -> 1x1 conv 16 -> 1x1 conv 8: small enough to plan by hand with the overlay builder.
Network two_pointwise() {
  Network net("two-pointwise");
  net.add_input({16, 16, 8});
  Op a;
  a.name = "pw_a";
  a.kind = OpKind::Conv2D;
  a.inputs = {net.input()};
  net.add_op(a, 16);
  Op b = a;
  b.name = "pw_b";
  b.inputs = {net.output()};
  net.add_op(b, 8);
  net.mark_output(net.output());
  return net;
}

}  // namespace

TEST(OverlayPlanner, OutputOverlaysAndChannelStreamingByHand) {
  const Board board = f746();
  const Network net = two_pointwise();
  const Plan base = plan_external(net, board);
  ASSERT_TRUE(base.fits) << base.why;
  // Buffers by hand: an input buffer that holds b's whole 4 KB input, 1 KB filter and im2col buffers.
  const OverlayBuffers buffers{4096, 1024, 1024, 64, 160};
  const std::vector<RowPart> a_parts = partition_rows(row_geometry(net, net.op(0)), 2);  // 8 + 8 rows
  ASSERT_EQ(a_parts.size(), 2u);

  Plan plan = base;
  OverlayPlanner overlays(net, board, plan, buffers, /*output_bytes=*/8 * 16 * 16);
  EXPECT_TRUE(overlays.output_overlay_fits(0, a_parts));
  EXPECT_FALSE(overlays.output_overlay_fits(0, partition_rows(row_geometry(net, net.op(0)), 1)));
  overlays.plan_rows(0, 2, a_parts, "test:rows", /*output_overlay=*/true);
  ASSERT_TRUE(overlays.channels_fit(1, 2));
  EXPECT_FALSE(overlays.channels_fit(1, 1));
  overlays.plan_channels(1, 2, "test:channels");
  validate_plan(plan, net);

  const OpPlan& a = plan.ops[0];
  ASSERT_EQ(a.parts.size(), 2u);
  EXPECT_TRUE(a.output_overlay);
  const int out_ping = plan.buffer_index(kOutputPingBuffer), out_pong = plan.buffer_index(kOutputPongBuffer);
  EXPECT_EQ(a.parts[0].at[int(Operand::Output)].offset, plan.buffers[out_ping].region.offset);
  EXPECT_EQ(a.parts[1].at[int(Operand::Output)].offset, plan.buffers[out_pong].region.offset);
  EXPECT_EQ(a.parts[1].copy_out[0].dst,
            (Region{plan.tensor_home[1].memory, plan.tensor_home[1].offset + 8 * 16 * 16, 8 * 16 * 16}));

  // b: 8 output channels in 2 slices of 4 x 16 weight bytes; the whole 4 KB input copied once.
  const OpPlan& b = plan.ops[1];
  EXPECT_EQ(b.partitioning, Partitioning::OutputChannels);
  ASSERT_EQ(b.parts.size(), 2u);
  EXPECT_EQ(b.parts[0].copy_in.size(), 1u);  // the input, prefetchable; the first filters wait for the op
  EXPECT_EQ(b.parts[0].copy_in[0].src, plan.tensor_home[1]);
  EXPECT_FALSE(b.parts[0].copy_ahead);  // a's output is not complete before its last part
  EXPECT_EQ(b.parts[0].copy_when_due[0].src.bytes, 64);
  EXPECT_EQ(b.parts[1].copy_in[0].src.offset, plan.op_params[1][kParamWeights].offset + 64);
  EXPECT_TRUE(b.parts[1].copy_ahead);
  EXPECT_EQ(plan_from_json_text(plan_to_json_text(plan)), plan);
}

// Cross-op param prefetch: an op's weights, bias and quant copied while the previous op's last part computes
// must land where that part reads nothing (else the kernel would read the next op's params), and only with a
// first part that is copied ahead.
TEST(OptimalPlanner, PrefetchedParamsNeverOverwriteWhatThePreviousPartReads) {
  SKIP_WITHOUT_SHARED();
  const Board board = f746();
  int prefetched = 0;
  for (auto [width, resolution] : {std::pair{0.35, 144}, {0.55, 128}, {1.0, 224}}) {
    const Network net = mbv3(width, resolution);
    SCOPED_TRACE(net.name());
    const Plan plan = make_plan(net, board, "optimal");
    validate_plan(plan, net);
    for (size_t i = 1; i < plan.ops.size(); ++i) {
      const Part& first = plan.ops[i].parts.front();
      const Part& previous_last = plan.ops[i - 1].parts.back();
      for (const Transfer& t : first.copy_in) {
        if (t.operand != Operand::Weights && t.operand != Operand::Bias && t.operand != Operand::Quant) continue;
        ++prefetched;
        EXPECT_TRUE(first.copy_ahead) << "op " << i;
        for (const Region& r : previous_last.at)
          EXPECT_FALSE(r.present() && r.memory == t.dst.memory && r.offset < t.dst.end() && t.dst.offset < r.end())
              << "op " << i << " prefetches its " << int(t.operand) << " over what op " << i - 1 << " reads";
      }
    }
  }
  EXPECT_GT(prefetched, 0) << "no op's params were copied ahead";
}

// The validator refuses a copy issued ahead onto bytes the previous part reads (here: an op's filter prefetched
// over the previous op's), though a copy into other bytes of the same buffer passes.
TEST(OptimalPlanner, ValidatorRefusesAPrefetchOverWhatThePreviousPartReads) {
  SKIP_WITHOUT_SHARED();
  const Network net = mbv3(1.0, 224);
  Plan plan = make_plan(net, f746(), "optimal");
  for (size_t i = 1; i < plan.ops.size(); ++i) {
    Part& first = plan.ops[i].parts.front();
    const Region& read = plan.ops[i - 1].parts.back().at[int(Operand::Weights)];
    for (Transfer& t : first.copy_in) {
      if (t.operand != Operand::Weights || !read.present() || read.memory != t.dst.memory) continue;
      validate_plan(plan, net);  // as planned: beside what op i - 1 reads
      t.dst.offset = read.offset;
      try {
        validate_plan(plan, net);
        ADD_FAILURE() << "op " << i << ": a prefetch over the previous op's filter passed";
      } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("which the previous part still uses"), std::string::npos) << e.what();
      }
      return;
    }
  }
  FAIL() << "no op prefetches its weights into the buffer the previous op reads its weights from";
}
