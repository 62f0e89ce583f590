// Free additive and multiplicative convolution by subordination.
//
// Cauchy transform G(z) = integral rho(t) / (z - t) dt = -g(z), F = 1 / G, h(w) = F(w) - w.
// free_sum (mu_A boxplus mu_B, the spectrum of A + O B O^T with O Haar): the subordination
// functions satisfy F(z) = F_A(w_A) = F_B(w_B), w_A + w_B = z + F(z), hence the fixed point
//   w_B = z + h_A(z + h_B(w_B)),   g(z) = g_B(w_B)
// Known limit of this form: where g(x) = 0 inside a gap (x = 0 for a symmetric spectrum with a
// gap there) w_A + w_B = z - 1/g has a pole; grid points next to it may not converge (they are
// marked not_converged). A pole-free two-unknown form R = (g_A(w_A) - g_B(w_B),
// 1 - (w_A + w_B - z) g_B(w_B)) was tried and rejected: it has spurious roots with Im g > 0.
// (Biane 1998; Belinschi and Bercovici 2007, Thm. 4.1: the map is analytic self-map of the upper
// half plane whose Denjoy-Wolff point is w_B). Atoms: a_i + b_j carries w_i + v_j - 1 when
// positive (Bercovici and Voiculescu 1998).
//
// free_product (mu_A boxtimes mu_B for measures on [0, inf), the spectrum of A^{1/2} O B O^T
// A^{1/2}): psi(w) = integral w t / (1 - w t) dmu = G(1/w) / w - 1, eta = psi / (1 + psi),
// h(w) = eta(w) / w; with zeta = 1 / z,
//   w_2 = zeta h_A(zeta h_B(w_2)),   eta_AB(zeta) = eta_B(w_2),
//   G(z) = zeta (1 + psi_AB(zeta)),  psi_AB = eta_AB / (1 - eta_AB)
// (Belinschi and Bercovici 2007, Thm. 4.2). The atom at 0 has mass max(A({0}), B({0})).
//
// Components are discrete measures (atoms with weights, or a file) or models with a closed form
// (wigner, wishart without population). Known results used by tests/rmt/free_test.cpp: the free
// sum of semicircles of variances a and b is the semicircle of variance a + b; the free product
// of a population spectrum with Marchenko-Pastur(gamma) is the generalised Marchenko-Pastur law
// of the wishart model; free sums and products against sampled A + O B O^T.
#include <algorithm>
#include <memory>

#include "rmt_model.hpp"
#include "saddle/error.hpp"

namespace saddle::rmt {
namespace {

const SpectralComponent& component(const SpectralInputs& in, std::size_t k) {
  return in.components[k];
}

SpectralInputs with_defaults(const SpectralInputs& in, bool product) {
  if (in.components.size() == 2) return in;
  SpectralInputs out = in;
  out.components.clear();
  for (const char* n : {"a", "b"}) {
    SpectralComponent c;
    c.name = n;
    c.equation = product ? make_mp_equation(0.5, 1.0) : make_wigner_equation(1.0);
    c.description = product ? "wishart(gamma=0.5, sigma2=1)" : "wigner(sigma=1)";
    out.components.push_back(c);
  }
  return out;
}

class FreeSumEquation final : public StieltjesEquation {
 public:
  explicit FreeSumEquation(SpectralInputs in) : in_(std::move(in)) {}
  static cplx h(const SpectralComponent& c, cplx w) { return -1.0 / c.stieltjes(w) - w; }
  void map(const CVector& u, cplx z, CVector& fu) const override {
    fu.resize(1);
    fu[0] = z + h(component(in_, 0), z + h(component(in_, 1), u[0]));
  }
  cplx stieltjes(const CVector& u, cplx) const override {
    return component(in_, 1).stieltjes(u[0]);
  }
  CVector seed(cplx z) const override { return CVector::Constant(1, z - component(in_, 0).mean()); }
  std::pair<double, double> support_bounds() const override {
    const auto a = component(in_, 0).support_bounds(), b = component(in_, 1).support_bounds();
    return {a.first + b.first, a.second + b.second};
  }
  std::vector<std::pair<double, double>> atom_candidates() const override {
    std::vector<std::pair<double, double>> out;
    const auto& a = component(in_, 0).atoms;
    const auto& b = component(in_, 1).atoms;
    if (!a || !b) return out;
    for (std::size_t i = 0; i < a->atoms.size(); ++i)
      for (std::size_t j = 0; j < b->atoms.size(); ++j)
        if (a->weights[i] + b->weights[j] > 1.0)
          out.push_back({a->atoms[i] + b->atoms[j], a->weights[i] + b->weights[j] - 1.0});
    return out;
  }

