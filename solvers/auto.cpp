// The default "auto" sequence and the dispatch on SolverSettings::method.
//
//   1. Anderson from x0 (a tenth of settings.max_iterations, at least 100). Converged: done.
//   2. Newton from Anderson's best iterate. Converged: done.
//   3. Anderson with mixing 0.3 from the original x0 (same budget): undamped Anderson can be
//      thrown into another basin or a ghost of a fold by a strongly expanding map; damped mixing
//      follows the iteration's own path. Then Newton from its best iterate.
//   4. Adaptive damped iteration from x0 (the remaining budget), then Newton.
// The returned x is the lowest-residual point of all stages.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

namespace {

using Clock = std::chrono::steady_clock;

DampedIteration::Options damped_options(const SolverSettings& s) {
  DampedIteration::Options o = s.damped;
  o.tol = s.tol;
  o.max_iterations = s.max_iterations;
  return o;
}

AndersonAcceleration::Options anderson_options(const SolverSettings& s) {
  AndersonAcceleration::Options o = s.anderson;
  o.tol = s.tol;
  o.max_iterations = s.max_iterations;
  return o;
}

}  // namespace

SolverSummary AutoSolver::solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const {
  settings_.validate();
  // Same check as Newton::solve, made here so that it fails before Anderson does any work.
  if (settings_.newton.jacobian == JacobianSource::kAnalytic && !problem.jacobian) {
    throw InputError("solver.bad_option", "solver.jacobian",
                     "jacobian = analytic, but this problem has no analytic Jacobian; expected "
                     "auto or finite_difference");
  }
  const auto start = Clock::now();

  AndersonAcceleration::Options anderson = anderson_options(settings_);
  DampedIteration::Options damped = damped_options(settings_);
  damped.adaptive = true;
  if (!(damped.min_damping > 0.0 && damped.min_damping <= damped.damping)) {
    damped.min_damping = std::min(damped.damping, DampedIteration::Options().min_damping);
  }
  Newton::Options newton = settings_.newton;
  newton.tol = settings_.tol;
  newton.max_iterations = std::min(newton.max_iterations, settings_.max_iterations);

  const Eigen::VectorXd x0 = x;
  Eigen::VectorXd best_x = x;
  double best_r = std::numeric_limits<double>::infinity();
  SolverSummary total;
  std::string history;  // "anderson: max_iterations (...); newton: ..." for the final message

  auto record = [&](const SolverSummary& stage, const Eigen::VectorXd& stage_x) {
    total.accumulate(stage);
    history += (history.empty() ? "" : "; ") + stage.method + ": " + to_string(stage.reason) +
               (stage.message.empty() ? "" : " (" + stage.message + ")");
    if (stage.residual < best_r || !std::isfinite(best_r)) {
      best_r = stage.residual;
      best_x = stage_x;
    }
    return stage.usable();
  };

  // Budgets: a failing Anderson stage with restarts would otherwise burn the whole budget
  // before the fallbacks get a chance.
  anderson.max_iterations = std::max(std::min(100, settings_.max_iterations), settings_.max_iterations / 10);
  AndersonAcceleration::Options mixed = anderson;
  mixed.mixing = std::min(anderson.mixing, 0.3);
  damped.max_iterations =
      std::max(1, settings_.max_iterations - 2 * anderson.max_iterations);

  Eigen::VectorXd y = x0;
  bool done = record(AndersonAcceleration(anderson).solve(problem, y), y);
  if (!done) {
    done = record(Newton(newton).solve(problem, y), y);  // from Anderson's best iterate
  }
  if (!done) {
    y = x0;
    done = record(AndersonAcceleration(mixed).solve(problem, y), y);
    if (!done) done = record(Newton(newton).solve(problem, y), y);
  }
  if (!done) {
    y = x0;
    done = record(DampedIteration(damped).solve(problem, y), y);
    if (!done) done = record(Newton(newton).solve(problem, y), y);
  }

  x = best_x;
  total.method = "auto[" + total.method + "]";
  total.residual = best_r;
  total.message = done ? "" : history;
  total.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return total;
}

SolverSummary solve_fixed_point(const SolverSettings& settings, const FixedPointProblem& problem,
                                Eigen::VectorXd& x) {
  settings.validate();
  switch (settings.method) {
    case SolverMethod::kAuto:
      return AutoSolver(settings).solve(problem, x);
    case SolverMethod::kDamped:
      return DampedIteration(damped_options(settings)).solve(problem, x);
    case SolverMethod::kAnderson:
      return AndersonAcceleration(anderson_options(settings)).solve(problem, x);
    case SolverMethod::kNewton: {
      Newton::Options o = settings.newton;
      o.tol = settings.tol;
      o.max_iterations = settings.max_iterations;
      return Newton(o).solve(problem, x);
    }
  }
  throw InternalError("solve_fixed_point: unknown method");
}

}  // namespace saddle
