#include "rmt_model.hpp"

#include <algorithm>

#include "saddle/error.hpp"

namespace saddle::rmt {

std::vector<ParameterInfo> RmtModel::parameters() const {
  auto ps = model_parameters();
  ps.push_back({"x", 0.0, -kInf, kInf, false, false,
                "spectral variable: real part of z (a spectrum task sweeps it)"});
  ps.push_back({"eta", 1e-3, 0.0, kInf, false, false,
                "imaginary part of z (a spectrum task takes eta -> 0+ unless its eta is > 0)"});
  return ps;
}

std::vector<OrderParameterInfo> RmtModel::order_parameters() const {
  std::vector<OrderParameterInfo> out;
  for (const auto& n : unknown_names()) {
    out.push_back({n + "_re", -kInf, kInf, "real part of " + n});
    out.push_back({n + "_im", -kInf, kInf, "imaginary part of " + n});
  }
  return out;
}

std::vector<ObservableInfo> RmtModel::observables() const {
  return {{"rho", "Im g / pi at z = x + i eta (the density as eta -> 0+)"},
          {"g_re", "Re g(z), g(z) = integral rho(t) / (t - z) dt"},
          {"g_im", "Im g(z)"}};
}

std::vector<std::string> RmtModel::branch_notes() const {
  return {
      "physical: the root with Im g > 0 (closed form where the model has one, else the "
      "large-|z| seed)"};
}

cplx RmtModel::z_of(const Point& p) const {
  const int n = static_cast<int>(p.params.size());
  return cplx(p.params[n - 2], p.params[n - 1]);
}

namespace {
Eigen::VectorXd split_vec(const CVector& u) {
  Eigen::VectorXd x(2 * u.size());
  for (Eigen::Index k = 0; k < u.size(); ++k) {
    x[2 * k] = u[k].real();
    x[2 * k + 1] = u[k].imag();
  }
  return x;
}
CVector join_vec(const Eigen::VectorXd& x) {
  CVector u(x.size() / 2);
  for (Eigen::Index k = 0; k < u.size(); ++k) u[k] = cplx(x[2 * k], x[2 * k + 1]);
  return u;
}
}  // namespace

std::vector<BranchSeed> RmtModel::branches(const Point& p) const {
  const auto eq = equation(p, SpectralInputs{});
  const cplx z = z_of(p);
  CVector u = eq->seed(z);
  if (eq->dimension() == 1) {
    if (auto g = eq->closed_form(z)) u[0] = *g;
  }
  return {{"physical", split_vec(u)}};
}

void RmtModel::map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const {
  const auto eq = equation(p, SpectralInputs{});
  const CVector u = join_vec(x);
  CVector fu(u.size());
  eq->map(u, z_of(p), fu);
  fx = split_vec(fu);
}

Eigen::VectorXd RmtModel::observable_values(const Eigen::VectorXd& x, const Point& p) const {
  const auto eq = equation(p, SpectralInputs{});
  const cplx g = eq->stieltjes(join_vec(x), z_of(p));
  Eigen::VectorXd v(3);
  v << std::max(0.0, g.imag()) / 3.14159265358979323846, g.real(), g.imag();
  return v;
}

std::optional<std::string> RmtModel::inadmissible(const Eigen::VectorXd& x, const Point& p) const {
  const auto eq = equation(p, SpectralInputs{});
  const cplx g = eq->stieltjes(join_vec(x), z_of(p));
  if (g.imag() < -1e-14 * std::max(1.0, std::abs(g)))
    return "Im g = " + format_number(g.imag()) + " < 0: not the Stieltjes transform of a measure";
  return std::nullopt;
}

Eigen::MatrixXd gaussian_matrix(int rows, int cols, std::mt19937_64& rng) {
  std::normal_distribution<double> nd(0.0, 1.0);
  Eigen::MatrixXd a(rows, cols);
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) a(i, j) = nd(rng);
  return a;
}

Eigen::MatrixXd haar_orthogonal(int n, std::mt19937_64& rng) {
  const Eigen::MatrixXd a = gaussian_matrix(n, n, rng);
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  Eigen::MatrixXd q = qr.householderQ();
  const Eigen::MatrixXd r = qr.matrixQR().triangularView<Eigen::Upper>();
  // Multiplying column k by sign(r_kk) makes Q Haar-distributed (Mezzadri 2007).
  for (int k = 0; k < n; ++k)
    if (r(k, k) < 0) q.col(k) *= -1.0;
  return q;
}

Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a) {
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(a, Eigen::EigenvaluesOnly);
  return es.eigenvalues();
}

Eigen::VectorXd measure_diagonal(const DiscreteMeasure& m, int n) {
  std::vector<int> counts(m.atoms.size());
  int total = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = static_cast<int>(std::lround(m.weights[i] * n));
    total += counts[i];
  }
  // Put the rounding difference on the heaviest atom.
  const std::size_t big = static_cast<std::size_t>(
      std::max_element(m.weights.begin(), m.weights.end()) - m.weights.begin());
  counts[big] += n - total;
  Eigen::VectorXd d(n);
  int k = 0;
  for (std::size_t i = 0; i < counts.size(); ++i)
    for (int c = 0; c < counts[i] && k < n; ++c) d[k++] = m.atoms[i];
  return d;
}

}  // namespace saddle::rmt
