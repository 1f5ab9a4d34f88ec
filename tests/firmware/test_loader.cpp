// The loader rejects every kind of corrupted blob with the right status code, and never faults.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <vector>

#include "blob_builder.hpp"
#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net_ = test::build_test_network(5, true, 3);
    external_.assign(net_.external_bytes / 4 + 1, 0);
    internal_.assign(net_.internal_bytes / 4 + 1, 0);
  }
  Status load(const std::vector<uint8_t>& blob, uint32_t bytes) {
    words_.assign(blob.size() / 4 + 1, 0);
    std::memcpy(words_.data(), blob.data(), blob.size());
    const Arenas arenas{reinterpret_cast<uint8_t*>(external_.data()), net_.external_bytes,
                        reinterpret_cast<uint8_t*>(internal_.data()), net_.internal_bytes};
    return load_model(reinterpret_cast<const uint8_t*>(words_.data()), bytes, arenas, &model_, &error_);
  }
  Status load(const std::vector<uint8_t>& blob) { return load(blob, static_cast<uint32_t>(blob.size())); }
  template <class T>
  void poke(std::vector<uint8_t>& blob, size_t offset, T value, bool fix_crc = true) {
    std::memcpy(blob.data() + offset, &value, sizeof value);
    if (fix_crc) test::refresh_crc(blob);
  }
  BlobHeader header() const {
    BlobHeader h;
    std::memcpy(&h, net_.blob.data(), sizeof h);
    return h;
  }
  size_t op_at(uint32_t i) const { return header().op_table_offset + i * sizeof(OpRecord); }
  size_t tensor_at(uint32_t i) const { return header().tensor_table_offset + i * sizeof(TensorRecord); }

  test::TestNetwork net_;
  std::vector<uint32_t> external_, internal_, words_;
  Model model_;
  LoadError error_{};
};

TEST_F(LoaderTest, AcceptsTheValidBlob) {
  EXPECT_EQ(load(net_.blob), Status::kOk);
  EXPECT_TRUE(model_.loaded());
}

TEST_F(LoaderTest, RejectsTruncatedBlobs) {
  for (uint32_t cut : {0u, 10u, 63u, 64u, 200u, static_cast<uint32_t>(net_.blob.size()) - 1}) {
    EXPECT_EQ(load(net_.blob, cut), Status::kBlobTooSmall) << "cut at " << cut;
    EXPECT_FALSE(model_.loaded());
  }
}

TEST_F(LoaderTest, RejectsFlippedBytesByCrc) {
  for (size_t at : {size_t{16}, size_t{100}, net_.blob.size() / 2, net_.blob.size() - 1}) {
    auto blob = net_.blob;
    blob[at] ^= 0x10;
    EXPECT_EQ(load(blob), Status::kCrcMismatch) << "byte " << at;
    EXPECT_STREQ(error_.field, "crc32");
  }
}

TEST_F(LoaderTest, RejectsWrongMagicAndVersion) {
  auto blob = net_.blob;
  poke<uint32_t>(blob, offsetof(BlobHeader, magic), 0x12345678u);
  EXPECT_EQ(load(blob), Status::kBadMagic);
  blob = net_.blob;
  poke<uint16_t>(blob, offsetof(BlobHeader, version), 2);
  EXPECT_EQ(load(blob), Status::kUnsupportedVersion);
  EXPECT_STREQ(error_.table, "header");
  EXPECT_STREQ(error_.field, "version");
}

TEST_F(LoaderTest, RejectsTablesPastTheEnd) {
  auto blob = net_.blob;
  poke<uint32_t>(blob, offsetof(BlobHeader, data_offset), static_cast<uint32_t>(blob.size()));
  EXPECT_EQ(load(blob), Status::kTableOutOfBounds);
  blob = net_.blob;
  poke<uint32_t>(blob, offsetof(BlobHeader, op_table_offset), 0xFFFFFFF0u);
  EXPECT_EQ(load(blob), Status::kTableOutOfBounds);
  EXPECT_STREQ(error_.field, "op_table_offset");
}

