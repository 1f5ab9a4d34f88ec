// The loader's checks of each op kind's parameters against its tensors' shapes and quantization: the window
// ops (convolutions, pools), fully connected, add, pad, reshape and the pointwise ops (mul, mean, logistic,
// softmax, hard-swish). Called by the loader (loader.cpp) for every op before its parts are checked.
#include <string.h>

#include "loader_internal.hpp"
#include "plan_geometry.hpp"

namespace tinyops::rt::loader {
namespace {

class KindChecks : Regions {
 public:
  using Regions::Regions;

  // A constant param's home: in the constants (the blob's, or the flash image's), of the expected size, 4-byte aligned
  // for int32 arrays.
  bool param(uint32_t i, const fb::Region* r, uint64_t expected, bool optional, bool aligned, const char* field) {
    if (!present(r)) {
      if (optional || expected == 0) return true;
      return check_.fail(Status::kDataSizeMismatch, "op", i, field);
    }
    Placed p{};
    if (!region(r, false, aligned, "op", i, field, &p)) return false;
    if (p.space != fb::Space::Constants && p.space != fb::Space::InternalFlash)
      return check_.fail(Status::kBadRegion, "op", i, field);
    if (r->bytes() != expected) return check_.fail(Status::kDataSizeMismatch, "op", i, field);
    return true;
  }

  bool quant_params(uint32_t i, const fb::Op& op, uint32_t channels) {
    if (!param(i, op.bias(), 4ull * channels, true, true, "bias")) return false;
    if (op.quant() && plan::per_tensor_quant(op, *op.quant())) channels = 1;
    if (!param(i, op.quant(), 8ull * channels, false, true, "quant")) return false;
    Placed p{};
    place(*op.quant(), p);
    const uint8_t* q = constant_bytes(p);
    for (uint32_t c = 0; c < channels; ++c) {
      int32_t multiplier, shift;
      memcpy(&multiplier, q + 4 * c, 4);
      memcpy(&shift, q + 4 * (channels + c), 4);
      // Left shifts up to 31: TFLite's reference interpreters execute shifts above 31 mod 32 (see
      // tinyops/compiler/_quant.py); the compiler stores that executed shift.
      if (multiplier < 0 || shift < -31 || shift > 31) return check_.fail(Status::kBadQuantParams, "op", i, "quant");
    }
    return true;
  }

  static bool window_output_ok(int in, int out, int kernel, int stride, int dilation, int pad_a, int pad_b) {
    const int effective = (kernel - 1) * dilation + 1;
    const int padded = in + pad_a + pad_b;
    return padded >= effective && out == (padded - effective) / stride + 1;
  }

  bool window_params(uint32_t i, const fb::Op& op, const fb::Tensor& in, const fb::Tensor& out, bool dilated) {
    const int dh = dilated ? op.dilation_h() : 1, dw = dilated ? op.dilation_w() : 1;
    if (op.kernel_h() == 0 || op.kernel_w() == 0 || op.stride_h() == 0 || op.stride_w() == 0)
      return check_.fail(Status::kBadOpParams, "op", i, "kernel/stride");
    if (dilated ? (op.dilation_h() == 0 || op.dilation_w() == 0) : (op.dilation_h() != 0 || op.dilation_w() != 0))
      return check_.fail(Status::kBadOpParams, "op", i, "dilation");
    if (!window_output_ok(in.height(), out.height(), op.kernel_h(), op.stride_h(), dh, op.pad_top(), op.pad_bottom()) ||
        !window_output_ok(in.width(), out.width(), op.kernel_w(), op.stride_w(), dw, op.pad_left(), op.pad_right()))
      return check_.fail(Status::kShapeMismatch, "op", i, "output height/width");
    return true;
  }

