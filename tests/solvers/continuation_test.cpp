// Continuation (solvers/continuation.cpp) on reusable test problems with exact solutions, and on
// the hopfield and sk models against closed forms.
//
//   scalar_fold  F(x; l) = x + (l - x^2) / 2 (analytic Jacobian). Branches x = +-sqrt(l), joined
//                by a fold at l = 0, x = 0. dF/dx = 1 - x: rho = |1 - x| < 1 on the upper branch
//                (0 < x < 2), > 1 on the lower one, so rho crosses 1 exactly at the fold.
//   planar_fold  F(x; l) = x + (l - x1^2 - x2, x1 - 2 x2) / 2 (finite-difference Jacobian).
//                Solutions x2 = x1 / 2, l = x1^2 + x1 / 2; fold at x1 = -1/4, x2 = -1/8,
//                l* = -1/16 (dl/dx1 = 2 x1 + 1/2 = 0).
//   flip         F(x; l) = h - l tanh x with h = x_s + sinh(2 x_s) / 2, x_s = 0.2: one smooth
//                branch x + l tanh x = h (no fold). dF/dx = -l sech^2 x, so rho = l sech^2 x
//                crosses 1 where l = cosh^2 x and x = x_s: l_s = cosh^2(0.2) exactly (a
//                flip, eigenvalue -1: the branch goes on). Indicator x - 0.3 changes sign at
//                l = (h - 0.3) / tanh(0.3).
//   wall         F(x; l) = l in the box 0 <= x <= 1: the solution x = l leaves the box at l = 1.
//
// A row is checked by re-evaluating the map (never only by the row's own residual field). Near
// a branch with |1 - dF/dx|^-1 <= 1 (flip), residual <= tol means |x - x*| <= tol.
#include "saddle/continuation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"
#include "saddle/solvers.hpp"
#include "saddle/special.hpp"

using Eigen::MatrixXd;
using Eigen::VectorXd;
using saddle::Continuation;
using saddle::ContinuationMethod;
using saddle::ContinuationResult;
using saddle::ContinuationRow;
using saddle::ContinuationTermination;
using saddle::InputError;
using saddle::ParametricProblem;
using saddle::PointLabel;
using saddle::SpecialPoint;

namespace {

constexpr double kTol = 1e-12;  // Continuation::Options::tol default, used by every run below

VectorXd vec(std::initializer_list<double> v) {
  VectorXd x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double d : v) x[i++] = d;
  return x;
}

ParametricProblem scalar_fold() {
  ParametricProblem p;
  p.dimension = 1;
  p.map = [](const VectorXd& x, double l, VectorXd& fx) {
    fx.resize(1);
    fx[0] = x[0] + 0.5 * (l - x[0] * x[0]);
  };
  p.jacobian = [](const VectorXd& x, double, MatrixXd& j) {
    j.resize(1, 1);
    j(0, 0) = 1.0 - x[0];
    return true;
  };
  p.component_names = {"x"};
  return p;
}

ParametricProblem planar_fold() {
  ParametricProblem p;
  p.dimension = 2;
  p.map = [](const VectorXd& x, double l, VectorXd& fx) {
    fx.resize(2);
    fx[0] = x[0] + 0.5 * (l - x[0] * x[0] - x[1]);
    fx[1] = x[1] + 0.5 * (x[0] - 2.0 * x[1]);
  };
  return p;
}

const double kFlipXs = 0.2;
const double kFlipH = kFlipXs + 0.5 * std::sinh(2.0 * kFlipXs);
const double kFlipLambda = std::cosh(kFlipXs) * std::cosh(kFlipXs);
const double kFlipIndicatorLambda = (kFlipH - 0.3) / std::tanh(0.3);

