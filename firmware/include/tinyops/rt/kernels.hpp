#pragma once
// The int8 kernels (TFLite semantics). Each works on a window of rows so that the executor can run an op
// part by part: the input holds rows [row_begin, row_end) of a height x width x channels tensor, the
// output region is rows [row_begin, row_end) x channels [channel_begin, channel_end) of its tensor.
// Kernels trust their arguments: the loader has checked every shape, range and halo beforehand.
// Each op has a portable `*_reference` (the ground truth, a direct reading of TFLite's reference kernel)
// and a dispatcher (the name without suffix) that picks an optimized variant where one applies.
#include <stdint.h>

namespace tinyops::rt {

struct InputRows {
  const int8_t* data;  // row row_begin, column 0, channel 0
  int height, width, channels;
  int row_begin, row_end;
  int32_t zero_point;
  const int8_t* row(int y) const { return data + (y - row_begin) * width * channels; }
};

struct OutputRegion {
  int8_t* data;  // row row_begin, column 0, channel 0
  int height, width, channels;
  int row_begin, row_end;
  int channel_begin, channel_end;
  int32_t zero_point;
  int8_t* row(int y) const { return data + (y - row_begin) * width * channels; }
};

struct WindowGeometry {
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_top, pad_left;
  int depth_multiplier;  // depthwise only
  int32_t act_min, act_max;
};

// Per-output-channel data, each pointer at output channel `channel_begin` of the region (a slice: what
// a channel-partitioned part copies into its overlay). Depthwise regions always start at channel 0.
struct ChannelData {
  const int8_t* weights;  // conv2d OHWI, depthwise [kh][kw][C], fully connected [Cout][Cin]
  const int32_t* bias;
  const int32_t* multipliers;
  const int32_t* shifts;
};

struct AddParams {
  int32_t input1_multiplier, input1_shift;
  int32_t input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift;
  int32_t act_min, act_max;
};
inline constexpr int kAddLeftShift = 20;  // TFLite's int8 add

// TFLite's HardSwishParams for int8: Q15 multipliers (TFLite's DownScaleInt32ToInt16Multiplier of the Q31
// ones) from the input scale / 128 to the output scale and to the "relu-ish" scale (3.0 = 32768), with
// their exponents (output_exponent <= 0, as TFLite's Prepare requires; the loader checks the ranges).
struct HardSwishParams {
  int32_t input_zero_point, output_zero_point;
  int16_t reluish_multiplier, output_multiplier;
  int32_t reluish_exponent, output_exponent;
};

void conv2d_reference(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);
// 1x1 (any stride, no padding) and small-patch convolutions (kh*kw*Cin <= kMaxConvPatch, e.g. the first
// 3x3 layer) with SMLAD on 2 output channels x 2 pixels; other shapes fall back to the reference.
// Scratch: fixed stack buffers (Conv2dOpState's among them), at most about 7.5 KB whatever the shape (int16 weights of
// a channel block: 4 KB; a sign-extended pixel pair: 1.5 KB; per-channel state and accumulators: 1 KB; gathered
// patches: 0.5 KB).
inline constexpr int kMaxConvPatch = 256;
// The DSP conv2d's per-op set-up (channel blocks' requantization state and int16 weights: 4.7 KB of the scratch
// above), held by the caller across the parts of ONE op (conv2d_dsp_reusing) so that a part does not redo what the
// previous part of the op set up (issue #11: ~2 % of a partitioned run). The caller keeps it on its stack while
// the op's parts run (the kernel's own stack then holds none of it: the peak is unchanged), starts it with
// `held = 0` and never shares it between ops. The kernel keys each block it holds on the block's filters and
// channels (as many blocks as fit: one widened 4 KB block, up to 7 that are not widened), and walks the blocks of
// alternate calls in opposite orders, so that each call starts with the blocks the previous one ended with.
inline constexpr int kConv2dOpStateBytes = 4800;
struct Conv2dOpState {
  uint32_t held = 0;  // 0: nothing set up yet
  alignas(8) unsigned char storage[kConv2dOpStateBytes];
};
bool conv2d_dsp_applies(const WindowGeometry& g, const InputRows& in);
void conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);
void conv2d_dsp_reusing(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out,
                        Conv2dOpState& state);
void conv2d(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);

void depthwise_conv2d_reference(const WindowGeometry& g, const InputRows& in, const ChannelData& c,
                                const OutputRegion& out);
// 3x3, 5x5 or 7x7, any stride and padding, dilation 1, depth multiplier 1, channels a multiple of 4:
// 4 channels per step with SMLABB/SMLATT over a ring of K gathered, sign-extended input rows (stack scratch:
// kDepthwiseDspRingWords words, 4 KB; maps wider than the ring holds run in column strips). Maps narrower or
// shorter than the kernel skip the ring (only the taps inside the map, read in place).
inline constexpr int kDepthwiseDspRingWords = 1024;
bool depthwise_conv2d_dsp_applies(const WindowGeometry& g, const InputRows& in);
void depthwise_conv2d_dsp(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);
void depthwise_conv2d(const WindowGeometry& g, const InputRows& in, const ChannelData& c, const OutputRegion& out);

