// libFuzzer target: any bytes as a blob (v2: 16-byte header with CRC, then the FlatBuffer; seeds from
// tests/firmware/blob_builder). The loader must reject or accept without faulting, and whatever it accepts
// must run without touching memory outside the blob's constants and the arenas (ASan/UBSan watch both).
// Half of the inputs get their CRC recomputed so that mutations reach the Verifier and the checks behind it.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "tinyops/rt/runtime.hpp"

namespace {
constexpr size_t kMaxBlob = 1 << 16;
constexpr uint32_t kArenaBytes = 1 << 16;
alignas(4) uint8_t g_blob[kMaxBlob];
alignas(4) uint8_t g_external[kArenaBytes];
alignas(4) uint8_t g_internal[kArenaBytes];
tinyops::rt::Results g_results;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tinyops::rt;
  if (size > kMaxBlob) return 0;
  if (size) std::memcpy(g_blob, data, size);
  if (size >= sizeof(BlobHeader) && (size & 1) == 0) {
    uint32_t total;
    std::memcpy(&total, g_blob + 8, 4);
    if (total >= 16 && total <= size) {
      const uint32_t crc = crc32(g_blob + 16, total - 16);
      std::memcpy(g_blob + 12, &crc, 4);
    }
  }
  Model model;
  LoadError error;
  // What follows the blob plays the flash slot, so that blobs with weights in internal flash are reached too.
  const FlashImage flash = flash_image_in_file(g_blob, static_cast<uint32_t>(size));
  const Arenas arenas{g_external, kArenaBytes, g_internal, kArenaBytes, flash.data, flash.bytes};
  if (load_model(g_blob, static_cast<uint32_t>(size), arenas, &model, &error) == Status::kOk) {
    run_model(model, &g_results);
  }
  return 0;
}
