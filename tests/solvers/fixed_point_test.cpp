// The solver core on reusable test problems with exact solutions.
//
// Each TestProblem carries its exact fixed point x* and an error amplification a with
// |x - x*|_inf <= a r(x) near x* (a = |(I - DF(x*))^{-1}|_inf), so a solution at residual tol
// must lie within a tol of x*; the checks allow 2 a tol + 1e-15 for the linearisation.
//
//   dottie         x = cos x; x* = 0.7390851332151606416553120876738734040134 (the Dottie
//                  number), DF(x*) = -sin x* = -0.674: plain iteration converges, slowly.
//   linear(A, x*)  x = A x + b with b = x* - A x*, so x* = (I - A)^{-1} b exactly (to rounding).
//                  contraction: A triangular with eigenvalues 0.9, -0.5, 0.2.
//                  expansive:   eigenvalues 1.2 +- 0.9i (modulus 1.5) and 0.5: plain and damped
//                               iteration diverge for every damping; Anderson and Newton do not.
//   box_sqrt       (q, m) in [0, 1] x [-1, 1]: q = 1.5 - 2 sqrt(q), m = m/2 + sqrt(q)/2;
//                  q* = 3.5 - sqrt(10), m* = sqrt(2.5) - 1. F(1, 0) = (-0.5, 0.5) leaves the box
//                  and sqrt(q < 0) is NaN, so an unprojected iteration fails. dF_q/dq = -1.72 at
//                  x*: plain iteration cycles.
//   nan_region     x = 3 - sqrt(x), NaN for x < 0; x* = (7 - sqrt(13)) / 2. From x0 = 100 the
//                  plain step lands at -7.
//   slow_linear    x = 0.999 x + 0.001; x* = 1; from 0 the residual after k plain steps is
//                  0.001 * 0.999^k (1.35e-4 after 2000).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using saddle::AndersonAcceleration;
using saddle::AutoSolver;
using saddle::DampedIteration;
using saddle::FixedPointProblem;
using saddle::JacobianSource;
using saddle::Newton;
using saddle::NewtonBackend;
using saddle::SolverSettings;
using saddle::SolverSummary;
using saddle::TerminationReason;

namespace {

constexpr double kUnbounded = std::numeric_limits<double>::infinity();

struct TestProblem {
  std::string name;
  FixedPointProblem problem;
  VectorXd start;
  VectorXd solution;     // exact
  double amplification;  // |x - x*|_inf <= amplification * r(x) near x*
};

VectorXd vec(std::initializer_list<double> v) {
  VectorXd x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double d : v) x[i++] = d;
  return x;
}

FixedPointProblem unbounded(int n) {
  FixedPointProblem p;
  p.lower = VectorXd::Constant(n, -kUnbounded);
  p.upper = VectorXd::Constant(n, kUnbounded);
  return p;
}

TestProblem dottie() {
  TestProblem t;
  t.name = "dottie";
  t.problem = unbounded(1);
  t.problem.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = std::cos(x[0]); };
  t.problem.jacobian = [](const VectorXd& x, MatrixXd& j) {
    j(0, 0) = -std::sin(x[0]);
    return true;
  };
  t.start = vec({1.0});
  t.solution = vec({0.7390851332151606416553120876738734040134});
  t.amplification = 1.0 / (1.0 + std::sin(t.solution[0]));
  return t;
}

TestProblem linear(const std::string& name, const MatrixXd& a, const VectorXd& solution) {
  TestProblem t;
  t.name = name;
  t.problem = unbounded(static_cast<int>(a.rows()));
  const VectorXd b = solution - a * solution;
  t.problem.map = [a, b](const VectorXd& x, VectorXd& fx) { fx.noalias() = a * x + b; };
  t.problem.jacobian = [a](const VectorXd&, MatrixXd& j) {
    j = a;
    return true;
  };
  t.start = VectorXd::Zero(a.rows());
  t.solution = solution;
  const MatrixXd id = MatrixXd::Identity(a.rows(), a.cols());
  t.amplification = (id - a).inverse().cwiseAbs().rowwise().sum().maxCoeff();
  return t;
}

TestProblem linear_contraction() {
  MatrixXd a(3, 3);
  a << 0.9, 0.5, 0.0,  //
      0.0, -0.5, 0.3,  //
      0.0, 0.0, 0.2;
  return linear("linear_contraction", a, vec({1.0, -2.0, 0.5}));
}