TEST_F(LoaderTest, RejectsHugeCounts) {
  auto blob = net_.blob;
  poke<uint32_t>(blob, offsetof(BlobHeader, part_count), 0x10000000u);
  EXPECT_EQ(load(blob), Status::kTableOutOfBounds);
  blob = net_.blob;
  poke<uint16_t>(blob, offsetof(BlobHeader, tensor_count), 0xFFFF);
  EXPECT_EQ(load(blob), Status::kTableOutOfBounds);
  blob = net_.blob;
  poke<uint16_t>(blob, offsetof(BlobHeader, op_count), static_cast<uint16_t>(kMaxOps + 1));
  EXPECT_EQ(load(blob), Status::kTooManyOps);
}

TEST_F(LoaderTest, RejectsArenasSmallerThanThePlan) {
  auto blob = net_.blob;
  poke<uint32_t>(blob, offsetof(BlobHeader, external_arena_bytes), net_.external_bytes + 1);
  EXPECT_EQ(load(blob), Status::kArenaTooSmall);
}

TEST_F(LoaderTest, RejectsTensorsOutsideTheirArena) {
  auto blob = net_.blob;
  poke<uint32_t>(blob, tensor_at(2) + offsetof(TensorRecord, offset), net_.external_bytes);
  EXPECT_EQ(load(blob), Status::kTensorOutOfArena);
  EXPECT_STREQ(error_.table, "tensor");
  EXPECT_EQ(error_.index, 2u);
  blob = net_.blob;
  poke<uint32_t>(blob, tensor_at(1) + offsetof(TensorRecord, bytes), 7);
  EXPECT_EQ(load(blob), Status::kBadTensor);
}

TEST_F(LoaderTest, RejectsBadOps) {
  auto blob = net_.blob;
  poke<uint8_t>(blob, op_at(0) + offsetof(OpRecord, kind), 99);
  EXPECT_EQ(load(blob), Status::kBadOpKind);
  blob = net_.blob;
  poke<uint16_t>(blob, op_at(1) + offsetof(OpRecord, output), 500);
  EXPECT_EQ(load(blob), Status::kBadTensorIndex);
  blob = net_.blob;
  poke<uint8_t>(blob, op_at(0) + offsetof(OpRecord, stride_h), 1);  // output height no longer matches
  EXPECT_EQ(load(blob), Status::kShapeMismatch);
  blob = net_.blob;
  poke<uint32_t>(blob, op_at(0) + offsetof(OpRecord, weights) + 4, 1000000u);
  EXPECT_EQ(load(blob), Status::kDataOutOfBounds);
  blob = net_.blob;
  poke<uint32_t>(blob, op_at(0) + offsetof(OpRecord, weights), 2u);
  EXPECT_EQ(load(blob), Status::kDataMisaligned);
  blob = net_.blob;
  poke<int8_t>(blob, op_at(0) + offsetof(OpRecord, act_min), 100);
  poke<int8_t>(blob, op_at(0) + offsetof(OpRecord, act_max), 50);
  EXPECT_EQ(load(blob), Status::kBadOpParams);
}

TEST_F(LoaderTest, AcceptsAFusedHardSwishAndRejectsItsBadParams) {
  const size_t params = op_at(0) + offsetof(OpRecord, params);  // op 0 is a conv2d
  auto hard_swish = [&](std::array<int32_t, 6> values, int8_t act_min = -128) {
    auto blob = net_.blob;
    poke<int8_t>(blob, op_at(0) + offsetof(OpRecord, act_min), act_min, false);
    poke<int8_t>(blob, op_at(0) + offsetof(OpRecord, act_max), 127, false);
    poke(blob, params, values);
    return load(blob);
  };
  EXPECT_EQ(hard_swish({1, 3, 21845, 3, 16384, -6}), Status::kOk);
  EXPECT_EQ(hard_swish({2, 3, 21845, 3, 16384, -6}), Status::kBadOpParams);        // unknown fused activation
  EXPECT_EQ(hard_swish({1, 3, 21845, 3, 16384, -6}, -100), Status::kBadOpParams);  // a clamp as well
  EXPECT_EQ(hard_swish({1, 200, 21845, 3, 16384, -6}), Status::kBadQuantParams);  // pre-activation zero point
  EXPECT_EQ(hard_swish({1, 3, 40000, 3, 16384, -6}), Status::kBadQuantParams);    // not a Q15 multiplier
  EXPECT_EQ(hard_swish({1, 3, 21845, 32, 16384, -6}), Status::kBadQuantParams);   // reluish exponent
  EXPECT_EQ(hard_swish({1, 3, 21845, 3, 16384, 1}), Status::kBadQuantParams);     // output exponent > 0
  EXPECT_EQ(hard_swish({0, 3, 0, 0, 0, 0}), Status::kBadOpParams);                // kClamp takes no params
}

