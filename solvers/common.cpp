// Pieces shared by every solver: the box projection, the residual, and the Summary reports.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

namespace {

std::string printf_string(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// "0.12 ms", "12.3 ms", "1.23 s": short enough for one-line reports.
std::string format_duration(double seconds) {
  const double ms = seconds * 1e3;
  if (ms < 1.0) return printf_string("%.2g", ms) + " ms";
  if (ms < 1e3) return printf_string("%.3g", ms) + " ms";
  if (seconds < 1e3) return printf_string("%.3g", seconds) + " s";
  return printf_string("%.0f", seconds) + " s";
}

}  // namespace

void FixedPointProblem::project(Eigen::VectorXd& x) const {
  if (lower.size() != x.size() || upper.size() != x.size()) {
    throw InternalError("FixedPointProblem::project: x has " + std::to_string(x.size()) +
                        " entries but the bounds have " + std::to_string(lower.size()) + " and " +
                        std::to_string(upper.size()));
  }
  for (Eigen::Index i = 0; i < x.size(); ++i) x[i] = std::min(std::max(x[i], lower[i]), upper[i]);
}

double fixed_point_residual(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                            Eigen::VectorXd& fx) {
  fx.resize(x.size());  // no allocation when fx already has the right size
  problem.map(x, fx);
  if (fx.size() != x.size()) {
    throw InternalError("fixed-point map returned " + std::to_string(fx.size()) +
                        " values for a point of dimension " + std::to_string(x.size()));
  }
  // A non-finite F gives an infinite residual, so that it never compares as an improvement.
  double r = 0.0;
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    const double d = std::abs(fx[i] - x[i]);
    if (!std::isfinite(d)) return std::numeric_limits<double>::infinity();
    r = std::max(r, d);
  }
  return r;
}

std::string SolverSummary::brief_report() const {
  std::string s = method + ": " + to_string(reason) + ", " + std::to_string(iterations) +
                  (iterations == 1 ? " iteration, " : " iterations, ") +
                  std::to_string(map_evaluations) +
                  (map_evaluations == 1 ? " map evaluation, " : " map evaluations, ");
  if (jacobian_evaluations > 0) {
    s += std::to_string(jacobian_evaluations) +
         (jacobian_evaluations == 1 ? " jacobian evaluation, " : " jacobian evaluations, ");
  }
  s += "residual " + printf_string("%.2g", residual) + ", " + format_duration(elapsed_seconds);
  if (!message.empty()) s += " (" + message + ")";
  return s;
}

std::string SolverSummary::full_report() const {
  auto row = [](const std::string& name, const std::string& value) {
    std::string line = name;
    line.resize(22, ' ');
    return line + value + "\n";
  };
  std::string s;
  s += row("method", method);
  s += row("reason", to_string(reason));
  s += row("usable", usable() ? "yes" : "no");
  s += row("iterations", std::to_string(iterations));
  s += row("map evaluations", std::to_string(map_evaluations));
  s += row("jacobian evaluations", std::to_string(jacobian_evaluations));
  s += row("initial residual", format_number(initial_residual));
  s += row("residual", format_number(residual));
  s += row("elapsed seconds", printf_string("%.6g", elapsed_seconds));
  s += row("message", message.empty() ? "-" : message);
  return s;
}

void SolverSummary::accumulate(const SolverSummary& later) {
  if (method.empty()) {
    *this = later;
    return;
  }
  method += ">" + later.method;
  reason = later.reason;
  iterations += later.iterations;
  map_evaluations += later.map_evaluations;
  jacobian_evaluations += later.jacobian_evaluations;
  residual = later.residual;
  elapsed_seconds += later.elapsed_seconds;
  message = later.message;
}

}  // namespace saddle
