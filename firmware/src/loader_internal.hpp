#pragma once
// What the loader's two files share (loader.cpp: the model, memory map, transfers and parts; loader_ops.cpp:
// each op kind's parameters): error collection and the resolution of regions through the memory map.
#include <stdint.h>

#include "tinyops/rt/runtime.hpp"

namespace tinyops::rt::loader {

inline bool range_inside(uint64_t offset, uint64_t bytes, uint64_t limit) {
  return offset <= limit && bytes <= limit - offset;
}

// Collects the first error with its location; every check returns false once one has failed.
class Checker {
 public:
  explicit Checker(LoadError* error) : error_(error) {}
  bool fail(Status status, const char* table, uint32_t index, const char* field) {
    if (error_) *error_ = {status, table, index, field};
    status_ = status;
    return false;
  }
  Status status() const { return status_; }

 private:
  LoadError* error_;
  Status status_ = Status::kOk;
};

// The segment of the memory map that holds all of `r` (segments of one memory do not overlap), or null.
const fb::Segment* find_segment(const Segments& segments, const fb::Region& r);

// Where a region lies: its segment's space and the offset in that space.
struct Placed {
  fb::Space space;
  uint32_t offset;
};

// The checks of a model's regions against its memory map, base of the loader's checkers.
class Regions {
 public:
  // `flash`: the flash slot holding the model's flash image (checked before any region is).
  Regions(const fb::Model& m, Checker& check, const uint8_t* flash) : m_(m), check_(check), flash_(flash) {}

  // The segment holding all of `r`, or false (absent regions are memory -1 and not placed).
  bool place(const fb::Region& r, Placed& out) const;

 protected:
  // A present region inside the memory map; `writable`: not in the constants (the blob's or the flash
  // image's); `aligned`: 4-byte.
  bool region(const fb::Region* r, bool writable, bool aligned, const char* table, uint32_t i, const char* field,
              Placed* placed = nullptr) const;
  static bool present(const fb::Region* r) { return r != nullptr && r->memory() >= 0; }
  // Where the constant bytes of a placed region are: the blob's constants or the flash image.
  const uint8_t* constant_bytes(const Placed& p) const {
    return (p.space == fb::Space::InternalFlash ? flash_ : m_.constants()->data()) + p.offset;
  }

  const fb::Model& m_;
  Checker& check_;
  const uint8_t* flash_;
};

// Op i's kind-specific parameters (window, weights, quantization, op_params) against its input(s) and output.
bool kind_params_ok(const fb::Model& m, Checker& check, const uint8_t* flash, uint32_t i, const fb::Op& op,
                    const fb::Tensor& in, const fb::Tensor& in2, const fb::Tensor& out);

}  // namespace tinyops::rt::loader
