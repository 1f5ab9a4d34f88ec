// The executor: a network run in place and the same network partitioned (rows, output channels, weight
// copies, copies issued ahead and across ops, an output overlay) give the same bits; the results struct
// records every op.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "blob_builder.hpp"
#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt {
namespace {

struct Loaded {
  std::vector<uint32_t> blob_words, external, internal;  // uint32 storage: 4-byte aligned
  Model model;
  Status status;
  LoadError error;
};

void load(const test::TestNetwork& net, Loaded& l) {
  l.blob_words.assign((net.blob.size() + 3) / 4, 0);
  std::memcpy(l.blob_words.data(), net.blob.data(), net.blob.size());
  l.external.assign(net.external_bytes / 4 + 1, 0xA5A5A5A5u);
  l.internal.assign(net.internal_bytes / 4 + 1, 0x5A5A5A5Au);
  const Arenas arenas{reinterpret_cast<uint8_t*>(l.external.data()), net.external_bytes,
                      reinterpret_cast<uint8_t*>(l.internal.data()), net.internal_bytes};
  l.status = load_model(reinterpret_cast<const uint8_t*>(l.blob_words.data()), static_cast<uint32_t>(net.blob.size()),
                        arenas, &l.model, &l.error);
}

std::vector<int8_t> run_once(Loaded& l, const std::vector<int8_t>& input, Results& results) {
  std::memcpy(l.model.input(), input.data(), input.size());
  EXPECT_EQ(run_model(l.model, &results), Status::kOk);
  return std::vector<int8_t>(l.model.output(), l.model.output() + l.model.output_bytes());
}

using NetworkBuilder = test::TestNetwork (*)(uint32_t seed, bool partitioned, int parts);

void expect_partitioned_run_equals_in_place(NetworkBuilder build, uint32_t input_bytes) {
  std::mt19937 rng(3);
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    Loaded whole, split;
    load(build(seed, false, 3), whole);
    load(build(seed, true, 2 + static_cast<int>(seed % 3)), split);
    ASSERT_EQ(whole.status, Status::kOk) << to_string(whole.status) << " " << whole.error.table << " "
                                         << whole.error.index << " " << whole.error.field;
    ASSERT_EQ(split.status, Status::kOk) << to_string(split.status) << " " << split.error.table << " "
                                         << split.error.index << " " << split.error.field;
    ASSERT_EQ(whole.model.input_bytes(), input_bytes);
    std::vector<int8_t> input(whole.model.input_bytes());
    for (auto& v : input) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    Results r_whole{}, r_split{};
    const auto expected = run_once(whole, input, r_whole);
    const auto got = run_once(split, input, r_split);
    EXPECT_EQ(got, expected) << "seed " << seed;
    // Not a constant: the output depends on the input.
    input[0] = static_cast<int8_t>(input[0] ^ 0x40);
    std::vector<int8_t> other;
    for (int k = 0; k < 20 && (other.empty() || other == expected); ++k) {
      for (auto& v : input) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
      other = run_once(whole, input, r_whole);
    }
    EXPECT_NE(other, expected);
    EXPECT_EQ(run_once(split, input, r_split), other);
  }
}

TEST(Executor, PartitionedRunGivesTheSameBitsAsInPlace) {
  expect_partitioned_run_equals_in_place(test::build_test_network, 16u * 16 * 3);
}

// Max pool, hard-swish, mean, logistic, the mul gate, mul and softmax (issue 13) the same way.
TEST(Executor, NewOpsPartitionedRunGivesTheSameBitsAsInPlace) {
  expect_partitioned_run_equals_in_place(test::build_new_ops_network, 8u * 8 * 8);
}

TEST(Executor, RecordsEveryOpInTheResults) {
  Loaded l;
  load(test::build_test_network(9, true, 3), l);
  ASSERT_EQ(l.status, Status::kOk);
  Results& r = tinyops_results;
  std::vector<int8_t> input(l.model.input_bytes(), 1);
  run_once(l, input, r);
  EXPECT_EQ(r.magic, kResultsMagic);
  EXPECT_EQ(r.version, kResultsVersion);
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.op_count, l.model.op_count());
  EXPECT_STREQ(r.cycles_unit, "ns");
  EXPECT_GE(r.run_count, 1u);
  uint32_t parts = 0, dma_bytes = 0;
  for (uint32_t i = 0; i < r.op_count; ++i) {
    EXPECT_EQ(r.ops[i].parts, l.model.plan().ops()->Get(i)->parts()->size()) << "op " << i;
    parts += r.ops[i].parts;
    dma_bytes += r.ops[i].dma_bytes;
  }
  EXPECT_EQ(parts, l.model.part_count());
  EXPECT_GT(dma_bytes, 0u);
}

// A fully connected op with one quant pair (TFLite's per-tensor layer, as the core plans it) gives the bits of
// the same pair repeated per channel.
TEST(Executor, PerTensorFullyConnectedQuantEqualsTheRepeatedPair) {
  test::Plan per_channel = test::make_test_plan(4, false);
  test::PlanOp& dense = per_channel.ops.back();
  ASSERT_EQ(dense.kind, OpKind::FullyConnected);
  const uint32_t channels = dense.quant.bytes() / 8, at = dense.quant.offset() - per_channel.constants_base;
  int32_t pair[2];
  std::memcpy(&pair[0], &per_channel.constants[at], 4);
  std::memcpy(&pair[1], &per_channel.constants[at + 4 * channels], 4);
  for (uint32_t c = 0; c < channels; ++c) {
    std::memcpy(&per_channel.constants[at + 4 * c], &pair[0], 4);
    std::memcpy(&per_channel.constants[at + 4 * (channels + c)], &pair[1], 4);
  }
  test::Plan per_tensor = per_channel;
  test::PlanOp& one = per_tensor.ops.back();
  std::memcpy(&per_tensor.constants[at + 4], &pair[1], 4);
  one.quant = fb::Region(one.quant.memory(), one.quant.offset(), 8);
  one.parts[0].at[size_t(Operand::Quant)] = one.quant;
  Loaded a, b;
  load(test::TestNetwork{test::build(per_channel), per_channel.external_bytes, per_channel.internal_bytes}, a);
  load(test::TestNetwork{test::build(per_tensor), per_tensor.external_bytes, per_tensor.internal_bytes}, b);
  ASSERT_EQ(a.status, Status::kOk);
  ASSERT_EQ(b.status, Status::kOk) << b.error.table << "[" << b.error.index << "]." << b.error.field;
  std::vector<int8_t> input(a.model.input_bytes());
  std::mt19937 rng(11);
  for (auto& v : input) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  Results ra{}, rb{};
  EXPECT_EQ(run_once(b, input, rb), run_once(a, input, ra));
}

TEST(Executor, RefusesAModelThatDidNotLoad) {
  Model model;
  Results r{};
  EXPECT_EQ(run_model(model, &r), Status::kNotLoaded);
  EXPECT_EQ(r.status, static_cast<int32_t>(Status::kNotLoaded));
}

}  // namespace
}  // namespace tinyops::rt
