// Newton's method on R(x) = F(x) - x, the Jacobian dF/dx (analytic or central differences) and the
// spectral radius of dF/dx.
//
// Eigen backend: J_R = dF/dx - I, factorised by ColPivHouseholderQR; the step solves J_R dx = -R
// through the stored reflectors, so the loop allocates nothing. Backtracking line search on
// phi = |R|^2 / 2 with the Armijo condition phi(x + t dx) <= (1 - 2 c t) phi(x) (c = 1e-4; the
// directional derivative of phi along an exact Newton step is -2 phi), every trial projected into
// the box.
//
// GSL backend: gsl_multiroot_fdfsolver_hybridsj (Powell's hybrid dogleg with our Jacobian, scaled).
// GSL knows no bounds, so it solves R~(y) = F(P(y)) - y with P the box projection: when F maps
// the box into itself (the usual case: q = E[...] in [0, 1]), every root y is inside the box and
// a fixed point of F. Residuals are measured at P(y), as for every other solver. hybridsj has no
// way to back off from a point where F is not finite (GSL_EBADFUNC ends its run: kNonFinite);
// feeding it a large finite residual instead corrupts its Broyden updates. Prefer the Eigen
// backend for maps with such regions.
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multiroots.h>
#include <gsl/gsl_vector.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <string>

