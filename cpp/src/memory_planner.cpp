#include "tinyops/memory_planner.hpp"

#include <algorithm>

namespace tinyops {

Lifetime tensor_lifetime(const Network& net, const Tensor& t) {
  const int last = int(net.ops().size()) - 1;
  Lifetime life;
  life.first_op = std::max(t.producer, 0);
  life.last_op = (t.is_network_output || t.last_use < 0) ? last : t.last_use;
  return life;
}

ArenaLayout plan_arena(const Network& net, int64_t alignment) {
  ArenaScratch scratch;
  plan_arena(net, scratch, alignment);
  return std::move(scratch.layout);
}

void plan_arena(const Network& net, ArenaScratch& scratch, int64_t alignment) {
  const auto& tensors = net.tensors();
  const size_t n = tensors.size();
  const int n_ops = int(net.ops().size());
  ArenaLayout& layout = scratch.layout;
  layout.offsets.assign(n, 0);
  layout.peak_bytes = 0;
  // One pass over the tensors: aligned size, lifetime, the placement order's key, and how many tensors are
  // alive during each op (for the flat per-op lists below).
  std::vector<int64_t>& size = scratch.size;
  std::vector<Lifetime>& life = scratch.life;
  auto& order = scratch.order;
  std::vector<int>& alive_begin = scratch.alive_begin;
  size.resize(n);
  life.resize(n);
  order.resize(n);
  alive_begin.assign(size_t(n_ops) + 1, 0);
  for (const Tensor& t : tensors) {
    size[t.id] = align_to(t.shape.bytes(), alignment);
    Lifetime l = tensor_lifetime(net, t);
    l.last_op = std::min(l.last_op, n_ops - 1);
    life[t.id] = l;
    for (int op = l.first_op; op <= l.last_op; ++op) ++alive_begin[op + 1];
    order[t.id] = {-t.shape.bytes(), t.id};
  }
  // Largest first; ties by id so the layout is deterministic.
  std::sort(order.begin(), order.end());

  // Which tensors are alive during each op (flat, op by op), so the placed tensors whose lifetime overlaps the
  // next tensor's are gathered from the few ops it spans instead of testing every placed tensor.
  for (int op = 0; op < n_ops; ++op) alive_begin[op + 1] += alive_begin[op];
  std::vector<int>& alive = scratch.alive;
  alive.resize(size_t(alive_begin[n_ops]));
  std::vector<int>& fill = scratch.fill;
  fill.assign(alive_begin.begin(), alive_begin.end() - 1);
  for (int id = 0; id < int(n); ++id)
    for (int op = life[id].first_op; op <= life[id].last_op; ++op) alive[fill[op]++] = id;
  std::vector<char>& placed = scratch.placed;
  placed.assign(n, 0);
  std::vector<int>& seen = scratch.seen;
  seen.assign(n, -1);  // the tensor whose gathering last saw it
  auto& busy = scratch.busy;  // [begin, end) of placed tensors alive at the same time
  for (const auto& [minus_bytes, id] : order) {
    busy.clear();
    for (int op = life[id].first_op; op <= life[id].last_op; ++op)
      for (int k = alive_begin[op]; k < alive_begin[op + 1]; ++k) {
        const int other = alive[k];
        if (!placed[other] || seen[other] == id) continue;
        seen[other] = id;
        busy.emplace_back(layout.offsets[other], layout.offsets[other] + size[other]);
      }
    std::sort(busy.begin(), busy.end());
    int64_t offset = 0;
    for (const auto& [begin, end] : busy) {
      if (offset + size[id] <= begin) break;  // fits in the gap before this one
      offset = std::max(offset, end);
    }
    layout.offsets[id] = offset;
    layout.peak_bytes = std::max(layout.peak_bytes, offset + size[id]);
    placed[id] = 1;
  }
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
