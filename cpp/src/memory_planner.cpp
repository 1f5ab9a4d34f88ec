#include "tinyops/memory_planner.hpp"

#include <algorithm>
#include <functional>

namespace tinyops {

namespace {

// `v` resized to `n` (its storage kept) and its data, for the loops below: through a raw pointer the compiler
// need not reload the vector's bounds after every store.
template <typename T>
T* resized(std::vector<T>& v, int n) {
  v.resize(size_t(n));
  return v.data();
}
template <typename T>
T* assigned(std::vector<T>& v, int n, T value) {
  v.assign(size_t(n), value);
  return v.data();
}

// The placement order, largest tensor first and ties by id (so the layout is deterministic), sorted as one
// integer per tensor: its bytes above the bits of its id, inverted so that a smaller id sorts first. A tensor
// too large for those bits (beyond any microcontroller) falls back to comparing (bytes, id) pairs.
constexpr int kIdBits = 24;
constexpr int64_t kIdMask = (int64_t(1) << kIdBits) - 1;

void sort_largest_first(const std::vector<Tensor>& tensors, int64_t largest_bytes, int64_t* order) {
  const int n = int(tensors.size());
  if (largest_bytes < (int64_t(1) << (62 - kIdBits)) && n <= kIdMask) {
    std::sort(order, order + n, std::greater<>());
    return;
  }
  std::vector<std::pair<int64_t, int>> pairs;
  for (const Tensor& t : tensors) pairs.emplace_back(-t.shape.bytes(), t.id);
  std::sort(pairs.begin(), pairs.end());
  for (int i = 0; i < n; ++i) order[i] = kIdMask - pairs[size_t(i)].second;
}

}  // namespace

ArenaLayout plan_arena(const Network& net, int64_t alignment) {
  ArenaScratch scratch;
  plan_arena(net, scratch, alignment);
  return std::move(scratch.layout);
}

void plan_arena(const Network& net, ArenaScratch& scratch, int64_t alignment) {
  const auto& tensors = net.tensors();
  const int n = int(tensors.size());
  const int n_ops = int(net.ops().size());
  ArenaLayout& layout = scratch.layout;
  layout.offsets.resize(size_t(n));  // every entry is written below
  layout.peak_bytes = 0;
  if (n_ops == 0) {  // no op, no lifetime: nothing is alive at the same time as anything else
    for (const Tensor& t : tensors) {
      layout.offsets[size_t(t.id)] = 0;
      layout.peak_bytes = std::max(layout.peak_bytes, align_to(t.shape.bytes(), alignment));
    }
    return;
  }
  // One pass over the tensors: aligned size, lifetime, the placement order's key, and counts for the per-op
  // lists below (tensors starting during each op; tensors carried into each op from an earlier one, as a
  // difference: +1 after the first op, -1 after the last).
  int64_t* const size = resized(scratch.size, n);
  Lifetime* const life = resized(scratch.life, n);
  int64_t* const order = resized(scratch.order, n);
  int* const start_begin = assigned(scratch.start_begin, n_ops + 1, 0);
  int* const carried_begin = assigned(scratch.carried_begin, n_ops + 1, 0);
  int64_t largest = 0;
  for (const Tensor& t : tensors) {
    const int64_t bytes = t.shape.bytes();
    size[t.id] = align_to(bytes, alignment);
    Lifetime l = tensor_lifetime(net, t);
    l.last_op = std::min(l.last_op, n_ops - 1);
    life[t.id] = l;
    ++start_begin[l.first_op + 1];
    ++carried_begin[l.first_op + 1];
    --carried_begin[l.last_op + 1];
    order[t.id] = bytes << kIdBits | (kIdMask - t.id);
    largest = std::max(largest, bytes);
  }
  sort_largest_first(tensors, largest, order);

  // The counts to list starts: start_begin[op] indexes `by_start` (the tensors whose lifetime starts at op, by
  // id), carried_begin[op] `carried` (the placed tensors alive during op whose lifetime started before it).
  int carried_now = 0, carried_total = 0;  // tensors carried into `op`; into the ops before it
  for (int op = 0; op < n_ops; ++op) {
    carried_now += carried_begin[op];
    carried_begin[op] = carried_total;
    carried_total += carried_now;
    start_begin[op + 1] += start_begin[op];
  }
  carried_begin[n_ops] = carried_total;
  int* const by_start = resized(scratch.by_start, n);
  int* const fill = resized(scratch.fill, n_ops);
  std::copy(start_begin, start_begin + n_ops, fill);
  for (int id = 0; id < n; ++id) by_start[fill[life[id].first_op]++] = id;
  int* const carried = resized(scratch.carried, carried_begin[n_ops]);
  int* const carried_end = fill;  // per op: the end of its placed carried tensors
  std::copy(carried_begin, carried_begin + n_ops, carried_end);

  // Each tensor in order, at the lowest offset clear of the placed tensors whose lifetime overlaps its own:
  // those that started before it and are still alive at its first op (carried into it), and those that start
  // during its lifetime. Each overlapping tensor is met exactly once, and only those.
  char* const placed = assigned(scratch.placed, n, char(0));
  // [begin, end) of the placed tensors alive at the same time as the next one, sorted by begin as gathered
  // (insertion: a tensor overlaps a handful of others). Ties need no order: the first fit is the same.
  using Interval = ArenaScratch::Interval;
  Interval* const busy = resized(scratch.busy, n);
  int n_busy = 0;
  int64_t* const offsets = layout.offsets.data();
  auto add_busy = [&](int other) {
    const Interval span{offsets[other], offsets[other] + size[other]};
    int j = n_busy++;
    for (; j > 0 && busy[j - 1].begin > span.begin; --j) busy[j] = busy[j - 1];
    busy[j] = span;
  };
  for (int i = 0; i < n; ++i) {
    const int id = int(kIdMask - (order[i] & kIdMask));
    const Lifetime l = life[id];
    n_busy = 0;
    for (int k = carried_begin[l.first_op]; k < carried_end[l.first_op]; ++k) add_busy(carried[k]);
    for (int k = start_begin[l.first_op]; k < start_begin[l.last_op + 1]; ++k)
      if (placed[by_start[k]]) add_busy(by_start[k]);
    int64_t offset = 0;
    for (int k = 0; k < n_busy; ++k) {
      if (offset + size[id] <= busy[k].begin) break;  // fits in the gap before this one
      offset = std::max(offset, busy[k].end);
    }
    offsets[id] = offset;
    layout.peak_bytes = std::max(layout.peak_bytes, offset + size[id]);
    placed[id] = 1;
    for (int op = l.first_op + 1; op <= l.last_op; ++op) carried[carried_end[op]++] = id;
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
