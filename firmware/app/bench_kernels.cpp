// Kernel benchmark firmware: runs the conv 1x1, depthwise 3x3/5x5/7x7, first-layer 3x3 stride-2 and
// squeeze-and-excite gate mul and concatenation kernels of the runtime on the shapes of
// benchmarks/bench_kernels_qemu.py, reference then optimized, each between calls of tinyops_bench_begin() /
// tinyops_bench_end(). The instruction-counting QEMU plugin marks those two functions, so the difference of the counts
// is the kernel's instructions. Checks that both variants give the same bytes. Console: one "bench: case NAME MACS"
// line per case, in order; the first begin/end pair encloses nothing (the markers' own cost). A mul's "MACs" are its
// elements (one product each), a concatenation's its output elements (one copy each; its two inputs have in_channels
// and out_channels - in_channels channels).
#include <stdint.h>
#include <string.h>

#include "console.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/port.hpp"

extern "C" __attribute__((noinline)) void tinyops_bench_begin() { __asm__ volatile("" ::: "memory"); }
extern "C" __attribute__((noinline)) void tinyops_bench_end() { __asm__ volatile("" ::: "memory"); }

namespace {

namespace rt = tinyops::rt;
using tinyops::app::print;
using tinyops::app::print_u32;

constexpr int kMaxInput = 48 * 48 * 48;
constexpr int kMaxWeights = 960 * 160;
constexpr int kMaxOutput = 24 * 24 * 96;
constexpr int kMaxChannels = 960;
TINYOPS_INTERNAL int8_t input[kMaxInput];
TINYOPS_INTERNAL int8_t weights[kMaxWeights];
TINYOPS_INTERNAL int8_t output_reference[kMaxOutput];
TINYOPS_INTERNAL int8_t output_optimized[kMaxOutput];
TINYOPS_INTERNAL int32_t bias[kMaxChannels];
TINYOPS_INTERNAL int32_t multipliers[kMaxChannels];
TINYOPS_INTERNAL int32_t shifts[kMaxChannels];

uint32_t random_state = 12345;
uint32_t next_random() {
  random_state = random_state * 1664525u + 1013904223u;
  return random_state >> 8;
}

void fill_random(int8_t* data, int count) {
  for (int i = 0; i < count; ++i) data[i] = static_cast<int8_t>(next_random());
}

// Quantization parameters in the ranges real models have: Q31 multipliers in [0.5, 1), right shifts of
// 6..9 bits, biases of a few thousand.
void fill_channel_params(int channels) {
  for (int i = 0; i < channels; ++i) {
    bias[i] = static_cast<int32_t>(next_random() % 8192) - 4096;
    multipliers[i] = static_cast<int32_t>((1u << 30) + next_random() % (1u << 30));
    shifts[i] = -6 - static_cast<int32_t>(next_random() % 4);
  }
}

enum class Kind { kConv, kDepthwise, kMulGate, kConcat };

struct Case {
  const char* name;
  Kind kind;
  int height, width, in_channels, out_channels, kernel, stride;
};

// TFLite SAME padding: output = ceil(input / stride), the extra row/column goes to the bottom/right.
int output_size(int input, int stride) { return (input + stride - 1) / stride; }
int pad_before(int input, int kernel, int stride) {
  const int total = (output_size(input, stride) - 1) * stride + kernel - input;
  return total > 0 ? total / 2 : 0;
}

int failures = 0;

void run_case(const Case& c) {
  const int out_h = output_size(c.height, c.stride), out_w = output_size(c.width, c.stride);
  const int filter_depth = c.kind == Kind::kConv ? c.in_channels : 1;
  const int out_channels = c.out_channels;
  const uint32_t macs = static_cast<uint32_t>(out_h) * out_w * c.out_channels * c.kernel * c.kernel * filter_depth;
  // The gate: (1, 1, C) in `weights`, a multiplier of about 0.004 (input, gate and output scales of an SE block).
  const rt::InputRows gate{weights, 1, 1, c.in_channels, 0, 1, -128};
  const rt::MulParams mul{1155870000, -8, -128, 127};
  print("bench: case ");
  print(c.name);
  print(" ");
  print_u32(macs);
  print("\n");

  fill_random(input, c.height * c.width * c.in_channels);
  fill_random(weights, c.out_channels * c.kernel * c.kernel * filter_depth);
  fill_channel_params(c.out_channels);
  if (c.kind == Kind::kConcat) fill_random(weights, c.height * c.width * (out_channels - c.in_channels));
  const rt::WindowGeometry g{c.kernel,
                             c.kernel,
                             c.stride,
                             c.stride,
                             1,
                             1,
                             pad_before(c.height, c.kernel, c.stride),
                             pad_before(c.width, c.kernel, c.stride),
                             1,
                             -128,
                             127};
  const rt::InputRows in{input, c.height, c.width, c.in_channels, 0, c.height, -7};
  const rt::ChannelData data{weights, bias, multipliers, shifts};
  const uint32_t output_bytes = static_cast<uint32_t>(out_h) * out_w * c.out_channels;
  int8_t* outputs[2] = {output_reference, output_optimized};
  for (int variant = 0; variant < 2; ++variant) {
    memset(outputs[variant], 0x55, output_bytes);
    const rt::OutputRegion out{outputs[variant], out_h, out_w, c.out_channels, 0, out_h, 0, c.out_channels, 3};
    const bool optimized = variant == 1;
    tinyops_bench_begin();
    if (c.kind == Kind::kConv) {
      optimized ? rt::conv2d_dsp(g, in, data, out) : rt::conv2d_reference(g, in, data, out);
    } else if (c.kind == Kind::kConcat) {
      // The second input (out_channels - in_channels channels) in `weights`.
      const rt::InputRows joined[2] = {in, {weights, c.height, c.width, out_channels - c.in_channels, 0, c.height, -7}};
      optimized ? rt::concatenation(joined, 2, -128, 127, out) : rt::concatenation_reference(joined, 2, -128, 127, out);
    } else if (c.kind == Kind::kMulGate) {
      optimized ? rt::mul_gate(mul, in, gate, out) : rt::mul_reference(mul, in, gate, out);
    } else {
      optimized ? rt::depthwise_conv2d_dsp(g, in, data, out) : rt::depthwise_conv2d_reference(g, in, data, out);
    }
    tinyops_bench_end();
  }
  const bool same = memcmp(output_reference, output_optimized, output_bytes) == 0;
  print(same ? "bench: bit-exact " : "bench: MISMATCH ");
  print(c.name);
  print("\n");
  if (!same) ++failures;
}

}  // namespace

