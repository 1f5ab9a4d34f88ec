#pragma once
// Small networks whose costs can be computed by hand.
#include "tinyops/network.hpp"

namespace tinyops::fixtures {

// input h x w x in_c -> 1x1 conv -> h x w x out_c.
inline Network one_conv(int h, int w, int in_c, int out_c) {
  Network net("one_conv");
  int in = net.add_input({h, w, in_c});
  Op op;
  op.name = "conv";
  op.kind = OpKind::Conv2D;
  op.inputs = {in};
  int id = net.add_op(op, out_c);
  net.mark_output(net.op(id).output);
  return net;
}

// 1x1xC tensors through a chain of 1x1 convs: channels[0] is the input, one conv per further entry.
inline Network conv_chain(const std::vector<int>& channels) {
  Network net("conv_chain");
  int t = net.add_input({1, 1, channels[0]});
  for (size_t i = 1; i < channels.size(); ++i) {
    Op op;
    op.name = "conv" + std::to_string(i);
    op.kind = OpKind::Conv2D;
    op.inputs = {t};
    t = net.op(net.add_op(op, channels[i])).output;
  }
  net.mark_output(t);
  return net;
}

}  // namespace tinyops::fixtures
