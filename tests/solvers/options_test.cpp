// Options validation (exact user-facing texts), enum names, and the Summary reports.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

using saddle::AndersonAcceleration;
using saddle::DampedIteration;
using saddle::InputError;
using saddle::Newton;
using saddle::SolverSettings;
using saddle::SolverSummary;
using saddle::TerminationReason;

namespace {

// Runs f, which must throw InputError; returns it for inspection.
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

TEST_CASE("solver options: validate names the field, the value and the rule") {
  SUBCASE("depth") {
    AndersonAcceleration::Options o;
    o.depth = 0;
    const InputError e = input_error_of([&] { o.validate(); });
    CHECK(e.id() == "solver.bad_option");
    CHECK(e.where() == "solver.depth");
    CHECK(std::string(e.what()) ==
          "solver.depth: depth = 0 is out of range; expected an integer in [1, 50]");
  }
  SUBCASE("tol") {
    DampedIteration::Options o;
    o.tol = 0.0;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.tol: tol = 0 is out of range; expected a number in (0, 1)");
    o.tol = std::numeric_limits<double>::quiet_NaN();
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.tol: tol = nan is out of range; expected a number in (0, 1)");
  }
  SUBCASE("max_iter") {
    Newton::Options o;
    o.max_iterations = 0;
    const InputError e = input_error_of([&] { o.validate(); });
    CHECK(e.where() == "solver.max_iter");
    CHECK(std::string(e.what()) ==
          "solver.max_iter: max_iter = 0 is out of range; expected an integer >= 1");
  }
  SUBCASE("damping and min_damping") {
    DampedIteration::Options o;
    o.damping = 1.5;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.damping: damping = 1.5 is out of range; expected a number in (0, 1]");
    o.damping = 0.5;
    o.min_damping = 0.8;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.min_damping: min_damping = 0.8 is out of range; expected a number in "
          "(0, damping] = (0, 0.5]");
    o.adaptive = false;  // min_damping is unused then
    CHECK_NOTHROW(o.validate());
  }
  SUBCASE("anderson mixing, max_condition, restart_factor") {
    AndersonAcceleration::Options o;
    o.mixing = 0.0;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.mixing: mixing = 0 is out of range; expected a number in (0, 1]");
    o.mixing = 1.0;
    o.max_condition = 1.0;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.max_condition: max_condition = 1 is out of range; expected a number > 1");
    o.max_condition = 1e10;
    o.restart_factor = 0.5;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.restart_factor: restart_factor = 0.5 is out of range; expected a number > 1");
  }
  SUBCASE("newton fd_step and min_step") {
    Newton::Options o;
    o.fd_step = 0.5;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.fd_step: fd_step = 0.5 is out of range; expected a number in (0, 0.1)");
    o.fd_step = 1e-6;
    o.min_step = 1.0;
    CHECK(std::string(input_error_of([&] { o.validate(); }).what()) ==
          "solver.min_step: min_step = 1 is out of range; expected a number in (0, 1)");
  }
  SUBCASE("defaults are valid") {
    CHECK_NOTHROW(DampedIteration::Options().validate());
    CHECK_NOTHROW(AndersonAcceleration::Options().validate());
    CHECK_NOTHROW(Newton::Options().validate());
    CHECK_NOTHROW(SolverSettings().validate());
  }
}

TEST_CASE("solver settings: tol overrides nested options, the rest is validated") {
  SolverSettings s;
  s.anderson.tol = 5.0;  // overridden by s.tol
  CHECK_NOTHROW(s.validate());
  s.tol = 2.0;
  CHECK(std::string(input_error_of([&] { s.validate(); }).what()) ==
        "solver.tol: tol = 2 is out of range; expected a number in (0, 1)");
  s.tol = 1e-10;
  s.max_iterations = -3;
  CHECK(std::string(input_error_of([&] { s.validate(); }).what()) ==
        "solver.max_iter: max_iter = -3 is out of range; expected an integer >= 1");
  s.max_iterations = 100;
  s.anderson.depth = 99;
  CHECK(input_error_of([&] { s.validate(); }).where() == "solver.depth");
}