TestProblem linear_expansive() {
  MatrixXd a(3, 3);
  a << 1.2, -0.9, 0.0,  //
      0.9, 1.2, 0.3,    //
      0.0, 0.0, 0.5;
  return linear("linear_expansive", a, vec({1.0, -2.0, 0.5}));
}

TestProblem box_sqrt() {
  TestProblem t;
  t.name = "box_sqrt";
  t.problem.lower = vec({0.0, -1.0});
  t.problem.upper = vec({1.0, 1.0});
  t.problem.map = [](const VectorXd& x, VectorXd& fx) {
    const double s = std::sqrt(x[0]);  // NaN outside the box
    fx[0] = 1.5 - 2.0 * s;
    fx[1] = 0.5 * x[1] + 0.5 * s;
  };
  t.problem.jacobian = [](const VectorXd& x, MatrixXd& j) {
    if (!(x[0] > 0.0)) return false;  // dF/dq is infinite at q = 0
    const double s = std::sqrt(x[0]);
    j << -1.0 / s, 0.0, 0.25 / s, 0.5;
    return true;
  };
  t.start = vec({1.0, 0.0});
  t.solution = vec({3.5 - std::sqrt(10.0), std::sqrt(2.5) - 1.0});
  t.amplification = 2.5;  // |(I - DF)^{-1}|_inf = 0.316 + 2 at x*
  return t;
}

TestProblem nan_region() {
  TestProblem t;
  t.name = "nan_region";
  t.problem = unbounded(1);
  t.problem.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = 3.0 - std::sqrt(x[0]); };
  t.start = vec({100.0});
  t.solution = vec({(7.0 - std::sqrt(13.0)) / 2.0});
  t.amplification = 1.0;  // 1 / (1 + 1 / (2 sqrt(x*))) = 0.72
  return t;
}

TestProblem slow_linear() {
  TestProblem t;
  t.name = "slow_linear";
  t.problem = unbounded(1);
  t.problem.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = 0.999 * x[0] + 0.001; };
  t.start = vec({0.0});
  t.solution = vec({1.0});
  t.amplification = 1000.0;
  return t;
}

// The problem with its map wrapped to count calls and to record any point outside the box.
struct Counted {
  FixedPointProblem problem;
  std::shared_ptr<int> calls = std::make_shared<int>(0);
  std::shared_ptr<bool> left_box = std::make_shared<bool>(false);
};

Counted counted(const FixedPointProblem& p) {
  Counted c;
  c.problem = p;
  auto inner = p.map;
  auto calls = c.calls;
  auto left_box = c.left_box;
  const VectorXd lo = p.lower, hi = p.upper;
  c.problem.map = [inner, calls, left_box, lo, hi](const VectorXd& x, VectorXd& fx) {
    ++*calls;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if (!(x[i] >= lo[i] && x[i] <= hi[i])) *left_box = true;
    }
    inner(x, fx);
  };
  return c;
}

FixedPointProblem without_jacobian(FixedPointProblem p) {
  p.jacobian = nullptr;
  return p;
}

double residual_at(const FixedPointProblem& p, const VectorXd& x) {
  VectorXd fx;
  return saddle::fixed_point_residual(p, x, fx);
}

// The checks every converged run must pass.
void check_converged(const TestProblem& t, const Counted& c, const SolverSummary& s,
                     const VectorXd& x, double tol) {
  INFO(t.name << ": " << s.brief_report());
  CHECK(s.usable());
  CHECK(s.reason == TerminationReason::kConverged);
  CHECK(s.message.empty());
  const double r = residual_at(t.problem, x);
  CHECK(r <= tol);
  CHECK(s.residual == doctest::Approx(r).epsilon(1e-12).scale(tol));
  CHECK((x - t.solution).lpNorm<Eigen::Infinity>() <= 2.0 * t.amplification * tol + 1e-15);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    CHECK(x[i] == doctest::Approx(t.solution[i]).epsilon(1e-10).scale(1.0));
  }
  CHECK(s.map_evaluations == *c.calls);
  CHECK(s.elapsed_seconds >= 0.0);
  CHECK_FALSE(*c.left_box);
}