ParametricProblem flip(bool with_indicator) {
  ParametricProblem p;
  p.dimension = 1;
  p.map = [](const VectorXd& x, double l, VectorXd& fx) {
    fx.resize(1);
    fx[0] = kFlipH - l * std::tanh(x[0]);
  };
  p.jacobian = [](const VectorXd& x, double l, MatrixXd& j) {
    j.resize(1, 1);
    const double c = std::cosh(x[0]);
    j(0, 0) = -l / (c * c);
    return true;
  };
  if (with_indicator) {
    p.indicator = [](const VectorXd& x, double) { return x[0] - 0.3; };
    p.indicator_name = "x - 0.3";
  }
  return p;
}

// The exact flip branch: x + l tanh x = h by Newton (monotone in x).
double flip_solution(double l) {
  double x = 0.3;
  for (int i = 0; i < 100; ++i) {
    const double c = std::cosh(x);
    const double dx = (x + l * std::tanh(x) - kFlipH) / (1.0 + l / (c * c));
    x -= dx;
    if (std::abs(dx) < 1e-17) break;
  }
  return x;
}

ParametricProblem wall() {
  ParametricProblem p;
  p.dimension = 1;
  p.map = [](const VectorXd&, double l, VectorXd& fx) {
    fx.resize(1);
    fx[0] = l;
  };
  p.bounds = [](double, VectorXd& lo, VectorXd& hi) {
    lo = vec({0.0});
    hi = vec({1.0});
  };
  p.component_names = {"x"};
  return p;
}

Continuation::Options options(ContinuationMethod method, double from, double to, double step) {
  Continuation::Options o;
  o.method = method;
  o.from = from;
  o.to = to;
  o.step = step;
  return o;
}

// max_i |F_i(x) - x_i| re-evaluated.
double residual(const ParametricProblem& p, const ContinuationRow& row) {
  VectorXd fx;
  p.map(row.x, row.lambda, fx);
  return (fx - row.x).cwiseAbs().maxCoeff();
}

void check_every_row_converged(const ParametricProblem& p, const ContinuationResult& r) {
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    CAPTURE(i);
    CAPTURE(r.rows[i].lambda);
    CHECK(residual(p, r.rows[i]) <= kTol);
    CHECK(r.rows[i].residual <= kTol);
  }
}

std::vector<SpecialPoint> points_of(const ContinuationResult& r, PointLabel type) {
  std::vector<SpecialPoint> out;
  for (const auto& sp : r.special_points) {
    if (sp.type == type) out.push_back(sp);
  }
  return out;
}

template <class F>
InputError input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e;
  }
  FAIL("expected an InputError");
  return InputError("", "", "");
}

}  // namespace

TEST_CASE("continuation: arclength passes the scalar fold and comes back along the other branch") {
  const ParametricProblem p = scalar_fold();
  const ContinuationResult r =
      Continuation(options(ContinuationMethod::kArclength, 1.0, -1.0, 0.05)).run(p, vec({1.0}));
  INFO(r.summary.brief_report());
  CHECK(r.summary.reason == ContinuationTermination::kReturnedToFrom);
  CHECK(r.summary.usable());
  CHECK(r.summary.complete());
  check_every_row_converged(p, r);

  const auto folds = points_of(r, PointLabel::kFold);
  REQUIRE(folds.size() == 1);
  CHECK(folds[0].located);
  CHECK(folds[0].method == "bordered_newton");
  CHECK(std::abs(folds[0].lambda) <= 1e-10);  // exact fold at l = 0
  CHECK(std::abs(folds[0].x[0]) <= 1e-6);     // x* = 0 (x is determined to ~sqrt of lambda's error)
  CHECK(folds[0].lambda_uncertainty <= 1e-10);
  REQUIRE(folds[0].row > 0);
  CHECK(r.rows[static_cast<std::size_t>(folds[0].row)].label == PointLabel::kFold);
  // The eigenvalue +1 of dF/dx at the fold is where rho crosses 1: reported once, with the fold.
  CHECK(points_of(r, PointLabel::kIterationStabilityChange).empty());
  CHECK(folds[0].detail.find("rho(dF/dx) crosses 1 here") != std::string::npos);

  // Before the fold: upper branch x = sqrt(l), stable; after: lower branch, unstable.
  for (std::size_t i = 0; i < r.rows.size(); ++i) {
    const ContinuationRow& row = r.rows[i];
    CAPTURE(i);
    CHECK(row.lambda >= -1e-10);
    CHECK(row.lambda <= 1.0);
    if (static_cast<int>(i) < folds[0].row) {
      CHECK(row.x[0] > 0.0);
      CHECK(*row.spectral_radius < 1.0);
    } else if (static_cast<int>(i) > folds[0].row) {
      CHECK(row.x[0] < 0.0);
      CHECK(*row.spectral_radius > 1.0);
    }
  }
  CHECK(r.rows.front().label == PointLabel::kStart);
  CHECK(r.rows.back().label == PointLabel::kEnd);
  CHECK(r.rows.back().lambda == 1.0);  // landed exactly on `from`
  CHECK(r.rows.back().x[0] == doctest::Approx(-1.0).epsilon(1e-12));
}

