#pragma once
// The runtime's entry points: load a model blob (validate it completely, copy nothing) and run its plan.
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
// TINYOPS_INTERNAL), 4-byte aligned, at least as large as the blob asks. `flash` is the port's internal-flash
// slot (the linker script's __tinyops_flash_start/_end), read only: it holds the blob's flash image, the
// constants the plan puts in internal flash; a blob without one needs none.
struct Arenas {
  uint8_t* external;
  uint32_t external_bytes;
  uint8_t* internal;
  uint32_t internal_bytes;
  const uint8_t* flash = nullptr;
  uint32_t flash_bytes = 0;
};

// Where a blob failed validation: table is "header", "model", "memory", "segment", "buffer", "tensor",
// "op", "part" or "transfer", index the entry, field the schema's field name (see BLOB_FORMAT.md).
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
  const fb::Model& plan() const { return *root_; }  // the verified FlatBuffer root
  uint32_t op_count() const { return root_->ops()->size(); }
  uint32_t part_count() const { return part_count_; }
  const fb::Tensor& tensor(uint32_t index) const { return *root_->tensors()->Get(index); }
  // The device address of a region the loader checked (null for an absent one).
  uint8_t* address(const fb::Region& region) const;
  int8_t* tensor_data(uint32_t index) const { return reinterpret_cast<int8_t*>(address(*tensor(index).home())); }

  uint16_t input_tensor() const { return root_->input(); }
  uint16_t output_tensor() const { return root_->output(); }
  int8_t* input() const { return tensor_data(input_tensor()); }
  uint32_t input_bytes() const { return tensor(input_tensor()).home()->bytes(); }
  const int8_t* output() const { return tensor_data(output_tensor()); }
  uint32_t output_bytes() const { return tensor(output_tensor()).home()->bytes(); }

 private:
  friend Status load_model(const uint8_t*, uint32_t, const Arenas&, Model*, LoadError*);
  const fb::Model* root_ = nullptr;
  // The memory map, looked up once: address() runs for every operand of every part and both ends of every
  // transfer, where the FlatBuffer's field lookup would cost as much as the search itself.
  const Segments* segments_ = nullptr;
  const uint8_t* constants_ = nullptr;
  Arenas arenas_{};
  uint32_t part_count_ = 0;
  bool loaded_ = false;
};

// Validates the header, the CRC, the FlatBuffer (FlatBuffers' Verifier) and then every region, shape,
// quantization parameter, part and transfer of the plan against the memory map, the blob and the arenas
// (see BLOB_FORMAT.md); on success `model` is ready to run. Never faults on bad input; `error` (optional)
// says where the first problem is. A version-1 blob is refused with Status::kBlobV1.
Status load_model(const uint8_t* blob, uint32_t blob_bytes, const Arenas& arenas, Model* model,
                  LoadError* error = nullptr);

// The arena sizes a blob asks for, after the header, CRC and FlatBuffer checks (for hosts that size the
// arenas from the blob).
Status blob_arena_bytes(const uint8_t* blob, uint32_t blob_bytes, uint32_t* external_bytes, uint32_t* internal_bytes,
                        LoadError* error = nullptr);

// Runs the plan: for every part, in order, issues the transfers the blob lists for it (through
// port::dma_start), waits for the ones it lists, computes the part with its operands where the plan puts
// them. Records per-op times in `results` (the firmware passes &tinyops_results).
Status run_model(const Model& model, Results* results);

// zlib's CRC-32 (the blob's checksum), continuing from `crc` (0 to start).
uint32_t crc32(const uint8_t* data, uint32_t bytes, uint32_t crc = 0);

}  // namespace tinyops::rt
