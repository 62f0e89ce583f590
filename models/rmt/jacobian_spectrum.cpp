// Singular values of the input-output Jacobian of a deep random network at the
// signal-propagation fixed point (Pennington, Schoenholz and Ganguli 2017, "Resurrecting the
// sigmoid in deep learning through dynamical isometry", NeurIPS; sections 2-3).
//
//   h^l = W^l phi(h^{l-1}) + b^l,  W^l N x N Gaussian (variance sigma_w^2 / N) or sigma_w times a
//   Haar orthogonal matrix, b ~ N(0, sigma_b^2); J = prod_l D^l W^l with D^l = diag phi'(h^l).
//   Pre-activations have variance q* = sigma_w^2 E[phi(sqrt(q*) z)^2] + sigma_b^2 (eq. (1)).
//   The spectrum of J J^T follows from the S-transform (eq. (11)-(13)):
//     S_{JJ^T}(m) = S_{D^2}(m)^L S_{WW^T}(m)^L,
//     S_{WW^T} = 1 / sigma_w^2 (orthogonal), 1 / (sigma_w^2 (1 + m)) (Gaussian),
//     S_{D^2} = 1 (linear), (1 + m) / (m + p) when D^2 is Bernoulli(p) (relu: p = 1/2;
//     hard_tanh: p = P(|h| < 1) = erf(1 / sqrt(2 q*))).
//   With M(z) = z G(z) - 1 (moment generating function) the S-transform gives
//   z M S(M) = 1 + M; in terms of our g = -G (g = integral rho / (t - z)), m = -1 - z g:
//     g = -m S(m),   m = -1 - z g                       (the fixed-point map used here).
//   The mean squared singular value is chi^L with chi = sigma_w^2 E[phi'^2] = sigma_w^2 p.
//
// Known results used by tests/rmt/jacobian_test.cpp: a deep linear network with orthogonal
// weights has all squared singular values sigma_w^{2L} (dynamical isometry: an atom of mass 1);
// with Gaussian weights (sigma_w = 1) J J^T is a product of L Wishart matrices, the Fuss-Catalan
// law with upper edge (L+1)^{L+1} / L^L and the parametrisation x(phi) =
// sin^{L+1}((L+1) phi) / (sin phi sin^L(L phi)), rho = sin^2 phi sin^{L-1}(L phi) /
// (pi sin^L((L+1) phi)), 0 < phi < pi / (L+1) (Haagerup and Moller 2012; Neuschel 2014).
// Smooth tanh (D^2 with a continuous law) is not implemented.
#include <cmath>
#include <memory>

#include "rmt_model.hpp"
#include "saddle/error.hpp"

namespace saddle::rmt {
namespace {

constexpr int kL = 0, kSw = 1, kSb = 2;

enum class Act { kLinear, kRelu, kHardTanh };

struct Setup {
  int L = 1;
  double sw2 = 1.0, sb2 = 0.0;
  bool gaussian = true;
  Act act = Act::kLinear;
  double q = 0.0;  // q*
  double p = 1.0;  // P(D^2 = 1)
};

// E[min(x^2, 1)] for x ~ N(0, q).
double hard_tanh_second_moment(double q) {
  if (q <= 0) return 0.0;
  const double c = 1.0 / std::sqrt(q);
  const double phi = std::exp(-0.5 * c * c) / std::sqrt(2 * M_PI);
  return q * (std::erf(c / std::sqrt(2.0)) - 2 * c * phi) + std::erfc(c / std::sqrt(2.0));
}

Setup setup_of(const Point& pt) {
  Setup s;
  s.L = static_cast<int>(std::lround(pt.params[kL]));
  s.sw2 = pt.params[kSw] * pt.params[kSw];
  s.sb2 = pt.params[kSb] * pt.params[kSb];
  s.gaussian = pt.options[0] == "gaussian";
  s.act = pt.options[1] == "linear" ? Act::kLinear
          : pt.options[1] == "relu" ? Act::kRelu
                                    : Act::kHardTanh;
  if (s.act == Act::kRelu) {
    s.p = 0.5;
    s.q = s.sw2 < 2 ? s.sb2 / (1 - s.sw2 / 2) : kInf;
  } else if (s.act == Act::kLinear) {
    s.p = 1.0;
    s.q = s.sw2 < 1 ? s.sb2 / (1 - s.sw2) : kInf;
  } else {
    // q* by iteration of the length map (a contraction: E[min(x^2,1)] grows slower than q).
    double q = std::max(s.sb2, 1.0);
    for (int it = 0; it < 100000; ++it) {
      const double next = s.sw2 * hard_tanh_second_moment(q) + s.sb2;
      if (std::abs(next - q) <= 1e-15 * std::max(1.0, q)) {
        q = next;
        break;
      }
      q = next;
    }
    s.q = q;
    s.p = q > 0 ? std::erf(1.0 / std::sqrt(2 * q)) : 1.0;
  }
  return s;
}

class JacobianEquation final : public StieltjesEquation {
 public:
  explicit JacobianEquation(Setup s) : s_(s) {}
  cplx S(cplx m) const {
    const cplx sw = s_.gaussian ? 1.0 / (s_.sw2 * (1.0 + m)) : cplx(1.0 / s_.sw2);
    const cplx sd = s_.p >= 1.0 ? cplx(1.0) : (1.0 + m) / (m + s_.p);
    return std::pow(sd * sw, s_.L);
  }
  void map(const CVector& u, cplx z, CVector& fu) const override {
    const cplx m = -1.0 - z * u[0];
    fu.resize(1);
    fu[0] = -m * S(m);
  }
  CVector seed(cplx z) const override {
    return CVector::Constant(1, 1.0 / (std::pow(s_.sw2 * s_.p, s_.L) - z));
  }
  std::pair<double, double> support_bounds() const override {
    const double scale = std::pow(s_.sw2, s_.L);
    if (!s_.gaussian) return {0.0, scale};
    return {0.0, scale * std::pow(s_.L + 1.0, s_.L + 1) / std::pow(double(s_.L), s_.L)};
  }
  std::vector<std::pair<double, double>> atom_candidates() const override {
    std::vector<std::pair<double, double>> out = {{0.0, 1.0 - s_.p}};
    if (!s_.gaussian) {
      const double top = std::pow(s_.sw2, s_.L);
      out.push_back({top, s_.p >= 1.0 ? 1.0 : (s_.L == 1 ? s_.p : 0.0)});
    }
    return out;
  }

