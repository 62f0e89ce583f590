// Sample covariance matrices: Marchenko-Pastur law and its generalisation.
//
//   S = T^{1/2} X X^T T^{1/2} / n,  X p x n with iid N(0, 1) entries,  gamma = p / n,
//   T the population covariance with spectrum H = sum_i w_i delta(t_i) (sigma2 * identity when
//   no population is given). The Stieltjes transform m(z) of the p x p spectrum solves
//     m = integral dH(t) / (t (1 - gamma - gamma z m) - z)
//   (Silverstein and Bai 1995, eq. (1.4) with m = m_F; Marchenko and Pastur 1967).
//   For T = sigma2 I (Marchenko-Pastur), with a_pm = sigma2 (1 -+ sqrt gamma)^2:
//     m = (sigma2 (1 - gamma) - z + sqrt(z - a_-) sqrt(z - a_+)) / (2 gamma sigma2 z),
//     rho(x) = sqrt((a_+ - x)(x - a_-)) / (2 pi gamma sigma2 x) on [a_-, a_+],
//   and an atom at 0 of mass 1 - 1/gamma when gamma > 1. In general the atom at 0 has mass
//   max(1 - 1/gamma, H({0})) (rank of S is min(n, rank T)).
//
// Known limits used by tests/rmt/wishart_test.cpp (data/reference/wishart.json): the closed-form
// density and edges (1 +- sqrt gamma)^2, the atom 1 - 1/gamma, mass 1; the generalised equation
// against sampled eigenvalues (p = 2000); one population atom t reduces to MP with sigma2 = t.
#include <algorithm>
#include <memory>

#include "rmt_model.hpp"
#include "saddle/error.hpp"

namespace saddle::rmt {
namespace {

class WishartEquation final : public StieltjesEquation {
 public:
  WishartEquation(double gamma, DiscreteMeasure pop, bool mp)
      : gamma_(gamma), pop_(std::move(pop)), mp_(mp) {}
  void map(const CVector& u, cplx z, CVector& fu) const override {
    fu.resize(1);
    const cplx a = 1.0 - gamma_ - gamma_ * z * u[0];
    cplx f = 0.0;
    for (std::size_t i = 0; i < pop_.atoms.size(); ++i)
      f += pop_.weights[i] / (pop_.atoms[i] * a - z);
    fu[0] = f;
  }
  bool jacobian(const CVector& u, cplx z, Eigen::MatrixXcd& j) const override {
    const cplx a = 1.0 - gamma_ - gamma_ * z * u[0];
    cplx d = 0.0;
    for (std::size_t i = 0; i < pop_.atoms.size(); ++i) {
      const cplx den = pop_.atoms[i] * a - z;
      d += pop_.weights[i] * pop_.atoms[i] * gamma_ * z / (den * den);
    }
    j.resize(1, 1);
    j(0, 0) = d;
    return true;
  }
  CVector seed(cplx z) const override { return CVector::Constant(1, 1.0 / (pop_.mean() - z)); }
  std::optional<cplx> closed_form(cplx z) const override {
    if (!mp_) return std::nullopt;
    const double s2 = pop_.atoms[0];
    const double am = s2 * std::pow(1 - std::sqrt(gamma_), 2),
                 ap = s2 * std::pow(1 + std::sqrt(gamma_), 2);
    return (s2 * (1 - gamma_) - z + sqrt_cut(z, am, ap)) / (2 * gamma_ * s2 * z);
  }
  std::pair<double, double> support_bounds() const override {
    double tmin = *std::min_element(pop_.atoms.begin(), pop_.atoms.end());
    double tmax = *std::max_element(pop_.atoms.begin(), pop_.atoms.end());
    // S <= t_max * lambda_max(X X^T / n); the lower bound t_min (1 - sqrt gamma)^2 holds for
    // gamma < 1 (0 otherwise, where the atom sits).
    const double lo = gamma_ < 1 ? std::max(0.0, tmin) * std::pow(1 - std::sqrt(gamma_), 2) : 0.0;
    return {lo, tmax * std::pow(1 + std::sqrt(gamma_), 2)};
  }
  std::vector<std::pair<double, double>> atom_candidates() const override {
    double h0 = 0.0;
    for (std::size_t i = 0; i < pop_.atoms.size(); ++i)
      if (pop_.atoms[i] == 0.0) h0 += pop_.weights[i];
    return {{0.0, std::max(std::max(0.0, 1.0 - 1.0 / gamma_), h0)}};
  }

