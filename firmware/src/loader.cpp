// The blob loader: the header and CRC, then FlatBuffers' Verifier (every offset and vector inside the
// buffer), then the plan itself: every region resolved through the memory map into an arena or the blob's
// constants, every op's parameters and parts against its shapes, every transfer. A model that loads cannot
// make the executor touch memory outside the blob's constants and the arenas (the fuzz target runs every
// blob it finds loadable to make sure).
#include <string.h>

#include "plan_geometry.hpp"
#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt {
namespace {

bool range_inside(uint64_t offset, uint64_t bytes, uint64_t limit) {
  return offset <= limit && bytes <= limit - offset;
}

// Collects the first error with its location; every check returns false once one has failed.
class Checker {
 public:
  explicit Checker(LoadError* error) : error_(error) {}
  bool fail(Status status, const char* table, uint32_t index, const char* field) {
    if (error_) *error_ = {status, table, index, field};
    status_ = status;
    return false;
  }
  Status status() const { return status_; }

 private:
  LoadError* error_;
  Status status_ = Status::kOk;
};

// The segment of the memory map that holds all of `r` (segments of one memory do not overlap), or null.
const fb::Segment* find_segment(const fb::Model& m, const fb::Region& r) {
  const auto& segs = *m.segments();
  for (uint32_t i = 0; i < segs.size(); ++i) {
    const fb::Segment* s = segs.Get(i);
    if (int32_t{s->memory()} == r.memory() && r.offset() >= s->offset() &&
        range_inside(r.offset() - s->offset(), r.bytes(), s->bytes()))
      return s;
  }
  return nullptr;
}

// Where a region lies: its segment's space and the offset in that space.
struct Placed {
  fb::Space space;
  uint32_t offset;
};

class Loader {
 public:
  Loader(const fb::Model& m, const Arenas& arenas, Checker& check) : m_(m), arenas_(arenas), check_(check) {}

  bool model() {
    if (m_.ops()->size() == 0 || m_.ops()->size() > kMaxOps) return check_.fail(Status::kTooManyOps, "model", 0, "ops");
    if (m_.tensors()->size() == 0) return check_.fail(Status::kBadHeader, "model", 0, "tensors");
    if (m_.input() >= m_.tensors()->size()) return check_.fail(Status::kBadTensorIndex, "model", 0, "input");
    if (m_.output() >= m_.tensors()->size()) return check_.fail(Status::kBadTensorIndex, "model", 0, "output");
    if (m_.dma_streams() == 0 || m_.dma_streams() > kMaxStreams)
      return check_.fail(Status::kBadTransfer, "model", 0, "dma_streams");
    if (m_.memories()->size() > 0x7FFF) return check_.fail(Status::kBadHeader, "model", 0, "memories");
    if (m_.external_arena_bytes() > arenas_.external_bytes ||
        (m_.external_arena_bytes() != 0 && arenas_.external == nullptr))
      return check_.fail(Status::kArenaTooSmall, "model", 0, "external_arena_bytes");
    if (m_.internal_arena_bytes() > arenas_.internal_bytes ||
        (m_.internal_arena_bytes() != 0 && arenas_.internal == nullptr))
      return check_.fail(Status::kArenaTooSmall, "model", 0, "internal_arena_bytes");
    if (reinterpret_cast<uintptr_t>(arenas_.internal) % 4 != 0 ||
        reinterpret_cast<uintptr_t>(arenas_.external) % 4 != 0)
      return check_.fail(Status::kDataMisaligned, "model", 0, "arenas");
    if (m_.constants() && reinterpret_cast<uintptr_t>(m_.constants()->data()) % 4 != 0)
      return check_.fail(Status::kDataMisaligned, "model", 0, "constants");
    return segments() && buffers() && tensors() && transfers() && ops();
  }

  uint32_t part_count() const { return parts_; }

 private:
  uint32_t space_bytes(fb::Space space) const {
    switch (space) {
      case fb::Space::ExternalArena: return m_.external_arena_bytes();
      case fb::Space::InternalArena: return m_.internal_arena_bytes();
      case fb::Space::Constants: return m_.constants() ? m_.constants()->size() : 0;
    }
    return 0;
  }

