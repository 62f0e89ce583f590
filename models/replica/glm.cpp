// Bayes-optimal teacher-student generalised linear model: the replica-symmetric formula of
// Barbier, Krzakala, Macris, Miolane and Zdeborova, PNAS 116, 5451 (2019), Eqs. (7)-(9), proven
// there. Teacher X0 ~ P0 in R^n, m = alpha n samples Y_mu ~ P_out(. | Phi_mu . X0 / sqrt n).
//
//   Phi_RS(q, qhat) = psi_P0(qhat) - q qhat / 2 + alpha Psi_out(q)
//   stationarity:  q = 2 psi_P0'(qhat),   qhat = 2 alpha Psi_out'(q) = alpha E g_out^2
// with psi_P0, Psi_out, g_out as in glm_internal.hpp (priors in glm_priors.cpp, channels in
// glm_channels.cpp). The free entropy per variable is the maximum of Phi_RS over the fixed points
// (objective kMaximiseFreeEntropy); the mutual information per variable is
//   I = alpha Psi_out(rho) - Phi_RS   (alpha Psi_out(rho) = -alpha H(Y|Z); 0 for noiseless labels)
// and the Bayes-optimal MSE is rho - q (rho = E X0^2).
//
// The fixed-point vector is q alone: qhat = alpha E g_out^2(q) is substituted into the prior
// equation, F(q) = q_prior(alpha E g_out^2(q)), and qhat is reported as an observable. Reasons: q
// is bounded (0 <= q <= rho) while qhat grows like alpha^2 (gaussian prior, sign channel; 5e5 at
// alpha = 1000), and both the solvers' absolute residual and the arclength metric need O(1)
// unknowns; the perfect-recovery state of a discrete prior with noiseless labels (q = rho,
// qhat = inf) is then an exact fixed point, F(rho) = rho. The free entropy is evaluated at
// (q_prior(qhat), qhat) with qhat = alpha E g_out^2(q): Phi_RS is stationary in both arguments, so
// an error dq in the solution enters only as O(qhat' dq^2), not as qhat dq.
//
// phi_gap = Phi_RS - Phi_perfect, where Phi_perfect = -H(X0) is the free entropy of the
// perfect-recovery state (a discrete prior, noiseless labels); +inf where no such state exists
// (continuous prior: Phi -> -inf as q -> rho; noisy labels: qhat stays finite). Used as the
// thermodynamic indicator of a continuation in alpha, its sign change is the first-order
// (information-theoretic) transition alpha_IT; the fold of the same branch is the spinodal
// alpha_alg, where approximate message passing starts to recover the signal.
//
// Known values used by tests/replica/glm_test.cpp (data/reference/glm.json):
//   rademacher prior, sign channel: alpha_IT ~ 1.249 (Barbier et al. 2019; Gyorgyi 1990: 1.245),
//   alpha_alg ~ 1.493 (the spinodal of the poor-generalisation branch);
//   gaussian prior, sign channel, alpha -> inf: Bayes error 0.442/alpha, Gibbs error 0.625/alpha
//   (Opper and Haussler 1991; Engel and Van den Broeck, Statistical Mechanics of Learning, 2001);
//   gaussian prior, linear channel: qhat = alpha / (1 - q + Delta), q = qhat / (1 + qhat), so
//   q = [(1 + Delta + alpha) - sqrt((1 + Delta + alpha)^2 - 4 alpha)] / 2;
//   I-MMSE: dI/dDelta = -alpha v / (2 Delta (v + Delta)), v = rho - q (linear channel, any prior);
//   envelope: dPhi/dalpha = Psi_out(q) along a solution.
// Small alpha (gaussian prior, sign): qhat = 2 alpha / pi at q = 0, so q ~ 2 alpha / pi.
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#include "glm_internal.hpp"
#include "saddle/error.hpp"
#include "saddle/model.hpp"
#include "saddle/special.hpp"