constexpr double kTol = 1e-12;

template <class Solver>
SolverSummary run(const Solver& solver, const Counted& c, const TestProblem& t, VectorXd& x) {
  x = t.start;
  return solver.solve(c.problem, x);
}

}  // namespace

TEST_CASE("fixed_point_residual and project") {
  const TestProblem t = box_sqrt();
  VectorXd fx;
  CHECK(saddle::fixed_point_residual(t.problem, t.solution, fx) <= 1e-15);
  CHECK(saddle::fixed_point_residual(t.problem, t.start, fx) ==
        doctest::Approx(1.5).epsilon(1e-15));
  CHECK(std::isinf(saddle::fixed_point_residual(t.problem, vec({-1.0, 0.0}), fx)));
  VectorXd x = vec({-0.5, 3.0});
  t.problem.project(x);
  CHECK(x[0] == 0.0);
  CHECK(x[1] == 1.0);
}

TEST_CASE("damped iteration") {
  SUBCASE("dottie, plain iteration") {
    const TestProblem t = dottie();
    const Counted c = counted(t.problem);
    DampedIteration::Options o;
    o.tol = kTol;
    VectorXd x;
    const SolverSummary s = run(DampedIteration(o), c, t, x);
    check_converged(t, c, s, x, kTol);
    CHECK(s.method == "damped");
    CHECK(s.map_evaluations == s.iterations + 1);
    CHECK(s.initial_residual == doctest::Approx(1.0 - std::cos(1.0)).epsilon(1e-14));
  }
  SUBCASE("linear contraction") {
    const TestProblem t = linear_contraction();
    const Counted c = counted(t.problem);
    VectorXd x;
    check_converged(t, c, run(DampedIteration(), c, t, x), x, kTol);
  }
  SUBCASE("box: adaptive damping converges where plain iteration cycles") {
    const TestProblem t = box_sqrt();
    {
      const Counted c = counted(t.problem);
      VectorXd x;
      check_converged(t, c, run(DampedIteration(), c, t, x), x, kTol);
    }
    const Counted c = counted(t.problem);
    DampedIteration::Options o;
    o.adaptive = false;
    o.max_iterations = 200;
    VectorXd x;
    const SolverSummary s = run(DampedIteration(o), c, t, x);
    CHECK(s.reason == TerminationReason::kMaxIterations);
    CHECK_FALSE(*c.left_box);  // every iterate was projected
    CHECK(s.residual == doctest::Approx(residual_at(t.problem, x)).epsilon(1e-15));
  }
  SUBCASE("NaN region: a fixed damping stops with non_finite at the last finite iterate") {
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    DampedIteration::Options o;
    o.adaptive = false;
    VectorXd x;
    const SolverSummary s = run(DampedIteration(o), c, t, x);
    CHECK(s.reason == TerminationReason::kNonFinite);
    CHECK_FALSE(s.usable());
    CHECK(x[0] == 100.0);
    CHECK(s.residual == doctest::Approx(107.0).epsilon(1e-15));
    CHECK(s.map_evaluations == 2);
    CHECK(*c.calls == 2);
    CHECK(s.message == "F is not finite at iteration 1; residual 1.1e+02 after 1 iteration");
  }
  SUBCASE("NaN region: adaptive damping backs off and converges") {
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    VectorXd x;
    check_converged(t, c, run(DampedIteration(), c, t, x), x, kTol);
  }
  SUBCASE("slow map: max_iterations with the residual reported") {
    const TestProblem t = slow_linear();
    const Counted c = counted(t.problem);
    DampedIteration::Options o;
    o.max_iterations = 2000;
    VectorXd x;
    const SolverSummary s = run(DampedIteration(o), c, t, x);
    CHECK(s.reason == TerminationReason::kMaxIterations);
    CHECK(s.iterations == 2000);
    CHECK(s.map_evaluations == 2001);
    CHECK(*c.calls == 2001);
    const double expected = 0.001 * std::pow(0.999, 2000);
    CHECK(s.residual == doctest::Approx(expected).epsilon(1e-9));
    CHECK(residual_at(t.problem, x) == doctest::Approx(s.residual).epsilon(1e-15));
    CHECK(s.message == "residual 0.00014 after 2000 iterations");
    CHECK(s.brief_report().find("damped: max_iterations, 2000 iterations") == 0);
  }
  SUBCASE("expansive map: plain iteration diverges, x is the best iterate (the start)") {
    const TestProblem t = linear_expansive();
    const Counted c = counted(t.problem);
    DampedIteration::Options o;
    o.adaptive = false;
    o.max_iterations = 50;
    VectorXd x;
    const SolverSummary s = run(DampedIteration(o), c, t, x);
    CHECK(s.reason == TerminationReason::kMaxIterations);
    CHECK(x == t.start);
    CHECK(s.residual == doctest::Approx(s.initial_residual).epsilon(1e-15));

    const Counted c2 = counted(t.problem);
    const SolverSummary adaptive = run(DampedIteration(), c2, t, x);
    CHECK(adaptive.reason == TerminationReason::kStalled);
    CHECK(adaptive.residual == doctest::Approx(residual_at(t.problem, x)).epsilon(1e-15));
    CHECK(adaptive.map_evaluations == *c2.calls);
  }
  SUBCASE("root outside the box: stalled, x is the best point seen") {
    FixedPointProblem p;
    p.lower = vec({0.0});
    p.upper = vec({1.0});
    p.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = 2.0 * x[0] + 1.0; };  // x* = -1
    DampedIteration::Options o;
    o.adaptive = false;
    VectorXd x = vec({0.5});
    // 0.5 -> 1 (residual 1.5 -> 2); at 1 the projected step is zero.
    const SolverSummary s = DampedIteration(o).solve(p, x);
    CHECK(s.reason == TerminationReason::kStalled);
    CHECK(s.map_evaluations == 2);
    CHECK(x[0] == 0.5);
    CHECK(s.residual == doctest::Approx(1.5).epsilon(1e-15));
    CHECK(s.message ==
          "the projected step is zero (F(x) - x points out of the box); residual 1.5 after 1 "
          "iteration");
    // Adaptive: every step to the bound raises the residual, so damping runs down to its floor.
    x = vec({0.5});
    const SolverSummary a = DampedIteration().solve(p, x);
    CHECK(a.reason == TerminationReason::kStalled);
    CHECK(x[0] == 0.5);
    CHECK(a.message.find("damping fell below min_damping = 1e-06") == 0);
  }
}

