// hard-swish, int8: TFLite's reference HardSwish (x * relu6(x + 3) / 6) in its 16-bit fixed-point form.
// The input is brought to a "high-resolution" scale (input scale / 128, so int16 holds it), rescaled twice:
// to the output scale (before the final shift) and to the "relu-ish" scale on which real 3.0 is 32768,
// saturating; the relu-ish value is mapped from [-1, 1] to [0, 1] and multiplied in. The roundings (which
// multiply rounds and which truncates) decide the last bit and are TFLite's, one for one.
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {
namespace {

// gemmlowp's SaturatingRoundingDoublingHighMul on int16 (rounds half away from zero).
int16_t rounding_doubling_high_mul_i16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  const int32_t ab = int32_t{a} * b;
  const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
  return static_cast<int16_t>((ab + nudge) / (1 << 15));
}

// The same without rounding (truncation toward zero, like SQDMULH): TFLite uses it for the final product
// because it cancels the bias of the rounding multiplies before it.
int16_t doubling_high_mul_i16(int16_t a, int16_t b) {
  if (a == INT16_MIN && b == INT16_MIN) return INT16_MAX;
  return static_cast<int16_t>((int32_t{a} * b) / (1 << 15));
}

int16_t saturating_left_shift_i16(int16_t v, int amount) {
  const int64_t shifted = int64_t{v} * (int64_t{1} << amount);
  return static_cast<int16_t>(shifted > INT16_MAX ? INT16_MAX : (shifted < INT16_MIN ? INT16_MIN : shifted));
}

}  // namespace

int8_t hard_swish_one(const HardSwishParams& p, int8_t x) {
  const int16_t hires = static_cast<int16_t>((int32_t{x} - p.input_zero_point) * (1 << 7));  // |v| <= 255 * 128
  const int16_t preshift_output = rounding_doubling_high_mul_i16(hires, p.output_multiplier);
  int16_t reluish = hires;
  // Left shifts saturate: one bit is held back so that saturation shows only in the last step.
  if (p.reluish_exponent > 0) reluish = saturating_left_shift_i16(reluish, p.reluish_exponent - 1);
  reluish = rounding_doubling_high_mul_i16(reluish, p.reluish_multiplier);
  if (p.reluish_exponent > 0) reluish = saturating_left_shift_i16(reluish, 1);
  if (p.reluish_exponent < 0) reluish = static_cast<int16_t>(rounding_divide_by_pot(reluish, -p.reluish_exponent));
  reluish = static_cast<int16_t>((int32_t{reluish} + (1 << 15)) >> 1);  // [-1, 1] -> [0, 1]
  const int16_t product = doubling_high_mul_i16(reluish, preshift_output);
  const int32_t out = rounding_divide_by_pot(product, -p.output_exponent) + p.output_zero_point;
  return static_cast<int8_t>(clamp_i32(out, -128, 127));
}

void hard_swish_reference(const HardSwishParams& p, const int8_t* in, int8_t* out, int count) {
  for (int i = 0; i < count; ++i) out[i] = hard_swish_one(p, in[i]);
}

namespace {

// Applies `map` to every value of the region's rows and channel range, in place.
template <class Map>
void for_each_in_region(const OutputRegion& region, Map map) {
  const int channels = region.channel_end - region.channel_begin;
  for (int y = region.row_begin; y < region.row_end; ++y) {
    int8_t* row = region.row(y);
    for (int x = 0; x < region.width; ++x) {
      int8_t* pixel = row + x * region.channels + region.channel_begin;
      for (int c = 0; c < channels; ++c) pixel[c] = map(pixel[c]);
    }
  }
}

}  // namespace

void hard_swish_region(const HardSwishParams& p, const OutputRegion& region) {
  for_each_in_region(region, [&p](int8_t v) { return hard_swish_one(p, v); });
}

void hard_swish_table(const HardSwishParams& p, int8_t table[256]) {
  for (int v = -128; v < 128; ++v) table[v + 128] = hard_swish_one(p, static_cast<int8_t>(v));
}

void hard_swish_region_lut(const int8_t table[256], const OutputRegion& region) {
  for_each_in_region(region, [table](int8_t v) { return table[v + 128]; });
}

}  // namespace tinyops::rt
