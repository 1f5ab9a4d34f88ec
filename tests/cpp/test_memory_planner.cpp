#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <utility>
#include <vector>

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

namespace {

// The greedy layout as specified, tensor against every placed tensor: largest first (ties by id), each at the
// lowest aligned offset clear of the placed tensors whose lifetime overlaps its own.
ArenaLayout greedy_by_definition(const Network& net) {
  std::vector<std::pair<int64_t, int>> order;
  for (const Tensor& t : net.tensors()) order.emplace_back(-t.shape.bytes(), t.id);
  std::sort(order.begin(), order.end());
  ArenaLayout layout;
  layout.offsets.assign(net.tensors().size(), 0);
  std::vector<int> placed;
  for (const auto& [minus_bytes, id] : order) {
    const Lifetime life = tensor_lifetime(net, net.tensor(id));
    const int64_t size = align_to(-minus_bytes, kArenaAlignment);
    auto clashes = [&](int64_t offset) {
      for (int other : placed) {
        const int64_t begin = layout.offsets[other],
                      end = begin + align_to(net.tensor(other).shape.bytes(), kArenaAlignment);
        if (life.overlaps(tensor_lifetime(net, net.tensor(other))) && begin < offset + size && offset < end)
          return true;
      }
      return false;
    };
    std::vector<int64_t> candidates{0};
    for (int other : placed)
      candidates.push_back(layout.offsets[other] + align_to(net.tensor(other).shape.bytes(), kArenaAlignment));
    std::sort(candidates.begin(), candidates.end());
    const int64_t offset = *std::find_if(candidates.begin(), candidates.end(), [&](int64_t c) { return !clashes(c); });
    layout.offsets[id] = offset;
    layout.peak_bytes = std::max(layout.peak_bytes, offset + size);
    placed.push_back(id);
  }
  return layout;
}

// 1 x 1 tensors through 1x1 convs and adds that read random earlier tensors (long lifetimes, tensors nobody
// reads, inputs added between ops), of `channels` channels each times `scale`.
Network random_network(std::mt19937& rng, int n_ops, int scale = 1) {
  Network net("random");
  std::vector<int> tensors{net.add_input({scale, scale, 8})};
  auto any = [&] { return tensors[std::uniform_int_distribution<size_t>(0, tensors.size() - 1)(rng)]; };
  for (int i = 0; i < n_ops; ++i) {
    Op op;
    op.name = "op" + std::to_string(i);
    const int in = any();
    const int roll = std::uniform_int_distribution<int>(0, 9)(rng);
    if (roll == 0) {
      tensors.push_back(net.add_input({scale, scale, 8 * (1 + i % 3)}, "extra" + std::to_string(i)));
      continue;
    }
    int partner = -1;
    for (int t : tensors)
      if (t != in && net.tensor(t).shape == net.tensor(in).shape && roll < 4) partner = t;
    op.kind = partner >= 0 ? OpKind::Add : OpKind::Conv2D;
    op.inputs = partner >= 0 ? std::vector<int>{in, partner} : std::vector<int>{in};
    const int channels = 8 * std::uniform_int_distribution<int>(1, 6)(rng);
    tensors.push_back(net.op(net.add_op(op, partner >= 0 ? 0 : channels)).output);
  }
  net.mark_output(tensors.back());
  return net;
}

}  // namespace

TEST(MemoryPlanner, LayoutIsTheGreedyLayoutAsDefined) {
  std::mt19937 rng(7);
  ArenaScratch scratch;  // reused across networks of every size, as a batch does
  for (int trial = 0; trial < 300; ++trial) {
    const Network net = random_network(rng, 1 + trial % 40);
    const ArenaLayout expected = greedy_by_definition(net);
    plan_arena(net, scratch);
    ASSERT_EQ(scratch.layout.offsets, expected.offsets) << "trial " << trial;
    ASSERT_EQ(scratch.layout.peak_bytes, expected.peak_bytes) << "trial " << trial;
  }
}

TEST(MemoryPlanner, TensorsOfTerabytesAreOrderedByTheirFullSize) {
  // Beyond the sizes the placement order packs into one integer with the id.
  std::mt19937 rng(11);
  const Network net = random_network(rng, 20, 1 << 17);  // 2^34 x 8..48 bytes a tensor
  const ArenaLayout expected = greedy_by_definition(net);
  const ArenaLayout layout = plan_arena(net);
  EXPECT_EQ(layout.offsets, expected.offsets);
  EXPECT_EQ(layout.peak_bytes, expected.peak_bytes);
}

TEST(MemoryPlanner, ANetworkWithoutOpsHasItsInputAtZero) {
  Network net("no_ops");
  net.add_input({2, 2, 8});
  const ArenaLayout layout = plan_arena(net);
  EXPECT_EQ(layout.offsets, std::vector<int64_t>{0});
  EXPECT_EQ(layout.peak_bytes, 32);
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
