#include "tinyops/arch_json.hpp"

#include <cmath>
#include <fstream>
#include <set>

#include "tinyops/error.hpp"

namespace tinyops {
namespace {

using nlohmann::json;

// A cursor into the JSON document that knows its path, so every error names the exact field.
class Node {
 public:
  // `source` must outlive the node (it is the caller's, held by reference).
  Node(const json& j, const std::string& source, std::string path) : j_(j), source_(source), path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& expected) const {
    throw InputError(source_, join(field), expected);
  }
  void require_object() const {
    if (!j_.is_object()) throw InputError(source_, path_.empty() ? "(top level)" : path_, "expected an object");
  }
  void check_keys(const std::set<std::string>& allowed) const {
    require_object();
    // The object's keys and `allowed` are both sorted (std::map, std::set): one walk through both.
    auto a = allowed.begin();
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      while (a != allowed.end() && *a < it.key()) ++a;
      if (a == allowed.end() || *a != it.key()) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        fail(it.key(), "unknown key (expected one of: " + list + ")");
      }
    }
  }
  bool has(const std::string& key) const {
    const auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  Node child(const std::string& key) const { return Node(value(key), source_, join(key)); }
  Node item(size_t i) const { return Node(j_.at(i), source_, path_ + "[" + std::to_string(i) + "]"); }
  const json& raw() const { return j_; }
  size_t size() const { return j_.size(); }

  int positive_int(const std::string& key) const {
    const json& v = value(key);
    if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > (1 << 20))
      fail(key, "expected a positive integer, got " + v.dump());
    return v.get<int>();
  }
  double positive_number(const std::string& key) const {
    const json& v = value(key);
    if (!v.is_number() || v.get<double>() <= 0) fail(key, "expected a positive number, got " + v.dump());
    return v.get<double>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    const auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return fallback;
    const json& v = *it;
    if (!v.is_boolean()) fail(key, "expected true or false, got " + v.dump());
    return v.get<bool>();
  }
  std::string string(const std::string& key) const {
    const json& v = value(key);
    if (!v.is_string()) fail(key, "expected a string, got " + v.dump());
    return v.get<std::string>();
  }
  Activation activation(const std::string& key) const {
    if (!has(key)) return Activation::None;
    try {
      return activation_from_string(string(key));
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }
  void expect_value(const std::string& key, const json& wanted, const std::string& why) const {
    const auto it = j_.find(key);
    if (it != j_.end() && !it->is_null() && *it != wanted)
      fail(key, "expected " + wanted.dump() + " (" + why + "), got " + it->dump());
  }
  void expect_name(const std::string& wanted) const {
    if (string("name") != wanted) fail("name", "expected \"" + wanted + "\", got \"" + string("name") + "\"");
  }

 private:
  const json& value(const std::string& key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(key, "missing");
    return *it;
  }
  std::string join(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  const json& j_;
  const std::string& source_;
  std::string path_;
};

const std::set<std::string> kConvKeys = {"name", "kernel_size", "stride", "dilation", "groups", "bias",
                                         "has_shuffle", "in_channels", "out_channels", "use_bn", "act_func",
                                         "dropout_rate", "ops_order"};
const std::set<std::string> kMbConvKeys = {"name", "in_channels", "out_channels", "kernel_size", "stride",
                                           "expand_ratio", "mid_channels", "act_func", "use_se"};
const std::set<std::string> kIdentityKeys = {"name", "in_channels", "out_channels", "use_bn", "act_func",
                                             "dropout_rate", "ops_order"};
const std::set<std::string> kBlockKeys = {"name", "mobile_inverted_conv", "shortcut"};
const std::set<std::string> kRootKeys = {"name", "bn", "first_conv", "blocks", "feature_mix_layer", "final_conv",
                                         "classifier", "resolution"};
const std::set<std::string> kLinearKeys = {"name", "in_features", "out_features", "bias", "use_bn", "act_func",
                                           "dropout_rate", "ops_order"};

class Builder {
 public:
  Builder(Network& net, const std::string& source) : net_(net), source_(source) {}

  int channels() const { return net_.tensor(current_).shape.c; }
  void set_current(int t) { current_ = t; }
  int current() const { return current_; }

  void check_in_channels(const Node& node, const std::string& key) {
    const int in = node.positive_int(key);
    if (in != channels())
      node.fail(key, "expected " + std::to_string(channels()) + " (the previous layer's output channels), got " +
                         std::to_string(in));
  }

  // A ConvLayer: conv + BN (folded) + activation.
  void conv_layer(const Node& node) {
    node.check_keys(kConvKeys);
    node.expect_name("ConvLayer");
    node.expect_value("dilation", 1, "dilated convolutions are not supported");
    node.expect_value("groups", 1, "grouped convolutions are not supported");
    node.expect_value("has_shuffle", false, "channel shuffle is not supported");
    node.expect_value("ops_order", "weight_bn_act", "only weight_bn_act is supported");
    check_in_channels(node, "in_channels");
    const int k = node.positive_int("kernel_size");
    const int stride = node.positive_int("stride");
    if (k % 2 == 0) node.fail("kernel_size", "expected an odd kernel size, got " + std::to_string(k));
    const int out = node.positive_int("out_channels");
    conv(OpKind::Conv2D, k, stride, out, node.activation("act_func"), node.boolean("bias", false),
         node.boolean("use_bn", true));
  }

  void conv(OpKind kind, int k, int stride, int out, Activation act, bool bias, bool bn) {
    Op op;
    op.name = next_name(kind == OpKind::Conv2D ? (k == 1 ? "pw" : "conv") : "dw");
    op.kind = kind;
    op.inputs = {current_};
    op.kernel_h = op.kernel_w = k;
    op.stride = stride;
    op.pad = Padding{k / 2, k / 2, k / 2, k / 2};  // PyTorch semantics of the ProxylessNAS code
    op.act = act;
    const int in_c = channels();
    net_.add_op(op, out);
    current_ = net_.output();
    const int64_t per_filter = kind == OpKind::Conv2D ? int64_t(k) * k * in_c : int64_t(k) * k;
    net_.add_param_count(per_filter * out + (bias ? out : 0) + (bn ? 2 * out : 0));
  }

  void mb_block(const Node& block) {
    block.check_keys(kBlockKeys);
    block.expect_name("MobileInvertedResidualBlock");
    const Node m = block.child("mobile_inverted_conv");
    m.check_keys(kMbConvKeys);
    if (m.string("name") == "ZeroLayer") {
      if (!block.has("shortcut")) m.fail("name", "a ZeroLayer block needs an identity shortcut");
      return;  // the block is skipped: identity
    }
    m.expect_name("MBInvertedConvLayer");
    if (m.boolean("use_se", false)) m.fail("use_se", "squeeze-and-excitation is not supported (expected false)");
    check_in_channels(m, "in_channels");
    const int in_c = channels();
    const int k = m.positive_int("kernel_size");
    if (k % 2 == 0) m.fail("kernel_size", "expected an odd kernel size, got " + std::to_string(k));
    const int stride = m.positive_int("stride");
    const double expand = m.positive_number("expand_ratio");
    const int out = m.positive_int("out_channels");
    const Activation act = m.activation("act_func");
    const int residual_in = current_;
    int mid = m.has("mid_channels") ? m.positive_int("mid_channels") : int(std::lround(in_c * expand));
    if (expand != 1.0 || m.has("mid_channels")) {
      conv(OpKind::Conv2D, 1, 1, mid, act, false, true);
    } else {
      mid = in_c;
    }
    conv(OpKind::DepthwiseConv2D, k, stride, mid, act, false, true);
    conv(OpKind::Conv2D, 1, 1, out, Activation::None, false, true);
    if (block.has("shortcut")) {
      const Node s = block.child("shortcut");
      s.check_keys(kIdentityKeys);
      s.expect_name("IdentityLayer");
      if (stride != 1 || in_c != out)
        s.fail("name", "an identity shortcut needs stride 1 and in_channels == out_channels (got stride " +
                           std::to_string(stride) + ", " + std::to_string(in_c) + " -> " + std::to_string(out) + ")");
      Op add;
      add.name = next_name("add");
      add.kind = OpKind::Add;
      add.inputs = {residual_in, current_};
      net_.add_op(add, out);
      current_ = net_.output();
    }
  }

  void global_pool() {
    Op op;
    op.name = next_name("gap");
    op.kind = OpKind::GlobalAveragePool;
    op.inputs = {current_};
    net_.add_op(op, 0);
    current_ = net_.output();
  }

  void linear(const Node& node) {
    node.check_keys(kLinearKeys);
    node.expect_name("LinearLayer");
    node.expect_value("use_bn", false, "batch norm in the classifier is not supported");
    if (net_.tensor(current_).shape.elements() != node.positive_int("in_features"))
      node.fail("in_features", "expected " + std::to_string(net_.tensor(current_).shape.elements()) +
                                   " (the previous layer's output size), got " +
                                   std::to_string(node.positive_int("in_features")));
    const int out = node.positive_int("out_features");
    Op op;
    op.name = next_name("fc");
    op.kind = OpKind::FullyConnected;
    op.inputs = {current_};
    op.act = node.activation("act_func");
    const bool bias = node.boolean("bias", true);
    net_.add_op(op, out);
    net_.add_param_count(int64_t(net_.tensor(current_).shape.elements()) * out + (bias ? out : 0));
    current_ = net_.output();
  }

 private:
  std::string next_name(const std::string& prefix) { return prefix + "_" + std::to_string(net_.ops().size()); }

  Network& net_;
  const std::string& source_;
  int current_ = -1;
};

}  // namespace