TEST_CASE("continuation: natural-parameter continuation stops at the fold with a stated reason") {
  const ParametricProblem p = scalar_fold();
  const ContinuationResult r =
      Continuation(options(ContinuationMethod::kNatural, 1.0, -1.0, 0.05)).run(p, vec({1.0}));
  INFO(r.summary.brief_report());
  CHECK(r.summary.reason == ContinuationTermination::kMinStep);
  CHECK(r.summary.usable());
  CHECK_FALSE(r.summary.complete());
  CHECK(r.summary.message.find("no solution beyond lambda = ") == 0);
  CHECK(r.summary.message.find("(possible fold; use method arclength)") != std::string::npos);
  check_every_row_converged(p, r);
  // It gets close to the fold, from the side where solutions exist.
  CHECK(r.rows.back().lambda >= 0.0);
  CHECK(r.rows.back().lambda <= 1e-4);
  for (const auto& row : r.rows) CHECK(row.x[0] > 0.0);  // never jumped to the lower branch
  CHECK(points_of(r, PointLabel::kFold).empty());
}

TEST_CASE("continuation: the fold of a planar problem with a finite-difference Jacobian") {
  const ParametricProblem p = planar_fold();
  const double x1 = (-0.5 + std::sqrt(0.25 + 4.0)) / 2.0;  // upper branch at l = 1
  const ContinuationResult r =
      Continuation(options(ContinuationMethod::kArclength, 1.0, -1.0, 0.05))
          .run(p, vec({x1, x1 / 2.0}));
  INFO(r.summary.brief_report());
  CHECK(r.summary.reason == ContinuationTermination::kReturnedToFrom);
  check_every_row_converged(p, r);
  const auto folds = points_of(r, PointLabel::kFold);
  REQUIRE(folds.size() == 1);
  CHECK(std::abs(folds[0].lambda - (-1.0 / 16.0)) <= 1e-10);
  CHECK(std::abs(folds[0].x[0] - (-0.25)) <= 1e-6);
  CHECK(std::abs(folds[0].x[1] - (-0.125)) <= 1e-6);
  // Back at l = 1 on the other branch x1 = (-1/2 - sqrt(17/4)) / 2.
  CHECK(r.rows.back().lambda == 1.0);
  CHECK(r.rows.back().x[0] == doctest::Approx((-0.5 - std::sqrt(4.25)) / 2.0).epsilon(1e-11));
}

