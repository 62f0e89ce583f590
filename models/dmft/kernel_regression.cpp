// Kernel ridge regression learning curves from the spectrum (Bordelon, Canatar, Pehlevan, ICML
// 2020, eqs. for E_g with the self-consistent kappa; Canatar, Bordelon, Pehlevan, Nat. Commun. 12,
// 2914 (2021), eq. (4): kappa, gamma and the mode errors with label noise).
//
//   kappa = lambda + kappa sum_k eta_k / (p eta_k + kappa)          (the map F; dF/dkappa = gamma)
//   gamma = sum_k p eta_k^2 / (p eta_k + kappa)^2
//   E_k   = kappa^2 v_k^2 / ((p eta_k + kappa)^2 (1 - gamma)),  E_g = sum_k E_k + sigma^2
//   gamma/(1-gamma)
//
// Spectra: "power_law" eta_k ~ k^-decay and v_k^2 ~ k^-target_decay, each normalised to sum 1
// over k = 1..modes; "white" eta_k = v_k^2 = 1/modes (isotropic linear ridge regression).
//
// Known limits used by tests/dmft/kernel_regression_test.cpp
// (data/reference/kernel_regression.json):
//   white spectrum, lambda -> 0, a = p/M (Hastie, Montanari, Rosset, Tibshirani 2019, Thm. 1 with
//   isotropic features and unit signal): E_g = (1 - a) + sigma^2 a/(1 - a) for a < 1 (kappa = 1 -
//   a, gamma = a) and sigma^2/(a - 1) for a > 1 (kappa = 0, gamma = 1/a); p = 0 gives E_g = 1; and
//   simulated ridge regression on Gaussian features realising the spectrum (apps/sim/).
// Limits of this implementation: the spectrum is finite (modes <= 10^7) and given by the two
// families above; spectra from a file or from an nn_kernel are not implemented yet. At lambda = 0
// and p = modes (the interpolation threshold) E_g diverges; validate() rejects that point.
#include "saddle/kernel_regression.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/model.hpp"

