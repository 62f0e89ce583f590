// Chaotic random rate network, dynamical mean-field theory (Sompolinsky, Crisanti, Sommers,
// Phys. Rev. Lett. 61, 259 (1988), eqs. (4)-(7): the particle in the potential V and the
// self-consistent Delta_0; Crisanti and Sompolinsky, Phys. Rev. E 98, 062120 (2018) for the general
// activation and the correlation time). Equations in include/saddle/scs_rnn.hpp:
//   Delta'' = Delta - g^2 C_phi(Delta; Delta_0),  Delta(0) = Delta_0, Delta'(0) = 0,
//   Delta_0^2 / 2 = g^2 Var Phi(sqrt(Delta_0) z),   tau_c = 1/sqrt(1 - g^2 <phi'>^2).
// Two forms under one id "scs_rnn":
//   FixedPointModel: the order parameter Delta_0 with the map Delta_0 -> g sqrt(2 Var Phi);
//   branches
//     "chaotic" (g > 1) and "quiescent" (Delta_0 = 0, x = 0). dF/dDelta_0 = g at Delta_0 = 0, so a
//     continuation in g along the quiescent branch meets an iteration-stability change at g = 1,
//     where the chaotic branch bifurcates from it.
//   OdeModel ("trajectory" task): Delta(tau) from Delta_0 (found by Brent's method) with the energy
//     residual 1/2 Delta'^2 + V(Delta) - V(Delta_0) per row, tau_c, tau_half and Delta_0 as
//     results.
// Known limits used by tests/dmft/scs_rnn_test.cpp (data/reference/scs_rnn.json):
//   Delta_0 -> 0 as g -> 1+: for tanh, Phi = x^2/2 - x^4/12 + ..., Var Phi = Delta_0^2/2 -
//   Delta_0^3
//   + O(Delta_0^4), so Delta_0 = (1 - 1/g^2)/2 + O((g - 1)^2) = (g - 1) + O((g - 1)^2);
//   energy conservation along Delta(tau); Delta(tau) of a simulated network (N = 1000) at g = 2.
// Limits of the numerics: the orbit is a separatrix (Delta = 0 is a saddle of the particle), so the
// integrated Delta(tau) leaves it once rounding in Delta_0, amplified by exp(tau / tau_c), is no
// longer small against Delta itself; rows past that point have status "tail_unreliable" (the energy
// error, bounded by the row's residual, exceeds 1e-3 of the tail's kinetic energy
// (Delta/tau_c)^2/2, or Delta' >= 0, or Delta <= 0). At g = 2 with the default tolerances that is
// tau > ~40 tau_c/4.4. Gaussian expectations: inner ones exact or by saddle's tanh moments (error
// ~1e-16), outer ones by Gauss-Hermite of order 160.
#include "saddle/scs_rnn.hpp"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/ode.hpp"