TEST_CASE("continuation: milestones are hit exactly, on both sides of a fold") {
  SUBCASE("smooth branch, both methods") {
    for (ContinuationMethod m : {ContinuationMethod::kNatural, ContinuationMethod::kArclength}) {
      CAPTURE(saddle::to_string(m));
      const ParametricProblem p = flip(false);
      Continuation::Options o = options(m, 0.2, 2.0, 0.1);
      o.milestones = {1.9, 0.5, 1.234567};
      const ContinuationResult r = Continuation(o).run(p, vec({flip_solution(0.2)}));
      CHECK(r.summary.reason == ContinuationTermination::kReachedEnd);
      check_every_row_converged(p, r);
      std::vector<double> hit;
      for (const auto& row : r.rows) {
        if (row.label == PointLabel::kMilestone) hit.push_back(row.lambda);
      }
      CHECK(hit == std::vector<double>{0.5, 1.234567, 1.9});
      CHECK(r.rows.back().lambda == 2.0);
      CHECK(r.rows.back().label == PointLabel::kEnd);
      for (const auto& row : r.rows) {
        CHECK(std::abs(row.x[0] - flip_solution(row.lambda)) <= 2 * kTol);
      }
    }
  }
  SUBCASE("milestones crossed twice around a fold") {
    // 5e-4 lies between the fold (l = 0) and the row before it: the step that passes the fold
    // would cross it twice unseen; it must be redone so that both crossings are rows.
    const ParametricProblem p = scalar_fold();
    Continuation::Options o = options(ContinuationMethod::kArclength, 1.0, -1.0, 0.05);
    o.milestones = {0.25, 5e-4};
    const ContinuationResult r = Continuation(o).run(p, vec({1.0}));
    check_every_row_converged(p, r);
    std::vector<double> ls, xs;
    for (const auto& row : r.rows) {
      if (row.label == PointLabel::kMilestone) {
        ls.push_back(row.lambda);
        xs.push_back(row.x[0]);
      }
    }
    CHECK(ls == std::vector<double>{0.25, 5e-4, 5e-4, 0.25});
    REQUIRE(xs.size() == 4);
    // |F - x| = |l - x^2| / 2 <= 1e-12 gives |x - x*| <= 1e-12 / |x*|.
    const double s = std::sqrt(5e-4);
    CHECK(std::abs(xs[0] - 0.5) <= 1e-11);
    CHECK(std::abs(xs[1] - s) <= 1e-12 / s);
    CHECK(std::abs(xs[2] + s) <= 1e-12 / s);
    CHECK(std::abs(xs[3] + 0.5) <= 1e-11);
  }
}

TEST_CASE("continuation: iteration and thermodynamic stability changes located on a flip branch") {
  for (ContinuationMethod m : {ContinuationMethod::kNatural, ContinuationMethod::kArclength}) {
    CAPTURE(saddle::to_string(m));
    const ParametricProblem p = flip(true);
    const ContinuationResult r =
        Continuation(options(m, 0.2, 2.0, 0.1)).run(p, vec({flip_solution(0.2)}));
    INFO(r.summary.brief_report());
    CHECK(r.summary.reason == ContinuationTermination::kReachedEnd);
    check_every_row_converged(p, r);
    CHECK(points_of(r, PointLabel::kFold).empty());
    const auto it = points_of(r, PointLabel::kIterationStabilityChange);
    REQUIRE(it.size() == 1);
    CHECK(it[0].located);
    // located to stability_tol = 1e-8 relative in lambda
    CHECK(std::abs(it[0].lambda - kFlipLambda) <= 2e-8 * kFlipLambda);
    const auto th = points_of(r, PointLabel::kThermodynamicStabilityChange);
    REQUIRE(th.size() == 1);
    CHECK(std::abs(th[0].lambda - kFlipIndicatorLambda) <= 2e-8 * kFlipIndicatorLambda);
    CHECK(r.summary.stability_changes == 2);
    // Rows are in branch order, and the labelled rows carry the special points.
    for (std::size_t i = 1; i < r.rows.size(); ++i) CHECK(r.rows[i].lambda > r.rows[i - 1].lambda);
    CHECK(r.rows[static_cast<std::size_t>(it[0].row)].label ==
          PointLabel::kIterationStabilityChange);
    CHECK(r.rows[static_cast<std::size_t>(th[0].row)].label ==
          PointLabel::kThermodynamicStabilityChange);
  }
}

