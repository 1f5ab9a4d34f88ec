#pragma once
// Status codes of the firmware runtime: the loader and the executor report every problem through these,
// never by faulting. to_string() gives the stable snake_case name (also used by the host bindings).
#include <stdint.h>

namespace tinyops::rt {

enum class Status : int32_t {
  kOk = 0,
  kBlobNull = 1,      // no blob pointer, or the blob is not 4-byte aligned
  kBlobTooSmall = 2,  // shorter than the header, or than header.total_bytes
  kBadMagic = 3,
  kUnsupportedVersion = 4,
  kBadHeader = 5,  // header_bytes, flags or reserved fields not as specified
  kCrcMismatch = 6,
  kTableOutOfBounds = 7,   // a memory-map segment outside its memory or its space (arena, constants)
  kTooManyOps = 8,         // op_count is 0 or exceeds kMaxOps
  kBadTensor = 9,          // zero dimension, bytes != h*w*c, bad memory kind, zero point out of range
  kTensorOutOfArena = 10,  // a tensor does not fit inside its arena
  kArenaTooSmall = 11,     // the arenas given to the loader are smaller than the blob asks for
  kBadTensorIndex = 12,    // an op or the header names a tensor that does not exist
  kBadOpKind = 13,
  kBadOpParams = 14,        // strides, kernel, padding, clamp or reserved fields out of range
  kShapeMismatch = 15,      // input/output shapes inconsistent with the op and its parameters
  kDataOutOfBounds = 16,    // a weights/bias/multiplier/shift reference outside the data section
  kDataMisaligned = 17,     // a data reference, weight overlay or arena not on a 4-byte boundary
  kDataSizeMismatch = 18,   // a data reference of the wrong size for the op
  kBadQuantParams = 19,     // a multiplier/shift pair out of TFLite's range
  kBadPartition = 20,       // parts not tiling the output, missing halo rows, strategy not allowed
  kOverlayOutOfArena = 21,  // an overlay buffer outside the internal arena
  kOverlayTooSmall = 22,    // a part's input rows or weight slice does not fit its overlay
  kOverlayOverlap = 23,     // ping-pong buffers, or a prefetch target, overlap buffers in use
  kNotLoaded = 24,          // run() on a model that did not load
  kBlobV1 = 25,             // a version-1 blob: recompile it (tinyops compile) for this runtime
  kBadFlatBuffer = 26,      // the FlatBuffer fails the FlatBuffers Verifier (offsets, sizes, identifier)
  kBadRegion = 27,          // a region outside the memory map, or written where it may not be
  kBadTransfer = 28,        // a transfer's sizes, stream, order or dependencies are not as specified
};

const char* to_string(Status status);

}  // namespace tinyops::rt
