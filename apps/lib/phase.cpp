#include "phase.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <algorithm>
#include <thread>

#include "parallel.hpp"
#include "runner.hpp"
#include "saddle/curve.hpp"
#include "saddle/error.hpp"
#include "saddle/problem.hpp"

namespace saddle {

using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// Weight of order-parameter components in the arclength: steps are measured in the (normalised)
// parameter plane, so that a boundary is sampled evenly on the plot.
constexpr double kStateWeight = 1e-4;

class Boundary {
 public:
  Boundary(const Spec& spec, const BoundarySpec& b)
      : spec_(spec), model_(*spec.model), pt_(spec.phase), b_(b), n_(static_cast<int>(model_.order_parameters().size())) {}

  BoundaryResult run() {
    const auto t0 = std::chrono::steady_clock::now();
    BoundaryResult out;
    out.name = b_.name;
    out.kind = b_.kind;
    const auto pnames = model_.parameter_names();
    out.columns = {pnames[pt_.x_index], pnames[pt_.y_index]};
    const auto ops = model_.order_parameter_names();
    if (b_.kind == BoundaryKind::kFirstOrder) {
      for (int k = 0; k < 2; ++k)
        for (const auto& o : ops) out.columns.push_back(o + "_" + b_.branches[k]);
    } else {
      for (const auto& o : ops) out.columns.push_back(o);
    }
    out.columns.push_back("residual");

    std::string how;
    std::optional<VectorXd> y0 = b_.kind == BoundaryKind::kFold          ? start_fold(how)
                                 : b_.kind == BoundaryKind::kFirstOrder ? start_first_order(how)
                                                                        : start_reduced(how);
    if (!y0) {
      out.message = how;
      out.map_evaluations = evals_;
      out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      return out;
    }
    CurveProblem cp = curve_problem();
    CurveTracer::Options o;
    o.step = pt_.step;
    o.max_step = std::max(pt_.step, std::min(0.05, 4 * pt_.step));
    o.min_step = std::min(1e-7, pt_.step);
    o.tol = pt_.tol;
    o.fd_step = 1e-6;
    VectorXd dir = VectorXd::Zero(cp.equations + 1);
    dir[static_cast<Eigen::Index>(cp.equations + 1 - 2 + (1 - b_.fixed_axis))] = 1.0;  // along the free axis
    const auto traced = CurveTracer(o).trace(cp, *y0, dir, true);
    evals_ += traced.residual_evaluations * evals_per_residual_;
    out.found = true;
    const auto [sx, sy] = plane(*y0);
    out.start = {{out.columns[0], sx}, {out.columns[1], sy}};
    out.message = how + "; " + traced.message;
    // Reduced boundaries re-solve the branch at each point, outward from the start in both
    // directions, so every warm start is a neighbour on the curve.
    std::vector<VectorXd> states(traced.points.size(), VectorXd::Constant(n_, NAN));
    if (reduced()) {
      std::size_t i0 = 0;
      for (std::size_t i = 0; i < traced.points.size(); ++i)
        if (traced.points[i].step == 0.0) i0 = i;
      for (int dir : {1, -1}) {
        last_x_ = start_state_;
        for (long i = static_cast<long>(i0); i >= 0 && i < static_cast<long>(traced.points.size()); i += dir) {
          const auto [xv, yv] = plane(traced.points[static_cast<std::size_t>(i)].y);
          if (auto x = state_at(xv, yv)) states[static_cast<std::size_t>(i)] = *x;
        }
      }
    }
    for (std::size_t i = 0; i < traced.points.size(); ++i) {
      const auto& p = traced.points[i];
      std::vector<double> row;
      const auto [xv, yv] = plane(p.y);
      row.push_back(xv);
      row.push_back(yv);
      if (reduced()) {
        for (int k = 0; k < n_; ++k) row.push_back(states[i][k]);
      } else {
        for (int k = 0; k < p.y.size() - 2; ++k) row.push_back(p.y[k]);
      }
      row.push_back(p.residual);
      out.rows.push_back(std::move(row));
      out.status.push_back(reduced() && !states[i].allFinite() ? "state_not_converged" : "converged");
    }
    out.map_evaluations = evals_;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }

 private:
  // This boundary's own range in normalised plane coordinates.
  VectorXd box_lower() const {
    VectorXd v(2);
    v << u_of(b_.x_min), v_of(b_.y_min);
    return v;
  }
  VectorXd box_upper() const {
    VectorXd v(2);
    v << u_of(b_.x_max), v_of(b_.y_max);
    return v;
  }
  bool reduced() const { return b_.kind == BoundaryKind::kInstability || b_.kind == BoundaryKind::kCritical; }

