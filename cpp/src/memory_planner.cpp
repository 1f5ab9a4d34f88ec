#include "tinyops/memory_planner.hpp"

#include <algorithm>
#include <numeric>

namespace tinyops {

int64_t align_to(int64_t bytes, int64_t alignment) { return (bytes + alignment - 1) / alignment * alignment; }

Lifetime tensor_lifetime(const Network& net, const Tensor& t) {
  const int last = int(net.ops().size()) - 1;
  Lifetime life;
  life.first_op = std::max(t.producer, 0);
  life.last_op = (t.is_network_output || t.last_use < 0) ? last : t.last_use;
  return life;
}

ArenaLayout plan_arena(const Network& net, int64_t alignment) {
  const auto& tensors = net.tensors();
  ArenaLayout layout;
  layout.offsets.assign(tensors.size(), 0);
  std::vector<int> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by id so the layout is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return tensors[a].shape.bytes() > tensors[b].shape.bytes(); });
  std::vector<Lifetime> life(tensors.size());
  for (const Tensor& t : tensors) life[t.id] = tensor_lifetime(net, t);

  std::vector<int> placed;
  std::vector<std::pair<int64_t, int64_t>> busy;  // [begin, end) of placed tensors alive at the same time
  for (int id : order) {
    const int64_t size = align_to(tensors[id].shape.bytes(), alignment);
    busy.clear();
    for (int other : placed)
      if (life[other].overlaps(life[id]))
        busy.emplace_back(layout.offsets[other], layout.offsets[other] + align_to(tensors[other].shape.bytes(), alignment));
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + size <= begin) break;  // fits in the gap before this one
      offset = std::max(offset, end);
    }
    layout.offsets[id] = offset;
    layout.peak_bytes = std::max(layout.peak_bytes, offset + size);
    placed.push_back(id);
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
