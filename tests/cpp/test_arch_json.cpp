#include <gtest/gtest.h>

#include <filesystem>

#include "tinyops/arch_json.hpp"
#include "tinyops/error.hpp"

using nlohmann::json;
using namespace tinyops;

namespace {

// A two-block network small enough to count by hand.
json tiny_arch() {
  return json::parse(R"({
    "name": "ProxylessNASNets",
    "first_conv": {"name": "ConvLayer", "kernel_size": 3, "stride": 2, "in_channels": 3, "out_channels": 8,
                   "use_bn": true, "act_func": "relu6"},
    "blocks": [
      {"name": "MobileInvertedResidualBlock",
       "mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 8, "out_channels": 8,
                                "kernel_size": 3, "stride": 1, "expand_ratio": 1, "mid_channels": null,
                                "act_func": "relu6", "use_se": false},
       "shortcut": {"name": "IdentityLayer", "in_channels": 8, "out_channels": 8}},
      {"name": "MobileInvertedResidualBlock",
       "mobile_inverted_conv": {"name": "MBInvertedConvLayer", "in_channels": 8, "out_channels": 16,
                                "kernel_size": 5, "stride": 2, "expand_ratio": 2, "mid_channels": null,
                                "act_func": "relu6", "use_se": false},
       "shortcut": null}
    ],
    "feature_mix_layer": null,
    "classifier": {"name": "LinearLayer", "in_features": 16, "out_features": 10, "bias": true},
    "resolution": 16
  })");
}

std::string shared_model(const std::string& rel) { return std::string(TINYOPS_SHARED_DIR) + "/models/" + rel; }

}  // namespace

TEST(ArchJson, TinyNetworkCountsByHand) {
  Network net = network_from_arch(tiny_arch());
  // conv 3x3 s2: 8x8x8 outputs, 27 MACs each = 13824
  // block 1 (expand 1): dw 3x3 8x8x8 = 4608, pw 8->8 on 8x8 = 4096, add (no MACs)
  // block 2: pw 8->16 on 8x8 = 8192, dw 5x5 s2 -> 4x4x16 = 6400, pw 16->16 on 4x4 = 4096
  // gap (no MACs), fc 16->10 = 160
  EXPECT_EQ(net.total_macs(), 13824 + 4608 + 4096 + 8192 + 6400 + 4096 + 160);
  EXPECT_EQ(net.ops().size(), 9u);
  EXPECT_EQ(net.tensor(net.output()).shape, (Shape{1, 1, 10}));
  // params: conv 216 + bn 16; dw 72+16, pw 64+16; pw 128+32, dw 400+32, pw 256+32; fc 160+10
  EXPECT_EQ(net.param_count(), 232 + 88 + 80 + 160 + 432 + 288 + 170);
}

TEST(ArchJson, TensorLifetimesCoverTheResidual) {
  Network net = network_from_arch(tiny_arch());
  const Op& add = net.op(3);
  ASSERT_EQ(add.kind, OpKind::Add);
  const Tensor& skip = net.tensor(add.inputs[0]);
  EXPECT_EQ(skip.first_use, 1);
  EXPECT_EQ(skip.last_use, 3);
}

TEST(ArchJson, PublishedMbv3CountsAtR160) {
  const std::string path = shared_model("arch/mbv3-w1.00-r224.json");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared model absent: " << path;
  json arch = read_json_file(path);
  EXPECT_NEAR(network_from_arch(arch, path).total_macs() / 1e6, 215.76, 0.01);
  arch["resolution"] = 160;
  Network net = network_from_arch(arch, path);
  EXPECT_NEAR(net.total_macs() / 1e6, 111.31, 0.01);  // DESIGN.md: 111M MACs
  EXPECT_NEAR(net.param_count() / 1e6, 3.96, 0.005);  // and 3.96M parameters
}

