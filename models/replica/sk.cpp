// Sherrington-Kirkpatrick spin glass, replica-symmetric theory (J = 1).
//
//   H = -sum_{i<j} J_ij s_i s_j - h sum_i s_i,   J_ij ~ N(J0 / N, 1 / N).
//
// With a = J0 m + h + sqrt(q) z, z ~ N(0, 1), beta = 1 / T (SK 1975; Kirkpatrick and Sherrington
// 1978, RS free energy and its stationarity conditions; equation numbers not reproduced here):
//   m = E tanh(beta a),   q = E tanh^2(beta a)
//   f = -beta/4 (1 - q)^2 + J0 m^2 / 2 - T E log 2cosh(beta a)          (variational, any m, q)
//   e = d(beta f)/d beta = -beta/2 (1 - q^2) - J0 m^2 / 2 - h m
//   s = beta (e - f) = E[log 2cosh(x) - x tanh(x)]_{x = beta a} - C^2 / 4,   C = beta (1 - q).
// The entropy form follows from E[a tanh(beta a)] = (J0 m + h) m + beta q (1 - q) (Stein's lemma)
// and needs no cancellation: both terms are computed directly. 1 - q = E sech^2(beta a), so
// C = beta E sech^2(beta a) stays finite as T -> 0.
//   lambda_AT = 1 - beta^2 E sech^4(beta a)   (de Almeida and Thouless 1978: the replicon
//                                              eigenvalue; RS is stable where lambda_AT > 0)
//
// T = 0 exactly: q = 1 (the q slot is fixed), mu = J0 m + h,
//   m = erf(mu / sqrt 2),   C = sqrt(2 / pi) exp(-mu^2 / 2) = 2 phi(mu),
//   e = f = -C - J0 m^2 / 2 - h m,   s = -C^2 / 4 (the T -> 0 limit of the form above: the
//   single-spin entropy term is O(T)),   lambda_AT = -infinity (beta^2 E sech^4 ~ beta).
//   The variational f at T = 0 is J0 m^2 / 2 - E|mu + z| = J0 m^2/2 - mu erf(mu/sqrt2) - 2 phi(mu).
//
// Known limits used by tests/replica/sk_test.cpp (values in data/reference/sk.json):
//   T_c = 1 at h = J0 = 0, with q ~ (1 - T) just below; RS ground-state energy -sqrt(2/pi) and
//   T = 0 entropy -1/(2 pi) at h = J0 = 0 (SK 1975); PM/FM boundary T = J0 for J0 > 1 at h = 0;
//   lambda_AT = 1 - beta^2 in the paramagnet at h = 0 (so the AT line meets h = 0 at T = 1).
//
// Branches and phases. Seeds: paramagnet (m = 0, q = 0), spin_glass (m = 0, q = 1), ferromagnet
// (m = 1, q = 1). The paramagnet seed is offered only for T > 1 and T > J0, where q = 0 (h = 0) is
// stable: at h = 0 the q = 0 solution exists at every T, but below T = 1 it is unstable along q
// (lambda_AT = 1 - beta^2 < 0) and yet has a lower RS free energy than the spin glass (the q
// direction of the n -> 0 replica free energy is inverted), so selection by lowest free energy
// must not see it; below T = J0 it is unstable along m. With h != 0 and T < 1 a start at q = 0
// sits where the q direction is repulsive, and extrapolating solvers are pushed onto the q = 0
// face; the other seeds reach the field-polarised solution. At T = 0 q = 1 always.
// Phase labels, at h = 0: "paramagnet" if q < 1e-8, else "ferromagnet" if |m| > 1e-6, else
// "spin_glass". At h != 0 m and q are induced by the field, so: "ferromagnet" if |J0 m| > |h|
// (the internal field exceeds the external one), else "spin_glass" if lambda_AT < 0 (below the AT
// line, RS broken), else "paramagnet".
#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/special.hpp"