  bool segments() {
    const auto& segs = *m_.segments();
    for (uint32_t i = 0; i < segs.size(); ++i) {
      const fb::Segment& s = *segs.Get(i);
      if (s.memory() >= m_.memories()->size()) return check_.fail(Status::kBadTensorIndex, "segment", i, "memory");
      if (s.space() > fb::Space::Constants) return check_.fail(Status::kBadHeader, "segment", i, "space");
      if (!range_inside(s.offset(), s.bytes(), m_.memories()->Get(s.memory())->size_bytes()))
        return check_.fail(Status::kTableOutOfBounds, "segment", i, "offset/bytes (outside its memory)");
      if (!range_inside(s.space_offset(), s.bytes(), space_bytes(s.space())))
        return check_.fail(Status::kTableOutOfBounds, "segment", i, "space_offset/bytes (outside its space)");
      for (uint32_t j = 0; j < i; ++j) {
        const fb::Segment& o = *segs.Get(j);
        if (o.memory() == s.memory() && s.bytes() && o.bytes() && s.offset() < uint64_t{o.offset()} + o.bytes() &&
            o.offset() < uint64_t{s.offset()} + s.bytes())
          return check_.fail(Status::kTableOutOfBounds, "segment", i, "offset/bytes (overlaps another segment)");
      }
    }
    return true;
  }

 public:
  // The segment holding all of `r`, or false (absent regions are memory -1 and not placed).
  bool place(const fb::Region& r, Placed& out) const {
    const fb::Segment* s = find_segment(m_, r);
    if (s == nullptr) return false;
    out = Placed{s->space(), s->space_offset() + (r.offset() - s->offset())};
    return true;
  }

 private:
  // A present region inside the memory map; `writable`: not in the blob's constants; `aligned`: 4-byte.
  bool region(const fb::Region* r, bool writable, bool aligned, const char* table, uint32_t i, const char* field,
              Placed* placed = nullptr) {
    Placed p{};
    if (r == nullptr || r->memory() < 0) return check_.fail(Status::kBadRegion, table, i, field);
    if (!place(*r, p)) return check_.fail(Status::kBadRegion, table, i, field);
    if (writable && p.space == fb::Space::Constants) return check_.fail(Status::kBadRegion, table, i, field);
    if (aligned && p.offset % 4 != 0) return check_.fail(Status::kDataMisaligned, table, i, field);
    if (placed) *placed = p;
    return true;
  }
  static bool present(const fb::Region* r) { return r != nullptr && r->memory() >= 0; }

  bool buffers() {
    if (!m_.buffers()) return true;
    for (uint32_t i = 0; i < m_.buffers()->size(); ++i) {
      const fb::Buffer& b = *m_.buffers()->Get(i);
      if (b.kind() > fb::BufferKind::Scratch) return check_.fail(Status::kBadHeader, "buffer", i, "kind");
      if (b.region()->bytes() != 0 && !region(b.region(), true, false, "buffer", i, "region")) return false;
    }
    return true;
  }

  bool tensors() {
    for (uint32_t i = 0; i < m_.tensors()->size(); ++i) {
      const fb::Tensor& t = *m_.tensors()->Get(i);
      if (t.height() == 0 || t.width() == 0 || t.channels() == 0)
        return check_.fail(Status::kBadTensor, "tensor", i, "height/width/channels");
      if (uint64_t{t.height()} * t.width() * t.channels() != t.home()->bytes())
        return check_.fail(Status::kBadTensor, "tensor", i, "home.bytes");
      if (t.zero_point() < -128 || t.zero_point() > 127)
        return check_.fail(Status::kBadTensor, "tensor", i, "zero_point");
      if (t.scale_multiplier() < 0 || t.scale_shift() < -31 || t.scale_shift() > 30)
        return check_.fail(Status::kBadTensor, "tensor", i, "scale_multiplier/scale_shift");
      if (!region(t.home(), true, false, "tensor", i, "home")) return false;
    }
    return true;
  }

