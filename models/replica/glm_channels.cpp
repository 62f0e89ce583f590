// Channels of the glm model (notation in glm_internal.hpp), with v = rho - q + Delta.
//
//   sign    y = sign(z + sqrt(Delta) xi) (Delta = 0: noiseless; Delta > 0: probit noise).
//           Z_out(y, omega, v) = H(-y omega / sqrt(v)), g_out = y mills(-y omega/sqrt v)/sqrt v.
//           With u = sqrt(q) V / sqrt(v) and the symmetry V -> -V:
//             Psi_out = 2 E_V H(u) ln H(u),   E g_out^2 = (2 / v) E_V phi(u) mills(u).
//           As q -> rho (Delta = 0) the integrands concentrate on |V| ~ sqrt(s), s = v / q; for
//           s < 1 the integral is taken over u instead, with weight sqrt(s) phi(sqrt(s) u), which
//           stays smooth: E g_out^2 -> 2 phi(0) int phi(u) mills(u) du / sqrt(q v), i.e.
//           qhat ~ alpha K / sqrt(rho - q), the origin of the 1/alpha laws (K = 0.7206).
//           Test errors against sign(z): Bayes arccos(sqrt(q/rho))/pi, Gibbs arccos(q/rho)/pi.
//   linear  y = z + sqrt(Delta) xi, Delta > 0: Z_out = N(y; omega, v),
//             Psi_out = -ln(2 pi v)/2 - 1/2,   E g_out^2 = 1 / v.
//           Squared test errors against z: Bayes rho - q, Gibbs 2 (rho - q).
#include <cmath>
#include <limits>

#include "glm_internal.hpp"
#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/special.hpp"

namespace saddle::glm {
namespace {

constexpr double kLn2 = 0.69314718055994530942;

class SignChannel final : public Channel {
 public:
  ChannelValues values(double q, double rho, double Delta) const override {
    const double v = rho - q + Delta;
    if (q <= 0.0) return {-kLn2, 2.0 / (kPi * v)};  // u = 0: H = 1/2, phi mills = 1/pi
    if (v <= 0.0) return {0.0, std::numeric_limits<double>::infinity()};
    const double s = v / q;
    QuadratureResult e;
    if (s >= 1.0) {
      const double scale = 1.0 / std::sqrt(s);
      e = gaussian_expectation(2, [&](double z, double* out) {
        const double u = scale * z, lh = log_H(u);
        out[0] = 2.0 * std::exp(lh) * lh;
        out[1] = 2.0 * phi(u) * mills(u);
      });
    } else {
      // Over u: E_V f(V / sqrt s) = E_z[f(z) sqrt(s) exp((1 - s) z^2 / 2)] (both weights normal).
      const double root_s = std::sqrt(s);
      e = gaussian_expectation(2, [&](double z, double* out) {
        const double lh = log_H(z), half_z2 = 0.5 * z * z;
        out[0] = 2.0 * root_s * std::exp(lh + (1.0 - s) * half_z2) * lh;
        out[1] = 2.0 * root_s * mills(z) * std::exp(-s * half_z2) * kInvSqrt2Pi;
      });
    }
    if (!e.converged)
      throw InternalError("glm sign channel: quadrature did not converge at q = " +
                          std::to_string(q));
    return {e[0], e[1] / v};
  }
  bool noiseless(double Delta) const override { return Delta == 0.0; }
  bool allows_zero_noise() const override { return true; }
  GeneralisationErrors generalisation(double q, double rho, double) const override {
    const double c = std::min(1.0, std::max(0.0, q / rho));
    return {std::acos(std::sqrt(c)) / kPi, std::acos(c) / kPi};
  }
};

class LinearChannel final : public Channel {
 public:
  ChannelValues values(double q, double rho, double Delta) const override {
    const double v = rho - q + Delta;
    return {-0.5 * std::log(2.0 * kPi * v) - 0.5, 1.0 / v};
  }
  bool noiseless(double) const override { return false; }
  bool allows_zero_noise() const override { return false; }
  GeneralisationErrors generalisation(double q, double rho, double) const override {
    return {rho - q, 2.0 * (rho - q)};
  }
};

}  // namespace

std::unique_ptr<Channel> make_channel(const std::string& name) {
  if (name == "sign") return std::make_unique<SignChannel>();
  if (name == "linear") return std::make_unique<LinearChannel>();
  throw InternalError("glm: unknown channel '" + name + "'");
}

}  // namespace saddle::glm