// Fully connected: the input's rows flattened (h*w*c = Cin); weights_zero_point is TFLite's -filter_offset.
void fully_connected_reference(const InputRows& in, const ChannelData& c, int32_t weights_zero_point, int32_t act_min,
                               int32_t act_max, const OutputRegion& out);

void add_reference(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
// No rescaling a left shift (as TFLite's Prepare makes them, but for a tiny output scale): each on the short
// requantization path, four elements per step; add() dispatches.
bool add_dsp_applies(const AddParams& p);
void add_dsp(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
void add(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
void average_pool2d_reference(const WindowGeometry& g, const InputRows& in, const OutputRegion& out);
// Pad: output rows/columns outside the input (offset by pad_top/pad_left) get the output zero point.
void pad_reference(int pad_top, int pad_left, const InputRows& in, const OutputRegion& out);
// hard-swish (TFLite's int8 HARD_SWISH): one value, `count` values (in may equal out), and in place on an
// output region (what a convolution with a fused hard-swish runs after its kernel).
int8_t hard_swish_one(const HardSwishParams& p, int8_t x);
void hard_swish_reference(const HardSwishParams& p, const int8_t* in, int8_t* out, int count);
void hard_swish_region(const HardSwishParams& p, const OutputRegion& region);
// Optimized: an int8 -> int8 map has 256 values, so an op tabulates them once (hard_swish_table, 256
// evaluations) and each of its parts then costs one load per value (hard_swish_region_lut).
void hard_swish_table(const HardSwishParams& p, int8_t table[256]);
void hard_swish_region_lut(const int8_t table[256], const OutputRegion& region);
// An int8 -> int8 map through its 256-entry table (what hard_swish_table or the reference kernel of logistic
// writes): `count` values, in may equal out.
void map_lut(const int8_t table[256], const int8_t* in, int8_t* out, int count);
// The ops of squeeze-and-excite, classifier heads and branches (issue 13), in blob v2 and the executor; each is
// checked bit-exact against the compiler's numpy reference (tests/firmware/data).
// mul (TFLite's int8 MUL): in2 has in1's shape, or is a (1, 1, C) gate broadcast over rows and columns.
struct MulParams {
  int32_t multiplier, shift;
  int32_t act_min, act_max;
};
void mul_reference(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
// The (1, 1, C) gate of squeeze-and-excite (C <= kMaxMulGateChannels) with a right-shift (or no) rescaling, by
// rows: the gate's zero point is taken out once per part, each product (|p| < 2^16) rescaled on the short path
// (RightShiftRescale), four elements per step; mul() dispatches.
inline constexpr int kMaxMulGateChannels = 1024;  // the gate as int16 on the stack: 2 KB
bool mul_gate_applies(const MulParams& p, const InputRows& in1, const InputRows& in2);
void mul_gate(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
void mul(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out);
// mean over rows and columns (TFLite's QuantizedMeanOrSum, 1/count folded into multiplier and shift): `in`
// holds every row; `out` is (1, 1, C).
void mean_reference(int32_t multiplier, int32_t shift, const InputRows& in, const OutputRegion& out);
// max pool: the window's elements inside the input (padding never wins), clamped; keeps the quantization.
void max_pool2d_reference(const WindowGeometry& g, const InputRows& in, const OutputRegion& out);
// concatenation along channels of `count` inputs sharing the output's quantization (clamped to act range).
void concatenation_reference(const InputRows* inputs, int count, int32_t act_min, int32_t act_max,
                             const OutputRegion& out);
// The same where the activation range is the full int8 range (no value clamps): a memcpy per input and pixel,
// input by input over a row; concatenation() dispatches.
bool concatenation_copy_applies(int32_t act_min, int32_t act_max);
void concatenation_copy(const InputRows* inputs, int count, const OutputRegion& out);
void concatenation(const InputRows* inputs, int count, int32_t act_min, int32_t act_max, const OutputRegion& out);
// logistic (TFLite's reference_integer_ops::Logistic): output scale 1/256, zero point -128.
struct LogisticParams {
  int32_t input_zero_point;
  int32_t input_multiplier, input_left_shift, input_range_radius;
};
void logistic_reference(const LogisticParams& p, const int8_t* in, int8_t* out, int count);
// softmax over the last `depth` values of each of `rows` rows (TFLite's reference_ops::Softmax, int8 in and
// out): output scale 1/256, zero point -128.
struct SoftmaxParams {
  int32_t input_multiplier, input_left_shift, diff_min;
};
void softmax_reference(const SoftmaxParams& p, const int8_t* in, int8_t* out, int rows, int depth);
// Reshape: copies `bytes` unless source and destination are the same storage.
void reshape_reference(const int8_t* in, int8_t* out, uint32_t bytes);

}  // namespace tinyops::rt
