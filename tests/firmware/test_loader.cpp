// The loader rejects every kind of corrupted blob (v2) with the right status code and the field named, and
// never faults; a v1 blob is told to be recompiled.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <vector>

#include "blob_builder.hpp"
#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plan_ = test::make_test_plan(5, true, 3);
    blob_ = test::build(plan_);
  }
  Status load(const std::vector<uint8_t>& blob, uint32_t bytes, uint32_t external_bytes, uint32_t internal_bytes) {
    words_.assign(blob.size() / 4 + 1, 0);
    std::memcpy(words_.data(), blob.data(), blob.size());
    external_.assign(external_bytes / 4 + 1, 0);
    internal_.assign(internal_bytes / 4 + 1, 0);
    const Arenas arenas{reinterpret_cast<uint8_t*>(external_.data()),
                        external_bytes,
                        reinterpret_cast<uint8_t*>(internal_.data()),
                        internal_bytes,
                        flash_.empty() ? nullptr : reinterpret_cast<const uint8_t*>(flash_.data()),
                        flash_bytes_};
    return load_model(reinterpret_cast<const uint8_t*>(words_.data()), bytes, arenas, &model_, &error_);
  }
  Status load(const std::vector<uint8_t>& blob, uint32_t bytes) {
    return load(blob, bytes, plan_.external_bytes, plan_.internal_bytes);
  }
  Status load(const std::vector<uint8_t>& blob) { return load(blob, static_cast<uint32_t>(blob.size())); }
  // Builds the test plan with one edit and loads it.
  Status load_edited(const std::function<void(test::Plan&)>& edit) {
    test::Plan plan = plan_;
    edit(plan);
    return load(test::build(plan));
  }
  void expect_error(Status status, const char* table, const char* field) {
    EXPECT_FALSE(model_.loaded());
    EXPECT_STREQ(to_string(error_.status), to_string(status));
    EXPECT_STREQ(error_.table, table);
    EXPECT_STREQ(error_.field, field);
  }
  template <class T>
  void poke(std::vector<uint8_t>& blob, size_t offset, T value, bool fix_crc = true) {
    std::memcpy(blob.data() + offset, &value, sizeof value);
    if (fix_crc) test::refresh_crc(blob);
  }

  test::Plan plan_;
  std::vector<uint8_t> blob_;
  std::vector<uint32_t> external_, internal_, words_;
  std::vector<uint32_t> flash_;  // the flash slot (empty: none)
  uint32_t flash_bytes_ = 0;
  Model model_;
  LoadError error_{};
};

// Constants in internal flash: read from the flash slot, where the executor finds them; the slot must hold
// the very image compiled with the blob.
TEST_F(LoaderTest, ConstantsInInternalFlashAreReadFromTheFlashSlot) {
  test::Plan plan = plan_;
  plan.constants_in_flash = true;
  const std::vector<uint8_t> file = test::build(plan);
  const FlashImage image = flash_image_in_file(file.data(), static_cast<uint32_t>(file.size()));
  ASSERT_NE(image.data, nullptr);
  ASSERT_EQ(image.bytes, plan.constants.size());
  const uint32_t blob_bytes = static_cast<uint32_t>(image.data - file.data());
  ASSERT_LT(blob_bytes, blob_.size());  // the constants left the blob

  ASSERT_EQ(load(file, blob_bytes), Status::kArenaTooSmall);  // no flash slot given
  expect_error(Status::kArenaTooSmall, "model", "flash_image_bytes (the flash slot)");

  flash_.assign(image.bytes / 4 + 1, 0);
  flash_bytes_ = image.bytes;
  ASSERT_EQ(load(file, blob_bytes), Status::kCrcMismatch);  // an empty slot: not this blob's image
  expect_error(Status::kCrcMismatch, "model", "flash_image_crc32");

  std::memcpy(flash_.data(), image.data, image.bytes);
  ASSERT_EQ(load(file, blob_bytes), Status::kOk) << to_string(error_.status) << " " << error_.field;
  const auto* flash = reinterpret_cast<const uint8_t*>(flash_.data());
  for (const fb::Op* op : *model_.plan().ops()) {
    for (const fb::Region* r : {op->weights(), op->bias(), op->quant()}) {
      if (r == nullptr || r->memory() < 0) continue;
      const uint8_t* at = model_.address(*r);
      EXPECT_TRUE(at >= flash && at + r->bytes() <= flash + image.bytes) << op->name()->c_str();
    }
  }
  // Every output bit as with the constants in the blob.
  std::vector<int8_t> input(model_.input_bytes());
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<int8_t>(i * 37 + 11);
  Results results{};
  std::memcpy(model_.input(), input.data(), input.size());
  ASSERT_EQ(run_model(model_, &results), Status::kOk);
  const std::vector<int8_t> from_flash(model_.output(), model_.output() + model_.output_bytes());
  flash_.clear();
  flash_bytes_ = 0;
  ASSERT_EQ(load(blob_), Status::kOk);
  std::memcpy(model_.input(), input.data(), input.size());
  ASSERT_EQ(run_model(model_, &results), Status::kOk);
  EXPECT_EQ(from_flash, std::vector<int8_t>(model_.output(), model_.output() + model_.output_bytes()));
}

