#include "blob_builder.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt::test {
namespace {

bool windowed(OpKind kind) {
  return kind == OpKind::Conv2d || kind == OpKind::DepthwiseConv2d || kind == OpKind::AveragePool2d ||
         kind == OpKind::MaxPool2d;
}
bool pool(OpKind kind) { return kind == OpKind::AveragePool2d || kind == OpKind::MaxPool2d; }

bool overlaps(const fb::Region& a, const fb::Region& b) {
  return a.memory() == b.memory() && a.bytes() && b.bytes() && a.offset() < b.offset() + b.bytes() &&
         b.offset() < a.offset() + a.bytes();
}

struct Scheduled {
  Copy copy;
  fb::CopyList list;
  fb::IssuePoint issue;
  uint16_t op;
  uint32_t part, issue_part;
  std::vector<uint32_t> waits;
};

// The transfers in the executor's issue order and each part's waits, by the rules the compiler uses
// (tinyops/compiler/_blob.py, _schedule).
void schedule(const Plan& plan, std::vector<Scheduled>& out, std::vector<std::vector<uint32_t>>& part_waits) {
  struct Ref {
    uint16_t op;
    const PlanPart* part;
  };
  std::vector<Ref> parts;
  for (size_t k = 0; k < plan.ops.size(); ++k)
    for (const PlanPart& p : plan.ops[k].parts) parts.push_back({uint16_t(k), &p});
  auto add = [&](uint32_t g, uint32_t issue_part, fb::IssuePoint issue, const std::vector<Copy>& list,
                 fb::CopyList code) {
    for (const Copy& c : list) out.push_back({c, code, issue, parts[g].op, g, issue_part, {}});
  };
  for (uint32_t g = 0; g < parts.size(); ++g) {
    const PlanPart& p = *parts[g].part;
    if (!(p.copy_ahead && g > 0)) add(g, g, fb::IssuePoint::Due, p.copy_in, fb::CopyList::CopyIn);
    add(g, g, fb::IssuePoint::Due, p.copy_when_due, fb::CopyList::CopyWhenDue);
    if (g + 1 < parts.size() && parts[g + 1].part->copy_ahead)
      add(g + 1, g, fb::IssuePoint::Ahead, parts[g + 1].part->copy_in, fb::CopyList::CopyIn);
    add(g, g, fb::IssuePoint::AfterCompute, p.copy_out, fb::CopyList::CopyOut);
  }
  std::vector<uint32_t> pending;  // output copies not yet waited for
  auto take = [&pending](auto&& match) {
    std::vector<uint32_t> hit;
    for (uint32_t j : pending)
      if (match(j)) hit.push_back(j);
    pending.erase(std::remove_if(pending.begin(), pending.end(), match), pending.end());
    return hit;
  };
  auto issue = [&](uint32_t g, fb::IssuePoint point) {
    for (uint32_t i = 0; i < out.size(); ++i) {
      Scheduled& t = out[i];
      if (t.issue_part != g || t.issue != point || t.list == fb::CopyList::CopyOut) continue;
      t.waits = take(
          [&](uint32_t j) { return overlaps(out[j].copy.src, t.copy.dst) || overlaps(out[j].copy.dst, t.copy.src); });
    }
  };
  part_waits.assign(parts.size(), {});
  for (uint32_t g = 0; g < parts.size(); ++g) {
    issue(g, fb::IssuePoint::Due);
    const PlanOp& op = plan.ops[parts[g].op];
    std::vector<uint32_t>& w = part_waits[g];
    for (uint32_t i = 0; i < out.size(); ++i)
      if (out[i].part == g && out[i].list != fb::CopyList::CopyOut) w.push_back(i);
    const fb::Region& at_out = parts[g].part->at[size_t(Operand::Output)];
    auto feeds = take([&](uint32_t j) {
      for (uint16_t x : op.inputs)
        if (overlaps(out[j].copy.dst, plan.tensors[x].home)) return true;
      return !parts[g].part->copy_out.empty() && overlaps(out[j].copy.src, at_out);
    });
    w.insert(w.end(), feeds.begin(), feeds.end());
    std::sort(w.begin(), w.end());
    issue(g, fb::IssuePoint::Ahead);
    for (uint32_t i = 0; i < out.size(); ++i)
      if (out[i].issue_part == g && out[i].list == fb::CopyList::CopyOut) pending.push_back(i);
  }
}

}  // namespace