TEST_CASE("anderson acceleration") {
  AndersonAcceleration::Options o;
  o.tol = kTol;
  for (const TestProblem& t :
       {dottie(), linear_contraction(), linear_expansive(), box_sqrt(), slow_linear()}) {
    CAPTURE(t.name);
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AndersonAcceleration(o), c, t, x);
    check_converged(t, c, s, x, kTol);
    CHECK(s.method == "anderson");
    CHECK(s.map_evaluations == s.iterations + 1);
    CHECK(s.jacobian_evaluations == 0);
  }
  SUBCASE("NaN region: the first (plain) step is not finite") {
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AndersonAcceleration(o), c, t, x);
    CHECK(s.reason == TerminationReason::kNonFinite);
    CHECK(x[0] == 100.0);
    CHECK(s.map_evaluations == *c.calls);
  }
  SUBCASE("fewer evaluations than damped iteration on a contraction") {
    for (const TestProblem& t : {dottie(), linear_contraction(), slow_linear()}) {
      CAPTURE(t.name);
      const Counted ca = counted(t.problem);
      const Counted cd = counted(t.problem);
      VectorXd xa, xd;
      const SolverSummary a = run(AndersonAcceleration(o), ca, t, xa);
      const SolverSummary d = run(DampedIteration(), cd, t, xd);
      CHECK(a.usable());
      CHECK(d.usable());
      CHECK(3 * a.map_evaluations < d.map_evaluations);
    }
  }
  SUBCASE("depth 1 and mixing 0.5 still converge") {
    AndersonAcceleration::Options o2 = o;
    o2.depth = 1;
    o2.mixing = 0.5;
    const TestProblem t = linear_contraction();
    const Counted c = counted(t.problem);
    VectorXd x;
    check_converged(t, c, run(AndersonAcceleration(o2), c, t, x), x, kTol);
  }
  SUBCASE("the conditioning guard: a tight max_condition drops columns and still converges") {
    AndersonAcceleration::Options o2 = o;
    o2.max_condition = 10.0;
    for (const TestProblem& t : {linear_contraction(), linear_expansive(), box_sqrt()}) {
      CAPTURE(t.name);
      const Counted c = counted(t.problem);
      VectorXd x;
      check_converged(t, c, run(AndersonAcceleration(o2), c, t, x), x, kTol);
    }
  }
  SUBCASE("restarts: a tiny restart_factor forbids the growth this map needs") {
    AndersonAcceleration::Options o2 = o;
    o2.restart_factor = 1.0001;
    o2.max_iterations = 100;
    const TestProblem t = linear_expansive();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AndersonAcceleration(o2), c, t, x);
    CHECK(s.reason == TerminationReason::kMaxIterations);
    CHECK(s.message == "50 restarts; residual 2 after 100 iterations");
    CHECK(x == t.start);  // nothing beat the start point
    CHECK(s.map_evaluations == *c.calls);
  }
  SUBCASE("max_iterations") {
    AndersonAcceleration::Options o2 = o;
    o2.max_iterations = 2;
    const TestProblem t = linear_expansive();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AndersonAcceleration(o2), c, t, x);
    CHECK(s.reason == TerminationReason::kMaxIterations);
    CHECK(s.iterations == 2);
    CHECK(s.map_evaluations == 3);
    CHECK(s.residual == doctest::Approx(residual_at(t.problem, x)).epsilon(1e-15));
    CHECK(s.message.find("after 2 iterations") != std::string::npos);
  }
}