TEST_F(LoaderTest, AcceptsTheValidBlob) {
  ASSERT_EQ(load(blob_), Status::kOk) << to_string(error_.status) << " " << error_.table << "[" << error_.index << "]."
                                      << error_.field;
  EXPECT_TRUE(model_.loaded());
  EXPECT_EQ(model_.op_count(), plan_.ops.size());
}

TEST_F(LoaderTest, RejectsTruncatedBlobs) {
  for (uint32_t cut : {0u, 7u, 10u, 15u, 16u, 200u, static_cast<uint32_t>(blob_.size()) - 1}) {
    EXPECT_EQ(load(blob_, cut), Status::kBlobTooSmall) << "cut at " << cut;
    EXPECT_FALSE(model_.loaded());
  }
}

TEST_F(LoaderTest, RejectsFlippedBytesByCrc) {
  for (size_t at : {size_t{16}, size_t{100}, blob_.size() / 2, blob_.size() - 1}) {
    auto blob = blob_;
    blob[at] ^= 0x10;
    EXPECT_EQ(load(blob), Status::kCrcMismatch) << "byte " << at;
    EXPECT_STREQ(error_.field, "crc32");
  }
}

TEST_F(LoaderTest, RejectsWrongMagicAndVersionAndTellsV1ToRecompile) {
  auto blob = blob_;
  poke<uint32_t>(blob, offsetof(BlobHeader, magic), 0x12345678u);
  EXPECT_EQ(load(blob), Status::kBadMagic);
  blob = blob_;
  poke<uint16_t>(blob, offsetof(BlobHeader, version), 3);
  EXPECT_EQ(load(blob), Status::kUnsupportedVersion);
  expect_error(Status::kUnsupportedVersion, "header", "version");
  // A v1 blob: same magic, version 1, a 64-byte header after it.
  std::vector<uint8_t> v1(256, 0);
  poke<uint32_t>(v1, 0, kBlobMagic, false);
  poke<uint16_t>(v1, 4, kBlobVersionV1, false);
  poke<uint16_t>(v1, 6, 64, false);
  EXPECT_EQ(load(v1), Status::kBlobV1);
  expect_error(Status::kBlobV1, "header", "version (blob v1, recompile)");
  EXPECT_STREQ(to_string(Status::kBlobV1), "blob_v1_recompile");
}

TEST_F(LoaderTest, RejectsACorruptFlatBufferThroughTheVerifier) {
  auto blob = blob_;
  poke<uint32_t>(blob, sizeof(BlobHeader), static_cast<uint32_t>(blob.size()) * 2);  // root offset past the end
  EXPECT_EQ(load(blob), Status::kBadFlatBuffer);
  blob = blob_;
  poke<uint32_t>(blob, sizeof(BlobHeader) + 4, 0x58585858u);  // file identifier
  EXPECT_EQ(load(blob), Status::kBadFlatBuffer);
  expect_error(Status::kBadFlatBuffer, "header", "file_identifier");
  // Every single-byte change behind a repaired CRC is refused or loads; none faults (ASan watches).
  for (size_t at = sizeof(BlobHeader); at < blob_.size(); at += 7) {
    blob = blob_;
    poke<uint8_t>(blob, at, static_cast<uint8_t>(blob[at] ^ 0xA5));
    load(blob);
  }
}

