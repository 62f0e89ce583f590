// Hopfield network with p = alpha N random patterns: replica-symmetric theory of Amit, Gutfreund
// and Sompolinsky (AGS), one condensed pattern.
//
// T > 0, beta = 1 / T, a = m + sqrt(alpha r) z, z ~ N(0, 1), D = 1 - beta (1 - q):
//   m = E tanh(beta a),   q = E tanh^2(beta a),   r = q / D^2
//   f = alpha/2 + m^2/2 + alpha/(2 beta) [ln D - beta q / D] + alpha beta r (1 - q)/2
//       - T E ln 2cosh(beta a)                                       (variational, any m, q, r)
// (AGS 1987, RS free energy and saddle-point equations of the RS theory; the three equations are
// exactly the stationarity conditions df/dm = df/dq = df/dr = 0, checked by the tests.)
// Admissibility: D > 0 (the Gaussian integral over the non-condensed overlaps converges only
// there); inadmissible() flags solutions with D <= 0. The domain keeps q >= 1 - T (1 - 1e-8).
// The map updates r from the new q, r' = q' / D'^2 with D' = 1 - beta E sech^2 (same fixed points).
// Through the iterate q instead, rounding of q near 1 (1e-16) is amplified by dr/dq = (D - 2 beta
// q) / D^3 to a residual floor ~1e-12 on the spin-glass branch at T = 0.005, and the q-r loop has
// Jacobian eigenvalues +-sqrt(dq'/dr dr'/dq), imaginary on the spin-glass branch, where Anderson
// was seen to fail at every T tried. Far from solutions D' is bounded below (see r_denominator).
// With C = beta (1 - q) = beta E sech^2(beta a) (computed without cancellation), D = 1 - C:
//   energy  e = d(beta f)/d beta = alpha/2 - m^2/2 - alpha/2 (1/D + r C)
//   entropy s = beta (e - f) = E[ln 2cosh x - x tanh x]_{x = beta a} - alpha/2 (C/D + ln D)
//   lambda_AT = 1 - alpha beta^2 E sech^4(beta a) / D^2   (AGS 1987, RS stability; at q = 0 it
//               is 1 - alpha beta^2 / (1 - beta)^2, which vanishes at T_g = 1 + sqrt(alpha)).
//
// T = 0 exactly (the q slot is fixed to 1; r >= 1): with s = sqrt(alpha r),
//   m = erf(m / (sqrt2 s)),   C = sqrt(2 / (pi alpha r)) exp(-m^2 / (2 alpha r)),   r = 1/(1 - C)^2
//   f = e = alpha/2 - m^2/2 - alpha r/2 (at the solution),  s = -alpha/2 (C/(1 - C) + ln(1 - C)),
//   lambda_AT = -infinity. The variational f at T = 0 is the T -> 0 limit at fixed C:
//   f0(m, r) = alpha/2 + m^2/2 - alpha / (2 (1 - C)) + alpha r C / 2 - E|m + s z|, C = C(m, r).
//
// Known limits used by tests/replica/hopfield_test.cpp (values in data/reference/hopfield.json):
//   at T = 0, y = m / sqrt(2 alpha r) reduces the equations to
//   alpha(y) = [erf y - (2/sqrt pi) y exp(-y^2)]^2 / (2 y^2), m = erf y; the retrieval branch ends
//   at alpha_c = max_y alpha(y) ~ 0.138 with m ~ 0.967 (AGS 1985, 1987); the spin-glass branch
//   appears at T_g = 1 + sqrt(alpha) (linearising q = beta^2 alpha r, r = q / (1 - beta)^2).
//
// Seeds (see branches()): retrieval, spin_glass, and the paramagnet (m = q = r = 0) only for T > T_g = 1 + sqrt(alpha): for 1 < T < T_g the paramagnet is admissible
// but unstable (lambda_AT < 0) and has a lower RS free energy than the spin glass (the q
// direction of the n -> 0 replica free energy is inverted), so it must not be offered to a
// lowest-free-energy selection. Retrieval and spin glass are compared by free energy as in AGS.
// Phases: "retrieval" if |m| > 1e-6, else "spin_glass" if q > 1e-8, else "paramagnet".
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/special.hpp"