namespace saddle {
namespace {

// Parameter and order-parameter indices, in the order of parameters() / order_parameters().
constexpr int kT = 0, kH = 1, kJ0 = 2;
constexpr int kM = 0, kQ = 1;

constexpr double kParamagnetQ = 1e-8;  // q below this: paramagnet
constexpr double kMagnetisedM = 1e-6;  // |m| above this: magnetised
constexpr double kSqrt2OverPi = 0.79788456080286535588;

class SkModel final : public FixedPointModel {
 public:
  std::string id() const override { return "sk"; }
  std::string title() const override {
    return "Sherrington-Kirkpatrick spin glass, replica-symmetric theory (J = 1)";
  }
  std::vector<Reference> references() const override {
    return {{"D. Sherrington and S. Kirkpatrick, Phys. Rev. Lett. 35, 1792 (1975)",
             "RS equations for m and q, free energy; T_c = 1, ground-state energy -sqrt(2/pi), "
             "T = 0 entropy -1/(2 pi)"},
            {"S. Kirkpatrick and D. Sherrington, Phys. Rev. B 17, 4384 (1978)",
             "RS theory with J0 and h: PM/FM boundary T = J0 (J0 > 1), energy and entropy"},
            {"J. R. L. de Almeida and D. J. Thouless, J. Phys. A 11, 983 (1978)",
             "stability of the RS solution: lambda_AT = 1 - beta^2 E sech^4(beta a)"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {
        {"T", 0.5, 0.0, kInf, false, false, "temperature in units of J (T = 0 exactly allowed)"},
        {"h", 0.0, -kInf, kInf, false, false, "uniform external field"},
        {"J0", 0.0, -kInf, kInf, false, false, "mean coupling J0 (J_ij ~ N(J0/N, 1/N))"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"m", -1.0, 1.0, "magnetisation E tanh(beta a)"},
            {"q", 0.0, 1.0, "Edwards-Anderson overlap E tanh^2(beta a); fixed to 1 at T = 0"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"energy", "internal energy per spin, d(beta f)/d beta"},
            {"entropy", "entropy per spin, beta (energy - f)"},
            {"lambda_AT", "de Almeida-Thouless replicon 1 - beta^2 E sech^4 (RS stable if > 0)"},
            {"C", "beta (1 - q) = beta E sech^2 (finite as T -> 0)"}};
  }
  std::vector<std::string> branch_notes() const override {
    return {"paramagnet: m = 0, q = 0 (only for T > 1 and T > J0, where q = 0 is stable)",
            "spin_glass: m = 0, q = 1", "ferromagnet: m = 1, q = 1"};
  }

  std::vector<BranchSeed> branches(const Point& p) const override {
    const double T = p[kT], J0 = p[kJ0];
    std::vector<BranchSeed> seeds;
    if (T > 1.0 && T > J0) seeds.push_back({"paramagnet", Eigen::Vector2d(0.0, 0.0)});
    seeds.push_back({"spin_glass", Eigen::Vector2d(0.0, 1.0)});
    seeds.push_back({"ferromagnet", Eigen::Vector2d(1.0, 1.0)});
    return seeds;
  }

  Domain domain(const Point& p) const override {
    const double q_lower = p[kT] == 0.0 ? 1.0 : 0.0;
    return {Eigen::Vector2d(-1.0, q_lower), Eigen::Vector2d(1.0, 1.0)};
  }

  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    const double T = p[kT];
    const double mu = p[kJ0] * x[kM] + p[kH];
    fx.resize(2);
    if (T == 0.0) {
      fx[kM] = std::erf(mu / kSqrt2);
      fx[kQ] = 1.0;
      return;
    }
    const double beta = 1.0 / T;
    const TanhMoments e = tanh_moments(beta * mu, beta * std::sqrt(std::max(x[kQ], 0.0)));
    fx[kM] = e.tanh;
    fx[kQ] = e.tanh2;
  }

  // dF/dx by the heat equation d/dq E g(mu + sqrt(q) z) = E g''/2 (no 1/sqrt(q) at q = 0):
  //   dm'/dm = beta J0 E sech^2,          dm'/dq = -beta^2 E sech^2 tanh,
  //   dq'/dm = 2 beta J0 E sech^2 tanh,    dq'/dq = beta^2 E[sech^4 - 2 tanh^2 sech^2].
  bool jacobian(const Eigen::VectorXd& x, const Point& p, Eigen::MatrixXd& jac) const override {
    const double T = p[kT], J0 = p[kJ0];
    const double mu = J0 * x[kM] + p[kH];
    jac.setZero(2, 2);
    if (T == 0.0) {
      jac(kM, kM) = J0 * 2.0 * phi(mu);
      return true;
    }
    const double beta = 1.0 / T;
    const TanhMoments e =
        tanh_derivative_moments(beta * mu, beta * std::sqrt(std::max(x[kQ], 0.0)));
    jac(kM, kM) = beta * J0 * e.sech2;
    jac(kM, kQ) = -beta * beta * e.sech2_tanh;
    jac(kQ, kM) = 2.0 * beta * J0 * e.sech2_tanh;
    // E[sech^4 - 2 tanh^2 sech^2] = 3 E sech^4 - 2 E sech^2 (tanh^2 = 1 - sech^2).
    jac(kQ, kQ) = beta * beta * (3.0 * e.sech4 - 2.0 * e.sech2);
    return true;
  }

  Objective objective() const override { return Objective::kMinimiseFreeEnergy; }

  std::optional<double> free_energy(const Eigen::VectorXd& x, const Point& p) const override {
    const double T = p[kT], J0 = p[kJ0];
    const double m = x[kM], q = x[kQ];
    const double mu = J0 * m + p[kH];
    if (T == 0.0) return 0.5 * J0 * m * m - mu * std::erf(mu / kSqrt2) - 2.0 * phi(mu);
    const double beta = 1.0 / T;
    const TanhMoments e = tanh_thermodynamic_moments(beta * mu, beta * std::sqrt(std::max(q, 0.0)));
    return -0.25 * beta * (1.0 - q) * (1.0 - q) + 0.5 * J0 * m * m - T * e.log_2cosh;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const double T = p[kT], h = p[kH], J0 = p[kJ0];
    const double m = x[kM], q = x[kQ];
    const double mu = J0 * m + h;
    double C, single_spin_entropy, lambda_at;
    if (T == 0.0) {
      C = kSqrt2OverPi * std::exp(-0.5 * mu * mu);
      single_spin_entropy = 0.0;
      lambda_at = -kInf;
    } else {
      const double beta = 1.0 / T;
      const TanhMoments e =
          tanh_thermodynamic_moments(beta * mu, beta * std::sqrt(std::max(q, 0.0)));
      C = beta * e.sech2;
      lambda_at = 1.0 - beta * beta * e.sech4;
      single_spin_entropy = e.entropy;
    }
    Eigen::VectorXd out(4);
    out << -0.5 * C * (1.0 + q) - 0.5 * J0 * m * m - h * m,  // energy
        single_spin_entropy - 0.25 * C * C,                  // entropy
        lambda_at, C;
    return out;
  }

  std::string phase(const Eigen::VectorXd& x, const Point& p) const override {
    const double h = p[kH], J0 = p[kJ0];
    const double m = x[kM], q = x[kQ];
    if (h == 0.0) {
      if (q < kParamagnetQ) return "paramagnet";
      return std::fabs(m) > kMagnetisedM ? "ferromagnet" : "spin_glass";
    }
    if (std::fabs(J0 * m) > std::fabs(h)) return "ferromagnet";
    return observable_values(x, p)[2] < 0.0 ? "spin_glass" : "paramagnet";
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_sk_model() {
  return std::make_unique<SkModel>();
}

}  // namespace saddle