namespace saddle {

namespace scs {

namespace {
constexpr double kSqrtPi = 1.7724538509055160273;
constexpr double kLog2 = 0.69314718055994530942;
constexpr int kOuterOrder = 160;

// E f(z) (k <= 2 components) for an f that varies on the scale `width` in z around z = center:
// Gauss-Hermite of order 160 when that is wide (>= 0.5), else adaptive Gauss-Legendre refined at
// the kink (Gauss-Hermite misjudges nearly-step integrands, see gaussian.hpp).
template <class F>
std::array<double, 2> expect(int k, F f, double center, double width) {
  std::array<double, 2> out{0, 0};
  if (width >= 0.5) {
    const auto& rule = gauss_hermite_rule(kOuterOrder);
    double v[2];
    for (std::size_t i = 0; i < rule.nodes.size(); ++i) {
      f(rule.nodes[i], v);
      for (int c = 0; c < k; ++c) out[static_cast<std::size_t>(c)] += rule.weights[i] * v[c];
    }
    return out;
  }
  const QuadratureResult r =
      gaussian_expectation(k, [&](double z, double* v) { f(z, v); }, {{center, width}});
  for (int c = 0; c < k; ++c) out[static_cast<std::size_t>(c)] = r[c];
  return out;
}

// log cosh x without cancellation for small x and without overflow for large x.
double log_cosh(double x) {
  const double ax = std::fabs(x);
  if (ax < 1.0) {
    const double s = std::sinh(0.5 * ax);
    return std::log1p(2.0 * s * s);
  }
  return ax + std::log1p(std::exp(-2.0 * ax)) - kLog2;
}

// E f(m + s z) for f = phi (inner expectation of the two-point functions).
double mean_phi(Activation a, double m, double s) {
  if (a == Activation::kErf) {
    const double c = 0.5 * kSqrtPi;
    return std::erf(c * m / std::sqrt(1.0 + 2.0 * c * c * s * s));
  }
  if (a == Activation::kSin) return std::sin(m) * std::exp(-0.5 * s * s);
  return tanh_moments(m, s).tanh;
}
double mean_Phi(Activation a, double m, double s) {
  if (a == Activation::kTanh) return tanh_thermodynamic_moments(m, s).log_2cosh - kLog2;
  if (a == Activation::kSin) {  // 1 - cos(m) exp(-s^2/2), without cancellation
    const double h = std::sin(0.5 * m);
    return 2.0 * h * h * std::exp(-0.5 * s * s) - std::expm1(-0.5 * s * s);
  }
  return expect(
      1, [&](double z, double* v) { v[0] = Phi(a, m + s * z); }, s > 0 ? -m / s : 0.0,
      s > 0 ? 1.0 / s : kInf)[0];
}

// E_w [F(b w) F(sign b w)] with F(m) = mean(m, sqrt(delta0 - |delta|)): the two-point function.
template <class Mean>
double two_point(double delta, double delta0, Mean mean) {
  const double d = std::max(-delta0, std::min(delta, delta0));
  const double s = std::sqrt(std::max(0.0, delta0 - std::fabs(d))), b = std::sqrt(std::fabs(d));
  const double sign = d < 0 ? -1.0 : 1.0;
  // mean(m, s) turns on the scale max(1, s) in m = b w: a kink of width max(1, s)/b at w = 0
  const double width = b > 0 ? std::max(1.0, s) / b : kInf;
  return expect(
      1, [&](double w, double* v) { v[0] = mean(b * w, s) * mean(sign * b * w, s); }, 0.0,
      width)[0];
}
}  // namespace

Activation activation_from_string(const std::string& s) {
  if (s == "tanh") return Activation::kTanh;
  if (s == "erf") return Activation::kErf;
  if (s == "sin") return Activation::kSin;
  throw InputError("option.bad_choice", "/options/activation",
                   "'" + s + "' is not a choice of activation" +
                       did_you_mean(s, {"tanh", "erf", "sin"}) +
                       "; expected one of tanh, erf, sin");
}

double phi(Activation a, double x) {
  if (a == Activation::kSin) return std::sin(x);
  return a == Activation::kTanh ? std::tanh(x) : std::erf(0.5 * kSqrtPi * x);
}
double dphi(Activation a, double x) {
  if (a == Activation::kTanh) {
    const double t = std::tanh(x);
    return 1.0 - t * t;
  }
  if (a == Activation::kSin) return std::cos(x);
  return std::exp(-0.25 * M_PI * x * x);
}
double Phi(Activation a, double x) {
  if (a == Activation::kTanh) return log_cosh(x);
  if (a == Activation::kSin) {  // 1 - cos x
    const double h = std::sin(0.5 * x);
    return 2.0 * h * h;
  }
  // int_0^x erf(c t) dt = x erf(c x) + (exp(-c^2 x^2) - 1) / (c sqrt(pi)),  c = sqrt(pi)/2
  const double c = 0.5 * kSqrtPi;
  return x * std::erf(c * x) + std::expm1(-c * c * x * x) / (c * kSqrtPi);
}

double delta0_map(Activation a, double g, double delta0) {
  if (!(delta0 > 0)) return 0.0;
  // Var of h = Phi(sqrt(D) z) / D, an O(1) quantity, so that small D keeps its relative accuracy.
  const double s = std::sqrt(delta0);
  const auto m = expect(
      2,
      [&](double z, double* v) {
        v[0] = Phi(a, s * z) / delta0;
        v[1] = v[0] * v[0];
      },
      0.0, 1.0 / s);
  return g * delta0 * std::sqrt(2.0 * std::max(0.0, m[1] - m[0] * m[0]));
}

double solve_delta0(Activation a, double g) {
  if (!(g > 1.0)) return 0.0;
  struct Ctx {
    Activation a;
    double g;
  } ctx{a, g};
  gsl_function f;
  f.function = [](double d, void* p) {
    const auto* c = static_cast<const Ctx*>(p);
    return delta0_map(c->a, c->g, d) / d - 1.0;  // > 0 below the root, < 0 above
  };
  f.params = &ctx;
  double lo = 1e-3 * (g - 1.0), hi = 2.0 * g * g + 1.0;
  while (f.function(lo, &ctx) <= 0 && lo > 1e-300) lo *= 0.1;
  while (f.function(hi, &ctx) >= 0 && hi < 1e300) hi *= 2.0;
  gsl_error_handler_t* old = gsl_set_error_handler_off();
  gsl_root_fsolver* solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
  gsl_root_fsolver_set(solver, &f, lo, hi);
  double root = 0.5 * (lo + hi);
  for (int it = 0; it < 200; ++it) {
    gsl_root_fsolver_iterate(solver);
    root = gsl_root_fsolver_root(solver);
    if (gsl_root_test_interval(gsl_root_fsolver_x_lower(solver), gsl_root_fsolver_x_upper(solver),
                               0.0, 4e-16) == GSL_SUCCESS)
      break;
  }
  gsl_root_fsolver_free(solver);
  gsl_set_error_handler(old);
  return root;
}

double c_phi(Activation a, double delta, double delta0) {
  return two_point(delta, delta0, [a](double m, double s) { return mean_phi(a, m, s); });
}
double c_Phi(Activation a, double delta, double delta0) {
  return two_point(delta, delta0, [a](double m, double s) { return mean_Phi(a, m, s); });
}
double potential(Activation a, double g, double delta, double delta0) {
  return -0.5 * delta * delta + g * g * c_Phi(a, delta, delta0);
}
double correlation_time(Activation a, double g, double delta0) {
  const double s = std::sqrt(delta0);
  const double m = expect(
      1, [&](double z, double* v) { v[0] = dphi(a, s * z); }, 0.0, s > 0 ? 1.0 / s : kInf)[0];
  const double r = 1.0 - g * g * m * m;
  return r > 0 ? 1.0 / std::sqrt(r) : kInf;
}

}  // namespace scs

namespace {

constexpr int kG = 0;

class ScsRnnFixedPoint final : public FixedPointModel {
 public:
  std::string id() const override { return "scs_rnn"; }
  std::string title() const override {
    return "Chaotic random rate network, DMFT (Sompolinsky-Crisanti-Sommers): Delta_0; Delta(tau) "
           "by task trajectory";
  }
  std::vector<Reference> references() const override {
    return {{"H. Sompolinsky, A. Crisanti, H. J. Sommers, Phys. Rev. Lett. 61, 259 (1988)",
             "DMFT, particle in the potential V, Delta_0 from energy conservation, transition at g "
             "= 1"},
            {"A. Crisanti and H. Sompolinsky, Phys. Rev. E 98, 062120 (2018)",
             "general activations, correlation time"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {{"g", 2.0, 0.0, kInf, false, false, "coupling gain: J_ij ~ N(0, g^2/N)"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"activation",
             {"tanh", "erf", "sin"},
             "tanh",
             "phi: tanh, erf(sqrt(pi) x/2) or sin (all odd, slope 1 at 0)"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"Delta_0", 0.0, kInf, "variance <x^2> of the chaotic state (0: quiescent, x = 0)"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"tau_c",
             "correlation time 1/sqrt(1 - g^2 <phi'>^2) of the tail of Delta(tau) (inf if none)"},
            {"C_phi0", "<phi^2> = C_phi(Delta_0; Delta_0)"}};
  }
  std::vector<std::string> branch_notes() const override {
    return {"chaotic: Delta_0 = 2 g^2 + 1 (above the root; offered for g > 1)",
            "quiescent: Delta_0 = 0"};
  }
  std::vector<BranchSeed> branches(const Point& p) const override {
    std::vector<BranchSeed> seeds;
    if (p[kG] > 1.0)
      seeds.push_back({"chaotic", Eigen::VectorXd::Constant(1, 2 * p[kG] * p[kG] + 1)});
    seeds.push_back({"quiescent", Eigen::VectorXd::Zero(1)});
    return seeds;
  }
  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    fx.resize(1);
    fx[0] = scs::delta0_map(scs::activation_from_string(p.options[0]), p[kG], x[0]);
  }
  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const auto a = scs::activation_from_string(p.options[0]);
    Eigen::VectorXd o(2);
    o << scs::correlation_time(a, p[kG], x[0]), scs::c_phi(a, x[0], x[0]);
    return o;
  }
  std::string phase(const Eigen::VectorXd& x, const Point&) const override {
    return x[0] > 1e-10 ? "chaotic" : "quiescent";
  }
};

class ScsRnnOde final : public OdeModel {
 public:
  std::string id() const override { return "scs_rnn"; }
  std::string title() const override {
    return "Chaotic random rate network: DMFT autocorrelation Delta(tau)";
  }
  std::vector<Reference> references() const override { return ScsRnnFixedPoint().references(); }
  std::vector<ParameterInfo> parameters() const override {
    return {{"g", 2.0, 1.0, kInf, true, false, "coupling gain (> 1: the chaotic phase)"}};
  }
  std::vector<OptionInfo> options() const override { return ScsRnnFixedPoint().options(); }
  std::string time_name() const override { return "tau"; }
  std::vector<std::string> state_names(const Point&) const override { return {"Delta", "dDelta"}; }
  std::vector<ObservableInfo> observables(const Point&) const override {
    return {{"energy_residual", "1/2 Delta'^2 + V(Delta) - V(Delta_0) (0 on the exact orbit)"},
            {"C_phi", "C_phi(Delta; Delta_0), the rate autocorrelation"}};
  }
  Eigen::VectorXd initial_state(const Point& p) const override {
    return Eigen::Vector2d(scs::solve_delta0(scs::activation_from_string(p.options[0]), p[kG]),
                           0.0);
  }
  void rhs(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double, const Point& p) const override {
    const auto a = scs::activation_from_string(p.options[0]);
    const double d0 = delta0(p);
    dxdt.resize(2);
    dxdt[0] = x[1];
    dxdt[1] = x[0] - p[kG] * p[kG] * scs::c_phi(a, x[0], d0);
  }
  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, double,
                                    const Point& p) const override {
    const auto a = scs::activation_from_string(p.options[0]);
    const double d0 = delta0(p);
    Eigen::VectorXd o(2);
    o << 0.5 * x[1] * x[1] + scs::potential(a, p[kG], x[0], d0) - scs::potential(a, p[kG], d0, d0),
        scs::c_phi(a, x[0], d0);
    return o;
  }
  std::string row_status(const Eigen::VectorXd& x, double t, const Point& p) const override {
    if (t == 0) return "ok";
    if (x[1] >= 0 || x[0] <= 0) return "tail_unreliable";
    // An energy error dE moves the orbit off the separatrix: in the tail, where 1/2 Delta'^2 =
    // 1/2 (Delta/tau_c)^2, Delta' is off by dE / (Delta/tau_c)^2 relative. The measured residual
    // (plus rounding of V) bounds dE; rows where that exceeds 1e-3 are marked.
    const auto a = scs::activation_from_string(p.options[0]);
    const double d0 = delta0(p), tc = scs::correlation_time(a, p[kG], d0);
    const double de = std::fabs(observable_values(x, t, p)[0]) + 1e-14 * d0 * d0;
    const double kinetic = 0.5 * (x[0] / tc) * (x[0] / tc);
    return de <= 1e-3 * kinetic ? "ok" : "tail_unreliable";
  }
  std::vector<TrajectoryResult> analyse(const std::vector<double>& times,
                                        const std::vector<Eigen::VectorXd>& states,
                                        const Point& p) const override {
    const auto a = scs::activation_from_string(p.options[0]);
    const double d0 = delta0(p);
    std::vector<TrajectoryResult> out = {
        {"Delta_0", d0, true, "variance of x: Delta_0^2/2 = g^2 Var Phi(sqrt(Delta_0) z)"},
        {"tau_c", scs::correlation_time(a, p[kG], d0), true,
         "tail correlation time 1/sqrt(1 - g^2 <phi'>^2)"}};
    TrajectoryResult half{"tau_half", 0, false,
                          "Delta(tau) = Delta_0/2 not reached in the observed range"};
    for (std::size_t i = 1; i < times.size(); ++i)
      if (states[i][0] <= 0.5 * d0 && states[i - 1][0] > 0.5 * d0) {
        const double f = (states[i - 1][0] - 0.5 * d0) / (states[i - 1][0] - states[i][0]);
        half = {"tau_half", times[i - 1] + f * (times[i] - times[i - 1]), true,
                "Delta(tau_half) = Delta_0/2 (linear interpolation between output times)"};
        break;
      }
    out.push_back(half);
    return out;
  }

 private:
  // Delta_0 is a function of the point only; the ODE needs it at every rhs call.
  double delta0(const Point& p) const {
    thread_local double g_cached = -1, d_cached = 0;
    thread_local std::string act_cached;
    if (p[kG] != g_cached || p.options[0] != act_cached) {
      d_cached = scs::solve_delta0(scs::activation_from_string(p.options[0]), p[kG]);
      g_cached = p[kG];
      act_cached = p.options[0];
    }
    return d_cached;
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_scs_rnn_model() {
  return std::make_unique<ScsRnnFixedPoint>();
}
std::unique_ptr<OdeModel> make_scs_rnn_ode_model() {
  return std::make_unique<ScsRnnOde>();
}

}  // namespace saddle
