#include "tinyops/partitioning.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "tinyops/error.hpp"

namespace tinyops {

RowRule row_rule(OpKind kind) {
  switch (kind) {
    case OpKind::Conv2D:
    case OpKind::DepthwiseConv2D:
    case OpKind::AveragePool: return RowRule::Window;
    case OpKind::Add:
    case OpKind::Mul:
    case OpKind::Concatenation: return RowRule::Elementwise;
    case OpKind::Pad: return RowRule::Pad;
    case OpKind::GlobalAveragePool:
    case OpKind::FullyConnected: return RowRule::Whole;
  }
  return RowRule::Whole;
}

RowGeometry row_geometry(const Network& net, const Op& op) {
  const Shape& in = net.tensor(op.inputs.at(0)).shape;
  const Shape& out = net.tensor(op.output).shape;
  RowGeometry g;
  g.rule = row_rule(op.kind);
  g.in_rows = in.h;
  g.out_rows = out.h;
  g.kernel_rows = op.kernel_h;
  g.stride = op.stride;
  g.pad_top = op.pad.top;
  g.pad_bottom = op.pad.bottom;
  return g;
}

namespace {

// a / s and a % s (truncating, as the operators do) for a stride s: strides are almost always 1 or 2, where
// these are a move or a shift instead of an integer division, which is most of partitioning's cost.
inline int div_stride(int a, int s) { return s == 1 ? a : s == 2 ? a / 2 : a / s; }
inline int mod_stride(int a, int s) { return s == 1 ? 0 : s == 2 ? a % 2 : a % s; }

// Rows dealt out `group` at a time round-robin over at most `factor` parts: part i gets one group more than
// the parts after the first (groups % parts); none when not even one group exists.
struct Deal {
  Deal(int rows, int group, int factor)
      : group(group), groups(div_stride(rows, group)), parts(std::min(groups, factor)) {}
  int size(int i) const { return (groups / parts + (i < groups % parts ? 1 : 0)) * group; }
  int group, groups, parts;
};

void whole(const RowGeometry& g, std::vector<RowPart>& out) {
  out.assign(1, RowPart{0, g.in_rows, 0, g.out_rows, g.rule == RowRule::Elementwise ? 0 : g.pad_top});
}

// Conv, depthwise and average pool. The published runtime's conv partitioner, row for row; its pool
// partitioner drops the pad_top % stride rows and so misaligns padded strided pooling, which the conv rule
// handles correctly, so pooling uses the conv rule here (the two agree whenever the padding is zero).
void partition_window(const RowGeometry& g, int factor, std::vector<RowPart>& parts) {
  const int s = g.stride, k = g.kernel_rows;
  if (k >= g.in_rows) return whole(g, parts);
  const int lead = mod_stride(g.pad_top, s);  // rows before the first stride-aligned window start
  const Deal deal(g.in_rows - lead, s, factor);
  if (deal.parts <= 0) return whole(g, parts);           // fewer rows than one stride: nothing to split
  const int leftover = mod_stride(g.in_rows - lead, s);  // the rows left over go to the last part

  parts.clear();
  int start = 0, produced = 0;
  for (int i = 0; i < deal.parts; ++i) {
    const int left = g.out_rows - produced;
    if (left <= 0) break;  // this part and the ones after it would produce nothing
    const int size = deal.size(i) + (i == 0 ? lead : 0) + (i + 1 == deal.parts ? leftover : 0);
    const int window_starts = div_stride(size, s) + 1;
    // The last window start the part owns, counted from its first row as the runtime does (ignoring padding).
    const int size_mod = mod_stride(size, s);
    const int last_start = start + size - size_mod - (size_mod == 0 ? s : 0);
    const int last_end = last_start + k;
    int end = last_end, pad_rows = 0;
    if (last_end > g.in_rows) {  // the halo runs past the input: clamp, the kernel pads below
      end = g.in_rows;
      pad_rows = left <= window_starts ? (left - 1) * s + start + k - g.in_rows  // the rest of the output
                                       : last_end - g.in_rows;
    }
    const int pad_top = i == 0 ? g.pad_top : 0;
    // The runtime's "rest of the output" padding ignores the first part's top padding, so when the first part
    // alone reaches the bottom (e.g. 5x5 stride 2 on 6 rows) it would compute one row past the output; the
    // part computes only the rows that exist.
    const int out = std::min(left, div_stride(end - start + pad_rows + pad_top - k, s) + 1);
    parts.push_back(RowPart{start, end, produced, produced + out, pad_top});
    produced += out;
    start += size;
  }
}

// Add / pad: rows dealt out one at a time, no halo.
void partition_rowwise(const RowGeometry& g, int factor, std::vector<RowPart>& parts) {
  const Deal deal(g.in_rows, 1, factor);
  if (deal.parts <= 0) return whole(g, parts);
  const bool pad = g.rule == RowRule::Pad;
  parts.clear();
  int start = 0, produced = 0;
  for (int i = 0; i < deal.parts; ++i) {
    const int size = deal.size(i);
    const int top = pad && i == 0 ? g.pad_top : 0;
    const int bottom = pad && i + 1 == deal.parts ? g.pad_bottom : 0;
    const int out = size + top + bottom;
    parts.push_back(RowPart{start, start + size, produced, produced + out, top});
    produced += out;
    start += size;
  }
}

}  // namespace

void partition_rows(const RowGeometry& g, int factor, std::vector<RowPart>& parts) {
  if (factor < 1) throw std::invalid_argument("partition factor must be at least 1, got " + std::to_string(factor));
  if (g.in_rows <= 0 || g.out_rows <= 0 || g.stride <= 0 || g.kernel_rows <= 0)
    throw std::invalid_argument("row geometry must have positive rows, kernel and stride");
  if (factor == 1) return whole(g, parts);
  switch (g.rule) {
    case RowRule::Window: return partition_window(g, factor, parts);
    case RowRule::Elementwise:
    case RowRule::Pad: return partition_rowwise(g, factor, parts);
    case RowRule::Whole: return whole(g, parts);
  }
  whole(g, parts);
}

std::vector<RowPart> partition_rows(const RowGeometry& g, int factor) {
  std::vector<RowPart> parts;
  partition_rows(g, factor, parts);
  return parts;
}

int largest_part_rows(const RowGeometry& g, int factor, std::vector<RowPart>& scratch) {
  partition_rows(g, factor, scratch);
  int rows = 0;
  for (const RowPart& p : scratch) rows = std::max(rows, p.in_rows());
  return rows;
}

int largest_part_rows(const RowGeometry& g, int factor) {
  std::vector<RowPart> scratch;
  return largest_part_rows(g, factor, scratch);
}

int first_part_rows(const RowGeometry& g, int factor) {
  const int whole_rows = g.in_rows;
  if (factor <= 1 || g.rule == RowRule::Whole) return whole_rows;
  if (g.rule != RowRule::Window) {  // add / pad: the first part's dealt rows
    const Deal deal(g.in_rows, 1, factor);
    return deal.parts <= 0 ? whole_rows : deal.size(0);
  }
  const int s = g.stride, k = g.kernel_rows;
  if (k >= g.in_rows) return whole_rows;
  const int lead = mod_stride(g.pad_top, s);
  const Deal deal(g.in_rows - lead, s, factor);
  if (deal.parts <= 0) return whole_rows;
  // As partition_window computes part 0 (always kept: it is the first to produce rows).
  const int size = deal.size(0) + lead + (deal.parts == 1 ? mod_stride(g.in_rows - lead, s) : 0);
  const int size_mod = mod_stride(size, s);
  const int last_start = size - size_mod - (size_mod == 0 ? s : 0);
  return std::min(last_start + k, g.in_rows);
}

int64_t staged_row_bytes(const Network& net, const Op& op) {
  const Shape& s = net.tensor(op.kind == OpKind::Concatenation ? op.output : op.inputs.at(0)).shape;
  return int64_t(s.w) * s.c;
}

int64_t receptive_field_bytes(const Network& net, const Op& op) {
  const int64_t area = int64_t(op.kernel_h) * op.kernel_w;
  if (op.kind == OpKind::Conv2D) return area * net.tensor(op.inputs.at(0)).shape.c * 4;
  if (op.kind == OpKind::DepthwiseConv2D) return area * net.tensor(op.output).shape.c * 2;
  return 0;
}

namespace {

// The factor search of the published runtime over one network, with each distinct op geometry's largest
// part memoized per factor (a MobileNet has ~60 ops but only ~15 distinct geometries; the memo is kept for
// the next network).
class FactorSearch {
 public:
  using OpClass = FactorSearchScratch::OpClass;