 private:
  Setup s_;
};

class JacobianModel final : public RmtModel {
 public:
  std::string id() const override { return "jacobian_spectrum"; }
  std::string title() const override {
    return "Squared singular values of a deep network's input-output Jacobian (S-transform)";
  }
  std::vector<Reference> references() const override {
    return {{"J. Pennington, S. S. Schoenholz, S. Ganguli, NeurIPS 30 (2017), arXiv:1711.04735",
             "S_{JJ^T} = S_{D^2}^L S_{WW^T}^L, eqs. (11)-(13); q* and chi, eq. (1)-(2)"},
            {"U. Haagerup and S. Moller (2012); T. Neuschel, arXiv:1311.0365 (2014)",
             "Fuss-Catalan density (deep linear Gaussian network), parametrised form"}};
  }
  std::vector<ParameterInfo> model_parameters() const override {
    return {{"L", 1.0, 1.0, 200.0, false, false, "depth (number of layers, an integer)"},
            {"sigma_w", 1.0, 0.0, kInf, true, false, "weight scale (variance sigma_w^2 / N)"},
            {"sigma_b", 0.0, 0.0, kInf, false, false, "bias standard deviation"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"weights", {"gaussian", "orthogonal"}, "gaussian", "weight ensemble"},
            {"activation", {"linear", "relu", "hard_tanh"}, "linear", "activation phi"}};
  }
  void validate(const Point& p) const override {
    if (p.params[kL] != std::floor(p.params[kL]))
      throw InputError(
          "param.out_of_range", "/params/L",
          "L = " + format_number(p.params[kL]) + " is not an integer; expected a depth 1, 2, ...");
  }
  std::unique_ptr<StieltjesEquation> equation(const Point& p,
                                              const SpectralInputs&) const override {
    return std::make_unique<JacobianEquation>(setup_of(p));
  }
  bool can_sample() const override { return true; }
  Eigen::VectorXd sample(const Point& pt, const SpectralInputs&, int n,
                         std::mt19937_64& rng) const override {
    const Setup s = setup_of(pt);
    std::normal_distribution<double> nd(0.0, 1.0);
    const double sd = std::isfinite(s.q) ? std::sqrt(s.q) : 1.0;
    Eigen::MatrixXd j = Eigen::MatrixXd::Identity(n, n);
    for (int l = 0; l < s.L; ++l) {
      Eigen::MatrixXd w = s.gaussian
                              ? Eigen::MatrixXd(gaussian_matrix(n, n, rng) / std::sqrt(double(n)))
                              : haar_orthogonal(n, rng);
      w *= std::sqrt(s.sw2);
      Eigen::VectorXd d(n);
      for (int i = 0; i < n; ++i) {
        const double h = sd * nd(rng);
        d[i] = s.act == Act::kLinear ? 1.0
               : s.act == Act::kRelu ? (h > 0 ? 1.0 : 0.0)
                                     : (std::abs(h) < 1 ? 1.0 : 0.0);
      }
      j = d.asDiagonal() * (w * j);
    }
    return symmetric_eigenvalues(j * j.transpose());
  }
};

}  // namespace
}  // namespace saddle::rmt

namespace saddle {
std::unique_ptr<FixedPointModel> make_jacobian_spectrum_model() {
  return std::make_unique<rmt::JacobianModel>();
}
}  // namespace saddle