  bool transfers() {
    if (!m_.transfers()) return true;
    const auto& ts = *m_.transfers();
    uint32_t total_parts = 0;
    for (uint32_t k = 0; k < m_.ops()->size(); ++k) total_parts += m_.ops()->Get(k)->parts()->size();
    uint64_t previous_issue = 0;
    for (uint32_t i = 0; i < ts.size(); ++i) {
      const fb::Transfer& t = *ts.Get(i);
      if (t.operand() > fb::Operand::Scratch) return check_.fail(Status::kBadTransfer, "transfer", i, "operand");
      if (t.list() > fb::CopyList::CopyOut) return check_.fail(Status::kBadTransfer, "transfer", i, "list");
      if (t.issue() > fb::IssuePoint::AfterCompute) return check_.fail(Status::kBadTransfer, "transfer", i, "issue");
      if (t.stream() >= m_.dma_streams()) return check_.fail(Status::kBadTransfer, "transfer", i, "stream");
      if (t.op() >= m_.ops()->size()) return check_.fail(Status::kBadTransfer, "transfer", i, "op");
      if (t.part() >= total_parts) return check_.fail(Status::kBadTransfer, "transfer", i, "part");
      if (t.issue_part() >= total_parts) return check_.fail(Status::kBadTransfer, "transfer", i, "issue_part");
      // The executor walks the transfers once, in order: (issue_part, issue) must not go back.
      const uint64_t issue = uint64_t{t.issue_part()} * 3 + static_cast<uint8_t>(t.issue());
      if (issue < previous_issue)
        return check_.fail(Status::kBadTransfer, "transfer", i, "issue_part/issue (out of order)");
      previous_issue = issue;
      const uint32_t waits = m_.transfer_waits() ? m_.transfer_waits()->size() : 0;
      if (t.wait_count() && !range_inside(t.wait_first(), t.wait_count(), waits))
        return check_.fail(Status::kBadTransfer, "transfer", i, "wait_first/wait_count");
      for (uint32_t w = 0; w < t.wait_count(); ++w) {
        if (m_.transfer_waits()->Get(t.wait_first() + w) >= i)
          return check_.fail(Status::kBadTransfer, "transfer", i, "transfer_waits (not an earlier transfer)");
      }
      if (t.buffer() < -1 || (t.buffer() >= 0 && (!m_.buffers() || uint32_t(t.buffer()) >= m_.buffers()->size())))
        return check_.fail(Status::kBadTransfer, "transfer", i, "buffer");
      if (t.src().bytes() != t.dst().bytes() || t.src().bytes() == 0)
        return check_.fail(Status::kBadTransfer, "transfer", i, "src.bytes/dst.bytes");
      Placed s{}, d{};
      if (!region(&t.src(), false, false, "transfer", i, "src", &s) ||
          !region(&t.dst(), true, false, "transfer", i, "dst", &d))
        return false;
      if (s.space == d.space && s.offset < uint64_t{d.offset} + t.dst().bytes() &&
          d.offset < uint64_t{s.offset} + t.src().bytes())
        return check_.fail(Status::kBadTransfer, "transfer", i, "src/dst (overlap)");
    }
    return true;
  }

  bool tensor_index(uint32_t i, uint32_t index, const char* field) {
    if (index >= m_.tensors()->size()) return check_.fail(Status::kBadTensorIndex, "op", i, field);
    return true;
  }

  // A constant param's home: in the blob's constants, of the expected size, 4-byte aligned for int32 arrays.
  bool param(uint32_t i, const fb::Region* r, uint64_t expected, bool optional, bool aligned, const char* field) {
    if (!present(r)) {
      if (optional || expected == 0) return true;
      return check_.fail(Status::kDataSizeMismatch, "op", i, field);
    }
    Placed p{};
    if (!region(r, false, aligned, "op", i, field, &p)) return false;
    if (p.space != fb::Space::Constants) return check_.fail(Status::kBadRegion, "op", i, field);
    if (r->bytes() != expected) return check_.fail(Status::kDataSizeMismatch, "op", i, field);
    return true;
  }

  bool quant_params(uint32_t i, const fb::Op& op, uint32_t channels) {
    if (!param(i, op.bias(), 4ull * channels, true, true, "bias")) return false;
    if (op.quant() && plan::per_tensor_quant(op, *op.quant())) channels = 1;
    if (!param(i, op.quant(), 8ull * channels, false, true, "quant")) return false;
    Placed p{};
    place(*op.quant(), p);
    const uint8_t* q = m_.constants()->data() + p.offset;
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
      case OpKind::Mul:
      case OpKind::Mean:
      case OpKind::Logistic:
      case OpKind::Softmax:
      case OpKind::HardSwish: return pointwise_params(i, op, in, in2, out);
      default: break;
    }
    return check_.fail(Status::kBadOpKind, "op", i, "kind");
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

  bool ops() {
    for (uint32_t i = 0; i < m_.ops()->size(); ++i) {
      if (!op(i)) return false;
    }
    return true;
  }