  double x_of(double u) const { return pt_.x_min + u * (pt_.x_max - pt_.x_min); }
  double y_of(double v) const { return pt_.y_min + v * (pt_.y_max - pt_.y_min); }
  double u_of(double x) const { return (x - pt_.x_min) / (pt_.x_max - pt_.x_min); }
  double v_of(double y) const { return (y - pt_.y_min) / (pt_.y_max - pt_.y_min); }
  std::pair<double, double> plane(const VectorXd& y) const {
    const Eigen::Index k = y.size();
    // Clamp rounding at the box faces, so that an end point lands exactly on the range.
    return {std::clamp(x_of(y[k - 2]), b_.x_min, b_.x_max), std::clamp(y_of(y[k - 1]), b_.y_min, b_.y_max)};
  }

  // Parameters are clamped to the plot range (which lies inside the model's valid ranges): a
  // corrector iterate just outside (T < 0) sees the equations on the face, and the tracer then
  // lands exactly on the face.
  Point at(double xv, double yv) const {
    Point p = spec_.point;
    p.params[pt_.x_index] = std::clamp(xv, b_.x_min, b_.x_max);
    p.params[pt_.y_index] = std::clamp(yv, b_.y_min, b_.y_max);
    return p;
  }
  // The point at bracket coordinate s (the free axis), the fixed axis at its value.
  Point bracket_point(double s) const {
    return b_.fixed_axis == 0 ? at(b_.fixed_value, s) : at(s, b_.fixed_value);
  }
  VectorXd plane_coords(double s) const {
    VectorXd uv(2);
    if (b_.fixed_axis == 0) uv << u_of(b_.fixed_value), v_of(s);
    else uv << u_of(s), v_of(b_.fixed_value);
    return uv;
  }

  std::optional<VectorXd> seed(const std::string& branch, const Point& p) const {
    for (const auto& s : model_.branches(p))
      if (s.name == branch) return s.x0;
    return std::nullopt;
  }

  // Solves the branch at p from x (warm) and returns whether it converged to the same phase.
  bool solve(const Point& p, VectorXd& x, const std::string& phase) {
    const FixedPointProblem prob = make_problem(model_, p);
    const SolutionRecord r = solve_start(model_, p, prob, "", x, spec_.solver, false);
    evals_ += r.summary.map_evaluations;
    if (!r.converged() || (!phase.empty() && r.phase != phase)) return false;
    x = r.x;
    return true;
  }

  double det_jr(const Point& p, const VectorXd& x) {
    const FixedPointProblem prob = make_problem(model_, p);
    int e = 0;
    MatrixXd J = map_jacobian(prob, x, spec_.solver.newton.jacobian, spec_.solver.newton.fd_step, &e);
    evals_ += e;
    J -= MatrixXd::Identity(J.rows(), J.cols());
    return J.determinant();
  }

  double condition(const Point& p, const VectorXd& x) {
    if (b_.kind == BoundaryKind::kCritical) return model_.observable_values(x, p)[b_.observable];
    return det_jr(p, x);
  }

  // Reduced boundaries: the branch solution at a plane point, warm-started from the last one. It
  // must keep the phase it had at the start: a warm start can slide onto another fixed point
  // (the paramagnet q = 0 is one everywhere in the SK model), and the condition would then be
  // evaluated on the wrong branch.
  std::optional<VectorXd> state_at(double xv, double yv) {
    const Point p = at(xv, yv);
    VectorXd x = last_x_;
    if (x.size() == n_ && solve(p, x, phase_)) {
      last_x_ = x;
      return x;
    }
    if (auto s = seed(b_.branches[0], p)) {
      x = *s;
      if (solve(p, x, phase_)) {
        last_x_ = x;
        return x;
      }
    }
    return std::nullopt;
  }