std::vector<uint8_t> build(const Plan& plan) {
  flatbuffers::FlatBufferBuilder b(4096);
  std::vector<Scheduled> transfers;
  std::vector<std::vector<uint32_t>> part_waits;
  schedule(plan, transfers, part_waits);

  const std::vector<uint8_t> no_constants;
  const std::vector<uint8_t>& in_blob = plan.constants_in_flash ? no_constants : plan.constants;
  b.ForceVectorAlignment(in_blob.size(), 1, 16);
  const auto constants = b.CreateVector(in_blob);
  const uint32_t external_memory = plan.constants_base + uint32_t(plan.constants.size());
  const std::vector<flatbuffers::Offset<fb::Memory>> memories = {
      fb::CreateMemory(b, b.CreateString("sram"), std::max<uint32_t>(plan.internal_bytes, 1)),
      fb::CreateMemory(b, b.CreateString("external"), external_memory)};
  const std::vector<fb::Segment> segments = {
      fb::Segment(kSram, fb::Space::InternalArena, 0, plan.internal_bytes, 0),
      fb::Segment(kExternal, fb::Space::ExternalArena, 0, plan.external_bytes, 0),
      fb::Segment(kExternal, plan.constants_in_flash ? fb::Space::InternalFlash : fb::Space::Constants,
                  plan.constants_base, uint32_t(plan.constants.size()), 0)};
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (const PlanBuffer& buf : plan.buffers)
    buffers.push_back(fb::CreateBuffer(b, b.CreateString(buf.name), buf.kind, &buf.region));
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const PlanTensor& t : plan.tensors)
    tensors.push_back(
        fb::CreateTensor(b, uint16_t(t.h), uint16_t(t.w), uint16_t(t.c), &t.home, t.zero_point, 1 << 30, 0));
  std::vector<fb::Transfer> fb_transfers;
  std::vector<uint32_t> waits;
  for (const Scheduled& t : transfers) {
    // Streams: inputs on one, everything else on the other (as a two-stream board would give them).
    const uint8_t stream = plan.streams > 1 && t.copy.operand != Operand::Input ? 1 : 0;
    fb_transfers.emplace_back(t.copy.operand, t.list, t.issue, stream, t.copy.buffer, t.op, t.part, t.issue_part,
                              uint32_t(waits.size()), uint16_t(t.waits.size()), t.copy.src, t.copy.dst);
    waits.insert(waits.end(), t.waits.begin(), t.waits.end());
  }
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  uint32_t g = 0;
  for (const PlanOp& op : plan.ops) {
    std::vector<flatbuffers::Offset<fb::Part>> parts;
    const uint32_t first = g;
    for (const PlanPart& p : op.parts) {
      const std::vector<fb::Region> at(p.at.begin(), p.at.end());
      parts.push_back(fb::CreatePart(b, uint16_t(p.in_begin), uint16_t(p.in_end), uint16_t(p.out_begin),
                                     uint16_t(p.out_end), uint16_t(p.channel_begin), uint16_t(p.channel_end),
                                     p.copy_ahead, b.CreateVectorOfStructs(at), b.CreateVector(part_waits[g]),
                                     p.more_inputs.empty() ? 0 : b.CreateVectorOfStructs(p.more_inputs)));
      ++g;
    }
    const auto inputs = b.CreateVector(op.inputs);
    const auto add_params = op.add_params.empty() ? 0 : b.CreateVector(op.add_params);
    const auto op_params = op.op_params.empty() ? 0 : b.CreateVector(op.op_params);
    const auto parts_vec = b.CreateVector(parts);
    fb::OpBuilder o(b);
    o.add_kind(op.kind);
    o.add_partitioning(op.partitioning);
    o.add_inputs(inputs);
    o.add_output(op.output);
    if (windowed(op.kind)) {
      o.add_kernel_h(uint8_t(op.kernel)), o.add_kernel_w(uint8_t(op.kernel));
      o.add_stride_h(uint8_t(op.stride)), o.add_stride_w(uint8_t(op.stride));
      o.add_dilation_h(uint8_t(op.dilation)), o.add_dilation_w(uint8_t(op.dilation));
    }
    o.add_depth_multiplier(uint16_t(op.depth_multiplier));
    o.add_act_min(int8_t(op.act_min)), o.add_act_max(int8_t(op.act_max));
    o.add_pad_top(uint16_t(op.pad_top)), o.add_pad_left(uint16_t(op.pad_left));
    o.add_pad_bottom(uint16_t(op.pad_bottom)), o.add_pad_right(uint16_t(op.pad_right));
    if (!add_params.IsNull()) o.add_add_params(add_params);
    if (!op_params.IsNull()) o.add_op_params(op_params);
    o.add_reluish_multiplier(op.reluish_multiplier), o.add_reluish_exponent(op.reluish_exponent);
    o.add_hs_output_multiplier(op.hs_output_multiplier), o.add_hs_output_exponent(op.hs_output_exponent);
    if (op.weights.memory() >= 0) o.add_weights(&op.weights);
    if (op.bias.memory() >= 0) o.add_bias(&op.bias);
    if (op.quant.memory() >= 0) o.add_quant(&op.quant);
    o.add_first_part(first);
    o.add_parts(parts_vec);
    ops.push_back(o.Finish());
  }
  const auto model = fb::CreateModel(
      b, b.CreateString("test"), b.CreateString("test"), b.CreateString("test"), uint8_t(plan.streams > 1 ? 2 : 1),
      b.CreateVector(memories), kSram, b.CreateVectorOfStructs(segments), plan.external_bytes, plan.internal_bytes,
      b.CreateVector(buffers), b.CreateVector(tensors), b.CreateVector(ops), b.CreateVectorOfStructs(fb_transfers),
      b.CreateVector(waits), plan.input, plan.output, constants, 0.0f,
      plan.constants_in_flash ? uint32_t(plan.constants.size()) : 0,
      plan.constants_in_flash ? crc32(plan.constants.data(), uint32_t(plan.constants.size())) : 0);
  fb::FinishModelBuffer(b, model);
  std::vector<uint8_t> blob(sizeof(BlobHeader) + b.GetSize());
  BlobHeader h{kBlobMagic, kBlobVersion, sizeof(BlobHeader), uint32_t(blob.size()), 0};
  std::memcpy(blob.data(), &h, sizeof h);
  std::memcpy(blob.data() + sizeof h, b.GetBufferPointer(), b.GetSize());
  refresh_crc(blob);
  if (plan.constants_in_flash) {  // the .blob file's layout: the flash image at the next 16-byte boundary
    blob.resize((blob.size() + kFlashImageAlignment - 1) / kFlashImageAlignment * kFlashImageAlignment);
    blob.insert(blob.end(), plan.constants.begin(), plan.constants.end());
  }
  return blob;
}