  bool op(uint32_t i) {
    const fb::Op& op = *m_.ops()->Get(i);
    if (op.kind() == OpKind::Invalid || op.kind() > OpKind::MAX)
      return check_.fail(Status::kBadOpKind, "op", i, "kind");
    if ((op.op_params() ? op.op_params()->size() : 0) != (op.op_params() ? plan::op_param_count(op.kind()) : 0))
      return check_.fail(Status::kBadQuantParams, "op", i, "op_params");
    if (op.partitioning() > fb::Partitioning::OutputChannels)
      return check_.fail(Status::kBadOpParams, "op", i, "partitioning");
    const uint32_t inputs = static_cast<uint32_t>(plan::input_count(op.kind()));
    if (op.inputs()->size() != inputs) return check_.fail(Status::kBadTensorIndex, "op", i, "inputs");
    for (uint32_t k = 0; k < inputs; ++k) {
      if (!tensor_index(i, op.inputs()->Get(k), "inputs")) return false;
    }
    if (!tensor_index(i, op.output(), "output")) return false;
    const fb::Tensor& in = *m_.tensors()->Get(op.inputs()->Get(0));
    const fb::Tensor& in2 = *m_.tensors()->Get(op.inputs()->Get(inputs - 1));
    const fb::Tensor& out = *m_.tensors()->Get(op.output());
    return kind_params(i, op, in, in2, out) && parts(i, op, in, in2, out);
  }

  // Every region a part's kernel touches holds what it reads or writes there.
  bool part_regions(uint32_t g, const fb::Op& op, const fb::Part& part, const fb::Tensor& in, const fb::Tensor& in2,
                    const fb::Tensor& out) {
    const auto& at = *part.at();
    if (at.size() != kOperandCount) return check_.fail(Status::kBadPartition, "part", g, "at");
    const uint32_t rows_in = part.in_row_end() - part.in_row_begin();
    const fb::Tensor* inputs[2] = {&in, &in2};
    for (int k = 0; k < plan::input_count(op.kind()); ++k) {
      const fb::Region* r = at.Get(k);  // Operand::Input, Operand::Input2
      const char* field = k == 0 ? "at[input]" : "at[input2]";
      if (!region(r, false, false, "part", g, field)) return false;
      const uint32_t rows = plan::broadcast_gate(op, k, *inputs[k], out) ? inputs[k]->height() : rows_in;
      if (r->bytes() < uint64_t{rows} * plan::row_bytes(*inputs[k]))
        return check_.fail(Status::kOverlayTooSmall, "part", g, field);
    }
    const fb::Region* o = at.Get(static_cast<uint32_t>(Operand::Output));
    if (!region(o, true, false, "part", g, "at[output]")) return false;
    if (o->bytes() < uint64_t{uint32_t(part.out_row_end() - part.out_row_begin())} * plan::row_bytes(out))
      return check_.fail(Status::kOverlayTooSmall, "part", g, "at[output]");
    if (!plan::has_weights(op.kind())) return true;
    const uint32_t channels = part.channel_end() - part.channel_begin();
    const uint32_t per_channel = plan::filter_bytes(op, in);
    const fb::Region* w = at.Get(static_cast<uint32_t>(Operand::Weights));
    if (!region(w, false, false, "part", g, "at[weights]")) return false;
    if (w->bytes() < (per_channel ? uint64_t{per_channel} * channels : op.weights()->bytes()))
      return check_.fail(Status::kOverlayTooSmall, "part", g, "at[weights]");
    // Bias and quant regions hold every channel (quant: multipliers then shifts); the kernel reads from
    // channel_begin on.
    const fb::Region* b = at.Get(static_cast<uint32_t>(Operand::Bias));
    if (present(op.bias()) || present(b)) {
      if (!region(b, false, true, "part", g, "at[bias]")) return false;
      if (b->bytes() != 4ull * out.channels()) return check_.fail(Status::kOverlayTooSmall, "part", g, "at[bias]");
    }
    const fb::Region* q = at.Get(static_cast<uint32_t>(Operand::Quant));
    if (!region(q, false, true, "part", g, "at[quant]")) return false;
    if (q->bytes() != (plan::per_tensor_quant(op, *op.quant()) ? 8ull : 8ull * out.channels()))
      return check_.fail(Status::kOverlayTooSmall, "part", g, "at[quant]");
    return true;
  }

