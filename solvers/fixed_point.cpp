// Fixed-point iterations: damped (Picard) iteration and type-II Anderson acceleration.
//
// Anderson follows Walker & Ni, SIAM J. Numer. Anal. 49, 1715 (2011), eqs. (2.1)-(2.2) and the
// "type II" least-squares form of Sec. 3: with g = F(x) - x, f = F(x) and the last k differences
// dG_j = g_{j+1} - g_j, dF_j = f_{j+1} - f_j (so dX = dF - dG),
//   gamma = argmin |g_k - dG gamma|,   x_{k+1} = x_k + beta g_k - (dX + beta dG) gamma.
// The least-squares problem is solved by a column-pivoting Householder QR written over
// preallocated buffers (Eigen's decompositions allocate when the column count changes).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_problem(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                   const std::string& solver) {
  if (!problem.map) throw InternalError(solver + ": the fixed-point problem has no map");
  if (x.size() == 0) throw InternalError(solver + ": the start point is empty");
  if (problem.lower.size() != x.size() || problem.upper.size() != x.size()) {
    throw InternalError(solver + ": the start point has " + std::to_string(x.size()) +
                        " entries but the problem's bounds have " +
                        std::to_string(problem.lower.size()) + " and " +
                        std::to_string(problem.upper.size()));
  }
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    if (!(problem.lower[i] <= problem.upper[i])) {
      throw InternalError(solver + ": empty domain for component " + std::to_string(i));
    }
  }
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

// "residual 3.2e-05 after 2000 iterations", prefixed by the detail of the reason if any.
std::string progress_message(const std::string& detail, double residual, int iterations) {
  std::string s = detail.empty() ? "" : detail + "; ";
  return s + "residual " + short_number(residual) + " after " + std::to_string(iterations) +
         (iterations == 1 ? " iteration" : " iterations");
}

// Least squares min |b - A gamma| for the k leading columns of `a` (rows x k, k <= rows), by
// Householder QR with column pivoting, in place: `a` is overwritten by R and the reflectors, `b`
// by Q^T b, and gamma (size >= k) receives the solution. Returns the guard's condition estimate
// max|R_ii| / min|R_ii| (infinite when a pivot is zero).
double pivoted_least_squares(Eigen::MatrixXd& a, Eigen::Index k, Eigen::VectorXd& b,
                             Eigen::VectorXi& perm, Eigen::VectorXd& workspace,
                             Eigen::VectorXd& gamma) {
  const Eigen::Index rows = a.rows();
  for (Eigen::Index j = 0; j < k; ++j) perm[j] = static_cast<int>(j);
  double max_pivot = 0.0;
  double min_pivot = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < k; ++i) {
    // Exact remaining column norms: k is at most 50, so recomputing is cheap and robust.
    Eigen::Index p = i;
    double largest = -1.0;
    for (Eigen::Index j = i; j < k; ++j) {
      const double norm2 = a.col(j).segment(i, rows - i).squaredNorm();
      if (norm2 > largest) {
        largest = norm2;
        p = j;
      }
    }
    if (p != i) {
      a.col(i).swap(a.col(p));
      std::swap(perm[i], perm[p]);
    }
    double tau = 0.0;
    double beta = 0.0;
    auto column = a.col(i).segment(i, rows - i);
    column.makeHouseholderInPlace(tau, beta);
    a(i, i) = beta;
    const auto essential = a.col(i).segment(i + 1, rows - i - 1);
    if (i + 1 < k) {
      a.block(i, i + 1, rows - i, k - i - 1)
          .applyHouseholderOnTheLeft(essential, tau, workspace.data());
    }
    b.segment(i, rows - i).applyHouseholderOnTheLeft(essential, tau, workspace.data());
    max_pivot = std::max(max_pivot, std::abs(beta));
    min_pivot = std::min(min_pivot, std::abs(beta));
  }
  if (!(min_pivot > 0.0)) return std::numeric_limits<double>::infinity();
  // Back substitution R z = (Q^T b)_{0..k-1}, then undo the column permutation.
  for (Eigen::Index i = k - 1; i >= 0; --i) {
    double s = b[i];
    for (Eigen::Index j = i + 1; j < k; ++j) s -= a(i, j) * b[j];
    b[i] = s / a(i, i);
  }
  for (Eigen::Index j = 0; j < k; ++j) gamma[perm[j]] = b[j];
  return max_pivot / min_pivot;
}

}  // namespace

