// The spectral toolkit: Stieltjes equations solved on a grid of x with the generic Newton
// (complex unknowns split into real and imaginary parts), edges, atoms and the mass check.
// See include/saddle/spectral.hpp for the conventions.
#include "saddle/spectral.hpp"

#include <gsl/gsl_integration.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "saddle/error.hpp"

namespace saddle {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kPi = 3.14159265358979323846;

double max_abs(const CVector& u) {
  return u.size() ? u.cwiseAbs().maxCoeff() : 0.0;
}

Eigen::VectorXd split(const CVector& u) {
  const Eigen::Index n = u.size();
  Eigen::VectorXd x(2 * n);
  x.head(n) = u.real();
  x.tail(n) = u.imag();
  return x;
}

CVector join(const Eigen::VectorXd& x) {
  const Eigen::Index n = x.size() / 2;
  CVector u(n);
  for (Eigen::Index i = 0; i < n; ++i) u[i] = cplx(x[i], x[n + i]);
  return u;
}

// dF/du at (u, z): the model's analytic Jacobian, else central differences along real
// directions (F is analytic in u, so a real step gives the complex derivative).
Eigen::MatrixXcd complex_jacobian(const StieltjesEquation& eq, const CVector& u, cplx z,
                                  int* evals) {
  const Eigen::Index n = u.size();
  Eigen::MatrixXcd j(n, n);
  if (eq.jacobian(u, z, j)) return j;
  CVector up = u, fp(n), fm(n);
  for (Eigen::Index k = 0; k < n; ++k) {
    const double h = 1e-6 * std::max(1.0, std::abs(u[k]));
    up[k] = u[k] + h;
    eq.map(up, z, fp);
    up[k] = u[k] - h;
    eq.map(up, z, fm);
    up[k] = u[k];
    j.col(k) = (fp - fm) / (2.0 * h);
    if (evals) *evals += 2;
  }
  return j;
}

// The real fixed-point problem of the equation at z, unknowns [Re u; Im u].
FixedPointProblem split_problem(const StieltjesEquation& eq, cplx z, int* evals) {
  const int n = eq.dimension();
  FixedPointProblem p;
  p.lower = Eigen::VectorXd::Constant(2 * n, -kInf);
  p.upper = Eigen::VectorXd::Constant(2 * n, kInf);
  p.map = [&eq, z, evals](const Eigen::VectorXd& x, Eigen::VectorXd& fx) {
    const CVector u = join(x);
    CVector fu(u.size());
    eq.map(u, z, fu);
    fx = split(fu);
    if (evals) ++*evals;
  };
  p.jacobian = [&eq, z, evals](const Eigen::VectorXd& x, Eigen::MatrixXd& jac) {
    const CVector u = join(x);
    const Eigen::MatrixXcd j = complex_jacobian(eq, u, z, evals);
    const Eigen::Index n = u.size();
    jac.resize(2 * n, 2 * n);
    jac.topLeftCorner(n, n) = j.real();
    jac.topRightCorner(n, n) = -j.imag();
    jac.bottomLeftCorner(n, n) = j.imag();
    jac.bottomRightCorner(n, n) = j.real();
    return true;
  };
  return p;
}

// Newton at z from u (in place). Tolerance scaled by the size of the unknowns (near atoms g is
// of order mass / eta).
SolverSummary newton_at(const StieltjesEquation& eq, cplx z, CVector& u, double tol, int max_it,
                        int* evals) {
  const FixedPointProblem p = split_problem(eq, z, evals);
  Newton::Options o;
  o.tol = std::min(1e-3, tol * std::max(1.0, max_abs(u)));
  o.max_iterations = max_it;
  Eigen::VectorXd x = split(u);
  SolverSummary s = Newton(o).solve(p, x);
  if (!s.usable() && s.reason != TerminationReason::kNonFinite && max_abs(join(x)) > 1.0) {
    // The solution is larger than the start (near an atom g ~ mass / eta): retry with the
    // tolerance relative to it, at no less than 1e-11 relative (F loses digits to cancellation).
    o.tol = std::min(1e-3, std::max(tol, 1e-11) * max_abs(join(x)));
    Eigen::VectorXd x2 = x;
    SolverSummary s2 = Newton(o).solve(p, x2);
    s2.iterations += s.iterations;
    s2.map_evaluations += s.map_evaluations;
    if (s2.usable()) {
      x = x2;
      s = s2;
    }
  }
  u = join(x);
  return s;
}

// Im g >= 0 up to roundoff; `slack` (relative) admits the noise of real roots computed on the
// real axis, where a nearly double root (next to an edge) leaves Im g ~ 1e-13 of either sign.
// Above the axis a Stieltjes transform has Im g >= eta / ((|x| + R)^2 + eta^2) (R bounds the
// support), so a root with Im g ~ 0 there is spurious (e.g. g = 0 when an S-transform factor
// cancels); the bound is applied with a generous factor 1e-6.
bool upper_half(const StieltjesEquation& eq, const CVector& u, cplx z, double slack = 16 * kEps) {
  const cplx g = eq.stieltjes(u, z);
  if (!std::isfinite(g.real()) || !std::isfinite(g.imag())) return false;
  if (z.imag() > 0.0) {
    // Further necessary conditions for g = integral rho / (t - z) with rho on [lo, hi] (they
    // reject roots of higher-degree equations that also lie above the axis): |g| <= 1 / dist(z,
    // [lo, hi]), Im g <= eta / dist^2, and Re g has the sign of (t - x) when x is outside
    // [lo, hi].
    const auto [lo, hi] = eq.support_bounds();
    const double r = std::abs(z.real()) + std::max(std::abs(lo), std::abs(hi));
    if (!(g.imag() > 1e-6 * z.imag() / (r * r + z.imag() * z.imag()))) return false;
    const double dx = z.real() < lo ? lo - z.real() : z.real() > hi ? z.real() - hi : 0.0;
    const double dist = std::hypot(dx, z.imag());
    if (std::abs(g) * dist > 1.0 + 1e-9) return false;
    if (g.imag() * dist * dist > z.imag() * (1.0 + 1e-9)) return false;  // Im g <= eta / dist^2
    const double tiny = 1e-12 * std::abs(g);
    if (z.real() < lo && g.real() < -tiny) return false;
    if (z.real() > hi && g.real() > tiny) return false;
    return true;
  }
  return g.imag() >= -slack * std::max(1.0, std::abs(g));
}

double support_scale(const StieltjesEquation& eq) {
  const auto [lo, hi] = eq.support_bounds();
  return std::max(1e-300, std::max(hi - lo, std::max(std::abs(lo), std::abs(hi))));
}

}  // namespace

