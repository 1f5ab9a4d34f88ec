#pragma once
// One-op networks for the kernel cost model's tests: a conv, depthwise or pool with explicit geometry.
#include "tinyops/network.hpp"

namespace tinyops::fixtures {

struct WindowCase {
  OpKind kind;
  int h, w, in_c, out_c;
  int kernel, stride;
  Padding pad;
};

inline Network one_windowed_op(const WindowCase& c) {
  Network net("one_op");
  const int in = net.add_input({c.h, c.w, c.in_c});
  Op op;
  op.name = "op";
  op.kind = c.kind;
  op.inputs = {in};
  op.kernel_h = op.kernel_w = c.kernel;
  op.stride = c.stride;
  op.pad = c.pad;
  net.mark_output(net.op(net.add_op(op, c.out_c)).output);
  return net;
}

}  // namespace tinyops::fixtures