SolverSummary DampedIteration::solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const {
  options_.validate();
  check_problem(problem, x, "damped");
  const auto start = Clock::now();
  const Options& o = options_;
  SolverSummary s;
  s.method = "damped";

  const Eigen::Index n = x.size();
  Eigen::VectorXd f(n), x_new(n), f_new(n), best_x(n);
  problem.project(x);
  double r = fixed_point_residual(problem, x, f);
  s.map_evaluations = 1;
  s.initial_residual = r;
  best_x = x;
  double best_r = r;
  double lambda = o.damping;
  std::array<double, 8> recent;  // the last accepted residuals (adaptive damping)
  recent.fill(r);
  std::size_t accepted = 0;
  std::string detail;

  if (!std::isfinite(r)) {
    s.reason = TerminationReason::kNonFinite;
    detail = "F is not finite at the start point";
  } else {
    while (true) {
      if (r <= o.tol) {
        s.reason = TerminationReason::kConverged;
        break;
      }
      if (s.iterations >= o.max_iterations) {
        s.reason = TerminationReason::kMaxIterations;
        break;
      }
      x_new = x + lambda * (f - x);
      problem.project(x_new);
      if (x_new == x) {
        s.reason = TerminationReason::kStalled;
        detail = "the projected step is zero (F(x) - x points out of the box)";
        break;
      }
      const double r_new = fixed_point_residual(problem, x_new, f_new);
      ++s.map_evaluations;
      ++s.iterations;
      if (o.adaptive) {
        // "Grew" is judged against the largest of the last few accepted residuals, not the last
        // one: the max-norm residual of a convergent but non-normal iteration can rise for a
        // few steps, and a monotone test would then damp it to a standstill. Equality counts
        // as growth, which breaks cycles between points of equal residual.
        const double reference = *std::max_element(recent.begin(), recent.end());
        if (!(r_new < reference || r_new <= o.tol)) {  // grew, or F not finite: reject
          lambda *= 0.5;
          if (lambda < o.min_damping) {
            if (std::isfinite(r_new)) {
              s.reason = TerminationReason::kStalled;
              detail = "damping fell below min_damping = " + format_number(o.min_damping) +
                       " without decreasing the residual";
            } else {
              s.reason = TerminationReason::kNonFinite;
              detail = "F is not finite even after damping to min_damping = " +
                       format_number(o.min_damping);
            }
            break;
          }
          continue;
        }
        lambda = std::min(o.damping, 1.1 * lambda);
        recent[accepted++ % recent.size()] = r_new;
      } else if (!std::isfinite(r_new)) {
        s.reason = TerminationReason::kNonFinite;
        detail = "F is not finite at iteration " + std::to_string(s.iterations);
        break;
      }
      x.swap(x_new);
      f.swap(f_new);
      r = r_new;
      if (r < best_r) {
        best_r = r;
        best_x = x;
      }
    }
  }

  x = best_x;
  s.residual = best_r;
  if (s.reason != TerminationReason::kConverged) {
    s.message = progress_message(detail, best_r, s.iterations);
  }
  s.elapsed_seconds = seconds_since(start);
  return s;
}