TEST_F(LoaderTest, RejectsNegativeMultipliers) {
  auto blob = net_.blob;
  OpRecord op;
  std::memcpy(&op, blob.data() + op_at(0), sizeof op);
  poke<int32_t>(blob, header().data_offset + op.multipliers.offset, -5);
  EXPECT_EQ(load(blob), Status::kBadQuantParams);
}

TEST_F(LoaderTest, AcceptsLeftShift31AndRejects32) {
  // 31 is what TFLite's reference executes for shifts of 63, 95, ... (the released r064 model has them).
  auto blob = net_.blob;
  OpRecord op;
  std::memcpy(&op, blob.data() + op_at(0), sizeof op);
  poke<int32_t>(blob, header().data_offset + op.shifts.offset, 31);
  EXPECT_EQ(load(blob), Status::kOk);
  poke<int32_t>(blob, header().data_offset + op.shifts.offset, 32);
  EXPECT_EQ(load(blob), Status::kBadQuantParams);
}

TEST_F(LoaderTest, RejectsPartitionsThatDoNotTileOrLackTheHalo) {
  OpRecord op;
  std::memcpy(&op, net_.blob.data() + op_at(0), sizeof op);  // conv 3x3 / 2, row parts
  const size_t part0 = header().part_table_offset + op.part_first * sizeof(PartRecord);
  auto blob = net_.blob;
  poke<uint16_t>(blob, part0 + offsetof(PartRecord, input_row_end), 1);  // halo missing
  EXPECT_EQ(load(blob), Status::kBadPartition);
  EXPECT_STREQ(error_.table, "part");
  blob = net_.blob;
  poke<uint16_t>(blob, part0 + offsetof(PartRecord, output_row_end), 1);  // rows left uncovered
  EXPECT_EQ(load(blob), Status::kBadPartition);
  blob = net_.blob;
  poke<uint32_t>(blob, op_at(0) + offsetof(OpRecord, part_count), 0x7FFFFFFFu);
  EXPECT_EQ(load(blob), Status::kBadPartition);
}

TEST_F(LoaderTest, RejectsOverlaysOutsideTheArenaOrTooSmallOrOverlapping) {
  const size_t overlays = op_at(0) + offsetof(OpRecord, input_overlays);
  auto blob = net_.blob;
  poke<uint32_t>(blob, overlays, net_.internal_bytes);
  EXPECT_EQ(load(blob), Status::kOverlayOutOfArena);
  blob = net_.blob;
  poke<uint32_t>(blob, overlays + 4, 8);
  EXPECT_EQ(load(blob), Status::kOverlayTooSmall);
  blob = net_.blob;
  uint32_t first;
  std::memcpy(&first, blob.data() + overlays, 4);
  poke<uint32_t>(blob, overlays + 8, first);  // both ping-pong buffers at one place
  EXPECT_EQ(load(blob), Status::kOverlayOverlap);
}

TEST(LoaderErrors, NamesEveryStatus) {
  EXPECT_STREQ(to_string(Status::kOk), "ok");
  EXPECT_STREQ(to_string(Status::kCrcMismatch), "crc_mismatch");
  EXPECT_STREQ(to_string(static_cast<Status>(999)), "unknown_status");
  const std::vector<uint8_t> nothing;
  Model model;
  EXPECT_EQ(load_model(nullptr, 0, Arenas{}, &model), Status::kBlobNull);
}

TEST(Crc32, MatchesZlib) {
  const char* text = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(text), 9), 0xCBF43926u);
}

}  // namespace
}  // namespace tinyops::rt