void refresh_crc(std::vector<uint8_t>& blob) {
  if (blob.size() < sizeof(BlobHeader)) return;
  uint32_t total;
  std::memcpy(&total, blob.data() + 8, 4);
  total = std::min<uint32_t>(total, static_cast<uint32_t>(blob.size()));
  const uint32_t crc = total > 16 ? crc32(blob.data() + 16, total - 16) : 0;
  std::memcpy(blob.data() + 12, &crc, 4);
}

namespace {

fb::Region region(int16_t memory, uint32_t offset, uint32_t bytes) { return fb::Region(memory, offset, bytes); }
const fb::Region kAbsent(-1, 0, 0);

struct Net {
  Plan plan;
  std::mt19937 rng;
  bool partitioned = false;
  int parts = 1;
  int parity = 0;      // the input buffer the next part uses
  int out_parity = 0;  // the output buffer the next overlaid part writes
  bool previous_overlay = false;
  int previous_output = -1;
  int16_t in_buf[2] = {-1, -1}, in2_buf[2] = {-1, -1}, filter_buf[2] = {-1, -1}, out_buf[2] = {-1, -1};
  int16_t bias_buf = -1, quant_buf = -1;

  uint16_t tensor(int h, int w, int c) {
    const int32_t zp = std::uniform_int_distribution<int>(-128, 127)(rng);
    plan.tensors.push_back({h, w, c, region(kExternal, plan.external_bytes, uint32_t(h * w * c)), zp});
    plan.external_bytes += uint32_t((h * w * c + 3) & ~3);
    return uint16_t(plan.tensors.size() - 1);
  }
  int16_t buffer(const char* name, fb::BufferKind kind, uint32_t bytes) {
    plan.buffers.push_back({name, kind, region(kSram, plan.internal_bytes, bytes)});
    plan.internal_bytes += (bytes + 31) & ~31u;
    return int16_t(plan.buffers.size() - 1);
  }
  // Two of each SRAM buffer that parts take in turn: inputs, second inputs, filters (none when 0 bytes) and
  // overlaid outputs.
  void ping_pong_buffers(uint32_t input_bytes, uint32_t output_bytes, uint32_t filter_bytes) {
    for (int k = 0; k < 2; ++k) {
      in_buf[k] = buffer(k ? "input_pong" : "input_ping", fb::BufferKind::Input, input_bytes);
      in2_buf[k] = buffer(k ? "input2_pong" : "input2_ping", fb::BufferKind::Input, input_bytes);
      if (filter_bytes) filter_buf[k] = buffer(k ? "filter_b" : "filter_a", fb::BufferKind::Weights, filter_bytes);
      out_buf[k] = buffer(k ? "output_pong" : "output_ping", fb::BufferKind::Output, output_bytes);
    }
  }
  fb::Region in(int16_t buf, uint32_t bytes) const {
    return region(kSram, plan.buffers[size_t(buf)].region.offset(), bytes);
  }
  fb::Region constant(const void* data, size_t bytes) {
    while (plan.constants.size() % 16) plan.constants.push_back(0);
    const uint32_t at = uint32_t(plan.constants.size());
    plan.constants.insert(plan.constants.end(), static_cast<const uint8_t*>(data),
                          static_cast<const uint8_t*>(data) + bytes);
    return region(kExternal, plan.constants_base + at, uint32_t(bytes));
  }
  void channel_data(PlanOp& op, uint32_t weights, int channels) {
    std::uniform_int_distribution<int> d(-127, 127);
    std::vector<int8_t> w(weights);
    for (auto& x : w) x = static_cast<int8_t>(d(rng));
    op.weights = constant(w.data(), w.size());
    std::vector<int32_t> bias(static_cast<size_t>(channels)), quant(2 * static_cast<size_t>(channels));
    for (int c = 0; c < channels; ++c) {
      bias[size_t(c)] = std::uniform_int_distribution<int32_t>(-3000, 3000)(rng);
      quant[size_t(c)] = std::uniform_int_distribution<int32_t>(1 << 30, INT32_MAX)(rng);
      quant[size_t(channels + c)] = std::uniform_int_distribution<int32_t>(-9, -6)(rng);
    }
    op.bias = constant(bias.data(), 4 * bias.size());
    op.quant = constant(quant.data(), 4 * quant.size());
  }
  // Weights, bias and quant copied when the op's first part is due (quant in two halves, as the planner does),
  // or read in place.
  void params(PlanOp& op, PlanPart& first, bool weights) {
    if (op.weights.memory() < 0) return;
    if (weights)
      first.copy_when_due.push_back(
          {Operand::Weights, op.weights, in(filter_buf[0], op.weights.bytes()), filter_buf[0]});
    first.copy_when_due.push_back({Operand::Bias, op.bias, in(bias_buf, op.bias.bytes()), bias_buf});
    const uint32_t half = op.quant.bytes() / 2;
    first.copy_when_due.push_back(
        {Operand::Quant, region(kExternal, op.quant.offset(), half), in(quant_buf, half), quant_buf});
    first.copy_when_due.push_back({Operand::Quant, region(kExternal, op.quant.offset() + half, half),
                                   region(kSram, in(quant_buf, 0).offset() + half, half), quant_buf});
    for (PlanPart& p : op.parts) {
      if (weights) p.at[size_t(Operand::Weights)] = in(filter_buf[0], op.weights.bytes());
      p.at[size_t(Operand::Bias)] = in(bias_buf, op.bias.bytes());
      p.at[size_t(Operand::Quant)] = in(quant_buf, op.quant.bytes());
    }
  }
  static fb::Region rows(const fb::Region& home, uint32_t row_bytes, int begin, int end) {
    return region(home.memory(), home.offset() + uint32_t(begin) * row_bytes, uint32_t(end - begin) * row_bytes);
  }
  uint32_t row_bytes(uint16_t t) const { return uint32_t(plan.tensors[t].w * plan.tensors[t].c); }

