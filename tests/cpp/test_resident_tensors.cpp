// Activations resident in SRAM (the `optimal` planner's residency choice): the arena layout, the copies and
// stalls a resident tensor removes (by hand), and the optimal plans on the F746 that keep tensors resident.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "data_paths.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"
#include "tinyops/resident_tensors.hpp"
#include "tinyops/simulator.hpp"

using namespace tinyops;
using tinyops::fixtures::kCatalog;

namespace {

const std::string kMbv3 = std::string(TINYOPS_SHARED_DIR) + "/models/arch/mbv3-w1.00-r224.json";

Board f746() { return load_board("stm32f746g-disco", kCatalog); }

// input 16x16x8 -> pad 1 -> 18x18x8 (t1) -> pad 1 -> 20x20x8 (t2) -> pad 1 -> 22x22x8 (t3). Pads have no
// params, so the only copies are activations.
Network three_pads() {
  Network net("three-pads");
  int t = net.add_input({16, 16, 8});
  for (int i = 0; i < 3; ++i) {
    Op op;
    op.name = "pad" + std::to_string(i);
    op.kind = OpKind::Pad;
    op.pad = Padding{1, 1, 1, 1};
    op.inputs = {t};
    t = net.op(net.add_op(op, 8)).output;
  }
  net.mark_output(t);
  return net;
}

}  // namespace

TEST(ResidentTensors, FirstFitReusesBytesAfterTheLastUse) {
  const Network net = three_pads();  // tensors 0..3: 2048, 2592, 3200, 3872 bytes; t_i lives over ops i-1..i
  ResidentTensors arena(net, 2592 + 3200);
  EXPECT_TRUE(arena.admit(1));   // ops 0..1, at 0
  EXPECT_TRUE(arena.admit(2));   // ops 1..2: alive with t1, after it
  EXPECT_FALSE(arena.admit(2));  // resident already
  EXPECT_FALSE(arena.admit(3));  // ops 2..2: alive with t2 only, but 3872 bytes do not fit before or after it
  EXPECT_EQ(arena.bytes(), 2592 + 3200);
  ResidentTensors reuse(net, 4096);
  EXPECT_TRUE(reuse.admit(1));   // ops 0..1
  EXPECT_TRUE(reuse.admit(3));   // ops 2..2: t1 is dead by then, its bytes are reused
  EXPECT_FALSE(reuse.admit(2));  // alive with both
  EXPECT_EQ(reuse.bytes(), 3872);
  Plan plan = plan_external(net, f746());
  reuse.place(plan, plan.sram_memory, 1024);
  EXPECT_EQ(plan.tensor_home[1], (Region{plan.sram_memory, 1024, 2592}));
  EXPECT_EQ(plan.tensor_home[3], (Region{plan.sram_memory, 1024, 3872}));
  const int b = plan.buffer_index(kResidentArenaBuffer);
  ASSERT_GE(b, 0);
  EXPECT_EQ(plan.buffers[size_t(b)].kind, BufferKind::Arena);
  EXPECT_EQ(plan.peak_sram_bytes(), 1024 + 3872);
}