int main() {
  tinyops::rt::port::init();
  // An empty span first: the instructions the markers themselves add, which the script subtracts.
  tinyops_bench_begin();
  tinyops_bench_end();
  const Case cases[] = {
      {"conv1x1_24x24x48_16", Kind::kConv, 24, 24, 48, 16, 1, 1},
      {"conv1x1_12x12x96_32", Kind::kConv, 12, 12, 96, 32, 1, 1},
      {"conv1x1_6x6x160_960", Kind::kConv, 6, 6, 160, 960, 1, 1},
      {"conv1x1_32x32x8_24", Kind::kConv, 32, 32, 8, 24, 1, 1},    // shallow: the unrolled widened loop
      {"conv1x1_1x1x320_480", Kind::kConv, 1, 1, 320, 480, 1, 1},  // one pixel (a classifier): 4 filters a step
      {"dw3x3_24x24x96_s1", Kind::kDepthwise, 24, 24, 96, 96, 3, 1},
      {"dw3x3_48x48x48_s2", Kind::kDepthwise, 48, 48, 48, 48, 3, 2},
      {"dw5x5_24x24x96_s1", Kind::kDepthwise, 24, 24, 96, 96, 5, 1},
      {"dw5x5_48x48x48_s2", Kind::kDepthwise, 48, 48, 48, 48, 5, 2},
      {"dw7x7_24x24x96_s1", Kind::kDepthwise, 24, 24, 96, 96, 7, 1},
      {"dw7x7_48x48x48_s2", Kind::kDepthwise, 48, 48, 48, 48, 7, 2},
      {"conv3x3_64x64x3_16_s2", Kind::kConv, 64, 64, 3, 16, 3, 2},
      {"mulgate_24x24x72", Kind::kMulGate, 24, 24, 72, 72, 1, 1},
      {"mulgate_6x6x240", Kind::kMulGate, 6, 6, 240, 240, 1, 1},
      {"concat_24x24x32+32", Kind::kConcat, 24, 24, 32, 64, 1, 1},  // an Inception / MCUNet two-branch join
      {"concat_12x12x8+88", Kind::kConcat, 12, 12, 8, 96, 1, 1},
  };
  for (const Case& c : cases) {
    const rt::InputRows shape{input, c.height, c.width, c.in_channels, 0, c.height, 0};
    const bool dsp_applies =
        c.kind == Kind::kConcat ? rt::concatenation_copy_applies(-128, 127)
        : c.kind == Kind::kMulGate
            ? rt::mul_gate_applies({1 << 30, -8, -128, 127}, shape, {weights, 1, 1, c.in_channels, 0, 1, 0})
        : c.kind == Kind::kConv
            ? rt::conv2d_dsp_applies({c.kernel, c.kernel, c.stride, c.stride, 1, 1, 0, 0, 1, -128, 127}, shape)
            : rt::depthwise_conv2d_dsp_applies({c.kernel, c.kernel, c.stride, c.stride, 1, 1, 0, 0, 1, -128, 127},
                                               shape);
    if (!dsp_applies) {
      print("bench: no optimized kernel for ");
      print(c.name);
      print("\n");
      ++failures;
      continue;
    }
    run_case(c);
  }
  print(failures == 0 ? "bench: done\n" : "bench: FAILED\n");
  return failures == 0 ? 0 : 1;
}
