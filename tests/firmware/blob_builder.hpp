#pragma once
// A model blob writer for the tests and the fuzz corpus (the product's writer is tinyops.compiler).
#include <cstdint>
#include <vector>

#include "tinyops/rt/blob_format.hpp"

namespace tinyops::rt::test {

class BlobBuilder {
 public:
  uint16_t add_tensor(int h, int w, int c, MemoryKind memory, uint32_t offset, int32_t zero_point);
  DataRef add_data(const void* bytes, uint32_t count);
  template <class T>
  DataRef add_array(const std::vector<T>& values) {
    return add_data(values.data(), static_cast<uint32_t>(values.size() * sizeof(T)));
  }
  // Appends the op with its parts (part_first/part_count are filled in).
  void add_op(OpRecord op, const std::vector<PartRecord>& parts);
  void set_io(uint16_t input, uint16_t output) { input_ = input, output_ = output; }
  void set_arenas(uint32_t external_bytes, uint32_t internal_bytes) { external_ = external_bytes, internal_ = internal_bytes; }
  std::vector<TensorRecord>& tensors() { return tensors_; }
  std::vector<OpRecord>& ops() { return ops_; }
  std::vector<PartRecord>& parts() { return parts_; }
  std::vector<uint8_t> build() const;  // header, tensors, ops, parts, data; CRC filled in

 private:
  std::vector<TensorRecord> tensors_;
  std::vector<OpRecord> ops_;
  std::vector<PartRecord> parts_;
  std::vector<uint8_t> data_;
  uint16_t input_ = 0, output_ = 0;
  uint32_t external_ = 0, internal_ = 0;
};

// Recomputes the CRC of a blob (after a test edited it on purpose).
void refresh_crc(std::vector<uint8_t>& blob);

// A small network exercising every kernel: conv 3x3/2 -> depthwise 3x3 -> conv 1x1 -> add (skip) -> pad ->
// average pool -> reshape -> fully connected, random weights from `seed`. Partitioned: every op that may
// be is split (rows or output channels) with overlays, weight copies and prefetches; otherwise all ops
// run in place from the external arena.
struct TestNetwork {
  std::vector<uint8_t> blob;
  uint32_t external_bytes, internal_bytes;
};
TestNetwork build_test_network(uint32_t seed, bool partitioned, int parts = 3);

}  // namespace tinyops::rt::test
