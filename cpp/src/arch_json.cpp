#include "tinyops/arch_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include "tinyops/error.hpp"

namespace tinyops {
namespace {

using nlohmann::json;
using simdjson::dom::element;
using Keys = std::span<const std::string_view>;

// A cursor into the parsed document that knows its path, so every error names the exact field. The document
// is parsed by simdjson (a search scores thousands of architectures: nlohmann's DOM took ~70 µs of the ~100 µs
// an architecture took to read; simdjson parses one in ~3 µs).
class Node {
 public:
  // The document's root. `source` must outlive the node (it is the caller's, held by reference).
  Node(element e, const std::string& source) : e_(e), source_(source) {}

  [[noreturn]] void fail(std::string_view field, const std::string& expected) const {
    throw InputError(source_, join(field), expected);
  }
  [[noreturn]] void fail_here(const std::string& expected) const { throw InputError(source_, path(), expected); }
  void require_object() const {
    if (!e_.is_object()) throw InputError(source_, parent_ ? path() : "(top level)", "expected an object");
  }
  // Every key must be one of `allowed`, and appear once.
  void check_keys(Keys allowed) const {
    require_object();
    uint64_t seen = 0;
    for (const auto field : simdjson::dom::object(e_)) {
      uint64_t bit = 1;
      auto a = allowed.begin();
      for (; a != allowed.end() && *a != field.key; ++a) bit <<= 1;
      if (a == allowed.end()) {
        std::vector<std::string_view> sorted(allowed.begin(), allowed.end());
        std::sort(sorted.begin(), sorted.end());
        std::string list;
        for (const auto& k : sorted) list += (list.empty() ? "" : ", ") + std::string(k);
        fail(field.key, "unknown key (expected one of: " + list + ")");
      }
      if (seen & bit) fail(field.key, "duplicate key");
      seen |= bit;
    }
  }
  // The value of `key`, or nothing when it is absent or null (one scan of the object).
  std::optional<element> present(std::string_view key) const {
    const auto v = e_[key];
    if (v.error() || v.value_unsafe().is_null()) return std::nullopt;
    return v.value_unsafe();
  }
  bool has(std::string_view key) const { return present(key).has_value(); }
  // `key` must outlive the child (the reader's keys are literals).
  Node child(std::string_view key) const { return Node(value(key), *this, key, kNoIndex); }
  bool is_array() const { return e_.is_array(); }
  element raw() const { return e_; }
  template <typename Visit>
  void for_each_item(Visit visit) const {
    size_t i = 0;
    for (const element item : simdjson::dom::array(e_)) visit(Node(item, *this, {}, i++));
  }

  int positive_int(std::string_view key) const {
    const element v = value(key);
    int64_t n = 0;
    if (v.get_int64().get(n) || n <= 0 || n > (1 << 20)) fail(key, "expected a positive integer, got " + dump(v));
    return int(n);
  }
  double positive_number(std::string_view key) const {
    const element v = value(key);
    double d = 0;
    if (v.get_double().get(d) || !(d > 0)) fail(key, "expected a positive number, got " + dump(v));
    return d;
  }
  bool boolean(std::string_view key, bool fallback) const {
    const auto v = present(key);
    bool b = fallback;
    if (v && v->get_bool().get(b)) fail(key, "expected true or false, got " + dump(*v));
    return b;
  }
  std::string string(std::string_view key) const { return std::string(string_view(key, value(key))); }
  Activation activation(std::string_view key) const {
    const auto v = present(key);
    if (!v) return Activation::None;
    try {
      return activation_from_string(std::string(string_view(key, *v)));
    } catch (const std::invalid_argument& e) {
      fail(key, e.what());
    }
  }
  // The key, when present and not null, must hold `wanted` (a number equal to it, for numbers).
  void expect_value(std::string_view key, int64_t wanted, const std::string& why) const {
    double d = 0;
    if (const auto v = present(key); v && (v->get_double().get(d) || d != double(wanted)))
      fail_value(key, *v, std::to_string(wanted), why);
  }
  void expect_value(std::string_view key, bool wanted, const std::string& why) const {
    bool b = false;
    if (const auto v = present(key); v && (v->get_bool().get(b) || b != wanted))
      fail_value(key, *v, wanted ? "true" : "false", why);
  }
  void expect_value(std::string_view key, const char* wanted, const std::string& why) const {
    std::string_view s;
    if (const auto v = present(key); v && (v->get_string().get(s) || s != wanted))
      fail_value(key, *v, "\"" + std::string(wanted) + "\"", why);
  }
  void expect_name(std::string_view wanted) const {
    const element v = value("name");
    std::string_view name;
    if (v.get_string().get(name) || name != wanted)
      fail("name", "expected \"" + std::string(wanted) + "\", got " + dump(v));
  }