  bool no_window(uint32_t i, const fb::Op& op) {
    if (op.kernel_h() | op.kernel_w() | op.stride_h() | op.stride_w() | op.dilation_h() | op.dilation_w())
      return check_.fail(Status::kBadOpParams, "op", i, "kernel/stride/dilation");
    return true;
  }
  bool no_padding(uint32_t i, const fb::Op& op) {
    if (op.pad_top() | op.pad_left() | op.pad_bottom() | op.pad_right())
      return check_.fail(Status::kBadOpParams, "op", i, "pad");
    return true;
  }
  bool no_data(uint32_t i, const fb::Op& op) {
    if (present(op.weights()) || present(op.bias()) || present(op.quant()))
      return check_.fail(Status::kBadOpParams, "op", i, "weights/bias/quant");
    return true;
  }
  // No fused activation and no add / fully-connected parameters unless the kind takes them.
  bool no_extras(uint32_t i, const fb::Op& op, bool activation, bool add, bool fc) {
    if (!activation && (op.activation() != fb::FusedActivation::Clamp || op.pre_activation_zero_point() != 0 ||
                        op.reluish_multiplier() != 0 || op.reluish_exponent() != 0 || op.hs_output_multiplier() != 0 ||
                        op.hs_output_exponent() != 0))
      return check_.fail(Status::kBadOpParams, "op", i, "activation");
    if (!add && op.add_params()) return check_.fail(Status::kBadOpParams, "op", i, "add_params");
    if (!fc && op.weights_zero_point() != 0) return check_.fail(Status::kBadOpParams, "op", i, "weights_zero_point");
    return true;
  }
  bool fused_activation(uint32_t i, const fb::Op& op) {
    if (op.activation() == fb::FusedActivation::Clamp) return no_extras(i, op, false, false, false);
    if (op.activation() != fb::FusedActivation::HardSwish)
      return check_.fail(Status::kBadOpParams, "op", i, "activation");
    if (!no_extras(i, op, true, false, false)) return false;
    if (op.pre_activation_zero_point() < -128 || op.pre_activation_zero_point() > 127)
      return check_.fail(Status::kBadQuantParams, "op", i, "pre_activation_zero_point");
    return hard_swish_fields(i, op);
  }
  // TFLite's HardSwishParams (a fused or a standalone hard-swish): Q15 multipliers, their exponents.
  bool hard_swish_fields(uint32_t i, const fb::Op& op) {
    if (op.act_min() != -128 || op.act_max() != 127)
      return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
    if (op.reluish_multiplier() < 0 || op.reluish_multiplier() > INT16_MAX || op.hs_output_multiplier() < 0 ||
        op.hs_output_multiplier() > INT16_MAX)
      return check_.fail(Status::kBadQuantParams, "op", i, "reluish_multiplier/hs_output_multiplier (Q15)");
    if (op.reluish_exponent() < -31 || op.reluish_exponent() > 31 || op.hs_output_exponent() < -31 ||
        op.hs_output_exponent() > 0)
      return check_.fail(Status::kBadQuantParams, "op", i, "reluish_exponent/hs_output_exponent");
    return true;
  }
  static bool same_shape(const fb::Tensor& a, const fb::Tensor& b) {
    return a.height() == b.height() && a.width() == b.width() && a.channels() == b.channels();
  }
  static uint32_t bytes(const fb::Tensor& t) { return t.home()->bytes(); }

