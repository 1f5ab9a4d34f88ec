// mul, optimized variant for squeeze-and-excite's (1, 1, C) gate: TFLite's int8 MUL where every product
// (x - zp1) * (g - zp2) is below 2^16 in magnitude, so a right-shift (or no) rescaling takes the short path
// (RightShiftRescale, exact there); the gate's zero point comes out once per part, and the rows run four
// elements per step with word loads, without the reference's per-element broadcast test. Bit-exact with
// mul_reference.
#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

bool mul_gate_applies(const MulParams& p, const InputRows& in1, const InputRows& in2) {
  const bool broadcast = in2.height == 1 && in2.width == 1 && (in1.height > 1 || in1.width > 1);
  return broadcast && in1.channels <= kMaxMulGateChannels && p.shift <= 0 && p.shift >= -31;
}

void mul_gate(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  int16_t gate[kMaxMulGateChannels];
  const int channels = out.channels;
  for (int ch = 0; ch < channels; ++ch) gate[ch] = static_cast<int16_t>(in2.data[ch] - in2.zero_point);
  const RightShiftRescale rescale = RightShiftRescale::make(p.multiplier, p.shift);
  const int32_t zp1 = in1.zero_point, zp_out = out.zero_point, lo = p.act_min, hi = p.act_max;
  auto one = [&](int8_t a, int ch) -> int8_t {
    return static_cast<int8_t>(clamp_i32(rescale((a - zp1) * gate[ch]) + zp_out, lo, hi));
  };
  for (int y = out.row_begin; y < out.row_end; ++y) {
    const int8_t* a = in1.row(y);
    int8_t* o = out.row(y);
    for (int x = 0; x < out.width; ++x, a += channels, o += channels) {
      int ch = 0;
      for (; ch + 4 <= channels; ch += 4) {
        const uint32_t a4 = dsp::load32(a + ch);
        dsp::store32(
            o + ch, dsp::pack4(one(static_cast<int8_t>(a4), ch), one(static_cast<int8_t>(a4 >> 8), ch + 1),
                               one(static_cast<int8_t>(a4 >> 16), ch + 2), one(static_cast<int8_t>(a4 >> 24), ch + 3)));
      }
      for (; ch < channels; ++ch) o[ch] = one(a[ch], ch);
    }
  }
}

void mul(const MulParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  if (mul_gate_applies(p, in1, in2)) {
    mul_gate(p, in1, in2, out);
  } else {
    mul_reference(p, in1, in2, out);
  }
}

}  // namespace tinyops::rt
