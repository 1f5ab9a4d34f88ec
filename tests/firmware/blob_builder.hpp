#pragma once
// A model blob (v2) writer for the tests and the fuzz corpus (the product's writer is tinyops.compiler): a
// plan held in plain structs that a test may edit (to corrupt one field) before build() serializes it with
// the generated FlatBuffers builder.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tinyops/rt/blob_format.hpp"

namespace tinyops::rt::test {

// Plan memories of the test plans: 0 internal SRAM, 1 external memory (activations, then constants).
inline constexpr int16_t kSram = 0, kExternal = 1;

struct Copy {
  Operand operand;
  fb::Region src, dst;
  int16_t buffer;
};

struct PlanPart {
  int in_begin, in_end, out_begin, out_end, channel_begin, channel_end;
  std::array<fb::Region, kOperandCount> at;  // memory -1 where absent
  std::vector<Copy> copy_in, copy_when_due, copy_out;
  bool copy_ahead = false;
  std::vector<fb::Region> more_inputs;  // a concatenation's inputs after the second
};

struct PlanOp {
  OpKind kind = OpKind::Invalid;
  std::vector<uint16_t> inputs;
  uint16_t output = 0;
  int kernel = 0, stride = 0, dilation = 0, depth_multiplier = 0;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int act_min = -128, act_max = 127;
  std::vector<int32_t> add_params;
  std::vector<int32_t> op_params;  // mul, mean, logistic, softmax
  // A standalone hard-swish's Q15 multipliers and exponents.
  int reluish_multiplier = 0, reluish_exponent = 0, hs_output_multiplier = 0, hs_output_exponent = 0;
  fb::Region weights{-1, 0, 0}, bias{-1, 0, 0}, quant{-1, 0, 0};
  fb::Partitioning partitioning = fb::Partitioning::None;
  std::vector<PlanPart> parts;
};

struct PlanTensor {
  int h, w, c;
  fb::Region home;
  int32_t zero_point;
};

struct PlanBuffer {
  std::string name;
  fb::BufferKind kind;
  fb::Region region;
};

// The plan and its constants, as the builder serializes them (transfers and waits are derived by the
// simulator's rules, as the compiler does; `streams` deals transfers round-robin over that many streams).
struct Plan {
  std::vector<PlanTensor> tensors;
  std::vector<PlanBuffer> buffers;
  std::vector<PlanOp> ops;
  std::vector<uint8_t> constants;  // lies at [constants_base, +size) of the external memory
  uint32_t constants_base = 0;
  uint32_t external_bytes = 0, internal_bytes = 0;
  uint16_t input = 0, output = 0;
  int streams = 2;
  // The constants in internal flash (as `internal` plans weights): the blob's flash image, after the blob in the
  // file, instead of its constants vector.
  bool constants_in_flash = false;
};

std::vector<uint8_t> build(const Plan& plan);

// Recomputes the CRC of a blob (after a test edited it on purpose).
void refresh_crc(std::vector<uint8_t>& blob);

// A small network exercising every kernel: conv 3x3/2 -> conv 1x1 (branch) -> depthwise 3x3 -> conv 1x1 ->
// add (skip) -> pad -> average pool -> reshape -> fully connected, random weights from `seed`. Partitioned:
// every op that may be is split (rows or output channels) with input, weight, bias and quant copies into
// SRAM buffers, copies issued ahead (cross-op prefetch where the input is complete) and an output overlay
// (the depthwise op); otherwise all ops run in place from external memory.
Plan make_test_plan(uint32_t seed, bool partitioned, int parts = 3);

// The ops of issue 13 in a squeeze-and-excite-like network: max pool 2x2/2 -> hard-swish -> mean -> logistic
// -> mul (the (1, 1, C) gate, whole) -> mul (equal shapes) -> softmax -> concatenation of three (the softmax's
// output thrice: they share its quantization). Partitioned: the ops that may be are
// split by rows through SRAM buffers; otherwise all ops run in place from external memory.
Plan make_new_ops_plan(uint32_t seed, bool partitioned, int parts = 3);

struct TestNetwork {
  std::vector<uint8_t> blob;
  uint32_t external_bytes, internal_bytes;
};
TestNetwork build_test_network(uint32_t seed, bool partitioned, int parts = 3);
TestNetwork build_new_ops_network(uint32_t seed, bool partitioned, int parts = 3);

}  // namespace tinyops::rt::test
