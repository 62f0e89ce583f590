// Priors and channels of the Bayes-optimal generalised linear model (models/replica/glm.cpp).
// Internal to models/: each prior or channel is one small class stating its scalar functions once;
// adding one is a class here plus one line in glm_priors.cpp / glm_channels.cpp.
//
// Notation (Barbier, Krzakala, Macris, Miolane, Zdeborova, PNAS 116, 5451 (2019), Sec. 2):
//   prior side, scalar channel Y0 = sqrt(r) X0 + Z:
//     Z_0(B, A) = E_{x ~ P0} exp(B x - A x^2 / 2),  B = r X0 + sqrt(r) Z,  A = r
//     psi_P0(r) = E ln Z_0(B, r),  q = 2 psi_P0'(r) = E[X0 <x>] = E <x>^2 (Nishimori)
//   channel side, with rho = E X0^2, V ~ N(0, 1), omega = sqrt(q) V, W* ~ N(0, 1):
//     Z_out(y, omega, v) = E_w P_out(y | omega + sqrt(v) w),  v = rho - q,
//     Psi_out(q) = E ln Z_out(Y, omega, rho - q),  Y ~ P_out(. | omega + sqrt(rho - q) W*)
//     g_out = d_omega ln Z_out,   qhat = 2 alpha Psi_out'(q) = alpha E g_out^2 (Nishimori).
#pragma once

#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace saddle::glm {

struct PriorValues {
  double q = 0.0;     // 2 psi_P0'(r): the overlap the prior returns for a field r
  double phi0 = 0.0;  // psi_P0(r) - r q / 2: the prior's part of the free entropy at its optimum
};

class Prior {
 public:
  virtual ~Prior() = default;
  // E X0^2 (the overlap q lives in [0, second_moment]).
  virtual double second_moment(double rho) const = 0;
  // Values at r >= 0 (r = +inf allowed: q = second moment).
  virtual PriorValues values(double r, double rho) const = 0;
  // Shannon entropy of a discrete prior (nats); nullopt for priors with a continuous part (their
  // q -> rho limit has free entropy -inf, so they have no perfect-recovery state).
  virtual std::optional<double> discrete_entropy(double rho) const { return std::nullopt; }
};

struct ChannelValues {
  double psi = 0.0;  // Psi_out(q)
  double g2 = 0.0;   // E g_out^2 (qhat = alpha g2); +inf at q = rho for a noiseless channel
};

struct GeneralisationErrors {
  double bayes = 0.0;  // error of the Bayes-optimal prediction
  double gibbs = 0.0;  // error of a posterior sample (twice-overlapped student)
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Values at 0 <= q <= rho; Delta >= 0 is the channel noise.
  virtual ChannelValues values(double q, double rho, double Delta) const = 0;
  // Whether labels are a deterministic function of the teacher's field (q = rho is then reachable
  // with qhat = inf, and Psi_out(rho) = 0).
  virtual bool noiseless(double Delta) const = 0;
  // Whether Delta = 0 is allowed (continuous noiseless outputs have an infinite free entropy).
  virtual bool allows_zero_noise() const = 0;
  // Test errors against the noiseless teacher output f(z) (0-1 for sign, squared otherwise).
  virtual GeneralisationErrors generalisation(double q, double rho, double Delta) const = 0;
};

std::unique_ptr<Prior> make_prior(const std::string& name);      // gaussian, rademacher, ...
std::unique_ptr<Channel> make_channel(const std::string& name);  // sign, linear, relu

}  // namespace saddle::glm