TEST_CASE("newton") {
  Newton::Options fd;
  fd.tol = kTol;
  fd.jacobian = JacobianSource::kFiniteDifference;
  Newton::Options analytic = fd;
  analytic.jacobian = JacobianSource::kAnalytic;
  Newton::Options gsl = fd;
  gsl.backend = NewtonBackend::kGslHybrid;
  Newton::Options gsl_analytic = analytic;
  gsl_analytic.backend = NewtonBackend::kGslHybrid;

  for (const TestProblem& t : {dottie(), linear_contraction(), linear_expansive(), box_sqrt(),
                               nan_region(), slow_linear()}) {
    for (const Newton::Options& o : {fd, analytic, gsl, gsl_analytic}) {
      if (o.jacobian == JacobianSource::kAnalytic && !t.problem.jacobian) continue;
      CAPTURE(t.name);
      CAPTURE(saddle::to_string(o.backend));
      CAPTURE(saddle::to_string(o.jacobian));
      const Counted c = counted(t.problem);
      VectorXd x;
      if (t.name == "nan_region" && o.backend == NewtonBackend::kGslHybrid) continue;  // below
      const SolverSummary s = run(Newton(o), c, t, x);
      check_converged(t, c, s, x, kTol);
      CHECK(s.method == (o.backend == NewtonBackend::kEigen ? "newton" : "newton(gsl_hybrid)"));
      CHECK(s.jacobian_evaluations >= 1);
      if (o.backend == NewtonBackend::kEigen) CHECK(s.jacobian_evaluations == s.iterations);
    }
  }
  SUBCASE("linear map: one Newton step with the exact Jacobian, two with differences") {
    const TestProblem t = linear_expansive();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(Newton(analytic), c, t, x);
    CHECK(s.iterations == 1);
    CHECK(s.map_evaluations == 2);  // the start and the full step
    const SolverSummary f = run(Newton(fd), c, t, x);
    CHECK(f.iterations <= 2);
    CHECK(f.map_evaluations == f.iterations * (2 * 3 + 1) + 1);  // central differences + step
  }
  SUBCASE("NaN region: GSL's hybrid stops with non_finite (it cannot back off)") {
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(Newton(gsl), c, t, x);
    CHECK(s.reason == TerminationReason::kNonFinite);
    CHECK(x[0] == 100.0);
    CHECK(s.map_evaluations == *c.calls);
  }
  SUBCASE("singular Jacobian: linear_solve_failed") {
    TestProblem t = dottie();
    t.start = vec({-M_PI / 2});  // d(cos x - x)/dx = sin(pi/2) - 1 = 0
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(Newton(analytic), c, t, x);
    CHECK(s.reason == TerminationReason::kLinearSolveFailed);
    CHECK(x[0] == -M_PI / 2);
    CHECK(s.message ==
          "the Jacobian of F(x) - x is singular (numerical rank 0 < 1); residual 1.6 after 1 "
          "iteration");
  }
  SUBCASE("wrong Jacobian: line_search_failed") {
    TestProblem t = dottie();
    t.problem.jacobian = [](const VectorXd&, MatrixXd& j) {
      j(0, 0) = 3.0;  // true value -sin(x): the step points uphill
      return true;
    };
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(Newton(analytic), c, t, x);
    CHECK(s.reason == TerminationReason::kLineSearchFailed);
    CHECK(x == t.start);
    CHECK(s.map_evaluations == *c.calls);
  }
  SUBCASE("NaN region without line search: non_finite") {
    const TestProblem t = nan_region();
    Newton::Options o = fd;
    o.line_search = false;
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(Newton(o), c, t, x);
    CHECK(s.reason == TerminationReason::kNonFinite);
    CHECK(x[0] == 100.0);
    CHECK(s.map_evaluations == *c.calls);
  }
  SUBCASE("root outside the box: stalled at the bound") {
    FixedPointProblem p;
    p.lower = vec({0.0});
    p.upper = vec({1.0});
    p.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = 2.0 * x[0] + 1.0; };  // x* = -1
    VectorXd x = vec({0.5});
    const SolverSummary s = Newton(fd).solve(p, x);
    CHECK(s.reason == TerminationReason::kStalled);
    CHECK(x[0] == 0.0);
  }
  SUBCASE("analytic Jacobian requested but absent: InputError before any work") {
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    VectorXd x = t.start;
    try {
      Newton(analytic).solve(c.problem, x);
      FAIL("expected an InputError");
    } catch (const saddle::InputError& e) {
      CHECK(e.id() == "solver.bad_option");
      CHECK(std::string(e.what()) ==
            "solver.jacobian: jacobian = analytic, but this problem has no analytic Jacobian; "
            "expected auto or finite_difference");
    }
    CHECK(*c.calls == 0);
  }
}

