// Plans: planning by strategy name, and the Plan value object with its JSON form.
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tinyops/planner.hpp"
#include "tinyops/planner_optimal.hpp"

namespace py = pybind11;

namespace tinyops::bindings {

void init_plan(py::module_& m) {
  py::class_<OpPlan>(m, "OpPlan")
      .def_readonly("op", &OpPlan::op)
      .def_readonly("strategy", &OpPlan::strategy)
      .def_property_readonly("partitioning", [](const OpPlan& o) { return std::string(to_string(o.partitioning)); })
      .def_readonly("factor", &OpPlan::factor)
      .def_property_readonly("parts", [](const OpPlan& o) { return o.parts.size(); })
      .def_readonly("output_overlay", &OpPlan::output_overlay)
      .def_property_readonly("prefetched", &OpPlan::prefetched);
  py::class_<Plan>(m, "Plan")
      .def_readonly("network", &Plan::network)
      .def_readonly("board", &Plan::board)
      .def_readonly("board_version", &Plan::board_version)
      .def_readonly("strategy", &Plan::strategy)
      .def_readonly("fits", &Plan::fits)
      .def_readonly("why", &Plan::why)
      .def_readonly("ops", &Plan::ops)
      .def_readonly("sram_budget_bytes", &Plan::sram_budget_bytes)
      .def_property_readonly("peak_sram_bytes", &Plan::peak_sram_bytes)
      .def_property_readonly(
          "buffers",
          [](const Plan& p) {
            py::list out;
            for (const Buffer& b : p.buffers)
              out.append(py::dict(py::arg("name") = b.name, py::arg("kind") = to_string(b.kind),
                                  py::arg("memory") = p.memories.at(b.region.memory),
                                  py::arg("offset") = b.region.offset, py::arg("size_bytes") = b.region.bytes));
            return out;
          })
      .def_property_readonly(
          "sram_memory",
          [](const Plan& p) -> py::object {
            return p.sram_memory >= 0 ? py::cast(p.memories.at(p.sram_memory)) : py::none();
          },
          "Name of the memory whose budget the plan respects (None for a plan that does not fit).")
      .def_property_readonly(
          "tensor_memory",
          [](const Plan& p) {
            py::list out;
            for (const Region& r : p.tensor_home)
              out.append(r.present() ? py::cast(p.memories.at(r.memory)) : py::none());
            return out;
          },
          "Per tensor id: the name of the memory where the activation lives between ops (None: no home).")
      .def("to_json", &plan_to_json_text, py::arg("indent") = -1)
      .def_static("from_json", &plan_from_json_text, py::arg("text"), py::arg("source") = "<plan>")
      .def(
          "validate", [](const Plan& p, const Network& net) { validate_plan(p, net); }, py::arg("network"))
      .def(py::self == py::self)
      .def("__repr__", [](const Plan& p) {
        return "Plan(" + p.strategy + ", " + p.network + " on " + p.board + (p.fits ? "" : ", does not fit: " + p.why) +
               ")";
      });
  m.def(
      "plan", &make_plan, py::arg("network"), py::arg("board"), py::arg("strategy"),
      "Plan `network` on `board` with a strategy (see strategies()). A plan that does not fit has fits=False and why.");
  m.def("strategies", &planner_names);
  m.def(
      "plan_optimal",
      [](const Network& net, const Board& board, bool fixed_strategies, bool output_overlays, bool prefetch_params) {
        OptimalOptions options;
        options.fixed_strategies = fixed_strategies;
        options.output_overlays = output_overlays;
        options.prefetch_params = prefetch_params;
        return plan_optimal(net, board, options);
      },
      py::arg("network"), py::arg("board"), py::arg("fixed_strategies") = true, py::arg("output_overlays") = true,
      py::arg("prefetch_params") = true,
      "The optimal plan; fixed_strategies=False: its own search's plan only, without keeping a faster fixed "
      "strategy's (what the dominance benchmark compares against); output_overlays=False / prefetch_params=False: "
      "without output overlays / cross-op param prefetch (what they gain).");
}

}  // namespace tinyops::bindings
