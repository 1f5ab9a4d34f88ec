#include "tinyops/simulator_tables.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

#include "tinyops/error.hpp"

namespace tinyops::sim {

BoardTables::BoardTables(const Board& board) {
  memory_count = int(board.memories.size());
  if (memory_count > kMaxPlanMemories) throw InputError(board.source, "memories", "expected at most 8 memories");
  dcache_bytes = board.cpu.dcache_bytes.value;
  link_engine.assign(size_t(memory_count) * memory_count, -1);
  link_bpc.assign(size_t(memory_count) * memory_count, 0);
  for (size_t e = 0; e < board.dma.size(); ++e) {
    const DmaEngine& engine = board.dma[e];
    engine_setup.push_back(engine.setup_cycles.value);
    engine_issue.push_back(engine.cpu_issue_cycles.value);
    for (const DmaLink& l : engine.links) {
      size_t k = size_t(board.memory_index(l.from)) * memory_count + board.memory_index(l.to);
      if (link_engine[k] < 0) link_engine[k] = int(e), link_bpc[k] = l.bytes_per_cycle.value;
    }
    engine_streams.push_back(StreamRange{int(stream_engine.size()), int(engine.streams.value)});
    for (int s = 0; s < int(engine.streams.value); ++s) stream_engine.push_back(int(e));
  }
  for (int k = 0; k < kKernelKindCount; ++k)
    for (int t = 0; t < kCostTermCount; ++t) {
      const double cycles = board.kernels[size_t(k)].terms[size_t(t)].value;
      if (cycles != 0 || !std::isfinite(cycles)) kernel_terms[size_t(k)].push_back(Term{t, cycles});
    }
}

// Runs for every op of every network scored: the fields are folded into five words that are multiplied
// independently (no chain of dependent multiplies). Collisions only cost a key comparison.
uint64_t PlanTables::hash(const GeometryKey& k) {
  auto word = [](int64_t a, int64_t b, int64_t c, int64_t d) {
    return uint64_t(a) ^ (uint64_t(b) << 16) ^ (uint64_t(c) << 32) ^ (uint64_t(d) << 48);
  };
  const uint64_t layer =
      word(int64_t(k.kind) | int64_t(k.act) << 8 | int64_t(k.clamped_activation) << 15, k.kernel_h | k.kernel_w << 8,
           k.stride | k.pad.top << 8, k.pad.bottom | k.pad.left << 8 | int64_t(k.pad.right) << 12);
  const uint64_t in = word(k.in.h, k.in.w, k.in.c, k.out.h);
  const uint64_t out = word(k.out.w, k.out.c, 0, 0);
  const uint64_t share = std::bit_cast<uint64_t>(k.slow_requant_share);
  const uint64_t left_share = std::bit_cast<uint64_t>(k.left_shift_share);
  const uint64_t h = layer * 0x9E3779B97F4A7C15ull ^ in * 0xC2B2AE3D27D4EB4Full ^ out * 0x165667B19E3779F9ull ^
                     uint64_t(k.macs) * 0xD6E8FEB86659FD93ull ^ share * 0xFF51AFD7ED558CCDull ^
                     std::rotl(left_share, 17) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 31);
}

const OpGeometry* PlanTables::cached_geometry(const GeometryKey& key, const Network& net, const Op& op) {
  const uint64_t h = hash(key);
  const int found = geometry_index.find(h, [&](int e) { return geometry_entries[size_t(e)].key == key; });
  if (found >= 0) return geometry_entries[size_t(found)].geometry;
  const OpGeometry* g = &geometry_store.emplace_back(op_geometry(net, op));  // first: it may throw
  geometry_index.insert(h, int(geometry_entries.size()), [&](int e) { return hash(geometry_entries[size_t(e)].key); });
  geometry_entries.push_back(CachedGeometry{key, g});
  return g;
}

void PlanTables::reset(const Board& board, const BoardTables& tables, const Network& net, const Plan& plan,
                       bool geometries) {
  if (!plan.fits)
    throw PlanningError("plan " + plan.strategy + " of " + plan.network + " on " + plan.board +
                        " does not fit: " + plan.why);
  if (plan.ops.size() != net.ops().size() || plan.tensor_home.size() != net.tensors().size())
    throw PlanningError("plan of " + plan.network + " does not match network " + net.name() + " (op or tensor count)");
  memories = int(plan.memories.size());
  if (memories > kMaxPlanMemories) throw PlanningError("plan uses more than 8 memories");
  memory_map.resize(memories);
  memory_cost.resize(memories);
  stalling_memories = 0;
  for (int i = 0; i < memories; ++i) {
    const int m = memory_map[i] = board.memory_index(plan.memories[i]);
    if (m < 0)
      throw PlanningError("plan uses memory " + plan.memories[i] + ", which board " + board.name + " does not have");
    const Memory& mem = board.memories[m];
    memory_cost[i] = MemoryCost{mem.read_cycles_per_byte.value, mem.write_cycles_per_byte.value, mem.cached,
                                mem.kind == MemoryKind::External};
    const MemoryCost& mc = memory_cost[i];
    if (mc.read_cpb != 0 || mc.write_cpb != 0 || mc.external) stalling_memories |= 2u << i;
  }
  link_engine.resize(size_t(memories) * memories);
  link_bpc.resize(link_engine.size());
  for (int a = 0; a < memories; ++a)
    for (int b = 0; b < memories; ++b) {
      const size_t k = size_t(memory_map[a]) * tables.memory_count + memory_map[b];
      link_engine[size_t(a) * memories + b] = tables.link_engine[k];
      link_bpc[size_t(a) * memories + b] = tables.link_bpc[k];
    }
  staging.clear();
  for (bool& h : has_staging) h = false;
  for (size_t b = 0; b < plan.buffers.size(); ++b) {
    const Buffer& buf = plan.buffers[b];
    if (buf.kind == BufferKind::Arena) continue;
    staging.push_back(StagingBuffer{buf.region.memory, buf.region.offset, buf.region.end(), int(b)});
    if (buf.region.memory >= 0 && buf.region.memory < kMaxPlanMemories) has_staging[buf.region.memory] = true;
  }
  if (geometry_store.size() > kMaxCachedGeometries) {
    geometry_index.clear();
    geometry_entries.clear();
    geometry_store.clear();
    geometry.clear();
  }
  if (!geometries) return;
  const size_t n_ops = net.ops().size();
  geometry.resize(n_ops, nullptr);
  last_key.resize(n_ops);
  for (const Op& op : net.ops()) {
    const GeometryKey key = geometry_key(net, op);
    if (geometry[op.id] && last_key[op.id] == key) continue;  // as in the last run (the same network, mostly)
    geometry[op.id] = cached_geometry(key, net, op);
    last_key[op.id] = key;
  }
}

void PlanTables::throw_no_dma_link(const Plan& plan, const Board& board, int src, int dst) {
  throw PlanningError("plan copies " + plan.memories[src] + " -> " + plan.memories[dst] + " but board " + board.name +
                      " has no DMA link between them");
}

}  // namespace tinyops::sim
