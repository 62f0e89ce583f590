// Natural-parameter and pseudo-arclength continuation, fold location by the bordered system, and
// stability changes along the branch (see include/saddle/continuation.hpp for the methods).
//
// Notation: y = (x, lambda) in R^(n+1), R(y) = F(x; lambda) - x, J_R = dF/dx - I, R_l = dR/dlambda
// (central differences, one-sided at the ends of the parameter's range).
#include "saddle/continuation.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "saddle/error.hpp"

namespace saddle {

FixedPointProblem ParametricProblem::at(double lambda) const {
  if (!map) throw InternalError("ParametricProblem::at: the problem has no map");
  FixedPointProblem p;
  const auto f = map;
  p.map = [f, lambda](const Eigen::VectorXd& x, Eigen::VectorXd& fx) { f(x, lambda, fx); };
  if (jacobian) {
    const auto j = jacobian;
    p.jacobian = [j, lambda](const Eigen::VectorXd& x, Eigen::MatrixXd& jac) {
      return j(x, lambda, jac);
    };
  }
  if (bounds) {
    bounds(lambda, p.lower, p.upper);
  } else {
    p.lower = Eigen::VectorXd::Constant(dimension, -kInf);
    p.upper = Eigen::VectorXd::Constant(dimension, kInf);
  }
  return p;
}

std::string ParametricProblem::component_name(int i) const {
  if (i >= 0 && i < static_cast<int>(component_names.size())) {
    return component_names[static_cast<std::size_t>(i)];
  }
  return "x[" + std::to_string(i) + "]";
}

namespace {

using Clock = std::chrono::steady_clock;
using Eigen::MatrixXd;
using Eigen::VectorXd;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kRadToDeg = 57.295779513082320877;
// A crossing of rho = 1 within this of the fold's rho is the fold's own eigenvalue +1.
constexpr double kFoldEigenvalueTol = 1e-6;
// Relative step of the central differences of sigma in the bordered system.
constexpr double kSigmaStep = 1e-5;
constexpr int kMaxFoldIterations = 30;
constexpr int kMaxLocateIterations = 100;

std::string g10(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::string g2(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

VectorXd join(const VectorXd& x, double lambda) {
  VectorXd y(x.size() + 1);
  y << x, lambda;
  return y;
}

// A corrected point of the branch with what is known about it.
struct State {
  VectorXd x;
  double lambda = 0.0;
  double residual = kInfinity;
  MatrixXd jr;  // J_R at the point (when has_jr)
  bool has_jr = false;
  VectorXd rl;  // R_lambda (arclength)
  VectorXd t;   // unit tangent (arclength), size n + 1
  std::optional<double> rho;
  std::optional<double> indicator;
  VectorXd y() const { return join(x, lambda); }
};

struct Attempt {
  bool converged = false;
  int iterations = 0;
  double residual = kInfinity;
  std::string why;      // failure detail
  std::string blocked;  // non-empty: the failure is a bound the solution cannot cross
};

// A located event between two accepted points.
struct Event {
  SpecialPoint point;
  State state;
  double theta = 0.0;  // position along the chord from the earlier point (for ordering)
  int iterations = 0;
};

class Engine {
 public:
  Engine(const ParametricProblem& problem, const Continuation::Options& options,
         ContinuationSummary& summary)
      : p_(problem), o_(options), s_(summary), n_(problem.dimension) {
    const double lo = std::min(o_.from, o_.to), hi = std::max(o_.from, o_.to);
    targets_ = {o_.from, o_.to};
    for (double m : o_.milestones) {
      if (m > lo && m < hi) targets_.push_back(m);
    }
    std::sort(targets_.begin(), targets_.end());
    targets_.erase(std::unique(targets_.begin(), targets_.end()), targets_.end());
    interval_lo_ = lo;
    interval_hi_ = hi;
    arclength_ = o_.method == ContinuationMethod::kArclength;
    step_ = o_.resolved_step();
    min_step_ = o_.resolved_min_step();
    max_step_ = o_.resolved_max_step();
  }

  ContinuationResult run(const VectorXd& x0);

 private:
  // ---- evaluations -------------------------------------------------------------------------
  FixedPointProblem problem_at(double lambda) {
    FixedPointProblem fp;
    fp.map = [this, lambda](const VectorXd& x, VectorXd& fx) {
      ++s_.map_evaluations;
      p_.map(x, lambda, fx);
    };
    if (p_.jacobian) {
      fp.jacobian = [this, lambda](const VectorXd& x, MatrixXd& jac) {
        return p_.jacobian(x, lambda, jac);
      };
    }
    box(lambda, fp.lower, fp.upper);
    return fp;
  }

  void box(double lambda, VectorXd& lo, VectorXd& hi) const {
    if (p_.bounds) {
      p_.bounds(lambda, lo, hi);
      if (lo.size() != n_ || hi.size() != n_) {
        throw InternalError("ParametricProblem::bounds returned sizes " +
                            std::to_string(lo.size()) + " and " + std::to_string(hi.size()) +
                            " for dimension " + std::to_string(n_));
      }
    } else {
      lo = VectorXd::Constant(n_, -kInfinity);
      hi = VectorXd::Constant(n_, kInfinity);
    }
  }

  void project(VectorXd& x, double lambda) const {
    VectorXd lo, hi;
    box(lambda, lo, hi);
    x = x.cwiseMax(lo).cwiseMin(hi);
  }

  bool in_range(double lambda) const { return p_.parameter.contains(lambda); }
  bool in_interval(double lambda) const { return lambda >= interval_lo_ && lambda <= interval_hi_; }

  // max_i |F_i(x) - x_i| (infinite when F is not finite); fx receives F(x).
  double residual(const VectorXd& x, double lambda, VectorXd& fx) {
    fx.resize(n_);
    ++s_.map_evaluations;
    p_.map(x, lambda, fx);
    if (fx.size() != n_) {
      throw InternalError("ParametricProblem::map returned " + std::to_string(fx.size()) +
                          " values for dimension " + std::to_string(n_));
    }
    double r = 0.0;
    for (Eigen::Index i = 0; i < n_; ++i) {
      const double d = std::abs(fx[i] - x[i]);
      if (!std::isfinite(d)) return kInfinity;
      r = std::max(r, d);
    }
    return r;
  }

  // J_R = dF/dx - I at (x, lambda); false when not finite.
  bool jacobian_r(const VectorXd& x, double lambda, MatrixXd& jr) {
    ++s_.jacobian_evaluations;
    jr = map_jacobian(problem_at(lambda), x, o_.jacobian, o_.fd_step, nullptr);
    jr.diagonal().array() -= 1.0;
    return jr.allFinite();
  }

  // R_lambda = dF/dlambda by central differences, h = fd_step max(1, |lambda|); second-order
  // one-sided where lambda +- h leaves the parameter's range.
  bool r_lambda(const VectorXd& x, double lambda, VectorXd& rl) {
    const double h = o_.fd_step * std::max(1.0, std::abs(lambda));
    VectorXd f1(n_), f2(n_);
    const bool up = in_range(lambda + h), down = in_range(lambda - h);
    if (up && down) {
      const double lp = lambda + h, lm = lambda - h;
      p_.map(x, lp, f1);
      p_.map(x, lm, f2);
      s_.map_evaluations += 2;
      rl = (f1 - f2) / (lp - lm);
    } else {
      const double dir = up ? 1.0 : -1.0;
      if (!in_range(lambda + 2.0 * dir * h)) return false;
      VectorXd f0(n_);
      p_.map(x, lambda, f0);
      p_.map(x, lambda + dir * h, f1);
      p_.map(x, lambda + 2.0 * dir * h, f2);
      s_.map_evaluations += 3;
      rl = dir * (-3.0 * f0 + 4.0 * f1 - f2) / (2.0 * h);
    }
    return rl.allFinite();
  }

  // "m <= 1" when x presses against a bound that F pushes it across, else "".
  std::string blocked_bound(const VectorXd& x, double lambda, const VectorXd& fx) const {
    if (fx.size() != n_) return "";
    VectorXd lo, hi;
    box(lambda, lo, hi);
    for (int i = 0; i < n_; ++i) {
      if (x[i] <= lo[i] && fx[i] < lo[i] - o_.tol) {
        return p_.component_name(i) + " >= " + format_number(lo[i]);
      }
      if (x[i] >= hi[i] && fx[i] > hi[i] + o_.tol) {
        return p_.component_name(i) + " <= " + format_number(hi[i]);
      }
    }
    return "";
  }

  // ---- tangents ------------------------------------------------------------------------------
  // Unit null vector of [J_R | R_l] oriented by t_prev: the bordered solve
  // [[J_R, R_l], [t_prev^T]] t = e_{n+1}, or, where that matrix is singular (a branch point), the
  // projection of t_prev onto the numerical null space.
  bool tangent(const MatrixXd& jr, const VectorXd& rl, const VectorXd& t_prev, VectorXd& t) const {
    MatrixXd m(n_ + 1, n_ + 1);
    m.topLeftCorner(n_, n_) = jr;
    m.topRightCorner(n_, 1) = rl;
    m.row(n_) = t_prev.transpose();
    Eigen::ColPivHouseholderQR<MatrixXd> qr(m);
    if (qr.rank() == n_ + 1) {
      VectorXd rhs = VectorXd::Zero(n_ + 1);
      rhs[n_] = 1.0;
      t = qr.solve(rhs);
      if (t.allFinite() && t.norm() > 0.0) {
        t.normalize();
        if (t.dot(t_prev) < 0.0) t = -t;
        return true;
      }
    }
    MatrixXd a(n_, n_ + 1);
    a << jr, rl;
    Eigen::JacobiSVD<MatrixXd> svd(a, Eigen::ComputeFullV);
    const auto& sv = svd.singularValues();
    const double cut = 1e-8 * std::max(1.0, sv.size() > 0 ? sv[0] : 0.0);
    t = VectorXd::Zero(n_ + 1);
    for (int j = 0; j <= n_; ++j) {
      const bool null = j >= sv.size() || sv[j] <= cut;
      if (null) t += svd.matrixV().col(j) * svd.matrixV().col(j).dot(t_prev);
    }
    if (!(t.norm() > 0.0) || !t.allFinite()) {
      t = svd.matrixV().col(n_);
      if (t.dot(t_prev) < 0.0) t = -t;
    }
    t.normalize();
    return t.allFinite();
  }

  // Fills rho, indicator, J_R and (arclength, when t_prev is given) R_l and the tangent.
  bool analyse(State& s, const VectorXd* t_prev) {
    if (o_.track_spectral_radius || t_prev != nullptr) {
      s.has_jr = jacobian_r(s.x, s.lambda, s.jr);
      if (s.has_jr && o_.track_spectral_radius) {
        const MatrixXd df = s.jr + MatrixXd::Identity(n_, n_);
        Eigen::EigenSolver<MatrixXd> eig(df, false);
        if (eig.info() == Eigen::Success) {
          const double r = eig.eigenvalues().cwiseAbs().maxCoeff();
          if (std::isfinite(r)) s.rho = r;
        }
      }
    }
    if (p_.indicator) {
      const double v = p_.indicator(s.x, s.lambda);
      if (!std::isnan(v)) s.indicator = v;  // +-inf is a value (lambda_AT = -inf at T = 0)
    }
    if (t_prev == nullptr) return true;
    if (!s.has_jr || !r_lambda(s.x, s.lambda, s.rl)) return false;
    return tangent(s.jr, s.rl, *t_prev, s.t);
  }

  State make_state(const VectorXd& x, double lambda) {
    State s;
    s.x = x;
    s.lambda = lambda;
    VectorXd fx;
    s.residual = residual(x, lambda, fx);
    return s;
  }

  // ---- correctors ----------------------------------------------------------------------------
  // Newton on [R(x, lambda); e . (y - y_ref)] = 0 (e a unit vector in R^(n+1)); with
  // fixed_lambda, lambda stays exactly at y_ref's (e must then be e_{n+1}).
  Attempt correct(VectorXd& x, double& lambda, const VectorXd& e, const VectorXd& y_ref,
                  bool fixed_lambda) {
    Attempt a;
    VectorXd fx(n_), rl(n_), rhs(n_ + 1), dy(n_ + 1);
    MatrixXd jr, m(n_ + 1, n_ + 1);
    double previous = kInfinity;
    int rises = 0;
    for (int it = 0;; ++it) {
      a.iterations = it;
      if (!in_range(lambda)) {
        a.why = p_.parameter.name + " = " + g10(lambda) + " is outside its range (" +
                p_.parameter.range_text() + ")";
        a.blocked = a.why;
        return a;
      }
      const double r = residual(x, lambda, fx);
      a.residual = r;
      if (r <= o_.tol) {
        a.converged = true;
        return a;
      }
      if (!std::isfinite(r)) {
        a.why = "F is not finite at " + p_.parameter.name + " = " + g10(lambda);
        return a;
      }
      if (it >= o_.max_corrector_iterations) {
        a.why = "the corrector did not converge in " + std::to_string(it) +
                " iterations (residual " + g2(r) + ")";
        a.blocked = blocked_bound(x, lambda, fx);
        return a;
      }
      if (r > previous) {
        if (++rises >= 2) {
          a.why = "the corrector diverges (residual " + g2(r) + " after " + std::to_string(it) +
                  " iterations)";
          a.blocked = blocked_bound(x, lambda, fx);
          return a;
        }
      } else {
        rises = 0;
      }
      previous = r;
      if (!jacobian_r(x, lambda, jr) || !r_lambda(x, lambda, rl)) {
        a.why = "dF/dx or dF/d" + p_.parameter.name + " is not finite at " + p_.parameter.name +
                " = " + g10(lambda);
        return a;
      }
      m.topLeftCorner(n_, n_) = jr;
      m.topRightCorner(n_, 1) = rl;
      m.row(n_) = e.transpose();
      rhs.head(n_) = -(fx - x);
      rhs[n_] = -(e.head(n_).dot(x - y_ref.head(n_)) + e[n_] * (lambda - y_ref[n_]));
      Eigen::ColPivHouseholderQR<MatrixXd> qr(m);
      if (qr.rank() < n_ + 1) {
        a.why = "the augmented Jacobian is singular at " + p_.parameter.name + " = " + g10(lambda);
        return a;
      }
      dy = qr.solve(rhs);
      if (!dy.allFinite()) {
        a.why = "the corrector step is not finite";
        return a;
      }
      x += dy.head(n_);
      lambda = fixed_lambda ? y_ref[n_] : lambda + dy[n_];
      project(x, lambda);
    }
  }

  // solve_fixed_point at fixed lambda (natural-parameter corrector).
  Attempt correct_natural(VectorXd& x, double lambda, const SolverSettings& settings) {
    Attempt a;
    const SolverSummary sum = solve_fixed_point(settings, problem_at(lambda), x);
    s_.jacobian_evaluations += sum.jacobian_evaluations;
    a.converged = sum.usable();
    a.iterations = sum.iterations;
    a.residual = sum.residual;
    if (!a.converged) {
      a.why = sum.method + ": " + to_string(sum.reason) +
              (sum.message.empty() ? "" : " (" + sum.message + ")");
      VectorXd fx;
      residual(x, lambda, fx);
      a.blocked = blocked_bound(x, lambda, fx);
    }
    return a;
  }

  // The branch point whose projection on the chord a -> b is at fraction theta.
  bool chord_point(const State& a, const State& b, double theta, State& out, int& iterations,
                   std::string* why = nullptr) {
    const VectorXd ya = a.y(), d = b.y() - ya;
    const double len = d.norm();
    if (!(len > 0.0)) return false;
    const VectorXd y_ref = ya + theta * d;
    VectorXd x = y_ref.head(n_);
    double lambda = y_ref[n_];
    project(x, lambda);
    const Attempt at = correct(x, lambda, d / len, y_ref, false);
    iterations += at.iterations;
    s_.corrector_iterations += at.iterations;
    if (!at.converged) {
      if (why != nullptr) *why = at.why;
      return false;
    }
    out = make_state(x, lambda);
    return analyse(out, arclength_ ? &a.t : nullptr);
  }

  // ---- event location ------------------------------------------------------------------------
  double chord_theta(const State& a, const State& b, const State& s) const {
    const VectorXd d = b.y() - a.y();
    const double d2 = d.squaredNorm();
    return d2 > 0.0 ? (s.y() - a.y()).dot(d) / d2 : 0.5;
  }

  // sigma of the bordered system at (x, lambda), with J_R into jr.
  bool sigma_at(const VectorXd& x, double lambda, const VectorXd& b, const VectorXd& c,
                MatrixXd& jr, double& sigma) {
    if (!jacobian_r(x, lambda, jr)) return false;
    MatrixXd m(n_ + 1, n_ + 1);
    m.topLeftCorner(n_, n_) = jr;
    m.topRightCorner(n_, 1) = b;
    m.bottomLeftCorner(1, n_) = c.transpose();
    m(n_, n_) = 0.0;
    VectorXd rhs = VectorXd::Zero(n_ + 1);
    rhs[n_] = 1.0;
    const VectorXd sol = m.colPivHouseholderQr().solve(rhs);
    sigma = sol[n_];
    return std::isfinite(sigma);
  }

  bool fold_by_bordered_newton(const State& a, const State& b, Event& ev, std::string& why) {
    const State& p0 = std::abs(a.t[n_]) <= std::abs(b.t[n_]) ? a : b;
    Eigen::JacobiSVD<MatrixXd> svd(p0.jr, Eigen::ComputeFullU | Eigen::ComputeFullV);
    const VectorXd bvec = svd.matrixU().col(n_ - 1);
    VectorXd cvec = p0.t.head(n_);
    if (!(cvec.norm() > 1e-12)) cvec = svd.matrixV().col(n_ - 1);
    cvec.normalize();

    VectorXd x = p0.x, fx(n_), rl(n_), grad(n_ + 1), rhs(n_ + 1), lo, hi;
    double lambda = p0.lambda;
    MatrixXd jr, jr_work, m(n_ + 1, n_ + 1);
    double sigma = 0.0, dlambda = kInfinity, dx = kInfinity, r = kInfinity;
    bool converged = false;
    int it = 0;
    for (; it < kMaxFoldIterations && !converged; ++it) {
      r = residual(x, lambda, fx);
      if (!std::isfinite(r) || !sigma_at(x, lambda, bvec, cvec, jr, sigma) ||
          !r_lambda(x, lambda, rl)) {
        why = "F or its derivatives are not finite during the bordered Newton iteration";
        return false;
      }
      box(lambda, lo, hi);
      // d sigma / d x_j: central differences inside the box, one-sided at a bound, 0 for a
      // pinned component.
      for (int j = 0; j <= n_; ++j) {
        const bool is_lambda = j == n_;
        const double v = is_lambda ? lambda : x[j];
        const double h = kSigmaStep * std::max(1.0, std::abs(v));
        auto inside = [&](double w) {
          return is_lambda ? in_range(w) : (w >= lo[j] && w <= hi[j]);
        };
        if (!is_lambda && !(hi[j] > lo[j])) {
          grad[j] = 0.0;
          continue;
        }
        double vp = v + h, vm = v - h;
        if (!inside(vp)) vp = v;
        if (!inside(vm)) vm = v;
        if (vp == vm) {
          grad[j] = 0.0;
          continue;
        }
        double sp = sigma, sm = sigma;
        VectorXd xw = x;
        if (vp != v) {
          if (is_lambda) {
            if (!sigma_at(x, vp, bvec, cvec, jr_work, sp)) return false;
          } else {
            xw[j] = vp;
            if (!sigma_at(xw, lambda, bvec, cvec, jr_work, sp)) return false;
          }
        }
        if (vm != v) {
          if (is_lambda) {
            if (!sigma_at(x, vm, bvec, cvec, jr_work, sm)) return false;
          } else {
            xw[j] = vm;
            if (!sigma_at(xw, lambda, bvec, cvec, jr_work, sm)) return false;
          }
        }
        grad[j] = (sp - sm) / (vp - vm);
      }
      m.topLeftCorner(n_, n_) = jr;
      m.topRightCorner(n_, 1) = rl;
      m.row(n_) = grad.transpose();
      rhs.head(n_) = -(fx - x);
      rhs[n_] = -sigma;
      Eigen::ColPivHouseholderQR<MatrixXd> qr(m);
      if (qr.rank() < n_ + 1) {
        why = "the Jacobian of the bordered system is singular (not a simple fold?)";
        return false;
      }
      const VectorXd dy = qr.solve(rhs);
      if (!dy.allFinite()) {
        why = "the bordered Newton step is not finite";
        return false;
      }
      x += dy.head(n_);
      lambda += dy[n_];
      project(x, lambda);
      dlambda = std::abs(dy[n_]);
      dx = dy.head(n_).cwiseAbs().maxCoeff();
      // lambda is stationary at the fold: an error e in x along the null direction moves lambda
      // by O(e^2), so |dx| <= 0.01 sqrt(fold_tol) keeps that below fold_tol for curvatures < 2e4.
      if (dlambda <= 0.1 * o_.fold_tol && dx <= 0.01 * std::sqrt(o_.fold_tol)) {
        if (!in_range(lambda)) break;
        r = residual(x, lambda, fx);
        converged = r <= o_.tol;
      }
    }
    if (!converged) {
      why = "the bordered Newton iteration did not converge in " + std::to_string(it) +
            " iterations (last |d " + p_.parameter.name + "| = " + g2(dlambda) + ", residual " +
            g2(r) + ")";
      return false;
    }
    ev.state = make_state(x, lambda);
    analyse(ev.state, nullptr);
    ev.iterations = it;
    ev.point.method = "bordered_newton";
    ev.point.lambda_uncertainty =
        std::max(dlambda, 4.0 * std::numeric_limits<double>::epsilon() * std::abs(lambda));
    ev.point.detail = "bordered Newton (minimally augmented system) from " + p_.parameter.name +
                      " = " + g10(p0.lambda) + ": " + std::to_string(it) + " iterations, |sigma| " +
                      g2(std::abs(sigma)) + ", residual " + g2(ev.state.residual) + ", last |d " +
                      p_.parameter.name + "| " + g2(dlambda);
    return true;
  }

  // Regula falsi (Illinois) on g along the chord a -> b; g(a) and g(b) have opposite signs.
  // Stops when the lambda bracket is below lambda_tol, or the chord bracket below theta_tol.
  // `best` is the bracket end with the smaller |g|; lo/hi the final bracket.
  bool regula_falsi(const State& a, const State& b, double ga, double gb,
                    const std::function<std::optional<double>(State&)>& g, double lambda_tol,
                    double theta_tol, State& best, double& best_g, State& lo_state, State& hi_state,
                    double& g_lo_true, double& g_hi_true, int& iterations, std::string& why) {
    State lo = a, hi = b;
    double th_lo = 0.0, th_hi = 1.0, g_lo = ga, g_hi = gb, t_lo = ga, t_hi = gb;
    int side = 0;
    for (int k = 0; k < kMaxLocateIterations; ++k) {
      if (std::abs(hi.lambda - lo.lambda) <= lambda_tol || th_hi - th_lo <= theta_tol) break;
      double th = (th_lo * g_hi - th_hi * g_lo) / (g_hi - g_lo);
      if (!(th > th_lo && th < th_hi)) th = 0.5 * (th_lo + th_hi);
      State s;
      std::string w;
      if (!chord_point(a, b, th, s, iterations, &w)) {
        why = "the corrector failed inside the bracket: " + w;
        return false;
      }
      const std::optional<double> gv = g(s);
      if (!gv || !std::isfinite(*gv)) {
        why = "the located quantity is not finite inside the bracket";
        return false;
      }
      if (*gv == 0.0) {
        lo = hi = s;
        t_lo = t_hi = 0.0;
        break;
      }
      if ((*gv > 0.0) == (g_lo > 0.0)) {
        lo = s;
        th_lo = th;
        g_lo = t_lo = *gv;
        if (side == -1) g_hi *= 0.5;
        side = -1;
      } else {
        hi = s;
        th_hi = th;
        g_hi = t_hi = *gv;
        if (side == 1) g_lo *= 0.5;
        side = 1;
      }
    }
    const bool lo_best = std::abs(t_lo) <= std::abs(t_hi);
    best = lo_best ? lo : hi;
    best_g = lo_best ? t_lo : t_hi;
    lo_state = lo;
    hi_state = hi;
    g_lo_true = t_lo;
    g_hi_true = t_hi;
    return true;
  }

  // Fallback: regula falsi on t_lambda along the chord. lambda(s) ~ lambda* - kappa s^2 / 2 and
  // t_lambda ~ -kappa s near the fold, so lambda* ~ lambda(best) + t_lambda^2 / (2 kappa).
  bool fold_by_tangent(const State& a, const State& b, Event& ev, std::string& why) {
    const double len = (b.y() - a.y()).norm();
    State best, lo, hi;
    double best_g = 0.0, g_lo = 0.0, g_hi = 0.0;
    int iterations = 0;
    const auto g = [this](State& s) -> std::optional<double> {
      if (s.t.size() != n_ + 1) return std::nullopt;
      return s.t[n_];
    };
    const double theta_tol = 0.01 * std::sqrt(o_.fold_tol) / std::max(len, 1e-300);
    if (!regula_falsi(a, b, a.t[n_], b.t[n_], g, 0.0, theta_tol, best, best_g, lo, hi, g_lo, g_hi,
                      iterations, why)) {
      return false;
    }
    const double ds = (hi.y() - lo.y()).norm();
    const double kappa = ds > 0.0 ? std::abs(g_hi - g_lo) / ds : 0.0;
    const double correction = kappa > 0.0 ? best_g * best_g / (2.0 * kappa) : 0.0;
    ev.state = best;
    ev.iterations = iterations;
    ev.point.method = "tangent_regula_falsi";
    ev.point.lambda_uncertainty =
        std::max(correction, 4.0 * std::numeric_limits<double>::epsilon() * std::abs(best.lambda));
    ev.point.detail = "regula falsi on the parameter component of the tangent along the chord: " +
                      std::to_string(iterations) + " corrector iterations, t_" + p_.parameter.name +
                      " = " + g2(best_g) + ", residual " + g2(best.residual);
    return true;
  }

  // Sanity of a located fold: near the bracket, and lambda* beyond both bracket ends in the
  // direction of the turn.
  bool plausible_fold(const State& a, const State& b, const State& f, std::string& why) const {
    const double len = (b.y() - a.y()).norm();
    if ((f.y() - a.y()).norm() > 2.0 * len + 1e-12 || (f.y() - b.y()).norm() > 2.0 * len + 1e-12) {
      why = "the located point is far from the bracket";
      return false;
    }
    const bool maximum = a.t[n_] > 0.0;  // lambda rises, then falls
    const double slack = o_.fold_tol + 1e-12 * std::max(1.0, std::abs(f.lambda));
    if (maximum ? f.lambda < std::max(a.lambda, b.lambda) - slack
                : f.lambda > std::min(a.lambda, b.lambda) + slack) {
      why = "the located point is not a turning point of the bracket";
      return false;
    }
    return true;
  }

  Event locate_fold(const State& a, const State& b) {
    Event ev;
    ev.point.type = PointLabel::kFold;
    std::string why1, why2;
    bool ok = fold_by_bordered_newton(a, b, ev, why1) && plausible_fold(a, b, ev.state, why1);
    if (!ok) {
      Event fallback;
      fallback.point.type = PointLabel::kFold;
      ok = fold_by_tangent(a, b, fallback, why2) && plausible_fold(a, b, fallback.state, why2);
      if (ok) {
        fallback.point.detail += " (bordered Newton failed: " + why1 + ")";
        ev = fallback;
      }
    }
    if (!ok) {
      const State& p0 = std::abs(a.t[n_]) <= std::abs(b.t[n_]) ? a : b;
      ev.state = p0;
      ev.point.located = false;
      ev.point.method = "bracket";
      ev.point.lambda_uncertainty = std::abs(b.lambda - a.lambda);
      ev.point.detail = "not located (bordered Newton: " + why1 +
                        "; tangent regula falsi: " + why2 + "); the fold lies between " +
                        p_.parameter.name + " = " + g10(a.lambda) + " and " + g10(b.lambda);
    }
    ev.point.detail += "; bracket " + p_.parameter.name + " = [" + g10(a.lambda) + ", " +
                       g10(b.lambda) + "], t_" + p_.parameter.name + " = [" + g2(a.t[n_]) + ", " +
                       g2(b.t[n_]) + "]";
    ev.theta = chord_theta(a, b, ev.state);
    return ev;
  }

  // A stability change between a and b: g = rho - 1 or the indicator.
  Event locate_change(const State& a, const State& b, PointLabel type) {
    const bool iteration = type == PointLabel::kIterationStabilityChange;
    const auto g = [iteration](State& s) -> std::optional<double> {
      if (iteration) {
        if (!s.rho) return std::nullopt;
        return *s.rho - 1.0;
      }
      return s.indicator;
    };
    State sa = a, sb = b;
    const double ga = *g(sa), gb = *g(sb);
    Event ev;
    ev.point.type = type;
    const double scale = std::max(std::abs(a.lambda), std::abs(b.lambda));
    const double lambda_tol = o_.stability_tol * (scale > 0.0 ? scale : 1.0);
    State best, lo, hi;
    double best_g = 0.0, g_lo = 0.0, g_hi = 0.0;
    int iterations = 0;
    std::string why;
    const std::string what = iteration ? "rho(dF/dx) - 1" : p_.indicator_name;
    if (regula_falsi(a, b, ga, gb, g, lambda_tol, 1e-13, best, best_g, lo, hi, g_lo, g_hi,
                     iterations, why)) {
      ev.state = best;
      ev.iterations = iterations;
      ev.point.method = "regula_falsi";
      ev.point.lambda_uncertainty = std::abs(hi.lambda - lo.lambda);
      ev.point.detail = "regula falsi on " + what +
                        " along the chord: " + std::to_string(iterations) +
                        " corrector iterations, " + what + " = " + g2(best_g) + ", bracket " +
                        p_.parameter.name + " = [" + g10(lo.lambda) + ", " + g10(hi.lambda) + "]";
    } else {
      ev.state = std::abs(ga) <= std::abs(gb) ? a : b;
      ev.point.located = false;
      ev.point.method = "bracket";
      ev.point.lambda_uncertainty = std::abs(b.lambda - a.lambda);
      ev.point.detail = "not located (" + why + "); " + what + " changes sign between " +
                        p_.parameter.name + " = " + g10(a.lambda) + " and " + g10(b.lambda);
    }
    ev.theta = chord_theta(a, b, ev.state);
    return ev;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------
  std::optional<double> next_target(double lambda, int dir) const {
    if (dir > 0) {
      for (double t : targets_) {
        if (t > lambda) return t;
      }
    } else if (dir < 0) {
      for (auto it = targets_.rbegin(); it != targets_.rend(); ++it) {
        if (*it < lambda) return *it;
      }
    }
    return std::nullopt;
  }

  // The target nearest to `from_lambda` strictly passed (or hit) on the way to `to_lambda`.
  std::optional<double> crossed_target(double from_lambda, double to_lambda) const {
    std::optional<double> best;
    for (double t : targets_) {
      if (t == from_lambda) continue;
      const bool between =
          (from_lambda < t && t <= to_lambda) || (to_lambda <= t && t < from_lambda);
      if (between && (!best || std::abs(t - from_lambda) < std::abs(*best - from_lambda))) best = t;
    }
    return best;
  }

  PointLabel landing_label(double lambda) const {
    if (lambda == o_.to || lambda == o_.from) return PointLabel::kEnd;
    return PointLabel::kMilestone;
  }

  void push_row(ContinuationResult& res, const State& s, double step, int iterations,
                PointLabel label) {
    ContinuationRow row;
    row.lambda = s.lambda;
    row.x = s.x;
    row.step = step;
    row.corrector_iterations = iterations;
    row.residual = s.residual;
    row.spectral_radius = s.rho;
    row.indicator = s.indicator;
    row.label = label;
    res.rows.push_back(std::move(row));
  }

  double row_distance(const ContinuationResult& res, const State& s) const {
    const ContinuationRow& last = res.rows.back();
    if (!arclength_) return std::abs(s.lambda - last.lambda);
    return join(s.x - last.x, s.lambda - last.lambda).norm();
  }

  // Locates the events between accepted points a and b and appends their rows, then b's row.
  // Returns false (nothing appended) when a fold lies beyond a target the step jumped over.
  bool append_step(ContinuationResult& res, const State& a, const State& b, int iterations,
                   PointLabel label, std::vector<Event>* folds_out) {
    std::vector<Event> events;
    const Event* fold = nullptr;
    if (arclength_ && o_.detect_folds && a.t[n_] * b.t[n_] < 0.0) {
      events.push_back(locate_fold(a, b));
      const Event& f = events.back();
      // A target between the fold and the nearer end is crossed once more inside the step than
      // the rows show (a row on the target at one end counts once; the other leg crosses it
      // again). Redo the step shorter so that every crossing is landed on.
      const bool maximum = a.t[n_] > 0.0;
      const double edge = maximum ? std::max(a.lambda, b.lambda) : std::min(a.lambda, b.lambda);
      const double turn = f.state.lambda;
      for (double t : targets_) {
        const bool missed = maximum ? (t >= edge && t < turn) : (t <= edge && t > turn);
        if (missed && !(t == a.lambda && t == b.lambda)) return false;
      }
      fold = &events.back();
    }
    if (o_.track_spectral_radius && a.rho && b.rho && ((*a.rho < 1.0) != (*b.rho < 1.0))) {
      const bool merged = fold != nullptr && fold->point.located && fold->state.rho &&
                          std::abs(*fold->state.rho - 1.0) <= kFoldEigenvalueTol;
      if (merged) {
        events[0].point.detail += "; rho(dF/dx) crosses 1 here (the eigenvalue +1 at the fold)";
      } else {
        events.push_back(locate_change(a, b, PointLabel::kIterationStabilityChange));
      }
    }
    if (a.indicator && b.indicator && std::isfinite(*a.indicator) && std::isfinite(*b.indicator) &&
        ((*a.indicator > 0.0) != (*b.indicator > 0.0))) {
      events.push_back(locate_change(a, b, PointLabel::kThermodynamicStabilityChange));
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& u, const Event& v) { return u.theta < v.theta; });
    for (Event& ev : events) {
      ev.point.lambda = ev.state.lambda;
      ev.point.x = ev.state.x;
      ev.point.residual = ev.state.residual;
      ev.point.row = static_cast<int>(res.rows.size());
      push_row(res, ev.state, row_distance(res, ev.state), ev.iterations, ev.point.type);
      if (ev.point.type == PointLabel::kFold) {
        ++s_.folds;
      } else {
        ++s_.stability_changes;
      }
      res.special_points.push_back(ev.point);
    }
    push_row(res, b, row_distance(res, b), iterations, label);
    return true;
  }

  void finish_min_step(const State& cur, double step, double attempted_lambda,
                       const std::string& why, const std::string& blocked, bool jumped) {
    s_.final_step = step;
    const std::string at = p_.parameter.name + " = " + g10(cur.lambda);
    if (!blocked.empty()) {
      s_.reason = ContinuationTermination::kLeftDomain;
      s_.message = "the solution presses against the bound " + blocked + " beyond " + at +
                   " and cannot cross it (last attempt: " + why + ")";
      return;
    }
    s_.reason = ContinuationTermination::kMinStep;
    if (!arclength_) {
      s_.message = "no solution beyond " + at + " (possible fold; use method arclength); " +
                   (jumped ? "the last attempt jumped: "
                           : "the last attempt at " + p_.parameter.name + " = " +
                                 g10(attempted_lambda) + ": ") +
                   why;
    } else {
      s_.message = "the step fell below min_step = " + format_number(min_step_) + " at " + at +
                   "; last failure: " + why;
    }
  }

  ContinuationResult run_arclength(ContinuationResult& res, State cur);
  ContinuationResult run_natural(ContinuationResult& res, State cur);

  const ParametricProblem& p_;
  const Continuation::Options& o_;
  ContinuationSummary& s_;
  const int n_;
  std::vector<double> targets_;
  double interval_lo_ = 0.0, interval_hi_ = 0.0;
  bool arclength_ = true;
  double step_ = 0.0, min_step_ = 0.0, max_step_ = 0.0;
};

double angle_deg(const VectorXd& u, const VectorXd& v) {
  const double nu = u.norm(), nv = v.norm();
  if (!(nu > 0.0 && nv > 0.0)) return 0.0;
  const double c = std::max(-1.0, std::min(1.0, u.dot(v) / (nu * nv)));
  return std::acos(c) * kRadToDeg;
}

ContinuationResult Engine::run(const VectorXd& x0) {
  ContinuationResult res;
  s_.method = o_.method;
  s_.parameter = p_.parameter.name;
  s_.lambda_start = o_.from;

  // Start: `solver`, then the default auto sequence.
  SolverSettings settings = o_.solver;
  settings.tol = o_.tol;
  VectorXd x = x0;
  project(x, o_.from);
  Attempt a = correct_natural(x, o_.from, settings);
  s_.corrector_iterations += a.iterations;
  if (!a.converged) {
    SolverSettings fallback;
    fallback.tol = o_.tol;
    VectorXd y = x0;
    project(y, o_.from);
    const Attempt b = correct_natural(y, o_.from, fallback);
    s_.corrector_iterations += b.iterations;
    if (b.converged) {
      x = y;
      a = b;
    } else {
      s_.reason = ContinuationTermination::kStartFailed;
      s_.message = "no solution at " + p_.parameter.name + " = " + g10(o_.from) +
                   " from the start point: " + b.why;
      return res;
    }
  }
  State cur = make_state(x, o_.from);
  VectorXd t0 = VectorXd::Zero(n_ + 1);
  t0[n_] = o_.to > o_.from ? 1.0 : -1.0;
  if (!analyse(cur, arclength_ ? &t0 : nullptr)) {
    s_.reason = ContinuationTermination::kStartFailed;
    s_.message = "dF/dx or dF/d" + p_.parameter.name + " is not finite at the start point";
    return res;
  }
  push_row(res, cur, 0.0, a.iterations, PointLabel::kStart);
  return arclength_ ? run_arclength(res, std::move(cur)) : run_natural(res, std::move(cur));
}

ContinuationResult Engine::run_arclength(ContinuationResult& res, State cur) {
  double ds = step_;
  const VectorXd e_lambda = VectorXd::Unit(n_ + 1, n_);
  while (true) {
    if (static_cast<int>(res.rows.size()) >= o_.max_points) {
      s_.reason = ContinuationTermination::kMaxPoints;
      s_.message = "max_points = " + std::to_string(o_.max_points) + " rows reached at " +
                   p_.parameter.name + " = " + g10(cur.lambda);
      break;
    }
    const double tl = cur.t[n_];
    const int dir = tl > 0.0 ? 1 : (tl < 0.0 ? -1 : 0);
    const std::optional<double> target = next_target(cur.lambda, dir);
    double ds_eff = ds;
    bool land = false;
    if (target) {
      const double s_target = (*target - cur.lambda) / tl;
      if (s_target <= ds) {
        ds_eff = s_target;
        land = true;
      }
    }
    const VectorXd yp = cur.y() + ds_eff * cur.t;
    VectorXd x = yp.head(n_);
    double lambda = land ? *target : yp[n_];
    project(x, lambda);
    Attempt a;
    if (land) {
      VectorXd ref = yp;
      ref[n_] = lambda;
      a = correct(x, lambda, e_lambda, ref, true);
    } else {
      a = correct(x, lambda, cur.t, yp, false);
    }
    s_.corrector_iterations += a.iterations;
    bool landed = land;
    double landed_at = land ? *target : 0.0;
    if (a.converged && !land) {
      if (const std::optional<double> crossed = crossed_target(cur.lambda, lambda)) {
        // The corrector carried lambda past a target: land on it from the chord.
        const double th = (*crossed - cur.lambda) / (lambda - cur.lambda);
        VectorXd xi = cur.x + th * (x - cur.x);
        double li = *crossed;
        project(xi, li);
        const Attempt b = correct(xi, li, e_lambda, join(xi, li), true);
        s_.corrector_iterations += b.iterations;
        a.iterations += b.iterations;
        if (b.converged) {
          x = xi;
          lambda = li;
          landed = true;
          landed_at = *crossed;
        } else {
          a.converged = false;
          a.why = "landing on " + p_.parameter.name + " = " + g10(*crossed) + " failed: " + b.why;
          a.blocked = b.blocked;
        }
      } else if (!in_interval(lambda)) {
        a.converged = false;
        a.why = "the corrector left the interval between from and to (" + p_.parameter.name +
                " = " + g10(lambda) + ")";
      }
    }
    bool accepted = false;
    bool angle_reject = false;
    State next;
    if (a.converged) {
      const double moved = (join(x, lambda) - (land ? join(yp.head(n_), lambda) : yp)).norm();
      next = make_state(x, lambda);
      if (!analyse(next, &cur.t)) {
        a.why = "dF/dx or dF/d" + p_.parameter.name + " is not finite at " + p_.parameter.name +
                " = " + g10(lambda);
      } else if (moved > std::max(ds_eff, 1e3 * o_.tol) && !landed) {
        angle_reject = true;
        a.why = "the corrector moved " + g2(moved) + ", more than the step " + g2(ds_eff) +
                " (a jump to another branch?)";
      } else {
        const double angle = angle_deg(cur.t, next.t);
        if (angle > o_.max_angle_deg) {
          angle_reject = true;
          a.why = "successive tangents turn by " + g2(angle) +
                  " degrees (max_angle_deg = " + format_number(o_.max_angle_deg) + ")";
        } else {
          accepted = true;
        }
      }
    } else {
      ++s_.corrector_failures;
    }
    if (accepted) {
      const PointLabel label = landed ? landing_label(landed_at) : PointLabel::kNone;
      if (!append_step(res, cur, next, a.iterations, label, nullptr)) {
        accepted = false;
        a.why = "the branch turns beyond a target within one step";
        a.blocked.clear();
      }
    }
    if (!accepted) {
      if (angle_reject) ++s_.angle_rejections;
      ++s_.steps_rejected;
      ds *= o_.shrink;
      if (ds < min_step_) {
        finish_min_step(cur, ds, lambda, a.why, angle_reject ? "" : a.blocked, angle_reject);
        break;
      }
      continue;
    }
    ++s_.steps_accepted;
    if (a.iterations <= o_.easy_iterations) ds = std::min(ds * o_.grow, max_step_);
    cur = std::move(next);
    s_.final_step = ds;
    if (landed && landed_at == o_.to) {
      s_.reason = ContinuationTermination::kReachedEnd;
      break;
    }
    if (landed && landed_at == o_.from) {
      s_.reason = ContinuationTermination::kReturnedToFrom;
      break;
    }
  }
  return std::move(res);
}

ContinuationResult Engine::run_natural(ContinuationResult& res, State cur) {
  SolverSettings settings = o_.solver;
  settings.tol = o_.tol;
  double h = step_;
  const double dir = o_.to > o_.from ? 1.0 : -1.0;
  std::optional<State> prev;
  while (true) {
    if (static_cast<int>(res.rows.size()) >= o_.max_points) {
      s_.reason = ContinuationTermination::kMaxPoints;
      s_.message = "max_points = " + std::to_string(o_.max_points) + " rows reached at " +
                   p_.parameter.name + " = " + g10(cur.lambda);
      break;
    }
    const std::optional<double> target = next_target(cur.lambda, dir > 0 ? 1 : -1);
    if (!target) {  // cannot happen: cur.lambda == to ends the run
      s_.reason = ContinuationTermination::kReachedEnd;
      break;
    }
    double lambda = cur.lambda + dir * h;
    bool land = false;
    if (dir * (lambda - *target) >= 0.0) {
      lambda = *target;
      land = true;
    }
    VectorXd x = cur.x;
    if (prev) x += (lambda - cur.lambda) / (cur.lambda - prev->lambda) * (cur.x - prev->x);
    project(x, lambda);
    Attempt a = correct_natural(x, lambda, settings);
    s_.corrector_iterations += a.iterations;
    bool accepted = false, jumped = false;
    State next;
    if (a.converged) {
      next = make_state(x, lambda);
      analyse(next, nullptr);
      const double angle = prev ? angle_deg(cur.y() - prev->y(), next.y() - cur.y()) : 0.0;
      if (angle > o_.max_angle_deg) {
        jumped = true;
        a.why = "a solution at " + p_.parameter.name + " = " + g10(lambda) +
                " that turns the branch by " + g2(angle) +
                " degrees (max_angle_deg = " + format_number(o_.max_angle_deg) + ")";
      } else {
        accepted = append_step(res, cur, next, a.iterations,
                               land ? landing_label(lambda) : PointLabel::kNone, nullptr);
      }
    } else {
      ++s_.corrector_failures;
    }
    if (!accepted) {
      if (jumped) ++s_.angle_rejections;
      ++s_.steps_rejected;
      h *= o_.shrink;
      if (h < min_step_) {
        finish_min_step(cur, h, lambda, a.why, jumped ? "" : a.blocked, jumped);
        break;
      }
      continue;
    }
    ++s_.steps_accepted;
    if (a.iterations <= o_.easy_iterations) h = std::min(h * o_.grow, max_step_);
    prev = std::move(cur);
    cur = std::move(next);
    s_.final_step = h;
    if (land && lambda == o_.to) {
      s_.reason = ContinuationTermination::kReachedEnd;
      break;
    }
  }
  return std::move(res);
}

}  // namespace

ContinuationResult Continuation::run(const ParametricProblem& problem,
                                     const Eigen::VectorXd& x0) const {
  options_.validate();
  if (!problem.map) throw InternalError("Continuation::run: the problem has no map");
  if (problem.dimension < 1) throw InternalError("Continuation::run: dimension < 1");
  if (x0.size() != problem.dimension) {
    throw InternalError("Continuation::run: the start point has " + std::to_string(x0.size()) +
                        " entries for dimension " + std::to_string(problem.dimension));
  }
  for (const auto& [field, value] : {std::pair<std::string, double>{"from", options_.from},
                                     std::pair<std::string, double>{"to", options_.to}}) {
    if (!problem.parameter.contains(value)) {
      throw InputError("continuation.bad_option", "task." + field,
                       field + " = " + format_number(value) + " is out of range; expected " +
                           problem.parameter.range_text());
    }
  }
  if (options_.jacobian == JacobianSource::kAnalytic && !problem.jacobian) {
    throw InputError("continuation.bad_option", "task.jacobian",
                     "jacobian = analytic, but this problem has no analytic Jacobian; expected "
                     "auto or finite_difference");
  }
  const auto start = Clock::now();
  const Options resolved = options_.resolved();
  ContinuationSummary summary;
  Engine engine(problem, resolved, summary);
  ContinuationResult result = engine.run(x0);
  summary.points = static_cast<int>(result.rows.size());
  if (!result.rows.empty()) summary.lambda_last = result.rows.back().lambda;
  for (const ContinuationRow& r : result.rows) {
    summary.max_residual = std::max(summary.max_residual, r.residual);
  }
  summary.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.summary = summary;
  return result;
}

}  // namespace saddle
