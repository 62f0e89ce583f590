// Activations, dual kernels and the NNGP / NTK recursions (models/dmft/activations.cpp,
// models/dmft/nn_kernel.cpp): closed forms against the accurate 2-D quadrature, the fast
// Gauss-Hermite rule against it, behaviour at correlation 1, kernel matrices against hand-written
// recursions and exact linear-network kernels, Monte Carlo of wide random networks, and the
// infinite-width predictions (GP posterior = NTK t = infinity with only the readout trained).
#include "saddle/nn_kernel.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "saddle/error.hpp"

using namespace saddle;

namespace {

Activation act(ActivationKind k, double a = NAN, double b = NAN) {
  Activation x = Activation::make(k);
  if (!std::isnan(a)) x.a = a;
  if (!std::isnan(b)) x.b = b;
  return x;
}

std::vector<Activation> closed_form_activations() {
  return {act(ActivationKind::kRelu),
          act(ActivationKind::kLeakyRelu, 0.1),
          act(ActivationKind::kAbRelu, -0.5, 2.0),
          act(ActivationKind::kAbs),
          act(ActivationKind::kErf),
          act(ActivationKind::kIdentity),
          act(ActivationKind::kSign)};
}

struct Cov {
  double k11, k12, k22;
};
// Equal and unequal variances, positive, negative and near-extreme correlations.
const Cov kCovs[] = {{1.0, 0.3, 1.0},   {0.7, -0.4, 1.9},  {2.5, 2.2, 2.1},   {0.3, 0.0, 4.0},
                     {1.2, -1.15, 1.2}, {1.0, 0.999, 1.0}, {0.05, 0.01, 0.02}};

Eigen::MatrixXd random_inputs(int n, int d, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = g(rng);
  return x;
}

Layer dense(double w, double b, int width = 0) {
  Layer l;
  l.kind = Layer::Kind::kDense;
  l.W_std = w;
  l.b_std = b;
  l.width = width;
  return l;
}
Layer activation_layer(const Activation& a) {
  Layer l;
  l.kind = Layer::Kind::kActivation;
  l.activation = a;
  return l;
}

// depth hidden layers of (dense, activation), then a dense readout with `outputs` units.
Architecture mlp(const Activation& a, int depth, double w, double b, int width = 0,
                 int outputs = 0) {
  Architecture arch;
  for (int i = 0; i < depth; ++i) {
    arch.layers.push_back(dense(w, b, width));
    arch.layers.push_back(activation_layer(a));
  }
  arch.layers.push_back(dense(w, b, outputs));
  return arch;
}

}  // namespace

TEST_CASE("activations: closed-form dual kernels equal the 2-D quadrature to 1e-10") {
  // The quadrature splits at the kinks, so its own error is ~1e-13 here; 1e-10 absolute (scaled
  // by the size of the value) leaves room for the closed forms' rounding near |c| = 1.
  for (const Activation& a : closed_form_activations()) {
    for (const Cov& k : kCovs) {
      INFO(a.name() << " K = (" << k.k11 << ", " << k.k12 << ", " << k.k22 << ")");
      const DualValues cf = dual_closed_form(a, k.k11, k.k12, k.k22);
      const DualValues qd = dual_quadrature(a, k.k11, k.k12, k.k22);
      CHECK(cf.t == doctest::Approx(qd.t).epsilon(1e-10).scale(1.0));
      if (a.ntk_defined()) CHECK(cf.tdot == doctest::Approx(qd.tdot).epsilon(1e-10).scale(1.0));
    }
    for (double k : {0.01, 0.5, 1.0, 3.0}) {
      INFO(a.name() << " diagonal K = " << k);
      const DualValues cf = dual_diag_closed_form(a, k), qd = dual_diag_quadrature(a, k);
      CHECK(cf.t == doctest::Approx(qd.t).epsilon(1e-10).scale(1.0));
      if (a.ntk_defined()) CHECK(cf.tdot == doctest::Approx(qd.tdot).epsilon(1e-10).scale(1.0));
    }
  }
}

