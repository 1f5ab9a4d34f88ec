#pragma once
// The int8 network IR: tensors (NHWC, batch 1, one byte per element) and the ops between them.
#include <cstdint>
#include <string>
#include <vector>

namespace tinyops {

// Mul: element-wise product of the first input and the second, which is equal-shaped or (1, 1, C) broadcast over
// rows and columns (squeeze-and-excite's gate). Concatenation: two or more inputs of the output's height and width
// joined along channels, in input order (Inception / MCUNet branches).
enum class OpKind {
  Conv2D,
  DepthwiseConv2D,
  Add,
  AveragePool,
  GlobalAveragePool,
  FullyConnected,
  Pad,
  Mul,
  Concatenation
};
enum class Activation { None, ReLU, ReLU6, HardSwish, HardSigmoid };

const char* to_string(OpKind kind);
const char* to_string(Activation act);
OpKind op_kind_from_string(const std::string& name);         // throws std::invalid_argument
Activation activation_from_string(const std::string& name);  // "none"/"relu"/"relu6"/"h_swish"/"h_sigmoid"

struct Shape {
  int h = 0, w = 0, c = 0;
  int64_t elements() const { return int64_t(h) * w * c; }
  int64_t bytes() const { return elements(); }  // int8
  bool operator==(const Shape&) const = default;
};

struct Tensor {
  int id = -1;
  std::string name;
  Shape shape;
  int producer = -1;   // op id, -1 for the network input
  int first_use = -1;  // op id of the first consumer
  int last_use = -1;   // op id of the last consumer (-1: network output, lives to the end)
  bool is_network_input = false;
  bool is_network_output = false;
};

struct Padding {
  int top = 0, left = 0, bottom = 0, right = 0;
  bool operator==(const Padding&) const = default;
};

struct Op {
  int id = -1;
  std::string name;
  OpKind kind = OpKind::Conv2D;
  std::vector<int> inputs;  // tensor ids
  int output = -1;          // tensor id
  int kernel_h = 1, kernel_w = 1;
  int stride = 1;
  Padding pad;
  Activation act = Activation::None;
  // How the int8 kernels requantize the outputs, set by the compiler from the quantized model (the defaults
  // where the quantization is not known: architecture JSON). A channel's executed shift picks its path: a right
  // shift of 1..22 bits the fast one, a left shift of 0..31 bits (most ReLU6 layers of real models) the
  // left-shift one, any other the general one (slow_requant_share).
  double slow_requant_share = 0;
  double left_shift_share = 0;
  // The activation range is narrower than int8 (e.g. ReLU6 with an output zero point above -128): the DSP
  // kernels clamp each output by compare-and-move instead of one SSAT.
  bool clamped_activation = false;
  // Fully connected: one requantization pair per output channel (a per-channel quantized model, as the
  // compiler's IR may hold) instead of TFLite's one per tensor. Conv and depthwise are always per channel.
  bool per_channel_quant = false;
  // Derived, filled by Network::add_op. MACs count multiply-accumulates of conv and FC only, as
  // published MAC counts do; element-wise ops and pools are costed by their element counts.
  int64_t macs = 0;
  int64_t weight_bytes = 0;  // int8 filter / FC matrix
  int64_t bias_bytes = 0;    // int32 per output channel
  int64_t quant_bytes = 0;   // per-channel multiplier + shift (int32 each)
};

// The input the simulator waits on besides the first (-1: none): the second of add and mul, the last of a
// concatenation (the one the previous op most likely just wrote; its earlier inputs were written before it and
// are taken as ready: an approximation for output-overlay copies still in flight).
inline int later_input(const Op& op) { return op.inputs.size() > 1 ? op.inputs.back() : -1; }

class Network {
 public:
  explicit Network(std::string name = "network") : name_(std::move(name)) {}

  int add_input(const Shape& shape, const std::string& name = "input");
  // Appends an op reading `inputs`, creates its output tensor and fills the derived fields.
  // Throws std::invalid_argument when shapes do not chain.
  int add_op(Op op, int out_channels);
  void mark_output(int tensor_id);

  const std::string& name() const { return name_; }
  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Op>& ops() const { return ops_; }
  const Tensor& tensor(int id) const { return tensors_.at(id); }
  const Op& op(int id) const { return ops_.at(id); }
  int input() const { return input_; }
  int output() const { return output_; }

  int64_t total_macs() const;
  int64_t weight_bytes() const;                         // int8 weights + int32 biases + quant params
  int64_t param_count() const { return param_count_; }  // PyTorch-style count (BN affine included)
  void add_param_count(int64_t n) { param_count_ += n; }
  // Room for `ops` ops and their output tensors (a reader that knows the count saves the regrowth).
  void reserve(size_t ops) {
    ops_.reserve(ops);
    tensors_.reserve(ops + 1);
  }

 private:
  std::string name_;
  std::vector<Tensor> tensors_;
  std::vector<Op> ops_;
  int input_ = -1;
  int output_ = -1;
  int64_t param_count_ = 0;
};

// Output spatial size of a "same"-padded op, as TFLite/PyTorch MobileNets compute it.
int same_out_size(int in, int stride);
Padding same_padding(int in_h, int in_w, int kernel_h, int kernel_w, int stride);

}  // namespace tinyops
