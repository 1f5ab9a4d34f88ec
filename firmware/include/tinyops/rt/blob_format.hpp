#pragma once
// The model blob, byte for byte: what the compiler (tinyops.compiler) writes and the loader validates.
// Every multi-byte field is little-endian; records are read with memcpy, so they are never dereferenced
// in place. The prose version with the same tables is firmware/BLOB_FORMAT.md; change both together and
// bump kBlobVersion on any layout change.
#include <stddef.h>
#include <stdint.h>

namespace tinyops::rt {

inline constexpr uint32_t kBlobMagic = 0x42504F54u;  // "TOPB" as bytes 54 4F 50 42
inline constexpr uint16_t kBlobVersion = 1;
inline constexpr uint16_t kNoTensor = 0xFFFFu;       // an unused tensor slot of an op
inline constexpr uint32_t kDataAlignment = 4;        // every DataRef.offset is a multiple of this
inline constexpr uint32_t kMaxOps = 256;             // capacity of the results table (see results.hpp)

// Offset 0 of the blob. crc32 is zlib's CRC-32 (poly 0xEDB88320 reflected, init/xorout 0xFFFFFFFF) of
// bytes [16, total_bytes): everything after the crc field.
struct BlobHeader {
  uint32_t magic;                 // 0  kBlobMagic
  uint16_t version;               // 4  kBlobVersion
  uint16_t header_bytes;          // 6  sizeof(BlobHeader) = 64
  uint32_t total_bytes;           // 8  length of the whole blob
  uint32_t crc32;                 // 12 CRC-32 of bytes [16, total_bytes)
  uint32_t tensor_table_offset;   // 16 TensorRecord[tensor_count]
  uint16_t tensor_count;          // 20
  uint16_t op_count;              // 22 <= kMaxOps
  uint32_t op_table_offset;       // 24 OpRecord[op_count], in execution order
  uint32_t part_table_offset;     // 28 PartRecord[part_count]
  uint32_t part_count;            // 32
  uint32_t data_offset;           // 36 constant data (weights, bias, multipliers, shifts); multiple of 4
  uint32_t data_bytes;            // 40
  uint32_t external_arena_bytes;  // 44 the arena in external memory (SDRAM/PSRAM) the plan needs
  uint32_t internal_arena_bytes;  // 48 the arena in internal SRAM (resident tensors and overlays)
  uint16_t input_tensor;          // 52 the network input (written by the caller before run)
  uint16_t output_tensor;         // 54 the network output (read by the caller after run)
  uint32_t flags;                 // 56 0
  uint32_t reserved;              // 60 0
};

enum class MemoryKind : uint8_t {
  kExternal = 0,  // the external arena
  kInternal = 1,  // the internal arena
};

// An activation tensor: NHWC with N = 1, int8, living in one of the two arenas.
// Real value = scale * (q - zero_point), scale = scale_multiplier * 2^(scale_shift - 31)
// (scale_multiplier in [2^30, 2^31), or 0 with scale_shift 0 when unknown). The kernels never read the
// scale: every rescaling they do is precomputed into the op's multipliers; it is kept for tools.
struct TensorRecord {
  uint16_t height;           // 0
  uint16_t width;            // 2
  uint16_t channels;         // 4
  uint8_t memory;            // 6 MemoryKind
  uint8_t reserved0;         // 7 0
  uint32_t offset;           // 8 byte offset in its arena
  uint32_t bytes;            // 12 = height * width * channels
  int32_t zero_point;        // 16 in [-128, 127]
  int32_t scale_multiplier;  // 20
  int32_t scale_shift;       // 24
  uint32_t reserved1;        // 28 0
};

enum class OpKind : uint8_t {
  kConv2d = 1,             // weights OHWI int8 [Cout][kh][kw][Cin], bias int32 [Cout]
  kDepthwiseConv2d = 2,    // weights [kh][kw][Cout] int8 (Cout = Cin * depth_multiplier), bias int32 [Cout]
  kAdd = 3,                // two inputs of the same shape; params = TFLite's quantized add parameters
  kAveragePool2d = 4,      // input and output share scale and zero point (as TFLite requires)
  kFullyConnected = 5,     // weights [Cout][Cin] int8, bias int32 [Cout]; input flattened (h*w*c = Cin)
  kPad = 6,                // pads height/width with the output zero point
  kReshape = 7,            // same bytes, new shape; a copy unless input and output share storage
};
inline constexpr uint8_t kMaxOpKind = 7;

enum class Strategy : uint8_t {
  kInPlace = 0,      // one part, operands read where they live (resident or external in place)
  kRows = 1,         // parts split the output rows; each part's input rows (with halo) go to an overlay
  kChannels = 2,     // parts split the output channels; each part's weights go to an overlay
};

enum OpFlags : uint8_t {
  kFlagCopyWeights = 1u << 0,   // copy weights+bias+multipliers+shifts of a part into a weight overlay
  kFlagPrefetchNext = 1u << 1,  // during this op's last part, start copying the next op's first input part
};

// The fused activation of a conv2d / depthwise op (OpRecord::params[0]).
//   kClamp: act_min/max only (TFLite's fused NONE/RELU/RELU6/RELU_N1_TO_1).
//   kHardSwish: TFLite's convolution without activation followed by HARD_SWISH, run as one op so that the
//     pre-activation tensor never needs memory of its own: the kernel requantizes to the pre-activation
//     zero point params[1] (act_min/max = -128/127), then hard-swish maps each value to the output tensor.
//     params[2..5] = TFLite's HardSwishParams: reluish_multiplier (Q15, 0 ... 32767), reluish_exponent
//     (-31 ... 31), output_multiplier (Q15), output_exponent (-31 ... 0).
enum class FusedActivation : int32_t {
  kClamp = 0,
  kHardSwish = 1,
};

// A byte range of the constant data section (offset relative to BlobHeader::data_offset).
struct DataRef {
  uint32_t offset;  // multiple of kDataAlignment
  uint32_t bytes;   // 0 = absent
};

// A byte range of the internal arena used as an overlay buffer.
struct ArenaRef {
  uint32_t offset;
  uint32_t bytes;  // 0 = absent
};

// Parameters by kind (all others must be 0):
//   conv2d / depthwise: kernel_*, stride_*, dilation_*, pad_top/left (bottom/right recorded for checks),
//     depth_multiplier (depthwise; 1 for conv2d), act_min/max, weights, bias, multipliers, shifts,
//     params[0] = FusedActivation; with kHardSwish, params[1..5] as FusedActivation says (else 0).
//   fully_connected: act_min/max, weights, bias, multipliers, shifts (one per output channel; a per-tensor
//     model repeats it), params[0] = weights zero point (TFLite's -filter_offset, 0 for symmetric).
//   add: act_min/max, params = {input1_multiplier, input1_shift, input2_multiplier, input2_shift,
//     output_multiplier, output_shift}, TFLite's left_shift 20 is implied.
//   average_pool: kernel_*, stride_*, pad_top/left, act_min/max.
//   pad: pad_top/left/bottom/right; the pad value is the output zero point.
//   reshape: nothing.
// Input zero points and the output zero point come from the tensors.
struct OpRecord {
  uint8_t kind;               // 0  OpKind
  uint8_t strategy;           // 1  Strategy
  uint8_t flags;              // 2  OpFlags
  uint8_t reserved0;          // 3  0
  uint16_t inputs[2];         // 4  tensor indices, kNoTensor where unused
  uint16_t output;            // 8
  uint16_t depth_multiplier;  // 10
  uint8_t kernel_h;           // 12
  uint8_t kernel_w;           // 13
  uint8_t stride_h;           // 14
  uint8_t stride_w;           // 15
  uint8_t dilation_h;         // 16
  uint8_t dilation_w;         // 17
  int8_t act_min;             // 18 fused activation clamp (TFLite's output_activation_min)
  int8_t act_max;             // 19
  uint16_t pad_top;           // 20
  uint16_t pad_left;          // 22
  uint16_t pad_bottom;        // 24
  uint16_t pad_right;         // 26
  int32_t params[6];          // 28
  DataRef weights;            // 52
  DataRef bias;               // 60 int32 per output channel
  DataRef multipliers;        // 68 int32 per output channel (Q31, TFLite's output_multiplier)
  DataRef shifts;             // 76 int32 per output channel (TFLite's output_shift, > 0 = left)
  uint32_t part_first;        // 84 index into the part table
  uint32_t part_count;        // 88 >= 1
  ArenaRef input_overlays[2]; // 92 ping-pong input buffers (kRows); bytes 0 = inputs read in place
  ArenaRef weight_overlays[2];// 108 ping-pong weight buffers (kFlagCopyWeights)
  uint32_t reserved1;         // 124 0
};

// One part of an op: output rows [output_row_begin, output_row_end) x output channels
// [channel_begin, channel_end), computed from input rows [input_row_begin, input_row_end) (the halo
// included). An in-place op has one part covering everything.
struct PartRecord {
  uint16_t input_row_begin;   // 0
  uint16_t input_row_end;     // 2
  uint16_t output_row_begin;  // 4
  uint16_t output_row_end;    // 6
  uint16_t channel_begin;     // 8
  uint16_t channel_end;       // 10
  uint32_t reserved;          // 12 0
};

static_assert(sizeof(BlobHeader) == 64, "BlobHeader layout");
static_assert(sizeof(TensorRecord) == 32, "TensorRecord layout");
static_assert(sizeof(OpRecord) == 128, "OpRecord layout");
static_assert(sizeof(PartRecord) == 16, "PartRecord layout");
static_assert(offsetof(OpRecord, params) == 28 && offsetof(OpRecord, weights) == 52 &&
                  offsetof(OpRecord, part_first) == 84 && offsetof(OpRecord, input_overlays) == 92 &&
                  offsetof(OpRecord, weight_overlays) == 108,
              "OpRecord offsets");
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the blob is little-endian and records are read with memcpy: big-endian targets need byte swaps"
#endif

}  // namespace tinyops::rt