  FactorSearch(const Network& net, FactorSearchScratch& scratch) : s_(scratch) {
    for (const OpClass& c : s_.classes) s_.geometry_class[size_t(c.geometry)] = -1;  // the last network's
    s_.op_class.clear();
    s_.classes.clear();
    if (s_.geometries.size() >= FactorSearchScratch::kMaxKeptGeometries ||
        s_.kept_parts.size() >= FactorSearchScratch::kMaxKeptParts) {
      s_.geometries.clear();
      s_.memo.clear();
      s_.geometry_index.clear();
      s_.kept_parts.clear();
      s_.geometry_class.clear();
    }
    for (const Op& op : net.ops()) {
      const RowGeometry g = row_geometry(net, op);
      if (g.rule == RowRule::Whole) {
        s_.op_class.push_back(-1);
        continue;
      }
      s_.op_class.push_back(class_of(geometry_index(g), staged_row_bytes(net, op)));
      if (op.kind == OpKind::Conv2D || op.kind == OpKind::DepthwiseConv2D) {
        max_field_bytes_ = std::max(max_field_bytes_, receptive_field_bytes(net, op));
        max_bias_bytes_ = std::max(max_bias_bytes_, op.bias_bytes);
      }
    }
  }

  // The partitioning for trial factor `factor` into `r`, without the per-op parts (add_parts: the accepted one).
  void evaluate(int factor, RowPartitioning& r) {
    r.network_factor = factor;
    int64_t network_largest = 0;
    for (const OpClass& c : s_.classes)
      network_largest = std::max(network_largest, c.row_bytes * rows(c.geometry, factor));
    s_.class_factor.assign(s_.classes.size(), factor);
    int64_t largest = 0;
    for (size_t k = 0; k < s_.classes.size(); ++k) {
      const OpClass& c = s_.classes[k];
      for (int j = 2; j < factor; ++j) {
        // The first part's rows bound the largest part's from below: a factor it rules out needs no partitioning.
        if (c.row_bytes * first_rows(c.geometry, j) > network_largest) continue;
        if (c.row_bytes * rows(c.geometry, j) <= network_largest) {
          s_.class_factor[k] = j;
          break;
        }
      }
      largest = std::max(largest, c.row_bytes * rows(c.geometry, s_.class_factor[k]));
    }
    r.largest_part_bytes = largest;
    r.buffers = buffers_for(largest);
  }