Network network_from_arch(const json& arch, const std::string& source) {
  const Node root(arch, source, "");
  root.check_keys(kRootKeys);
  if (root.has("name")) root.expect_name("ProxylessNASNets");
  const int resolution = root.positive_int("resolution");
  Network net(root.has("name") ? root.string("name") : "ProxylessNASNets");
  Builder b(net, source);
  const Node first = root.child("first_conv");
  first.require_object();
  const int in_c = first.positive_int("in_channels");
  b.set_current(net.add_input({resolution, resolution, in_c}));
  b.conv_layer(first);
  const Node blocks = root.child("blocks");
  if (!blocks.raw().is_array()) blocks.fail("", "expected a list of blocks");
  for (size_t i = 0; i < blocks.size(); ++i) b.mb_block(blocks.item(i));
  if (root.has("feature_mix_layer")) b.conv_layer(root.child("feature_mix_layer"));
  b.global_pool();
  if (root.has("final_conv")) b.conv_layer(root.child("final_conv"));
  b.linear(root.child("classifier"));
  net.mark_output(net.output());
  return net;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "(file)", "cannot be opened for reading");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(path, "(file)", std::string("is not valid JSON: ") + e.what());
  }
}

Network load_arch_file(const std::string& path) { return network_from_arch(read_json_file(path), path); }