TEST_CASE("activations: analytic special values") {
  // relu arc-cosine kernel at c = 0: T = s / (2 pi), Tdot = P(u > 0, v > 0) = 1/4; sign at c = 1/2:
  // (2/pi) asin(1/2) = 1/3.
  const DualValues r = dual_closed_form(act(ActivationKind::kRelu), 2.0, 0.0, 8.0);
  CHECK(r.t == doctest::Approx(4.0 / (2 * M_PI)).epsilon(1e-15));
  CHECK(r.tdot == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(dual_closed_form(act(ActivationKind::kSign), 1.0, 0.5, 1.0).t ==
        doctest::Approx(1.0 / 3.0).epsilon(1e-15));
  // abs at c = 0: E|u| E|v| = 2 s / pi.
  CHECK(dual_closed_form(act(ActivationKind::kAbs), 1.0, 0.0, 1.0).t ==
        doctest::Approx(2.0 / M_PI).epsilon(1e-15));
  // sign's NTK is degenerate.
  CHECK(std::isinf(dual_closed_form(act(ActivationKind::kSign), 1.0, 0.5, 1.0).tdot));
}

TEST_CASE("activations: closed forms stay finite, continuous and Cauchy-Schwarz at correlation 1") {
  for (const Activation& a : closed_form_activations()) {
    INFO(a.name());
    for (double k : {1e-3, 0.37, 1.0, 7.3}) {
      const DualValues d = dual_diag_closed_form(a, k);
      // c = 1 + 1e-16 (a rounded product) and c = 1 - 1e-12.
      const DualValues above = dual_closed_form(a, k, k * (1 + 2e-16), k);
      const DualValues below = dual_closed_form(a, k, k * (1 - 1e-12), k);
      CHECK(std::isfinite(above.t));
      CHECK(above.t == doctest::Approx(d.t).epsilon(1e-14));
      CHECK(below.t <= d.t * (1 + 1e-15));
      // sign's T = (2/pi) asin(c) has the sqrt(1 - c) cusp: 1e-12 in c moves it by ~9e-7.
      CHECK(below.t == doctest::Approx(d.t).epsilon(a.ntk_defined() ? 1e-11 : 1e-6));
      if (a.ntk_defined()) {
        CHECK(std::isfinite(above.tdot));
        CHECK(above.tdot == doctest::Approx(d.tdot).epsilon(1e-14));
        // Tdot of the relu family has a sqrt(1 - c) cusp: 1e-12 in c moves it by ~1e-6 / pi.
        CHECK(below.tdot == doctest::Approx(d.tdot).epsilon(1e-6));
      }
      // Cauchy-Schwarz at unequal variances and c -> 1.
      const DualValues x = dual_closed_form(a, k, std::sqrt(k * 2 * k) * (1 + 1e-16), 2 * k);
      CHECK(std::fabs(x.t) <= std::sqrt(d.t * dual_diag_closed_form(a, 2 * k).t) * (1 + 1e-14));
    }
  }
}

TEST_CASE(
    "activations: fast Gauss-Hermite rule against the accurate quadrature (smooth activations)") {
  for (ActivationKind k : {ActivationKind::kTanh, ActivationKind::kErf, ActivationKind::kSin,
                           ActivationKind::kGelu, ActivationKind::kSigmoid, ActivationKind::kSwish,
                           ActivationKind::kSoftplus, ActivationKind::kCos}) {
    const Activation a = act(k);
    for (const Cov& c : {Cov{1.0, 0.3, 1.0}, Cov{0.7, -0.4, 1.9}, Cov{1.0, 0.999, 1.0}}) {
      INFO(a.name() << " K = (" << c.k11 << ", " << c.k12 << ", " << c.k22 << ")");
      const DualValues qd = dual_quadrature(a, c.k11, c.k12, c.k22);
      // The default order 64: tanh near c = 1 is the slowest of these (measured 9e-8 on Tdot).
      const DualValues gh =
          dual_gauss_hermite(a, c.k11, c.k12, c.k22, Architecture{}.quadrature_order);
      CHECK(gh.t == doctest::Approx(qd.t).epsilon(1e-6).scale(1.0));
      CHECK(gh.tdot == doctest::Approx(qd.tdot).epsilon(1e-6).scale(1.0));
      // Order 128 reaches the accurate rule (measured 8e-12 at worst).
      const DualValues gh2 = dual_gauss_hermite(a, c.k11, c.k12, c.k22, 128);
      CHECK(gh2.t == doctest::Approx(qd.t).epsilon(1e-10).scale(1.0));
      CHECK(gh2.tdot == doctest::Approx(qd.tdot).epsilon(1e-10).scale(1.0));
    }
  }
}

TEST_CASE("activations: elu with closed-form inner expectations equals the 2-D quadrature") {
  for (double alpha : {1.0, 0.3}) {
    const Activation a = act(ActivationKind::kElu, alpha);
    for (const Cov& k : kCovs) {
      INFO(a.name() << " K = (" << k.k11 << ", " << k.k12 << ", " << k.k22 << ")");
      const DualValues e = dual_elu(a, k.k11, k.k12, k.k22),
                       q = dual_quadrature(a, k.k11, k.k12, k.k22);
      CHECK(e.t == doctest::Approx(q.t).epsilon(1e-10).scale(1.0));
      CHECK(e.tdot == doctest::Approx(q.tdot).epsilon(1e-10).scale(1.0));
    }
  }
}

TEST_CASE("activations: unknown names are input errors with the closest name") {
  try {
    activation_from_string("rleu", "spec.json: /architecture/layers/1/activation");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "spec.json: /architecture/layers/1/activation: unknown activation 'rleu' (did you mean "
          "'relu'?); expected one of identity, relu, leaky_relu, abrelu, abs, erf, sign, tanh, "
          "sigmoid, softplus, gelu, swish, silu, elu, sin, cos");
  }
}

