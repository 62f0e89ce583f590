// Storage capacity of the perceptron: the Gardner volume of weights w that store p = alpha N random
// patterns xi^mu with random labels y^mu at margin kappa, y^mu w . xi^mu / sqrt(N) >= kappa.
// Replica-symmetric theory (E. Gardner, J. Phys. A 21, 257 (1988); E. Gardner and B. Derrida,
// J. Phys. A 21, 271 (1988); W. Krauth and M. Mezard, J. Phys. France 50, 3057 (1989)).
//
// With u = (kappa + sqrt(q) t) / sqrt(1 - q), t ~ N(0, 1), mills(u) = phi(u)/H(u), and
// m'(u) = d mills/du = mills (mills - u):
//   channel term  alpha E_t ln H(u),  d/dq of it = -alpha E mills(u)^2 / (2 (1 - q))  (Stein)
//   weights "spherical" (|w|^2 = N):
//     s(q) = ln(1 - q)/2 + q / (2 (1 - q)) + alpha E ln H(u)
//     ds/dq = 0  <=>  q / (1 - q) = alpha E mills(u)^2 =: A(q);   map q' = A / (1 + A)
//   weights "binary" (w_i = +-1):
//     s(q, qhat) = -qhat (1 - q)/2 + E_z ln 2cosh(sqrt(qhat) z) + alpha E ln H(u)
//     qhat = alpha E mills(u)^2 / (1 - q),   q = E_z tanh^2(sqrt(qhat) z)
// The fixed-point vector is q alone (qhat substituted, reported as an observable): q is bounded
// and q -> 1 is where the volume shrinks to a point.
// Entropy s is the log volume per weight (for binary weights, log of the number of solutions per
// weight, ln 2 at alpha = 0).
//
// Capacities. As q -> 1, (1 - q) E mills^2 -> I2(kappa) = int_{-kappa}^inf Dt (t + kappa)^2
// = (1 + kappa^2) H(-kappa) + kappa phi(kappa), so
//   spherical: q -> 1 at alpha_c = 1 / I2(kappa) (Gardner 1988; 2 at kappa = 0), with
//              1 - q vanishing linearly in alpha_c - alpha below it; no solution q < 1 above it;
//   binary:    1 - q = E sech^2 ~ sqrt(2 / (pi qhat)) gives the RS q -> 1 point 2 / (pi I2)
//              (4/pi at kappa = 0), but the RS entropy vanishes before, at alpha ~ 0.833 (kappa =
//              0), which is the Krauth-Mezard capacity (a continuation in alpha with stability
//              "entropy" locates it as a thermodynamic_stability_change).
// The observable alpha_capacity reports 1/I2 (spherical) or 2/(pi I2) (binary), the q -> 1 limits.
// RS stability (replicon): lambda_AT = 1 - alpha E_t[m'(u)^2] V2 / (1 - q)^2 with V2 the mean
// squared posterior variance of a weight: (1 - q)^2 (spherical), E sech^4(sqrt(qhat) z) (binary).
// Spherical: lambda_AT > 0 for kappa >= 0 up to alpha_c (marginal, 0, at alpha_c for kappa = 0);
// for kappa < 0 it turns negative below alpha_c (Gardner-Derrida 1988: RS unstable there).
// Known limits used by tests/replica/perceptron_storage_test.cpp (data/reference/
// perceptron_storage.json): alpha_c(kappa) in closed form; alpha_c(0) = 2; binary: zero entropy at
// alpha ~ 0.833, q -> 1 at 4/pi.
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

constexpr int kAlpha = 0, kKappa = 1;
constexpr int kWeights = 0;
// Largest |(1 - F(q)) / (1 - q) - 1| of an admissible solution (see inadmissible()).
constexpr double kRelativeGapTol = 1e-3;

// I2(kappa) = int_{-kappa}^inf Dt (t + kappa)^2.
double gardner_integral(double kappa) {
  return (1.0 + kappa * kappa) * H(-kappa) + kappa * phi(kappa);
}

struct ChannelMoments {
  double log_h = 0.0;    // E ln H(u)
  double mills2 = 0.0;   // E mills(u)^2
  double dmills2 = 0.0;  // E m'(u)^2
};

ChannelMoments channel_moments(double q, double kappa) {
  if (q <= 0.0) {
    const double m = mills(kappa);
    return {log_H(kappa), m * m, std::pow(m * (m - kappa), 2)};
  }
  const double sq = std::sqrt(q), sd = std::sqrt(1.0 - q);
  // The integrand switches at u = 0, t = -kappa / sqrt(q), over a width sqrt((1 - q)/q) in t.
  const QuadratureResult r = gaussian_expectation(3,
                                                  [&](double t, double* out) {
                                                    const double u = (kappa + sq * t) / sd,
                                                                 m = mills(u), dm = m * (m - u);
                                                    out[0] = log_H(u);
                                                    out[1] = m * m;
                                                    out[2] = dm * dm;
                                                  },
                                                  {{-kappa / sq, std::max(sd / sq, 1e-12)}});
  if (!r.converged)
    throw InternalError("perceptron_storage: quadrature did not converge at q = " +
                        std::to_string(q) + ", kappa = " + std::to_string(kappa));
  return {r[0], r[1], r[2]};
}