 private:
  std::string_view string_view(std::string_view key, const element& v) const {
    std::string_view s;
    if (v.get_string().get(s)) fail(key, "expected a string, got " + dump(v));
    return s;
  }
  [[noreturn]] void fail_value(std::string_view key, const element& got, const std::string& wanted,
                               const std::string& why) const {
    fail(key, "expected " + wanted + " (" + why + "), got " + dump(got));
  }
  static std::string dump(const element& v) { return simdjson::minify(v); }
  element value(std::string_view key) const {
    const auto v = e_[key];
    if (v.error()) fail(key, "missing");
    return v.value_unsafe();
  }
  std::string join(std::string_view key) const {
    const std::string p = path();
    return p.empty() ? std::string(key) : p + "." + std::string(key);
  }

  static constexpr size_t kNoIndex = size_t(-1);
  Node(element e, const Node& parent, std::string_view key, size_t index)
      : e_(e), source_(parent.source_), parent_(&parent), key_(key), index_(index) {}
  // The path as errors print it ("blocks[1].mobile_inverted_conv"), built only for an error: the nodes of a
  // valid document never need it.
  std::string path() const {
    if (!parent_) return "";
    if (index_ != kNoIndex) return parent_->path() + "[" + std::to_string(index_) + "]";
    return parent_->join(key_);
  }

  element e_;
  const std::string& source_;
  const Node* parent_ = nullptr;  // outlives this node
  std::string_view key_;
  size_t index_ = kNoIndex;
};

constexpr std::string_view kConvKeys[] = {"name",     "kernel_size",  "stride",      "dilation",     "groups",
                                          "bias",     "has_shuffle",  "in_channels", "out_channels", "use_bn",
                                          "act_func", "dropout_rate", "ops_order"};
constexpr std::string_view kMbConvKeys[] = {"name",         "in_channels",  "out_channels", "kernel_size", "stride",
                                            "expand_ratio", "mid_channels", "act_func",     "use_se"};
constexpr std::string_view kIdentityKeys[] = {"name",     "in_channels",  "out_channels", "use_bn",
                                              "act_func", "dropout_rate", "ops_order"};
constexpr std::string_view kBlockKeys[] = {"name", "mobile_inverted_conv", "shortcut"};
constexpr std::string_view kRootKeys[] = {"name",       "bn",         "first_conv", "blocks", "feature_mix_layer",
                                          "final_conv", "classifier", "resolution"};
constexpr std::string_view kLinearKeys[] = {"name",   "in_features", "out_features", "bias",
                                            "use_bn", "act_func",    "dropout_rate", "ops_order"};

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
    node.expect_value("dilation", int64_t(1), "dilated convolutions are not supported");
    node.expect_value("groups", int64_t(1), "grouped convolutions are not supported");
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
    net_.add_op(std::move(op), out);
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
    if (m.boolean("use_se", false)) squeeze_excite(mid);
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
      net_.add_op(std::move(add), out);
      current_ = net_.output();
    }
  }

  // MobileNetV3's squeeze-and-excite (Once-for-All's SEModule, reduction 4): mean over rows and columns ->
  // 1x1 conv to make_divisible(channels / 4, 8) with bias, ReLU -> 1x1 conv back with bias, hard-sigmoid ->
  // the block's features times that gate, channel by channel.
  void squeeze_excite(int channels) {
    const int features = current_;
    global_pool();
    const int reduced = make_divisible(double(channels / 4), 8);
    conv(OpKind::Conv2D, 1, 1, reduced, Activation::ReLU, true, false);
    conv(OpKind::Conv2D, 1, 1, channels, Activation::HardSigmoid, true, false);
    Op mul;
    mul.name = next_name("se_mul");
    mul.kind = OpKind::Mul;
    mul.inputs = {features, current_};
    net_.add_op(std::move(mul), channels);
    current_ = net_.output();
  }

  void global_pool() {
    Op op;
    op.name = next_name("gap");
    op.kind = OpKind::GlobalAveragePool;
    op.inputs = {current_};
    net_.add_op(std::move(op), 0);
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
    net_.add_op(std::move(op), out);
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

Network network_from_arch_text(std::string_view text, const std::string& source) {
  thread_local simdjson::dom::parser parser;  // keeps its buffers between documents
  element doc;
  if (const auto error = parser.parse(text.data(), text.size()).get(doc))
    throw InputError(source, "(json)", std::string("is not valid JSON: ") + simdjson::error_message(error));
  const Node root(doc, source);
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
  if (!blocks.is_array()) blocks.fail_here("expected a list of blocks");
  net.reserve(8 * simdjson::dom::array(blocks.raw()).size() + 8);  // at most 8 ops a block (4 with SE), the ends
  blocks.for_each_item([&](const Node& block) { b.mb_block(block); });
  if (root.has("feature_mix_layer")) b.conv_layer(root.child("feature_mix_layer"));
  b.global_pool();
  if (root.has("final_conv")) b.conv_layer(root.child("final_conv"));
  b.linear(root.child("classifier"));
  net.mark_output(net.output());
  return net;
}

Network network_from_arch(const json& arch, const std::string& source) {
  return network_from_arch_text(arch.dump(), source);
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
