#include "tinyops/rt/status.hpp"

namespace tinyops::rt {

const char* to_string(Status status) {
  switch (status) {
    case Status::kOk: return "ok";
    case Status::kBlobNull: return "blob_null";
    case Status::kBlobTooSmall: return "blob_too_small";
    case Status::kBadMagic: return "bad_magic";
    case Status::kUnsupportedVersion: return "unsupported_version";
    case Status::kBadHeader: return "bad_header";
    case Status::kCrcMismatch: return "crc_mismatch";
    case Status::kTableOutOfBounds: return "table_out_of_bounds";
    case Status::kTooManyOps: return "too_many_ops";
    case Status::kBadTensor: return "bad_tensor";
    case Status::kTensorOutOfArena: return "tensor_out_of_arena";
    case Status::kArenaTooSmall: return "arena_too_small";
    case Status::kBadTensorIndex: return "bad_tensor_index";
    case Status::kBadOpKind: return "bad_op_kind";
    case Status::kBadOpParams: return "bad_op_params";
    case Status::kShapeMismatch: return "shape_mismatch";
    case Status::kDataOutOfBounds: return "data_out_of_bounds";
    case Status::kDataMisaligned: return "data_misaligned";
    case Status::kDataSizeMismatch: return "data_size_mismatch";
    case Status::kBadQuantParams: return "bad_quant_params";
    case Status::kBadPartition: return "bad_partition";
    case Status::kOverlayOutOfArena: return "overlay_out_of_arena";
    case Status::kOverlayTooSmall: return "overlay_too_small";
    case Status::kOverlayOverlap: return "overlay_overlap";
    case Status::kNotLoaded: return "not_loaded";
    case Status::kBlobV1: return "blob_v1_recompile";
    case Status::kBadFlatBuffer: return "bad_flatbuffer";
    case Status::kBadRegion: return "bad_region";
    case Status::kBadTransfer: return "bad_transfer";
  }
  return "unknown_status";
}

}  // namespace tinyops::rt