int make_divisible(double value, int divisor) {
  int v = std::max(divisor, int(value + divisor / 2.0) / divisor * divisor);
  if (v < 0.9 * value) v += divisor;
  return v;
}

json scale_arch(const json& arch, double width_mult, int resolution) {
  if (!(width_mult > 0)) throw InputError("<scale_arch>", "width_mult", "expected a positive number");
  if (resolution <= 0) throw InputError("<scale_arch>", "resolution", "expected a positive integer");
  json out = arch;
  auto scale = [&](json& layer, const char* key) {
    if (layer.is_object() && layer.contains(key) && layer[key].is_number_integer())
      layer[key] = make_divisible(layer[key].get<int>() * width_mult);
  };
  if (out.contains("first_conv")) scale(out["first_conv"], "out_channels");
  if (out.contains("blocks")) {
    for (json& block : out["blocks"]) {
      for (const char* part : {"mobile_inverted_conv", "shortcut"}) {
        if (!block.contains(part) || !block[part].is_object()) continue;
        for (const char* key : {"in_channels", "out_channels", "mid_channels"}) scale(block[part], key);
      }
    }
  }
  for (const char* layer : {"feature_mix_layer", "final_conv"}) {
    if (!out.contains(layer) || !out[layer].is_object()) continue;
    scale(out[layer], "in_channels");
    scale(out[layer], "out_channels");
  }
  if (out.contains("classifier") && out["classifier"].is_object()) scale(out["classifier"], "in_features");
  out["resolution"] = resolution;
  return out;
}

}  // namespace tinyops
