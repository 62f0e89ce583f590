// signal_propagation: mean-field signal propagation through deep random networks
// (Poole, Lahiri, Raghu, Sohl-Dickstein, Ganguli 2016; Schoenholz, Gilmer, Ganguli,
// Sohl-Dickstein 2017). Weights W_ij ~ N(0, sw2 / N), biases ~ N(0, sb2), activation phi.
//
// Length map (Poole eq. 3) and correlation map (Poole eq. 5), with z, z1, z2 ~ N(0, 1):
//   q' = sw2 E phi(sqrt(q) z)^2 + sb2
//   c' = (sw2 E phi(u) phi(v) + sb2) / q',  (u, v) ~ N(0, q [[1, c], [c, 1]])
// The order parameters are the fixed point (q*, c*); the c map is divided by the current q'
// (= q* at the fixed point) so that c' <= 1 by Cauchy-Schwarz at every iterate.
// Observables (Schoenholz eq. 4-9; Poole eq. 7):
//   chi_1 = sw2 E phi'(sqrt(q*) z)^2          slope of the c map at c* = 1 (order-to-chaos: chi_1 =
//   1) chi_c = sw2 E phi'(u) phi'(v) at c*        slope of the c map at c* chi_q = sw2 E phi(sqrt
//   q* z) phi'(sqrt q* z) z / sqrt q*   slope of the q map at q* (Stein) xi_q = -1 / ln chi_q, xi_c
//   = -1 / ln chi_c                depth scales (infinite where chi = 1;
//                                                              negative where the fixed point is
//                                                              unstable)
//   log_chi_1 = ln chi_1                      zero on the order-to-chaos line (phase_diagram
//   "critical")
// Phase label: "ordered" where chi_1 < 1, "chaotic" where chi_1 > 1. In the chaotic phase c* = 1
// still solves the map but is unstable (chi_c = chi_1 > 1, so xi_c < 0 flags it); the correlated
// seed is offered only where the length map settles at a q* with chi_1 <= 1 (or q* is unknown).
//
// Known limits used by tests/dmft/signal_propagation_test.cpp
// (data/reference/signal_propagation.json):
//   relu: chi_1 = sw2 / 2 for every q*; q* = sb2 / (1 - sw2/2) for sw2 < 2; chi_1 = 1 at sw2 = 2
//   (He initialisation; Schoenholz et al. 2017, Poole et al. 2016).
//   tanh, sb2 = 0: q* = 0 for sw2 <= 1 and the order-to-chaos line starts at sw2 = 1. For small q*
//   (derived here from E tanh^2(sqrt(q) z) = q - 2q^2 + 17/3 q^3 - 62/3 q^4 and
//   E sech^4(sqrt(q) z) = 1 - 2q + 7q^2 - 94/3 q^3): on the line sw2 = 1 + 2q - 3q^2 + 34/3 q^3 and
//   sb2 = 4/3 q^3 - 8 q^4, so q* ~ (3 sb2 / 4)^(1/3) and sw2_c ~ 1 + 2 (3 sb2 / 4)^(1/3).
//   identity: q* = sb2 / (1 - sw2), chi_1 = chi_c = sw2.
//   The traced line gives sw2_c = 1.76096 at sb2 = 0.05 (tests check the series, not this value).
#include <cmath>
#include <memory>
#include <optional>

#include "saddle/error.hpp"
#include "saddle/model.hpp"
#include "saddle/nn_kernel.hpp"

