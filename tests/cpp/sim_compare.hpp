#pragma once
// The fast Simulator against the ReferenceSimulator: every figure equal, bit for bit.
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "tinyops/simulator.hpp"
#include "tinyops/simulator_reference.hpp"

namespace tinyops::fixtures {

inline void expect_same_result(const SimResult& fast, const SimResult& ref, const std::string& what = "") {
  SCOPED_TRACE(what);
  EXPECT_EQ(fast.board, ref.board);
  EXPECT_EQ(fast.strategy, ref.strategy);
  EXPECT_EQ(fast.total_cycles, ref.total_cycles);
  EXPECT_EQ(fast.latency_ms, ref.latency_ms);
  EXPECT_EQ(fast.peak_sram_bytes, ref.peak_sram_bytes);
  EXPECT_EQ(fast.external_dma_bytes, ref.external_dma_bytes);
  EXPECT_EQ(fast.external_cpu_bytes, ref.external_cpu_bytes);
  ASSERT_EQ(fast.per_op.size(), ref.per_op.size());
  for (size_t i = 0; i < ref.per_op.size(); ++i) {
    const OpStats &a = fast.per_op[i], &b = ref.per_op[i];
    SCOPED_TRACE("per_op[" + std::to_string(i) + "]");
    EXPECT_EQ(a.op, b.op);
    EXPECT_EQ(a.parts, b.parts);
    EXPECT_EQ(a.start, b.start);
    EXPECT_EQ(a.end, b.end);
    EXPECT_EQ(a.compute_cycles, b.compute_cycles);
    EXPECT_EQ(a.stall_cycles, b.stall_cycles);
    EXPECT_EQ(a.exposed_dma_cycles, b.exposed_dma_cycles);
    EXPECT_EQ(a.overhead_cycles, b.overhead_cycles);
    EXPECT_EQ(a.dma_cycles, b.dma_cycles);
    EXPECT_EQ(a.dma_bytes, b.dma_bytes);
    EXPECT_EQ(a.external_bytes, b.external_bytes);
  }
}

// Simulates `plan` with both simulators (the reference recording its timeline), checks that they agree, also
// on the error when the plan is refused, and returns the reference's result.
inline SimResult simulate_both(const Network& net, const Plan& plan, const Board& board) {
  std::string fast_error;
  SimResult fast;
  try {
    fast = Simulator(board).run(net, plan, false);
  } catch (const std::exception& e) {
    fast_error = e.what();
  }
  SimResult ref;
  try {
    ref = ReferenceSimulator(board).run(net, plan, true);
  } catch (const std::exception& e) {
    EXPECT_EQ(fast_error, e.what()) << "the fast simulator must refuse the plan with the same error";
    throw;
  }
  EXPECT_EQ(fast_error, "");
  expect_same_result(fast, ref);
  return ref;
}

}  // namespace tinyops::fixtures
