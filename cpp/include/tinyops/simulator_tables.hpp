#pragma once
// What both simulators (simulator.hpp, the fast one; simulator_reference.hpp, the plain event simulation it is
// tested against) read from the board and the plan, resolved once per board / per run into flat tables, and
// the cost of one part. Sharing these keeps the two simulators' cost model one piece of code: they differ
// only in how they walk the events.
#include <array>
#include <bit>
#include <cstdint>
#include <deque>
#include <vector>

#include "tinyops/board.hpp"
#include "tinyops/flat_index.hpp"
#include "tinyops/kernel_cost.hpp"
#include "tinyops/network.hpp"
#include "tinyops/plan.hpp"

namespace tinyops::sim {

inline constexpr int kMaxPlanMemories = 8;
static_assert(kMaxPlanMemories < 31, "PlanTables::stalling_memories holds a bit per plan memory, and bit 31 for none");

// What a part costs the CPU, apart from waiting: kernel cycles and the memory stalls of operands it reads or
// writes in place (before bus contention), by plan memory.
struct PartCost {
  double compute = 0, stall = 0;
  double stall_by_memory[kMaxPlanMemories] = {};
  int64_t external_bytes = 0;
};

struct MemoryCost {  // a plan memory's board parameters
  double read_cpb = 0, write_cpb = 0;
  bool cached = false, external = false;
};

struct StagingBuffer {  // a non-arena buffer: DMA fills or drains it, so its users are tracked
  int memory;
  int64_t begin, end;
  int index;
};

struct Active {  // a DMA transfer in flight (for bus contention)
  double start, end;
  int src, dst;  // plan memory indices
};

struct StreamRange {  // an engine's DMA streams: consecutive in BoardTables::stream_engine
  int first = 0, count = 0;
};

// A DMA copy's time: its engine's set-up, then its link time slowed by the bus pressure (see dma_pressure).
inline double dma_time(double setup_cycles, double link_cycles, double dma_slowdown, double pressure) {
  return setup_cycles + link_cycles * (1 + dma_slowdown * pressure);
}

// The board's DMA links and engines, by board memory index.
struct BoardTables {
  explicit BoardTables(const Board& board);
  int memory_count = 0;
  std::vector<int> link_engine;  // [src * memory_count + dst] -> engine, -1: none
  std::vector<double> link_bpc;  // bytes per cycle of that link
  std::vector<double> engine_setup, engine_issue;
  std::vector<int> stream_engine;           // per DMA stream (engines' streams in board order): its engine
  std::vector<StreamRange> engine_streams;  // per engine
  double dcache_bytes = 0;
  // Per kernel kind, the cost terms whose coefficient is not zero, in term order: compute_cycles() over these
  // alone gives the same sum (a zero coefficient times a finite feature adds a zero), in fewer dependent adds.
  struct Term {
    int term;
    double cycles;
  };
  std::array<std::vector<Term>, kKernelKindCount> kernel_terms;
  double compute_cycles(KernelKind kind, const CostFeatures& f) const {
    double cycles = 0;
    for (const Term& t : kernel_terms[int(kind)]) cycles += t.cycles * f[size_t(t.term)];
    return cycles;
  }
};

// The plan's memories, links and staging buffers resolved against the board, and the op geometries.
struct PlanTables {
  // Not copyable: `geometry` points into this object's geometry_store.
  PlanTables() = default;
  PlanTables(const PlanTables&) = delete;
  PlanTables& operator=(const PlanTables&) = delete;
  PlanTables(PlanTables&&) = default;
  PlanTables& operator=(PlanTables&&) = default;
  // Throws PlanningError when the plan does not fit (plan.why), does not match `net`, or names a memory the
  // board lacks.
  // Without `geometries`, `geometry` is left as it is: the caller looks up the ones it needs (cached_geometry).
  void reset(const Board& board, const BoardTables& tables, const Network& net, const Plan& plan,
             bool geometries = true);
  // The staging buffer holding `r`, -1 if none (the first in plan order).
  int buffer_of(const Region& r) const {
    if (r.memory < 0 || r.memory >= kMaxPlanMemories || !has_staging[r.memory]) return -1;
    for (const StagingBuffer& s : staging)
      if (s.memory == r.memory && r.offset >= s.begin && r.offset + r.bytes <= s.end) return s.index;
    return -1;
  }
  PartCost part_cost(const BoardTables& board, const OpGeometry& g, const Part& part) const;
  // The transfer physics both simulators share (a copy of `bytes` from plan memory src to dst).
  bool touches_external(int src, int dst) const { return memory_cost[src].external || memory_cost[dst].external; }
  // No DMA engine: a fixed cost per copy (Cpu::memcpy_issue_cycles) plus its bytes'.
  double cpu_copy_cycles(const Cpu& cpu, int src, int dst, int64_t bytes) const {
    return cpu.memcpy_issue_cycles.value +
           double(bytes) * (cpu.memcpy_cycles_per_byte.value + memory_cost[src].read_cpb + memory_cost[dst].write_cpb);
  }
  // The engine serving src -> dst; throws PlanningError when the board has none (inline: per transfer).
  int dma_engine(const Plan& plan, const Board& board, int src, int dst) const {
    const int engine = link_engine[size_t(src) * memories + dst];
    if (engine < 0) throw_no_dma_link(plan, board, src, dst);
    return engine;
  }
  [[noreturn]] static void throw_no_dma_link(const Plan& plan, const Board& board, int src, int dst);
  // Cycles a DMA copy of `bytes` from plan memory src to dst spends on its link, before bus slowdown.
  double link_cycles(int src, int dst, int64_t bytes) const {
    return double(bytes) / link_bpc[size_t(src) * memories + dst];
  }
  double dma_cycles(const BoardTables& tables, double dma_slowdown, int engine, int src, int dst, int64_t bytes,
                    double pressure) const {
    return dma_time(tables.engine_setup[engine], link_cycles(src, dst, bytes), dma_slowdown, pressure);
  }