std::string to_string(SpectralPointStatus s) {
  switch (s) {
    case SpectralPointStatus::kConverged:
      return "converged";
    case SpectralPointStatus::kAtom:
      return "atom";
    case SpectralPointStatus::kNotConverged:
      return "not_converged";
  }
  return "not_converged";
}

void SpectrumSolver::Options::validate() const {
  auto bad = [](const std::string& field, double v, const std::string& rule) {
    throw InputError("solver.bad_option", "spectrum." + field,
                     field + " = " + format_number(v) + " is out of range; expected " + rule);
  };
  if (!(tol > 0.0 && tol <= 1e-3)) bad("tol", tol, "0 < tol <= 1e-3");
  if (max_iterations < 1) bad("max_iterations", max_iterations, "max_iterations >= 1");
  if (!(eta >= 0.0) || !std::isfinite(eta))
    bad("eta", eta, "eta >= 0 (0 means the limit eta -> 0+)");
  if (!(eta_c > 0.0 && eta_c <= 1e-3)) bad("eta_c", eta_c, "0 < eta_c <= 1e-3");
  if (mass_nodes < 8) bad("mass_nodes", mass_nodes, "mass_nodes >= 8");
  if (!(mass_tol > 0.0 && mass_tol < 1.0)) bad("mass_tol", mass_tol, "0 < mass_tol < 1");
}