// t1 resident: pad0 writes it to SRAM (its external write stall goes) and pad1 reads it in place (its copy
// into the input buffer goes: the CPU's issue cycles and the whole exposed DMA transfer, since pad0 runs in
// place and cannot prefetch). Nothing else changes.
TEST(ResidentTensors, ResidentTensorRemovesTheCopyAndItsStallsByHand) {
  const Board board = f746();
  const Network net = three_pads();
  const OverlayBuffers buffers{4096, 4096, 4096, 0, 0};
  auto make = [&](bool resident) {
    Plan plan = plan_external(net, board);
    OverlayPlanner overlays(net, board, plan, buffers);
    ResidentTensors arena(net, 4096);
    if (resident) arena.admit(1);
    arena.place(plan, plan.sram_memory, align_up(plan.peak_sram_bytes()));
    overlays.keep_in_place(0, "test:in_place");
    overlays.plan_rows(1, 1, partition_rows(row_geometry(net, net.op(1)), 1), "test:rows");
    overlays.keep_in_place(2, "test:in_place");
    validate_plan(plan, net);
    return plan;
  };
  const Plan external = make(false), resident = make(true);
  EXPECT_EQ(resident.ops[0].parts[0].at[int(Operand::Output)].memory, resident.sram_memory);
  EXPECT_TRUE(resident.ops[1].parts[0].copy_in.empty());
  EXPECT_EQ(resident.ops[1].parts[0].at[int(Operand::Input)], resident.tensor_home[1]);
  EXPECT_EQ(plan_from_json_text(plan_to_json_text(resident)), resident);

  Simulator sim(board);
  const SimResult e = sim.run(net, external);
  const SimResult r = sim.run(net, resident);
  const double bytes = 18 * 18 * 8;
  const double write_cpb = board.memories[size_t(board.memory_index("sdram"))].write_cycles_per_byte.value;
  const DmaEngine& dma = board.dma[0];
  double bytes_per_cycle = 0;
  for (const DmaLink& l : dma.links)
    if (l.from == "sdram" && l.to == "sram") bytes_per_cycle = l.bytes_per_cycle.value;
  ASSERT_GT(bytes_per_cycle, 0);
  const double write_stall = bytes * write_cpb;
  const double copy = dma.setup_cycles.value + bytes / bytes_per_cycle;
  const double issue = dma.cpu_issue_cycles.value;
  EXPECT_DOUBLE_EQ(e.per_op[0].stall_cycles - r.per_op[0].stall_cycles, write_stall);
  EXPECT_EQ(e.per_op[0].external_bytes - r.per_op[0].external_bytes, int64_t(bytes));
  EXPECT_DOUBLE_EQ(e.per_op[1].exposed_dma_cycles, copy);
  EXPECT_DOUBLE_EQ(r.per_op[1].exposed_dma_cycles, 0);
  EXPECT_DOUBLE_EQ(e.per_op[1].overhead_cycles - r.per_op[1].overhead_cycles, issue);
  EXPECT_EQ(r.per_op[1].dma_bytes, 0);
  EXPECT_EQ(r.per_op[1].compute_cycles, e.per_op[1].compute_cycles);
  EXPECT_EQ(r.per_op[2].stall_cycles, e.per_op[2].stall_cycles);
  // Totals of whole networks: their difference carries the rounding of both sums (non-round cost terms).
  EXPECT_NEAR(e.total_cycles - r.total_cycles, write_stall + issue + copy, 1e-6);
}

namespace {

Network mbv3(double width, int resolution) {
  const nlohmann::json arch = scale_arch(read_json_file(kMbv3), width, resolution);
  return network_from_arch(arch, "mbv3-w" + std::to_string(width) + "-r" + std::to_string(resolution));
}

}  // namespace

// On the F746 the optimal plans of MCU-size MobileNetV3s keep tensors resident: inside the budget, in the
// resident arena, never copied, and faster than the same search without residency (itself <= tinyops).
TEST(OptimalPlanner, KeepsTensorsResidentWithinTheBudget) {
  if (!std::filesystem::exists(kMbv3)) GTEST_SKIP() << kMbv3 << " is absent (../shared not mounted)";
  const Board board = f746();
  Simulator sim(board);
  for (auto [width, resolution] : {std::pair{0.35, 144}, {0.55, 128}}) {
    const Network net = mbv3(width, resolution);
    SCOPED_TRACE(net.name());
    const Plan plan = make_plan(net, board, "optimal");
    validate_plan(plan, net);
    EXPECT_LE(plan.peak_sram_bytes(), int64_t(board.sram_budget_bytes.value));
    const int arena = plan.buffer_index(kResidentArenaBuffer);
    ASSERT_GE(arena, 0);
    const Region& a = plan.buffers[size_t(arena)].region;
    int resident = 0;
    for (const Region& home : plan.tensor_home) {
      if (home.memory != plan.sram_memory) continue;
      ++resident;
      EXPECT_TRUE(home.offset >= a.offset && home.end() <= a.end());
    }
    EXPECT_GT(resident, 0);
    for (const OpPlan& o : plan.ops)
      for (const Part& part : o.parts)
        for (const Transfer& t : part.copy_in) EXPECT_NE(t.src.memory, plan.sram_memory) << "op " << o.op;
    const double with = sim.run(net, plan).total_cycles;
    const double without =
        sim.run(net, plan_optimal(net, board, OptimalOptions{.resident_tensors = false})).total_cycles;
    EXPECT_LT(with, without);
    EXPECT_LE(without, sim.run(net, make_plan(net, board, "tinyops")).total_cycles);
  }
}