TEST_CASE("nn_kernel: kernel matrices follow the layer recursion entry by entry") {
  const Eigen::MatrixXd x = random_inputs(7, 5, 3);
  const Eigen::MatrixXd xt = random_inputs(4, 5, 4);
  for (const Activation& a :
       {act(ActivationKind::kRelu), act(ActivationKind::kErf), act(ActivationKind::kTanh)}) {
    for (Parameterization par : {Parameterization::kNtk, Parameterization::kStandard}) {
      INFO(a.name() << " " << to_string(par));
      Architecture arch = mlp(a, 2, 1.3, 0.2, 50);
      arch.parameterization = par;
      KernelOptions opt;
      opt.threads = 2;
      const KernelResult r = compute_kernels(arch, x, &xt, opt);
      // Hand recursion for one train pair and one test-train pair.
      auto pair_kernel = [&](const Eigen::VectorXd& u, const Eigen::VectorXd& v, double& kk,
                             double& th) {
        double k11 = u.squaredNorm() / 5, k22 = v.squaredNorm() / 5, k12 = u.dot(v) / 5;
        double t12 = 0, n_in = 5;
        for (int l = 0; l < 3; ++l) {
          if (par == Parameterization::kStandard) t12 = n_in * k12 + 1 + 1.69 * t12;
          k11 = 1.69 * k11 + 0.04, k22 = 1.69 * k22 + 0.04, k12 = 1.69 * k12 + 0.04;
          if (par == Parameterization::kNtk) t12 = k12 + 1.69 * t12;
          n_in = 50;
          if (l == 2) break;
          const DualValues d = a.has_closed_form() ? dual_closed_form(a, k11, k12, k22)
                                                   : dual_gauss_hermite(a, k11, k12, k22, 64);
          k11 = a.has_closed_form() ? dual_diag_closed_form(a, k11).t
                                    : dual_gauss_hermite(a, k11, k11, k11, 64).t;
          k22 = a.has_closed_form() ? dual_diag_closed_form(a, k22).t
                                    : dual_gauss_hermite(a, k22, k22, k22, 64).t;
          k12 = d.t;
          t12 *= d.tdot;
        }
        kk = k12, th = t12;
      };
      double kk, th;
      pair_kernel(x.row(2).transpose(), x.row(5).transpose(), kk, th);
      CHECK(r.nngp_train(2, 5) == doctest::Approx(kk).epsilon(1e-13));
      CHECK(r.nngp_train(5, 2) == r.nngp_train(2, 5));
      CHECK(r.ntk_train(2, 5) == doctest::Approx(th).epsilon(1e-13));
      pair_kernel(xt.row(3).transpose(), x.row(1).transpose(), kk, th);
      CHECK(r.nngp_test(3, 1) == doctest::Approx(kk).epsilon(1e-13));
      CHECK(r.ntk_test(3, 1) == doctest::Approx(th).epsilon(1e-13));
      pair_kernel(xt.row(0).transpose(), xt.row(0).transpose(), kk, th);
      CHECK(r.nngp_test_diag[0] == doctest::Approx(kk).epsilon(1e-12));
      CHECK(r.ntk_test_diag[0] == doctest::Approx(th).epsilon(1e-12));
      // One thread gives bit-identical matrices.
      opt.threads = 1;
      const KernelResult r1 = compute_kernels(arch, x, &xt, opt);
      CHECK((r1.nngp_train - r.nngp_train).cwiseAbs().maxCoeff() == 0.0);
      CHECK((r1.ntk_test - r.ntk_test).cwiseAbs().maxCoeff() == 0.0);
    }
  }
}

