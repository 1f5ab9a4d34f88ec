#include "blob_builder.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt::test {

uint16_t BlobBuilder::add_tensor(int h, int w, int c, MemoryKind memory, uint32_t offset, int32_t zero_point) {
  TensorRecord t{};
  t.height = static_cast<uint16_t>(h), t.width = static_cast<uint16_t>(w), t.channels = static_cast<uint16_t>(c);
  t.memory = static_cast<uint8_t>(memory);
  t.offset = offset;
  t.bytes = static_cast<uint32_t>(h * w * c);
  t.zero_point = zero_point;
  t.scale_multiplier = 1 << 30;
  tensors_.push_back(t);
  return static_cast<uint16_t>(tensors_.size() - 1);
}

DataRef BlobBuilder::add_data(const void* bytes, uint32_t count) {
  while (data_.size() % kDataAlignment) data_.push_back(0);
  const DataRef ref{static_cast<uint32_t>(data_.size()), count};
  data_.insert(data_.end(), static_cast<const uint8_t*>(bytes), static_cast<const uint8_t*>(bytes) + count);
  return ref;
}

void BlobBuilder::add_op(OpRecord op, const std::vector<PartRecord>& parts) {
  op.part_first = static_cast<uint32_t>(parts_.size());
  op.part_count = static_cast<uint32_t>(parts.size());
  parts_.insert(parts_.end(), parts.begin(), parts.end());
  ops_.push_back(op);
}

std::vector<uint8_t> BlobBuilder::build() const {
  BlobHeader h{};
  h.magic = kBlobMagic;
  h.version = kBlobVersion;
  h.header_bytes = sizeof(BlobHeader);
  h.tensor_table_offset = sizeof(BlobHeader);
  h.tensor_count = static_cast<uint16_t>(tensors_.size());
  h.op_count = static_cast<uint16_t>(ops_.size());
  h.op_table_offset = h.tensor_table_offset + static_cast<uint32_t>(tensors_.size() * sizeof(TensorRecord));
  h.part_table_offset = h.op_table_offset + static_cast<uint32_t>(ops_.size() * sizeof(OpRecord));
  h.part_count = static_cast<uint32_t>(parts_.size());
  h.data_offset = h.part_table_offset + static_cast<uint32_t>(parts_.size() * sizeof(PartRecord));
  h.data_bytes = static_cast<uint32_t>(data_.size());
  h.total_bytes = h.data_offset + h.data_bytes;
  h.external_arena_bytes = external_;
  h.internal_arena_bytes = internal_;
  h.input_tensor = input_;
  h.output_tensor = output_;
  std::vector<uint8_t> blob(h.total_bytes);
  auto put = [&blob](uint32_t at, const void* src, size_t n) { if (n) std::memcpy(blob.data() + at, src, n); };
  put(0, &h, sizeof h);
  put(h.tensor_table_offset, tensors_.data(), tensors_.size() * sizeof(TensorRecord));
  put(h.op_table_offset, ops_.data(), ops_.size() * sizeof(OpRecord));
  put(h.part_table_offset, parts_.data(), parts_.size() * sizeof(PartRecord));
  put(h.data_offset, data_.data(), data_.size());
  refresh_crc(blob);
  return blob;
}

void refresh_crc(std::vector<uint8_t>& blob) {
  uint32_t total;
  std::memcpy(&total, blob.data() + 8, 4);
  total = std::min<uint32_t>(total, static_cast<uint32_t>(blob.size()));
  const uint32_t crc = total > 16 ? crc32(blob.data() + 16, total - 16) : 0;
  std::memcpy(blob.data() + 12, &crc, 4);
}

namespace {

struct Net {
  BlobBuilder b;
  std::mt19937 rng;
  bool partitioned;
  int parts;
  uint32_t external_used = 0, internal_used = 0;

  uint16_t tensor(int h, int w, int c) {
    const int32_t zp = std::uniform_int_distribution<int>(-128, 127)(rng);
    const uint16_t t = b.add_tensor(h, w, c, MemoryKind::kExternal, external_used, zp);
    external_used += static_cast<uint32_t>((h * w * c + 3) & ~3);
    return t;
  }
  ArenaRef internal(uint32_t bytes) {
    const ArenaRef r{internal_used, bytes};
    internal_used += (bytes + 31) & ~31u;
    return r;
  }
  std::vector<int8_t> bytes(size_t n, int lo, int hi) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(d(rng));
    return v;
  }
  void channel_data(OpRecord& op, uint32_t weights, int channels) {
    op.weights = b.add_array(bytes(weights, -127, 127));
    std::vector<int32_t> bias(channels), mult(channels), shift(channels);
    for (int c = 0; c < channels; ++c) {
      bias[c] = std::uniform_int_distribution<int32_t>(-3000, 3000)(rng);
      mult[c] = std::uniform_int_distribution<int32_t>(1 << 30, INT32_MAX)(rng);
      shift[c] = std::uniform_int_distribution<int32_t>(-9, -6)(rng);
    }
    op.bias = b.add_array(bias), op.multipliers = b.add_array(mult), op.shifts = b.add_array(shift);
  }

