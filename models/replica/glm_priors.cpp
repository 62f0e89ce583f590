// Priors of the glm model (notation in glm_internal.hpp).
//
//   gaussian         P0 = N(0, 1):  q = r / (1 + r),  psi = r/2 - ln(1 + r)/2,
//                    phi0 = psi - r q / 2 = r / (2 (1 + r)) - ln(1 + r) / 2.
//   rademacher       P0 = (delta_{-1} + delta_{+1}) / 2:  with x = r + sqrt(r) z (X0 = +1 by
//                    symmetry), q = E tanh x = E tanh^2 x, psi = E ln cosh x - r/2. Since
//                    E[x tanh x] = r (Stein's lemma and Nishimori), phi0 = E[ln 2cosh x - x tanh x]
//                    + r (1 - q)/2 - ln 2, free of the O(r) cancellation; 1 - q = E sech^2 x.
//   gauss_bernoulli  P0 = (1 - rho) delta_0 + rho N(0, 1), E X0^2 = rho:
//                    Z_0(B, r) = 1 - rho + rho exp(B^2 / (2 (1 + r))) / sqrt(1 + r),
//                    <x> = pi(B) B / (1 + r) with pi the posterior weight of the Gaussian part;
//                    B ~ N(0, r) given X0 = 0 and N(0, r (1 + r)) given X0 != 0.
#include <cmath>
#include <limits>

#include "glm_internal.hpp"
#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/special.hpp"

namespace saddle::glm {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

class GaussianPrior final : public Prior {
 public:
  double second_moment(double) const override { return 1.0; }
  PriorValues values(double r, double) const override {
    if (std::isinf(r)) return {1.0, -std::numeric_limits<double>::infinity()};
    return {r / (1.0 + r), 0.5 * r / (1.0 + r) - 0.5 * std::log1p(r)};
  }
};

class RademacherPrior final : public Prior {
 public:
  double second_moment(double) const override { return 1.0; }
  PriorValues values(double r, double) const override {
    if (std::isinf(r)) return {1.0, -kLn2};
    const TanhMoments m = tanh_thermodynamic_moments(r, std::sqrt(r));
    return {1.0 - m.sech2, m.entropy + 0.5 * r * m.sech2 - kLn2};
  }
  std::optional<double> discrete_entropy(double) const override { return kLn2; }
};

class GaussBernoulliPrior final : public Prior {
 public:
  double second_moment(double rho) const override { return rho; }
  PriorValues values(double r, double rho) const override {
    if (std::isinf(r)) return {rho, -std::numeric_limits<double>::infinity()};
    if (r == 0.0) return {0.0, 0.0};
    const double log_ratio = std::log(rho) - 0.5 * std::log1p(r) - std::log1p(-rho);
    // ln Z_0 and <x>^2 at B; ln Z_0 = ln(1 - rho) + log(1 + exp(a)), a = B^2/(2(1+r)) + log_ratio.
    auto at = [&](double B, double* out) {
      const double a = 0.5 * B * B / (1.0 + r) + log_ratio;
      const double softplus = a > 0 ? a + std::log1p(std::exp(-a)) : std::log1p(std::exp(a));
      const double weight = a > 0 ? 1.0 / (1.0 + std::exp(-a)) : std::exp(a) / (1.0 + std::exp(a));
      const double mean = weight * B / (1.0 + r);
      out[0] = std::log1p(-rho) + softplus;
      out[1] = mean * mean;
    };
    // The posterior weight switches where a = 0: |B| = sqrt(-2 (1 + r) log_ratio); in units of z
    // for the two laws of B. The adaptive rule refines there.
    const double b_switch = log_ratio < 0 ? std::sqrt(-2.0 * (1.0 + r) * log_ratio) : 0.0;
    const double s0 = std::sqrt(r), s1 = std::sqrt(r * (1.0 + r));
    auto features = [&](double s) {
      const double c = b_switch / s, w = std::max(1e-3, (1.0 + r) / (s * std::max(b_switch, 1.0)));
      return std::vector<Feature>{{c, w}, {-c, w}};
    };
    const QuadratureResult e0 = gaussian_expectation(
        2, [&](double z, double* out) { at(s0 * z, out); }, features(s0));
    const QuadratureResult e1 = gaussian_expectation(
        2, [&](double z, double* out) { at(s1 * z, out); }, features(s1));
    if (!e0.converged || !e1.converged)
      throw InternalError("glm gauss_bernoulli prior: quadrature did not converge at r = " +
                          std::to_string(r));
    const double psi = (1.0 - rho) * e0[0] + rho * e1[0];
    const double q = (1.0 - rho) * e0[1] + rho * e1[1];
    return {q, psi - 0.5 * r * q};
  }
};

}  // namespace

std::unique_ptr<Prior> make_prior(const std::string& name) {
  if (name == "gaussian") return std::make_unique<GaussianPrior>();
  if (name == "rademacher") return std::make_unique<RademacherPrior>();
  if (name == "gauss_bernoulli") return std::make_unique<GaussBernoulliPrior>();
  throw InternalError("glm: unknown prior '" + name + "'");
}

}  // namespace saddle::glm