  bool kind_params(uint32_t i, const fb::Op& op, const fb::Tensor& in, const fb::Tensor& in2, const fb::Tensor& out) {
    if (op.act_min() > op.act_max()) return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
    switch (op.kind()) {
      case OpKind::Conv2d:
      case OpKind::DepthwiseConv2d: {
        const bool depthwise = op.kind() == OpKind::DepthwiseConv2d;
        if (!window_params(i, op, in, out, true) || !fused_activation(i, op)) return false;
        if (depthwise
                ? (op.depth_multiplier() == 0 || uint32_t{in.channels()} * op.depth_multiplier() != out.channels())
                : op.depth_multiplier() != 1)
          return check_.fail(Status::kShapeMismatch, "op", i, "depth_multiplier");
        const uint64_t weights =
            uint64_t{op.kernel_h()} * op.kernel_w() * out.channels() * (depthwise ? 1 : in.channels());
        return param(i, op.weights(), weights, false, false, "weights") && quant_params(i, op, out.channels());
      }
      case OpKind::FullyConnected:
        if (!no_window(i, op) || !no_padding(i, op) || op.depth_multiplier() != 0 ||
            !no_extras(i, op, false, false, true))
          return false;
        if (op.weights_zero_point() < -128 || op.weights_zero_point() > 127)
          return check_.fail(Status::kBadQuantParams, "op", i, "weights_zero_point");
        if (out.height() != 1 || out.width() != 1) return check_.fail(Status::kShapeMismatch, "op", i, "output shape");
        return param(i, op.weights(), uint64_t{bytes(in)} * out.channels(), false, false, "weights") &&
               quant_params(i, op, out.channels());
      case OpKind::Add: {
        if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || op.depth_multiplier() != 0 ||
            !no_extras(i, op, false, true, false))
          return false;
        if (!same_shape(in, out) || !same_shape(in2, out))
          return check_.fail(Status::kShapeMismatch, "op", i, "inputs");
        const auto* p = op.add_params();
        if (!p || p->size() != 6) return check_.fail(Status::kBadQuantParams, "op", i, "add_params");
        for (uint32_t k = 0; k < 6; k += 2) {
          const bool input_side = k < 4;  // input multipliers are < 1 in TFLite: shifts <= 0
          if (p->Get(k) < 0 || p->Get(k + 1) < -31 || p->Get(k + 1) > (input_side ? 0 : 30))
            return check_.fail(Status::kBadQuantParams, "op", i, "add_params");
        }
        return true;
      }
      case OpKind::AveragePool2d:
      case OpKind::MaxPool2d:
        if (!window_params(i, op, in, out, false) || !no_data(i, op) || !no_extras(i, op, false, false, false) ||
            op.depth_multiplier() != 0)
          return false;
        if (in.channels() != out.channels()) return check_.fail(Status::kShapeMismatch, "op", i, "channels");
        if (in.zero_point() != out.zero_point()) return check_.fail(Status::kBadQuantParams, "op", i, "zero_point");
        return true;
      case OpKind::Pad:
        if (!no_window(i, op) || !no_data(i, op) || !no_extras(i, op, false, false, false) ||
            op.depth_multiplier() != 0)
          return false;
        if (op.act_min() != -128 || op.act_max() != 127)
          return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
        if (out.height() != in.height() + op.pad_top() + op.pad_bottom() ||
            out.width() != in.width() + op.pad_left() + op.pad_right() || out.channels() != in.channels())
          return check_.fail(Status::kShapeMismatch, "op", i, "output shape");
        if (in.zero_point() != out.zero_point()) return check_.fail(Status::kBadQuantParams, "op", i, "zero_point");
        return true;
      case OpKind::Reshape:
        if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || !no_extras(i, op, false, false, false) ||
            op.depth_multiplier() != 0)
          return false;
        if (op.act_min() != -128 || op.act_max() != 127)
          return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
        if (bytes(in) != bytes(out)) return check_.fail(Status::kShapeMismatch, "op", i, "bytes");
        return true;
      case OpKind::Concatenation: return concatenation_params(i, op, out);
      case OpKind::Mul:
      case OpKind::Mean:
      case OpKind::Logistic:
      case OpKind::Softmax:
      case OpKind::HardSwish: return pointwise_params(i, op, in, in2, out);
      default: break;
    }
    return check_.fail(Status::kBadOpKind, "op", i, "kind");
  }