TEST_CASE("continuation: a solution that leaves its box ends the run with left_domain") {
  for (ContinuationMethod m : {ContinuationMethod::kNatural, ContinuationMethod::kArclength}) {
    CAPTURE(saddle::to_string(m));
    const ParametricProblem p = wall();
    const ContinuationResult r = Continuation(options(m, 0.2, 2.0, 0.1)).run(p, vec({0.2}));
    INFO(r.summary.message);
    CHECK(r.summary.reason == ContinuationTermination::kLeftDomain);
    CHECK(r.summary.message.find(
              "the solution presses against the bound x <= 1 beyond lambda = ") == 0);
    CHECK(r.rows.back().lambda <= 1.0);
    CHECK(r.rows.back().lambda >= 1.0 - 1e-5);
    check_every_row_converged(p, r);
  }
}

TEST_CASE("continuation: start failure, max_points and reports") {
  SUBCASE("start_failed") {
    ParametricProblem p;
    p.dimension = 1;
    // x = 1 + x^2 has no real solution (F = x + 1 would do, but rounding makes every |x| > 2^53
    // a fixed point).
    p.map = [](const VectorXd& x, double, VectorXd& fx) { fx = 1.0 + x.array().square(); };
    const ContinuationResult r =
        Continuation(options(ContinuationMethod::kArclength, 0.0, 1.0, 0.1)).run(p, vec({0.0}));
    CHECK(r.summary.reason == ContinuationTermination::kStartFailed);
    CHECK_FALSE(r.summary.usable());
    CHECK(r.rows.empty());
    CHECK(r.summary.message.find("no solution at lambda = 0 from the start point: ") == 0);
  }
  SUBCASE("max_points") {
    Continuation::Options o = options(ContinuationMethod::kArclength, 0.2, 2.0, 0.01);
    o.max_points = 5;
    const ContinuationResult r = Continuation(o).run(flip(false), vec({flip_solution(0.2)}));
    CHECK(r.summary.reason == ContinuationTermination::kMaxPoints);
    CHECK(r.rows.size() == 5);
    CHECK(r.summary.points == 5);
  }
  SUBCASE("reports") {
    const ContinuationResult r =
        Continuation(options(ContinuationMethod::kArclength, 1.0, -1.0, 0.05))
            .run(scalar_fold(), vec({1.0}));
    const std::string brief = r.summary.brief_report();
    CHECK(brief.find("arclength: returned_to_from at lambda = 1, ") == 0);
    CHECK(brief.find("(1 fold, 0 stability changes)") != std::string::npos);
    CHECK(r.summary.full_report().find("reason                  returned_to_from\n") !=
          std::string::npos);
    CHECK(r.summary.map_evaluations > 0);
    CHECK(r.summary.folds == 1);
  }
}