TEST(ArchJson, WidthScalingRoundsToMultiplesOfEight) {
  json scaled = scale_arch(tiny_arch(), 0.55, 32);
  EXPECT_EQ(scaled["first_conv"]["out_channels"], 8);
  EXPECT_EQ(scaled["blocks"][1]["mobile_inverted_conv"]["out_channels"], 8);  // 8.8 -> 8 (>= 0.9 * 8.8)
  EXPECT_EQ(scaled["resolution"], 32);
  EXPECT_EQ(make_divisible(1280 * 0.75), 960);
  EXPECT_EQ(make_divisible(24 * 0.35), 8);
  Network net = network_from_arch(scaled);
  EXPECT_EQ(net.tensor(net.input()).shape, (Shape{32, 32, 3}));
}

TEST(ArchJsonErrors, UnknownKeyNamesThePath) {
  json arch = tiny_arch();
  arch["blocks"][1]["mobile_inverted_conv"]["kernal_size"] = 3;
  try {
    network_from_arch(arch, "net.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.source(), "net.json");
    EXPECT_EQ(e.field(), "blocks[1].mobile_inverted_conv.kernal_size");
  }
}

TEST(ArchJsonErrors, ChannelsThatDoNotChain) {
  json arch = tiny_arch();
  arch["blocks"][1]["mobile_inverted_conv"]["in_channels"] = 12;
  EXPECT_THROW(
      {
        try {
          network_from_arch(arch, "net.json");
        } catch (const InputError& e) {
          EXPECT_EQ(e.field(), "blocks[1].mobile_inverted_conv.in_channels");
          EXPECT_NE(std::string(e.what()).find("expected 8"), std::string::npos);
          throw;
        }
      },
      InputError);
}

TEST(ArchJsonErrors, NegativeSizesAndUnsupportedFeatures) {
  json arch = tiny_arch();
  arch["first_conv"]["out_channels"] = -8;
  EXPECT_THROW(network_from_arch(arch), InputError);
  arch = tiny_arch();
  arch["blocks"][0]["mobile_inverted_conv"]["use_se"] = 1;  // SE is supported (test_squeeze_excite.cpp); as a bool
  EXPECT_THROW(network_from_arch(arch), InputError);
  arch = tiny_arch();
  arch["resolution"] = 0;
  EXPECT_THROW(network_from_arch(arch), InputError);
}

// The text path (what files, the batch scorer and Python use) gives the same network and names its errors.
TEST(ArchJsonText, SameNetworkAsTheParsedDocument) {
  const json arch = tiny_arch();
  const Network from_text = network_from_arch_text(arch.dump(2), "net.json");
  const Network from_doc = network_from_arch(arch);
  ASSERT_EQ(from_text.ops().size(), from_doc.ops().size());
  EXPECT_EQ(from_text.total_macs(), from_doc.total_macs());
  EXPECT_EQ(from_text.param_count(), from_doc.param_count());
}

TEST(ArchJsonText, InvalidJsonDuplicateKeysAndWrongValues) {
  auto error_of = [](const std::string& text) {
    try {
      network_from_arch_text(text, "net.json");
    } catch (const InputError& e) {
      EXPECT_EQ(e.source(), "net.json");
      return e.field() + ": " + e.what();
    }
    ADD_FAILURE() << "no error for " << text;
    return std::string();
  };
  EXPECT_NE(error_of("{\"resolution\": 32,").find("is not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("(top level)"), std::string::npos);
  std::string text = tiny_arch().dump();
  text.insert(1, "\"resolution\": 64, ");  // twice: which one would count is not the user's guess to make
  EXPECT_NE(error_of(text).find("duplicate key"), std::string::npos);
  json arch = tiny_arch();
  arch["first_conv"]["dilation"] = 2;
  EXPECT_NE(error_of(arch.dump()).find("expected 1 (dilated convolutions are not supported), got 2"),
            std::string::npos);
  arch = tiny_arch();
  arch["first_conv"]["ops_order"] = "bn_act_weight";
  EXPECT_NE(error_of(arch.dump()).find("expected \"weight_bn_act\""), std::string::npos);
  arch = tiny_arch();
  arch["blocks"][0]["mobile_inverted_conv"]["expand_ratio"] = "6";
  EXPECT_NE(error_of(arch.dump()).find("blocks[0].mobile_inverted_conv.expand_ratio"), std::string::npos);
  arch = tiny_arch();
  arch["blocks"] = 3;
  EXPECT_NE(error_of(arch.dump()).find("blocks: expected a list of blocks"), std::string::npos);
}