namespace saddle {
namespace {

constexpr int kAlpha = 0, kDelta = 1, kRho = 2;
constexpr int kPrior = 0, kChannel = 1;
// The "informed" seed starts this far (relative) below q = rho.
constexpr double kInformedGap = 1e-3;
constexpr double kDefaultRho = 0.1;
// Relative margin below q = rho of the box of priors without a perfect-recovery state (domain()).
constexpr double kSpuriousMargin = 1e-14;

class GlmModel final : public FixedPointModel {
 public:
  std::string id() const override { return "glm"; }
  std::string title() const override {
    return "Bayes-optimal teacher-student generalised linear model (replica formula)";
  }
  std::vector<Reference> references() const override {
    return {
        {"J. Barbier, F. Krzakala, N. Macris, L. Miolane, L. Zdeborova, PNAS 116, 5451 (2019)",
         "replica formula (free entropy, mutual information, MSE), alpha_IT ~ 1.249 and "
         "alpha_alg ~ 1.493 for the rademacher prior with the sign channel"},
        {"G. Gyorgyi, Phys. Rev. A 41, 7097 (1990)",
         "first-order transition to perfect generalisation of the Ising perceptron, alpha ~ "
         "1.245"},
        {"M. Opper and D. Haussler, Phys. Rev. Lett. 66, 2677 (1991)",
         "Bayes error 0.442/alpha of the spherical perceptron"},
        {"A. Engel and C. Van den Broeck, Statistical Mechanics of Learning (CUP 2001), ch. 2-3",
         "Gibbs learning 0.625/alpha, Bayes 0.442/alpha at large alpha"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {{"alpha", 1.0, 0.0, kInf, false, false, "samples per dimension m / n"},
            {"Delta", 0.0, 0.0, kInf, false, false,
             "channel noise variance (sign: probit noise inside the sign; linear: additive)"},
            {"rho", kDefaultRho, 0.0, 1.0, true, false,
             "density of nonzero components (gauss_bernoulli prior only)"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"prior",
             {"gaussian", "rademacher", "gauss_bernoulli"},
             "gaussian",
             "distribution P0 of the teacher's components"},
            {"channel", {"sign", "linear", "relu"}, "sign", "output channel P_out(y | z)"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"q", 0.0, 1.0,
             "overlap E[X0 <x>] between teacher and posterior mean (0 <= q <= rho = E X0^2)"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"qhat", "conjugate field alpha E g_out^2 (+inf at perfect recovery)"},
            {"free_entropy", "Phi_RS per variable"},
            {"mutual_information", "I(X0; Y) per variable, alpha Psi_out(rho) - Phi_RS"},
            {"mse", "Bayes-optimal mean squared error rho - q"},
            {"eg_bayes", "generalisation error of the Bayes prediction (sign: 0-1; else squared)"},
            {"eg_gibbs", "generalisation error of a posterior sample (sign: 0-1; else squared)"},
            {"phi_gap",
             "Phi_RS minus the free entropy of perfect recovery (-H(X0)); +inf where that "
             "state does not exist. Its sign change along alpha is alpha_IT."}};
  }
  std::vector<std::string> branch_notes() const override {
    return {"uninformed: q = 0",
            "informed: q = rho (1 - 1e-3) (not for the gaussian prior: one fixed point)"};
  }

  void validate(const Point& p) const override {
    // rho is read by the gauss_bernoulli prior only; a value given with another prior would be
    // silently ignored (the default cannot be told apart from an explicit 0.1, which is harmless).
    if (p.options[kPrior] != "gauss_bernoulli" && p[kRho] != kDefaultRho)
      throw InputError("param.unused", "/params/rho",
                       "rho applies to prior gauss_bernoulli only (prior is " + p.options[kPrior] +
                           "); remove it or set prior=gauss_bernoulli");
    const auto channel = glm::make_channel(p.options[kChannel]);
    if (p[kDelta] == 0.0 && !channel->allows_zero_noise())
      throw InputError("param.out_of_range", "/params/Delta",
                       "Delta = 0 is not allowed with channel " + p.options[kChannel] +
                           " (a noiseless continuous output has infinite free entropy); expected "
                           "Delta > 0");
  }

  std::vector<BranchSeed> branches(const Point& p) const override {
    const double rho = prior(p)->second_moment(p[kRho]);
    Eigen::VectorXd zero(1), informed(1);
    zero << 0.0;
    informed << rho * (1.0 - kInformedGap);
    // A gaussian prior has a single fixed point (log-concave prior and channels), so no informed
    // seed: from q = rho (1 - 1e-3) extrapolating solvers were seen to stall against the box.
    if (p.options[kPrior] == "gaussian") return {{"uninformed", zero}};
    return {{"uninformed", zero}, {"informed", informed}};
  }

  // Where perfect recovery is no solution, the box stops just short of q = rho: there F(q) = rho
  // exactly (qhat = inf), a spurious fixed point that extrapolating solvers were seen to land on
  // from the informed seed; a hair below it F(q) < q and the iterate is pushed back down.
  Domain domain(const Point& p) const override {
    const double rho = prior(p)->second_moment(p[kRho]);
    Eigen::VectorXd lo(1), hi(1);
    lo << 0.0;
    hi << (has_perfect_state(p) ? rho : rho * (1.0 - kSpuriousMargin));
    return {lo, hi};
  }

  // Outside [0, rho] (boundary tracers evaluate there) q is clamped: F is continuous and constant
  // beyond the box, so every fixed point still lies in it.
  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override {
    const auto pr = prior(p);
    const double rho = pr->second_moment(p[kRho]);
    const double q = std::min(std::max(x[0], 0.0), rho);
    const double qhat = conjugate(p[kAlpha], channel(p)->values(q, rho, p[kDelta]).g2);
    fx.resize(1);
    fx[0] = pr->values(qhat, p[kRho]).q;
  }

  // q = rho is a fixed point of F for every prior (qhat = inf returns q = rho), but a stationary
  // point of Phi_RS only for a discrete prior with noiseless labels; elsewhere Phi -> -inf there.
  std::optional<std::string> inadmissible(const Eigen::VectorXd& x, const Point& p) const override {
    if (x[0] < prior(p)->second_moment(p[kRho]) || has_perfect_state(p)) return std::nullopt;
    Eigen::VectorXd fx;
    map(x, p, fx);
    if (std::fabs(fx[0] - x[0]) > 1e-9) return std::nullopt;  // not a fixed point at all
    return "q = rho (qhat = inf) is a spurious fixed point: perfect recovery is a solution only "
           "for a discrete prior with noiseless labels";
  }

  Objective objective() const override { return Objective::kMaximiseFreeEntropy; }

  std::optional<double> free_energy(const Eigen::VectorXd& x, const Point& p) const override {
    return evaluate(x, p).phi;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override {
    const Evaluation e = evaluate(x, p);
    const auto ch = channel(p);
    const double rho = prior(p)->second_moment(p[kRho]);
    const double alpha = p[kAlpha], Delta = p[kDelta];
    const double q = std::min(std::max(x[0], 0.0), rho);
    const double psi_rho = ch->values(rho, rho, Delta).psi;
    const glm::GeneralisationErrors eg = ch->generalisation(q, rho, Delta);
    const double gap = has_perfect_state(p) ? e.phi + *prior(p)->discrete_entropy(p[kRho]) : kInf;
    Eigen::VectorXd out(7);
    out << e.qhat, e.phi, alpha * psi_rho - e.phi, rho - q, eg.bayes, eg.gibbs, gap;
    return out;
  }

 private:
  struct Evaluation {
    double qhat = 0.0;
    double phi = 0.0;
  };
  // Phi_RS at (q_prior(qhat), qhat), qhat = alpha E g_out^2(q): see the top of the file.
  Evaluation evaluate(const Eigen::VectorXd& x, const Point& p) const {
    const auto pr = prior(p);
    const auto ch = channel(p);
    const double rho = pr->second_moment(p[kRho]);
    const double q = std::min(std::max(x[0], 0.0), rho);
    const double alpha = p[kAlpha], Delta = p[kDelta];
    const double qhat = conjugate(alpha, ch->values(q, rho, Delta).g2);
    const glm::PriorValues pv = pr->values(qhat, p[kRho]);
    return {qhat, pv.phi0 + alpha * ch->values(pv.q, rho, Delta).psi};
  }
  // qhat = alpha E g_out^2, with 0 * inf = 0: no data, no field (alpha = 0 at q = rho).
  static double conjugate(double alpha, double g2) { return alpha == 0.0 ? 0.0 : alpha * g2; }
  static bool has_perfect_state(const Point& p) {
    return prior(p)->discrete_entropy(p[kRho]).has_value() && channel(p)->noiseless(p[kDelta]);
  }
  static std::unique_ptr<glm::Prior> prior(const Point& p) {
    return glm::make_prior(p.options[kPrior]);
  }
  static std::unique_ptr<glm::Channel> channel(const Point& p) {
    return glm::make_channel(p.options[kChannel]);
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_glm_model() {
  return std::make_unique<GlmModel>();
}

}  // namespace saddle
