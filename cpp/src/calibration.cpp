#include "tinyops/calibration.hpp"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "tinyops/error.hpp"
#include "tinyops/log.hpp"

namespace tinyops {
namespace {

constexpr const char* kSource = "calibration";

void check_finite(const Eigen::Ref<const Eigen::MatrixXd>& m, const char* field) {
  if (!m.allFinite()) throw InputError(kSource, field, "finite numbers (found NaN or infinity)");
}

// Least squares restricted to the columns in `passive`; the other entries of the result are zero.
Eigen::VectorXd solve_on(const Eigen::MatrixXd& a, const Eigen::VectorXd& b, const std::vector<bool>& passive) {
  std::vector<Eigen::Index> cols;
  for (Eigen::Index j = 0; j < a.cols(); ++j)
    if (passive[j]) cols.push_back(j);
  Eigen::MatrixXd sub(a.rows(), Eigen::Index(cols.size()));
  for (size_t k = 0; k < cols.size(); ++k) sub.col(Eigen::Index(k)) = a.col(cols[k]);
  const Eigen::VectorXd s_sub = sub.colPivHouseholderQr().solve(b);
  Eigen::VectorXd s = Eigen::VectorXd::Zero(a.cols());
  for (size_t k = 0; k < cols.size(); ++k) s(cols[k]) = s_sub(Eigen::Index(k));
  return s;
}

}  // namespace

NnlsResult solve_nnls(const Eigen::MatrixXd& a_in, const Eigen::VectorXd& b_in, const Eigen::VectorXd& weights) {
  const Eigen::Index m = a_in.rows(), n = a_in.cols();
  if (m == 0 || n == 0) throw InputError(kSource, "A", "a non-empty matrix (rows: measurements, columns: parameters)");
  if (b_in.size() != m)
    throw InputError(kSource, "b",
                     "one entry per row of A (" + std::to_string(m) + "), got " + std::to_string(b_in.size()));
  if (weights.size() != 0 && weights.size() != m)
    throw InputError(
        kSource, "weights",
        "empty or one entry per row of A (" + std::to_string(m) + "), got " + std::to_string(weights.size()));
  check_finite(a_in, "A");
  check_finite(b_in, "b");
  check_finite(weights, "weights");
  if (weights.size() != 0 && (weights.array() < 0.0).any())
    throw InputError(kSource, "weights", "non-negative weights");

  Eigen::MatrixXd a = a_in;
  Eigen::VectorXd b = b_in;
  if (weights.size() != 0) {
    a = weights.asDiagonal() * a;
    b = weights.asDiagonal() * b;
  }
  // Scale every column to unit norm so that one tolerance fits all parameters; x_j = y_j / scale_j.
  Eigen::VectorXd scale = a.colwise().norm().transpose();
  for (Eigen::Index j = 0; j < n; ++j)
    if (scale(j) == 0.0) {  // an all-zero column: its parameter stays at 0
      scale(j) = 1.0;
      log::calibration().warn(
          "NNLS: parameter {} of {} is exercised by no measurement (an all-zero column): "
          "it stays 0",
          j, n);
    }
  a = a * scale.cwiseInverse().asDiagonal();

  const double eps = std::numeric_limits<double>::epsilon();
  const double tol = 10.0 * eps * double(std::max(m, n)) * std::max(1.0, a.cwiseAbs().colwise().sum().maxCoeff());
  std::vector<bool> passive(size_t(n), false);
  Eigen::VectorXd y = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd gradient = a.transpose() * (b - a * y);
  int iterations = 0;
  const int max_iterations = int(30 * n);

  while (iterations < max_iterations) {
    // The most promising active (zero-held) parameter; stop when none would lower the residual.
    Eigen::Index best = -1;
    double best_gradient = tol;
    for (Eigen::Index j = 0; j < n; ++j)
      if (!passive[size_t(j)] && gradient(j) > best_gradient) best_gradient = gradient(j), best = j;
    if (best < 0) break;
    passive[size_t(best)] = true;
    ++iterations;

    Eigen::VectorXd s = solve_on(a, b, passive);
    // Inner loop: step back towards y until every passive entry is positive, dropping those that hit 0.
    while (iterations < max_iterations) {
      bool feasible = true;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[size_t(j)] && s(j) <= 0.0) feasible = false;
      if (feasible) break;
      double alpha = 1.0;
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[size_t(j)] && s(j) <= 0.0) alpha = std::min(alpha, y(j) / (y(j) - s(j)));
      y += alpha * (s - y);
      for (Eigen::Index j = 0; j < n; ++j)
        if (passive[size_t(j)] && y(j) <= tol) passive[size_t(j)] = false, y(j) = 0.0;
      ++iterations;
      s = solve_on(a, b, passive);
    }
    y = s;
    gradient = a.transpose() * (b - a * y);
  }
  if (iterations >= max_iterations)
    throw PlanningError("calibration: non-negative least squares did not converge in " +
                        std::to_string(max_iterations) + " active-set changes");

  NnlsResult result;
  result.x = y.cwiseQuotient(scale).cwiseMax(0.0);
  result.residual_norm = (a * y - b).norm();
  result.iterations = iterations;
  log::calibration().debug(
      "NNLS: {} measurements x {} parameters, {} active-set changes, residual norm {:.6g}, "
      "{} parameters held at 0",
      m, n, iterations, result.residual_norm, (result.x.array() == 0.0).count());
  return result;
}

}  // namespace tinyops