  void whole(PlanOp& op) {
    const PlanTensor& i = plan.tensors[op.inputs[0]];
    const PlanTensor& o = plan.tensors[op.output];
    PlanPart p{0, i.h, 0, o.h, 0, o.c, {}, {}, {}, {}, false};
    p.at.fill(kAbsent);
    p.at[size_t(Operand::Input)] = i.home;
    if (op.inputs.size() > 1) p.at[size_t(Operand::Input2)] = plan.tensors[op.inputs[1]].home;
    for (size_t k = 2; k < op.inputs.size(); ++k) p.more_inputs.push_back(plan.tensors[op.inputs[k]].home);
    p.at[size_t(Operand::Output)] = o.home;
    p.at[size_t(Operand::Weights)] = op.weights, p.at[size_t(Operand::Bias)] = op.bias,
    p.at[size_t(Operand::Quant)] = op.quant;
    op.parts = {p};
    previous_overlay = false;
  }

  // Row parts: output rows dealt into `parts` contiguous ranges, input rows with their halo.
  void by_rows(PlanOp& op, bool output_overlay) {
    op.partitioning = fb::Partitioning::Rows;
    const PlanTensor& o = plan.tensors[op.output];
    const int in_h = plan.tensors[op.inputs[0]].h;
    const bool first_ahead = previous_overlay && op.inputs.size() == 1 && op.inputs[0] != previous_output;
    for (int p = 0; p < parts; ++p) {
      const int r0 = o.h * p / parts, r1 = o.h * (p + 1) / parts;
      if (r0 == r1) continue;
      int lo = r0, hi = r1;
      if (windowed(op.kind)) {
        const int dil = pool(op.kind) ? 1 : op.dilation;
        lo = r0 * op.stride - op.pad_top, hi = (r1 - 1) * op.stride - op.pad_top + (op.kernel - 1) * dil + 1;
      } else if (op.kind == OpKind::Pad) {
        lo = r0 - op.pad_top, hi = r1 - op.pad_top;
      }
      lo = std::clamp(lo, 0, in_h - 1), hi = std::clamp(hi, lo + 1, in_h);
      PlanPart part{lo, hi, r0, r1, 0, o.c, {}, {}, {}, {}, false};
      part.at.fill(kAbsent);
      uint32_t stacked = 0;  // the later inputs' rows one after another in the second input buffer
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        const fb::Region src = rows(plan.tensors[op.inputs[k]].home, row_bytes(op.inputs[k]), lo, hi);
        const int16_t buf = k == 0 ? in_buf[parity] : in2_buf[parity];
        fb::Region at = in(buf, src.bytes());
        if (k > 0) at = region(kSram, at.offset() + stacked, src.bytes()), stacked += src.bytes();
        (k < 2 ? part.at[k] : part.more_inputs.emplace_back()) = at;
        part.copy_in.push_back({k == 0 ? Operand::Input : Operand::Input2, src, at, buf});
      }
      const fb::Region home = rows(o.home, row_bytes(op.output), r0, r1);
      if (output_overlay) {
        part.at[size_t(Operand::Output)] = in(out_buf[out_parity], home.bytes());
        part.copy_out.push_back({Operand::Output, part.at[size_t(Operand::Output)], home, -1});
        out_parity ^= 1;
      } else {
        part.at[size_t(Operand::Output)] = home;
      }
      part.copy_ahead = !op.parts.empty() || first_ahead;
      parity ^= 1;
      op.parts.push_back(part);
    }
    params(op, op.parts.front(), true);
    previous_overlay = true;
  }