TEST_CASE("solver enums: names round-trip; unknown names list the valid ones") {
  using saddle::JacobianSource;
  using saddle::NewtonBackend;
  using saddle::SolverMethod;
  for (auto m : {SolverMethod::kAuto, SolverMethod::kDamped, SolverMethod::kAnderson,
                 SolverMethod::kNewton}) {
    CHECK(saddle::solver_method_from_string(saddle::to_string(m)) == m);
  }
  for (auto j :
       {JacobianSource::kAuto, JacobianSource::kAnalytic, JacobianSource::kFiniteDifference}) {
    CHECK(saddle::jacobian_source_from_string(saddle::to_string(j)) == j);
  }
  for (auto b : {NewtonBackend::kEigen, NewtonBackend::kGslHybrid}) {
    CHECK(saddle::newton_backend_from_string(saddle::to_string(b)) == b);
  }
  for (auto r : {TerminationReason::kConverged, TerminationReason::kMaxIterations,
                 TerminationReason::kNonFinite, TerminationReason::kStalled,
                 TerminationReason::kLinearSolveFailed, TerminationReason::kLineSearchFailed}) {
    CHECK(saddle::termination_reason_from_string(saddle::to_string(r)) == r);
  }
  CHECK(saddle::to_string(TerminationReason::kMaxIterations) == "max_iterations");
  CHECK(saddle::to_string(NewtonBackend::kGslHybrid) == "gsl_hybrid");

  const InputError e = input_error_of([] { saddle::solver_method_from_string("andersen"); });
  CHECK(e.id() == "solver.bad_option");
  CHECK(std::string(e.what()) ==
        "solver.method: 'andersen' is not a valid method; expected one of auto, damped, "
        "anderson, newton (did you mean 'anderson'?)");
  CHECK(std::string(input_error_of([] { saddle::newton_backend_from_string("gsl"); }).what()) ==
        "solver.newton_backend: 'gsl' is not a valid newton_backend; expected one of eigen, "
        "gsl_hybrid");
  CHECK(std::string(input_error_of([] {
                      saddle::jacobian_source_from_string("finite_diference");
                    }).what()) ==
        "solver.jacobian: 'finite_diference' is not a valid jacobian; expected one of auto, "
        "analytic, finite_difference (did you mean 'finite_difference'?)");
}

TEST_CASE("solver summary: brief and full reports, accumulate") {
  SolverSummary a;
  a.method = "anderson";
  a.reason = TerminationReason::kConverged;
  a.iterations = 23;
  a.map_evaluations = 24;
  a.initial_residual = 0.5;
  a.residual = 3.1e-14;
  a.elapsed_seconds = 0.12e-3;
  CHECK(a.usable());
  CHECK(a.brief_report() ==
        "anderson: converged, 23 iterations, 24 map evaluations, residual 3.1e-14, 0.12 ms");

  SolverSummary d;
  d.method = "damped";
  d.reason = TerminationReason::kMaxIterations;
  d.iterations = 2000;
  d.map_evaluations = 2001;
  d.residual = 3.2e-5;
  d.elapsed_seconds = 0.0123;
  d.message = "residual 3.2e-05 after 2000 iterations";
  CHECK_FALSE(d.usable());
  CHECK(d.brief_report() ==
        "damped: max_iterations, 2000 iterations, 2001 map evaluations, residual 3.2e-05, "
        "12.3 ms (residual 3.2e-05 after 2000 iterations)");

  const std::string full = d.full_report();
  CHECK(full.find("reason                max_iterations\n") != std::string::npos);
  CHECK(full.find("map evaluations       2001\n") != std::string::npos);
  CHECK(full.find("residual              3.2e-05\n") != std::string::npos);
  CHECK(full.find("message               residual 3.2e-05 after 2000 iterations\n") !=
        std::string::npos);

  SolverSummary n;
  n.method = "newton";
  n.reason = TerminationReason::kConverged;
  n.iterations = 3;
  n.map_evaluations = 10;
  n.jacobian_evaluations = 3;
  n.residual = 1e-15;
  n.elapsed_seconds = 0.001;
  SolverSummary total = d;
  total.accumulate(n);
  CHECK(total.method == "damped>newton");
  CHECK(total.reason == TerminationReason::kConverged);
  CHECK(total.iterations == 2003);
  CHECK(total.map_evaluations == 2011);
  CHECK(total.jacobian_evaluations == 3);
  CHECK(total.residual == doctest::Approx(1e-15).epsilon(1e-12));
  CHECK(total.elapsed_seconds == doctest::Approx(0.0133).epsilon(1e-12));
  CHECK(total.message.empty());
  CHECK(total.brief_report().find("3 jacobian evaluations") != std::string::npos);

  SolverSummary empty;
  empty.accumulate(a);
  CHECK(empty.method == "anderson");
  CHECK(empty.initial_residual == doctest::Approx(0.5).epsilon(1e-15));
}
