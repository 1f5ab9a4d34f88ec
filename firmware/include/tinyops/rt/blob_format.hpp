#pragma once
// The model blob, version 2: a 16-byte fixed header (magic, version, sizes, CRC-32) followed by a FlatBuffer
// whose schema, firmware/schema/blob.fbs, is the one definition of the format. Its C++ reader,
// blob_generated.h, is generated from the schema (firmware/schema/generate.sh); the op kinds, operands and
// every other code come from there. firmware/BLOB_FORMAT.md says what each field means and what the loader
// checks.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tinyops/rt/blob_generated.h"

namespace tinyops::rt {

inline constexpr uint32_t kBlobMagic = 0x42504F54u;  // "TOPB" as bytes 54 4F 50 42 (as in blob v1)
inline constexpr uint16_t kBlobVersion = 2;
inline constexpr uint16_t kBlobVersionV1 = 1;  // refused with Status::kBlobV1 ("blob v1, recompile")
inline constexpr uint32_t kMaxOps = 256;       // capacity of the results table (see results.hpp)
inline constexpr int kOperandCount = 7;        // entries of Part.at (one per fb::Operand)
inline constexpr uint32_t kMaxStreams = 8;     // DMA streams a blob may name
inline constexpr uint32_t kMaxInputs = 16;     // inputs an op (a concatenation) may have

// Offset 0 of the blob. crc32 is zlib's CRC-32 of bytes [16, total_bytes): the FlatBuffer. The FlatBuffer
// starts at offset 16 (so the blob's 4-byte alignment is the FlatBuffer's).
struct BlobHeader {
  uint32_t magic;         // 0  kBlobMagic
  uint16_t version;       // 4  kBlobVersion
  uint16_t header_bytes;  // 6  sizeof(BlobHeader) = 16
  uint32_t total_bytes;   // 8  header + FlatBuffer
  uint32_t crc32;         // 12 CRC-32 of bytes [16, total_bytes)
};
static_assert(sizeof(BlobHeader) == 16, "BlobHeader layout");

// A .blob file as the compiler writes it: the blob, then (when the plan puts constants in internal flash) the
// blob's flash image at the next 16-byte boundary. On a device the host loads the two parts into their own
// slots; a host holding the whole file (the Python bindings, the fuzz target) finds the image here. What
// follows a blob's total_bytes is its flash image; the loader checks its size and CRC-32 against the Model's.
inline constexpr uint32_t kFlashImageAlignment = 16;
struct FlashImage {
  const uint8_t* data;  // null: the file holds no flash image
  uint32_t bytes;
};
inline FlashImage flash_image_in_file(const uint8_t* file, uint32_t file_bytes) {
  BlobHeader h{};
  if (file == nullptr || file_bytes < sizeof h) return {nullptr, 0};
  memcpy(&h, file, sizeof h);
  const uint64_t start =
      (uint64_t{h.total_bytes} + kFlashImageAlignment - 1) / kFlashImageAlignment * kFlashImageAlignment;
  if (h.magic != kBlobMagic || start >= file_bytes) return {nullptr, 0};
  return {file + start, static_cast<uint32_t>(file_bytes - start)};
}

using OpKind = fb::OpKind;
using Operand = fb::Operand;
using Segments = flatbuffers::Vector<const fb::Segment*>;  // the blob's memory map

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the blob is little-endian: big-endian targets need byte swaps"
#endif

}  // namespace tinyops::rt
