#include <pybind11/eigen.h>
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "tinyops/calibration.hpp"

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
}

}  // namespace tinyops::bindings