  CurveProblem curve_problem() {
    CurveProblem cp;
    if (reduced()) {
      cp.equations = 1;
      cp.lower = box_lower();
      cp.upper = box_upper();
      cp.residual = [this](const VectorXd& y, VectorXd& g) {
        const double xv = x_of(y[0]), yv = y_of(y[1]);
        const auto x = state_at(xv, yv);
        g[0] = x ? condition(at(xv, yv), *x) : NAN;
      };
      return cp;
    }
    const int copies = b_.kind == BoundaryKind::kFirstOrder ? 2 : 1;
    const int dim = copies * n_ + 2;
    cp.equations = dim - 1;
    cp.lower.resize(dim);
    cp.upper.resize(dim);
    cp.weights = VectorXd::Constant(dim, kStateWeight);
    cp.weights.tail(2).setOnes();
    const auto ops = model_.order_parameters();
    for (int c = 0; c < copies; ++c)
      for (int i = 0; i < n_; ++i) {
        cp.lower[c * n_ + i] = ops[static_cast<std::size_t>(i)].lower;
        cp.upper[c * n_ + i] = ops[static_cast<std::size_t>(i)].upper;
      }
    cp.lower.tail(2) = box_lower();
    cp.upper.tail(2) = box_upper();
    cp.residual = [this, copies](const VectorXd& y, VectorXd& g) {
      const Point p = at(x_of(y[y.size() - 2]), y_of(y[y.size() - 1]));
      VectorXd fx(n_);
      for (int c = 0; c < copies; ++c) {
        const VectorXd x = y.segment(c * n_, n_);
        model_.map(x, p, fx);
        g.segment(c * n_, n_) = fx - x;
      }
      if (copies == 1) {
        g[n_] = det_jr(p, y.head(n_));
      } else {
        const auto f1 = model_.free_energy(y.head(n_), p), f2 = model_.free_energy(y.segment(n_, n_), p);
        g[2 * n_] = f1 && f2 ? *f1 - *f2 : NAN;
      }
    };
    evals_per_residual_ = copies == 1 ? 1 : 2;  // map calls per residual (det adds its own count)
    return cp;
  }

  std::vector<double> samples() const {
    std::vector<double> s;
    for (int k = 0; k < b_.samples; ++k)
      s.push_back(b_.bracket_from + (b_.bracket_to - b_.bracket_from) * k / (b_.samples - 1));
    return s;
  }

  std::string where(double s) const {
    const auto names = model_.parameter_names();
    const std::string fixed = names[b_.fixed_axis == 0 ? pt_.x_index : pt_.y_index];
    const std::string free = names[b_.fixed_axis == 0 ? pt_.y_index : pt_.x_index];
    return fixed + " = " + format_number(b_.fixed_value) + ", " + free + " = " + format_number(s);
  }
  std::string bracket_text() const {
    return "[" + format_number(b_.bracket_from) + ", " + format_number(b_.bracket_to) + "]";
  }

  // instability / critical: first sign change of the condition along the bracket, refined by
  // bisection with warm starts.
  std::optional<VectorXd> start_reduced(std::string& how) {
    std::optional<double> s_prev, c_prev;
    VectorXd x_prev;
    for (double s : samples()) {
      const Point p = bracket_point(s);
      VectorXd x = x_prev.size() == n_ ? x_prev : seed(b_.branches[0], p).value_or(VectorXd());
      if (x.size() != n_ || !solve(p, x, "")) {
        if (auto sd = seed(b_.branches[0], p); sd) {
          x = *sd;
          if (!solve(p, x, "")) { s_prev.reset(); continue; }
        } else { s_prev.reset(); continue; }
      }
      const double c = condition(p, x);
      if (s_prev && std::isfinite(c) && std::isfinite(*c_prev) && (c == 0 || (c > 0) != (*c_prev > 0))) {
        double a = *s_prev, b = s, ca = *c_prev;
        VectorXd xa = x_prev;
        for (int it = 0; it < 80 && std::fabs(b - a) > 1e-14 * (1 + std::fabs(a)); ++it) {
          const double m = 0.5 * (a + b);
          VectorXd xm = xa;
          if (!solve(bracket_point(m), xm, "")) break;
          const double cm = condition(bracket_point(m), xm);
          if ((cm > 0) == (ca > 0)) { a = m; ca = cm; xa = xm; } else { b = m; }
        }
        last_x_ = xa;
        // A critical condition (lambda_AT) may itself decide the model's phase label, so only
        // instability lines pin the phase.
        if (b_.kind == BoundaryKind::kInstability) phase_ = model_.phase(xa, bracket_point(a));
        start_state_ = xa;
        how = "start at " + where(a) + " (sign change of " +
              (b_.kind == BoundaryKind::kCritical ? model_.observable_names()[b_.observable] : std::string("det(dF/dx - I)")) +
              " on branch " + b_.branches[0] + " in the bracket " + bracket_text() + ")";
        return plane_coords(a);
      }
      s_prev = s;
      c_prev = c;
      x_prev = x;
    }
    how = "no boundary found: the condition on branch " + b_.branches[0] + " does not change sign in the bracket " + bracket_text();
    return std::nullopt;
  }