namespace saddle {

namespace krr {

Spectrum power_law_spectrum(int modes, double decay, double target_decay) {
  Spectrum s;
  s.eta.resize(modes);
  s.power.resize(modes);
  for (int k = 0; k < modes; ++k) {
    s.eta[k] = std::pow(k + 1.0, -decay);
    s.power[k] = std::pow(k + 1.0, -target_decay);
  }
  s.eta /= s.eta.sum();
  s.power /= s.power.sum();
  return s;
}

Spectrum white_spectrum(int modes) {
  Spectrum s;
  s.eta = Eigen::VectorXd::Constant(modes, 1.0 / modes);
  s.power = s.eta;
  return s;
}

double kappa_map(const Spectrum& s, double p, double lambda, double kappa) {
  if (kappa <= 0.0) return lambda;  // kappa * sum eta/(p eta + kappa) -> 0 (p > 0)
  return lambda + kappa * (s.eta.array() / (p * s.eta.array() + kappa)).sum();
}

Prediction predict(const Spectrum& s, double p, double lambda, double noise, double kappa) {
  Prediction r;
  r.kappa = kappa;
  const Eigen::ArrayXd denom = p * s.eta.array() + kappa;
  r.gamma = (p * s.eta.array().square() / denom.square()).sum();
  const double inv = 1.0 / (1.0 - r.gamma);
  r.mode_errors = (kappa * kappa * s.power.array() / denom.square() * inv).matrix();
  r.bias = r.mode_errors.sum();
  r.variance = noise * r.gamma * inv;
  r.error = r.bias + r.variance;
  return r;
}

double solve_kappa(const Spectrum& s, double p, double lambda, double tol) {
  // G(kappa) = F(kappa) - kappa is concave with G(0) = lambda >= 0 and G'(kappa) = gamma - 1:
  // Newton from above stays above the largest root and converges monotonically.
  double kappa = lambda + s.eta.sum();
  for (int it = 0; it < 500; ++it) {
    const double g = kappa_map(s, p, lambda, kappa) - kappa;
    const double gamma = (p * s.eta.array().square() / (p * s.eta.array() + kappa).square()).sum();
    double next = kappa - g / (gamma - 1.0);
    if (!(next >= 0.0) || next > kappa) next = 0.5 * kappa;  // safeguard (rounding near kappa = 0)
    if (std::fabs(next - kappa) <= tol * std::max(1.0, kappa)) return next;
    kappa = next;
  }
  return kappa;
}

}  // namespace krr

namespace {

constexpr int kP = 0, kLambda = 1, kNoise = 2, kModes = 3, kDecay = 4, kTargetDecay = 5;
constexpr int kShownModes = 4;  // mode_error_1..4 as columns, the rest summed in tail_error

krr::Spectrum spectrum_at(const Point& pt) {
  const int modes = static_cast<int>(pt[kModes]);
  if (pt.options[0] == "white") return krr::white_spectrum(modes);
  return krr::power_law_spectrum(modes, pt[kDecay], pt[kTargetDecay]);
}

class KernelRegressionModel final : public FixedPointModel {
 public:
  std::string id() const override { return "kernel_regression"; }
  std::string title() const override {
    return "Kernel ridge regression learning curves from the kernel spectrum (self-consistent "
           "kappa)";
  }
  std::vector<Reference> references() const override {
    return {{"B. Bordelon, A. Canatar, C. Pehlevan, ICML 2020 (arXiv:2002.02561)",
             "spectral learning curve E_g(p) with the self-consistent kappa"},
            {"A. Canatar, B. Bordelon, C. Pehlevan, Nat. Commun. 12, 2914 (2021)",
             "eq. (4): kappa, gamma, mode errors with ridge and label noise"},
            {"T. Hastie, A. Montanari, S. Rosset, R. Tibshirani, arXiv:1903.08560 (2019)",
             "ridgeless isotropic limit (1 - a) + sigma^2 a/(1 - a), sigma^2/(a - 1)"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {
        {"p", 100.0, 0.0, kInf, false, false, "number of training samples"},
        {"lambda", 0.0, 0.0, kInf, false, false, "ridge (added to the unnormalised Gram matrix)"},
        {"noise", 0.0, 0.0, kInf, false, false, "label noise variance sigma^2"},
        {"modes", 1000.0, 1.0, 1e7, false, false, "number of kernel eigenmodes M (an integer)"},
        {"decay", 2.0, 0.0, kInf, true, false, "power_law: kernel eigenvalues eta_k ~ k^-decay"},
        {"target_decay", 2.0, -kInf, kInf, false, false,
         "power_law: target power per mode v_k^2 ~ k^-target_decay"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"spectrum",
             {"power_law", "white"},
             "power_law",
             "kernel spectrum and target: power laws, or white (eta_k = v_k^2 = 1/M)"}};
  }
  std::vector<OrderParameterInfo> order_parameters() const override {
    return {{"kappa", 0.0, kInf,
             "effective ridge: kappa = lambda + kappa sum_k eta_k/(p eta_k + kappa)"}};
  }
  std::vector<ObservableInfo> observables() const override {
    return {{"E_g", "generalisation error E (f - f*)^2 (label noise of the test point excluded)"},
            {"gamma", "sum_k p eta_k^2/(p eta_k + kappa)^2 (< 1)"},
            {"bias", "signal part sum_k E_k"},
            {"variance", "noise part sigma^2 gamma/(1 - gamma)"},
            {"mode_error_1", "E_1, error in the top eigenmode"},
            {"mode_error_2", "E_2"},
            {"mode_error_3", "E_3"},
            {"mode_error_4", "E_4"},
            {"tail_error", "sum_{k > 4} E_k"}};
  }
  std::vector<std::string> branch_notes() const override {
    return {
        "default: kappa = lambda + sum_k eta_k (upper bound; iterates descend to the largest "
        "root)"};
  }

  void validate(const Point& pt) const override {
    const double m = pt[kModes];
    if (m != std::floor(m))
      throw InputError("param.out_of_range", "/params/modes",
                       "modes = " + format_number(m) +
                           " is not an integer; expected a whole number of eigenmodes");
    if (pt[kLambda] == 0.0 && pt[kP] == m)
      throw InputError(
          "param.out_of_range", "/params/p",
          "p = modes = " + format_number(m) +
              " with lambda = 0 is the interpolation threshold, where E_g diverges; expected "
              "lambda > 0 or p != modes");
  }

  std::vector<BranchSeed> branches(const Point& pt) const override {
    const krr::Spectrum s = spectrum_at(pt);
    return {{"default", Eigen::VectorXd::Constant(1, pt[kLambda] + s.eta.sum())}};
  }
  std::vector<std::string> branch_names(const Point&) const override { return {"default"}; }

  void map(const Eigen::VectorXd& x, const Point& pt, Eigen::VectorXd& fx) const override {
    fx.resize(1);
    fx[0] = krr::kappa_map(spectrum_at(pt), pt[kP], pt[kLambda], std::max(x[0], 0.0));
  }

  bool jacobian(const Eigen::VectorXd& x, const Point& pt, Eigen::MatrixXd& jac) const override {
    const krr::Spectrum s = spectrum_at(pt);
    const double kappa = std::max(x[0], 0.0), p = pt[kP];
    jac.resize(1, 1);
    jac(0, 0) = (p * s.eta.array().square() / (p * s.eta.array() + kappa).square()).sum();
    return true;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& pt) const override {
    const krr::Spectrum s = spectrum_at(pt);
    const krr::Prediction r = krr::predict(s, pt[kP], pt[kLambda], pt[kNoise], std::max(x[0], 0.0));
    Eigen::VectorXd out = Eigen::VectorXd::Zero(9);
    out[0] = r.error;
    out[1] = r.gamma;
    out[2] = r.bias;
    out[3] = r.variance;
    const int shown = std::min<int>(kShownModes, static_cast<int>(s.eta.size()));
    for (int k = 0; k < shown; ++k) out[4 + k] = r.mode_errors[k];
    out[8] = r.bias - r.mode_errors.head(shown).sum();
    return out;
  }

  std::optional<std::string> inadmissible(const Eigen::VectorXd& x,
                                          const Point& pt) const override {
    const Eigen::VectorXd o = observable_values(x, pt);
    if (!(o[1] < 1.0))
      return "gamma = " + format_number(o[1]) +
             " >= 1: not the physical root (E_g would be negative or infinite)";
    return std::nullopt;
  }
};

}  // namespace

std::unique_ptr<FixedPointModel> make_kernel_regression_model() {
  return std::make_unique<KernelRegressionModel>();
}

}  // namespace saddle
