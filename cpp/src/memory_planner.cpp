#include "tinyops/memory_planner.hpp"

#include <algorithm>
#include <numeric>

namespace tinyops {

Lifetime tensor_lifetime(const Network& net, const Tensor& t) {
  const int last = int(net.ops().size()) - 1;
  Lifetime life;
  life.first_op = std::max(t.producer, 0);
  life.last_op = (t.is_network_output || t.last_use < 0) ? last : t.last_use;
  return life;
}

ArenaLayout plan_arena(const Network& net, int64_t alignment) {
  const auto& tensors = net.tensors();
  const size_t n = tensors.size();
  ArenaLayout layout;
  layout.offsets.assign(n, 0);
  std::vector<int64_t> bytes(n);
  for (const Tensor& t : tensors) bytes[t.id] = t.shape.bytes();
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by id so the layout is deterministic.
  std::sort(order.begin(), order.end(), [&](int a, int b) { return bytes[a] != bytes[b] ? bytes[a] > bytes[b] : a < b; });

  // Placed tensors as [begin, end) ranges with their lifetimes, kept sorted by range, so the ones alive at the
  // same time as the next tensor come out in address order without sorting them for every tensor.
  struct Placed {
    int64_t begin, end;
    Lifetime life;
  };
  std::vector<Placed> placed;
  placed.reserve(n);
  for (int id : order) {
    const Lifetime life = tensor_lifetime(net, tensors[id]);
    const int64_t size = align_to(bytes[id], alignment);
    int64_t offset = 0;
    for (const Placed& p : placed) {  // written without a branch on the overlap, which is unpredictable
      const bool alive = p.life.overlaps(life);
      if (alive && offset + size <= p.begin) break;  // fits in the gap before this one
      offset = alive ? std::max(offset, p.end) : offset;
    }
    layout.offsets[id] = offset;
    layout.peak_bytes = std::max(layout.peak_bytes, offset + size);
    const Placed range{offset, offset + size, life};
    placed.insert(std::upper_bound(placed.begin(), placed.end(), range,
                                   [](const Placed& a, const Placed& b) {
                                     return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
                                   }),
                  range);
  }
  return layout;
}

int64_t place_params(const Network& net, int memory, int64_t offset, std::vector<std::array<Region, 3>>& out,
                     int64_t alignment) {
  out.assign(net.ops().size(), {});
  for (const Op& op : net.ops()) {
    const int64_t sizes[3] = {op.weight_bytes, op.bias_bytes, op.quant_bytes};
    for (int k = 0; k < 3; ++k) {
      if (sizes[k] <= 0) continue;
      offset = align_to(offset, alignment);
      out[op.id][k] = Region{memory, offset, sizes[k]};
      offset += sizes[k];
    }
  }
  return offset;
}

}  // namespace tinyops
