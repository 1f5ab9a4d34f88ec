#include "tinyops/planner_optimal.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "tinyops/error.hpp"
#include "tinyops/log.hpp"
#include "tinyops/overlay_plan.hpp"
#include "tinyops/partitioning.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_tinyops.hpp"
#include "tinyops/resident_tensors.hpp"
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
      : net_(net),
        board_(board),
        base_(std::move(base)),
        rows_(std::move(rows)),
        sim_(board),
        output_bytes_(options.output_overlays ? spare_output_bytes(board, base_, rows_) : 0),
        use_resident_(options.resident_tensors),
        try_prefetch_params_(options.prefetch_params) {
    choices_.resize(net.ops().size());
    parts_.resize(net.ops().size());
    for (const Op& op : net.ops()) {
      const bool partitioned = !rows_.parts[op.id].empty();
      choices_[op.id] = partitioned ? Choice{Mode::Rows, rows_.op_factor[op.id]} : Choice{Mode::InPlace, 0};
      if (partitioned) parts_[op.id][rows_.op_factor[op.id]] = rows_.parts[op.id];
    }
  }

  // First the per-op choices (improve_choices, every op), then which activations stay resident in SRAM
  // (choose_resident), then the choices again for the ops that read or write a resident tensor (their input
  // copies are gone, so e.g. one whole part with the params staged may now win; only alternatives not scored
  // before: the rest were judged in nearly the same surroundings).
  Plan run() {
    const double tinyops_cycles = simulate(choices_, resident_, span_start_, span_end_);
    std::vector<int> ops(choices_.size());
    for (size_t i = 0; i < ops.size(); ++i) ops[i] = int(i);
    double total = improve_choices(ops, tinyops_cycles);
    if (use_resident_) {
      // The arena goes after the overlay buffers (and the output buffers, if any) in what the budget leaves.
      resident_ =
          ResidentTensors(net_, int64_t(board_.sram_budget_bytes.value) - align_up(probe_plan_.peak_sram_bytes()));
      if (choose_resident(total)) {
        resident_.home(probe_plan_, probe_plan_.sram_memory, 0);  // probe_ answers *_fits for resident tensors
        std::vector<int> touched;
        for (const Op& op : net_.ops()) {
          bool touches = resident_.contains(op.output);
          for (int in : op.inputs) touches |= resident_.contains(in);
          if (touches) touched.push_back(op.id);
        }
        total = improve_choices(touched, total);
      }
    }
    bool overlays = false;
    for (const Choice& c : choices_) overlays |= c.overlay;
    if (!overlays) output_bytes_ = 0;  // no op writes them: leave the SRAM free
    // Param prefetch is tried on the plan the search settled on and kept only if faster: searched with it, the
    // greedy choices settled elsewhere and some networks got slower than without it.
    if (try_prefetch_params_) {
      const double without = simulate(choices_, resident_, trial_start_, trial_end_);
      prefetch_params_ = true;
      prefetch_params_ = simulate(choices_, resident_, trial_start_, trial_end_) < without;
    }
    Plan plan;
    build(plan, choices_, resident_);
    return plan;
  }

 private:
  static constexpr int64_t kMinOutputBufferBytes = 1024;
  static constexpr size_t kStride = 4;           // ops this far apart change together (see improve_choices)
  static constexpr size_t kMaxSingleTrials = 8;  // resident tensors tried one at a time: the best few only

  // The alternatives of `ops` are scored in a few simulations: ops four apart change together (an op's choice
  // reaches its neighbours only, through the prefetch of its first part and the buffers of its last), and each
  // is judged by the simulated time of its window (previous op start .. next op end; `span_start`/`span_end`:
  // the current plan's). The improving choices are then applied together and kept only if the whole network
  // gets faster; else one at a time, best gain first. Returns the total cycles of the choices kept.
  double improve_choices(const std::vector<int>& ops, double total) {
    const std::vector<double> span_start = span_start_, span_end = span_end_;
    const size_t n = choices_.size();
    std::vector<std::vector<Choice>> options(n);
    size_t slots = 0;
    tried_.resize(n);
    for (int i : ops) {
      for (const Choice& c : candidates(net_.op(i))) {  // each alternative once (simulations are the cost)
        if (std::find(tried_[size_t(i)].begin(), tried_[size_t(i)].end(), c) != tried_[size_t(i)].end()) continue;
        tried_[size_t(i)].push_back(c);
        options[size_t(i)].push_back(c);
      }
      slots = std::max(slots, options[size_t(i)].size());
    }
    std::vector<double> gain(n, 0.0);
    std::vector<Choice> best = choices_;
    std::vector<double> start, end;
    for (size_t k = 0; k < slots; ++k) {
      for (size_t r = 0; r < kStride; ++r) {
        std::vector<Choice> trial = choices_;
        bool any = false;
        for (int i : ops)
          if (size_t(i) % kStride == r && k < options[size_t(i)].size())
            trial[size_t(i)] = options[size_t(i)][k], any = true;
        if (!any) continue;
        simulate(trial, resident_, start, end);
        for (int op : ops) {
          const size_t i = size_t(op);
          if (i % kStride != r || k >= options[i].size()) continue;
          const size_t lo = i > 0 ? i - 1 : 0, hi = std::min(n - 1, i + 1);
          const double g = (span_end[hi] - span_start[lo]) - (end[hi] - start[lo]);
          if (g > gain[i]) gain[i] = g, best[i] = options[i][k];
        }
      }
    }
    std::vector<size_t> order;
    for (size_t i = 0; i < n; ++i)
      if (gain[i] > 0) order.push_back(i);
    if (order.empty()) return total;
    if (kept_if_faster(best, resident_, total)) {
      choices_ = best;
      return total;
    }
    // Interactions: accept one at a time, largest window gain first.
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gain[a] > gain[b]; });
    for (size_t i : order) {
      std::vector<Choice> trial = choices_;
      trial[i] = best[i];
      if (kept_if_faster(trial, resident_, total)) choices_ = std::move(trial);
    }
    return total;
  }

  // Which activations live in SRAM: each tensor that fits the arena alone is scored by the simulated time of
  // its window (the op before its producer .. the op after its last reader), tensors whose windows are apart
  // sharing a simulation; then admitted best gain first while the arena has room (first fit, bytes reused after
  // a tensor's last use). Kept only if the whole network gets faster (else one at a time, the best few).
  // Returns whether any tensor stays resident; `total` becomes the plan's cycles.
  bool choose_resident(double& total) {
    struct Candidate {
      int tensor, lo, hi;
      double gain = 0;
    };
    const int last_op = int(choices_.size()) - 1;
    std::vector<Candidate> candidates;
    for (const Tensor& t : net_.tensors()) {
      if (align_to(t.shape.bytes(), kArenaAlignment) > resident_.capacity_bytes()) continue;
      const Lifetime& life = resident_.lifetime(t.id);
      candidates.push_back(Candidate{t.id, std::max(0, life.first_op - 1), std::min(last_op, life.last_op + 1)});
    }
    if (candidates.empty()) return false;
    const std::vector<double> start0 = span_start_, end0 = span_end_;
    std::vector<double> start, end;
    // Windows one op apart or more share a trial (interval colouring, by window start).
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.lo < b.lo; });
    std::vector<int> trial_last_op, trial_of(candidates.size());
    for (size_t c = 0; c < candidates.size(); ++c) {
      size_t k = 0;
      while (k < trial_last_op.size() && trial_last_op[k] + 1 >= candidates[c].lo) ++k;
      if (k == trial_last_op.size()) trial_last_op.push_back(0);
      trial_last_op[k] = candidates[c].hi;
      trial_of[c] = int(k);
    }
    // Windows of a trial do not overlap, so neither do its tensors' lifetimes: each fits the arena at offset 0.
    ResidentTensors trial(net_, resident_.capacity_bytes());
    for (size_t k = 0; k < trial_last_op.size(); ++k) {
      trial.clear();
      for (size_t c = 0; c < candidates.size(); ++c)
        if (trial_of[c] == int(k)) trial.admit(candidates[c].tensor);
      simulate(choices_, trial, start, end);
      for (size_t c = 0; c < candidates.size(); ++c) {
        if (trial_of[c] != int(k)) continue;
        const Candidate& w = candidates[c];
        candidates[c].gain = (end0[size_t(w.hi)] - start0[size_t(w.lo)]) - (end[size_t(w.hi)] - start[size_t(w.lo)]);
      }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return a.gain != b.gain ? a.gain > b.gain : a.tensor < b.tensor;
    });
    while (!candidates.empty() && candidates.back().gain <= 0) candidates.pop_back();
    for (const Candidate& c : candidates) resident_.admit(c.tensor);
    if (resident_.empty()) return false;
    if (kept_if_faster(choices_, resident_, total)) return true;
    ResidentTensors kept(net_, resident_.capacity_bytes());
    for (size_t c = 0; c < std::min(candidates.size(), kMaxSingleTrials); ++c) {
      ResidentTensors next = kept;
      if (!next.admit(candidates[c].tensor)) continue;
      if (kept_if_faster(choices_, next, total)) kept = std::move(next);
    }
    resident_ = std::move(kept);
    return !resident_.empty();
  }

  static Plan plan_header(const Plan& plan) {
    Plan header = plan;
    header.ops.clear();
    return header;
  }

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
      // Finer row parts: a smaller first part exposes less copy time when the op cannot be prefetched. With
      // every input resident nothing is copied per part: one whole part (params staged once) may be best.
      const int base = rows_.op_factor[op.id];
      bool inputs_resident = true;
      for (int in : op.inputs) inputs_resident &= probe_.resident(in);
      for (int f : {1, base + 1, 2 * base}) {
        if ((f == 1 && !inputs_resident) || f > kMaxPartitionFactor || f == current.factor) continue;
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

  // Whether the input parts that are copied fit their buffers (the first input's in an input buffer, an
  // add's second input's in filter / im2col, a concatenation's all in an input buffer); a resident input is
  // not copied.
  bool fits_rows(const Op& op, int factor) {
    int rows = 0;
    for (const RowPart& p : row_parts(op.id, factor)) rows = std::max(rows, p.in_rows());
    const OverlayBuffers& b = rows_.buffers;
    if (op.kind == OpKind::Concatenation) {  // every copied input's rows stacked in one input buffer
      int64_t stacked = 0;
      for (int in : op.inputs)
        if (!probe_.resident(in)) stacked += int64_t(rows) * net_.tensor(in).shape.w * net_.tensor(in).shape.c;
      return stacked <= b.input_bytes;
    }
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      const Shape& in = net_.tensor(op.inputs[k]).shape;
      const int64_t capacity = k == 0 ? b.input_bytes : std::min(b.filter_bytes, b.im2col_bytes);
      if (!probe_.resident(op.inputs[k]) && int64_t(rows) * in.w * in.c > capacity) return false;
    }
    return true;
  }

  // The plan for `choices` written into `plan`, reusing its storage: the search builds hundreds of plans of one
  // network, and allocating each one's parts and copy lists afresh cost several times the simulation.
  void build(Plan& plan, const std::vector<Choice>& choices, const ResidentTensors& resident) {
    std::vector<OpPlan> ops = std::move(plan.ops);  // every op is rewritten below (parts reused or spared)
    plan = header_;                                 // copy-assigning keeps the storage of its vectors
    plan.ops = std::move(ops);
    plan.ops.resize(base_.ops.size());
    OverlayPlanner overlays(net_, board_, plan, rows_.buffers, output_bytes_, &spare_parts_);
    overlays.prefetch_params(prefetch_params_);
    resident.place(plan, plan.sram_memory, align_up(plan.peak_sram_bytes()));  // after the overlay buffers
    for (const Op& op : net_.ops()) {
      const Choice& c = choices[op.id];
      switch (c.mode) {
        case Mode::Rows: {
          const bool overlay = c.overlay && !resident.contains(op.output);  // a resident output is in SRAM already
          overlays.plan_rows(op.id, c.factor, row_parts(op.id, c.factor),
                             overlay ? "optimal:rows+output_overlay" : "optimal:rows", overlay);
          break;
        }
        case Mode::InPlace: overlays.keep_in_place(op.id, "optimal:in_place"); break;
        case Mode::Channels: overlays.plan_channels(op.id, c.factor, "optimal:channels"); break;
      }
    }
    plan.strategy = "optimal";
  }

  // Simulates `choices` with `resident`; if that beats `total`, it becomes the kept plan's total and spans.
  bool kept_if_faster(const std::vector<Choice>& choices, const ResidentTensors& resident, double& total) {
    const double t = simulate(choices, resident, trial_start_, trial_end_);
    if (t >= total) return false;
    total = t;
    span_start_.swap(trial_start_);
    span_end_.swap(trial_end_);
    return true;
  }

  // Total cycles of the plan for `choices`; `start`/`end` receive each op's CPU-lane span.
  double simulate(const std::vector<Choice>& choices, const ResidentTensors& resident, std::vector<double>& start,
                  std::vector<double>& end) {
    build(trial_plan_, choices, resident);
    const SimResult& r = sim_.run(net_, trial_plan_);
    start.resize(r.per_op.size());
    end.resize(r.per_op.size());
    for (size_t i = 0; i < r.per_op.size(); ++i) start[i] = r.per_op[i].start, end[i] = r.per_op[i].end;
    return r.total_cycles;
  }

  const Network& net_;
  const Board& board_;
  Plan base_;
  Plan header_ = plan_header(base_);  // base_ but its ops
  Plan trial_plan_;                   // the plans simulated, built in one storage
  SpareParts spare_parts_;
  RowPartitioning rows_;
  Simulator sim_;
  std::vector<Choice> choices_;
  std::vector<std::vector<Choice>> tried_;     // per op: the alternatives improve_choices has scored
  std::vector<double> span_start_, span_end_;  // per-op CPU-lane spans of the plan kept so far
  std::vector<double> trial_start_, trial_end_;
  std::vector<std::map<int, std::vector<RowPart>>> parts_;
  int64_t output_bytes_ = 0;
  bool use_resident_ = true;
  bool try_prefetch_params_ = true;
  bool prefetch_params_ = false;        // what build() does: off during the search
  ResidentTensors resident_{net_, -1};  // none until run() knows the arena's room
  Plan probe_plan_ = base_;
  OverlayPlanner probe_{net_, board_, probe_plan_, rows_.buffers, output_bytes_};  // answers *_fits
};

