// add, optimized variant: TFLite's int8 add with its three rescalings on the short requantization path
// (SMMULR, then a rounding shift, as requantize_bounded of quant.hpp). It applies when no shift is a left
// shift (TFLite's Prepare gives input multipliers of at most 0.5: 0.5 itself is 2^30 with shift 0, smaller
// ones right shifts; the output's is a right shift unless the output scale is far below the inputs'): then
// every value rescaled stays below 2^30 in magnitude ((x - zp) * 2^20 < 2^28, each rescaled input below
// 2^28), where the short path equals TFLite's. Four elements per step with word loads. Bit-exact with
// add_reference.
#include "tinyops/rt/dsp.hpp"
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
bool add_dsp_applies(const AddParams& p) {
  auto right = [](int32_t shift) { return shift <= 0 && shift >= -31; };
  return right(p.input1_shift) && right(p.input2_shift) && right(p.output_shift);
}

void add_dsp(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  const RightShiftRescale q1 = RightShiftRescale::make(p.input1_multiplier, p.input1_shift);
  const RightShiftRescale q2 = RightShiftRescale::make(p.input2_multiplier, p.input2_shift);
  const RightShiftRescale qo = RightShiftRescale::make(p.output_multiplier, p.output_shift);
  const int32_t zp1 = in1.zero_point, zp2 = in2.zero_point, zp_out = out.zero_point;
  const int32_t lo = p.act_min, hi = p.act_max;
  auto one = [&](int8_t a, int8_t b) -> int8_t {
    const int32_t scaled1 = q1((a - zp1) * (1 << kAddLeftShift));
    const int32_t scaled2 = q2((b - zp2) * (1 << kAddLeftShift));
    return static_cast<int8_t>(clamp_i32(qo(scaled1 + scaled2) + zp_out, lo, hi));
  };
  const int row_elements = out.width * out.channels;
  for (int y = out.row_begin; y < out.row_end; ++y) {
    const int8_t* a = in1.row(y);
    const int8_t* b = in2.row(y);
    int8_t* o = out.row(y);
    int i = 0;
    for (; i + 4 <= row_elements; i += 4) {
      const uint32_t a4 = dsp::load32(a + i), b4 = dsp::load32(b + i);
      dsp::store32(o + i, dsp::pack4(one(static_cast<int8_t>(a4), static_cast<int8_t>(b4)),
                                     one(static_cast<int8_t>(a4 >> 8), static_cast<int8_t>(b4 >> 8)),
                                     one(static_cast<int8_t>(a4 >> 16), static_cast<int8_t>(b4 >> 16)),
                                     one(static_cast<int8_t>(a4 >> 24), static_cast<int8_t>(b4 >> 24))));
    }
    for (; i < row_elements; ++i) o[i] = one(a[i], b[i]);
  }
}

void add(const AddParams& p, const InputRows& in1, const InputRows& in2, const OutputRegion& out) {
  if (add_dsp_applies(p)) {
    add_dsp(p, in1, in2, out);
  } else {
    add_reference(p, in1, in2, out);
  }
}

}  // namespace tinyops::rt
