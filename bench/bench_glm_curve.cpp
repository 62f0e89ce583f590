// Benchmark (not a test): the learning curve of the glm model with rademacher prior and sign
// channel on alpha in [0.05, 3] at residual 1e-10, two ways:
//   continuation  arclength continuation from alpha = 0.05 with phi_gap as the stability
//                 indicator: alpha_IT and alpha_alg located as special points (the run follows the
//                 fold back along the unstable branch to alpha = 0.05);
//   damped grid   plain (undamped, non-adaptive) iteration on a uniform grid of the same number of
//                 points, each warm-started from the previous solution; alpha_IT and alpha_alg
//                 read off the grid (sign change of phi_gap, jump of q), so only to the grid
//                 spacing. Also at 10x and 100x the resolution.
//   build/bin/bench_glm_curve
// Prints time, map evaluations, points, non-converged points, and the two thresholds.
#include <chrono>
#include <cmath>
#include <cstdio>

#include "saddle/continuation.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"
#include "saddle/solvers.hpp"

using namespace saddle;

namespace {

constexpr double kFrom = 0.05, kTo = 3.0, kTol = 1e-10;

Point base_point(const FixedPointModel& m) {
  Point p = m.default_point();
  p.options[static_cast<std::size_t>(m.option_index("prior"))] = "rademacher";
  p.options[static_cast<std::size_t>(m.option_index("channel"))] = "sign";
  return p;
}

void damped_grid(const FixedPointModel& m, int n) {
  const auto t0 = std::chrono::steady_clock::now();
  const int ia = m.parameter_index("alpha");
  const int igap = 6;  // phi_gap in observables()
  // Plain iteration (damping 1, not adaptive): the adaptive variant rejects the growing residual
  // when the iterate leaves the ghost of the fold just beyond alpha_alg, and stalls there.
  DampedIteration::Options o;
  o.tol = kTol;
  o.adaptive = false;
  const DampedIteration solver(o);
  Point p = base_point(m);
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  long evaluations = 0;
  int failed = 0;
  double prev_alpha = 0, prev_q = 0, prev_gap = 0, alpha_it = NAN, alpha_alg = NAN;
  for (int i = 0; i < n; ++i) {
    const double alpha = kFrom + (kTo - kFrom) * i / (n - 1);
    p.params[ia] = alpha;
    const SolverSummary s = solver.solve(make_problem(m, p), x);
    evaluations += s.map_evaluations;
    if (!s.usable()) ++failed;
    const double gap = m.observable_values(x, p)[igap];
    if (i > 0 && std::isnan(alpha_it) && prev_gap > 0 && gap <= 0)
      alpha_it = 0.5 * (alpha + prev_alpha);
    if (i > 0 && std::isnan(alpha_alg) && x[0] - prev_q > 0.05)
      alpha_alg = 0.5 * (alpha + prev_alpha);
    prev_alpha = alpha;
    prev_q = x[0];
    prev_gap = gap;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%-22s %8d %10.4f %12ld %8d %12.6f %12.6f %10.2e\n",
              ("damped grid " + std::to_string(n)).c_str(), n, seconds, evaluations, failed,
              alpha_it, alpha_alg, (kTo - kFrom) / (n - 1));
}

}  // namespace

int main() {
  const FixedPointModel& m = builtin_registry().get("glm");
  std::printf("glm rademacher prior, sign channel, alpha in [%g, %g], residual tol %g\n", kFrom,
              kTo, kTol);
  std::printf("%-22s %8s %10s %12s %8s %12s %12s %10s\n", "method", "points", "seconds",
              "map evals", "failed", "alpha_IT", "alpha_alg", "spacing");
  const auto t0 = std::chrono::steady_clock::now();
  Continuation::Options o;
  o.from = kFrom;
  o.to = kTo;
  o.step = 0.02;
  o.tol = kTol;
  const ParametricProblem problem =
      make_parametric_problem(m, base_point(m), m.parameter_index("alpha"), 6);
  const ContinuationResult r = Continuation(o).run(problem, Eigen::VectorXd::Zero(1));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double alpha_it = NAN, alpha_alg = NAN;
  for (const auto& sp : r.special_points) {
    if (sp.type == PointLabel::kThermodynamicStabilityChange && std::isnan(alpha_it))
      alpha_it = sp.lambda;
    if (sp.type == PointLabel::kFold) alpha_alg = sp.lambda;
  }
  const int rows = static_cast<int>(r.rows.size());
  std::printf("%-22s %8d %10.4f %12d %8d %12.9f %12.9f %10s\n", "arclength", rows, seconds,
              r.summary.map_evaluations, 0, alpha_it, alpha_alg, "adaptive");
  std::printf("  (%s)\n", r.summary.brief_report().c_str());
  for (int n : {rows, 10 * rows, 100 * rows}) damped_grid(m, n);
  return 0;
}