namespace saddle {
namespace {

constexpr int kAlpha = 0, kT = 1;
constexpr int kM = 0, kQ = 1, kR = 2;

constexpr double kParamagnetQ = 1e-8;
constexpr double kRetrievalM = 1e-6;
// Smallest D = 1 - beta (1 - q) in the domain (see top of file).
constexpr double kMinD = 1e-8;

// Zero-temperature C = 2 phi(m / s) / s, s = sqrt(alpha r) > 0.
double zero_temperature_c(double m, double s) {
  return 2.0 * phi(m / s) / s;
}

// The denominator of r' = q' / D^2 at T > 0 (see top of file): D' = 1 - beta E sech^2 from the
// new moments, bounded below by half of an estimate D_x of D from the iterate. At a fixed point
// D' = D_x, so the bound is inactive near solutions and adds no fixed points; far from them it
// keeps r' from exploding where D' <= 0 (which sends Anderson into cycles of r' ~ 1e15).
// D_x = min(1 - beta (1 - q), sqrt(q / r)): both equal D at a fixed point (r = q / D^2). The first
// alone is 1 at a T = 0 state (q = 1) continued to T = 0+, where D = 1 - C is far smaller, and
// would put a jump in F at T = 0; the second is 0/0 at the paramagnet (q = r = 0). Their minimum
// is right in both places and continuous.
struct Denominator {
  double d;
  bool bounded;  // true where the bound D_x / 2 is active
  double dlog_bound_dq = 0, dlog_bound_dr = 0;  // d ln(bound) / d(q, r) where active
};

Denominator r_denominator(double beta, double e_sech2, double q_iterate, double r_iterate) {
  const double d_new = 1.0 - beta * e_sech2;
  const double q = std::max(q_iterate, 0.0);
  const double d_q = 1.0 - beta * (1.0 - q);
  const double d_ratio = r_iterate > 0.0 ? std::sqrt(q / r_iterate) : kInf;
  const double d_x = std::min(d_q, d_ratio);
  const double bound = 0.5 * std::max(d_x, kMinD);
  if (d_new >= bound) return {d_new, false};
  Denominator den{bound, true};
  if (d_x > kMinD) {
    if (d_q <= d_ratio) {
      den.dlog_bound_dq = beta / d_q;
    } else {
      den.dlog_bound_dq = 0.5 / q;
      den.dlog_bound_dr = -0.5 / r_iterate;
    }
  }
  return den;
}

// Seeds at T > 0 (see branches()). Bisection, 1e-13 in the variable: a few dozen moment calls.
template <class G>
double bisect(G g, double lo, double hi) {  // g(lo) > 0 > g(hi)
  for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
    const double mid = 0.5 * (lo + hi);
    (g(mid) > 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The Curie-Weiss magnetisation m = tanh(m / T) (alpha = 0), for T < 1.
double curie_weiss_m(double T) {
  return bisect([T](double m) { return std::tanh(m / T) - m; }, 1e-300, 1.0);
}

// The spin-glass solution reduced to q (m = 0, r = q / D(q)^2, D = 1 - beta (1 - q)):
// g(q) = E tanh^2(beta sqrt(alpha q) / D z) - q changes sign from + (as D -> 0+, or as q -> 0+
// for 1 < T < T_g) to - at q = 1. nullopt if the bracket does not hold (T >= T_g).
std::optional<double> spin_glass_q(double alpha, double T) {
  const double beta = 1.0 / T;
  const auto g = [&](double q) {
    const double d = 1.0 - beta * (1.0 - q);
    return tanh_moments(0.0, beta * std::sqrt(alpha * q) / d).tanh2 - q;
  };
  const double lo = T < 1.0 ? 1.0 - T * (1.0 - 1e-6) : 1e-6;
  if (!(g(lo) > 0.0) || !(g(1.0) < 0.0)) return std::nullopt;
  return bisect(g, lo, 1.0);
}

class HopfieldModel final : public FixedPointModel {
 public:
  std::string id() const override { return "hopfield"; }
  std::string title() const override {
    return "Hopfield network near saturation, replica-symmetric theory "
           "(Amit-Gutfreund-Sompolinsky)";
  }
  std::vector<Reference> references() const override {
    return {{"D. J. Amit, H. Gutfreund and H. Sompolinsky, Phys. Rev. Lett. 55, 1530 (1985)",
             "storage capacity alpha_c ~ 0.138, m ~ 0.967 at T = 0"},
            {"D. J. Amit, H. Gutfreund and H. Sompolinsky, Ann. Phys. 173, 30 (1987)",
             "RS free energy and saddle-point equations for m, q, r; T = 0 limit; spin-glass line "
             "T_g = 1 + sqrt(alpha); RS stability"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {{"alpha", 0.05, 0.0, kInf, true, false, "load p / N (number of patterns per neuron)"},
            {"T", 0.5, 0.0, kInf, false, false, "temperature (T = 0 exactly allowed)"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"m", -1.0, 1.0, "overlap with the condensed pattern, E tanh(beta a)"},
            {"q", 0.0, 1.0, "Edwards-Anderson overlap E tanh^2(beta a); fixed to 1 at T = 0"},
            {"r", 0.0, kInf, "mean square overlap with the non-condensed patterns, times N / p"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"C", "beta (1 - q) = beta E sech^2 (finite as T -> 0)"},
            {"energy", "energy per neuron, d(beta f)/d beta"},
            {"entropy", "entropy per neuron, beta (energy - f); negative at T = 0 (RS)"},
            {"lambda_AT", "RS stability 1 - alpha beta^2 E sech^4 / (1 - C)^2 (stable if > 0)"}};
  }
  std::vector<std::string> branch_notes() const override {
    return {
        "retrieval: T = 0: m = q = r = 1; 0 < T < 1: the Curie-Weiss state m = tanh(m / T), "
        "q = m^2, r = q / (1 - beta (1 - q))^2",
        "spin_glass: T = 0: m = 0, q = 1, r = (1 + sqrt(2 / (pi alpha)))^2; T > 0: the exact m = 0 "
        "solution, found by bisection in q (r = q / (1 - beta (1 - q))^2)",
        "paramagnet: m = 0, q = 0, r = 0 (only for T > T_g = 1 + sqrt(alpha), where it is stable)"};
  }

  // Seeds. T = 0: retrieval (1, 1, 1) and the closed-form spin glass. T > 0: retrieval starts from
  // the Curie-Weiss state (alpha = 0: m = tanh(beta m), q = m^2, r = q / D^2) and the spin glass
  // from its exact solution found by bisection in the one-variable reduction (spin_glass_q), so
  // that neither depends on the iteration finding its way from a far-off point.
  std::vector<BranchSeed> branches(const Point& p) const override {
    const double alpha = p[kAlpha], T = p[kT];
    // The T = 0 spin-glass solution: m = 0, C = 1 / (1 + sqrt(pi alpha / 2)), r = 1 / (1 - C)^2.
    const double sg_r0 = std::pow(1.0 + std::sqrt(2.0 / (kPi * alpha)), 2);
    std::vector<BranchSeed> seeds;
    if (T == 0.0) {
      seeds.push_back({"retrieval", Eigen::Vector3d(1.0, 1.0, 1.0)});
      seeds.push_back({"spin_glass", Eigen::Vector3d(0.0, 1.0, sg_r0)});
      return seeds;
    }
    const double beta = 1.0 / T;
    const auto r_of = [beta](double q) { return q / std::pow(1.0 - beta * (1.0 - q), 2); };
    if (T < 1.0) {
      const double m0 = curie_weiss_m(T), q0 = m0 * m0;
      seeds.push_back({"retrieval", Eigen::Vector3d(m0, q0, r_of(q0))});
    } else {
      seeds.push_back({"retrieval", Eigen::Vector3d(1.0, 1.0, 1.0)});  // none exists for T > 1
    }
    if (const auto q = spin_glass_q(alpha, T)) {
      seeds.push_back({"spin_glass", Eigen::Vector3d(0.0, *q, r_of(*q))});
    } else {  // T >= T_g: there is no spin glass; seed at its T = 0 value (it flows to q = 0)
      const double sg_c = 1.0 / (1.0 + std::sqrt(kPi * alpha / 2.0));
      const double q_lower = domain(p).lower[kQ];
      const double sg_q = 1.0 - T * sg_c > q_lower ? 1.0 - T * sg_c : 0.5 * (q_lower + 1.0);
      seeds.push_back({"spin_glass", Eigen::Vector3d(0.0, sg_q, sg_r0)});
    }
    if (T > 1.0 + std::sqrt(alpha)) seeds.push_back({"paramagnet", Eigen::Vector3d(0.0, 0.0, 0.0)});
    return seeds;
  }

  std::vector<std::string> branch_names(const Point& p) const override {
    if (p[kT] > 1.0 + std::sqrt(p[kAlpha])) return {"retrieval", "spin_glass", "paramagnet"};
    return {"retrieval", "spin_glass"};
  }

  Domain domain(const Point& p) const override {
    const double T = p[kT];
    const double q_lower = T == 0.0 ? 1.0 : std::max(0.0, 1.0 - T * (1.0 - kMinD));
    const double r_lower = T == 0.0 ? 1.0 : 0.0;
    return {Eigen::Vector3d(-1.0, q_lower, r_lower), Eigen::Vector3d(1.0, 1.0, kInf)};
  }

  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    const double alpha = p[kAlpha], T = p[kT];
    const double m = x[kM];
    const double s = std::sqrt(alpha * std::max(x[kR], 0.0));
    fx.resize(3);
    if (T == 0.0) {
      const double c = zero_temperature_c(m, s);
      fx[kM] = std::erf(m / (kSqrt2 * s));
      fx[kQ] = 1.0;
      fx[kR] = 1.0 / ((1.0 - c) * (1.0 - c));
      return;
    }
    const double beta = 1.0 / T;
    const TanhMoments e = tanh_moments(beta * m, beta * s);  // the hot path: a fixed rule
    const double d = r_denominator(beta, e.sech2, x[kQ], x[kR]).d;
    fx[kM] = e.tanh;
    fx[kQ] = e.tanh2;
    fx[kR] = e.tanh2 / (d * d);
  }

  // dF/dx; derivatives in r by the heat equation d/dr E g(m + sqrt(alpha r) z) = alpha/2 E g''.
  //   T > 0: dm'/dm = beta E sech^2, dm'/dr = -alpha beta^2 E sech^2 tanh,
  //          dq'/dm = 2 beta E sech^2 tanh, dq'/dr = alpha beta^2 E[sech^4 - 2 tanh^2 sech^2],
  //          r' = g(q') with g(q) = q / D(q)^2, so dr'/d(m, r) = (D - 2 beta q') / D^3 dq'/d(m, r);
  //          where the bound D = D_x / 2 is active, r' = q' / D^2 gives
  //          dr'/d(m, r) = dq'/d(m, r) / D^2 - 2 r' d ln D / d(m, r), dr'/dq = -2 r' d ln D / dq.
  //   T = 0: dm'/dm = C, dm'/dr = -C m / (2 r), dr'/dC = 2 / (1 - C)^3 with
  //          dC/dm = -C m / (alpha r), dC/dr = C (m^2 / (alpha r) - 1) / (2 r).
  bool jacobian(const Eigen::VectorXd& x, const Point& p, Eigen::MatrixXd& jac) const override {
    const double alpha = p[kAlpha], T = p[kT];
    const double m = x[kM], r = std::max(x[kR], 0.0);
    const double s = std::sqrt(alpha * r);
    jac.setZero(3, 3);
    if (T == 0.0) {
      const double c = zero_temperature_c(m, s);
      const double dr_dc = 2.0 / std::pow(1.0 - c, 3);
      jac(kM, kM) = c;
      jac(kM, kR) = -c * m / (2.0 * r);
      jac(kR, kM) = dr_dc * (-c * m / (alpha * r));
      jac(kR, kR) = dr_dc * c * (m * m / (alpha * r) - 1.0) / (2.0 * r);
      return true;
    }
    const double beta = 1.0 / T;
    const TanhMoments e = tanh_derivative_moments(beta * m, beta * s);
    const double q_new = e.tanh2;
    const Denominator den = r_denominator(beta, e.sech2, x[kQ], x[kR]);
    const double d = den.d;
    jac(kM, kM) = beta * e.sech2;
    jac(kM, kR) = -alpha * beta * beta * e.sech2_tanh;
    jac(kQ, kM) = 2.0 * beta * e.sech2_tanh;
    // E[sech^4 - 2 tanh^2 sech^2] = 3 E sech^4 - 2 E sech^2 (tanh^2 = 1 - sech^2).
    jac(kQ, kR) = alpha * beta * beta * (3.0 * e.sech4 - 2.0 * e.sech2);
    // r' = q' / D^2: D = D' moves with q' (dD'/dq' = beta); the bound moves with the iterate.
    const double dr_dq_new = den.bounded ? 1.0 / (d * d) : (d - 2.0 * beta * q_new) / (d * d * d);
    jac(kR, kM) = dr_dq_new * jac(kQ, kM);
    jac(kR, kR) = dr_dq_new * jac(kQ, kR);
    if (den.bounded) {  // r' = q' / b^2 with b = b(q, r): dr'/d(q, r) += -2 r' d ln b / d(q, r)
      const double r_new = q_new / (d * d);
      jac(kR, kQ) = -2.0 * r_new * den.dlog_bound_dq;
      jac(kR, kR) += -2.0 * r_new * den.dlog_bound_dr;
    }
    return true;
  }

  Objective objective() const override { return Objective::kMinimiseFreeEnergy; }

  // The variational AGS free energy at any admissible x (nullopt where D <= 0 or C >= 1).
  std::optional<double> free_energy(const Eigen::VectorXd& x, const Point& p) const override {
    const double alpha = p[kAlpha], T = p[kT];
    const double m = x[kM], q = x[kQ], r = std::max(x[kR], 0.0);
    const double s = std::sqrt(alpha * r);
    if (T == 0.0) {
      if (s <= 0.0) return std::nullopt;
      const double c = zero_temperature_c(m, s);
      if (!(c < 1.0)) return std::nullopt;
      const double mean_abs = m * std::erf(m / (kSqrt2 * s)) + 2.0 * s * phi(m / s);
      return 0.5 * alpha + 0.5 * m * m - 0.5 * alpha / (1.0 - c) + 0.5 * alpha * r * c - mean_abs;
    }
    const double beta = 1.0 / T;
    const double d = 1.0 - beta * (1.0 - q);
    if (!(d > 0.0)) return std::nullopt;
    const TanhMoments e = tanh_thermodynamic_moments(beta * m, beta * s);
    return 0.5 * alpha + 0.5 * m * m + 0.5 * alpha * T * std::log(d) - 0.5 * alpha * q / d +
           0.5 * alpha * beta * r * (1.0 - q) - T * e.log_2cosh;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const double alpha = p[kAlpha], T = p[kT];
    const double m = x[kM], r = std::max(x[kR], 0.0);
    const double s = std::sqrt(alpha * r);
    double c, single_spin_entropy, sech4_term;  // sech4_term = alpha beta^2 E sech^4
    if (T == 0.0) {
      c = zero_temperature_c(m, s);
      single_spin_entropy = 0.0;
      sech4_term = kInf;
    } else {
      const double beta = 1.0 / T;
      const TanhMoments e = tanh_thermodynamic_moments(beta * m, beta * s);
      c = beta * e.sech2;
      sech4_term = alpha * beta * beta * e.sech4;
      single_spin_entropy = e.entropy;
    }
    const double d = 1.0 - c;
    const double lambda_at = 1.0 - sech4_term / (d * d);
    Eigen::VectorXd out(4);
    out << c,                                                          // C
        0.5 * alpha - 0.5 * m * m - 0.5 * alpha * (1.0 / d + r * c),   // energy
        single_spin_entropy - 0.5 * alpha * (c / d + std::log1p(-c)),  // entropy
        lambda_at;
    return out;
  }

  std::string phase(const Eigen::VectorXd& x, const Point& p) const override {
    if (std::fabs(x[kM]) > kRetrievalM) return "retrieval";
    return x[kQ] > kParamagnetQ ? "spin_glass" : "paramagnet";
  }

  std::optional<std::string> inadmissible(const Eigen::VectorXd& x, const Point& p) const override {
    const double alpha = p[kAlpha], T = p[kT];
    if (T == 0.0) {
      const double s = std::sqrt(alpha * std::max(x[kR], 0.0));
      const double c = s > 0.0 ? zero_temperature_c(x[kM], s) : kInf;
      if (!(c < 1.0))
        return "C = sqrt(2/(pi alpha r)) exp(-m^2/(2 alpha r)) = " + format_number(c) +
               " >= 1: 1 - C must be positive (AGS admissibility at T = 0)";
      return std::nullopt;
    }
    const double d = 1.0 - (1.0 - x[kQ]) / T;
    if (!(d > 0.0))
      return "1 - beta (1 - q) = " + format_number(d) +
             " <= 0: the AGS saddle point requires 1 - beta (1 - q) > 0";
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_hopfield_model() {
  return std::make_unique<HopfieldModel>();
}

}  // namespace saddle