SolverSummary AndersonAcceleration::solve(const FixedPointProblem& problem,
                                          Eigen::VectorXd& x) const {
  options_.validate();
  check_problem(problem, x, "anderson");
  const auto start = Clock::now();
  const Options& o = options_;
  SolverSummary s;
  s.method = "anderson";

  const Eigen::Index n = x.size();
  const int m = o.depth;
  const double beta = o.mixing;
  // Everything the loop touches is allocated here: the history is a ring buffer of m columns.
  Eigen::VectorXd f(n), g(n), x_new(n), f_new(n), best_x(n), best_f(n);
  Eigen::MatrixXd dG(n, m), dF(n, m), work(n, m);
  Eigen::VectorXd rhs(n), gamma(m), workspace(m + 1);
  Eigen::VectorXi perm(m);
  int head = 0;   // slot of the oldest difference
  int count = 0;  // differences stored
  auto slot = [&](int age) { return (head + age) % m; };

  problem.project(x);
  double r = fixed_point_residual(problem, x, f);
  s.map_evaluations = 1;
  s.initial_residual = r;
  g = f - x;
  best_x = x;
  best_f = f;
  double best_r = r;
  int restarts = 0;
  std::string detail;

  if (!std::isfinite(r)) {
    s.reason = TerminationReason::kNonFinite;
    detail = "F is not finite at the start point";
  } else {
    while (true) {
      if (r <= o.tol) {
        s.reason = TerminationReason::kConverged;
        break;
      }
      if (s.iterations >= o.max_iterations) {
        s.reason = TerminationReason::kMaxIterations;
        break;
      }

      // Guard: a rank-k fit needs k <= n; then drop the oldest columns while the least-squares
      // matrix is too ill-conditioned.
      int drop = std::max(0, count - static_cast<int>(n));
      for (; drop < count; ++drop) {
        const int k = count - drop;
        for (int j = 0; j < k; ++j) work.col(j) = dG.col(slot(drop + j));
        rhs = g;
        if (pivoted_least_squares(work, k, rhs, perm, workspace, gamma) <= o.max_condition) break;
      }
      head = (head + drop) % m;
      count -= drop;

      bool used_history = count > 0;
      x_new = x + beta * g;
      for (int j = 0; j < count; ++j) {
        const int c = slot(j);
        x_new -= gamma[j] * (dF.col(c) - (1.0 - beta) * dG.col(c));
      }
      problem.project(x_new);
      if (used_history && x_new == x) {  // extrapolation went nowhere: forget it
        count = 0;
        used_history = false;
        x_new = x + beta * g;
        problem.project(x_new);
      }
      if (x_new == x) {
        s.reason = TerminationReason::kStalled;
        detail = "the projected step is zero (F(x) - x points out of the box)";
        break;
      }

      const double r_new = fixed_point_residual(problem, x_new, f_new);
      ++s.map_evaluations;
      ++s.iterations;
      if (used_history && !(r_new <= o.restart_factor * best_r)) {
        // The extrapolation blew up (or left the region where F is finite): restart from the
        // best iterate with a plain damped step.
        ++restarts;
        count = 0;
        x = best_x;
        f = best_f;
        g = f - x;
        r = best_r;
        continue;
      }
      if (!std::isfinite(r_new)) {
        s.reason = TerminationReason::kNonFinite;
        detail = "F is not finite at iteration " + std::to_string(s.iterations);
        break;
      }

      int c;
      if (count < m) {
        c = slot(count);
        ++count;
      } else {
        c = head;
        head = (head + 1) % m;
      }
      dF.col(c) = f_new - f;
      dG.col(c) = (f_new - x_new) - g;
      x.swap(x_new);
      f.swap(f_new);
      g = f - x;
      r = r_new;
      if (r < best_r) {
        best_r = r;
        best_x = x;
        best_f = f;
      }
    }
  }

  x = best_x;
  s.residual = best_r;
  if (s.reason != TerminationReason::kConverged) {
    if (restarts > 0) {
      detail += (detail.empty() ? "" : ", ") + std::to_string(restarts) +
                (restarts == 1 ? " restart" : " restarts");
    }
    s.message = progress_message(detail, best_r, s.iterations);
  }
  s.elapsed_seconds = seconds_since(start);
  return s;
}

}  // namespace saddle