  // Output-channel parts (weight streaming): the whole input copied once, each part's weights into the two
  // filter buffers in turn while the previous part computes.
  void by_channels(PlanOp& op) {
    op.partitioning = fb::Partitioning::OutputChannels;
    const PlanTensor& i = plan.tensors[op.inputs[0]];
    const PlanTensor& o = plan.tensors[op.output];
    const uint32_t per_channel = op.weights.bytes() / uint32_t(o.c);
    const bool first_ahead = previous_overlay && op.inputs[0] != previous_output;
    const fb::Region input = in(in_buf[parity], i.home.bytes());
    for (int p = 0; p < parts; ++p) {
      const int c0 = o.c * p / parts, c1 = o.c * (p + 1) / parts;
      if (c0 == c1) continue;
      PlanPart part{0, i.h, 0, o.h, c0, c1, {}, {}, {}, {}, false};
      part.at.fill(kAbsent);
      part.at[size_t(Operand::Input)] = input;
      if (op.parts.empty()) part.copy_in.push_back({Operand::Input, i.home, input, in_buf[parity]});
      const int16_t filters = filter_buf[op.parts.size() % 2];
      const fb::Region src =
          region(kExternal, op.weights.offset() + per_channel * uint32_t(c0), per_channel * uint32_t(c1 - c0));
      part.at[size_t(Operand::Weights)] = in(filters, src.bytes());
      (op.parts.empty() ? part.copy_when_due : part.copy_in)
          .push_back({Operand::Weights, src, part.at[size_t(Operand::Weights)], filters});
      part.at[size_t(Operand::Output)] = o.home;
      part.copy_ahead = !op.parts.empty() || first_ahead;
      op.parts.push_back(part);
    }
    params(op, op.parts.front(), false);
    parity ^= 1;
    previous_overlay = true;
  }

