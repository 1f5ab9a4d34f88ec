// Row partitioning as the published TinyOps runtime computes it: hand-computed parts and buffers, a property
// sweep (every output row produced exactly once, from input rows the part actually holds), and the factor
// search against exhaustive evaluation.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "data_paths.hpp"
#include "net_fixture.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/partitioning.hpp"

using namespace tinyops;

namespace {

RowGeometry window(int in, int k, int s, int pad_top, int pad_bottom) {
  RowGeometry g;
  g.rule = RowRule::Window;
  g.in_rows = in;
  g.kernel_rows = k;
  g.stride = s;
  g.pad_top = pad_top;
  g.pad_bottom = pad_bottom;
  g.out_rows = (in + pad_top + pad_bottom - k) / s + 1;
  return g;
}

RowGeometry same(int in, int k, int s) { return window(in, k, s, k / 2, k / 2); }

std::string show(const std::vector<RowPart>& parts) {
  std::string out;
  for (const RowPart& p : parts)
    out += "{in " + std::to_string(p.in_begin) + ".." + std::to_string(p.in_end) + " out " +
           std::to_string(p.out_begin) + ".." + std::to_string(p.out_end) + " pad " + std::to_string(p.pad_top) + "} ";
  return out;
}

}  // namespace

// A 5x5 stride 2 on 6 rows (3 output rows) at f = 2: the first part's halo reaches the bottom and its
// window starts (-2, 0, 2) already cover the output; it computes those 3 rows and the second part is dropped.
TEST(RowPartitioning, FirstPartReachingTheBottomComputesOnlyExistingRows) {
  EXPECT_EQ(partition_rows(same(6, 5, 2), 2), (std::vector<RowPart>{{0, 6, 0, 3, 2}}));
}

// 3x3 stride 1, 10 rows, f = 3: groups of one row dealt 4/3/3; each part extended down by the 2-row halo.
TEST(RowPartitioning, Conv3x3Stride1FactorNotDividingRows) {
  const std::vector<RowPart> expected = {{0, 6, 0, 5, 1}, {4, 9, 5, 8, 0}, {7, 10, 8, 10, 0}};
  EXPECT_EQ(partition_rows(same(10, 3, 1), 3), expected) << show(partition_rows(same(10, 3, 1), 3));
}

// 3x3 stride 2 pad 1, 10 rows (5 output rows), f = 2: the pad_top % stride row and the left-over row go to
// the first and last parts (5 + 5); the runtime's halo counts from the part's first row, so part 0 copies row 6
// although its last window (output row 2) ends at row 5.
TEST(RowPartitioning, Conv3x3Stride2) {
  const std::vector<RowPart> expected = {{0, 7, 0, 3, 1}, {5, 10, 3, 5, 0}};
  EXPECT_EQ(partition_rows(same(10, 3, 2), 2), expected) << show(partition_rows(same(10, 3, 2), 2));
}

// 5x5 stride 2 pad 2, 16 rows (8 output rows), f = 3: 3/3/2 groups of two rows.
TEST(RowPartitioning, Conv5x5Stride2) {
  const std::vector<RowPart> expected = {{0, 9, 0, 4, 2}, {6, 15, 4, 7, 0}, {12, 16, 7, 8, 0}};
  EXPECT_EQ(partition_rows(same(16, 5, 2), 3), expected) << show(partition_rows(same(16, 5, 2), 3));
}

// 5x5 stride 1 on 7 rows, f = 2: part 0's halo reaches the bottom, so it already produces 6 of the 7 rows.
TEST(RowPartitioning, Conv5x5Stride1HaloReachesBottom) {
  const std::vector<RowPart> expected = {{0, 7, 0, 6, 2}, {4, 7, 6, 7, 0}};
  EXPECT_EQ(partition_rows(same(7, 5, 1), 2), expected) << show(partition_rows(same(7, 5, 1), 2));
}

// More parts than the output needs: a 4-row 3x3 conv at f = 8 deals 4 one-row parts; the fourth would
// produce nothing and is dropped.
TEST(RowPartitioning, PartsProducingNothingAreDropped) {
  const std::vector<RowPart> expected = {{0, 3, 0, 2, 1}, {1, 4, 2, 3, 0}, {2, 4, 3, 4, 0}};
  EXPECT_EQ(partition_rows(same(4, 3, 1), 8), expected) << show(partition_rows(same(4, 3, 1), 8));
}

TEST(RowPartitioning, KernelAtLeastAsTallAsInputIsNotSplit) {
  EXPECT_EQ(partition_rows(same(3, 5, 1), 4), (std::vector<RowPart>{{0, 3, 0, 3, 2}}));
  EXPECT_EQ(partition_rows(same(3, 3, 2), 4), (std::vector<RowPart>{{0, 3, 0, 2, 1}}));
}

