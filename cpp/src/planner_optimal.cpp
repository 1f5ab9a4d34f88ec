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
  int factor = 0;        // rows: partition factor; channels: parts
  bool overlay = false;  // rows: outputs written to the SRAM output buffers and copied out by DMA
  bool operator==(const Choice&) const = default;
};

class OptimalSearch {
 public:
  OptimalSearch(const Network& net, const Board& board, Plan base, RowPartitioning rows, const OptimalOptions& options)
      : net_(net), board_(board), base_(std::move(base)), rows_(std::move(rows)), sim_(board),
        output_bytes_(options.output_overlays ? spare_output_bytes(board, base_, rows_) : 0) {
    choices_.resize(net.ops().size());
    parts_.resize(net.ops().size());
    for (const Op& op : net.ops()) {
      const bool partitioned = !rows_.parts[op.id].empty();
      choices_[op.id] = partitioned ? Choice{Mode::Rows, rows_.op_factor[op.id]} : Choice{Mode::InPlace, 0};
      if (partitioned) parts_[op.id][rows_.op_factor[op.id]] = rows_.parts[op.id];
    }
  }

  // Every op's alternatives are scored in a few simulations: ops four apart change together (an op's choice
  // reaches its neighbours only, through the prefetch of its first part and the buffers of its last), and each
  // is judged by the simulated time of its window (previous op start .. next op end). The improving choices are
  // then applied together and kept only if the whole network gets faster; else one at a time, best gain first.
  Plan run() {
    const size_t n = choices_.size();
    std::vector<std::vector<Choice>> options(n);
    size_t slots = 0;
    for (const Op& op : net_.ops()) {
      options[op.id] = candidates(op);
      slots = std::max(slots, options[op.id].size());
    }
    const double tinyops_cycles = simulate(choices_, base_start_, base_end_);
    std::vector<double> gain(n, 0.0);
    std::vector<Choice> best = choices_;
    std::vector<double> start, end;
    constexpr size_t kStride = 4;
    for (size_t k = 0; k < slots; ++k) {
      for (size_t r = 0; r < kStride; ++r) {
        std::vector<Choice> trial = choices_;
        bool any = false;
        for (size_t i = r; i < n; i += kStride)
          if (k < options[i].size()) trial[i] = options[i][k], any = true;
        if (!any) continue;
        simulate(trial, start, end);
        for (size_t i = r; i < n; i += kStride) {
          if (k >= options[i].size()) continue;
          const size_t lo = i > 0 ? i - 1 : 0, hi = std::min(n - 1, i + 1);
          const double g = (base_end_[hi] - base_start_[lo]) - (end[hi] - start[lo]);
          if (g > gain[i]) gain[i] = g, best[i] = options[i][k];
        }
      }
    }
    double total = simulate(best, start, end);
    if (total < tinyops_cycles) {
      choices_ = best;
    } else {  // interactions: accept one at a time, largest window gain first
      total = tinyops_cycles;
      std::vector<size_t> order;
      for (size_t i = 0; i < n; ++i)
        if (gain[i] > 0) order.push_back(i);
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gain[a] > gain[b]; });
      for (size_t i : order) {
        std::vector<Choice> trial = choices_;
        trial[i] = best[i];
        const double t = simulate(trial, start, end);
        if (t < total) total = t, choices_ = std::move(trial);
      }
    }
    bool overlays = false;
    for (const Choice& c : choices_) overlays |= c.overlay;
    if (!overlays) output_bytes_ = 0;  // no op writes them: leave the SRAM free
    return build(choices_);
  }

 private:
  static constexpr int64_t kMinOutputBufferBytes = 1024;

  // SRAM the tinyops buffers leave free becomes two output buffers (output overlays), when worth having.
  static int64_t spare_output_bytes(const Board& board, const Plan& base, const RowPartitioning& rows) {
    const int64_t spare =
        int64_t(board.sram_budget_bytes.value) - align_up(base.peak_sram_bytes()) - rows.buffers.total_bytes();
    const int64_t half = spare / 2 / kOverlayAlignment * kOverlayAlignment;
    return half >= kMinOutputBufferBytes ? half : 0;
  }

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
      // Output overlays at the tinyops factor or the finest factor whose output parts fit the buffers.
      for (int f = base; f <= std::min(kMaxPartitionFactor, 4 * base); ++f) {
        if (f != base && !fits_rows(op, f)) continue;
        if (probe_.output_overlay_fits(op.id, row_parts(op.id, f))) {
          out.push_back(Choice{Mode::Rows, f, true});
          break;
        }
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
    OverlayPlanner overlays(net_, board_, plan, rows_.buffers, output_bytes_);
    for (const Op& op : net_.ops()) {
      const Choice& c = choices[op.id];
      switch (c.mode) {
        case Mode::Rows:
          overlays.plan_rows(op.id, c.factor, row_parts(op.id, c.factor),
                             c.overlay ? "optimal:rows+output_overlay" : "optimal:rows", c.overlay);
          break;
        case Mode::InPlace: overlays.keep_in_place(op.id, "optimal:in_place"); break;
        case Mode::Channels: overlays.plan_channels(op.id, c.factor, "optimal:channels"); break;
      }
    }
    plan.strategy = "optimal";
    return plan;
  }

  // Total cycles of the plan for `choices`; `start`/`end` receive each op's CPU-lane span.
  double simulate(const std::vector<Choice>& choices, std::vector<double>& start, std::vector<double>& end) {
    const SimResult& r = sim_.run(net_, build(choices));
    start.resize(r.per_op.size());
    end.resize(r.per_op.size());
    for (size_t i = 0; i < r.per_op.size(); ++i) start[i] = r.per_op[i].start, end[i] = r.per_op[i].end;
    return r.total_cycles;
  }

  const Network& net_;
  const Board& board_;
  Plan base_;
  RowPartitioning rows_;
  Simulator sim_;
  std::vector<Choice> choices_;
  std::vector<double> base_start_, base_end_;  // per-op spans of the tinyops plan
  std::vector<std::map<int, std::vector<RowPart>>> parts_;
  int64_t output_bytes_ = 0;
  Plan probe_plan_ = base_;
  OverlayPlanner probe_{net_, board_, probe_plan_, rows_.buffers, output_bytes_};  // answers *_fits
};

}  // namespace

Plan plan_optimal(const Network& net, const Board& board) { return plan_optimal(net, board, OptimalOptions{}); }

Plan plan_optimal(const Network& net, const Board& board, const OptimalOptions& options) {
  OverlayStart start = start_overlay_plan(net, board, "optimal");
  if (!start.base.fits) return start.base;
  if (!start.rows) {  // no overlay fits: every op in place, nothing to copy into
    for (OpPlan& o : start.base.ops) o.strategy = "optimal:in_place";
    return start.base;
  }
  return OptimalSearch(net, board, std::move(start.base), std::move(*start.rows), options).run();
}

}  // namespace tinyops
