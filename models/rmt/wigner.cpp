// Wigner semicircle law.
//
//   H = sigma (A + A^T) / sqrt(2 N),  A_ij ~ N(0, 1):  off-diagonal variance sigma^2 / N.
//   Stieltjes equation (g(z) = integral rho(t) / (t - z) dt):
//     g = 1 / (-z - sigma^2 g)                 (Wigner 1958; e.g. Tao, Topics in RMT, 2.4)
//   closed form g = (-z + sqrt(z - 2 sigma) sqrt(z + 2 sigma)) / (2 sigma^2),
//   density rho(x) = sqrt(4 sigma^2 - x^2) / (2 pi sigma^2), edges +-2 sigma, no atoms.
//
// Known limits used by tests/rmt/wigner_test.cpp (data/reference/wigner.json): the closed-form
// density away from the edges, edges +-2 sigma, total mass 1, and the free sum of semicircles
// of variances a and b is the semicircle of variance a + b (tests/rmt/free_test.cpp).
#include <memory>

#include "rmt_model.hpp"
#include "saddle/error.hpp"

namespace saddle::rmt {
namespace {

class WignerEquation final : public StieltjesEquation {
 public:
  explicit WignerEquation(double sigma) : s2_(sigma * sigma), sigma_(sigma) {}
  void map(const CVector& u, cplx z, CVector& fu) const override {
    fu.resize(1);
    fu[0] = 1.0 / (-z - s2_ * u[0]);
  }
  bool jacobian(const CVector& u, cplx z, Eigen::MatrixXcd& j) const override {
    const cplx f = 1.0 / (-z - s2_ * u[0]);
    j.resize(1, 1);
    j(0, 0) = s2_ * f * f;
    return true;
  }
  CVector seed(cplx z) const override { return CVector::Constant(1, -1.0 / z); }
  std::optional<cplx> closed_form(cplx z) const override {
    return (-z + sqrt_cut(z, -2 * sigma_, 2 * sigma_)) / (2 * s2_);
  }
  std::pair<double, double> support_bounds() const override { return {-2 * sigma_, 2 * sigma_}; }

 private:
  double s2_, sigma_;
};

class WignerModel final : public RmtModel {
 public:
  std::string id() const override { return "wigner"; }
  std::string title() const override { return "Wigner semicircle law (GOE)"; }
  std::vector<Reference> references() const override {
    return {{"E. P. Wigner, Ann. Math. 67, 325 (1958)", "semicircle law, g = 1/(-z - sigma^2 g)"}};
  }
  std::vector<ParameterInfo> model_parameters() const override {
    return {
        {"sigma", 1.0, 0.0, kInf, true, false, "off-diagonal standard deviation times sqrt(N)"}};
  }
  std::unique_ptr<StieltjesEquation> equation(const Point& p,
                                              const SpectralInputs&) const override {
    return std::make_unique<WignerEquation>(p.params[0]);
  }
  bool can_sample() const override { return true; }
  Eigen::VectorXd sample(const Point& p, const SpectralInputs&, int n,
                         std::mt19937_64& rng) const override {
    const Eigen::MatrixXd a = gaussian_matrix(n, n, rng);
    const Eigen::MatrixXd h = (a + a.transpose()) * (p.params[0] / std::sqrt(2.0 * n));
    return symmetric_eigenvalues(h);
  }
};

}  // namespace

std::shared_ptr<const StieltjesEquation> make_wigner_equation(double sigma) {
  return std::make_shared<WignerEquation>(sigma);
}

}  // namespace saddle::rmt

namespace saddle {
std::unique_ptr<FixedPointModel> make_wigner_model() {
  return std::make_unique<rmt::WignerModel>();
}
}  // namespace saddle
