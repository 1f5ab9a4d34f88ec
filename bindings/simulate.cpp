// Simulation: one plan with its per-op rows and timeline (plain lists of dicts for pandas), the batch call
// with the GIL released, and the same batch timed in C++.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tinyops/batch.hpp"
#include "tinyops/simulator.hpp"

namespace py = pybind11;

namespace tinyops::bindings {
namespace {

py::list per_op_rows(const SimResult& r, const Network& net) {
  py::list rows;
  for (const OpStats& s : r.per_op) {
    const Op& op = net.op(s.op);
    rows.append(py::dict(py::arg("op") = s.op, py::arg("name") = op.name, py::arg("kind") = to_string(op.kind),
                         py::arg("parts") = s.parts, py::arg("start_cycles") = s.start, py::arg("end_cycles") = s.end,
                         py::arg("compute_cycles") = s.compute_cycles, py::arg("stall_cycles") = s.stall_cycles,
                         py::arg("exposed_dma_cycles") = s.exposed_dma_cycles,
                         py::arg("overhead_cycles") = s.overhead_cycles, py::arg("dma_cycles") = s.dma_cycles,
                         py::arg("dma_bytes") = s.dma_bytes, py::arg("external_bytes") = s.external_bytes));
  }
  return rows;
}

py::list timeline_rows(const SimResult& r, const Network& net) {
  py::list rows;
  for (const TimelineEvent& e : r.timeline) {
    std::string lane = e.lane == 0 ? "CPU" : "DMA" + std::to_string(e.lane - 1);
    rows.append(py::dict(py::arg("lane") = lane, py::arg("op") = e.op, py::arg("name") = net.op(e.op).name,
                         py::arg("part") = e.part, py::arg("kind") = to_string(e.kind),
                         py::arg("operand") = to_string(e.operand), py::arg("start_cycles") = e.start,
                         py::arg("end_cycles") = e.end));
  }
  return rows;
}

// Networks given as JSON texts or as Network objects (resolved while the GIL is held). A text is read in place
// from the str's UTF-8 buffer (no copy); `held` keeps each str, and so its buffer, alive while the GIL is
// released (even if another thread empties the list meanwhile).
std::vector<const Network*> gather(const py::list& archs, std::vector<std::string_view>& texts,
                                   std::vector<int>& text_slot, std::vector<py::object>& held) {
  std::vector<const Network*> nets(archs.size(), nullptr);
  for (size_t i = 0; i < archs.size(); ++i) {
    py::handle a = archs[i];
    if (py::isinstance<py::str>(a)) {
      Py_ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(a.ptr(), &size);
      if (!utf8) throw py::error_already_set();
      texts.emplace_back(utf8, size_t(size));
      text_slot.push_back(int(i));
      held.push_back(py::reinterpret_borrow<py::object>(a));
    } else {
      nets[i] = &a.cast<const Network&>();
    }
  }
  return nets;
}

// BatchScorer::score on Python items (JSON texts parsed with the GIL released, or prebuilt Networks); numeric
// columns as numpy arrays: pandas builds its frame from them at half the cost of lists.
py::dict score_columns(BatchScorer& scorer, const py::list& archs) {
  std::vector<std::string_view> texts;
  std::vector<int> slot;
  std::vector<py::object> held;  // the strs `texts` points into
  std::vector<const Network*> nets = gather(archs, texts, slot, held);
  std::vector<BatchScore> scores;
  {
    py::gil_scoped_release release;
    std::vector<Network> parsed = networks_from_arch_texts(texts);
    for (size_t k = 0; k < parsed.size(); ++k) nets[slot[k]] = &parsed[k];
    scores = scorer.score(nets);
  }
  const size_t n = scores.size();
  py::array_t<int64_t> arch(n), sram(n), ext(n);
  py::array_t<bool> fits(n);
  py::array_t<double> latency(n), cycles(n);
  py::list strategy(n), why(n);
  for (size_t i = 0; i < n; ++i) {
    const BatchScore& s = scores[i];
    arch.mutable_at(i) = s.arch, fits.mutable_at(i) = s.fits;
    latency.mutable_at(i) = s.latency_ms, cycles.mutable_at(i) = s.total_cycles;
    sram.mutable_at(i) = s.peak_sram_bytes, ext.mutable_at(i) = s.external_bytes;
    strategy[i] = s.strategy, why[i] = s.why;
  }
  py::dict out;
  out["arch"] = arch, out["strategy"] = strategy, out["fits"] = fits, out["why"] = why;
  out["latency_ms"] = latency, out["total_cycles"] = cycles;
  out["peak_sram_bytes"] = sram, out["external_bytes"] = ext;
  return out;
}

}  // namespace

void init_simulate(py::module_& m) {
  py::class_<SimResult>(m, "SimResult", py::dynamic_attr())
      .def_readonly("board", &SimResult::board)
      .def_readonly("strategy", &SimResult::strategy)
      .def_readonly("total_cycles", &SimResult::total_cycles)
      .def_readonly("latency_ms", &SimResult::latency_ms)
      .def_readonly("peak_sram_bytes", &SimResult::peak_sram_bytes)
      .def_readonly("external_dma_bytes", &SimResult::external_dma_bytes)
      .def_readonly("external_cpu_bytes", &SimResult::external_cpu_bytes)
      .def_property_readonly("external_bytes", &SimResult::external_bytes);

  m.def(
      "simulate",
      [](const Network& net, const Plan& plan, const Board& board, bool timeline) {
        SimResult r;
        {
          py::gil_scoped_release release;
          r = simulate(net, plan, board, timeline);
        }
        py::list per_op = per_op_rows(r, net), events = timeline_rows(r, net);
        py::object result = py::cast(std::move(r));
        result.attr("per_op") = per_op;
        result.attr("timeline") = events;
        return result;
      },
      py::arg("network"), py::arg("plan"), py::arg("board"), py::arg("timeline") = true,
      "Simulate a plan: a SimResult whose .per_op and .timeline are lists of dicts (one per op / event).");

  py::class_<BatchScorer>(m, "BatchScorer")
      .def(py::init<const Board&, const std::vector<std::string>&>(), py::arg("board"), py::arg("strategies"))
      .def("score", &score_columns, py::arg("archs"),
           "Score architectures (ProxylessNASNets JSON texts or Networks) x the strategies with the GIL released; "
           "columns as numpy arrays (strategy, why: lists; arch-major rows; latency_ms is NaN where the plan does "
           "not fit). What it learns about op shapes is kept for the next call.");
  m.def(
      "score_batch",
      [](const py::list& archs, const std::vector<std::string>& strategies, const Board& board) {
        BatchScorer scorer(board, strategies);
        return score_columns(scorer, archs);
      },
      py::arg("archs"), py::arg("strategies"), py::arg("board"), "BatchScorer(board, strategies).score(archs).");

  m.def(
      "time_score_batch_cpp",
      [](const std::vector<std::string>& texts, const std::vector<std::string>& strategies, const Board& board,
         int repeats) {
        py::gil_scoped_release release;
        return time_score_arch_texts(texts, strategies, board, repeats);
      },
      py::arg("texts"), py::arg("strategies"), py::arg("board"), py::arg("repeats") = 3,
      "Seconds per pass of the same work as score_batch(texts, ...), looped in C++ (best of repeats).");
  m.def(
      "time_score_networks_cpp",
      [](const std::vector<const Network*>& nets, const std::vector<std::string>& strategies, const Board& board,
         int repeats) {
        py::gil_scoped_release release;
        return time_score_networks(nets, strategies, board, repeats);
      },
      py::arg("networks"), py::arg("strategies"), py::arg("board"), py::arg("repeats") = 3,
      "Seconds per pass of score_batch's work on prebuilt Networks (plan + simulate), looped in C++ (best of "
      "repeats).");
  m.def(
      "time_simulate_cpp",
      [](const Network& net, const Plan& plan, const Board& board, int repeats, bool reference) {
        py::gil_scoped_release release;
        return time_simulate(net, plan, board, repeats, reference);
      },
      py::arg("network"), py::arg("plan"), py::arg("board"), py::arg("repeats") = 10000, py::arg("reference") = false,
      "Seconds per simulation of a prebuilt plan (timeline off), looped in C++, the quickest of 10 chunks "
      "(reference: by the plain ReferenceSimulator).");
}

}  // namespace tinyops::bindings