  // Row parts of an op: output rows dealt into `parts` contiguous ranges, input rows with their halo.
  std::vector<PartRecord> row_parts(const OpRecord& op, int in_h, int out_h, int channels, uint32_t in_row_bytes,
                                    uint32_t in2_row_bytes, uint32_t& max_fill) {
    std::vector<PartRecord> ps;
    for (int p = 0; p < parts; ++p) {
      const int r0 = out_h * p / parts, r1 = out_h * (p + 1) / parts;
      if (r0 == r1) continue;
      int lo = r0, hi = r1;
      if (op.kind == 1 || op.kind == 2 || op.kind == 4) {
        const int dil = op.kind == 4 ? 1 : op.dilation_h;
        lo = r0 * op.stride_h - op.pad_top, hi = (r1 - 1) * op.stride_h - op.pad_top + (op.kernel_h - 1) * dil + 1;
      } else if (op.kind == 6) {
        lo = r0 - op.pad_top, hi = r1 - op.pad_top;
      }
      lo = std::clamp(lo, 0, in_h - 1), hi = std::clamp(hi, lo + 1, in_h);
      ps.push_back(PartRecord{static_cast<uint16_t>(lo), static_cast<uint16_t>(hi), static_cast<uint16_t>(r0),
                              static_cast<uint16_t>(r1), 0, static_cast<uint16_t>(channels), 0});
      max_fill = std::max(max_fill, ((hi - lo) * in_row_bytes + 3) / 4 * 4 + (hi - lo) * in2_row_bytes);
    }
    return ps;
  }

  void add(OpRecord op, int in_h, int out_h, int channels, uint32_t in_row_bytes, uint32_t in2_row_bytes,
           uint32_t weight_slice_bytes, bool by_channels) {
    if (!partitioned) {
      b.add_op(op, {PartRecord{0, static_cast<uint16_t>(in_h), 0, static_cast<uint16_t>(out_h), 0,
                               static_cast<uint16_t>(channels), 0}});
      return;
    }
    std::vector<PartRecord> ps;
    uint32_t max_fill = 0;
    if (by_channels) {
      op.strategy = static_cast<uint8_t>(Strategy::kChannels);
      for (int p = 0; p < parts; ++p) {
        const int c0 = channels * p / parts, c1 = channels * (p + 1) / parts;
        if (c0 < c1) ps.push_back(PartRecord{0, static_cast<uint16_t>(in_h), 0, static_cast<uint16_t>(out_h),
                                             static_cast<uint16_t>(c0), static_cast<uint16_t>(c1), 0});
      }
      weight_slice_bytes = weight_slice_bytes * ((channels + parts - 1) / parts) + 3 * 4 * ((channels + parts - 1) / parts) + 16;
    } else {
      op.strategy = static_cast<uint8_t>(Strategy::kRows);
      ps = row_parts(op, in_h, out_h, channels, in_row_bytes, in2_row_bytes, max_fill);
      op.input_overlays[0] = internal(max_fill), op.input_overlays[1] = internal(max_fill);
      weight_slice_bytes += 3 * 4 * channels + 16;
    }
    if (op.weights.bytes) {
      op.flags |= kFlagCopyWeights;
      op.weight_overlays[0] = internal(weight_slice_bytes), op.weight_overlays[1] = internal(weight_slice_bytes);
    }
    b.add_op(op, ps);
  }
};

OpRecord base_op(OpKind kind, uint16_t in, uint16_t out) {
  OpRecord op{};
  op.kind = static_cast<uint8_t>(kind);
  op.inputs[0] = in, op.inputs[1] = kNoTensor, op.output = out;
  op.act_min = -128, op.act_max = 127;
  return op;
}

OpRecord window_op(OpKind kind, uint16_t in, uint16_t out, int k, int stride, int pad_top, int pad_bottom) {
  OpRecord op = base_op(kind, in, out);
  op.kernel_h = op.kernel_w = static_cast<uint8_t>(k);
  op.stride_h = op.stride_w = static_cast<uint8_t>(stride);
  if (kind != OpKind::kAveragePool2d) op.dilation_h = op.dilation_w = 1;
  op.pad_top = op.pad_left = static_cast<uint16_t>(pad_top);
  op.pad_bottom = op.pad_right = static_cast<uint16_t>(pad_bottom);
  op.depth_multiplier = kind == OpKind::kAveragePool2d ? 0 : 1;
  return op;
}

}  // namespace

