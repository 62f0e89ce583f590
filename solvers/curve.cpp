#include "saddle/curve.hpp"

#include <chrono>
#include <cmath>

#include "saddle/error.hpp"

namespace saddle {

using Eigen::MatrixXd;
using Eigen::VectorXd;

std::string to_string(CurveEnd e) {
  switch (e) {
    case CurveEnd::kLeftBox: return "left_box";
    case CurveEnd::kMinStep: return "min_step";
    case CurveEnd::kMaxPoints: return "max_points";
    case CurveEnd::kClosedLoop: return "closed_loop";
    case CurveEnd::kCorrectorFailed: return "corrector_failed";
  }
  return "max_points";
}

void CurveTracer::Options::validate() const {
  auto bad = [](const std::string& field, double v, const std::string& expected) {
    throw InputError("curve.bad_option", "curve." + field,
                     field + " = " + format_number(v) + " is out of range; expected " + expected);
  };
  if (!(step > 0) || !std::isfinite(step)) bad("step", step, "step > 0");
  if (!(min_step > 0 && min_step <= step)) bad("min_step", min_step, "0 < min_step <= step");
  if (!(max_step >= step) || !std::isfinite(max_step)) bad("max_step", max_step, "max_step >= step");
  if (max_points < 2) bad("max_points", max_points, "max_points >= 2");
  if (!(tol > 0 && tol < 1)) bad("tol", tol, "0 < tol < 1");
  if (max_corrector_iterations < 1) bad("max_corrector_iterations", max_corrector_iterations, ">= 1");
  if (!(max_angle_deg > 0 && max_angle_deg < 90)) bad("max_angle_deg", max_angle_deg, "0 < max_angle_deg < 90");
  if (!(fd_step > 0 && fd_step < 0.1)) bad("fd_step", fd_step, "0 < fd_step < 0.1");
  if (!(grow >= 1)) bad("grow", grow, "grow >= 1");
  if (!(shrink > 0 && shrink < 1)) bad("shrink", shrink, "0 < shrink < 1");
}

namespace {

struct Evaluator {
  explicit Evaluator(const CurveProblem& p) : problem(p) {}
  const CurveProblem& problem;
  long evaluations = 0;
  VectorXd g;
  double norm(const VectorXd& y) {
    eval(y);
    return g.allFinite() ? g.cwiseAbs().maxCoeff() : INFINITY;
  }
  void eval(const VectorXd& y) {
    g.resize(problem.equations);
    problem.residual(y, g);
    ++evaluations;
  }
  // dG/dy by central differences, k x (k+1).
  MatrixXd jacobian(const VectorXd& y, double fd_step) {
    const int k = problem.equations;
    MatrixXd J(k, y.size());
    VectorXd yp = y, ym = y, gp(k), gm(k);
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      const double h = fd_step * std::max(1.0, std::fabs(y[i]));
      // One-sided at the box faces: G may be undefined outside (T < 0, q > 1).
      yp[i] = std::min(y[i] + h, problem.upper[i]);
      ym[i] = std::max(y[i] - h, problem.lower[i]);
      problem.residual(yp, gp);
      problem.residual(ym, gm);
      evaluations += 2;
      J.col(i) = (gp - gm) / (yp[i] - ym[i]);
      yp[i] = ym[i] = y[i];
    }
    return J;
  }
};

// Unit tangent (weighted norm) of the curve at y: the null vector of J, oriented along `orient`.
VectorXd tangent(const MatrixXd& J, const VectorXd& w, const VectorXd& orient) {
  // Null vector of J W^{-1/2} in the weighted coordinates, mapped back.
  const VectorXd s = w.cwiseSqrt();
  const MatrixXd Js = J * s.cwiseInverse().asDiagonal();
  Eigen::ColPivHouseholderQR<MatrixXd> qr(Js.transpose());
  const MatrixXd Q = qr.householderQ();
  VectorXd u = Q.col(Q.cols() - 1);   // orthogonal to the rows of Js
  VectorXd t = u.cwiseQuotient(s);    // |t|_w = |u| = 1
  if (t.dot(w.cwiseProduct(orient)) < 0) t = -t;
  return t;
}

bool inside(const CurveProblem& p, const VectorXd& y) {
  return (y.array() >= p.lower.array()).all() && (y.array() <= p.upper.array()).all();
}

}  // namespace

