// The DSP kernels on the target, bit for bit against the references: the host tests run the portable
// definitions of the DSP instructions, this image runs the real ones (and the hand-written SMLAD loops that
// only optimized Cortex-M builds contain). Randomized shapes — 1x1 convolutions from 1 to 600 input
// channels (every widened-block split and the deep fallback), small-patch 3x3/5x5 convolutions, depthwise
// 3x3/5x5/7x7, add — with odd pixel counts, odd channel counts and depth % 4 tails, each run whole and as row x
// channel parts the way the executor runs them. Exits 0 when every case matches.
#include <stdint.h>
#include <string.h>

#include "console.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/port.hpp"

namespace {

namespace rt = tinyops::rt;
using tinyops::app::print;
using tinyops::app::print_u32;

constexpr int kMaxSide = 9;
constexpr int kMaxInputChannels = 600;
constexpr int kMaxOutputChannels = 72;
constexpr int kMaxWeights = kMaxOutputChannels * kMaxInputChannels;
int8_t input[kMaxSide * kMaxSide * kMaxInputChannels];
int8_t weights[kMaxWeights];
int32_t bias[kMaxOutputChannels], multipliers[kMaxOutputChannels], shifts[kMaxOutputChannels];
int8_t expected[kMaxSide * kMaxSide * kMaxOutputChannels];
int8_t actual[kMaxSide * kMaxSide * kMaxOutputChannels];

uint32_t random_state = 20221;
uint32_t next_random() {
  random_state = random_state * 1664525u + 1013904223u;
  return random_state >> 8;
}
int uniform(int lo, int hi) { return lo + static_cast<int>(next_random() % static_cast<uint32_t>(hi - lo + 1)); }

enum class Kind { kConv, kDepthwise };
using Kernel = void (*)(const rt::WindowGeometry&, const rt::InputRows&, const rt::ChannelData&,
                        const rt::OutputRegion&);

struct Shape {
  Kind kind;
  int kernel, stride, pad, height, width, in_channels, out_channels;
  int out_height() const { return (height + 2 * pad - kernel) / stride + 1; }
  int out_width() const { return (width + 2 * pad - kernel) / stride + 1; }
  int filter_depth() const { return kind == Kind::kConv ? kernel * kernel * in_channels : kernel * kernel; }
};

int failures = 0;
int cases = 0;

// By case % 5: mixed shifts; right shifts only (the kernels' short requantization on every channel); the
// same with the whole int8 range as activation range (a clamp by SSAT); left shifts only (up to 31: they
// wrap, as in the released r064 model; small ones every other time, since large ones saturate every output);
// the same with the whole int8 range (the released r064 model's layers).
bool right_shifts_only() { return cases % 5 == 1 || cases % 5 == 2; }
bool left_shifts_only() { return cases % 5 == 3 || cases % 5 == 4; }
bool full_activation_range() { return cases % 5 == 2 || cases % 5 == 4; }

void fill(const Shape& s) {
  for (int i = 0; i < s.height * s.width * s.in_channels; ++i) input[i] = static_cast<int8_t>(next_random());
  const int weight_count =
      s.kind == Kind::kConv ? s.out_channels * s.filter_depth() : s.kernel * s.kernel * s.in_channels;
  for (int i = 0; i < weight_count; ++i) weights[i] = static_cast<int8_t>(uniform(-127, 127));
  for (int k = 0; k < s.out_channels; ++k) {
    bias[k] = uniform(-40000, 40000);
    multipliers[k] = static_cast<int32_t>((1u << 30) + next_random() % (1u << 30));
    shifts[k] = left_shifts_only() ? uniform(0, (cases / 5) % 2 ? 31 : 2) : uniform(-12, right_shifts_only() ? -1 : 1);
  }
}

// Output rows [r0, r1) x channels [c0, c1) per part, each part given its channels' weights, as the executor.
void run(Kernel kernel, const Shape& s, const rt::WindowGeometry& g, int32_t in_zp, int32_t out_zp, int row_parts,
         int channel_parts, int8_t* out, rt::Conv2dOpState* state = nullptr) {
  const int ho = s.out_height(), wo = s.out_width();
  memset(out, 0x55, static_cast<size_t>(ho * wo * s.out_channels));
  const rt::InputRows in{input, s.height, s.width, s.in_channels, 0, s.height, in_zp};
  for (int rp = 0; rp < row_parts; ++rp) {
    const int r0 = ho * rp / row_parts, r1 = ho * (rp + 1) / row_parts;
    for (int cp = 0; cp < channel_parts && r0 < r1; ++cp) {
      const int c0 = s.out_channels * cp / channel_parts, c1 = s.out_channels * (cp + 1) / channel_parts;
      if (c0 == c1) continue;
      const int first = s.kind == Kind::kConv ? c0 : 0;  // depthwise parts index channels from 0
      const rt::ChannelData data{weights + (s.kind == Kind::kConv ? c0 * s.filter_depth() : 0), bias + first,
                                 multipliers + first, shifts + first};
      const rt::OutputRegion region{out + r0 * wo * s.out_channels, ho, wo, s.out_channels, r0, r1, c0, c1, out_zp};
      if (state) {
        rt::conv2d_dsp_reusing(g, in, data, region, *state);
      } else {
        kernel(g, in, data, region);
      }
    }
  }
}

void check(const Shape& s) {
  fill(s);
  const int32_t in_zp = uniform(-128, 127), out_zp = uniform(-128, 127);
  const bool full = full_activation_range();
  const rt::WindowGeometry g{s.kernel,
                             s.kernel,
                             s.stride,
                             s.stride,
                             1,
                             1,
                             s.pad,
                             s.pad,
                             1,
                             full ? -128 : uniform(-128, -20),
                             full ? 127 : uniform(20, 127)};
  const bool conv = s.kind == Kind::kConv;
  const Kernel reference = conv ? rt::conv2d_reference : rt::depthwise_conv2d_reference;
  const Kernel optimized = conv ? rt::conv2d_dsp : rt::depthwise_conv2d_dsp;
  const int bytes = s.out_height() * s.out_width() * s.out_channels;
  run(reference, s, g, in_zp, out_zp, 1, 1, expected);
  const int row_parts = 1 + cases % 3, channel_parts = conv ? 1 + cases % 4 : 1;
  bool same = true;
  run(optimized, s, g, in_zp, out_zp, 1, 1, actual);
  same = same && memcmp(expected, actual, static_cast<size_t>(bytes)) == 0;
  run(optimized, s, g, in_zp, out_zp, row_parts, channel_parts, actual);
  same = same && memcmp(expected, actual, static_cast<size_t>(bytes)) == 0;
  if (conv) {  // the parts of one op sharing the kernel's set-up, as the executor runs them
    rt::Conv2dOpState state;
    run(optimized, s, g, in_zp, out_zp, row_parts + 1, channel_parts, actual, &state);
    same = same && memcmp(expected, actual, static_cast<size_t>(bytes)) == 0;
  }
  ++cases;
  if (same) return;
  ++failures;
  print("kernel_check: MISMATCH ");
  print(conv ? "conv " : "depthwise ");
  const int fields[] = {s.kernel, s.stride, s.pad, s.height, s.width, s.in_channels, s.out_channels};
  for (int f : fields) {
    print_u32(static_cast<uint32_t>(f));
    print(" ");
  }
  print("\n");
}

// Add: TFLite-like parameters (input shifts 0 and below, output shifts of either sign), random zero points
// and element counts; add() (the optimized path where its shifts allow) against add_reference, whole tensor.
void check_add() {
  const int h = uniform(1, kMaxSide), w = uniform(1, kMaxSide), c = uniform(1, 64);
  const int count = h * w * c;
  for (int i = 0; i < count; ++i) input[i] = static_cast<int8_t>(next_random());
  for (int i = 0; i < count; ++i) weights[i] = static_cast<int8_t>(next_random());  // the second input
  auto multiplier = [] { return static_cast<int32_t>((1u << 30) + next_random() % (1u << 30)); };
  const rt::AddParams p{multiplier(),
                        uniform(-31, 0),
                        multiplier(),
                        uniform(-31, 0),
                        multiplier(),
                        cases % 5 == 4 ? uniform(1, 2) : uniform(-31, 0),
                        cases % 2 ? -128 : uniform(-128, -20),
                        127};
  const int32_t zp1 = uniform(-128, 127), zp2 = uniform(-128, 127), zp_out = uniform(-128, 127);
  const rt::InputRows in1{input, h, w, c, 0, h, zp1}, in2{weights, h, w, c, 0, h, zp2};
  rt::add_reference(p, in1, in2, {expected, h, w, c, 0, h, 0, c, zp_out});
  rt::add(p, in1, in2, {actual, h, w, c, 0, h, 0, c, zp_out});
  ++cases;
  if (memcmp(expected, actual, static_cast<size_t>(count)) == 0) return;
  ++failures;
  print("kernel_check: MISMATCH add ");
  print_u32(static_cast<uint32_t>(count));
  print("\n");
}

Shape random_shape(Kind kind, int kernel, int in_channels, int out_channels) {
  Shape s{kind, kernel, uniform(1, 2), kernel == 1 ? 0 : uniform(0, kernel / 2), 0, 0, in_channels, out_channels};
  s.height = uniform(kernel > s.pad * 2 ? kernel - 2 * s.pad : 1, kMaxSide);
  s.width = uniform(kernel > s.pad * 2 ? kernel - 2 * s.pad : 1, kMaxSide);
  return s;
}

}  // namespace

