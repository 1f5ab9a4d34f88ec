// The blob loader: the header and CRC, then FlatBuffers' Verifier (every offset and vector inside the
// buffer), then the flash image's size and CRC, then the plan itself: every region resolved through the
// memory map into an arena or the constants (the blob's, or its flash image's), every op's parameters and
// parts against its shapes, every transfer. A model that loads cannot make the executor touch memory
// outside the blob's constants, its flash image and the arenas (the fuzz target runs every blob it finds
// loadable to make sure). Each op kind's own parameter and shape checks are in loader_ops.cpp.
#include <string.h>

#include "loader_internal.hpp"
#include "plan_geometry.hpp"

namespace tinyops::rt {
namespace loader {

const fb::Segment* find_segment(const Segments& segments, const fb::Region& r) {
  for (uint32_t i = 0; i < segments.size(); ++i) {
    const fb::Segment* s = segments.Get(i);
    if (int32_t{s->memory()} == r.memory() && r.offset() >= s->offset() &&
        range_inside(r.offset() - s->offset(), r.bytes(), s->bytes()))
      return s;
  }
  return nullptr;
}

bool Regions::place(const fb::Region& r, Placed& out) const {
  const fb::Segment* s = find_segment(*m_.segments(), r);
  if (s == nullptr) return false;
  out = Placed{s->space(), s->space_offset() + (r.offset() - s->offset())};
  return true;
}

bool Regions::region(const fb::Region* r, bool writable, bool aligned, const char* table, uint32_t i, const char* field,
                     Placed* placed) const {
  Placed p{};
  if (r == nullptr || r->memory() < 0) return check_.fail(Status::kBadRegion, table, i, field);
  if (!place(*r, p)) return check_.fail(Status::kBadRegion, table, i, field);
  if (writable && (p.space == fb::Space::Constants || p.space == fb::Space::InternalFlash))
    return check_.fail(Status::kBadRegion, table, i, field);
  if (aligned && p.offset % 4 != 0) return check_.fail(Status::kDataMisaligned, table, i, field);
  if (placed) *placed = p;
  return true;
}

namespace {

class Loader : Regions {
 public:
  Loader(const fb::Model& m, const Arenas& arenas, Checker& check) : Regions(m, check, arenas.flash), arenas_(arenas) {}

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
    return flash_image() && segments() && buffers() && tensors() && transfers() && ops();
  }

  uint32_t part_count() const { return parts_; }

 private:
  uint32_t space_bytes(fb::Space space) const {
    switch (space) {
      case fb::Space::ExternalArena: return m_.external_arena_bytes();
      case fb::Space::InternalArena: return m_.internal_arena_bytes();
      case fb::Space::Constants: return m_.constants() ? m_.constants()->size() : 0;
      case fb::Space::InternalFlash: return m_.flash_image_bytes();
    }
    return 0;
  }

  // The flash image the blob names is in the flash slot: big enough, aligned, and the very image compiled with
  // this blob (its CRC), so that a stale or missing flash image is refused, never run.
  bool flash_image() {
    const uint32_t bytes = m_.flash_image_bytes();
    if (bytes == 0) return true;
    if (arenas_.flash == nullptr || bytes > arenas_.flash_bytes)
      return check_.fail(Status::kArenaTooSmall, "model", 0, "flash_image_bytes (the flash slot)");
    if (reinterpret_cast<uintptr_t>(arenas_.flash) % 4 != 0)
      return check_.fail(Status::kDataMisaligned, "model", 0, "flash_image_bytes (the flash slot)");
    if (crc32(arenas_.flash, bytes) != m_.flash_image_crc32())
      return check_.fail(Status::kCrcMismatch, "model", 0, "flash_image_crc32");
    return true;
  }

  bool segments() {
    const auto& segs = *m_.segments();
    for (uint32_t i = 0; i < segs.size(); ++i) {
      const fb::Segment& s = *segs.Get(i);
      if (s.memory() >= m_.memories()->size()) return check_.fail(Status::kBadTensorIndex, "segment", i, "memory");
      if (s.space() > fb::Space::InternalFlash) return check_.fail(Status::kBadHeader, "segment", i, "space");
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
    const uint32_t inputs = op.inputs()->size();
    if (!plan::input_count_ok(op.kind(), inputs)) return check_.fail(Status::kBadTensorIndex, "op", i, "inputs");
    for (uint32_t k = 0; k < inputs; ++k) {
      if (!tensor_index(i, op.inputs()->Get(k), "inputs")) return false;
    }
    if (!tensor_index(i, op.output(), "output")) return false;
    const fb::Tensor& in = *m_.tensors()->Get(op.inputs()->Get(0));
    const fb::Tensor& in2 = *m_.tensors()->Get(op.inputs()->Get(inputs > 1 ? 1 : 0));
    const fb::Tensor& out = *m_.tensors()->Get(op.output());
    return kind_params_ok(m_, check_, arenas_.flash, i, op, in, in2, out) && parts(i, op, in, in2, out);
  }

  // Every region a part's kernel touches holds what it reads or writes there.
  bool part_regions(uint32_t g, const fb::Op& op, const fb::Part& part, const fb::Tensor& in, const fb::Tensor& in2,
                    const fb::Tensor& out) {
    const auto& at = *part.at();
    if (at.size() != kOperandCount) return check_.fail(Status::kBadPartition, "part", g, "at");
    const uint32_t rows_in = part.in_row_end() - part.in_row_begin();
    const uint32_t inputs = op.inputs()->size();
    const uint32_t more_inputs = part.more_inputs() ? part.more_inputs()->size() : 0;
    if (more_inputs != (inputs > 2 ? inputs - 2 : 0))
      return check_.fail(Status::kBadPartition, "part", g, "more_inputs");
    for (uint32_t k = 0; k < inputs; ++k) {
      const fb::Tensor& input = k == 1 ? in2 : *m_.tensors()->Get(op.inputs()->Get(k));
      const fb::Region* r = plan::input_region(part, k);
      const char* field = k == 0 ? "at[input]" : k == 1 ? "at[input2]" : "more_inputs";
      if (!region(r, false, false, "part", g, field)) return false;
      const uint32_t rows = plan::broadcast_gate(op, int(k), input, out) ? input.height() : rows_in;
      if (r->bytes() < uint64_t{rows} * plan::row_bytes(input))
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

  const Arenas& arenas_;
  uint32_t parts_ = 0;
};

}  // namespace
}  // namespace loader

using loader::Checker;

namespace {

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
  const fb::Segment* s = r.memory() < 0 ? nullptr : loader::find_segment(*segments_, r);
  if (s == nullptr) return nullptr;
  const uint32_t at = s->space_offset() + (r.offset() - s->offset());
  switch (s->space()) {
    case fb::Space::ExternalArena: return arenas_.external + at;
    case fb::Space::InternalArena: return arenas_.internal + at;
    case fb::Space::Constants: return const_cast<uint8_t*>(constants_) + at;         // read only: the loader checked
    case fb::Space::InternalFlash: return const_cast<uint8_t*>(arenas_.flash) + at;  // read only, likewise
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
  loader::Loader loader(*root, arenas, check);
  if (!loader.model()) return check.status();
  Model candidate;
  candidate.root_ = root;
  candidate.segments_ = root->segments();
  candidate.constants_ = root->constants() ? root->constants()->data() : nullptr;
  candidate.arenas_ = arenas;
  candidate.part_count_ = loader.part_count();
  candidate.loaded_ = true;
  if (model) *model = candidate;
  return Status::kOk;
}

}  // namespace tinyops::rt
