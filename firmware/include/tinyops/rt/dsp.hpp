#pragma once
// The Cortex-M DSP-extension instructions the optimized kernels use. On cores with __ARM_FEATURE_DSP
// they are single instructions (ACLE intrinsics / inline asm); elsewhere (the host, Cortex-M0) portable
// definitions with the same bit-exact results, so the optimized kernels are tested on the host.
#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TINYOPS_RT_HAVE_DSP 1
#else
#define TINYOPS_RT_HAVE_DSP 0
#endif

namespace tinyops::rt::dsp {

// Unaligned little-endian 32-bit access (one LDR/STR on Armv7-M).
inline uint32_t load32(const int8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
inline void store32(int8_t* p, uint32_t v) { memcpy(p, &v, 4); }
inline uint32_t pack4(int8_t a, int8_t b, int8_t c, int8_t d) {
  return static_cast<uint8_t>(a) | (static_cast<uint32_t>(static_cast<uint8_t>(b)) << 8) |
         (static_cast<uint32_t>(static_cast<uint8_t>(c)) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(d)) << 24);
}

#if TINYOPS_RT_HAVE_DSP
inline uint32_t sxtb16(uint32_t x) { return __sxtb16(x); }  // bytes 0, 2 -> int16 lanes
inline uint32_t sxtb16_ror8(uint32_t x) {                   // bytes 1, 3 -> int16 lanes
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) { return __smlad(x, y, acc); }
inline int32_t smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb(x, y, acc); }
inline int32_t smlatt(uint32_t x, uint32_t y, int32_t acc) { return __smlatt(x, y, acc); }
inline uint32_t sadd16(uint32_t x, uint32_t y) { return __sadd16(x, y); }
inline int32_t smmulr(int32_t x, int32_t y) {  // (x * y + 2^31) >> 32
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(x), "r"(y));
  return r;
}
inline int32_t ssat8(int32_t x) { return __ssat(x, 8); }
#else
inline int32_t lo16(uint32_t x) { return static_cast<int16_t>(x & 0xFFFFu); }
inline int32_t hi16(uint32_t x) { return static_cast<int16_t>(x >> 16); }
inline uint32_t lanes(int32_t lo, int32_t hi) {
  return (static_cast<uint32_t>(lo) & 0xFFFFu) | (static_cast<uint32_t>(hi) << 16);
}
inline uint32_t sxtb16(uint32_t x) {
  return lanes(static_cast<int8_t>(x & 0xFFu), static_cast<int8_t>((x >> 16) & 0xFFu));
}
inline uint32_t sxtb16_ror8(uint32_t x) { return sxtb16((x >> 8) | (x << 24)); }
// The accumulations wrap modulo 2^32 like the instructions (computed unsigned: no signed overflow).
inline int32_t smlad(uint32_t x, uint32_t y, int32_t acc) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(lo16(x) * lo16(y)) +
                              static_cast<uint32_t>(hi16(x) * hi16(y)));
}
inline int32_t smlabb(uint32_t x, uint32_t y, int32_t acc) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(lo16(x) * lo16(y)));
}
inline int32_t smlatt(uint32_t x, uint32_t y, int32_t acc) {
  return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(hi16(x) * hi16(y)));
}
inline uint32_t sadd16(uint32_t x, uint32_t y) { return lanes(lo16(x) + lo16(y), hi16(x) + hi16(y)); }
inline int32_t smmulr(int32_t x, int32_t y) {
  return static_cast<int32_t>((static_cast<int64_t>(x) * y + (int64_t{1} << 31)) >> 32);
}
inline int32_t ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
#endif

}  // namespace tinyops::rt::dsp