 private:
  SpectralInputs in_;
};

class FreeProductEquation final : public StieltjesEquation {
 public:
  explicit FreeProductEquation(SpectralInputs in) : in_(std::move(in)) {}
  static cplx psi(const SpectralComponent& c, cplx w) { return -c.stieltjes(1.0 / w) / w - 1.0; }
  static cplx h(const SpectralComponent& c, cplx w) {
    const cplx p = psi(c, w);
    return p / (1.0 + p) / w;
  }
  void map(const CVector& u, cplx z, CVector& fu) const override {
    const cplx zeta = 1.0 / z;
    fu.resize(1);
    fu[0] = zeta * h(component(in_, 0), zeta * h(component(in_, 1), u[0]));
  }
  cplx stieltjes(const CVector& u, cplx z) const override {
    const cplx p = psi(component(in_, 1), u[0]);
    const cplx eta = p / (1.0 + p);
    return -(1.0 / z) * (1.0 + eta / (1.0 - eta));
  }
  CVector seed(cplx z) const override { return CVector::Constant(1, component(in_, 0).mean() / z); }
  std::pair<double, double> support_bounds() const override {
    const auto a = component(in_, 0).support_bounds(), b = component(in_, 1).support_bounds();
    return {0.0, a.second * b.second};
  }
  std::vector<std::pair<double, double>> atom_candidates() const override {
    double m = 0.0;
    for (const auto& c : in_.components)
      if (c.atoms)
        for (std::size_t i = 0; i < c.atoms->atoms.size(); ++i)
          if (c.atoms->atoms[i] == 0.0) m = std::max(m, c.atoms->weights[i]);
    // A wishart component with gamma > 1 has its own atom at 0: measure it too.
    return {{0.0, m}};
  }

 private:
  SpectralInputs in_;
};

Eigen::VectorXd component_sample(const SpectralComponent& c, int n, std::mt19937_64& rng) {
  if (c.atoms) return measure_diagonal(*c.atoms, n);
  if (c.sampler) return c.sampler(n, rng);
  throw InputError("spectrum.no_sampler", "/task/" + c.name,
                   "component " + c.description + " cannot be sampled");
}

class FreeModel final : public RmtModel {
 public:
  explicit FreeModel(bool product) : product_(product) {}
  std::string id() const override { return product_ ? "free_product" : "free_sum"; }
  std::string title() const override {
    return product_ ? "Free multiplicative convolution of two spectra (subordination)"
                    : "Free additive convolution of two spectra (subordination)";
  }
  std::vector<Reference> references() const override {
    return {{"P. Biane, Math. Z. 227, 143 (1998)", "subordination for free convolutions"},
            {"S. T. Belinschi and H. Bercovici, Math. Z. 248, 665 (2007)",
             "fixed-point form of the subordination equations, Thms. 4.1 and 4.2"},
            {"H. Bercovici and D. Voiculescu, Indiana Univ. Math. J. 42, 733 (1993)",
             "free convolutions of unbounded measures; atoms of free sums"}};
  }
  std::vector<ParameterInfo> model_parameters() const override { return {}; }
  std::vector<std::string> unknown_names() const override { return {"omega"}; }
  std::vector<std::string> spectral_inputs() const override { return {"a", "b"}; }
  std::unique_ptr<StieltjesEquation> equation(const Point&,
                                              const SpectralInputs& in) const override {
    const SpectralInputs full = with_defaults(in, product_);
    if (product_) {
      for (const auto& c : full.components) {
        if (c.support_bounds().first < 0.0)
          throw InputError("spectrum.bad_component", "/task/" + c.name,
                           "component " + c.description +
                               " has support below 0; free_product "
                               "expects spectra on [0, inf)");
        if (!(c.mean() > 0.0))
          throw InputError("spectrum.bad_component", "/task/" + c.name,
                           "component " + c.description + " has mean 0; expected a mean > 0");
      }
      return std::make_unique<FreeProductEquation>(full);
    }
    return std::make_unique<FreeSumEquation>(full);
  }
  bool can_sample() const override { return true; }
  Eigen::VectorXd sample(const Point&, const SpectralInputs& in, int n,
                         std::mt19937_64& rng) const override {
    const SpectralInputs full = with_defaults(in, product_);
    const Eigen::VectorXd a = component_sample(full.components[0], n, rng);
    const Eigen::VectorXd b = component_sample(full.components[1], n, rng);
    const Eigen::MatrixXd o = haar_orthogonal(n, rng);
    Eigen::MatrixXd m = o * b.asDiagonal() * o.transpose();
    if (product_) {
      const Eigen::VectorXd sa = a.cwiseMax(0.0).cwiseSqrt();
      m = sa.asDiagonal() * m * sa.asDiagonal();
    } else {
      m.diagonal() += a;
    }
    return symmetric_eigenvalues(0.5 * (m + m.transpose()));
  }

 private:
  bool product_;
};

}  // namespace
}  // namespace saddle::rmt

namespace saddle {
std::unique_ptr<FixedPointModel> make_free_sum_model() {
  return std::make_unique<rmt::FreeModel>(false);
}
std::unique_ptr<FixedPointModel> make_free_product_model() {
  return std::make_unique<rmt::FreeModel>(true);
}
}  // namespace saddle