SpectralPoint SpectrumSolver::solve_at(const StieltjesEquation& eq, double x, double eta,
                                       CVector& u, bool warm) const {
  SpectralPoint pt;
  pt.x = x;
  pt.eta_used = eta;
  const cplx z(x, eta);
  int evals = 0;
  auto finish = [&](const SolverSummary& s, const char* how) {
    pt.iterations += s.iterations;
    pt.residual = s.residual;
    pt.g = eq.stieltjes(u, z);
    pt.rho = std::max(0.0, pt.g.imag()) / kPi;
    pt.how = how;
    pt.status = SpectralPointStatus::kConverged;
    return pt;
  };
  if (warm && u.size() == eq.dimension()) {
    CVector v = u;
    const SolverSummary s = newton_at(eq, z, v, options_.tol, options_.max_iterations, &evals);
    pt.iterations += s.iterations;
    if (s.usable() && upper_half(eq, v, z)) {
      u = v;
      return finish(s, "continuation");
    }
    if (s.usable()) {
      // The conjugate root of a real equation: at small eta the physical root is next to it.
      CVector w = v.conjugate();
      const SolverSummary s2 = newton_at(eq, z, w, options_.tol, options_.max_iterations, &evals);
      pt.iterations += s2.iterations;
      if (s2.usable() && upper_half(eq, w, z)) {
        u = w;
        return finish(s2, "conjugate");
      }
    }
  }
  // The eta ladder: from far above the axis (where the physical root is the attractor of the
  // seed) down to eta, with warm starts and an adaptive ratio.
  const double scale = support_scale(eq);
  double e = std::max(eta, 2.0 * scale);
  CVector v = eq.seed(cplx(x, e));
  SolverSummary s = newton_at(eq, cplx(x, e), v, options_.tol, options_.max_iterations, &evals);
  pt.iterations += s.iterations;
  double ratio = 0.2;
  int guard = 0;
  while (s.usable() && e > eta && guard++ < 400) {
    const double next = std::max(eta, e * ratio);
    CVector w = v;
    const SolverSummary s2 =
        newton_at(eq, cplx(x, next), w, options_.tol, options_.max_iterations, &evals);
    pt.iterations += s2.iterations;
    if (s2.usable() && upper_half(eq, w, cplx(x, next))) {
      v = w;
      e = next;
      s = s2;
      ratio = std::max(0.02, ratio * ratio);
    } else {
      ratio = std::sqrt(ratio);
      if (ratio > 0.999) break;
    }
  }
  u = v;
  if (s.usable() && e <= eta && upper_half(eq, v, z)) return finish(s, "eta_ladder");
  pt.status = SpectralPointStatus::kNotConverged;
  pt.residual = s.residual;
  pt.g = eq.stieltjes(u, cplx(x, e));
  pt.rho = std::max(0.0, pt.g.imag()) / kPi;
  pt.eta_used = e;
  pt.how = "failed";
  return pt;
}

SpectralPoint SpectrumSolver::density_at(const StieltjesEquation& eq, double x, CVector& u,
                                         bool warm) const {
  const double eta_c = options_.eta_c * support_scale(eq);
  SpectralPoint pt = solve_at(eq, x, eta_c, u, warm);
  if (pt.status != SpectralPointStatus::kConverged) return pt;
  // Polish at eta = 0: the root of the real-axis equation next to the eta_c root. Accepted when
  // it converged, lies in the closed upper half plane and did not jump to another root. A real
  // start is the fallback outside the support (Newton from a real point stays on the axis).
  int evals = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    CVector v = attempt == 0 ? u : CVector(u.real().cast<cplx>());
    const SolverSummary s =
        newton_at(eq, cplx(x, 0.0), v, options_.tol, options_.max_iterations, &evals);
    pt.iterations += s.iterations;
    if (!s.usable() || !upper_half(eq, v, cplx(x, 0.0), 1e-10)) continue;
    // Two more Newton steps: next to an edge the root is nearly double and the error in g is
    // the residual over |1 - F'| ~ sqrt(distance), so the residual is driven to roundoff.
    double res = s.residual;
    for (int k = 0; k < 2; ++k) {
      CVector fu(v.size());
      eq.map(v, cplx(x, 0.0), fu);
      const Eigen::MatrixXcd j = complex_jacobian(eq, v, cplx(x, 0.0), &evals);
      const Eigen::MatrixXcd a = Eigen::MatrixXcd::Identity(v.size(), v.size()) - j;
      const CVector w = v + a.partialPivLu().solve(fu - v);
      CVector fw(v.size());
      eq.map(w, cplx(x, 0.0), fw);
      const double rw = (fw - w).cwiseAbs().maxCoeff();
      if (!(rw <= res)) break;
      v = w;
      res = rw;
    }
    if (!upper_half(eq, v, cplx(x, 0.0), 1e-10)) continue;
    const cplx g0 = eq.stieltjes(v, cplx(x, 0.0));
    if (std::abs(g0 - pt.g) > 1e-3 * std::max(1.0, std::abs(pt.g))) continue;
    pt.g = g0;
    pt.rho = std::max(0.0, g0.imag()) / kPi;
    pt.eta_used = 0.0;
    pt.residual = res;
    return pt;
  }
  return pt;
}