TEST_CASE("auto solver") {
  SolverSettings settings;
  settings.tol = kTol;
  SUBCASE("Anderson alone when it converges") {
    const TestProblem t = dottie();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AutoSolver(settings), c, t, x);
    check_converged(t, c, s, x, kTol);
    CHECK(s.method == "auto[anderson]");
  }
  SUBCASE("Newton after Anderson runs out of iterations") {
    settings.max_iterations = 2;
    settings.newton.jacobian = JacobianSource::kFiniteDifference;
    const TestProblem t = linear_expansive();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AutoSolver(settings), c, t, x);
    check_converged(t, c, s, x, kTol);
    CHECK(s.method == "auto[anderson>newton]");
    CHECK(s.jacobian_evaluations >= 1);
  }
  SUBCASE("mixed Anderson from the start point after Anderson and Newton fail") {
    settings.newton.line_search = false;
    const TestProblem t = nan_region();
    const Counted c = counted(t.problem);
    VectorXd x;
    const SolverSummary s = run(AutoSolver(settings), c, t, x);
    check_converged(t, c, s, x, kTol);
    CHECK(s.method == "auto[anderson>newton>anderson]");
  }
  SUBCASE("every stage fails: the best point and a message naming each stage") {
    FixedPointProblem p = unbounded(1);
    p.map = [](const VectorXd& x, VectorXd& fx) { fx[0] = x[0] + 1.0 + x[0] * x[0]; };
    settings.max_iterations = 50;
    const Counted c = counted(p);
    VectorXd x = vec({1.0});
    const SolverSummary s = AutoSolver(settings).solve(c.problem, x);
    CHECK_FALSE(s.usable());
    CHECK(s.method == "auto[anderson>newton>anderson>newton>damped>newton]");
    CHECK(s.map_evaluations == *c.calls);
    CHECK(s.residual == doctest::Approx(residual_at(p, x)).epsilon(1e-15));
    CHECK(s.message.find("anderson: ") == 0);
    CHECK(s.message.find("; damped: ") != std::string::npos);
  }
}

