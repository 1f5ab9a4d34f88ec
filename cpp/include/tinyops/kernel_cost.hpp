#pragma once
// The kernel cost model: compute cycles of an op part from the board's per-kind parameters, and how many
// times a kernel fetches an operand it reads in place (the reuse model behind memory stall cycles).
#include <algorithm>
#include <cmath>

#include "tinyops/board.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

KernelKind kernel_kind(const Op& op);

// What the cost model needs of an op, computed once per op.
struct OpGeometry {
  KernelKind kind = KernelKind::Conv1x1;
  int out_h = 1, out_w = 1, out_c = 1;
  int in_h = 1, in_w = 1, in_c = 1;
  int kernel_h = 1, kernel_w = 1, stride = 1;
  double macs_per_output = 0;  // accumulations per output element ("macs" of the cost model)
};
OpGeometry op_geometry(const Network& net, const Op& op);

struct PartWork {
  double macs = 0;
  double outputs = 0;
  double out_pixels = 0;  // output rows x width of the part
};

inline double compute_cycles(const KernelCost& c, const PartWork& w) {
  return c.cycles_per_call.value + c.cycles_per_mac.value * w.macs + c.cycles_per_output.value * w.outputs;
}


// The work of one part (inline: it and read_passes run for every part the simulator scores).
inline PartWork part_work(const OpGeometry& g, const Part& part) {
  PartWork w;
  w.out_pixels = double(part.out_row_end - part.out_row_begin) * g.out_w;
  w.outputs = w.out_pixels * (part.out_channel_end - part.out_channel_begin);
  w.macs = w.outputs * g.macs_per_output;
  return w;
}

// How many times the kernel fetches each byte of `operand` (read in place, `bytes` per part) from a memory.
// Through a D-cache a re-read window that fits in half the cache is fetched once; otherwise (or uncached)
// every sweep fetches it again: CMSIS-NN's conv kernels sweep the whole filter once per two output pixels,
// depthwise once per pixel; a spatial window re-reads input rows kernel_h / stride times (kernel area /
// stride^2 when uncached).
inline double read_passes(const OpGeometry& g, Operand operand, double bytes, double out_pixels, bool cached,
                          double dcache_bytes) {
  const double window_limit = cached ? dcache_bytes / 2 : 0;
  const bool spatial = g.kind == KernelKind::ConvKxK || g.kind == KernelKind::Depthwise ||
                       g.kind == KernelKind::AveragePool;
  switch (operand) {
    case Operand::Weights: {
      if (bytes <= window_limit) return 1;
      if (g.kind == KernelKind::Conv1x1 || g.kind == KernelKind::ConvKxK) return std::max(1.0, std::ceil(out_pixels / 2));
      if (g.kind == KernelKind::Depthwise) return std::max(1.0, out_pixels);
      return 1;
    }
    case Operand::Input: {
      if (!spatial) return 1;
      const double window = double(g.kernel_h) * g.in_w * g.in_c;
      const double s2 = double(g.stride) * g.stride;
      if (window <= window_limit) return 1;
      if (!cached) return std::max(1.0, g.kernel_h * g.kernel_w / s2);
      return std::max(1.0, double(g.kernel_h) / g.stride);
    }
    default: return 1;
  }
}

}  // namespace tinyops