// The overlay search: from the tinyops plan, per-op changes kept only when the simulator says they pay.
Plan search_overlay_plan(const Network& net, const Board& board, const OptimalOptions& options) {
  OverlayStart start = start_overlay_plan(net, board, "optimal");
  if (!start.base.fits) return start.base;
  if (!start.rows) {  // no overlay fits: every op in place, nothing to copy into
    log::planner().debug("optimal: {} on {}: no overlay buffers fit ({}): every op in place", net.name(), board.name,
                         start.why_not);
    for (OpPlan& o : start.base.ops) o.strategy = "optimal:in_place";
    return start.base;
  }
  if (!options.output_overlays) return OptimalSearch(net, board, std::move(start.base), *start.rows, options).run();
  // The output buffers take the SRAM that resident tensors would otherwise use, and the search decides the
  // buffers before the ops: searched both ways, the faster plan is kept (ties: without output overlays).
  OptimalOptions without = options;
  without.output_overlays = false;
  Plan plain = OptimalSearch(net, board, start.base, *start.rows, without).run();
  Plan overlaid = OptimalSearch(net, board, std::move(start.base), std::move(*start.rows), options).run();
  Simulator sim(board);
  const double plain_cycles = sim.run(net, plain).total_cycles;
  return sim.run(net, overlaid).total_cycles < plain_cycles ? overlaid : plain;
}

}  // namespace

Plan plan_optimal(const Network& net, const Board& board) { return plan_optimal(net, board, OptimalOptions{}); }

Plan plan_optimal(const Network& net, const Board& board, const OptimalOptions& options) {
  Plan best = search_overlay_plan(net, board, options);
  if (!options.fixed_strategies) return best;
  // Dominance by construction: the search explores the overlay space only (arena and weights in external
  // memory), so a fixed strategy that fits the same budget may still be faster (mostly `internal`, whose
  // weights sit in internal flash). The fastest plan of all is kept; ties keep the search's.
  Simulator sim(board);
  double best_cycles = best.fits ? sim.run(net, best).total_cycles : std::numeric_limits<double>::infinity();
  for (const char* strategy : kDominatedStrategies) {
    Plan fixed = make_plan(net, board, strategy);
    if (!fixed.fits) continue;
    const double cycles = sim.run(net, fixed).total_cycles;
    if (cycles >= best_cycles) continue;
    best_cycles = cycles;
    fixed.strategy = "optimal";
    for (OpPlan& o : fixed.ops) o.strategy = "optimal:" + o.strategy;
    best = std::move(fixed);
  }
  return best;
}

}  // namespace tinyops
