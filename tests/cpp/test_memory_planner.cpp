#include <gtest/gtest.h>

#include "net_fixture.hpp"
#include "tinyops/memory_planner.hpp"

using namespace tinyops;

TEST(MemoryPlanner, ReusesATensorsBytesAfterItsLastUse) {
  // A(32) -conv1-> B(64) -conv2-> C(16) -conv3-> D(48). Lifetimes A:[0,0] B:[0,1] C:[1,2] D:[2,2].
  Network net = fixtures::conv_chain({32, 64, 16, 48});
  ArenaLayout layout = plan_arena(net);
  // Largest first: B at 0; D at 0 (B is dead by op 2); A at 64 (lives with B); C at 64 (lives with B and D).
  EXPECT_EQ(layout.offsets[1], 0);   // B
  EXPECT_EQ(layout.offsets[3], 0);   // D
  EXPECT_EQ(layout.offsets[0], 64);  // A
  EXPECT_EQ(layout.offsets[2], 64);  // C
  EXPECT_EQ(layout.peak_bytes, 96);  // not the 160 bytes of all four
}

TEST(MemoryPlanner, LiveTensorsNeverOverlap) {
  Network net = fixtures::conv_chain({24, 40, 8, 72, 16, 56});
  ArenaLayout layout = plan_arena(net);
  for (const Tensor& a : net.tensors())
    for (const Tensor& b : net.tensors()) {
      if (a.id >= b.id || !tensor_lifetime(net, a).overlaps(tensor_lifetime(net, b))) continue;
      bool disjoint = layout.offsets[a.id] + a.shape.bytes() <= layout.offsets[b.id] ||
                      layout.offsets[b.id] + b.shape.bytes() <= layout.offsets[a.id];
      EXPECT_TRUE(disjoint) << a.name << " and " << b.name;
    }
}

TEST(MemoryPlanner, ParamsArePlacedOneAfterAnother) {
  Network net = fixtures::one_conv(4, 4, 8, 16);  // weights 128 B, bias 64 B, quant 128 B
  std::vector<std::array<Region, 3>> params;
  int64_t end = place_params(net, 2, 1000, params);
  EXPECT_EQ(params[0][kParamWeights], (Region{2, 1008, 128}));  // 1000 aligned to 16
  EXPECT_EQ(params[0][kParamBias], (Region{2, 1136, 64}));
  EXPECT_EQ(params[0][kParamQuant], (Region{2, 1200, 128}));
  EXPECT_EQ(end, 1328);  // the end of the last one, unaligned
}