namespace {

// Newton on the fold system F(u; x) = u, det(I - dF/du) = 0 for real u and x (an edge of the
// support is where the real root of the real-axis equation meets its partner).
bool locate_edge(const StieltjesEquation& eq, Eigen::VectorXd& ux, double tol, double* residual) {
  const Eigen::Index n = ux.size() - 1;
  auto resid = [&](const Eigen::VectorXd& v, Eigen::VectorXd& r) {
    CVector u(n);
    for (Eigen::Index i = 0; i < n; ++i) u[i] = v[i];
    const cplx z(v[n], 0.0);
    CVector fu(n);
    eq.map(u, z, fu);
    const Eigen::MatrixXcd j = complex_jacobian(eq, u, z, nullptr);
    r.resize(n + 1);
    r.head(n) = fu.real() - u.real();
    r[n] = (Eigen::MatrixXd::Identity(n, n) - j.real()).determinant();
  };
  Eigen::VectorXd r, r2, trial;
  resid(ux, r);
  for (int it = 0; it < 60; ++it) {
    if (!r.allFinite()) return false;
    const double rn = r.cwiseAbs().maxCoeff();
    *residual = rn;
    if (rn <= tol) return true;
    Eigen::MatrixXd jac(n + 1, n + 1);
    for (Eigen::Index k = 0; k <= n; ++k) {
      const double h = 1e-7 * std::max(1.0, std::abs(ux[k]));
      Eigen::VectorXd vp = ux, vm = ux;
      vp[k] += h;
      vm[k] -= h;
      Eigen::VectorXd rp, rm;
      resid(vp, rp);
      resid(vm, rm);
      jac.col(k) = (rp - rm) / (2 * h);
    }
    const Eigen::VectorXd step = jac.colPivHouseholderQr().solve(-r);
    if (!step.allFinite()) return false;
    double t = 1.0;
    bool accepted = false;
    for (int ls = 0; ls < 30; ++ls, t *= 0.5) {
      trial = ux + t * step;
      resid(trial, r2);
      if (r2.allFinite() && r2.cwiseAbs().maxCoeff() < rn) {
        accepted = true;
        break;
      }
    }
    if (!accepted) return false;
    ux = trial;
    r = r2;
  }
  *residual = r.cwiseAbs().maxCoeff();
  return *residual <= tol;
}

}  // namespace

