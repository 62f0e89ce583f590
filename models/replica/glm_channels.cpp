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
//   relu    y = max(0, z) + sqrt(Delta) xi, Delta > 0 (w = rho - q, the cavity variance):
//             Z_out = H(omega/sqrt w) N(y; 0, Delta) + N(y; omega, w + Delta) H(-mu/sigma),
//             mu = (omega Delta + y w)/(w + Delta), sigma^2 = w Delta/(w + Delta);
//             d_omega Z_out = -phi(omega/sqrt w) N(y; 0, Delta)/sqrt w
//                 + N(y; omega, w + Delta) [(y - omega) H(-mu/sigma)/(w + Delta)
//                                           + phi(mu/sigma) Delta / ((w + Delta) sigma)];
//             Psi_out = E_V int dy Z ln Z, E g_out^2 = E_V int dy (d_omega Z)^2 / Z, by nested
//             adaptive quadrature (y on a scaled Gauss-Legendre mesh around 0 and omega).
//           Squared test errors against relu(z): Gibbs rho - (rho/pi)(sin t + (pi - t) cos t),
//           cos t = q/rho (the arc-cosine kernel); Bayes rho/2 - E_V m(omega)^2 with
//           m = omega H(-omega/sqrt w) + sqrt(w) phi(omega/sqrt w), the posterior mean of relu(z).
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

class ReluChannel final : public Channel {
 public:
  ChannelValues values(double q, double rho, double Delta) const override {
    const double w = std::max(rho - q, 0.0), sq = std::sqrt(std::max(q, 0.0));
    const double vd = w + Delta, sw = std::sqrt(w);
    QuadratureOptions inner_options;
    inner_options.abs_tol = 1e-13;
    inner_options.rel_tol = 1e-12;
    auto inner = [&](double omega, double* out) {
      // y = c + s t: s covers both Gaussian parts (widths sqrt(Delta) at 0, sqrt(w + Delta) at
      // omega) with room, so that the integrand over the normal weight stays bounded.
      const double c = 0.5 * omega, s = 2.0 * std::sqrt(vd) + 0.5 * std::fabs(omega);
      const QuadratureResult r = gaussian_expectation(
          2,
          [&](double t, double* o) {
            const double y = c + s * t;
            const double n0 = std::exp(-0.5 * y * y / Delta) / std::sqrt(2 * kPi * Delta);
            const double d = y - omega;
            const double n1 = std::exp(-0.5 * d * d / vd) / std::sqrt(2 * kPi * vd);
            double z, dz;
            if (w > 0) {
              const double sigma = std::sqrt(w * Delta / vd), mu = (omega * Delta + y * w) / vd;
              z = H(omega / sw) * n0 + n1 * H(-mu / sigma);
              dz = -phi(omega / sw) * n0 / sw +
                   n1 * (d * H(-mu / sigma) / vd + phi(mu / sigma) * Delta / (vd * sigma));
            } else {  // w = 0: z = omega exactly
              z = omega > 0 ? n1 : n0;
              dz = omega > 0 ? n1 * d / vd : 0.0;
            }
            // Weight change: int dy f = s E_t[f / phi(t)].
            const double jac = s / phi(t);
            o[0] = z > 0 ? jac * z * std::log(z) : 0.0;
            o[1] = z > 0 ? jac * dz * dz / z : 0.0;
          },
          {{-c / s, std::sqrt(Delta) / s}, {(omega - c) / s, std::sqrt(vd) / s}}, inner_options);
      if (!r.converged)
        throw InternalError("glm relu channel: quadrature over y did not converge at q = " +
                            std::to_string(q));
      out[0] = r[0];
      out[1] = r[1];
    };
    QuadratureOptions outer_options;
    outer_options.abs_tol = 1e-12;
    outer_options.rel_tol = 1e-11;
    const QuadratureResult e = gaussian_expectation(
        2, [&](double v, double* out) { inner(sq * v, out); }, {}, outer_options);
    if (!e.converged)
      throw InternalError("glm relu channel: quadrature did not converge at q = " +
                          std::to_string(q));
    return {e[0], e[1]};
  }
  bool noiseless(double) const override { return false; }
  bool allows_zero_noise() const override { return false; }
  GeneralisationErrors generalisation(double q, double rho, double) const override {
    const double c = std::min(1.0, std::max(-1.0, q / rho)), t = std::acos(c);
    const double gibbs = rho - rho / kPi * (std::sin(t) + (kPi - t) * c);
    const double w = std::max(rho - q, 0.0), sq = std::sqrt(std::max(q, 0.0));
    const QuadratureResult e = gaussian_expectation(1, [&](double v, double* out) {
      const double omega = sq * v;
      const double m =
          w > 0 ? omega * H(-omega / std::sqrt(w)) + std::sqrt(w) * phi(omega / std::sqrt(w))
                : std::max(omega, 0.0);
      out[0] = m * m;
    });
    return {0.5 * rho - e[0], gibbs};
  }
};

}  // namespace

std::unique_ptr<Channel> make_channel(const std::string& name) {
  if (name == "sign") return std::make_unique<SignChannel>();
  if (name == "linear") return std::make_unique<LinearChannel>();
  if (name == "relu") return std::make_unique<ReluChannel>();
  throw InternalError("glm: unknown channel '" + name + "'");
}

}  // namespace saddle::glm