TEST(RowPartitioning, AddDealsSingleRows) {
  RowGeometry g;
  g.rule = RowRule::Elementwise;
  g.in_rows = g.out_rows = 7;
  EXPECT_EQ(partition_rows(g, 3), (std::vector<RowPart>{{0, 3, 0, 3, 0}, {3, 5, 3, 5, 0}, {5, 7, 5, 7, 0}}));
}

TEST(RowPartitioning, PadAddsRowsToFirstAndLastPart) {
  RowGeometry g;
  g.rule = RowRule::Pad;
  g.in_rows = 5;
  g.pad_top = 1;
  g.pad_bottom = 2;
  g.out_rows = 8;
  EXPECT_EQ(partition_rows(g, 2), (std::vector<RowPart>{{0, 3, 0, 4, 1}, {3, 5, 4, 8, 0}}));
}

TEST(RowPartitioning, WholeOpsAndFactorOneAreOnePart) {
  RowGeometry fc;
  fc.rule = RowRule::Whole;
  fc.in_rows = 7;
  fc.out_rows = 1;
  fc.kernel_rows = 7;
  EXPECT_EQ(partition_rows(fc, 5).size(), 1u);
  EXPECT_EQ(partition_rows(same(10, 3, 1), 1), (std::vector<RowPart>{{0, 10, 0, 10, 1}}));
  EXPECT_THROW(partition_rows(same(10, 3, 1), 0), std::invalid_argument);
}