bool CurveTracer::correct_with_fixed(const CurveProblem& problem, VectorXd& y, int fixed, double tol,
                                     int max_iterations, double fd_step, long* evaluations) {
  Evaluator ev(problem);
  double r = ev.norm(y);
  for (int it = 0; it < max_iterations && r > tol; ++it) {
    MatrixXd J = ev.jacobian(y, fd_step);
    MatrixXd A(problem.equations, problem.equations);
    for (int c = 0, j = 0; c < static_cast<int>(y.size()); ++c)
      if (c != fixed) A.col(j++) = J.col(c);
    ev.eval(y);
    const VectorXd step = A.colPivHouseholderQr().solve(-ev.g);
    double lambda = 1.0;
    bool improved = false;
    for (int ls = 0; ls < 20; ++ls, lambda *= 0.5) {
      VectorXd trial = y;
      for (int c = 0, j = 0; c < static_cast<int>(y.size()); ++c)
        if (c != fixed) trial[c] += lambda * step[j++];
      trial = trial.cwiseMax(problem.lower).cwiseMin(problem.upper);
      trial[fixed] = y[fixed];
      const double rt = ev.norm(trial);
      if (rt < r) {
        y = trial;
        r = rt;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  if (evaluations) *evaluations += ev.evaluations;
  return r <= tol;
}

CurveTracer::Result CurveTracer::trace(const CurveProblem& problem, const VectorXd& y0,
                                       const VectorXd& direction, bool both_directions) const {
  options_.validate();
  const auto start = std::chrono::steady_clock::now();
  const int n = problem.equations + 1;
  if (y0.size() != n || problem.lower.size() != n || problem.upper.size() != n)
    throw InternalError("CurveTracer: y0 and the box must have equations + 1 components");
  const VectorXd w = problem.weights.size() == n ? problem.weights : VectorXd::Ones(n);
  Result result;
  Evaluator ev(problem);
  const double cos_max = std::cos(options_.max_angle_deg * 3.14159265358979323846 / 180.0);

  CurvePoint first{y0, ev.norm(y0), 0, 0.0};
  std::vector<CurvePoint> forward, backward;
  std::string messages;

  for (int dir = 0; dir < (both_directions ? 2 : 1); ++dir) {
    std::vector<CurvePoint>& out = dir == 0 ? forward : backward;
    VectorXd y = y0;
    VectorXd t = tangent(ev.jacobian(y, options_.fd_step), w, dir == 0 ? direction : VectorXd(-direction));
    double ds = options_.step;
    CurveEnd end = CurveEnd::kMaxPoints;
    std::string why;
    while (static_cast<int>(out.size()) < options_.max_points) {
      if (ds < options_.min_step) {
        end = CurveEnd::kMinStep;
        why = "step fell below min_step = " + format_number(options_.min_step) + " near " + [&] {
          std::string s;
          for (Eigen::Index i = 0; i < y.size(); ++i) s += (i ? ", " : "(") + format_number(y[i]);
          return s + ")";
        }();
        break;
      }
      const VectorXd yp = y + ds * t;
      // Corrector: Newton on [G(z); t_w . (z - yp)] = 0.
      VectorXd z = yp;
      int iterations = 0;
      double r = ev.norm(z);
      bool ok = r <= options_.tol;
      for (; !ok && iterations < options_.max_corrector_iterations; ++iterations) {
        MatrixXd J = ev.jacobian(z, options_.fd_step);
        MatrixXd A(n, n);
        A.topRows(n - 1) = J;
        A.row(n - 1) = w.cwiseProduct(t).transpose();
        VectorXd rhs(n);
        ev.eval(z);
        rhs.head(n - 1) = -ev.g;
        rhs[n - 1] = -w.cwiseProduct(t).dot(z - yp);
        const VectorXd dz = A.colPivHouseholderQr().solve(rhs);
        if (!dz.allFinite()) break;
        z += dz;
        r = ev.norm(z);
        ok = r <= options_.tol;
      }
      if (!ok) {
        ds *= options_.shrink;
        continue;
      }
      const VectorXd tz = tangent(ev.jacobian(z, options_.fd_step), w, t);
      if (tz.dot(w.cwiseProduct(t)) < cos_max) {
        ds *= options_.shrink;
        continue;
      }
      if (!inside(problem, z)) {
        // Land exactly on the box face the curve crosses: hold that component at its bound.
        int face = -1;
        double frac = 1.0;
        for (int i = 0; i < n; ++i) {
          double bound = z[i] < problem.lower[i] ? problem.lower[i] : z[i] > problem.upper[i] ? problem.upper[i] : NAN;
          if (std::isnan(bound) || z[i] == y[i]) continue;
          const double f = (bound - y[i]) / (z[i] - y[i]);
          if (f < frac) {
            frac = f;
            face = i;
          }
        }
        end = CurveEnd::kLeftBox;
        if (face >= 0) {
          VectorXd b = y + frac * (z - y);
          b[face] = z[face] < problem.lower[face] ? problem.lower[face] : problem.upper[face];
          long evals = 0;
          if (correct_with_fixed(problem, b, face, options_.tol, 20, options_.fd_step, &evals) && inside(problem, b))
            out.push_back({b, ev.norm(b), 0, frac * ds});
          ev.evaluations += evals;
        }
        why = "reached the boundary of the range";
        break;
      }
      out.push_back({z, r, iterations, ds});
      // closed loop: back near the start after having gone away
      if (out.size() > 10 && (z - y0).cwiseProduct(w.cwiseSqrt()).norm() < 0.5 * ds) {
        end = CurveEnd::kClosedLoop;
        why = "the curve closed on itself";
        break;
      }
      y = z;
      t = tz;
      if (iterations <= 3) ds = std::min(ds * options_.grow, options_.max_step);
    }
    if (dir == 0) result.forward_end = end;
    else result.backward_end = end;
    messages += std::string(dir == 0 ? "forward: " : "; backward: ") + to_string(end) +
                (why.empty() ? "" : " (" + why + ")");
    if (end == CurveEnd::kClosedLoop) break;
  }
  for (auto it = backward.rbegin(); it != backward.rend(); ++it) result.points.push_back(*it);
  result.points.push_back(first);
  for (auto& p : forward) result.points.push_back(p);
  result.residual_evaluations = ev.evaluations;
  result.message = messages;
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace saddle
