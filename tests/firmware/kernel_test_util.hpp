#pragma once
// Helpers shared by the kernel tests: random tensors and views over whole tensors.
#include <cstdint>
#include <random>
#include <vector>

#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt::test {

inline std::vector<int8_t> random_bytes(std::mt19937& rng, size_t n, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

inline InputRows whole_input(const std::vector<int8_t>& t, int h, int w, int c, int32_t zp) {
  return InputRows{t.data(), h, w, c, 0, h, zp};
}

inline OutputRegion whole_output(std::vector<int8_t>& t, int h, int w, int c, int32_t zp) {
  return OutputRegion{t.data(), h, w, c, 0, h, 0, c, zp};
}

inline WindowGeometry geometry(int kh, int kw, int sh, int sw, int pt, int pl, int dm = 1, int32_t lo = -128,
                               int32_t hi = 127) {
  return WindowGeometry{kh, kw, sh, sw, 1, 1, pt, pl, dm, lo, hi};
}

}  // namespace tinyops::rt::test
