// Options validation and the printable names of the solver enums. Messages name the JSON field of
// the "solver" section that users type (tol, max_iter, depth, ...), its value and the rule.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

namespace {

[[noreturn]] void out_of_range(const std::string& field, const std::string& value,
                               const std::string& expected) {
  throw InputError("solver.bad_option", "solver." + field,
                   field + " = " + value + " is out of range; expected " + expected);
}

// The comparisons are written so that NaN fails every check.
void check_open_unit(const std::string& field, double v) {
  if (!(v > 0.0 && v < 1.0)) out_of_range(field, format_number(v), "a number in (0, 1)");
}

void check_half_open_unit(const std::string& field, double v) {
  if (!(v > 0.0 && v <= 1.0)) out_of_range(field, format_number(v), "a number in (0, 1]");
}

void check_greater_than_one(const std::string& field, double v) {
  if (!(v > 1.0)) out_of_range(field, format_number(v), "a number > 1");
}

void check_max_iter(int v) {
  if (v < 1) out_of_range("max_iter", std::to_string(v), "an integer >= 1");
}

template <class Enum, std::size_t N>
Enum enum_from_string(const std::string& s, const std::array<Enum, N>& values,
                      const std::string& field) {
  std::vector<std::string> names;
  for (Enum v : values) {
    if (to_string(v) == s) return v;
    names.push_back(to_string(v));
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError(
      "solver.bad_option", "solver." + field,
      "'" + s + "' is not a valid " + field + "; expected one of " + list + did_you_mean(s, names));
}

constexpr std::array<TerminationReason, 6> kReasons = {
    TerminationReason::kConverged,         TerminationReason::kMaxIterations,
    TerminationReason::kNonFinite,         TerminationReason::kStalled,
    TerminationReason::kLinearSolveFailed, TerminationReason::kLineSearchFailed};
constexpr std::array<JacobianSource, 3> kJacobianSources = {
    JacobianSource::kAuto, JacobianSource::kAnalytic, JacobianSource::kFiniteDifference};
constexpr std::array<NewtonBackend, 2> kBackends = {NewtonBackend::kEigen,
                                                    NewtonBackend::kGslHybrid};
constexpr std::array<SolverMethod, 4> kMethods = {SolverMethod::kAuto, SolverMethod::kDamped,
                                                  SolverMethod::kAnderson, SolverMethod::kNewton};

}  // namespace

std::string to_string(TerminationReason r) {
  switch (r) {
    case TerminationReason::kConverged:
      return "converged";
    case TerminationReason::kMaxIterations:
      return "max_iterations";
    case TerminationReason::kNonFinite:
      return "non_finite";
    case TerminationReason::kStalled:
      return "stalled";
    case TerminationReason::kLinearSolveFailed:
      return "linear_solve_failed";
    case TerminationReason::kLineSearchFailed:
      return "line_search_failed";
  }
  return "unknown";
}

TerminationReason termination_reason_from_string(const std::string& s) {
  return enum_from_string(s, kReasons, "reason");
}

std::string to_string(JacobianSource s) {
  switch (s) {
    case JacobianSource::kAuto:
      return "auto";
    case JacobianSource::kAnalytic:
      return "analytic";
    case JacobianSource::kFiniteDifference:
      return "finite_difference";
  }
  return "unknown";
}

JacobianSource jacobian_source_from_string(const std::string& s) {
  return enum_from_string(s, kJacobianSources, "jacobian");
}

std::string to_string(NewtonBackend b) {
  switch (b) {
    case NewtonBackend::kEigen:
      return "eigen";
    case NewtonBackend::kGslHybrid:
      return "gsl_hybrid";
  }
  return "unknown";
}

NewtonBackend newton_backend_from_string(const std::string& s) {
  return enum_from_string(s, kBackends, "newton_backend");
}

std::string to_string(SolverMethod m) {
  switch (m) {
    case SolverMethod::kAuto:
      return "auto";
    case SolverMethod::kDamped:
      return "damped";
    case SolverMethod::kAnderson:
      return "anderson";
    case SolverMethod::kNewton:
      return "newton";
  }
  return "unknown";
}

SolverMethod solver_method_from_string(const std::string& s) {
  return enum_from_string(s, kMethods, "method");
}

void DampedIteration::Options::validate() const {
  check_open_unit("tol", tol);
  check_max_iter(max_iterations);
  check_half_open_unit("damping", damping);
  // min_damping only matters when the damping adapts; do not reject a default the user never set.
  if (adaptive && !(min_damping > 0.0 && min_damping <= damping)) {
    out_of_range("min_damping", format_number(min_damping),
                 "a number in (0, damping] = (0, " + format_number(damping) + "]");
  }
}

void AndersonAcceleration::Options::validate() const {
  check_open_unit("tol", tol);
  check_max_iter(max_iterations);
  if (depth < 1 || depth > 50)
    out_of_range("depth", std::to_string(depth), "an integer in [1, 50]");
  check_half_open_unit("mixing", mixing);
  check_greater_than_one("max_condition", max_condition);
  check_greater_than_one("restart_factor", restart_factor);
}

void Newton::Options::validate() const {
  check_open_unit("tol", tol);
  check_max_iter(max_iterations);
  if (!(fd_step > 0.0 && fd_step < 0.1)) {
    out_of_range("fd_step", format_number(fd_step), "a number in (0, 0.1)");
  }
  check_open_unit("min_step", min_step);
}

void SolverSettings::validate() const {
  check_open_unit("tol", tol);
  check_max_iter(max_iterations);
  DampedIteration::Options d = damped;
  AndersonAcceleration::Options a = anderson;
  Newton::Options n = newton;
  d.tol = a.tol = n.tol = tol;
  d.validate();
  a.validate();
  n.validate();
}

}  // namespace saddle
