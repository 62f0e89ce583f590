// Continuation: enum names, Options validation and the Summary reports. Messages name the field of
// the spec's "task" section ("task.step"), its value and the rule.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "saddle/continuation.hpp"
#include "saddle/error.hpp"

namespace saddle {

namespace {

[[noreturn]] void out_of_range(const std::string& field, const std::string& value,
                               const std::string& expected) {
  throw InputError("continuation.bad_option", "task." + field,
                   field + " = " + value + " is out of range; expected " + expected);
}

// The comparisons are written so that NaN fails every check.
void check_open_unit(const std::string& field, double v) {
  if (!(v > 0.0 && v < 1.0)) out_of_range(field, format_number(v), "a number in (0, 1)");
}

void check_at_least(const std::string& field, int v, int minimum) {
  if (v < minimum)
    out_of_range(field, std::to_string(v), "an integer >= " + std::to_string(minimum));
}

template <class Enum, std::size_t N>
Enum enum_from_string(const std::string& s, const std::array<Enum, N>& values,
                      const std::string& where, const std::string& what) {
  std::vector<std::string> names;
  for (Enum v : values) {
    if (to_string(v) == s) return v;
    names.push_back(to_string(v));
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError(
      "continuation.bad_option", where,
      "'" + s + "' is not a valid " + what + "; expected one of " + list + did_you_mean(s, names));
}

constexpr std::array<ContinuationMethod, 2> kMethods = {ContinuationMethod::kNatural,
                                                        ContinuationMethod::kArclength};
constexpr std::array<PointLabel, 7> kLabels = {PointLabel::kNone,
                                               PointLabel::kStart,
                                               PointLabel::kEnd,
                                               PointLabel::kFold,
                                               PointLabel::kMilestone,
                                               PointLabel::kIterationStabilityChange,
                                               PointLabel::kThermodynamicStabilityChange};
constexpr std::array<ContinuationTermination, 6> kReasons = {
    ContinuationTermination::kReachedEnd,  ContinuationTermination::kReturnedToFrom,
    ContinuationTermination::kMinStep,     ContinuationTermination::kMaxPoints,
    ContinuationTermination::kStartFailed, ContinuationTermination::kLeftDomain};

std::string printf_string(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// "0.12 ms", "12.3 ms", "1.23 s" (as in the fixed-point solvers' reports).
std::string format_duration(double seconds) {
  const double ms = seconds * 1e3;
  if (ms < 1.0) return printf_string("%.2g", ms) + " ms";
  if (ms < 1e3) return printf_string("%.3g", ms) + " ms";
  if (seconds < 1e3) return printf_string("%.3g", seconds) + " s";
  return printf_string("%.0f", seconds) + " s";
}

std::string plural(int n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string to_string(ContinuationMethod m) {
  switch (m) {
    case ContinuationMethod::kNatural:
      return "natural";
    case ContinuationMethod::kArclength:
      return "arclength";
  }
  return "unknown";
}

ContinuationMethod continuation_method_from_string(const std::string& s) {
  return enum_from_string(s, kMethods, "task.method", "method");
}

std::string to_string(PointLabel l) {
  switch (l) {
    case PointLabel::kNone:
      return "";
    case PointLabel::kStart:
      return "start";
    case PointLabel::kEnd:
      return "end";
    case PointLabel::kFold:
      return "fold";
    case PointLabel::kMilestone:
      return "milestone";
    case PointLabel::kIterationStabilityChange:
      return "iteration_stability_change";
    case PointLabel::kThermodynamicStabilityChange:
      return "thermodynamic_stability_change";
  }
  return "unknown";
}

PointLabel point_label_from_string(const std::string& s) {
  return enum_from_string(s, kLabels, "label", "label");
}

std::string to_string(ContinuationTermination r) {
  switch (r) {
    case ContinuationTermination::kReachedEnd:
      return "reached_end";
    case ContinuationTermination::kReturnedToFrom:
      return "returned_to_from";
    case ContinuationTermination::kMinStep:
      return "min_step";
    case ContinuationTermination::kMaxPoints:
      return "max_points";
    case ContinuationTermination::kStartFailed:
      return "start_failed";
    case ContinuationTermination::kLeftDomain:
      return "left_domain";
  }
  return "unknown";
}

ContinuationTermination continuation_termination_from_string(const std::string& s) {
  return enum_from_string(s, kReasons, "reason", "reason");
}

SolverSettings default_continuation_solver() {
  SolverSettings s;
  s.method = SolverMethod::kNewton;
  s.max_iterations = 50;
  return s;
}

double Continuation::Options::resolved_step() const {
  return step ? *step : std::fabs(to - from) / 100.0;
}

double Continuation::Options::resolved_min_step() const {
  if (min_step) return *min_step;
  const double s = resolved_step();
  return std::min(s, std::max(1e-6 * s, 1e-10));
}

double Continuation::Options::resolved_max_step() const {
  return max_step ? *max_step : 10.0 * resolved_step();
}

Continuation::Options Continuation::Options::resolved() const {
  Options o = *this;
  o.step = resolved_step();
  o.min_step = resolved_min_step();
  o.max_step = resolved_max_step();
  return o;
}

void Continuation::Options::validate() const {
  if (!std::isfinite(from)) out_of_range("from", format_number(from), "a finite number");
  if (!std::isfinite(to)) out_of_range("to", format_number(to), "a finite number");
  if (to == from) {
    out_of_range("to", format_number(to), "a number different from from = " + format_number(from));
  }
  if (step && !(*step > 0.0 && std::isfinite(*step))) {
    out_of_range("step", format_number(*step), "a finite number > 0");
  }
  const double s = resolved_step();
  if (min_step && !(*min_step > 0.0 && *min_step <= s)) {
    out_of_range("min_step", format_number(*min_step),
                 "a number in (0, step] = (0, " + format_number(s) + "]");
  }
  if (max_step && !(*max_step >= s && std::isfinite(*max_step))) {
    out_of_range("max_step", format_number(*max_step),
                 "a finite number >= step = " + format_number(s));
  }
  check_at_least("max_points", max_points, 2);
  check_open_unit("tol", tol);
  check_at_least("max_corrector_iterations", max_corrector_iterations, 1);
  check_at_least("easy_iterations", easy_iterations, 0);
  if (!(grow >= 1.0 && std::isfinite(grow))) {
    out_of_range("grow", format_number(grow), "a finite number >= 1");
  }
  check_open_unit("shrink", shrink);
  if (!(max_angle_deg > 0.0 && max_angle_deg <= 90.0)) {
    out_of_range("max_angle_deg", format_number(max_angle_deg), "a number in (0, 90]");
  }
  check_open_unit("fold_tol", fold_tol);
  check_open_unit("stability_tol", stability_tol);
  if (!(fd_step > 0.0 && fd_step < 0.1)) {
    out_of_range("fd_step", format_number(fd_step), "a number in (0, 0.1)");
  }
  const double lo = std::min(from, to), hi = std::max(from, to);
  for (std::size_t i = 0; i < milestones.size(); ++i) {
    const double m = milestones[i];
    if (!(m >= lo && m <= hi)) {
      out_of_range(
          "milestones[" + std::to_string(i) + "]", format_number(m),
          "a number between from = " + format_number(from) + " and to = " + format_number(to));
    }
  }
  SolverSettings corrector = solver;
  corrector.tol = tol;
  corrector.validate();
}

std::string ContinuationSummary::brief_report() const {
  std::string s = to_string(method) + ": " + to_string(reason);
  if (points > 0) s += " at " + parameter + " = " + printf_string("%.10g", lambda_last);
  s += ", " + plural(points, "row", "rows") + " (" + plural(folds, "fold", "folds") + ", " +
       plural(stability_changes, "stability change", "stability changes") + "), " +
       plural(steps_rejected, "rejected step", "rejected steps") + ", " +
       plural(map_evaluations, "map evaluation", "map evaluations") + ", max residual " +
       printf_string("%.2g", max_residual) + ", " + format_duration(elapsed_seconds);
  if (!message.empty()) s += " (" + message + ")";
  return s;
}

std::string ContinuationSummary::full_report() const {
  auto row = [](const std::string& name, const std::string& value) {
    std::string line = name;
    line.resize(24, ' ');
    return line + value + "\n";
  };
  std::string s;
  s += row("method", to_string(method));
  s += row("reason", to_string(reason));
  s += row("usable", usable() ? "yes" : "no");
  s += row("complete", complete() ? "yes" : "no");
  s += row("parameter", parameter);
  s += row("lambda start", format_number(lambda_start));
  s += row("lambda last", format_number(lambda_last));
  s += row("rows", std::to_string(points));
  s += row("folds", std::to_string(folds));
  s += row("stability changes", std::to_string(stability_changes));
  s += row("steps accepted", std::to_string(steps_accepted));
  s += row("steps rejected", std::to_string(steps_rejected));
  s += row("corrector failures", std::to_string(corrector_failures));
  s += row("angle rejections", std::to_string(angle_rejections));
  s += row("corrector iterations", std::to_string(corrector_iterations));
  s += row("map evaluations", std::to_string(map_evaluations));
  s += row("jacobian evaluations", std::to_string(jacobian_evaluations));
  s += row("final step", format_number(final_step));
  s += row("max residual", format_number(max_residual));
  s += row("elapsed seconds", printf_string("%.6g", elapsed_seconds));
  s += row("message", message.empty() ? "-" : message);
  return s;
}

}  // namespace saddle
