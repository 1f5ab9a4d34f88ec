#pragma once
// Calibration solver: fits non-negative kernel cost parameters (cycles per MAC, per output element, per
// call, ...) to measured per-op cycles. Costs cannot be negative, so this is non-negative least squares.
#include <Eigen/Dense>

namespace tinyops {

struct NnlsResult {
  Eigen::VectorXd x;           // the fitted parameters, every entry >= 0
  double residual_norm = 0.0;  // ||W (A x - b)||_2 with the weights applied
  int iterations = 0;          // active-set changes the solver made
};

// min_x || W (A x - b) ||_2  subject to  x >= 0, with W = diag(weights) (all ones when `weights` is empty).
// Lawson & Hanson's active-set method; each unconstrained sub-problem is solved by Eigen's column-pivoting
// Householder QR on column-scaled data (cycles-per-MAC and cycles-per-call columns differ by ~1e6).
// Throws InputError for mismatched sizes, non-finite entries or negative weights.
NnlsResult solve_nnls(const Eigen::MatrixXd& a, const Eigen::VectorXd& b,
                      const Eigen::VectorXd& weights = Eigen::VectorXd());

}  // namespace tinyops