TestNetwork build_test_network(uint32_t seed, bool partitioned, int parts) {
  Net n{BlobBuilder{}, std::mt19937(seed), partitioned, parts};
  const uint16_t x = n.tensor(16, 16, 3);
  const uint16_t c1 = n.tensor(8, 8, 8);   // conv 3x3 / 2, SAME: pads 0 top, 1 bottom
  const uint16_t q1 = n.tensor(8, 8, 8);   // conv 1x1 on c1 (a branch, so that the next op can prefetch)
  const uint16_t d1 = n.tensor(8, 8, 8);   // depthwise 3x3 / 1, pads 1
  const uint16_t p1 = n.tensor(8, 8, 8);   // conv 1x1
  const uint16_t a1 = n.tensor(8, 8, 8);   // add(q1, p1)
  const uint16_t pd = n.tensor(10, 10, 8); // pad 1 all round
  const uint16_t ap = n.tensor(5, 5, 8);   // average pool 2x2 / 2
  const uint16_t rs = n.tensor(1, 1, 200); // reshape
  const uint16_t fc = n.tensor(1, 1, 10);  // fully connected
  n.b.tensors()[pd].zero_point = n.b.tensors()[a1].zero_point;
  n.b.tensors()[ap].zero_point = n.b.tensors()[pd].zero_point;
  n.b.tensors()[rs].zero_point = n.b.tensors()[ap].zero_point;

  OpRecord conv = window_op(OpKind::kConv2d, x, c1, 3, 2, 0, 1);
  conv.act_min = 0;  // a fused ReLU
  n.channel_data(conv, 8 * 27, 8);
  n.add(conv, 16, 8, 8, 16 * 3, 0, 27 * 8, false);
  OpRecord branch = window_op(OpKind::kConv2d, c1, q1, 1, 1, 0, 0);
  n.channel_data(branch, 8 * 8, 8);
  n.add(branch, 8, 8, 8, 8 * 8, 0, 8, true);
  OpRecord dw = window_op(OpKind::kDepthwiseConv2d, c1, d1, 3, 1, 1, 1);
  n.channel_data(dw, 9 * 8, 8);
  n.add(dw, 8, 8, 8, 8 * 8, 0, 9 * 8, false);
  OpRecord pw = window_op(OpKind::kConv2d, d1, p1, 1, 1, 0, 0);
  n.channel_data(pw, 8 * 8, 8);
  n.add(pw, 8, 8, 8, 8 * 8, 0, 8, true);
  OpRecord add = base_op(OpKind::kAdd, q1, a1);
  add.inputs[1] = p1;
  const int32_t add_params[6] = {1 << 30, -1, 1 << 30, -2, 1 << 30, -19};
  std::memcpy(add.params, add_params, sizeof add_params);
  n.add(add, 8, 8, 8, 8 * 8, 8 * 8, 0, false);
  OpRecord pad = base_op(OpKind::kPad, a1, pd);
  pad.pad_top = pad.pad_left = pad.pad_bottom = pad.pad_right = 1;
  n.add(pad, 8, 10, 8, 8 * 8, 0, 0, false);
  OpRecord pool = window_op(OpKind::kAveragePool2d, pd, ap, 2, 2, 0, 0);
  n.add(pool, 10, 5, 8, 10 * 8, 0, 0, false);
  n.b.add_op(base_op(OpKind::kReshape, ap, rs), {PartRecord{0, 5, 0, 1, 0, 200, 0}});
  OpRecord dense = base_op(OpKind::kFullyConnected, rs, fc);
  dense.params[0] = 0;
  n.channel_data(dense, 200 * 10, 10);
  n.add(dense, 1, 1, 10, 200, 0, 200, true);

  if (partitioned) {  // prefetch where the next op's input is not this op's output
    auto& ops = n.b.ops();
    for (size_t i = 0; i + 1 < ops.size(); ++i) {
      const OpRecord& next = ops[i + 1];
      const bool reads_output = next.inputs[0] == ops[i].output || next.inputs[1] == ops[i].output;
      if (ops[i].strategy != 0 && next.input_overlays[0].bytes != 0 && !reads_output) ops[i].flags |= kFlagPrefetchNext;
    }
  }
  n.b.set_io(x, fc);
  n.b.set_arenas(n.external_used, n.internal_used);
  return TestNetwork{n.b.build(), n.external_used, n.internal_used};
}

}  // namespace tinyops::rt::test