int main() {
  rt::port::init();
  for (int i = 0; i < 120; ++i) {  // 1x1: widened or raw filters up to 512 input channels, deeper in place
    const int in_channels = i < 100 ? uniform(1, 256) : uniform(257, kMaxInputChannels);
    const int out_channels = uniform(1, i < 100 ? kMaxOutputChannels : 24);
    check(random_shape(Kind::kConv, 1, in_channels, out_channels));
  }
  for (int i = 0; i < 60; ++i) {  // small patches: the first layer's 3x3x3 and other kh*kw*Cin <= 256
    const int kernel = i % 3 == 0 ? 5 : 3;
    check(random_shape(Kind::kConv, kernel, uniform(1, rt::kMaxConvPatch / (kernel * kernel)), uniform(1, 40)));
  }
  for (int i = 0; i < 120; ++i) {  // depthwise 3x3, 5x5 and 7x7: strides 1-2, paddings 0..k/2, maps 1..9 px
    const int channels = 4 * uniform(1, 16);
    check(random_shape(Kind::kDepthwise, 3 + 2 * (i % 3), channels, channels));
  }
  for (int i = 0; i < 60; ++i) check_add();
  print("kernel_check: ");
  print_u32(static_cast<uint32_t>(cases));
  print(" cases, ");
  print_u32(static_cast<uint32_t>(failures));
  print(" mismatches\n");
  return failures == 0 ? 0 : 1;
}