  // The per-op factors and parts of the trial evaluate() last computed, into `r`: the parts kept for the op's
  // geometry at its factor (built the first time any op of any network needs them), copied or as ranges.
  void add_parts(RowPartitioning& r, bool copy_parts) {
    const size_t n = s_.op_class.size();
    r.op_factor.assign(n, 0);
    if (copy_parts) {
      r.parts.resize(n);
      r.kept_range.clear();
    } else {
      r.parts.clear();
      r.kept_range.assign(n, {0, 0});
    }
    for (size_t i = 0; i < n; ++i) {
      const int k = s_.op_class[i];
      if (k < 0) {
        if (copy_parts) r.parts[i].clear();
        continue;
      }
      const int factor = r.op_factor[i] = s_.class_factor[size_t(k)];
      const Memo& m = with_parts(s_.classes[size_t(k)].geometry, factor);
      if (copy_parts)
        r.parts[i].assign(s_.kept_parts.begin() + m.parts_begin, s_.kept_parts.begin() + m.parts_end);
      else
        r.kept_range[i] = {m.parts_begin, m.parts_end};
    }
  }

  // The first factor whose buffers may fit `budget` judging by a lower bound of their need: whatever factor
  // from 2 to f a class ends up with, its largest part is no smaller than its smallest first part over those
  // factors. Every factor before it needs more than the budget and is passed over without partitioning anything
  // (most of the factors below the one that fits). kMaxPartitionFactor + 1 when none may fit.
  int first_candidate_factor(int64_t budget) {
    // The buffers grow with the largest part: the largest part they allow within the budget, by bisection.
    if (buffers_for(0).total_bytes() > budget) return kMaxPartitionFactor + 1;
    int64_t allowed = 0, too_large = budget + 1;  // buffers_for(allowed) fits, buffers_for(too_large) does not
    while (too_large - allowed > 1) {
      const int64_t mid = allowed + (too_large - allowed) / 2;
      (buffers_for(mid).total_bytes() <= budget ? allowed : too_large) = mid;
    }
    // Each class is within `allowed` from the first factor whose first part is (the minimum over the factors up
    // to f can only fall); the bound passes from the factor where the last class does.
    int factor = 2;
    for (const OpClass& c : s_.classes) {
      int f = 2;
      while (f <= kMaxPartitionFactor && c.row_bytes * first_rows(c.geometry, f) > allowed) ++f;
      factor = std::max(factor, f);
    }
    return factor;
  }

 private:
  OverlayBuffers buffers_for(int64_t largest) const {
    OverlayBuffers b;
    b.input_bytes = align_up(largest);
    b.filter_bytes = align_up(largest);
    b.im2col_bytes = align_up(std::max(largest, max_field_bytes_));
    b.bias_bytes = align_up(max_bias_bytes_);
    b.quant_bytes = align_up(max_bias_bytes_ + 128);
    return b;
  }

  // The class of the network's ops of geometry `geometry` and `row_bytes`, added when new.
  int class_of(int geometry, int64_t row_bytes) {
    int& first = s_.geometry_class[size_t(geometry)];
    for (int k = first; k >= 0; k = s_.classes[size_t(k)].next)
      if (s_.classes[size_t(k)].row_bytes == row_bytes) return k;
    s_.classes.push_back(OpClass{geometry, row_bytes, first});
    return first = int(s_.classes.size()) - 1;
  }

