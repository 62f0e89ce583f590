// kernel_regression (models/dmft/kernel_regression.cpp): unit checks of the map and its Jacobian,
// the ridgeless white-spectrum limit of Hastie et al. 2019 (data/reference/kernel_regression.json)
// and agreement with simulated ridge regression on Gaussian features (apps/sim/).
#include "saddle/kernel_regression.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "dynamics_sim.hpp"
#include "runner.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"

using namespace saddle;

namespace {

const FixedPointModel& krr_model() {
  return builtin_registry().get("kernel_regression");
}

Point krr_point(double p, double lambda, double noise, int modes, const std::string& spectrum,
                double decay = 2.0, double target_decay = 2.0) {
  const auto& m = krr_model();
  Point pt = m.default_point();
  pt.params[m.parameter_index("p")] = p;
  pt.params[m.parameter_index("lambda")] = lambda;
  pt.params[m.parameter_index("noise")] = noise;
  pt.params[m.parameter_index("modes")] = modes;
  pt.params[m.parameter_index("decay")] = decay;
  pt.params[m.parameter_index("target_decay")] = target_decay;
  pt.options[0] = spectrum;
  return pt;
}

// The selected solution from the default solver (tol 1e-12), with its residual checked.
SolutionRecord solve(const Point& pt) {
  const auto recs = solve_point(krr_model(), pt, {}, SolverSettings{});
  REQUIRE(recs.size() == 1);
  REQUIRE(recs[0].converged());
  Eigen::VectorXd fx;
  krr_model().map(recs[0].x, pt, fx);
  CHECK(std::fabs(fx[0] - recs[0].x[0]) <= 1e-11);
  return recs[0];
}

int observable(const std::string& name) {
  const auto names = krr_model().observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  FAIL("no observable " << name);
  return -1;
}

}  // namespace

TEST_CASE("kernel_regression: analytic Jacobian (= gamma) matches central differences") {
  const Point pt = krr_point(150, 1e-3, 0.1, 300, "power_law", 1.5, 1.2);
  for (double kappa : {1e-4, 1e-2, 0.3}) {
    Eigen::MatrixXd jac;
    REQUIRE(krr_model().jacobian(Eigen::VectorXd::Constant(1, kappa), pt, jac));
    const double h = 1e-6 * kappa;
    Eigen::VectorXd fp, fm;
    krr_model().map(Eigen::VectorXd::Constant(1, kappa + h), pt, fp);
    krr_model().map(Eigen::VectorXd::Constant(1, kappa - h), pt, fm);
    CHECK(jac(0, 0) == doctest::Approx((fp[0] - fm[0]) / (2 * h)).epsilon(1e-7));
  }
}

TEST_CASE(
    "kernel_regression: per-mode errors sum to the bias, and the solver agrees with solve_kappa") {
  const Point pt = krr_point(200, 1e-2, 0.3, 500, "power_law", 1.5, 1.0);
  const auto rec = solve(pt);
  const krr::Spectrum s = krr::power_law_spectrum(500, 1.5, 1.0);
  CHECK(rec.x[0] == doctest::Approx(krr::solve_kappa(s, 200, 1e-2)).epsilon(1e-10));
  const auto r = krr::predict(s, 200, 1e-2, 0.3, rec.x[0]);
  CHECK(r.mode_errors.sum() == doctest::Approx(rec.observables[observable("bias")]).epsilon(1e-12));
  const double parts =
      rec.observables[observable("mode_error_1")] + rec.observables[observable("mode_error_2")] +
      rec.observables[observable("mode_error_3")] + rec.observables[observable("mode_error_4")] +
      rec.observables[observable("tail_error")];
  CHECK(parts == doctest::Approx(rec.observables[observable("bias")]).epsilon(1e-12));
  // Spectral bias: the top mode is learned first (relative error E_k / v_k^2 grows with k).
  CHECK(r.mode_errors[0] / s.power[0] < r.mode_errors[3] / s.power[3]);
}

TEST_CASE("kernel_regression: bad parameters are rejected with the exact message") {
  std::ostringstream out, err;
  CHECK(run_cli({"saddle", "solve", "kernel_regression", "modes=10.5"}, out, err) == 2);
  CHECK(err.str() ==
        "saddle: error: /params/modes: modes = 10.5 is not an integer; expected a whole number of "
        "eigenmodes\n");
  std::ostringstream out2, err2;
  CHECK(run_cli({"saddle", "solve", "kernel_regression", "p=100", "modes=100", "lambda=0"}, out2,
                err2) == 2);
  CHECK(err2.str() ==
        "saddle: error: /params/p: p = modes = 100 with lambda = 0 is the interpolation threshold, "
        "where E_g "
        "diverges; expected lambda > 0 or p != modes\n");
}

TEST_SUITE("validation") {
  // Hastie et al. 2019, Thm. 1, isotropic features with unit signal: exact for any M in the
  // spectral theory (the white spectrum makes the sums single terms), so the tolerance is the
  // solver's: kappa to 1e-12, E_g to 1e-9 relative (1/(1 - a) amplifies near a = 1).
  TEST_CASE("kernel_regression: ridgeless white spectrum reproduces Hastie et al. 2019") {
    const int M = 400;
    const double sigma2 = 0.5;
    for (double a : {0.25, 0.5, 0.8, 0.95, 1.05, 1.5, 2.0, 4.0}) {
      CAPTURE(a);
      const auto rec = solve(krr_point(a * M, 0.0, sigma2, M, "white"));
      const double expected = a < 1 ? (1 - a) + sigma2 * a / (1 - a) : sigma2 / (a - 1);
      CHECK(rec.observables[observable("E_g")] == doctest::Approx(expected).epsilon(1e-9));
      CHECK(rec.x[0] == doctest::Approx(a < 1 ? 1 - a : 0.0).epsilon(1e-10).scale(1.0));
      CHECK(rec.observables[observable("gamma")] ==
            doctest::Approx(a < 1 ? a : 1 / a).epsilon(1e-9));
    }
  }

  // Simulated ridge regression on Gaussian features at p = 100, 200, 400 (60 runs each): the
  // theory is the p, M -> infinity limit, so the allowance is 3.5 standard errors plus 3% of E_g
  // for finite-size corrections (measured deviations are reported in README).
  TEST_CASE("kernel_regression: matches simulated ridge regression on Gaussian features") {
    const int M = 400;
    const double lambda = 1e-2, noise = 0.05;
    const krr::Spectrum s = krr::power_law_spectrum(M, 1.5, 1.5);
    sim::RunOptions runs;
    runs.runs = 60;
    runs.seed = 7;
    for (int p : {100, 200, 400}) {
      CAPTURE(p);
      const auto rec = solve(krr_point(p, lambda, noise, M, "power_law", 1.5, 1.5));
      const double theory = rec.observables[observable("E_g")];
      const auto sim = sim::simulate_kernel_regression(s, p, lambda, noise, runs);
      MESSAGE("p = " << p << ": theory " << theory << ", simulation " << sim.error.mean << " +- "
                     << sim.error.sem);
      CHECK(std::fabs(theory - sim.error.mean) <= 3.5 * sim.error.sem + 0.03 * theory);
      const double m1 = rec.observables[observable("mode_error_1")];
      CHECK(std::fabs(m1 - sim.mode_errors[0].mean) <=
            3.5 * sim.mode_errors[0].sem + 0.03 * theory);
    }
  }
}
