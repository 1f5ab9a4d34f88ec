#pragma once
// Static memory layout: the activation arena (greedy by size, a tensor's bytes reused after its last use, as
// TFLite Micro's GreedyMemoryPlanner does) and sequential placement of weights, biases and quant params.
#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops {

inline constexpr int64_t kArenaAlignment = 16;

inline int64_t align_to(int64_t bytes, int64_t alignment) {
  const int64_t up = bytes + alignment - 1;
  // A power-of-two alignment by mask (the planners align thousands of times per plan), the same value.
  if (alignment > 0 && (alignment & (alignment - 1)) == 0 && up >= 0) return up & ~(alignment - 1);
  return up / alignment * alignment;
}

// The ops during which a tensor must hold its bytes: from its producer (the network input: op 0) to its
// last consumer (a network output, or a tensor nobody reads: to the last op). Inclusive.
struct Lifetime {
  int first_op = 0;
  int last_op = 0;
  bool overlaps(const Lifetime& o) const { return first_op <= o.last_op && o.first_op <= last_op; }
};
inline Lifetime tensor_lifetime(const Network& net, const Tensor& t) {
  const int last = int(net.ops().size()) - 1;
  return Lifetime{std::max(t.producer, 0), (t.is_network_output || t.last_use < 0) ? last : t.last_use};
}

struct ArenaLayout {
  std::vector<int64_t> offsets;  // per tensor id, relative to the arena start
  int64_t peak_bytes = 0;        // arena size: the end of the furthest tensor
};

// Tensors are placed largest first, each at the lowest aligned offset that overlaps no already-placed tensor
// whose lifetime overlaps its own.
ArenaLayout plan_arena(const Network& net, int64_t alignment = kArenaAlignment);

// plan_arena's working storage and result, reused from one network to the next (a batch plans thousands).
struct ArenaScratch {
  ArenaLayout layout;          // the result
  std::vector<int64_t> size;   // per tensor: aligned bytes
  std::vector<Lifetime> life;  // per tensor, clamped to the network's ops
  std::vector<int64_t> order;  // the placement order (see plan_arena)
  // Per op: the tensors whose lifetime starts during it, and the placed ones carried into it (flat, op by op).
  std::vector<int> start_begin, by_start, carried_begin, carried, fill;
  std::vector<char> placed;
  struct Interval {
    int64_t begin, end;
  };
  std::vector<Interval> busy;
};
// The same layout into `scratch.layout`.
void plan_arena(const Network& net, ArenaScratch& scratch, int64_t alignment = kArenaAlignment);

// Weights, bias and quant params of every op, one after another from `offset` in `memory` (a plan memory
// index); returns the end offset. Ops without an operand get an absent region.
int64_t place_params(const Network& net, int memory, int64_t offset, std::vector<std::array<Region, 3>>& out,
                     int64_t alignment = kArenaAlignment);

}  // namespace tinyops
