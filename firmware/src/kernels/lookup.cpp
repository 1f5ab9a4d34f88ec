// An int8 -> int8 map applied through its table (logistic, standalone hard-swish): the op computes the table
// once with its reference kernel (256 evaluations), each part then costs one load per value.
#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt {

void map_lut(const int8_t table[256], const int8_t* in, int8_t* out, int count) {
  for (int i = 0; i < count; ++i) out[i] = table[in[i] + 128];
}

}  // namespace tinyops::rt
