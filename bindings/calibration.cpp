// Calibration: the NNLS solver, and the cost model's kernel kinds, terms and per-op features that the
// calibration's design matrix is built from (the same numbers the simulator multiplies by the board's terms).
#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "tinyops/calibration.hpp"
#include "tinyops/error.hpp"
#include "tinyops/kernel_cost.hpp"

namespace py = pybind11;

namespace tinyops::bindings {

void init_calibration(py::module_& m) {
  m.def(
      "solve_nnls",
      [](const Eigen::MatrixXd& a, const Eigen::VectorXd& b, const Eigen::VectorXd& weights) {
        const NnlsResult r = solve_nnls(a, b, weights);
        return py::make_tuple(r.x, r.residual_norm, r.iterations);
      },
      py::arg("a"), py::arg("b"), py::arg("weights") = Eigen::VectorXd(),
      "min ||diag(weights) (a x - b)|| subject to x >= 0 (Eigen, Lawson-Hanson). Returns (x, residual_norm, "
      "iterations).");
  m.def(
      "kernel_kinds",
      [] {
        std::vector<std::string> out;
        for (int k = 0; k < kKernelKindCount; ++k) out.emplace_back(to_string(KernelKind(k)));
        return out;
      },
      "The cost model's kernel kinds: one per kernel the firmware runs.");
  m.def(
      "kernel_terms",
      [](const std::string& kind) {
        for (int k = 0; k < kKernelKindCount; ++k) {
          if (kind != to_string(KernelKind(k))) continue;
          std::vector<std::string> out;
          for (CostTerm t : kernel_terms(KernelKind(k))) out.emplace_back(to_string(t));
          return out;
        }
        throw InputError("kernel_terms", kind, "expected a kernel kind (kernel_kinds() lists them)");
      },
      py::arg("kind"), "The named cost terms of a kernel kind (board YAML keys), required ones first.");
  m.def(
      "op_cost_features",
      [](const Network& net, const Plan& plan) {
        if (plan.ops.size() != net.ops().size())
          throw InputError("op_cost_features", "plan",
                           "one op plan per network op (" + std::to_string(net.ops().size()) + "), got " +
                               std::to_string(plan.ops.size()));
        py::list out;
        for (const OpPlan& op_plan : plan.ops) {
          const OpGeometry g = op_geometry(net, net.ops().at(size_t(op_plan.op)));
          CostFeatures total{};
          for (const Part& part : op_plan.parts) {
            const CostFeatures f = kernel_features(g, part);
            for (int t = 0; t < kCostTermCount; ++t) total[size_t(t)] += f[size_t(t)];
          }
          py::dict features;
          for (CostTerm t : kernel_terms(g.kind)) features[to_string(t)] = total[size_t(int(t))];
          out.append(py::make_tuple(op_plan.op, to_string(g.kind), features));
        }
        return out;
      },
      py::arg("network"), py::arg("plan"),
      "Per op of the plan: (op id, kernel kind, {cost term: feature summed over the op's parts}).");
}

}  // namespace tinyops::bindings
