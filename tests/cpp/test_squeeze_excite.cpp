// Squeeze-and-excite (`use_se` of the architecture format): the ops it adds to the Network, the broadcast mul
// and its cost, and MobileNetV3-Large as published (SE in 8 of its 15 blocks) planned and simulated under every
// strategy, the fast simulator agreeing with the reference.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "data_paths.hpp"
#include "sim_compare.hpp"
#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/plan.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/simulator.hpp"
#include "tinyops/simulator_reference.hpp"

using nlohmann::json;
using namespace tinyops;
using tinyops::fixtures::kCatalog;

namespace {

json conv_layer(int in, int out, int k, int stride, const char* act) {
  return {{"name", "ConvLayer"}, {"kernel_size", k}, {"stride", stride}, {"in_channels", in},
          {"out_channels", out}, {"use_bn", true},   {"act_func", act}};
}

// One MBConv block: kernel, expanded channels, out channels, SE, activation, stride (the MobileNetV3 table).
struct BlockSpec {
  int k, mid, out;
  bool se;
  const char* act;
  int stride;
};

json mbv3_arch(const std::vector<BlockSpec>& specs, int resolution, int first, int mix, int final_conv) {
  json blocks = json::array();
  int in = first;
  for (const BlockSpec& b : specs) {
    json conv = {{"name", "MBInvertedConvLayer"},
                 {"in_channels", in},
                 {"out_channels", b.out},
                 {"kernel_size", b.k},
                 {"stride", b.stride},
                 {"expand_ratio", double(b.mid) / in},
                 {"mid_channels", nullptr},
                 {"act_func", b.act},
                 {"use_se", b.se}};
    if (b.mid != in) conv["mid_channels"] = b.mid;  // none: no expansion conv (the first block)
    json shortcut = nullptr;
    if (b.stride == 1 && in == b.out) shortcut = {{"name", "IdentityLayer"}, {"in_channels", in}, {"out_channels", in}};
    blocks.push_back({{"name", "MobileInvertedResidualBlock"}, {"mobile_inverted_conv", conv}, {"shortcut", shortcut}});
    in = b.out;
  }
  json final_layer = conv_layer(mix, final_conv, 1, 1, "h_swish");
  final_layer["use_bn"] = false;
  final_layer["bias"] = true;
  return {
      {"name", "ProxylessNASNets"},
      {"first_conv", conv_layer(3, first, 3, 2, "h_swish")},
      {"blocks", blocks},
      {"feature_mix_layer", conv_layer(in, mix, 1, 1, "h_swish")},
      {"final_conv", final_layer},
      {"classifier", {{"name", "LinearLayer"}, {"in_features", final_conv}, {"out_features", 1000}, {"bias", true}}},
      {"resolution", resolution}};
}

// MobileNetV3-Large (Howard et al. 2019, table 1).
json mbv3_large(int resolution) {
  return mbv3_arch({{3, 16, 16, false, "relu", 1},
                    {3, 64, 24, false, "relu", 2},
                    {3, 72, 24, false, "relu", 1},
                    {5, 72, 40, true, "relu", 2},
                    {5, 120, 40, true, "relu", 1},
                    {5, 120, 40, true, "relu", 1},
                    {3, 240, 80, false, "h_swish", 2},
                    {3, 200, 80, false, "h_swish", 1},
                    {3, 184, 80, false, "h_swish", 1},
                    {3, 184, 80, false, "h_swish", 1},
                    {3, 480, 112, true, "h_swish", 1},
                    {3, 672, 112, true, "h_swish", 1},
                    {5, 672, 160, true, "h_swish", 2},
                    {5, 960, 160, true, "h_swish", 1},
                    {5, 960, 160, true, "h_swish", 1}},
                   resolution, 16, 960, 1280);
}

}  // namespace

TEST(SqueezeExcite, BlockAddsPoolReduceExpandAndBroadcastMul) {
  const Network net = network_from_arch(mbv3_arch({{5, 72, 40, true, "relu", 2}}, 32, 24, 64, 128), "se.json");
  std::vector<std::string> kinds;
  for (const Op& op : net.ops()) kinds.push_back(to_string(op.kind));
  // first conv, expand, depthwise, [pool, reduce, expand, mul], project, mix, pool, final conv, classifier
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"conv2d", "conv2d", "depthwise_conv2d", "global_average_pool", "conv2d", "conv2d",
                                      "mul", "conv2d", "conv2d", "global_average_pool", "conv2d", "fully_connected"}));
  const Op& reduce = net.op(4);
  const Op& expand = net.op(5);
  const Op& mul = net.op(6);
  EXPECT_EQ(net.tensor(reduce.output).shape, (Shape{1, 1, 24}));  // make_divisible(72 / 4, 8)
  EXPECT_EQ(reduce.act, Activation::ReLU);
  EXPECT_EQ(net.tensor(expand.output).shape, (Shape{1, 1, 72}));
  EXPECT_EQ(expand.act, Activation::HardSigmoid);
  EXPECT_EQ(mul.inputs, (std::vector<int>{net.op(2).output, expand.output}));
  EXPECT_EQ(net.tensor(mul.output).shape, (Shape{8, 8, 72}));
  EXPECT_EQ(net.op(7).inputs.front(), mul.output);  // the projection reads the excited features

  // Parameters as PyTorch counts them: the two SE convs carry biases and no batch norm.
  const Network plain = network_from_arch(mbv3_arch({{5, 72, 40, false, "relu", 2}}, 32, 24, 64, 128), "plain.json");
  EXPECT_EQ(net.param_count() - plain.param_count(), 72 * 24 + 24 + 24 * 72 + 72);
  EXPECT_EQ(net.total_macs() - plain.total_macs(), 72 * 24 + 24 * 72);
}