// Every output row exactly once, in order, each computed from input rows its part holds, with the part's
// first window where the whole op's window for that row starts.
TEST(RowPartitioning, PropertyEveryOutputRowOnceFromHeldRows) {
  int checked = 0;
  for (int in = 1; in <= 40; ++in) {
    for (int k : {1, 3, 5, 7}) {
      for (int s : {1, 2}) {
        for (int style : {0, 1, 2}) {  // PyTorch "same" (k / 2 both sides), valid, TensorFlow "same"
          const Padding tf = same_padding(in, in, k, k, s);
          const int p = style == 0 ? k / 2 : style == 1 ? 0 : tf.top;
          const int p_bottom = style == 0 ? k / 2 : style == 1 ? 0 : tf.bottom;
          if (in + p + p_bottom < k) continue;
          const RowGeometry g = window(in, k, s, p, p_bottom);
          for (int f = 1; f <= 24; ++f) {
            const std::vector<RowPart> parts = partition_rows(g, f);
            SCOPED_TRACE("in " + std::to_string(in) + " k " + std::to_string(k) + " s " + std::to_string(s) + " pad " +
                         std::to_string(p) + "/" + std::to_string(p_bottom) + " f " + std::to_string(f) + ": " +
                         show(parts));
            ASSERT_FALSE(parts.empty());
            ASSERT_LE(int(parts.size()), f);
            int next = 0;
            for (const RowPart& part : parts) {
              ASSERT_EQ(part.out_begin, next);
              ASSERT_GT(part.out_rows(), 0);
              ASSERT_GE(part.in_begin, 0);
              ASSERT_LE(part.in_end, in);
              ASSERT_EQ(part.out_begin * s - p, part.in_begin - part.pad_top);
              for (int o = part.out_begin; o < part.out_end; ++o) {
                const int first = std::max(0, o * s - p), last = std::min(in, o * s - p + k);
                ASSERT_GE(first, part.in_begin);
                ASSERT_LE(last, part.in_end);
              }
              next = part.out_end;
              ++checked;
            }
            ASSERT_EQ(next, g.out_rows);
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 10000);
}

namespace {

// input 8x8x4 -> 3x3 conv (8 channels) -> fully connected 10.
Network one_conv_network() {
  Network net("one-conv");
  net.add_input({8, 8, 4});
  Op conv;
  conv.name = "conv";
  conv.kind = OpKind::Conv2D;
  conv.inputs = {net.input()};
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad = {1, 1, 1, 1};
  net.add_op(conv, 8);
  Op fc;
  fc.name = "fc";
  fc.kind = OpKind::FullyConnected;
  fc.inputs = {net.output()};
  net.add_op(fc, 10);
  net.mark_output(net.output());
  return net;
}

}  // namespace

// Hand-computed: at f = 2 the conv's parts hold 6 and 4 rows of 8 x 4 bytes (largest 192 bytes); buffers are
// 2 x 192 input + 192 filter + max(192, 3*3*4 x 4 = 144) im2col + 32 bias + 2 x (32 + 128) quant = 1120 bytes.
// At f = 3 the largest part is 5 rows (160 bytes): 2 x 160 + 160 + 160 + 32 + 2 x 160 = 992.
TEST(RowPartitioning, NetworkBuffersHandComputed) {
  const Network net = one_conv_network();
  const RowPartitioning f2 = partition_network(net, 2);
  EXPECT_EQ(f2.largest_part_bytes, 192);
  EXPECT_EQ(f2.op_factor, (std::vector<int>{2, 0}));
  EXPECT_EQ(f2.buffers, (OverlayBuffers{192, 192, 192, 32, 160}));
  EXPECT_EQ(f2.buffers.total_bytes(), 1120);
  EXPECT_TRUE(f2.parts[1].empty());
  const RowPartitioning f3 = partition_network(net, 3);
  EXPECT_EQ(f3.largest_part_bytes, 160);
  EXPECT_EQ(f3.buffers.total_bytes(), 992);

  EXPECT_EQ(choose_row_partitioning(net, 1120).network_factor, 2);
  EXPECT_EQ(choose_row_partitioning(net, 1119).network_factor, 3);
  EXPECT_EQ(choose_row_partitioning(net, 992).network_factor, 3);
}

// Each op gets the smallest factor whose largest part is no larger than the network's largest part: a
// 16-row conv next to a 4-row one needs f = 4 for 4-row parts, the small one keeps f = 2.
TEST(RowPartitioning, EachOpGetsTheSmallestSufficientFactor) {
  Network net("two-scales");
  net.add_input({16, 4, 2});
  Op a;
  a.name = "a";
  a.kind = OpKind::Conv2D;
  a.inputs = {net.input()};
  a.kernel_h = a.kernel_w = 1;
  net.add_op(a, 2);
  Op b = a;
  b.name = "b";
  b.stride = 4;
  b.inputs = {net.output()};
  net.add_op(b, 2);  // 16 rows -> 4 rows
  Op c = a;
  c.name = "c";
  c.inputs = {net.output()};
  net.add_op(c, 2);  // 4 rows of 1 x 2
  const RowPartitioning r = partition_network(net, 4);
  // 1x1 convs: a (16 rows of 4 x 2 bytes) at f = 4 holds 4-row parts = 32 bytes, at f = 3 a 6-row one;
  // b (stride 4) holds one row a part at f = 4 but 5 rows (its groups of 4 plus the 1-row window) at f = 2, 3;
  // c (4 rows of 1 x 2 bytes) fits 32 bytes at the smallest factor tried, 2.
  EXPECT_EQ(r.largest_part_bytes, 32);
  EXPECT_EQ(r.op_factor, (std::vector<int>{4, 4, 2}));
}

TEST(RowPartitioning, BudgetTooSmallNamesBudgetAndSmallestNeed) {
  const Network net = one_conv_network();
  // From f = 8 on every part holds 3 rows (96 bytes); im2col stays at 144, aligned to 160:
  // 2 x 96 + 96 + 160 + 32 + 320 = 800.
  EXPECT_EQ(choose_row_partitioning(net, 800).buffers.total_bytes(), 800);
  try {
    choose_row_partitioning(net, 700);
    FAIL() << "expected PlanningError";
  } catch (const PlanningError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("700 bytes"), std::string::npos) << msg;
    EXPECT_NE(msg.find("need 800 bytes"), std::string::npos) << msg;
  }
}

TEST(RowPartitioning, FirstPartRowsMatchTheFirstPartEverywhere) {
  // first_part_rows (constant time) is what the factor search skips factors by: it must be the first part's
  // rows exactly, for every rule, kernel, stride, padding, input height and factor in a wide grid.
  int checked = 0;
  for (RowRule rule : {RowRule::Window, RowRule::Elementwise, RowRule::Pad, RowRule::Whole})
    for (int in_rows = 1; in_rows <= 40; ++in_rows)
      for (int k = 1; k <= 7; ++k)
        for (int s = 1; s <= 3; ++s)
          for (int pad_top = 0; pad_top <= 3; ++pad_top) {
            RowGeometry g{rule, in_rows, 0, k, s, pad_top, rule == RowRule::Pad ? 1 : k / 2};
            g.out_rows = rule == RowRule::Window ? (in_rows + pad_top + g.pad_bottom - k) / s + 1
                         : rule == RowRule::Pad  ? in_rows + pad_top + g.pad_bottom
                                                 : in_rows;
            if (g.out_rows <= 0) continue;
            for (int factor = 1; factor <= 30; ++factor) {
              const std::vector<RowPart> parts = partition_rows(g, factor);
              ASSERT_EQ(first_part_rows(g, factor), parts.front().in_rows())
                  << "rule " << int(rule) << " rows " << in_rows << " k " << k << " s " << s << " pad " << pad_top
                  << " factor " << factor;
              ++checked;
            }
          }
  EXPECT_GT(checked, 100000);
}

TEST(RowPartitioning, ChosenFactorIsTheFirstWhoseExactNeedFits) {
  // The factor search skips factors by a lower bound of their need; what it returns must be exactly the first
  // factor whose exact need (partition_network) fits, with that factor's per-op parts, for budgets at and just
  // under the needs of many factors, on the example networks in turn (one scratch reused across them).
  const nlohmann::json golden = read_json_file(fixtures::kGolden);
  FactorSearchScratch scratch;
  RowPartitioning chosen;
  int checked = 0, refused = 0;
  for (const auto& [name, arch] : golden.at("networks").items()) {
    SCOPED_TRACE(name);
    const Network net = network_from_arch(arch, name);
    std::vector<int64_t> need(kMaxPartitionFactor + 1, 0);
    int64_t least = std::numeric_limits<int64_t>::max();
    for (int f = 2; f <= kMaxPartitionFactor; ++f)
      least = std::min(least, need[f] = partition_network(net, f).buffers.total_bytes());
    std::vector<int64_t> budgets = {least - 1};
    for (int f : {2, 3, 4, 5, 7, 9, 12, 16, 20, 25, 30, 40, 60, 100, 223})
      budgets.insert(budgets.end(), {need[f], need[f] - 1});
    for (int64_t budget : budgets) {
      int expected = 0;
      for (int f = 2; f <= kMaxPartitionFactor && !expected; ++f)
        if (need[f] <= budget) expected = f;
      SCOPED_TRACE("budget " + std::to_string(budget));
      if (!expected) {
        EXPECT_THROW(choose_row_partitioning(net, budget, chosen, scratch), PlanningError);
        ++refused;
        continue;
      }
      choose_row_partitioning(net, budget, chosen, scratch);
      const RowPartitioning exact = partition_network(net, expected);
      EXPECT_EQ(chosen.network_factor, expected);
      EXPECT_EQ(chosen.buffers, exact.buffers);
      EXPECT_EQ(chosen.op_factor, exact.op_factor);
      EXPECT_EQ(chosen.parts, exact.parts);
      ++checked;
    }
  }
  EXPECT_GT(checked, 100);
  EXPECT_GT(refused, 0);
}

TEST(RowPartitioning, GeometriesKeptAcrossNetworksUntilTheLimitAreForgottenSafely) {
  // The scratch keeps every geometry it has seen (with its memoized part rows) up to kMaxKeptGeometries, then
  // starts afresh: networks of as many distinct heights as that and more, scored with one scratch, each choose
  // what a fresh scratch chooses.
  FactorSearchScratch kept;
  RowPartitioning with_kept;
  const int heights = int(FactorSearchScratch::kMaxKeptGeometries) + 200;
  for (int h = 4; h < 4 + heights; ++h) {
    const Network net = fixtures::one_conv(h, 2, 1, 1);
    const int64_t budget = 4 * 2 * (h / 3 + 3) + 2048;  // roughly a third of the rows a part
    RowPartitioning fresh_result;
    FactorSearchScratch fresh;
    choose_row_partitioning(net, budget, fresh_result, fresh);
    choose_row_partitioning(net, budget, with_kept, kept);
    ASSERT_EQ(with_kept.network_factor, fresh_result.network_factor) << "height " << h;
    ASSERT_EQ(with_kept.parts, fresh_result.parts) << "height " << h;
  }
  EXPECT_LE(kept.geometries.size(), FactorSearchScratch::kMaxKeptGeometries);
}

TEST(RowPartitioning, PartsKeptAcrossNetworksUntilTheLimitAreForgottenSafely) {
  // The parts kept per geometry and factor (copied into each op's result) are dropped with the geometries once
  // kMaxKeptParts accumulate: tall single convs partitioned 100-odd ways each, scored with one scratch, each get
  // the parts a fresh scratch gives, across two clearings.
  FactorSearchScratch kept;
  RowPartitioning with_kept, fresh_result;
  int forgotten = 0;
  for (int h = 2000; forgotten < 2; ++h) {
    ASSERT_LT(h, 20000) << "the kept parts were never forgotten";
    const Network net = fixtures::one_conv(h, 2, 1, 1);
    const int64_t budget = partition_network(net, 150).buffers.total_bytes();
    FactorSearchScratch fresh;
    choose_row_partitioning(net, budget, fresh_result, fresh);
    const size_t before = kept.kept_parts.size();
    choose_row_partitioning(net, budget, with_kept, kept);
    if (kept.kept_parts.size() < before) ++forgotten;
    ASSERT_EQ(with_kept.op_factor, fresh_result.op_factor) << "height " << h;
    ASSERT_EQ(with_kept.parts, fresh_result.parts) << "height " << h;
    ASSERT_LE(kept.kept_parts.size(), FactorSearchScratch::kMaxKeptParts + kMaxPartitionFactor);
  }
}