 private:
  double gamma_;
  DiscreteMeasure pop_;
  bool mp_;
};

class WishartModel final : public RmtModel {
 public:
  std::string id() const override { return "wishart"; }
  std::string title() const override {
    return "Sample covariance spectrum: Marchenko-Pastur and Silverstein-Bai (any population)";
  }
  std::vector<Reference> references() const override {
    return {{"V. A. Marchenko and L. A. Pastur, Math. USSR-Sbornik 1, 457 (1967)",
             "Marchenko-Pastur law, edges sigma2 (1 +- sqrt gamma)^2, atom 1 - 1/gamma"},
            {"J. W. Silverstein and Z. D. Bai, J. Multivariate Anal. 54, 175 (1995)",
             "generalised equation for an arbitrary population spectrum, eq. (1.4)"}};
  }
  std::vector<ParameterInfo> model_parameters() const override {
    return {{"gamma", 0.5, 0.0, kInf, true, false, "aspect ratio p / n (any gamma > 0)"},
            {"sigma2", 1.0, 0.0, kInf, true, false,
             "population variance scale (multiplies the population spectrum when one is given)"}};
  }
  std::vector<std::string> spectral_inputs() const override { return {"population"}; }
  std::unique_ptr<StieltjesEquation> equation(const Point& p,
                                              const SpectralInputs& in) const override {
    DiscreteMeasure pop;
    bool mp = true;
    if (in.population) {
      pop = *in.population;
      for (double t : pop.atoms)
        if (t < 0)
          throw InputError("spectrum.bad_measure", "/task/population",
                           "population value " + format_number(t) +
                               " is negative; expected covariance eigenvalues >= 0");
      mp = pop.atoms.size() == 1 && pop.atoms[0] > 0;
    } else {
      pop.atoms = {1.0};
      pop.weights = {1.0};
    }
    for (double& t : pop.atoms) t *= p.params[1];
    if (*std::max_element(pop.atoms.begin(), pop.atoms.end()) <= 0.0)
      throw InputError("spectrum.bad_measure", "/task/population",
                       "every population value is 0; expected at least one value > 0");
    return std::make_unique<WishartEquation>(p.params[0], pop, mp);
  }
  bool can_sample() const override { return true; }
  Eigen::VectorXd sample(const Point& p, const SpectralInputs& in, int n,
                         std::mt19937_64& rng) const override {
    const double gamma = p.params[0];
    const int cols = std::max(1, static_cast<int>(std::lround(n / gamma)));
    DiscreteMeasure pop;
    if (in.population)
      pop = *in.population;
    else
      pop = DiscreteMeasure{{1.0}, {1.0}};
    const Eigen::VectorXd t = measure_diagonal(pop, n) * p.params[1];
    Eigen::MatrixXd x = gaussian_matrix(n, cols, rng);
    x = t.cwiseSqrt().asDiagonal() * x;
    Eigen::MatrixXd s = Eigen::MatrixXd::Zero(n, n);
    s.selfadjointView<Eigen::Lower>().rankUpdate(x, 1.0 / cols);
    s.triangularView<Eigen::StrictlyUpper>() = s.transpose();
    return symmetric_eigenvalues(s);
  }
};

}  // namespace

std::shared_ptr<const StieltjesEquation> make_mp_equation(double gamma, double sigma2) {
  return std::make_shared<WishartEquation>(gamma, DiscreteMeasure{{sigma2}, {1.0}}, true);
}

}  // namespace saddle::rmt

namespace saddle {
std::unique_ptr<FixedPointModel> make_wishart_model() {
  return std::make_unique<rmt::WishartModel>();
}
}  // namespace saddle