  bool parts(uint32_t i, const fb::Op& op, const fb::Tensor& in, const fb::Tensor& in2, const fb::Tensor& out) {
    const auto& ps = *op.parts();
    if (ps.size() == 0) return check_.fail(Status::kBadPartition, "op", i, "parts");
    if (op.first_part() != parts_) return check_.fail(Status::kBadPartition, "op", i, "first_part");
    if (op.partitioning() == fb::Partitioning::None && ps.size() != 1)
      return check_.fail(Status::kBadPartition, "op", i, "partitioning");
    if (op.partitioning() == fb::Partitioning::Rows && plan::reads_whole_input(op.kind()))
      return check_.fail(Status::kBadPartition, "op", i, "partitioning");
    if (op.partitioning() == fb::Partitioning::OutputChannels && op.kind() != OpKind::Conv2d &&
        op.kind() != OpKind::FullyConnected)
      return check_.fail(Status::kBadPartition, "op", i, "partitioning");
    const bool whole_rows = plan::reads_whole_input(op.kind());
    uint64_t covered = 0;
    for (uint32_t p = 0; p < ps.size(); ++p) {
      const uint32_t g = parts_ + p;
      const fb::Part& part = *ps.Get(p);
      if (part.out_row_begin() >= part.out_row_end() || part.out_row_end() > out.height())
        return check_.fail(Status::kBadPartition, "part", g, "out_row_begin/out_row_end");
      if (part.channel_begin() >= part.channel_end() || part.channel_end() > out.channels())
        return check_.fail(Status::kBadPartition, "part", g, "channel_begin/channel_end");
      if (part.in_row_begin() > part.in_row_end() || part.in_row_end() > in.height())
        return check_.fail(Status::kBadPartition, "part", g, "in_row_begin/in_row_end");
      if (op.partitioning() != fb::Partitioning::OutputChannels &&
          (part.channel_begin() != 0 || part.channel_end() != out.channels()))
        return check_.fail(Status::kBadPartition, "part", g, "channel_begin/channel_end");
      if ((op.partitioning() == fb::Partitioning::OutputChannels || whole_rows) &&
          (part.out_row_begin() != 0 || part.out_row_end() != out.height()))
        return check_.fail(Status::kBadPartition, "part", g, "out_row_begin/out_row_end");
      const plan::RowRange need =
          whole_rows ? plan::RowRange{0, in.height()}
                     : plan::needed_input_rows(op, in.height(), part.out_row_begin(), part.out_row_end());
      if (need.begin < need.end && (part.in_row_begin() > need.begin || part.in_row_end() < need.end))
        return check_.fail(Status::kBadPartition, "part", g, "in_row_begin/in_row_end (halo)");
      for (uint32_t q = 0; q < p; ++q) {
        const fb::Part& other = *ps.Get(q);
        if (part.out_row_begin() < other.out_row_end() && other.out_row_begin() < part.out_row_end() &&
            part.channel_begin() < other.channel_end() && other.channel_begin() < part.channel_end())
          return check_.fail(Status::kBadPartition, "part", g, "overlaps another part");
      }
      covered += uint64_t(part.out_row_end() - part.out_row_begin()) * (part.channel_end() - part.channel_begin());
      if (!part_regions(g, op, part, in, in2, out)) return false;
      if (part.waits()) {
        // A part waits only for transfers issued by the time it waits (at or before its own Due point).
        for (uint32_t w = 0; w < part.waits()->size(); ++w) {
          const uint32_t t = part.waits()->Get(w);
          if (!m_.transfers() || t >= m_.transfers()->size())
            return check_.fail(Status::kBadTransfer, "part", g, "waits");
          const fb::Transfer& x = *m_.transfers()->Get(t);
          if (x.issue_part() > g || (x.issue_part() == g && x.issue() != fb::IssuePoint::Due))
            return check_.fail(Status::kBadTransfer, "part", g, "waits (a transfer not issued yet)");
        }
      }
    }
    if (covered != uint64_t{out.height()} * out.channels())
      return check_.fail(Status::kBadPartition, "op", i, "parts do not cover the output");
    parts_ += ps.size();
    return true;
  }