  void add(PlanOp op, bool channels = false, bool output_overlay = false) {
    if (!partitioned)
      whole(op);
    else if (channels)
      by_channels(op);
    else
      by_rows(op, output_overlay);
    previous_output = op.output;
    plan.ops.push_back(op);
  }
};

PlanOp plan_op(OpKind kind, std::vector<uint16_t> inputs, uint16_t output) {
  PlanOp op;
  op.kind = kind, op.inputs = std::move(inputs), op.output = output;
  return op;
}

PlanOp window_op(OpKind kind, uint16_t in, uint16_t out, int k, int stride, int pad_top, int pad_bottom) {
  PlanOp op = plan_op(kind, {in}, out);
  op.kernel = k, op.stride = stride;
  op.dilation = pool(kind) ? 0 : 1;
  op.pad_top = op.pad_left = pad_top;
  op.pad_bottom = op.pad_right = pad_bottom;
  op.depth_multiplier = pool(kind) ? 0 : 1;
  return op;
}

}  // namespace

Plan make_test_plan(uint32_t seed, bool partitioned, int parts) {
  Net n;
  n.rng.seed(seed), n.partitioned = partitioned, n.parts = parts;
  const uint16_t x = n.tensor(16, 16, 3);
  const uint16_t c1 = n.tensor(8, 8, 8);    // conv 3x3 / 2, SAME: pads 0 top, 1 bottom
  const uint16_t q1 = n.tensor(8, 8, 8);    // conv 1x1 on c1 (a branch, so that the next op can prefetch)
  const uint16_t d1 = n.tensor(8, 8, 8);    // depthwise 3x3 / 1, pads 1 (output overlay when partitioned)
  const uint16_t p1 = n.tensor(8, 8, 8);    // conv 1x1
  const uint16_t a1 = n.tensor(8, 8, 8);    // add(q1, p1)
  const uint16_t pd = n.tensor(10, 10, 8);  // pad 1 all round
  const uint16_t ap = n.tensor(5, 5, 8);    // average pool 2x2 / 2
  const uint16_t fc = n.tensor(1, 1, 10);   // fully connected
  Plan& plan = n.plan;
  // The reshape's output aliases its input (as the compiler maps it).
  plan.tensors.push_back({1, 1, 200, plan.tensors[ap].home, 0});
  const uint16_t rs = uint16_t(plan.tensors.size() - 1);
  plan.tensors[pd].zero_point = plan.tensors[a1].zero_point;
  plan.tensors[ap].zero_point = plan.tensors[pd].zero_point;
  plan.tensors[rs].zero_point = plan.tensors[ap].zero_point;
  plan.constants_base = (plan.external_bytes + 31) & ~31u;
  if (partitioned) {
    n.ping_pong_buffers(1024, 512, 2048);
    n.bias_buf = n.buffer("bias", fb::BufferKind::Bias, 64);
    n.quant_buf = n.buffer("quant", fb::BufferKind::Quant, 128);
  }

  PlanOp conv = window_op(OpKind::Conv2d, x, c1, 3, 2, 0, 1);
  conv.act_min = 0;  // a fused ReLU
  n.channel_data(conv, 8 * 27, 8);
  n.add(conv);
  PlanOp branch = window_op(OpKind::Conv2d, c1, q1, 1, 1, 0, 0);
  n.channel_data(branch, 8 * 8, 8);
  n.add(branch, true);
  PlanOp dw = window_op(OpKind::DepthwiseConv2d, c1, d1, 3, 1, 1, 1);
  n.channel_data(dw, 9 * 8, 8);
  n.add(dw, false, true);
  PlanOp pw = window_op(OpKind::Conv2d, d1, p1, 1, 1, 0, 0);
  n.channel_data(pw, 8 * 8, 8);
  n.add(pw, true);
  PlanOp add = plan_op(OpKind::Add, {q1, p1}, a1);
  add.add_params = {1 << 30, -1, 1 << 30, -2, 1 << 30, -19};
  n.add(add);
  PlanOp pad = plan_op(OpKind::Pad, {a1}, pd);
  pad.pad_top = pad.pad_left = pad.pad_bottom = pad.pad_right = 1;
  n.add(pad);
  n.add(window_op(OpKind::AveragePool2d, pd, ap, 2, 2, 0, 0));
  PlanOp reshape = plan_op(OpKind::Reshape, {ap}, rs);
  n.whole(reshape);
  plan.ops.push_back(reshape);
  PlanOp dense = plan_op(OpKind::FullyConnected, {rs}, fc);
  n.channel_data(dense, 200 * 10, 10);
  n.add(dense, true);
  plan.input = x, plan.output = fc;
  return plan;
}