TEST_CASE("continuation: options validation names the field, the value and the rule") {
  Continuation::Options o = options(ContinuationMethod::kArclength, 0.01, 0.2, 0.001);
  CHECK_NOTHROW(o.validate());
  SUBCASE("step") {
    o.step = 0.0;
    const InputError e = input_error_of([&] { o.validate(); });
    CHECK(e.id() == "continuation.bad_option");
    CHECK(e.where() == "task.step");
    CHECK(std::string(e.what()) ==
          "task.step: step = 0 is out of range; expected a finite number > 0");
  }
  SUBCASE("to equal to from") {
    o.to = 0.01;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "task.to: to = 0.01 is out of range; expected a number different from from = 0.01");
  }
  SUBCASE("from unset") {
    o.from = std::numeric_limits<double>::quiet_NaN();
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "task.from: from = nan is out of range; expected a finite number");
  }
  SUBCASE("milestones") {
    o.milestones = {0.1, 0.5};
    const InputError e = input_error_of([&] { o.validate(); });
    CHECK(e.where() == "task.milestones[1]");
    CHECK(std::string(e.what()) ==
          "task.milestones[1]: milestones[1] = 0.5 is out of range; expected a number between "
          "from = 0.01 and to = 0.2");
  }
  SUBCASE("min_step above step") {
    o.min_step = 0.01;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "task.min_step: min_step = 0.01 is out of range; expected a number in (0, step] = (0, "
          "0.001]");
  }
  SUBCASE("max_angle_deg") {
    o.max_angle_deg = 100;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "task.max_angle_deg: max_angle_deg = 100 is out of range; expected a number in (0, 90]");
  }
  SUBCASE("shrink") {
    o.shrink = 1.0;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "task.shrink: shrink = 1 is out of range; expected a number in (0, 1)");
  }
  SUBCASE("method name") {
    const InputError e =
        input_error_of([] { saddle::continuation_method_from_string("arclenght"); });
    CHECK(e.where() == "task.method");
    CHECK(std::string(e.what()) ==
          "task.method: 'arclenght' is not a valid method; expected one of natural, arclength "
          "(did you mean 'arclength'?)");
  }
  SUBCASE("from outside the parameter's range") {
    const saddle::FixedPointModel& hopfield = saddle::builtin_registry().get("hopfield");
    saddle::Point base = hopfield.default_point();
    base.params[hopfield.parameter_index("T")] = 0.0;
    const ParametricProblem p =
        saddle::make_parametric_problem(hopfield, base, hopfield.parameter_index("alpha"));
    o.from = 0.0;
    const InputError e = input_error_of([&] { Continuation(o).run(p, vec({1, 1, 1})); });
    CHECK(std::string(e.what()) == "task.from: from = 0 is out of range; expected alpha > 0");
  }
  SUBCASE("solver settings keep their own names") {
    o.solver.max_iterations = 0;
    CHECK(input_error_of([&] { o.validate(); }).where() == "solver.max_iter");
  }
}

TEST_CASE("continuation: enum names round-trip and defaults resolve") {
  for (auto m : {ContinuationMethod::kNatural, ContinuationMethod::kArclength}) {
    CHECK(saddle::continuation_method_from_string(saddle::to_string(m)) == m);
  }
  for (auto l : {PointLabel::kNone, PointLabel::kStart, PointLabel::kEnd, PointLabel::kFold,
                 PointLabel::kMilestone, PointLabel::kIterationStabilityChange,
                 PointLabel::kThermodynamicStabilityChange}) {
    CHECK(saddle::point_label_from_string(saddle::to_string(l)) == l);
  }
  CHECK(saddle::to_string(PointLabel::kIterationStabilityChange) == "iteration_stability_change");
  for (auto r : {ContinuationTermination::kReachedEnd, ContinuationTermination::kReturnedToFrom,
                 ContinuationTermination::kMinStep, ContinuationTermination::kMaxPoints,
                 ContinuationTermination::kStartFailed, ContinuationTermination::kLeftDomain}) {
    CHECK(saddle::continuation_termination_from_string(saddle::to_string(r)) == r);
  }
  Continuation::Options o;
  o.from = 0.01;
  o.to = 0.2;
  CHECK(o.resolved_step() == doctest::Approx(0.0019).epsilon(1e-14));
  CHECK(o.resolved_min_step() == doctest::Approx(1.9e-9).epsilon(1e-14));
  CHECK(o.resolved_max_step() == doctest::Approx(0.019).epsilon(1e-14));
  o.step = 1e-12;
  CHECK(o.resolved_min_step() == 1e-12);  // never above step
}

TEST_CASE("continuation: make_parametric_problem matches make_problem at every lambda") {
  const saddle::FixedPointModel& hopfield = saddle::builtin_registry().get("hopfield");
  saddle::Point base = hopfield.default_point();
  const int alpha = hopfield.parameter_index("alpha"), T = hopfield.parameter_index("T");
  base.params[alpha] = 0.05;
  const ParametricProblem p = saddle::make_parametric_problem(
      hopfield, base, T, static_cast<int>(hopfield.observable_names().size()) - 1);
  CHECK(p.dimension == 3);
  CHECK(p.parameter.name == "T");
  CHECK(p.indicator_name == "lambda_AT");
  CHECK(p.component_name(2) == "r");
  for (double t : {0.0, 0.3, 0.9}) {
    saddle::Point pt = base;
    pt.params[T] = t;
    const saddle::FixedPointProblem direct = saddle::make_problem(hopfield, pt);
    const saddle::FixedPointProblem via = p.at(t);
    const VectorXd x = vec({0.8, 0.95, 1.5});
    VectorXd f1, f2;
    direct.map(x, f1);
    via.map(x, f2);
    CHECK(f1 == f2);
    CHECK(via.lower == direct.lower);  // q >= 1 - T depends on the parameter
    CHECK(via.upper == direct.upper);
    CHECK(p.indicator(x, t) == hopfield.observable_values(x, pt)[3]);
  }
}

