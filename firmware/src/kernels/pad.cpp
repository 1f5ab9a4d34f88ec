// pad (constant, int8): the input placed at (pad_top, pad_left) of the output, the rest the output zero
// point, as TFLite's reference Pad with its default constant.
#include <string.h>

#include "tinyops/rt/kernels.hpp"

namespace tinyops::rt {

void pad_reference(int pad_top, int pad_left, const InputRows& in, const OutputRegion& out) {
  const int8_t fill = static_cast<int8_t>(out.zero_point);
  const int row_bytes = out.width * out.channels;
  const int in_row_bytes = in.width * in.channels;
  for (int y = out.row_begin; y < out.row_end; ++y) {
    int8_t* o = out.row(y);
    const int in_y = y - pad_top;
    if (in_y < 0 || in_y >= in.height) {
      memset(o, fill, static_cast<size_t>(row_bytes));
      continue;
    }
    const int left_bytes = pad_left * out.channels;
    memset(o, fill, static_cast<size_t>(left_bytes));
    memmove(o + left_bytes, in.row(in_y), static_cast<size_t>(in_row_bytes));  // the planner may alias them
    memset(o + left_bytes + in_row_bytes, fill, static_cast<size_t>(row_bytes - left_bytes - in_row_bytes));
  }
}

}  // namespace tinyops::rt