  // Inputs of the output's height and width whose channels add up to its channels, all in its quantization (the
  // kernel copies values: it does not rescale).
  bool concatenation_params(uint32_t i, const fb::Op& op, const fb::Tensor& out) {
    if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || !no_extras(i, op, false, false, false) ||
        op.depth_multiplier() != 0)
      return false;
    uint32_t channels = 0;
    for (uint32_t k = 0; k < op.inputs()->size(); ++k) {
      const fb::Tensor& in = *m_.tensors()->Get(op.inputs()->Get(k));
      if (in.height() != out.height() || in.width() != out.width())
        return check_.fail(Status::kShapeMismatch, "op", i, "inputs (height/width of the output)");
      if (in.zero_point() != out.zero_point() || in.scale_multiplier() != out.scale_multiplier() ||
          in.scale_shift() != out.scale_shift())
        return check_.fail(Status::kBadQuantParams, "op", i, "inputs (the output's scale and zero point)");
      channels += in.channels();
    }
    if (channels != out.channels()) return check_.fail(Status::kShapeMismatch, "op", i, "output channels");
    return true;
  }

  // The ops without a window or weights (mul, mean, logistic, softmax, standalone hard-swish): shapes, the
  // output quantization their kernels assume, and Op.op_params in the ranges the kernels take.
  bool pointwise_params(uint32_t i, const fb::Op& op, const fb::Tensor& in, const fb::Tensor& in2,
                        const fb::Tensor& out) {
    const bool hard_swish = op.kind() == OpKind::HardSwish;
    if (!no_window(i, op) || !no_padding(i, op) || !no_data(i, op) || op.depth_multiplier() != 0 ||
        !no_extras(i, op, hard_swish, false, false))
      return false;
    if (hard_swish) {
      if (op.activation() != fb::FusedActivation::Clamp || op.pre_activation_zero_point() != 0)
        return check_.fail(Status::kBadOpParams, "op", i, "activation/pre_activation_zero_point");
      if (!hard_swish_fields(i, op)) return false;
    }
    const bool mean = op.kind() == OpKind::Mean;
    if (mean ? (out.height() != 1 || out.width() != 1 || out.channels() != in.channels()) : !same_shape(in, out))
      return check_.fail(Status::kShapeMismatch, "op", i, "output shape");
    if (op.kind() == OpKind::Mul && !same_shape(in2, in) &&
        !(in2.height() == 1 && in2.width() == 1 && in2.channels() == in.channels()))
      return check_.fail(Status::kShapeMismatch, "op", i, "inputs (equal shapes or a (1, 1, C) gate)");
    if ((op.kind() == OpKind::Logistic || op.kind() == OpKind::Softmax) && out.zero_point() != -128)
      return check_.fail(Status::kBadQuantParams, "op", i, "output zero_point (expected -128)");
    if (op.kind() != OpKind::Mul && (op.act_min() != -128 || op.act_max() != 127))
      return check_.fail(Status::kBadOpParams, "op", i, "act_min/act_max");
    const auto* p = op.op_params();
    if (!p) return plan::op_param_count(op.kind()) == 0 || check_.fail(Status::kBadQuantParams, "op", i, "op_params");
    // [0] a multiplier (>= 0), [1] its shift: mul and mean right or left, logistic and softmax a left shift.
    const bool left_only = op.kind() == OpKind::Logistic || op.kind() == OpKind::Softmax;
    if (p->Get(0) < 0 || p->Get(1) < (left_only ? 0 : -31) || p->Get(1) > 31)
      return check_.fail(Status::kBadQuantParams, "op", i, "op_params (multiplier/shift)");
    // logistic: the input range radius; softmax: diff_min, a difference of int8 values or below them all.
    if ((op.kind() == OpKind::Logistic && p->Get(2) < 0) || (op.kind() == OpKind::Softmax && p->Get(2) > 0))
      return check_.fail(Status::kBadQuantParams, "op", i, "op_params[2]");
    return true;
  }
};

}  // namespace

bool kind_params_ok(const fb::Model& m, Checker& check, const uint8_t* flash, uint32_t i, const fb::Op& op,
                    const fb::Tensor& in, const fb::Tensor& in2, const fb::Tensor& out) {
  return KindChecks(m, check, flash).kind_params(i, op, in, in2, out);
}

}  // namespace tinyops::rt::loader