  int memories = 0;
  std::vector<int> memory_map;  // plan memory -> board memory
  std::vector<MemoryCost> memory_cost;
  // Bit m + 1: plan memory m costs the CPU something to touch (bit 0, "no memory", stays clear).
  uint32_t stalling_memories = 0;
  // (& 31: a region of no memory, or a malformed negative index, lands on a bit that is never set.)
  bool stalls_on(int memory) const { return (stalling_memories >> ((memory + 1) & 31)) & 1u; }
  std::vector<int> link_engine;  // [src * memories + dst]
  std::vector<double> link_bpc;
  std::vector<StagingBuffer> staging;
  bool has_staging[kMaxPlanMemories] = {};
  std::vector<const OpGeometry*> geometry;  // by op id, into geometry_store
  // Everything op_geometry() reads of an op: ops with equal keys have equal geometries, so a geometry (with its
  // per-row tap tables) is computed once per key and reused by every op, plan and network that has it (the
  // optimal planner simulates one network hundreds of times; a search scores many networks of shared shapes).
  // Keep it in step with op_geometry() and kernel_kind() (kernel_cost.cpp).
  struct GeometryKey {
    OpKind kind = OpKind::Conv2D;
    int kernel_h = 0, kernel_w = 0, stride = 0;
    Padding pad;
    double slow_requant_share = 0, left_shift_share = 0;
    bool clamped_activation = false;
    Activation act = Activation::None;  // a fused hard-swish has its own cost terms
    int64_t macs = 0;
    Shape in, out;
    bool operator==(const GeometryKey&) const = default;
  };
  static GeometryKey geometry_key(const Network& net, const Op& op) {
    return GeometryKey{op.kind,
                       op.kernel_h,
                       op.kernel_w,
                       op.stride,
                       op.pad,
                       op.slow_requant_share,
                       op.left_shift_share,
                       op.clamped_activation,
                       op.act,
                       op.macs,
                       net.tensor(op.inputs[0]).shape,
                       net.tensor(op.output).shape};
  }
  static uint64_t hash(const GeometryKey& k);
  static constexpr size_t kMaxCachedGeometries = 4096;  // then the cache starts over
  // The cached geometry of `key`, computed from `op` of `net` when absent.
  const OpGeometry* cached_geometry(const GeometryKey& key, const Network& net, const Op& op);
  FlatIndex geometry_index;  // over geometry_entries
  struct CachedGeometry {
    GeometryKey key;
    const OpGeometry* geometry;  // into geometry_store
  };
  std::vector<CachedGeometry> geometry_entries;
  std::deque<OpGeometry> geometry_store;  // stable addresses
  std::vector<GeometryKey> last_key;      // by op id: the key of the last run's op (checked before the hash map)
};

// Inline: it runs for every part of every plan scored.
inline PartCost PlanTables::part_cost(const BoardTables& board, const OpGeometry& g, const Part& part) const {
  PartCost cost;
  const PartWork work = part_work(g, part);
  const double dcache_bytes = board.dcache_bytes;
  cost.compute = board.compute_cycles(g.kind, kernel_features(g, part));
  static_assert(int(Operand::Scratch) == kOperandCount - 1, "the scratch buffer is never read from slow memory");
  for (int k = 0; k < kOperandCount - 1; ++k) {
    const Region& r = part.at[k];
    if (r.bytes == 0 || !stalls_on(r.memory)) continue;  // absent, empty or in SRAM: nothing to count
    const MemoryCost& mc = memory_cost[r.memory];
    double bytes = double(r.bytes);
    double cycles;
    if (Operand(k) == Operand::Output) {
      cycles = bytes * mc.write_cpb;
    } else {
      bytes *= read_passes(g, Operand(k), bytes, work.out_pixels, mc.cached, dcache_bytes);
      cycles = bytes * mc.read_cpb;
    }
    cost.stall_by_memory[r.memory] += cycles;
    cost.stall += cycles;
    if (mc.external) cost.external_bytes += int64_t(bytes);
  }
  for (const Region& r : part.more_inputs) {  // a concatenation's later inputs: read once each, as Input2
    if (r.bytes == 0 || !stalls_on(r.memory)) continue;
    const MemoryCost& mc = memory_cost[r.memory];
    const double cycles = double(r.bytes) * mc.read_cpb;
    cost.stall_by_memory[r.memory] += cycles;
    cost.stall += cycles;
    if (mc.external) cost.external_bytes += r.bytes;
  }
  return cost;
}

// Extra stall cycles of a part running [start, start + nominal) while the transfers in [begin, end) use the
// memories it stalls on: each memory's stall grows by cpu_stall_increase x the fraction of the part overlapped.
// `memories`: a bit per plan memory to look at (all of them, or only those the part is known to stall on).
inline double stall_contention(const PartCost& cost, const Active* begin, const Active* end, uint32_t memories,
                               double cpu_stall_increase, double start, double nominal) {
  if (cost.stall <= 0 || begin == end || nominal <= 0) return 0;
  double extra = 0;
  const double part_end = start + nominal;
  for (int m = 0; memories >> m; ++m) {
    if (!(memories >> m & 1u) || cost.stall_by_memory[m] <= 0) continue;
    double overlap = 0;
    for (const Active* a = begin; a != end; ++a)
      if (a->src == m || a->dst == m) overlap += std::max(0.0, std::min(part_end, a->end) - std::max(start, a->start));
    // overlap >= nominal: the quotient is at least 1, so the division is skipped without changing the result.
    extra += cost.stall_by_memory[m] * cpu_stall_increase * (overlap >= nominal ? 1.0 : overlap / nominal);
  }
  return extra;
}
inline uint32_t all_memories(int memories) { return (1u << memories) - 1; }

// The DMA slowdown factor's input: the share of the concurrent part's time the CPU stalls on src or dst.
inline double dma_pressure(const PartCost* concurrent, int src, int dst) {
  if (!concurrent || concurrent->compute + concurrent->stall <= 0) return 0;
  return std::max(concurrent->stall_by_memory[src], concurrent->stall_by_memory[dst]) /
         (concurrent->compute + concurrent->stall);
}

}  // namespace tinyops::sim