// ---- models -----------------------------------------------------------------------------------

namespace {

// alpha(y) = [erf y - (2/sqrt pi) y exp(-y^2)]^2 / (2 y^2): the T = 0 Hopfield equations with
// y = m / sqrt(2 alpha r) (AGS 1987; models/replica/hopfield.cpp). alpha_c is its maximum.
double hopfield_alpha_of_y(double y) {
  const double g = std::erf(y) - 2.0 / std::sqrt(saddle::kPi) * y * std::exp(-y * y);
  return g * g / (2.0 * y * y);
}

// The maximiser y* of alpha(y). With g = erf y - (2/sqrt pi) y exp(-y^2), g' = (4/sqrt pi) y^2
// exp(-y^2) and alpha' = g (y g' - g) / y^3, so y* solves y g'(y) = g(y). Bisection on that
// stationarity condition gives y* to rounding; a golden-section search on alpha itself only
// resolves y* to ~sqrt(eps) (alpha is flat at its maximum), enough for alpha_c but not for m_c.
double hopfield_y_star() {
  const auto h = [](double y) {
    const double e = 2.0 / std::sqrt(saddle::kPi) * std::exp(-y * y);
    return 2.0 * e * y * y * y - (std::erf(y) - e * y);  // y g' - g
  };
  double a = 1.0, b = 2.0;  // alpha rises on [1, y*] and falls on [y*, 2]: h(1) > 0 > h(2)
  REQUIRE(h(a) > 0.0);
  REQUIRE(h(b) < 0.0);
  for (int i = 0; i < 200 && b - a > 0.0; ++i) {
    const double c = 0.5 * (a + b);
    if (c == a || c == b) break;
    (h(c) > 0.0 ? a : b) = c;
  }
  return 0.5 * (a + b);
}

}  // namespace

