#pragma once
// The kernel cost model: compute cycles of an op part from the board's per-kind parameters, and how many
// times a kernel fetches an operand it reads in place (the reuse model behind memory stall cycles).
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
PartWork part_work(const OpGeometry& g, const Part& part);

inline double compute_cycles(const KernelCost& c, const PartWork& w) {
  return c.cycles_per_call.value + c.cycles_per_mac.value * w.macs + c.cycles_per_output.value * w.outputs;
}

// How many times the kernel fetches each byte of `operand` (read in place, `bytes` per part) from a memory.
// Through a D-cache a re-read window that fits in half the cache is fetched once; otherwise (or uncached)
// every sweep fetches it again: CMSIS-NN's conv kernels sweep the whole filter once per two output pixels,
// depthwise once per pixel; a spatial window re-reads input rows kernel_h / stride times (kernel area /
// stride^2 when uncached).
double read_passes(const OpGeometry& g, Operand operand, double bytes, double out_pixels, bool cached,
                   double dcache_bytes);

}  // namespace tinyops
