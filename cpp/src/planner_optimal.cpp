#include "tinyops/planner_optimal.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinyops/error.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/partitioning.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_tinyops.hpp"
#include "tinyops/simulator.hpp"

namespace tinyops {

namespace {

enum class Mode : uint8_t { Rows, InPlace, Channels };

struct Choice {
  Mode mode = Mode::Rows;
  int factor = 0;  // rows: partition factor; channels: parts
  bool operator==(const Choice&) const = default;
};

class OptimalSearch {
 public:
  OptimalSearch(const Network& net, const Board& board, Plan base, RowPartitioning rows)
      : net_(net), board_(board), base_(std::move(base)), rows_(std::move(rows)), sim_(board) {
    choices_.resize(net.ops().size());
    parts_.resize(net.ops().size());
    for (const Op& op : net.ops()) {
      const bool partitioned = !rows_.parts[op.id].empty();
      choices_[op.id] = partitioned ? Choice{Mode::Rows, rows_.op_factor[op.id]} : Choice{Mode::InPlace, 0};
      if (partitioned) parts_[op.id][rows_.op_factor[op.id]] = rows_.parts[op.id];
    }
  }

  Plan run() {
    double best = cycles(choices_);
    for (const Op& op : net_.ops()) {
      for (const Choice& candidate : candidates(op)) {
        std::vector<Choice> trial = choices_;
        trial[op.id] = candidate;
        const double t = cycles(trial);
        if (t < best) {
          best = t;
          choices_ = std::move(trial);
        }
      }
    }
    return build(choices_);
  }

 private:
  // Alternatives to the current choice of `op` whose buffers the tinyops buffer set already holds.
  std::vector<Choice> candidates(const Op& op) {
    std::vector<Choice> out;
    const Choice current = choices_[op.id];
    if (current.mode != Mode::InPlace) out.push_back(Choice{Mode::InPlace, 0});
    if (!rows_.parts[op.id].empty()) {
      // Finer row parts: a smaller first part exposes less copy time when the op cannot be prefetched.
      const int base = rows_.op_factor[op.id];
      for (int f : {base + 1, 2 * base}) {
        if (f > kMaxPartitionFactor || f == current.factor) continue;
        if (fits_rows(op, f)) out.push_back(Choice{Mode::Rows, f});
      }
    }
    const int channels = net_.tensor(op.output).shape.c;
    const OverlayBuffers& b = rows_.buffers;
    if (op.weight_bytes > 0 && channels > 1) {
      const int64_t per_channel = op.weight_bytes / channels;
      const int64_t fit = per_channel > 0 ? std::min<int64_t>(b.filter_bytes, b.im2col_bytes) / per_channel : 0;
      if (fit > 0) {
        const int parts = int((channels + fit - 1) / fit);
        for (int p : {std::max(2, parts), std::max(2, parts) * 2}) {
          if (p <= channels && probe_.channels_fit(op.id, p)) out.push_back(Choice{Mode::Channels, p});
        }
      }
    }
    return out;
  }

  const std::vector<RowPart>& row_parts(int op, int factor) {
    auto it = parts_[op].find(factor);
    if (it == parts_[op].end())
      it = parts_[op].emplace(factor, partition_rows(row_geometry(net_, net_.op(op)), factor)).first;
    return it->second;
  }

  bool fits_rows(const Op& op, int factor) {
    const Shape& in = net_.tensor(op.inputs[0]).shape;
    int rows = 0;
    for (const RowPart& p : row_parts(op.id, factor)) rows = std::max(rows, p.in_rows());
    return int64_t(rows) * in.w * in.c <= rows_.buffers.input_bytes;
  }

  Plan build(const std::vector<Choice>& choices) {
    Plan plan = base_;
    OverlayPlanner overlays(net_, board_, plan, rows_.buffers);
    for (const Op& op : net_.ops()) {
      const Choice& c = choices[op.id];
      switch (c.mode) {
        case Mode::Rows: overlays.plan_rows(op.id, c.factor, row_parts(op.id, c.factor), "optimal:rows"); break;
        case Mode::InPlace: overlays.keep_in_place(op.id, "optimal:in_place"); break;
        case Mode::Channels: overlays.plan_channels(op.id, c.factor, "optimal:channels"); break;
      }
    }
    plan.strategy = "optimal";
    return plan;
  }

  double cycles(const std::vector<Choice>& choices) { return sim_.run(net_, build(choices)).total_cycles; }

  const Network& net_;
  const Board& board_;
  Plan base_;
  RowPartitioning rows_;
  Simulator sim_;
  std::vector<Choice> choices_;
  std::vector<std::map<int, std::vector<RowPart>>> parts_;
  Plan probe_plan_ = base_;
  OverlayPlanner probe_{net_, board_, probe_plan_, rows_.buffers};  // answers channels_fit
};

}  // namespace

Plan plan_optimal(const Network& net, const Board& board) {
  Plan base = plan_external(net, board);
  base.strategy = "optimal";
  if (!base.fits) return base;
  RowPartitioning rows;
  try {
    rows = tinyops_partitioning(net, board, base);
  } catch (const PlanningError&) {
    for (OpPlan& o : base.ops) o.strategy = "optimal:in_place";  // no overlay fits: nothing to copy into
    return base;
  }
  return OptimalSearch(net, board, std::move(base), std::move(rows)).run();
}

}  // namespace tinyops
