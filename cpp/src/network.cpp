#include "tinyops/network.hpp"

#include <stdexcept>

namespace tinyops {

const char* to_string(OpKind kind) {
  switch (kind) {
    case OpKind::Conv2D: return "conv2d";
    case OpKind::DepthwiseConv2D: return "depthwise_conv2d";
    case OpKind::Add: return "add";
    case OpKind::AveragePool: return "average_pool";
    case OpKind::GlobalAveragePool: return "global_average_pool";
    case OpKind::FullyConnected: return "fully_connected";
    case OpKind::Pad: return "pad";
    case OpKind::Mul: return "mul";
    case OpKind::Concatenation: return "concatenation";
  }
  return "?";
}

const char* to_string(Activation act) {
  switch (act) {
    case Activation::None: return "none";
    case Activation::ReLU: return "relu";
    case Activation::ReLU6: return "relu6";
    case Activation::HardSwish: return "h_swish";
    case Activation::HardSigmoid: return "h_sigmoid";
  }
  return "?";
}

OpKind op_kind_from_string(const std::string& name) {
  for (OpKind k : {OpKind::Conv2D, OpKind::DepthwiseConv2D, OpKind::Add, OpKind::AveragePool, OpKind::GlobalAveragePool,
                   OpKind::FullyConnected, OpKind::Pad, OpKind::Mul, OpKind::Concatenation}) {
    if (name == to_string(k)) return k;
  }
  throw std::invalid_argument("unknown op kind '" + name + "'");
}

Activation activation_from_string(const std::string& name) {
  if (name.empty() || name == "none") return Activation::None;
  if (name == "relu") return Activation::ReLU;
  if (name == "relu6") return Activation::ReLU6;
  if (name == "h_swish" || name == "hswish" || name == "hard_swish") return Activation::HardSwish;
  if (name == "h_sigmoid" || name == "hsigmoid" || name == "hard_sigmoid") return Activation::HardSigmoid;
  throw std::invalid_argument("unknown activation '" + name + "' (expected none, relu, relu6, h_swish or h_sigmoid)");
}

int same_out_size(int in, int stride) { return (in + stride - 1) / stride; }

Padding same_padding(int in_h, int in_w, int kernel_h, int kernel_w, int stride) {
  auto split = [&](int in, int k) {
    int out = same_out_size(in, stride);
    int total = std::max((out - 1) * stride + k - in, 0);
    return std::pair{total / 2, total - total / 2};
  };
  auto [top, bottom] = split(in_h, kernel_h);
  auto [left, right] = split(in_w, kernel_w);
  return Padding{top, left, bottom, right};
}

int Network::add_input(const Shape& shape, const std::string& name) {
  if (shape.h <= 0 || shape.w <= 0 || shape.c <= 0) throw std::invalid_argument("input shape must be positive");
  Tensor t;
  t.id = int(tensors_.size());
  t.name = name;
  t.shape = shape;
  t.is_network_input = true;
  tensors_.push_back(t);
  input_ = t.id;
  output_ = t.id;
  return t.id;
}

int Network::add_op(Op op, int out_channels) {
  if (op.inputs.empty()) throw std::invalid_argument(op.name + ": op has no input");
  for (int in : op.inputs) {
    if (in < 0 || in >= int(tensors_.size())) throw std::invalid_argument(op.name + ": unknown input tensor");
  }
  if (op.stride <= 0 || op.kernel_h <= 0 || op.kernel_w <= 0)
    throw std::invalid_argument(op.name + ": kernel size and stride must be positive");
  const Shape in = tensors_[op.inputs[0]].shape;
  Shape out;
  const int64_t k = int64_t(op.kernel_h) * op.kernel_w;
  auto spatial = [&](int size, int kernel, int before, int after) {
    int o = (size + before + after - kernel) / op.stride + 1;
    if (o <= 0) throw std::invalid_argument(op.name + ": kernel larger than the padded input");
    return o;
  };
  switch (op.kind) {
    case OpKind::Conv2D:
    case OpKind::DepthwiseConv2D: {
      if (out_channels <= 0) throw std::invalid_argument(op.name + ": out_channels must be positive");
      if (op.kind == OpKind::DepthwiseConv2D && out_channels % in.c != 0)
        throw std::invalid_argument(op.name + ": depthwise out_channels must be a multiple of in_channels");
      out = {spatial(in.h, op.kernel_h, op.pad.top, op.pad.bottom),
             spatial(in.w, op.kernel_w, op.pad.left, op.pad.right), out_channels};
      const int64_t per_out = op.kind == OpKind::Conv2D ? k * in.c : k;
      op.macs = out.elements() * per_out;
      op.weight_bytes = per_out * out_channels;
      op.bias_bytes = 4 * int64_t(out_channels);
      op.quant_bytes = 8 * int64_t(out_channels);
      break;
    }
    case OpKind::FullyConnected:
      if (out_channels <= 0) throw std::invalid_argument(op.name + ": out_features must be positive");
      out = {1, 1, out_channels};
      op.kernel_h = op.kernel_w = 1;
      op.macs = in.elements() * out_channels;
      op.weight_bytes = in.elements() * out_channels;
      op.bias_bytes = 4 * int64_t(out_channels);
      op.quant_bytes = op.per_channel_quant ? 8 * int64_t(out_channels) : 8;
      break;
    case OpKind::Add:
      if (op.inputs.size() != 2) throw std::invalid_argument(op.name + ": add takes two inputs");
      if (!(tensors_[op.inputs[1]].shape == in))
        throw std::invalid_argument(op.name + ": add inputs have different shapes");
      out = in;
      break;
    case OpKind::Mul: {
      if (op.inputs.size() != 2) throw std::invalid_argument(op.name + ": mul takes two inputs");
      const Shape& gate = tensors_[op.inputs[1]].shape;
      if (!(gate == in) && !(gate == Shape{1, 1, in.c}))
        throw std::invalid_argument(op.name + ": mul's second input must have the first's shape or (1, 1, " +
                                    std::to_string(in.c) + ")");
      out = in;
      break;
    }
    case OpKind::Concatenation: {
      if (op.inputs.size() < 2) throw std::invalid_argument(op.name + ": concatenation takes two or more inputs");
      out = {in.h, in.w, 0};
      for (int id : op.inputs) {
        const Shape& s = tensors_[id].shape;
        if (s.h != in.h || s.w != in.w)
          throw std::invalid_argument(op.name + ": concatenation input " + tensors_[id].name + " is " +
                                      std::to_string(s.h) + "x" + std::to_string(s.w) + ", the first is " +
                                      std::to_string(in.h) + "x" + std::to_string(in.w) +
                                      " (inputs are joined along channels)");
        out.c += s.c;
      }
      op.kernel_h = op.kernel_w = 1;
      break;
    }
    case OpKind::AveragePool:
      out = {spatial(in.h, op.kernel_h, op.pad.top, op.pad.bottom),
             spatial(in.w, op.kernel_w, op.pad.left, op.pad.right), in.c};
      break;
    case OpKind::GlobalAveragePool:
      op.kernel_h = in.h;
      op.kernel_w = in.w;
      out = {1, 1, in.c};
      break;
    case OpKind::Pad:
      out = {in.h + op.pad.top + op.pad.bottom, in.w + op.pad.left + op.pad.right, in.c};
      op.kernel_h = op.kernel_w = 1;
      break;
  }
  if (op.kind != OpKind::Conv2D && op.kind != OpKind::DepthwiseConv2D && op.kind != OpKind::FullyConnected &&
      out_channels > 0 && out_channels != out.c)
    throw std::invalid_argument(op.name + ": out_channels " + std::to_string(out_channels) + " does not match the " +
                                std::to_string(out.c) + " channels its inputs make");

  op.id = int(ops_.size());
  Tensor t;
  t.id = int(tensors_.size());
  t.name = op.name + ":out";
  t.shape = out;
  t.producer = op.id;
  op.output = t.id;
  for (int in_id : op.inputs) {
    Tensor& src = tensors_[in_id];
    if (src.first_use < 0) src.first_use = op.id;
    src.last_use = op.id;
  }
  output_ = t.id;
  tensors_.push_back(std::move(t));
  ops_.push_back(std::move(op));
  return ops_.back().id;
}

void Network::mark_output(int tensor_id) {
  output_ = tensor_id;
  for (Tensor& t : tensors_) t.is_network_output = (t.id == tensor_id);
}

int64_t Network::total_macs() const {
  int64_t sum = 0;
  for (const Op& op : ops_) sum += op.macs;
  return sum;
}

int64_t Network::weight_bytes() const {
  int64_t sum = 0;
  for (const Op& op : ops_) sum += op.weight_bytes + op.bias_bytes + op.quant_bytes;
  return sum;
}

}  // namespace tinyops