TEST_CASE("nn_kernel: deep linear network kernels are exact") {
  // identity activations, W_std = 1, b_std = 0, ntk parameterisation: K = K0 at every layer and
  // each of the L dense layers adds K0 to the NTK, so Theta = L K0.
  const Eigen::MatrixXd x = random_inputs(6, 3, 9);
  const Architecture arch = mlp(act(ActivationKind::kIdentity), 3, 1.0, 0.0);
  const KernelResult r = compute_kernels(arch, x, nullptr, {});
  const Eigen::MatrixXd k0 = x * x.transpose() / 3.0;
  CHECK((r.nngp_train - k0).cwiseAbs().maxCoeff() <= 1e-14 * k0.cwiseAbs().maxCoeff());
  CHECK((r.ntk_train - 4.0 * k0).cwiseAbs().maxCoeff() <= 1e-13 * k0.cwiseAbs().maxCoeff());
}

TEST_CASE("nn_kernel: near-duplicate inputs keep the kernels finite and positive semi-definite") {
  Eigen::MatrixXd x = random_inputs(40, 10, 11);
  for (int i = 20; i < 40; ++i) x.row(i) = x.row(i - 20) * (1 + 1e-15 * i);  // c = 1 up to rounding
  x.row(39) = x.row(0);
  const Architecture arch = mlp(act(ActivationKind::kRelu), 10, std::sqrt(2.0), 0.1);
  const KernelResult r = compute_kernels(arch, x, nullptr, {});
  CHECK(r.nngp_train.allFinite());
  CHECK(r.ntk_train.allFinite());
  for (const Eigen::MatrixXd* m : {&r.nngp_train, &r.ntk_train}) {
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(*m);
    // Exact duplicates make the matrices singular: eigenvalues 0 up to rounding of the largest.
    CHECK(es.eigenvalues().minCoeff() >= -1e-12 * es.eigenvalues().maxCoeff());
  }
}

TEST_CASE("nn_kernel: architecture errors name the layer and the rule") {
  Architecture arch = mlp(act(ActivationKind::kSign), 1, 1.0, 0.0);
  try {
    arch.validate("spec.json: /architecture", true, false);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "spec.json: /architecture/layers/1: the NTK of sign is degenerate (its derivative is 2 "
          "delta(x), so Tdot is infinite); expected \"kernels\": [\"nngp\"] or \"train\": "
          "\"readout\"");
  }
  CHECK_NOTHROW(arch.validate("x", false, false));
  arch.readout_only = true;
  CHECK_NOTHROW(arch.validate("x", true, false));
  Architecture std_arch = mlp(act(ActivationKind::kRelu), 1, 1.0, 0.0);
  std_arch.parameterization = Parameterization::kStandard;
  try {
    std_arch.validate("spec.json: /architecture", true, false);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "spec.json: /architecture/layers/0: dense layer without \"width\"; expected a width >= 1 "
          "(the standard-parameterisation NTK depends on the width feeding the next dense layer)");
  }
  Architecture bad = mlp(act(ActivationKind::kRelu), 1, -1.0, 0.0);
  try {
    bad.validate("spec.json: /architecture", true, false);
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(
        std::string(e.what()) ==
        "spec.json: /architecture/layers/0/W_std: W_std = -1 is out of range; expected W_std > 0");
  }
}