TEST_SUITE("validation") {
  TEST_CASE("continuation: hopfield at T = 0 finds the retrieval fold alpha_c to 8+ digits") {
    // Source of the closed form: Amit, Gutfreund, Sompolinsky, Ann. Phys. 173, 30 (1987), T = 0
    // limit; alpha_c ~ 0.138, m ~ 0.967 (data/reference/hopfield.json).
    const double y_star = hopfield_y_star();
    const double alpha_c = hopfield_alpha_of_y(y_star);
    const double m_c = std::erf(y_star);
    const double r_c = m_c * m_c / (2.0 * alpha_c * y_star * y_star);

    const saddle::FixedPointModel& hopfield = saddle::builtin_registry().get("hopfield");
    saddle::Point base = hopfield.default_point();
    base.params[hopfield.parameter_index("T")] = 0.0;
    const int alpha = hopfield.parameter_index("alpha");
    base.params[alpha] = 0.01;
    const ParametricProblem p = saddle::make_parametric_problem(hopfield, base, alpha);
    VectorXd seed;
    for (const auto& b : hopfield.branches(base)) {
      if (b.name == "retrieval") seed = b.x0;
    }
    REQUIRE(seed.size() == 3);
    Continuation::Options o = options(ContinuationMethod::kArclength, 0.01, 0.2, 0.001);
    o.max_step = 0.05;  // r grows to ~56 on the unstable branch back at alpha = 0.01
    const ContinuationResult r = Continuation(o).run(p, seed);
    INFO(r.summary.brief_report());
    CHECK(r.summary.reason == ContinuationTermination::kReturnedToFrom);
    check_every_row_converged(p, r);
    const auto folds = points_of(r, PointLabel::kFold);
    REQUIRE(folds.size() == 1);
    CHECK(folds[0].located);
    CHECK(std::abs(folds[0].lambda - alpha_c) <= 1e-10);
    CHECK(std::abs(folds[0].x[0] - m_c) <= 1e-9);
    CHECK(std::abs(folds[0].x[2] - r_c) <= 1e-9 * r_c);
    CHECK(folds[0].x[0] == doctest::Approx(0.967).epsilon(5e-4));  // AGS's 3 digits
    // After the fold: the unstable retrieval branch, m falling, back to alpha = 0.01.
    const auto& last = r.rows.back();
    CHECK(last.lambda == 0.01);
    CHECK(last.x[0] < folds[0].x[0]);
  }

  TEST_CASE("continuation: hopfield at T = 0, natural continuation stops just below alpha_c") {
    const saddle::FixedPointModel& hopfield = saddle::builtin_registry().get("hopfield");
    saddle::Point base = hopfield.default_point();
    base.params[hopfield.parameter_index("T")] = 0.0;
    const int alpha = hopfield.parameter_index("alpha");
    const ParametricProblem p = saddle::make_parametric_problem(hopfield, base, alpha);
    const double alpha_c = hopfield_alpha_of_y(hopfield_y_star());
    const ContinuationResult r =
        Continuation(options(ContinuationMethod::kNatural, 0.01, 0.2, 0.001))
            .run(p, vec({1, 1, 1}));
    INFO(r.summary.brief_report());
    CHECK(r.summary.reason == ContinuationTermination::kMinStep);
    CHECK(r.summary.message.find("no solution beyond alpha = 0.13790") == 0);
    CHECK(r.rows.back().lambda <= alpha_c);
    CHECK(r.rows.back().lambda >= alpha_c - 1e-4);
    check_every_row_converged(p, r);
  }

  TEST_CASE("continuation: sk paramagnet at h = J0 = 0 loses stability at T = 1") {
    // Linearising q' = E tanh^2(beta sqrt(q) z) at q = 0 gives q' = beta^2 q: rho = 1/T^2, and
    // lambda_AT = 1 - beta^2 (de Almeida and Thouless 1978; models/replica/sk.cpp): both cross at
    // T = 1 (SK 1975).
    const saddle::FixedPointModel& sk = saddle::builtin_registry().get("sk");
    saddle::Point base = sk.default_point();
    const int T = sk.parameter_index("T");
    base.params[sk.parameter_index("h")] = 0.0;
    base.params[sk.parameter_index("J0")] = 0.0;
    base.params[T] = 1.5;
    int at = -1;
    const auto names = sk.observable_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "lambda_AT") at = static_cast<int>(i);
    }
    REQUIRE(at >= 0);
    const ParametricProblem p = saddle::make_parametric_problem(sk, base, T, at);
    for (ContinuationMethod m : {ContinuationMethod::kNatural, ContinuationMethod::kArclength}) {
      CAPTURE(saddle::to_string(m));
      const ContinuationResult r = Continuation(options(m, 1.5, 0.5, 0.01)).run(p, vec({0, 0}));
      INFO(r.summary.brief_report());
      CHECK(r.summary.reason == ContinuationTermination::kReachedEnd);
      check_every_row_converged(p, r);
      for (const auto& row : r.rows) CHECK(row.x[1] == 0.0);  // stays on the paramagnet
      const auto it = points_of(r, PointLabel::kIterationStabilityChange);
      REQUIRE(it.size() == 1);
      CHECK(std::abs(it[0].lambda - 1.0) <= 1e-6);
      const auto th = points_of(r, PointLabel::kThermodynamicStabilityChange);
      REQUIRE(th.size() == 1);
      CHECK(std::abs(th[0].lambda - 1.0) <= 1e-6);
      CHECK(r.rows.back().lambda == 0.5);
    }
  }
}
