// fully connected, portable reference: TFLite's reference_integer_ops::FullyConnected (per-channel
// multipliers; a per-tensor model repeats its one value).
#include "tinyops/rt/kernels.hpp"
#include "tinyops/rt/quant.hpp"

namespace tinyops::rt {

void fully_connected_reference(const InputRows& in, const ChannelData& c, int32_t weights_zero_point, int32_t act_min,
                               int32_t act_max, const OutputRegion& out) {
  const int depth = in.height * in.width * in.channels;
  const int32_t input_offset = -in.zero_point;
  const int32_t filter_offset = -weights_zero_point;
  for (int oc = out.channel_begin; oc < out.channel_end; ++oc) {
    const int k = oc - out.channel_begin;
    const int8_t* w = c.weights + k * depth;
    int32_t acc = 0;
    for (int i = 0; i < depth; ++i) acc = wrapping_add(acc, (w[i] + filter_offset) * (in.data[i] + input_offset));
    if (c.bias) acc = wrapping_add(acc, c.bias[k]);
    out.data[oc] = requantize(acc, c.multipliers[k], c.shifts[k], out.zero_point, act_min, act_max);
  }
}

}  // namespace tinyops::rt