  // Two independent multiplies (a chain of one per field costs more than the lookup it serves).
  static uint64_t hash(const RowGeometry& g) {
    const uint64_t rows = uint64_t(uint32_t(g.in_rows)) << 32 | uint32_t(g.out_rows);
    const uint64_t window = uint64_t(g.rule) << 56 ^ uint64_t(uint32_t(g.kernel_rows)) << 40 ^
                            uint64_t(uint32_t(g.stride)) << 32 ^ uint64_t(uint32_t(g.pad_top)) << 16 ^
                            uint32_t(g.pad_bottom);
    const uint64_t h = rows * 0x9E3779B97F4A7C15ull ^ window * 0xC2B2AE3D27D4EB4Full;
    return h ^ (h >> 32);
  }

  int geometry_index(const RowGeometry& g) {
    const uint64_t h = hash(g);
    const int found = s_.geometry_index.find(h, [&](int e) { return s_.geometries[size_t(e)] == g; });
    if (found >= 0) return found;
    const int entry = int(s_.geometries.size());
    s_.geometry_index.insert(h, entry, [&](int e) { return hash(s_.geometries[size_t(e)]); });
    s_.geometries.push_back(g);
    s_.memo.emplace_back();
    s_.geometry_class.push_back(-1);
    return entry;
  }

  using Memo = FactorSearchScratch::Memo;
  Memo& memo(int geometry, int factor) {
    std::vector<Memo>& m = s_.memo[size_t(geometry)];
    if (int(m.size()) <= factor) m.resize(size_t(factor) + 1);
    return m[size_t(factor)];
  }

  // The largest part's rows of `geometry` at `factor`, memoized.
  int64_t rows(int geometry, int factor) {
    int& rows = memo(geometry, factor).largest_rows;
    if (rows < 0) rows = largest_part_rows(s_.geometries[size_t(geometry)], factor, s_.parts);
    return rows;
  }

  // first_part_rows of `geometry` at `factor`, memoized (it divides: the memo is quicker).
  int64_t first_rows(int geometry, int factor) {
    int& rows = memo(geometry, factor).first_rows;
    if (rows < 0) rows = first_part_rows(s_.geometries[size_t(geometry)], factor);
    return rows;
  }

  // The memo of `geometry` at `factor` with its parts kept.
  const Memo& with_parts(int geometry, int factor) {
    Memo& m = memo(geometry, factor);
    if (m.parts_begin < 0) {
      partition_rows(s_.geometries[size_t(geometry)], factor, s_.parts);
      m.parts_begin = int(s_.kept_parts.size());
      s_.kept_parts.insert(s_.kept_parts.end(), s_.parts.begin(), s_.parts.end());
      m.parts_end = int(s_.kept_parts.size());
    }
    return m;
  }

  FactorSearchScratch& s_;
  int64_t max_field_bytes_ = 0;
  int64_t max_bias_bytes_ = 0;
};

}  // namespace

RowPartitioning partition_network(const Network& net, int factor) {
  if (factor < 2 || factor > kMaxPartitionFactor)
    throw std::invalid_argument("network partition factor must be in 2.." + std::to_string(kMaxPartitionFactor));
  FactorSearchScratch scratch;
  FactorSearch search(net, scratch);
  RowPartitioning r;
  search.evaluate(factor, r);
  search.add_parts(r, true);
  return r;
}

RowPartitioning choose_row_partitioning(const Network& net, int64_t sram_budget_bytes) {
  FactorSearchScratch scratch;
  RowPartitioning r;
  choose_row_partitioning(net, sram_budget_bytes, r, scratch);
  return r;
}

void choose_row_partitioning(const Network& net, int64_t sram_budget_bytes, RowPartitioning& out,
                             FactorSearchScratch& scratch, bool copy_parts) {
  FactorSearch search(net, scratch);
  for (int f = search.first_candidate_factor(sram_budget_bytes); f <= kMaxPartitionFactor; ++f) {
    search.evaluate(f, out);
    if (out.buffers.total_bytes() <= sram_budget_bytes) return search.add_parts(out, copy_parts);
  }
  // None fits: the smallest exact need over all factors, for the message.
  int64_t smallest_need = -1;
  int smallest_factor = 0;
  for (int f = 2; f <= kMaxPartitionFactor; ++f) {
    search.evaluate(f, out);
    const int64_t need = out.buffers.total_bytes();
    if (smallest_need < 0 || need < smallest_need) {
      smallest_need = need;
      smallest_factor = f;
    }
  }
  throw PlanningError("tinyops: no partition factor fits the SRAM budget of " + std::to_string(sram_budget_bytes) +
                      " bytes for network '" + net.name() + "': the smallest overlay buffers need " +
                      std::to_string(smallest_need) + " bytes (factor " + std::to_string(smallest_factor) + ")");
}

}  // namespace tinyops