  // fold: the branch, followed with warm starts, ends (fails or changes phase) inside the bracket.
  std::optional<VectorXd> start_fold(std::string& how) {
    const std::string branch = b_.branches[0];
    std::optional<double> s_good;
    VectorXd x_good;
    std::string phase;
    for (double s : samples()) {
      const Point p = bracket_point(s);
      VectorXd x = s_good ? x_good : seed(branch, p).value_or(VectorXd());
      const bool ok = x.size() == n_ && solve(p, x, phase);
      if (ok) {
        if (!s_good) phase = model_.phase(x, p);
        s_good = s;
        x_good = x;
        continue;
      }
      if (!s_good) continue;  // the branch has not started yet
      double a = *s_good, b = s;
      for (int it = 0; it < 60 && std::fabs(b - a) > 1e-13 * (1 + std::fabs(a)); ++it) {
        const double m = 0.5 * (a + b);
        VectorXd xm = x_good;
        if (solve(bracket_point(m), xm, phase)) { a = m; x_good = xm; } else { b = m; }
      }
      VectorXd y(n_ + 2);
      y.head(n_) = x_good;
      y.tail(2) = plane_coords(a);
      CurveProblem cp = curve_problem();
      long e = 0;
      const bool corrected = CurveTracer::correct_with_fixed(cp, y, n_ + b_.fixed_axis, pt_.tol, 30, 1e-6, &e);
      evals_ += e;
      if (!corrected) {
        how = "branch " + branch + " ends near " + where(a) + ", but the fold equations did not converge there";
        return std::nullopt;
      }
      const auto [xv, yv] = plane(y);
      how = "start at " + where(b_.fixed_axis == 0 ? yv : xv) + " (fold of branch " + branch + ", bracket " + bracket_text() + ")";
      return y;
    }
    how = s_good ? "no fold: branch " + branch + " continues through the whole bracket " + bracket_text()
                 : "branch " + branch + " was not found anywhere in the bracket " + bracket_text();
    return std::nullopt;
  }

  // first_order: the free energies of the two branches cross inside the bracket.
  std::optional<VectorXd> start_first_order(std::string& how) {
    std::optional<double> s_prev, d_prev;
    VectorXd x1p, x2p;
    std::string ph1, ph2;
    for (double s : samples()) {
      const Point p = bracket_point(s);
      VectorXd x1 = x1p.size() == n_ ? x1p : seed(b_.branches[0], p).value_or(VectorXd());
      VectorXd x2 = x2p.size() == n_ ? x2p : seed(b_.branches[1], p).value_or(VectorXd());
      const bool ok = x1.size() == n_ && x2.size() == n_ && solve(p, x1, ph1) && solve(p, x2, ph2) &&
                      (x1 - x2).cwiseAbs().maxCoeff() > 1e-6;
      if (!ok) { s_prev.reset(); x1p.resize(0); x2p.resize(0); ph1.clear(); ph2.clear(); continue; }
      if (ph1.empty()) { ph1 = model_.phase(x1, p); ph2 = model_.phase(x2, p); }
      const double d = *model_.free_energy(x1, p) - *model_.free_energy(x2, p);
      if (s_prev && (d == 0 || (d > 0) != (*d_prev > 0))) {
        double a = *s_prev, b = s, da = *d_prev;
        VectorXd y1 = x1p, y2 = x2p;
        for (int it = 0; it < 60 && std::fabs(b - a) > 1e-13 * (1 + std::fabs(a)); ++it) {
          const double m = 0.5 * (a + b);
          VectorXd m1 = y1, m2 = y2;
          const Point pm = bracket_point(m);
          if (!solve(pm, m1, ph1) || !solve(pm, m2, ph2)) break;
          const double dm = *model_.free_energy(m1, pm) - *model_.free_energy(m2, pm);
          if ((dm > 0) == (da > 0)) { a = m; da = dm; y1 = m1; y2 = m2; } else { b = m; }
        }
        VectorXd y(2 * n_ + 2);
        y << y1, y2, plane_coords(a);
        CurveProblem cp = curve_problem();
        long e = 0;
        const bool corrected = CurveTracer::correct_with_fixed(cp, y, 2 * n_ + b_.fixed_axis, pt_.tol, 30, 1e-6, &e);
        evals_ += 2 * e;
        if (!corrected) {
          how = "free energies cross near " + where(a) + ", but the coexistence equations did not converge there";
          return std::nullopt;
        }
        const auto [xv, yv] = plane(y);
        how = "start at " + where(b_.fixed_axis == 0 ? yv : xv) + " (equal free energy of " + b_.branches[0] + " and " +
              b_.branches[1] + ", bracket " + bracket_text() + ")";
        return y;
      }
      s_prev = s;
      d_prev = d;
      x1p = x1;
      x2p = x2;
    }
    how = "no first-order point: the free energies of " + b_.branches[0] + " and " + b_.branches[1] +
          " do not cross where both exist in the bracket " + bracket_text();
    return std::nullopt;
  }

