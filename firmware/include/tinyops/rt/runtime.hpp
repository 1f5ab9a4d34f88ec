#pragma once
// The runtime's entry points: load a model blob (validate it completely, copy nothing) and run it.
//
//   tinyops::rt::Model model;
//   tinyops::rt::LoadError error;
//   if (load_model(blob, blob_bytes, {external, sizeof external, internal, sizeof internal}, &model, &error)
//       != tinyops::rt::Status::kOk) { /* error.table, error.index, error.field say what is wrong */ }
//   memcpy(model.input(), image, model.input_bytes());
//   run_model(model, &tinyops_results);  // model.output() now holds the result
#include <stdint.h>

#include "tinyops/rt/blob_format.hpp"
#include "tinyops/rt/results.hpp"
#include "tinyops/rt/status.hpp"

namespace tinyops::rt {

// The memory a model runs in: both arenas are static arrays of the application (TINYOPS_EXTERNAL /
// TINYOPS_INTERNAL), 4-byte aligned, at least as large as the blob's header asks.
struct Arenas {
  uint8_t* external;
  uint32_t external_bytes;
  uint8_t* internal;
  uint32_t internal_bytes;
};

// Where a blob failed validation: table is "header", "tensor", "op" or "part", index the record,
// field the record field (as named in BLOB_FORMAT.md).
struct LoadError {
  Status status;
  const char* table;
  uint32_t index;
  const char* field;
};

// A validated blob. It points into the blob and the arenas, which must outlive it.
class Model {
 public:
  bool loaded() const { return loaded_; }
  const BlobHeader& header() const { return header_; }
  TensorRecord tensor(uint32_t index) const;
  OpRecord op(uint32_t index) const;
  PartRecord part(uint32_t index) const;
  int8_t* tensor_data(const TensorRecord& tensor) const;
  const uint8_t* data(const DataRef& ref) const { return blob_ + header_.data_offset + ref.offset; }
  uint8_t* internal_arena() const { return arenas_.internal; }

  int8_t* input() const { return tensor_data(tensor(header_.input_tensor)); }
  uint32_t input_bytes() const { return tensor(header_.input_tensor).bytes; }
  const int8_t* output() const { return tensor_data(tensor(header_.output_tensor)); }
  uint32_t output_bytes() const { return tensor(header_.output_tensor).bytes; }

 private:
  friend Status load_model(const uint8_t*, uint32_t, const Arenas&, Model*, LoadError*);
  const uint8_t* blob_ = nullptr;
  BlobHeader header_{};
  Arenas arenas_{};
  bool loaded_ = false;
};

// Validates every offset, size, count, shape, quantization parameter and partition of the blob against
// the blob and the arenas (see BLOB_FORMAT.md); on success `model` is ready to run. Never faults on bad
// input; `error` (optional) says where the first problem is.
Status load_model(const uint8_t* blob, uint32_t blob_bytes, const Arenas& arenas, Model* model,
                  LoadError* error = nullptr);

// Runs the plan: every op, part by part, filling overlays through port::dma_start/dma_wait while the
// previous part computes. Records per-op times in `results` (the firmware passes &tinyops_results).
Status run_model(const Model& model, Results* results);

// zlib's CRC-32 (the blob's checksum), continuing from `crc` (0 to start).
uint32_t crc32(const uint8_t* data, uint32_t bytes, uint32_t crc = 0);

}  // namespace tinyops::rt