#include "saddle/error.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kInfinity = std::numeric_limits<double>::infinity();

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_problem(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                   const std::string& solver) {
  if (!problem.map) throw InternalError(solver + ": the fixed-point problem has no map");
  if (x.size() == 0) throw InternalError(solver + ": the point is empty");
  if (problem.lower.size() != x.size() || problem.upper.size() != x.size()) {
    throw InternalError(solver + ": the point has " + std::to_string(x.size()) +
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

[[noreturn]] void throw_no_analytic_jacobian() {
  throw InputError("solver.bad_option", "solver.jacobian",
                   "jacobian = analytic, but this problem has no analytic Jacobian; expected "
                   "auto or finite_difference");
}

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

std::string progress_message(const std::string& detail, double residual, int iterations) {
  std::string s = detail.empty() ? "" : detail + "; ";
  return s + "residual " + short_number(residual) + " after " + std::to_string(iterations) +
         (iterations == 1 ? " iteration" : " iterations");
}

// Buffers of the finite-difference Jacobian, allocated once per solve.
struct JacobianWork {
  explicit JacobianWork(Eigen::Index n) : xw(n), f0(n), f1(n), f2(n) {}
  Eigen::VectorXd xw, f0, f1, f2;
};

// dF/dx at x (x inside the box) into jac (n x n). Central differences with
// h_i = fd_step max(1, |x_i|), shrunk to a quarter of the box width when the box is narrow; at a
// bound, the second-order one-sided formula (+-3 F(x) -+ 4 F(x +- h) +- F(x +- 2h)) / 2h keeps
// every evaluation inside the box (F(x) is then evaluated once, lazily).
void jacobian_into(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                   JacobianSource source, double fd_step, Eigen::MatrixXd& jac, JacobianWork& w,
                   int* evaluations) {
  const Eigen::Index n = x.size();
  if (source != JacobianSource::kFiniteDifference && problem.jacobian) {
    jac.resize(n, n);
    if (problem.jacobian(x, jac)) {
      if (jac.rows() != n || jac.cols() != n) {
        throw InternalError("analytic Jacobian has shape " + std::to_string(jac.rows()) + "x" +
                            std::to_string(jac.cols()) + " for dimension " + std::to_string(n));
      }
      return;
    }
  }
  if (source == JacobianSource::kAnalytic) throw_no_analytic_jacobian();

  jac.resize(n, n);
  int count = 0;
  bool have_f0 = false;
  w.xw = x;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double xi = x[i];
    const double lo = problem.lower[i];
    const double hi = problem.upper[i];
    double h = fd_step * std::max(1.0, std::abs(xi));
    h = std::min(h, 0.25 * (hi - lo));  // inf when unbounded
    if (!(h > 0.0)) {  // a pinned component: F does not vary along it inside the box
      jac.col(i).setZero();
      continue;
    }
    if (xi - h >= lo && xi + h <= hi) {
      const double xp = xi + h;
      const double xm = xi - h;
      w.xw[i] = xp;
      problem.map(w.xw, w.f1);
      w.xw[i] = xm;
      problem.map(w.xw, w.f2);
      count += 2;
      jac.col(i) = (w.f1 - w.f2) / (xp - xm);  // the representable step, not 2h
    } else {
      if (!have_f0) {
        problem.map(x, w.f0);
        ++count;
        have_f0 = true;
      }
      const double dir = (xi + h > hi) ? -1.0 : 1.0;  // step away from the violated bound
      w.xw[i] = xi + dir * h;
      problem.map(w.xw, w.f1);
      w.xw[i] = xi + dir * 2.0 * h;
      problem.map(w.xw, w.f2);
      count += 2;
      jac.col(i) = dir * (-3.0 * w.f0 + 4.0 * w.f1 - w.f2) / (2.0 * h);
    }
    w.xw[i] = xi;
  }
  if (evaluations != nullptr) *evaluations += count;
}

// GSL's default error handler aborts the process. Solvers check every GSL return code, so the
// handler is switched off. gsl_set_error_handler_off() sets a process-wide variable; doing it once
// (std::call_once) keeps concurrent solves from racing on it. This affects every GSL user in the
// process, which then must check return codes too (the saddle convention anyway).
void disable_gsl_error_handler() {
  static std::once_flag once;
  std::call_once(once, [] { gsl_set_error_handler_off(); });
}

struct GslContext {
  GslContext(const FixedPointProblem& p, const Newton::Options& o, Eigen::Index n)
      : problem(p),
        options(o),
        xp(n),
        fx(n),
        last_x(n),
        last_fx(n),
        best_x(n),
        jac(n, n),
        work(n) {}
  const FixedPointProblem& problem;
  const Newton::Options& options;
  Eigen::VectorXd xp, fx;
  // The last point evaluated, so that gsl_multiroot_fdfsolver_set does not re-evaluate x0.
  Eigen::VectorXd last_x, last_fx;
  double last_r = kInfinity;
  bool have_last = false;
  Eigen::VectorXd best_x;
  double best_r = kInfinity;
  Eigen::MatrixXd jac;
  JacobianWork work;
  int map_evaluations = 0;
  int jacobian_evaluations = 0;
  std::exception_ptr error;  // exceptions must not unwind through GSL's C frames
};

int gsl_residual(const gsl_vector* y, void* params, gsl_vector* out) {
  auto& c = *static_cast<GslContext*>(params);
  try {
    for (Eigen::Index i = 0; i < c.xp.size(); ++i) c.xp[i] = gsl_vector_get(y, i);
    c.problem.project(c.xp);
    double r;
    if (c.have_last && c.xp == c.last_x) {
      c.fx = c.last_fx;
      r = c.last_r;
    } else {
      r = fixed_point_residual(c.problem, c.xp, c.fx);
      ++c.map_evaluations;
      c.last_x = c.xp;
      c.last_fx = c.fx;
      c.last_r = r;
      c.have_last = true;
    }
    if (!std::isfinite(r)) return GSL_EBADFUNC;
    if (r < c.best_r) {
      c.best_r = r;
      c.best_x = c.xp;
    }
    for (Eigen::Index i = 0; i < c.xp.size(); ++i) {
      gsl_vector_set(out, i, c.fx[i] - gsl_vector_get(y, i));
    }
    return GSL_SUCCESS;
  } catch (...) {
    c.error = std::current_exception();
    return GSL_EFAILED;
  }
}

int gsl_jacobian(const gsl_vector* y, void* params, gsl_matrix* out) {
  auto& c = *static_cast<GslContext*>(params);
  try {
    const Eigen::Index n = c.xp.size();
    for (Eigen::Index i = 0; i < n; ++i) c.xp[i] = gsl_vector_get(y, i);
    c.problem.project(c.xp);
    jacobian_into(c.problem, c.xp, c.options.jacobian, c.options.fd_step, c.jac, c.work,
                  &c.map_evaluations);
    ++c.jacobian_evaluations;
    if (!c.jac.allFinite()) return GSL_EBADFUNC;
    for (Eigen::Index j = 0; j < n; ++j) {
      const double yj = gsl_vector_get(y, j);
      // dP_j/dy_j is 0 outside the box.
      const bool clipped = yj < c.problem.lower[j] || yj > c.problem.upper[j];
      for (Eigen::Index i = 0; i < n; ++i) {
        gsl_matrix_set(out, i, j, (clipped ? 0.0 : c.jac(i, j)) - (i == j ? 1.0 : 0.0));
      }
    }
    return GSL_SUCCESS;
  } catch (...) {
    c.error = std::current_exception();
    return GSL_EFAILED;
  }
}

int gsl_residual_and_jacobian(const gsl_vector* y, void* params, gsl_vector* out, gsl_matrix* jac) {
  const int status = gsl_residual(y, params, out);
  if (status != GSL_SUCCESS) return status;
  return gsl_jacobian(y, params, jac);
}

struct GslSolverDeleter {
  void operator()(gsl_multiroot_fdfsolver* s) const { gsl_multiroot_fdfsolver_free(s); }
};
struct GslVectorDeleter {
  void operator()(gsl_vector* v) const { gsl_vector_free(v); }
};

SolverSummary solve_gsl_hybrid(const Newton::Options& o, const FixedPointProblem& problem,
                               Eigen::VectorXd& x) {
  const auto start = Clock::now();
  SolverSummary s;
  s.method = "newton(gsl_hybrid)";
  const Eigen::Index n = x.size();
  disable_gsl_error_handler();

  GslContext c(problem, o, n);
  problem.project(x);
  c.last_r = fixed_point_residual(problem, x, c.last_fx);
  c.last_x = x;
  c.have_last = true;
  c.map_evaluations = 1;
  c.best_x = x;
  c.best_r = c.last_r;
  s.initial_residual = c.last_r;
  std::string detail;

  if (!std::isfinite(c.best_r)) {
    s.reason = TerminationReason::kNonFinite;
    detail = "F is not finite at the start point";
  } else if (c.best_r <= o.tol) {
    s.reason = TerminationReason::kConverged;
  } else {
    std::unique_ptr<gsl_vector, GslVectorDeleter> y(gsl_vector_alloc(n));
    std::unique_ptr<gsl_multiroot_fdfsolver, GslSolverDeleter> solver(
        gsl_multiroot_fdfsolver_alloc(gsl_multiroot_fdfsolver_hybridsj, n));
    if (!y || !solver) throw InternalError("newton(gsl_hybrid): GSL allocation failed");
    for (Eigen::Index i = 0; i < n; ++i) gsl_vector_set(y.get(), i, x[i]);
    gsl_multiroot_function_fdf fdf{&gsl_residual, &gsl_jacobian, &gsl_residual_and_jacobian,
                                   static_cast<std::size_t>(n), &c};
    int status = gsl_multiroot_fdfsolver_set(solver.get(), &fdf, y.get());
    while (true) {
      if (c.error) std::rethrow_exception(c.error);
      if (c.best_r <= o.tol) {
        s.reason = TerminationReason::kConverged;
        break;
      }
      if (status == GSL_EBADFUNC) {
        s.reason = TerminationReason::kNonFinite;
        detail =
            "F or its Jacobian is not finite at a point GSL tried (hybridsj cannot back off from "
            "it)";
        break;
      }
      if (status != GSL_SUCCESS) {
        s.reason = TerminationReason::kStalled;
        detail = std::string("GSL hybridsj: ") + gsl_strerror(status);
        break;
      }
      if (s.iterations >= o.max_iterations) {
        s.reason = TerminationReason::kMaxIterations;
        break;
      }
      status = gsl_multiroot_fdfsolver_iterate(solver.get());
      ++s.iterations;
    }
  }

  x = c.best_x;
  s.residual = c.best_r;
  s.map_evaluations = c.map_evaluations;
  s.jacobian_evaluations = c.jacobian_evaluations;
  if (s.reason != TerminationReason::kConverged) {
    s.message = progress_message(detail, c.best_r, s.iterations);
  }
  s.elapsed_seconds = seconds_since(start);
  return s;
}

}  // namespace

Eigen::MatrixXd map_jacobian(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                             JacobianSource source, double fd_step, int* evaluations) {
  Newton::Options o;
  o.fd_step = fd_step;
  o.validate();
  check_problem(problem, x, "map_jacobian");
  Eigen::VectorXd xp = x;
  problem.project(xp);
  Eigen::MatrixXd jac(x.size(), x.size());
  JacobianWork work(x.size());
  jacobian_into(problem, xp, source, fd_step, jac, work, evaluations);
  return jac;
}

double spectral_radius(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                       JacobianSource source, double fd_step, int* evaluations) {
  const Eigen::MatrixXd jac = map_jacobian(problem, x, source, fd_step, evaluations);
  if (!jac.allFinite()) return std::numeric_limits<double>::quiet_NaN();
  Eigen::EigenSolver<Eigen::MatrixXd> eigen(jac, /*computeEigenvectors=*/false);
  if (eigen.info() != Eigen::Success) return std::numeric_limits<double>::quiet_NaN();
  return eigen.eigenvalues().cwiseAbs().maxCoeff();
}

SolverSummary Newton::solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const {
  options_.validate();
  check_problem(problem, x, "newton");
  const Options& o = options_;
  if (o.jacobian == JacobianSource::kAnalytic && !problem.jacobian) throw_no_analytic_jacobian();
  if (o.backend == NewtonBackend::kGslHybrid) return solve_gsl_hybrid(o, problem, x);

  const auto start = Clock::now();
  SolverSummary s;
  s.method = "newton";
  const Eigen::Index n = x.size();
  Eigen::VectorXd f(n), res(n), dx(n), c(n), x_trial(n), f_trial(n), best_x(n), workspace(1);
  Eigen::MatrixXd jac(n, n);
  JacobianWork work(n);
  Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(n, n);
  // Pivots below this (relative to max(1, |R_00|), the scale of I in J_R = dF/dx - I) count as
  // zero: finite differences carry noise of order eps / fd_step.
  const double rank_tol =
      o.jacobian == JacobianSource::kAnalytic
          ? 1e-12
          : std::max(1e-12, 10.0 * std::numeric_limits<double>::epsilon() / o.fd_step);
  constexpr double kArmijo = 1e-4;

  problem.project(x);
  double r = fixed_point_residual(problem, x, f);
  s.map_evaluations = 1;
  s.initial_residual = r;
  best_x = x;
  double best_r = r;
  res = f - x;
  double phi = 0.5 * res.squaredNorm();
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
      ++s.iterations;
      jacobian_into(problem, x, o.jacobian, o.fd_step, jac, work, &s.map_evaluations);
      ++s.jacobian_evaluations;
      if (!jac.allFinite()) {
        s.reason = TerminationReason::kNonFinite;
        detail = "the Jacobian is not finite at iteration " + std::to_string(s.iterations);
        break;
      }
      jac.diagonal().array() -= 1.0;
      qr.compute(jac);
      const auto pivots = qr.matrixQR().diagonal().cwiseAbs();
      const double pivot_floor = rank_tol * std::max(1.0, pivots.maxCoeff());
      const auto rank = (pivots.array() > pivot_floor).count();
      if (rank < n) {
        s.reason = TerminationReason::kLinearSolveFailed;
        detail = "the Jacobian of F(x) - x is singular (numerical rank " + std::to_string(rank) +
                 " < " + std::to_string(n) + ")";
        break;
      }
      // dx = P R^{-1} Q^T (-res), applying the stored reflectors in place.
      c = -res;
      for (Eigen::Index k = 0; k < n; ++k) {
        c.tail(n - k).applyHouseholderOnTheLeft(qr.matrixQR().col(k).tail(n - k - 1),
                                                qr.hCoeffs()[k], workspace.data());
      }
      for (Eigen::Index i = n - 1; i >= 0; --i) {
        double v = c[i];
        for (Eigen::Index j = i + 1; j < n; ++j) v -= qr.matrixQR()(i, j) * c[j];
        c[i] = v / qr.matrixQR()(i, i);
      }
      for (Eigen::Index i = 0; i < n; ++i) dx[qr.colsPermutation().indices()[i]] = c[i];
      if (!dx.allFinite()) {
        s.reason = TerminationReason::kLinearSolveFailed;
        detail = "the Newton step is not finite";
        break;
      }

      double t = 1.0;
      bool accepted = false;
      bool all_non_finite = true;
      double r_trial = kInfinity;
      double phi_trial = kInfinity;
      while (true) {
        x_trial = x + t * dx;
        problem.project(x_trial);
        if (x_trial == x) {
          if (t == 1.0) {
            s.reason = TerminationReason::kStalled;
            detail = "the Newton step points out of the box";
          } else {
            s.reason = TerminationReason::kLineSearchFailed;
            detail = "no decrease of |F(x) - x| before the step stopped moving x";
          }
          break;
        }
        r_trial = fixed_point_residual(problem, x_trial, f_trial);
        ++s.map_evaluations;
        phi_trial = std::isfinite(r_trial) ? 0.5 * (f_trial - x_trial).squaredNorm() : kInfinity;
        if (std::isfinite(r_trial)) all_non_finite = false;
        if (!o.line_search) {
          if (std::isfinite(r_trial)) {
            accepted = true;
          } else {
            s.reason = TerminationReason::kNonFinite;
            detail =
                "F is not finite at the Newton step of iteration " + std::to_string(s.iterations);
          }
          break;
        }
        if (phi_trial <= (1.0 - 2.0 * kArmijo * t) * phi) {
          accepted = true;
          break;
        }
        t *= 0.5;
        if (t < o.min_step) {
          if (all_non_finite) {
            s.reason = TerminationReason::kNonFinite;
            detail = "F is not finite along the Newton direction down to step min_step = " +
                     format_number(o.min_step);
          } else {
            s.reason = TerminationReason::kLineSearchFailed;
            detail =
                "no decrease of |F(x) - x| along the Newton direction down to step "
                "min_step = " +
                format_number(o.min_step);
          }
          break;
        }
      }
      if (!accepted) break;
      x.swap(x_trial);
      f.swap(f_trial);
      r = r_trial;
      res = f - x;
      phi = 0.5 * res.squaredNorm();
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

}  // namespace saddle