  const fb::Model& m_;
  const Arenas& arenas_;
  Checker& check_;
  uint32_t parts_ = 0;
};

bool header_ok(const uint8_t* blob, uint32_t blob_bytes, BlobHeader& h, Checker& check) {
  if (blob == nullptr || reinterpret_cast<uintptr_t>(blob) % 4 != 0)
    return check.fail(Status::kBlobNull, "header", 0, "blob");
  if (blob_bytes < 8) return check.fail(Status::kBlobTooSmall, "header", 0, "total_bytes");
  memcpy(&h, blob, 8);  // magic and version first: a v1 blob's header is laid out differently after them
  if (h.magic != kBlobMagic) return check.fail(Status::kBadMagic, "header", 0, "magic");
  if (h.version == kBlobVersionV1) return check.fail(Status::kBlobV1, "header", 0, "version (blob v1, recompile)");
  if (h.version != kBlobVersion) return check.fail(Status::kUnsupportedVersion, "header", 0, "version");
  if (blob_bytes < sizeof(BlobHeader)) return check.fail(Status::kBlobTooSmall, "header", 0, "total_bytes");
  memcpy(&h, blob, sizeof h);
  if (h.header_bytes != sizeof(BlobHeader)) return check.fail(Status::kBadHeader, "header", 0, "header_bytes");
  if (h.total_bytes < sizeof(BlobHeader) + 8 || h.total_bytes > blob_bytes)
    return check.fail(Status::kBlobTooSmall, "header", 0, "total_bytes");
  if (crc32(blob + sizeof(BlobHeader), h.total_bytes - sizeof(BlobHeader)) != h.crc32)
    return check.fail(Status::kCrcMismatch, "header", 0, "crc32");
  return true;
}

}  // namespace

uint8_t* Model::address(const fb::Region& r) const {
  const fb::Segment* s = r.memory() < 0 ? nullptr : find_segment(*root_, r);
  if (s == nullptr) return nullptr;
  const uint32_t at = s->space_offset() + (r.offset() - s->offset());
  switch (s->space()) {
    case fb::Space::ExternalArena: return arenas_.external + at;
    case fb::Space::InternalArena: return arenas_.internal + at;
    case fb::Space::Constants: return const_cast<uint8_t*>(constants_) + at;  // read only: the loader checked
  }
  return nullptr;
}

namespace {

// Header, CRC, identifier and the FlatBuffers Verifier: after this the FlatBuffer's fields may be read.
const fb::Model* verified_root(const uint8_t* blob, uint32_t blob_bytes, Checker& check) {
  BlobHeader h{};
  if (!header_ok(blob, blob_bytes, h, check)) return nullptr;
  const uint8_t* body = blob + sizeof(BlobHeader);
  const size_t body_bytes = h.total_bytes - sizeof(BlobHeader);
  if (!fb::ModelBufferHasIdentifier(body)) {
    check.fail(Status::kBadFlatBuffer, "header", 0, "file_identifier");
    return nullptr;
  }
  // Depth and table limits far above any plan (a model has <= 256 ops), so that a crafted blob cannot make
  // verification itself slow.
  flatbuffers::Verifier verifier(body, body_bytes, 16, 1u << 20);
  if (!fb::VerifyModelBuffer(verifier)) {
    check.fail(Status::kBadFlatBuffer, "model", 0, "FlatBuffer (Verifier)");
    return nullptr;
  }
  return fb::GetModel(body);
}

}  // namespace

Status blob_arena_bytes(const uint8_t* blob, uint32_t blob_bytes, uint32_t* external_bytes, uint32_t* internal_bytes,
                        LoadError* error) {
  if (error) *error = {Status::kOk, "", 0, ""};
  Checker check(error);
  const fb::Model* root = verified_root(blob, blob_bytes, check);
  if (root == nullptr) return check.status();
  *external_bytes = root->external_arena_bytes();
  *internal_bytes = root->internal_arena_bytes();
  return Status::kOk;
}

Status load_model(const uint8_t* blob, uint32_t blob_bytes, const Arenas& arenas, Model* model, LoadError* error) {
  if (error) *error = {Status::kOk, "", 0, ""};
  if (model) *model = Model{};
  Checker check(error);
  const fb::Model* root = verified_root(blob, blob_bytes, check);
  if (root == nullptr) return check.status();
  Loader loader(*root, arenas, check);
  if (!loader.model()) return check.status();
  Model candidate;
  candidate.root_ = root;
  candidate.constants_ = root->constants() ? root->constants()->data() : nullptr;
  candidate.arenas_ = arenas;
  candidate.part_count_ = loader.part_count();
  candidate.loaded_ = true;
  if (model) *model = candidate;
  return Status::kOk;
}

}  // namespace tinyops::rt