SpectrumResult SpectrumSolver::run(const StieltjesEquation& eq,
                                   const std::vector<double>& xs) const {
  options_.validate();
  const auto t0 = std::chrono::steady_clock::now();
  SpectrumResult res;
  const double scale = support_scale(eq);
  const bool limit = options_.eta == 0.0;

  // Atoms first: grid points on them are marked instead of solved.
  if (options_.special_points) {
    for (const auto& [a, expected] : eq.atom_candidates()) {
      // eta Im g(a + i eta) = c + K eta^2 + O(eta^4) at an isolated atom of mass c (the atom
      // gives exactly c; the continuous part eta^2 integral rho / (t - a)^2). Near the real axis
      // the fixed-point equations are ill-conditioned at an atom (g ~ c / eta), so the mass is
      // measured at moderate eta and Richardson-extrapolated twice (error O(eta^6)).
      // Shrinking h until the solves fail (or 4 levels): the last two estimates give the
      // uncertainty.
      double c = 0.0, prev = 0.0, unc = kInf;
      int levels = 0;
      for (double h = 0.04 * scale; levels < 4; h *= 0.25) {
        double f[3];
        bool ok = true;
        for (int k = 0; k < 3 && ok; ++k) {
          CVector u;
          const double e = h / (1 << k);
          const SpectralPoint p = solve_at(eq, a, e, u, false);
          ok = p.status == SpectralPointStatus::kConverged;
          f[k] = e * p.g.imag();
        }
        if (!ok) break;
        const double r1a = (4 * f[1] - f[0]) / 3, r1b = (4 * f[2] - f[1]) / 3;
        prev = c;
        c = (16 * r1b - r1a) / 15;
        if (levels > 0) unc = std::abs(c - prev);
        ++levels;
      }
      if (levels == 0) continue;
      // Reported when predicted, or when clearly resolved (a density that diverges at a hard
      // edge mimics a small atom with a large extrapolation uncertainty).
      if (expected > 0.0 || (c > 1e-7 && c > 10 * unc)) res.atoms.push_back({a, c, expected, unc});
    }
  }
  for (const auto& at : res.atoms) res.atom_mass += at.mass;

  CVector u;
  bool warm = false;
  cplx prev_g = 0.0;
  res.points.reserve(xs.size());
  for (double x : xs) {
    bool on_atom = false;
    for (const auto& at : res.atoms)
      if (at.mass > 1e-7 && std::abs(x - at.x) <= 1e-12 * scale) on_atom = true;
    if (on_atom) {
      SpectralPoint p;
      p.x = x;
      p.status = SpectralPointStatus::kAtom;
      p.how = "atom";
      res.points.push_back(p);
      continue;
    }
    SpectralPoint p = limit ? density_at(eq, x, u, warm) : solve_at(eq, x, options_.eta, u, warm);
    // A large jump from the neighbour may be a switch to another root of a higher-degree
    // equation (several can lie above the axis inside the support): the eta ladder from far
    // above the axis, which follows the physical branch, decides.
    if (warm && p.status == SpectralPointStatus::kConverged &&
        std::abs(p.g - prev_g) > 0.25 * std::max({1.0, std::abs(p.g), std::abs(prev_g)})) {
      CVector v;
      SpectralPoint q =
          limit ? density_at(eq, x, v, false) : solve_at(eq, x, options_.eta, v, false);
      q.iterations += p.iterations;
      if (q.status == SpectralPointStatus::kConverged) {
        p = q;
        u = v;
      }
    }
    warm = p.status == SpectralPointStatus::kConverged;
    if (warm) prev_g = p.g;
    if (warm) {
      ++res.converged;
      if (limit && p.eta_used == 0.0) ++res.polished;
    } else {
      ++res.not_converged;
    }
    res.newton_iterations += p.iterations;
    res.points.push_back(p);
  }

  // Trapezoid on the grid (coarse; sqrt edges limit it to O(h^1.5)).
  for (std::size_t i = 1; i < res.points.size(); ++i) {
    const auto& a = res.points[i - 1];
    const auto& b = res.points[i];
    if (a.status == SpectralPointStatus::kNotConverged ||
        b.status == SpectralPointStatus::kNotConverged)
      continue;
    const double ra = a.status == SpectralPointStatus::kAtom ? 0.0 : a.rho;
    const double rb = b.status == SpectralPointStatus::kAtom ? 0.0 : b.rho;
    res.grid_mass += 0.5 * (ra + rb) * (b.x - a.x);
  }
  res.grid_mass += res.atom_mass;

  // Inside the support: rho above 1e-10 max(1, |g|) / scale (outside, the polished root is real
  // and Im g is roundoff, ~1e-13 |g| next to an edge; inside, rho ~ sqrt(distance to the edge)).
  // Absolute rather than relative to max rho, which is infinite at hard edges.
  auto inside = [&](const SpectralPoint& p) {
    return p.status == SpectralPointStatus::kConverged &&
           p.rho > 1e-10 * std::max(1.0, std::abs(p.g)) / scale;
  };
  res.support_clipped =
      !res.points.empty() && (inside(res.points.front()) || inside(res.points.back()));

  if (options_.special_points && limit) {
    for (std::size_t i = 1; i < res.points.size(); ++i) {
      const auto& a = res.points[i - 1];
      const auto& b = res.points[i];
      if (a.status != SpectralPointStatus::kConverged ||
          b.status != SpectralPointStatus::kConverged)
        continue;
      if (inside(a) == inside(b)) continue;
      const SpectralPoint& out = inside(a) ? b : a;
      SpectralEdge e;
      e.side = inside(a) ? "upper" : "lower";
      // Bisection on "rho > thr" (reliable: outside, the polished root is real) narrows the
      // bracket; the fold Newton from its outside end then locates the edge to roundoff.
      double xo = out.x, xi = inside(a) ? a.x : b.x;
      for (int it = 0; it < 40 && std::abs(xi - xo) > 1e-9 * scale; ++it) {
        const double xm = 0.5 * (xo + xi);
        CVector um;
        const SpectralPoint pm = density_at(eq, xm, um, false);
        if (pm.status != SpectralPointStatus::kConverged) break;
        (inside(pm) ? xi : xo) = xm;
      }
      CVector uo;
      const SpectralPoint po = density_at(eq, xo, uo, false);
      Eigen::VectorXd ux(eq.dimension() + 1);
      for (int k = 0; k < eq.dimension(); ++k) ux[k] = uo[k].real();
      ux[eq.dimension()] = xo;
      double r = 0.0;
      const bool ok =
          po.status == SpectralPointStatus::kConverged &&
          locate_edge(eq, ux, 1e-11 * std::max(1.0, ux.head(eq.dimension()).cwiseAbs().maxCoeff()),
                      &r);
      const double xe = ux[eq.dimension()];
      const double lo_b = std::min(xo, xi), hi_b = std::max(xo, xi), w = hi_b - lo_b;
      if (ok && xe >= lo_b - w - 1e-12 * scale && xe <= hi_b + w + 1e-12 * scale) {
        e.x = xe;
        e.located = true;
        e.residual = r;
        e.method = "fold_newton";
      } else {
        e.x = 0.5 * (xo + xi);
        e.uncertainty = 0.5 * w;
        e.residual = r;
        e.method = "bisection";
      }
      res.edges.push_back(e);
    }

    // Mass between a lower edge and the next upper edge: x = c - w cos(theta), midpoint rule in
    // theta; rho ~ sqrt at both ends makes the integrand smooth and periodic, so the rule
    // converges spectrally.
    bool any_inside = false;
    for (const auto& p : res.points) any_inside = any_inside || inside(p);
    // Only atoms (e.g. dynamical isometry): no continuous part to integrate.
    bool intervals_ok = (res.edges.empty() && !any_inside) ||
                        (!res.edges.empty() && res.edges.front().side == "lower" &&
                         res.edges.back().side == "upper");
    for (std::size_t k = 0; intervals_ok && k + 1 < res.edges.size(); k += 2) {
      const SpectralEdge& lo = res.edges[k];
      const SpectralEdge& hi = res.edges[k + 1];
      if (lo.side != "lower" || hi.side != "upper") {
        intervals_ok = false;
        break;
      }
      const double c = 0.5 * (lo.x + hi.x), w = 0.5 * (hi.x - lo.x);
      // Doubling the nodes until two rules agree to mass_tol / 100 (sharp dips between bulks
      // that nearly touch need more than the default).
      double prev = -1.0, cur = 0.0;
      for (int N = options_.mass_nodes; N <= 64 * options_.mass_nodes; N *= 2) {
        CVector uu;
        bool warm2 = false;
        cur = 0.0;
        for (int j = 0; j < N; ++j) {
          const double th = (j + 0.5) * kPi / N;
          const SpectralPoint p = density_at(eq, c - w * std::cos(th), uu, warm2);
          warm2 = p.status == SpectralPointStatus::kConverged;
          if (!warm2) intervals_ok = false;
          cur += p.rho * w * std::sin(th) * kPi / N;
        }
        if (!intervals_ok || std::abs(cur - prev) <= 1e-2 * options_.mass_tol) break;
        prev = cur;
      }
      res.continuous_mass += cur;
    }
    if (!intervals_ok) res.continuous_mass = res.grid_mass - res.atom_mass;
    res.total_mass = res.continuous_mass + res.atom_mass;
    res.mass_ok = intervals_ok && std::abs(res.total_mass - 1.0) <= options_.mass_tol;
  } else {
    res.continuous_mass = res.grid_mass - res.atom_mass;
    res.total_mass = res.grid_mass;
    res.mass_ok = false;
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

std::vector<double> bin_average_density(const SpectrumSolver& solver, const StieltjesEquation& eq,
                                        const std::vector<double>& edges,
                                        const std::vector<SpectralAtom>& atoms) {
  const int order = 8;
  gsl_integration_glfixed_table* table = gsl_integration_glfixed_table_alloc(order);
  std::vector<double> out;
  CVector u;
  bool warm = false;
  for (std::size_t k = 0; k + 1 < edges.size(); ++k) {
    const double a = edges[k], b = edges[k + 1];
    double sum = 0.0;
    for (int i = 0; i < order; ++i) {
      double xi = 0, wi = 0;
      gsl_integration_glfixed_point(a, b, static_cast<size_t>(i), &xi, &wi, table);
      const SpectralPoint p = solver.density_at(eq, xi, u, warm);
      warm = p.status == SpectralPointStatus::kConverged;
      sum += wi * p.rho;
    }
    for (const auto& at : atoms)
      if (at.x >= a && at.x < b) sum += at.mass;
    out.push_back(sum / (b - a));
  }
  gsl_integration_glfixed_table_free(table);
  return out;
}

}  // namespace saddle