class PerceptronStorageModel final : public FixedPointModel {
 public:
  std::string id() const override { return "perceptron_storage"; }
  std::string title() const override {
    return "Perceptron storage: Gardner volume with margin kappa (spherical or binary weights)";
  }
  std::vector<Reference> references() const override {
    return {{"E. Gardner, J. Phys. A 21, 257 (1988)",
             "RS Gardner volume of the spherical perceptron, alpha_c(kappa) = 1 / I2(kappa)"},
            {"E. Gardner and B. Derrida, J. Phys. A 21, 271 (1988)",
             "binary weights (q -> 1 estimate 4/pi), RS stability (unstable for kappa < 0)"},
            {"W. Krauth and M. Mezard, J. Phys. France 50, 3057 (1989)",
             "binary perceptron capacity 0.833 where the RS entropy vanishes"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {{"alpha", 0.5, 0.0, kInf, false, false, "patterns per weight p / N"},
            {"kappa", 0.0, -kInf, kInf, false, false, "stability margin"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"weights",
             {"spherical", "binary"},
             "spherical",
             "spherical (|w|^2 = N) or binary (w_i = +-1) weights"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"q", 0.0, 1.0, "overlap of two weight vectors in the Gardner volume"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"qhat", "conjugate field alpha E mills(u)^2 / (1 - q)"},
            {"entropy", "log volume (spherical) or log number of solutions (binary) per weight"},
            {"lambda_AT", "replicon eigenvalue (RS stable where > 0)"},
            {"alpha_capacity",
             "q -> 1 limit of the RS equations: alpha_c = 1/I2(kappa) (spherical, the capacity), "
             "2/(pi I2(kappa)) (binary, the RS q -> 1 estimate, above the true capacity)"}};
  }
  std::vector<std::string> branch_notes() const override { return {"replica_symmetric: q = 0"}; }

  std::vector<BranchSeed> branches(const Point&) const override {
    return {{"replica_symmetric", Eigen::VectorXd::Zero(1)}};
  }

  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    const double q = std::min(std::max(x[0], 0.0), 1.0);
    fx.resize(1);
    if (q >= 1.0) {  // the volume has shrunk to a point: q = 1 maps to itself
      fx[0] = 1.0;
      return;
    }
    const ChannelMoments c = channel_moments(q, p[kKappa]);
    if (binary(p)) {
      const double qhat = p[kAlpha] * c.mills2 / (1.0 - q);
      fx[0] = 1.0 - tanh_moments(0.0, std::sqrt(qhat)).sech2;
    } else {
      const double a = p[kAlpha] * c.mills2;
      fx[0] = a / (1.0 + a);
    }
  }

  // Beyond the capacity of a branch the iteration contracts onto q = 1 (1 - q' = (1 - q) /
  // (alpha I2) for spherical weights) and stops, by the absolute tolerance, at some 1 - q ~ 1e-10
  // that is no solution. A genuine solution has 1 - F(q) = 1 - q also relative to 1 - q.
  std::optional<std::string> inadmissible(const Eigen::VectorXd& x, const Point& p) const override {
    const double q = x[0];
    const char* why =
        "no replica-symmetric solution with q < 1 here: the iteration converges to q = 1 (the "
        "Gardner volume shrinks to a point; alpha is at or beyond alpha_capacity)";
    if (q >= 1.0) return std::string(why);
    Eigen::VectorXd fx;
    map(x, p, fx);
    if (std::fabs((1.0 - fx[0]) / (1.0 - q) - 1.0) > kRelativeGapTol) return std::string(why);
    return std::nullopt;
  }

  Objective objective() const override { return Objective::kMaximiseFreeEntropy; }
  std::optional<double> free_energy(const Eigen::VectorXd& x, const Point& p) const override {
    return observable_values(x, p)[1];
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const double q = std::min(std::max(x[0], 0.0), 1.0), alpha = p[kAlpha], kappa = p[kKappa];
    const double i2 = gardner_integral(kappa);
    Eigen::VectorXd out(4);
    const double capacity = binary(p) ? 2.0 / (kPi * i2) : 1.0 / i2;
    if (q >= 1.0) {
      out << kInf, -kInf, -kInf, capacity;
      return out;
    }
    const ChannelMoments c = channel_moments(q, kappa);
    const double qhat = alpha * c.mills2 / (1.0 - q);
    double entropy, v2;
    if (binary(p)) {
      const TanhMoments t = tanh_thermodynamic_moments(0.0, std::sqrt(qhat));
      entropy = -0.5 * qhat * (1.0 - q) + t.log_2cosh + alpha * c.log_h;
      v2 = tanh_derivative_moments(0.0, std::sqrt(qhat)).sech4;
    } else {
      entropy = 0.5 * std::log1p(-q) + 0.5 * q / (1.0 - q) + alpha * c.log_h;
      v2 = (1.0 - q) * (1.0 - q);
    }
    out << qhat, entropy, 1.0 - alpha * c.dmills2 * v2 / ((1.0 - q) * (1.0 - q)), capacity;
    return out;
  }

 private:
  static bool binary(const Point& p) { return p.options[kWeights] == "binary"; }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_perceptron_storage_model() {
  return std::make_unique<PerceptronStorageModel>();
}

}  // namespace saddle