TEST_CASE("nn_kernel: infinite-width predictions") {
  const Eigen::MatrixXd x = random_inputs(12, 4, 21), xt = random_inputs(5, 4, 22);
  Eigen::MatrixXd y(12, 2);
  for (int i = 0; i < 12; ++i) y(i, 0) = std::sin(x(i, 0)), y(i, 1) = x(i, 1) * x(i, 2);
  PredictionOptions po;
  po.times = {0.0, 10.0, 1e12};

  SUBCASE("readout-only training: NTK at t = infinity is the GP posterior") {
    Architecture arch = mlp(act(ActivationKind::kRelu), 3, std::sqrt(2.0), 0.1);
    arch.readout_only = true;
    const KernelResult kr = compute_kernels(arch, x, &xt, {});
    CHECK((kr.ntk_train - kr.nngp_train).cwiseAbs().maxCoeff() == 0.0);
    const Predictions p = predict(kr, y, po);
    const PredictionSet& inf = p.ntk.back();
    REQUIRE(std::isinf(inf.t));
    // Both solve with the same well-conditioned matrix (condition number printed on failure).
    INFO("NNGP eigenvalues " << p.nngp_min_eigenvalue << " .. " << p.nngp_max_eigenvalue);
    CHECK((inf.mean_test - p.gp_mean_test).cwiseAbs().maxCoeff() <= 1e-9);
    CHECK((inf.var_test - p.gp_var_test).cwiseAbs().maxCoeff() <= 1e-9);
    // The posterior variance is below the prior and non-negative.
    CHECK((p.gp_var_test.array() <= kr.nngp_test_diag.array()).all());
    CHECK((p.gp_var_test.array() >= -1e-10).all());
    // Interpolation at t = infinity, and the finite-time mean approaches it.
    CHECK((inf.mean_train - y).cwiseAbs().maxCoeff() <= 1e-9);
    CHECK((p.ntk[2].mean_test - inf.mean_test).cwiseAbs().maxCoeff() <= 1e-6);
  }
  SUBCASE("all layers trained: t = 0 is the prior, t = infinity differs from the GP posterior") {
    const Architecture arch = mlp(act(ActivationKind::kRelu), 3, std::sqrt(2.0), 0.1);
    const KernelResult kr = compute_kernels(arch, x, &xt, {});
    const Predictions p = predict(kr, y, po);
    CHECK(p.ntk[0].mean_test.cwiseAbs().maxCoeff() == 0.0);
    CHECK((p.ntk[0].var_test - kr.nngp_test_diag).cwiseAbs().maxCoeff() <= 1e-12);
    CHECK((p.ntk.back().mean_test - p.gp_mean_test).cwiseAbs().maxCoeff() > 1e-3);
    // Train loss decreases along the flow.
    const double l0 = (p.ntk[0].mean_train - y).squaredNorm(),
                 l1 = (p.ntk[1].mean_train - y).squaredNorm();
    CHECK(l1 < l0);
    CHECK((p.ntk.back().mean_train - y).cwiseAbs().maxCoeff() <= 1e-8);
  }
}

TEST_CASE(
    "nn_kernel: Monte Carlo NTK of wide networks approaches the analytic one like 1/sqrt(width x "
    "networks)") {
  // The empirical NTK fluctuates at O(1/sqrt(width)) per network (its mean is off by O(1/width));
  // averaging M networks gives relative errors C / sqrt(width M). Fixed seeds make the numbers
  // deterministic; the measured C = err sqrt(width M) is quoted in the README; the bounds below
  // allow 0.3 < C < 6.
  const Eigen::MatrixXd x = random_inputs(8, 6, 5);
  for (Parameterization par : {Parameterization::kNtk, Parameterization::kStandard}) {
    double prev = 0;
    for (int width : {64, 256, 1024}) {
      Architecture arch = mlp(act(ActivationKind::kRelu), 2, 1.5, 0.3, width, 1);
      arch.parameterization = par;
      const KernelResult kr = compute_kernels(arch, x, nullptr, {});
      MonteCarloOptions mo;
      mo.networks = 16;
      mo.seed = 7;
      const MonteCarloResult mc = empirical_kernels(arch, x, mo);
      const double err = relative_error(mc.ntk, kr.ntk_train);
      const double c = err * std::sqrt(static_cast<double>(width) * mo.networks);
      INFO(to_string(par) << " width " << width << ": NTK rel. error " << err << ", C = " << c);
      CHECK(c > 0.3);
      CHECK(c < 6.0);
      if (prev > 0) CHECK(err < prev / 1.3);  // 4x the width: expected / 2
      prev = err;
    }
  }
}

TEST_CASE("nn_kernel: Monte Carlo NNGP with many readout units approaches the analytic one") {
  // f f^T / n_out fluctuates through the readout (1/sqrt(n_out M)) and the hidden layers
  // (1/sqrt(width M)); with n_out = 64 and M = 16 both are small.
  const Eigen::MatrixXd x = random_inputs(8, 6, 5);
  double prev = 0;
  for (int width : {64, 1024}) {
    const Architecture arch = mlp(act(ActivationKind::kErf), 2, 1.5, 0.3, width, 64);
    const KernelResult kr = compute_kernels(arch, x, nullptr, {});
    MonteCarloOptions mo;
    mo.networks = 16;
    mo.ntk = false;
    const MonteCarloResult mc = empirical_kernels(arch, x, mo);
    const double err = relative_error(mc.nngp, kr.nngp_train);
    const double bound = 3.0 * std::sqrt(1.0 / (64.0 * 16) + 1.0 / (width * 16.0));
    INFO("width " << width << ": NNGP rel. error " << err << ", bound " << bound);
    CHECK(err < bound);
    if (prev > 0) CHECK(err < prev);
    prev = err;
  }
}