Plan make_new_ops_plan(uint32_t seed, bool partitioned, int parts) {
  Net n;
  n.rng.seed(seed), n.partitioned = partitioned, n.parts = parts;
  const uint16_t x = n.tensor(8, 8, 8);
  const uint16_t mp = n.tensor(4, 4, 8);   // max pool 2x2 / 2
  const uint16_t hs = n.tensor(4, 4, 8);   // hard-swish
  const uint16_t mn = n.tensor(1, 1, 8);   // mean over rows and columns
  const uint16_t lg = n.tensor(1, 1, 8);   // logistic: the gate
  const uint16_t gt = n.tensor(4, 4, 8);   // mul(hs, gate)
  const uint16_t sq = n.tensor(4, 4, 8);   // mul(gt, hs)
  const uint16_t sm = n.tensor(4, 4, 8);   // softmax over channels
  const uint16_t ct = n.tensor(4, 4, 24);  // concatenation [sm, sm, sm]
  Plan& plan = n.plan;
  // Zero points that keep every op off saturation for any input (random ones flatten the output).
  plan.tensors[x].zero_point = plan.tensors[mp].zero_point = 3;  // max pool keeps the quantization
  plan.tensors[hs].zero_point = plan.tensors[mn].zero_point = -20;
  plan.tensors[lg].zero_point = plan.tensors[sm].zero_point = -128;  // output scale 1/256
  plan.tensors[ct].zero_point = -128;                                // a concatenation keeps the quantization
  plan.tensors[gt].zero_point = 0;
  plan.tensors[sq].zero_point = -100;
  plan.constants_base = (plan.external_bytes + 31) & ~31u;
  if (partitioned) n.ping_pong_buffers(512, 256, 0);
  // Parameters as TFLite's converter derives them for such scales (tests/firmware/data/op_vectors.hpp).
  n.add(window_op(OpKind::MaxPool2d, x, mp, 2, 2, 0, 0));
  PlanOp hard_swish = plan_op(OpKind::HardSwish, {mp}, hs);
  hard_swish.reluish_multiplier = 21845, hard_swish.reluish_exponent = 2;
  hard_swish.hs_output_multiplier = 17476, hard_swish.hs_output_exponent = -1;
  n.add(hard_swish, false, true);
  PlanOp mean = plan_op(OpKind::Mean, {hs}, mn);
  mean.op_params = {1 << 30, -3};
  n.whole(mean);
  plan.ops.push_back(mean);
  PlanOp logistic = plan_op(OpKind::Logistic, {mn}, lg);
  logistic.op_params = {1518500250, 6, 1791};
  n.add(logistic);
  // The gate is read whole by every part, which the row split here does not model: the op runs whole.
  PlanOp gate = plan_op(OpKind::Mul, {hs, lg}, gt);
  gate.op_params = {1 << 30, -8};
  n.whole(gate);
  plan.ops.push_back(gate);
  PlanOp square = plan_op(OpKind::Mul, {gt, hs}, sq);
  square.op_params = {1 << 30, -8};
  square.act_min = -100;  // a fused ReLU
  n.add(square);
  PlanOp softmax = plan_op(OpKind::Softmax, {sq}, sm);
  softmax.op_params = {1717986944, 24, -124};
  n.add(softmax);
  n.add(plan_op(OpKind::Concatenation, {sm, sm, sm}, ct));
  plan.input = x, plan.output = ct;
  return plan;
}

TestNetwork build_test_network(uint32_t seed, bool partitioned, int parts) {
  const Plan plan = make_test_plan(seed, partitioned, parts);
  return TestNetwork{build(plan), plan.external_bytes, plan.internal_bytes};
}

TestNetwork build_new_ops_network(uint32_t seed, bool partitioned, int parts) {
  const Plan plan = make_new_ops_plan(seed, partitioned, parts);
  return TestNetwork{build(plan), plan.external_bytes, plan.internal_bytes};
}

}  // namespace tinyops::rt::test