TEST_CASE("solve_fixed_point dispatches and applies tol and max_iter") {
  const TestProblem t = slow_linear();
  SolverSettings settings;
  settings.method = saddle::SolverMethod::kDamped;
  settings.max_iterations = 2000;
  settings.damped.max_iterations = 5;  // overridden
  const Counted c = counted(t.problem);
  VectorXd x = t.start;
  const SolverSummary s = saddle::solve_fixed_point(settings, c.problem, x);
  CHECK(s.method == "damped");
  CHECK(s.iterations == 2000);
  CHECK(s.reason == TerminationReason::kMaxIterations);

  settings.method = saddle::SolverMethod::kAnderson;
  settings.tol = 1e-8;
  settings.anderson.tol = 1e-14;  // overridden
  x = t.start;
  const SolverSummary a = saddle::solve_fixed_point(settings, c.problem, x);
  CHECK(a.method == "anderson");
  CHECK(a.usable());
  CHECK(a.residual <= 1e-8);

  settings.method = saddle::SolverMethod::kNewton;
  x = t.start;
  CHECK(saddle::solve_fixed_point(settings, c.problem, x).method == "newton");

  settings.anderson.depth = 0;
  x = t.start;
  CHECK_THROWS_AS(saddle::solve_fixed_point(settings, c.problem, x), saddle::InputError);
}

TEST_CASE("map_jacobian and spectral_radius") {
  const TestProblem t = box_sqrt();
  SUBCASE("central differences inside, one-sided at the bounds, both match the analytic one") {
    for (const VectorXd& x : {vec({0.3, 0.2}), vec({1.0, -1.0}), vec({0.5, 1.0})}) {
      CAPTURE(x.transpose());
      int evaluations = 0;
      const MatrixXd fd =
          saddle::map_jacobian(t.problem, x, JacobianSource::kFiniteDifference, 1e-6, &evaluations);
      int analytic_evaluations = 0;
      const MatrixXd exact =
          saddle::map_jacobian(t.problem, x, JacobianSource::kAuto, 1e-6, &analytic_evaluations);
      CHECK(analytic_evaluations == 0);
      const bool at_bound = x[0] == 1.0 || x[1] == 1.0 || x[1] == -1.0;
      CHECK(evaluations == 4 + (at_bound ? 1 : 0));
      CHECK((fd - exact).cwiseAbs().maxCoeff() <= 1e-8);
    }
  }
  SUBCASE("evaluations stay inside the box") {
    const Counted c = counted(t.problem);
    saddle::map_jacobian(c.problem, vec({1.0, 1.0}), JacobianSource::kFiniteDifference, 1e-3,
                         nullptr);
    CHECK_FALSE(*c.left_box);
    CHECK(*c.calls == 5);
  }
  SUBCASE("analytic requested, none available") {
    CHECK_THROWS_AS(saddle::map_jacobian(nan_region().problem, vec({1.0}),
                                         JacobianSource::kAnalytic, 1e-6, nullptr),
                    saddle::InputError);
  }
  SUBCASE("spectral radius: complex eigenvalues 1.2 +- 0.9i have modulus 1.5") {
    const TestProblem e = linear_expansive();
    CHECK(saddle::spectral_radius(e.problem, e.solution) == doctest::Approx(1.5).epsilon(1e-14));
    int evaluations = 0;
    CHECK(saddle::spectral_radius(without_jacobian(e.problem), e.solution, JacobianSource::kAuto,
                                  1e-6, &evaluations) == doctest::Approx(1.5).epsilon(1e-8));
    CHECK(evaluations == 6);
    const TestProblem k = linear_contraction();
    CHECK(saddle::spectral_radius(k.problem, k.start) == doctest::Approx(0.9).epsilon(1e-14));
  }
}

TEST_CASE("solvers are reentrant: parallel runs give the serial results") {
  const std::vector<TestProblem> problems = {dottie(), linear_contraction(), linear_expansive(),
                                             box_sqrt()};
  SolverSettings settings;
  std::vector<VectorXd> serial;
  for (const auto& t : problems) {
    VectorXd x = t.start;
    saddle::solve_fixed_point(settings, t.problem, x);
    serial.push_back(x);
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int rep = 0; rep < 50; ++rep) {
        for (std::size_t i = 0; i < problems.size(); ++i) {
          VectorXd x = problems[i].start;
          saddle::solve_fixed_point(settings, problems[i].problem, x);
          if (x != serial[i]) ++mismatches[w];
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) CHECK(m == 0);
}