TEST_F(LoaderTest, RejectsArenasSmallerThanThePlan) {
  EXPECT_EQ(load(blob_, uint32_t(blob_.size()), plan_.external_bytes - 1, plan_.internal_bytes),
            Status::kArenaTooSmall);
  expect_error(Status::kArenaTooSmall, "model", "external_arena_bytes");
}

TEST_F(LoaderTest, RejectsTensorsOutsideTheMemoryMap) {
  EXPECT_EQ(load_edited([](test::Plan& p) {
              p.tensors[2].home = fb::Region(test::kExternal, p.external_bytes, p.tensors[2].home.bytes());
            }),
            Status::kBadRegion);
  expect_error(Status::kBadRegion, "tensor", "home");
  EXPECT_EQ(error_.index, 2u);
  EXPECT_EQ(load_edited([](test::Plan& p) { p.tensors[1].home = fb::Region(test::kExternal, 0, 7); }),
            Status::kBadTensor);
  expect_error(Status::kBadTensor, "tensor", "home.bytes");
  // An activation in the blob's constants would be written by the executor.
  EXPECT_EQ(load_edited([](test::Plan& p) {
              p.tensors[1].home = fb::Region(test::kExternal, p.constants_base, p.tensors[1].home.bytes());
            }),
            Status::kBadRegion);
}

TEST_F(LoaderTest, RejectsBadOpKindsAndParameters) {
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].kind = static_cast<OpKind>(99); }), Status::kBadOpKind);
  expect_error(Status::kBadOpKind, "op", "kind");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[1].output = 500; }), Status::kBadTensorIndex);
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].stride = 1; }), Status::kShapeMismatch);
  expect_error(Status::kShapeMismatch, "op", "output height/width");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].act_min = 100, p.ops[0].act_max = 50; }), Status::kBadOpParams);
  EXPECT_EQ(
      load_edited([](test::Plan& p) { p.ops[0].weights = fb::Region(test::kExternal, p.ops[0].weights.offset(), 5); }),
      Status::kDataSizeMismatch);
  expect_error(Status::kDataSizeMismatch, "op", "weights");
  EXPECT_EQ(load_edited([](test::Plan& p) {
              p.ops[0].weights = fb::Region(test::kExternal, 1u << 30, p.ops[0].weights.bytes());
            }),
            Status::kBadRegion);
  expect_error(Status::kBadRegion, "op", "weights");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[4].add_params[5] = 31; }), Status::kBadQuantParams);
  expect_error(Status::kBadQuantParams, "op", "add_params");
}

TEST_F(LoaderTest, RejectsQuantParamsOutOfRange) {
  const fb::Region quant = plan_.ops[0].quant;
  const size_t shifts = quant.offset() - plan_.constants_base + quant.bytes() / 2;
  EXPECT_EQ(load_edited([&](test::Plan& p) {
              int32_t v = 32;
              std::memcpy(&p.constants[shifts], &v, 4);
            }),
            Status::kBadQuantParams);
  expect_error(Status::kBadQuantParams, "op", "quant");
  EXPECT_EQ(load_edited([&](test::Plan& p) {
              int32_t v = 31;
              std::memcpy(&p.constants[shifts], &v, 4);
            }),
            Status::kOk);
}

TEST_F(LoaderTest, RejectsPartsThatDoNotTileTheOutputOrMissTheHalo) {
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].parts[1].out_begin -= 1, p.ops[0].parts[1].in_begin = 0; }),
            Status::kBadPartition);
  expect_error(Status::kBadPartition, "part", "overlaps another part");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].parts.pop_back(); }), Status::kBadPartition);
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[2].parts[1].in_begin += 1; }), Status::kBadPartition);
  expect_error(Status::kBadPartition, "part", "in_row_begin/in_row_end (halo)");
}

TEST_F(LoaderTest, RejectsOperandRegionsTooSmallOrOutsideTheMap) {
  EXPECT_EQ(load_edited([](test::Plan& p) {
              fb::Region& r = p.ops[0].parts[0].at[size_t(Operand::Input)];
              r = fb::Region(r.memory(), r.offset(), r.bytes() - 1);
            }),
            Status::kOverlayTooSmall);
  expect_error(Status::kOverlayTooSmall, "part", "at[input]");
  EXPECT_EQ(load_edited([](test::Plan& p) {
              fb::Region& r = p.ops[0].parts[0].at[size_t(Operand::Output)];
              r = fb::Region(test::kSram, p.internal_bytes, r.bytes());
            }),
            Status::kBadRegion);
  expect_error(Status::kBadRegion, "part", "at[output]");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops[0].parts[0].at.fill(fb::Region(-1, 0, 0)); }), Status::kBadRegion);
}