TEST(SqueezeExcite, MulTakesAnEqualOrBroadcastSecondInput) {
  Network net("mul");
  const int x = net.add_input({4, 4, 8});
  Op pool;
  pool.kind = OpKind::GlobalAveragePool;
  pool.name = "pool";
  pool.inputs = {x};
  const int gate = net.op(net.add_op(pool, 0)).output;
  Op mul;
  mul.kind = OpKind::Mul;
  mul.name = "mul";
  mul.inputs = {x, gate};
  EXPECT_EQ(net.tensor(net.op(net.add_op(mul, 0)).output).shape, (Shape{4, 4, 8}));
  mul.inputs = {x, x};
  EXPECT_EQ(net.tensor(net.op(net.add_op(mul, 0)).output).shape, (Shape{4, 4, 8}));
  Op bad = mul;
  bad.inputs = {gate, x};
  EXPECT_THROW(net.add_op(bad, 0), std::invalid_argument);
  bad.inputs = {x};
  EXPECT_THROW(net.add_op(bad, 0), std::invalid_argument);
  EXPECT_EQ(op_kind_from_string("mul"), OpKind::Mul);
  EXPECT_EQ(activation_from_string("h_sigmoid"), Activation::HardSigmoid);
}

TEST(SqueezeExcite, UseSeMustBeABoolean) {
  json arch = mbv3_arch({{5, 72, 40, true, "relu", 2}}, 32, 24, 64, 128);
  arch["blocks"][0]["mobile_inverted_conv"]["use_se"] = "yes";
  try {
    network_from_arch(arch, "net.json");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "blocks[0].mobile_inverted_conv.use_se");
  }
}

TEST(SqueezeExcite, MobileNetV3LargeSimulatesUnderEveryStrategy) {
  const Network net = network_from_arch(mbv3_large(160), "mbv3-large-se-r160");
  const Network plain = [] {
    json arch = mbv3_large(160);
    for (json& b : arch["blocks"]) b["mobile_inverted_conv"]["use_se"] = false;
    return network_from_arch(arch, "mbv3-large-r160");
  }();
  int muls = 0;
  for (const Op& op : net.ops()) muls += op.kind == OpKind::Mul;
  EXPECT_EQ(muls, 8);
  EXPECT_NEAR(double(net.param_count()), 5.4e6, 0.15e6);  // the published 5.4 M
  const Board board = load_board("stm32f746g-disco", kCatalog);
  Simulator fast(board);
  double tinyops_ms = 0;
  for (const std::string& strategy : planner_names()) {
    SCOPED_TRACE(strategy);
    const Plan plan = make_plan(net, board, strategy);
    if (strategy == "internal") {  // 5.5 MB of weights: not in the F746's 1 MB of flash, said with the numbers
      EXPECT_FALSE(plan.fits);
      EXPECT_FALSE(plan.why.empty());
      continue;
    }
    ASSERT_TRUE(plan.fits) << plan.why;
    validate_plan(plan, net, strategy);
    const SimResult result = fast.run(net, plan, false);
    fixtures::expect_same_result(result, ReferenceSimulator(board).run(net, plan, false), strategy);
    const Plan plain_plan = make_plan(plain, board, strategy);
    ASSERT_TRUE(plain_plan.fits);
    EXPECT_GT(result.latency_ms, fast.run(plain, plain_plan, false).latency_ms);  // SE costs something
    for (const Op& op : net.ops()) {
      if (op.kind != OpKind::Mul) continue;
      const OpStats& stats = result.per_op[size_t(op.id)];
      EXPECT_GT(stats.compute_cycles, 0) << op.name;
      if (strategy == "tinyops") {  // partitioned by rows, the gate copied whole into every part
        const OpPlan& o = plan.ops[size_t(op.id)];
        EXPECT_EQ(o.partitioning, Partitioning::Rows) << op.name;
        for (const Part& part : o.parts)
          EXPECT_EQ(part.at[int(Operand::Input2)].bytes, net.tensor(op.inputs[1]).shape.bytes()) << op.name;
      }
    }
    if (strategy == "tinyops") tinyops_ms = result.latency_ms;
    if (strategy == "optimal") EXPECT_LE(result.latency_ms, tinyops_ms);
  }
}
