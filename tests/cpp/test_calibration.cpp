#include <gtest/gtest.h>

#include <limits>

#include "tinyops/calibration.hpp"
#include "tinyops/error.hpp"

using namespace tinyops;

// b = A x exactly with x = (2, 3): the unconstrained optimum is feasible, so NNLS must return it.
TEST(Nnls, RecoversAnExactNonNegativeSolution) {
  Eigen::MatrixXd a(3, 2);
  a << 1, 0, 0, 1, 1, 1;
  Eigen::VectorXd b(3);
  b << 2, 3, 5;
  const NnlsResult r = solve_nnls(a, b);
  EXPECT_NEAR(r.x(0), 2.0, 1e-12);
  EXPECT_NEAR(r.x(1), 3.0, 1e-12);
  EXPECT_NEAR(r.residual_norm, 0.0, 1e-12);
}

// Hand-solved: A = I (2x2), b = (1, -2). Unconstrained x = (1, -2); the constraint clamps x2 to 0 and,
// since the columns are orthogonal, x1 stays 1. Residual = |(0, 2)| = 2.
TEST(Nnls, ClampsANegativeComponentToZero) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(2, 2);
  Eigen::VectorXd b(2);
  b << 1, -2;
  const NnlsResult r = solve_nnls(a, b);
  EXPECT_NEAR(r.x(0), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.x(1), 0.0);
  EXPECT_NEAR(r.residual_norm, 2.0, 1e-12);
}

// Hand-solved with coupled columns: A = [[1, 1], [0, 1]], b = (1, -1). Unconstrained x = (2, -1) is
// infeasible; with x2 = 0 the problem is min (x1-1)^2 + 1 -> x1 = 1, and the gradient for x2,
// a2.(b - A x) = (1, 1).(0, -1) = -1 < 0, confirms x2 = 0 is optimal (KKT). Residual 1.
TEST(Nnls, ActiveSetStepsBackFromAnInfeasibleUnconstrainedOptimum) {
  Eigen::MatrixXd a(2, 2);
  a << 1, 1, 0, 1;
  Eigen::VectorXd b(2);
  b << 1, -1;
  const NnlsResult r = solve_nnls(a, b);
  EXPECT_NEAR(r.x(0), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.x(1), 0.0);
  EXPECT_NEAR(r.residual_norm, 1.0, 1e-12);
}

// A cost model of the real shape: cycles = 1.5 per MAC + 4 per output + 900 per call, with MACs in the
// millions and calls of one. Column scaling must keep all three parameters exact.
TEST(Nnls, RecoversKernelCostsAcrossWidelyDifferentScales) {
  const int rows = 12;
  Eigen::MatrixXd a(rows, 3);
  Eigen::VectorXd b(rows);
  for (int i = 0; i < rows; ++i) {
    const double macs = 1e4 * (i + 1) * (i + 3), outputs = 500.0 * (i % 4 + 1), calls = 1 + i % 3;
    a.row(i) << macs, outputs, calls;
    b(i) = 1.5 * macs + 4.0 * outputs + 900.0 * calls;
  }
  const NnlsResult r = solve_nnls(a, b);
  EXPECT_NEAR(r.x(0), 1.5, 1e-9);
  EXPECT_NEAR(r.x(1), 4.0, 1e-6);
  EXPECT_NEAR(r.x(2), 900.0, 1e-5);
}

// Weights turn the fit into relative least squares: rows x = 10 and x = 1000. Unweighted: the mean, 505.
// Weights 1/b: min (x/10 - 1)^2 + (x/1000 - 1)^2, so x (1/100 + 1/1e6) = 1/10 + 1/1000, x = 10.099.
TEST(Nnls, WeightsGiveRelativeLeastSquares) {
  Eigen::MatrixXd a(2, 1);
  a << 1, 1;
  Eigen::VectorXd b(2), w(2);
  b << 10, 1000;
  w << 0.1, 0.001;
  EXPECT_NEAR(solve_nnls(a, b).x(0), 505.0, 1e-9);
  EXPECT_NEAR(solve_nnls(a, b, w).x(0), (0.1 + 0.001) / (0.01 + 1e-6), 1e-9);
}

TEST(Nnls, AllZeroColumnStaysZero) {
  Eigen::MatrixXd a(2, 2);
  a << 1, 0, 2, 0;
  Eigen::VectorXd b(2);
  b << 1, 2;
  const NnlsResult r = solve_nnls(a, b);
  EXPECT_NEAR(r.x(0), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.x(1), 0.0);
}

TEST(Nnls, RejectsBadInputNamingTheField) {
  Eigen::MatrixXd a = Eigen::MatrixXd::Identity(2, 2);
  Eigen::VectorXd b3(3);
  b3 << 1, 2, 3;
  EXPECT_THROW(solve_nnls(a, b3), InputError);
  try {
    solve_nnls(a, b3);
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), "b");
  }
  Eigen::VectorXd b(2);
  b << 1, std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(solve_nnls(a, b), InputError);
  b << 1, 2;
  Eigen::VectorXd negative(2);
  negative << 1, -1;
  EXPECT_THROW(solve_nnls(a, b, negative), InputError);
  EXPECT_THROW(solve_nnls(Eigen::MatrixXd(0, 0), Eigen::VectorXd()), InputError);
}