// A concatenation's inputs after the second (Part.more_inputs, the last op of the new-ops network): each checked
// like at[input], their count against the op's; the inputs' shapes and quantization against the output's.
TEST_F(LoaderTest, RejectsBadConcatenationInputs) {
  plan_ = test::make_new_ops_plan(5, true, 3);
  ASSERT_EQ(plan_.ops.back().kind, OpKind::Concatenation);
  EXPECT_EQ(load(test::build(plan_)), Status::kOk);
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops.back().parts[0].more_inputs.clear(); }), Status::kBadPartition);
  expect_error(Status::kBadPartition, "part", "more_inputs");
  EXPECT_EQ(load_edited([](test::Plan& p) {
              fb::Region& r = p.ops.back().parts[1].more_inputs[0];
              r = fb::Region(r.memory(), r.offset(), r.bytes() - 1);
            }),
            Status::kOverlayTooSmall);
  expect_error(Status::kOverlayTooSmall, "part", "more_inputs");
  EXPECT_EQ(load_edited([](test::Plan& p) {
              fb::Region& r = p.ops.back().parts[0].more_inputs[0];
              r = fb::Region(test::kSram, p.internal_bytes, r.bytes());
            }),
            Status::kBadRegion);
  expect_error(Status::kBadRegion, "part", "more_inputs");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.tensors[p.output].zero_point = 0; }), Status::kBadQuantParams);
  expect_error(Status::kBadQuantParams, "op", "inputs (the output's scale and zero point)");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops.back().inputs.pop_back(); }), Status::kShapeMismatch);
  expect_error(Status::kShapeMismatch, "op", "output channels");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops.back().inputs.assign(kMaxInputs + 1, p.ops.back().inputs[0]); }),
            Status::kBadTensorIndex);
  expect_error(Status::kBadTensorIndex, "op", "inputs");
  EXPECT_EQ(load_edited([](test::Plan& p) { p.ops.back().inputs.resize(1); }), Status::kBadTensorIndex);
}

TEST_F(LoaderTest, RejectsBadTransfers) {
  EXPECT_EQ(load_edited([](test::Plan& p) {
              test::Copy& c = p.ops[0].parts[0].copy_in[0];
              c.dst = fb::Region(c.dst.memory(), c.dst.offset(), c.dst.bytes() + 1);
            }),
            Status::kBadTransfer);
  expect_error(Status::kBadTransfer, "transfer", "src.bytes/dst.bytes");
  EXPECT_EQ(load_edited([](test::Plan& p) {
              test::Copy& c = p.ops[0].parts[0].copy_in[0];
              c.dst = fb::Region(test::kSram, p.internal_bytes - 4, c.dst.bytes());
            }),
            Status::kBadRegion);
  expect_error(Status::kBadRegion, "transfer", "dst");
  // A copy into the blob's constants.
  EXPECT_EQ(load_edited([](test::Plan& p) {
              test::Copy& c = p.ops[0].parts[0].copy_in[0];
              c.dst = fb::Region(test::kExternal, p.constants_base, c.dst.bytes());
            }),
            Status::kBadRegion);
}

TEST(LoaderErrors, NamesEveryStatus) {
  EXPECT_STREQ(to_string(Status::kOk), "ok");
  EXPECT_STREQ(to_string(Status::kCrcMismatch), "crc_mismatch");
  EXPECT_STREQ(to_string(Status::kBadTransfer), "bad_transfer");
  EXPECT_STREQ(to_string(static_cast<Status>(999)), "unknown_status");
  Model model;
  EXPECT_EQ(load_model(nullptr, 0, Arenas{}, &model), Status::kBlobNull);
}

TEST(Crc32, MatchesZlib) {
  const char* text = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(text), 9), 0xCBF43926u);
}

}  // namespace
}  // namespace tinyops::rt