  const Spec& spec_;
  const FixedPointModel& model_;
  const PhaseTask& pt_;
  const BoundarySpec& b_;
  const int n_;
  VectorXd last_x_;
  VectorXd start_state_;
  std::string phase_;  // reduced boundaries: the phase of the branch at the start point
  long evals_ = 0;
  long evals_per_residual_ = 0;
};

}  // namespace

void preflight_phase(const Spec& spec) {
  const PhaseTask& pt = spec.phase;
  for (std::size_t i = 0; i < pt.boundaries.size(); ++i) {
    const auto& b = pt.boundaries[i];
    std::set<std::string> seen;
    for (int k = 0; k < b.samples; ++k) {
      const double s = b.bracket_from + (b.bracket_to - b.bracket_from) * k / (b.samples - 1);
      Point p = spec.point;
      p.params[b.fixed_axis == 0 ? pt.x_index : pt.y_index] = b.fixed_value;
      p.params[b.fixed_axis == 0 ? pt.y_index : pt.x_index] = s;
      for (const auto& seed : spec.model->branches(p)) seen.insert(seed.name);
    }
    for (std::size_t j = 0; j < b.branches.size(); ++j)
      if (!seen.count(b.branches[j])) {
        const std::vector<std::string> known(seen.begin(), seen.end());
        std::string list;
        for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
        const std::string path = "/task/boundaries/" + std::to_string(i) +
                                 (b.kind == BoundaryKind::kFirstOrder ? "/branches/" + std::to_string(j) : "/branch");
        throw InputError("init.unknown_branch", spec.source + ": " + path,
                         "model " + spec.model->id() + " offers no branch '" + b.branches[j] + "' along the start bracket" +
                             did_you_mean(b.branches[j], known) + "; branches there: " + list);
      }
  }
}

PhaseLabels label_phases(const Spec& spec, int jobs) {
  const PhaseTask& pt = spec.phase;
  const int nx = pt.label_grid[0], ny = pt.label_grid[1];
  std::vector<std::string> phase(static_cast<std::size_t>(nx * ny));
  std::vector<double> xs(phase.size()), ys(phase.size());
  parallel_for(static_cast<std::size_t>(nx * ny), jobs, [&](std::size_t kk) {
    const int k = static_cast<int>(kk);
    {
      const int i = k % nx, j = k / nx;
      Point p = spec.point;
      xs[k] = p.params[pt.x_index] = pt.x_min + (i + 0.5) / nx * (pt.x_max - pt.x_min);
      ys[k] = p.params[pt.y_index] = pt.y_min + (j + 0.5) / ny * (pt.y_max - pt.y_min);
      for (const auto& rec : solve_point(*spec.model, p, {}, spec.solver))
        if (rec.selected) phase[k] = rec.phase.empty() ? rec.branch : rec.phase;
    }
  });

  PhaseLabels out;
  out.grid_points = nx * ny;
  std::map<std::string, std::vector<int>> members;
  for (int k = 0; k < nx * ny; ++k) {
    if (phase[k].empty()) ++out.unresolved;
    else members[phase[k]].push_back(k);
  }
  for (const auto& [name, ks] : members) {
    // Distances in the plane normalised by the ranges; the nearest member keeps the label inside
    // a non-convex region.
    double cx = 0, cy = 0;
    for (int k : ks) cx += (xs[k] - pt.x_min) / (pt.x_max - pt.x_min), cy += (ys[k] - pt.y_min) / (pt.y_max - pt.y_min);
    cx /= ks.size();
    cy /= ks.size();
    int best = ks.front();
    double best_d = INFINITY;
    for (int k : ks) {
      const double dx = (xs[k] - pt.x_min) / (pt.x_max - pt.x_min) - cx, dy = (ys[k] - pt.y_min) / (pt.y_max - pt.y_min) - cy;
      if (dx * dx + dy * dy < best_d) best_d = dx * dx + dy * dy, best = k;
    }
    out.labels.push_back({name, xs[best], ys[best], static_cast<int>(ks.size())});
  }
  std::stable_sort(out.labels.begin(), out.labels.end(), [](const PhaseLabel& a, const PhaseLabel& b) { return a.points > b.points; });
  return out;
}

std::vector<BoundaryResult> run_phase_diagram(const Spec& spec, int jobs) {
  const auto& bs = spec.phase.boundaries;
  std::vector<BoundaryResult> out(bs.size());
  parallel_for(bs.size(), jobs, [&](std::size_t i) { out[i] = Boundary(spec, bs[i]).run(); });
  return out;
}

}  // namespace saddle