namespace saddle {
namespace {

constexpr int kSw2 = 0, kSb2 = 1;
constexpr int kQ = 0, kC = 1;

std::vector<std::string> choices() {
  std::vector<std::string> out;
  for (const auto& n : activation_names())
    if (n != "sign" && n != "abrelu") out.push_back(n);  // sign: phi' = 2 delta, chi_1 undefined
  return out;
}

class SignalPropagation final : public FixedPointModel {
 public:
  std::string id() const override { return "signal_propagation"; }
  std::string title() const override {
    return "mean-field signal propagation in deep random networks (q*, c*, chi_1, depth scales)";
  }
  std::vector<Reference> references() const override {
    return {
        {"B. Poole, S. Lahiri, M. Raghu, J. Sohl-Dickstein, S. Ganguli, NeurIPS 2016 "
         "(arXiv:1606.05340)",
         "length and correlation maps (eq. 3, 5), chi_1 and the order-to-chaos transition (eq. 7)"},
        {"S. S. Schoenholz, J. Gilmer, S. Ganguli, J. Sohl-Dickstein, ICLR 2017 (arXiv:1611.01232)",
         "depth scales xi_q and xi_c (eq. 4-9)"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {{"sw2", 1.5, 0.0, kInf, true, false, "weight variance sigma_w^2 (times fan-in)"},
            {"sb2", 0.05, 0.0, kInf, false, false, "bias variance sigma_b^2"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"activation", choices(), "tanh",
             "nonlinearity (leaky_relu: alpha = 0.01, elu: alpha = 1)"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"q", 0.0, kInf, "length fixed point q* (pre-activation variance)"},
            {"c", -1.0, 1.0, "correlation fixed point c* of two inputs"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"chi_1", "sw2 E phi'(sqrt(q*) z)^2: stability of c* = 1 (order-to-chaos at 1)"},
            {"chi_c", "sw2 E phi'(u) phi'(v) at c*: slope of the correlation map"},
            {"chi_q", "slope of the length map at q*"},
            {"xi_q", "-1/ln chi_q: depth scale of the length (inf where chi_q = 1)"},
            {"xi_c", "-1/ln chi_c: depth scale of correlations (inf at the edge of chaos)"},
            {"log_chi_1", "ln chi_1: zero on the order-to-chaos line"}};
  }
  std::vector<std::string> branch_notes() const override {
    return {
        "correlated: q = sw2 + sb2, c = 1 (the fixed point c* = 1, stable in the ordered phase)",
        "decorrelated: q = sw2 + sb2, c = 0 (reaches c* < 1 in the chaotic phase)"};
  }

  std::vector<BranchSeed> branches(const Point& p) const override {
    // q* by iterating the one-dimensional length map (cheap); where it settles and chi_1 > 1 the
    // correlated seed (c* = 1, unstable there) is not offered, as hopfield offers its paramagnet
    // seed only where that solution is stable.
    const Activation act = activation(p);
    double q = p[kSw2] + p[kSb2];
    bool settled = false;
    for (int it = 0; it < 2000 && std::isfinite(q) && q < 1e12; ++it) {
      const double qn = p[kSw2] * dual_diag(act, q).t + p[kSb2];
      settled = std::fabs(qn - q) <= 1e-12 * (1 + q);
      q = qn;
      if (settled) break;
    }
    if (!settled || !std::isfinite(q)) q = p[kSw2] + p[kSb2];
    const bool chaotic = settled && p[kSw2] * dual_diag(act, q).tdot > 1;
    Eigen::VectorXd a(2), b(2);
    a << q, 1.0;
    b << q, 0.0;
    if (chaotic) return {{"decorrelated", b}};
    return {{"correlated", a}, {"decorrelated", b}};
  }

  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    const Activation act = activation(p);
    const double q = std::max(x[kQ], 0.0), c = std::clamp(x[kC], -1.0, 1.0);
    const double sw2 = p[kSw2], sb2 = p[kSb2];
    const double qn = sw2 * dual_diag(act, q).t + sb2;
    fx.resize(2);
    fx[kQ] = qn;
    fx[kC] = qn > 0 ? (sw2 * cross(act, q, c).t + sb2) / qn : 1.0;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const Activation act = activation(p);
    const double q = std::max(x[kQ], 0.0), c = std::clamp(x[kC], -1.0, 1.0);
    const double sw2 = p[kSw2];
    const double chi1 = sw2 * dual_diag(act, q).tdot;
    const double chic = sw2 * cross(act, q, c).tdot;
    const double chiq = sw2 * dual_diag_slope(act, q);
    Eigen::VectorXd v(6);
    v << chi1, chic, chiq, depth(chiq), depth(chic), std::log(chi1);
    return v;
  }

  std::string phase(const Eigen::VectorXd& x, const Point& p) const override {
    const double chi1 = p[kSw2] * dual_diag(activation(p), std::max(x[kQ], 0.0)).tdot;
    return chi1 < 1 ? "ordered" : (chi1 > 1 ? "chaotic" : "critical");
  }

 private:
  static Activation activation(const Point& p) {
    return Activation::make(activation_from_string(p.options[0], "/options/activation"));
  }
  // E phi(u) phi(v), E phi'(u) phi'(v) at variance q and correlation c; c = 1 exactly uses the
  // diagonal forms (no rounded arccos).
  static DualValues cross(const Activation& act, double q, double c) {
    if (c == 1.0) return dual_diag(act, q);
    return dual(act, q, c * q, q);
  }
  static double depth(double chi) {
    if (chi == 1.0) return kInf;
    return -1.0 / std::log(chi);
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_signal_propagation_model() {
  return std::make_unique<SignalPropagation>();
}

}  // namespace saddle
