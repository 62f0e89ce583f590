// Gaussian expectations (gaussian.hpp) against independent references: GSL's QAGP (adaptive
// 21-point Gauss-Kronrod with extrapolation, breakpoints at the kink), closed forms (moments of
// N(0, 1), 1 - 2 H(a/s) for the sign, the arc-cosine kernel of Cho & Saul 2009), and GSL's
// Gauss-Hermite rule (gsl_integration_fixed_hermite, IQPACK).
#include "saddle/gaussian.hpp"

#include <doctest/doctest.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/special.hpp"

namespace {

using saddle::correlated_expectation;
using saddle::Feature;
using saddle::gauss_hermite_expectation;
using saddle::gauss_hermite_rule;
using saddle::gaussian_expectation;
using saddle::InputError;
using saddle::kPi;
using saddle::QuadratureOptions;
using saddle::QuadratureResult;

constexpr double kInf = std::numeric_limits<double>::infinity();

doctest::Approx absolute(double value, double tol) {
  return doctest::Approx(value).epsilon(tol).scale(1.0);  // |a - b| < tol (1 + max|a|,|b|)
}
doctest::Approx relative(double value, double tol) {
  return doctest::Approx(value).epsilon(tol).scale(0.0);
}

struct Reference {
  double value = 0.0;
  double abserr = 0.0;
  int status = 0;
};

// E g(z), z ~ N(0, 1), by GSL QAGP on [-12, 12] (neglected mass 2 H(12) = 4e-33) with breakpoints
// at the kink and kink +- 1 and +- 20 widths.
Reference qagp_reference(const std::function<double(double)>& g, double kink, double width) {
  std::vector<double> points = {-12.0, 12.0};
  for (const double c : {-20.0, -1.0, 0.0, 1.0, 20.0}) {
    const double z = kink + c * width;
    if (z > -12.0 && z < 12.0) points.push_back(z);
  }
  std::sort(points.begin(), points.end());
  const auto integrand = [](double z, void* p) {
    return (*static_cast<const std::function<double(double)>*>(p))(z)*saddle::phi(z);
  };
  gsl_function F{integrand, const_cast<std::function<double(double)>*>(&g)};
  gsl_integration_workspace* workspace = gsl_integration_workspace_alloc(4000);
  gsl_error_handler_t* previous = gsl_set_error_handler_off();
  Reference r;
  r.status = gsl_integration_qagp(&F, points.data(), points.size(), 1e-15, 0.0, 4000, workspace,
                                  &r.value, &r.abserr);
  gsl_set_error_handler(previous);
  gsl_integration_workspace_free(workspace);
  return r;
}

// The message of the InputError that fn throws ("" if none), after checking its id and where.
template <class Fn>
std::string input_error(Fn fn, const std::string& id, const std::string& where) {
  try {
    fn();
  } catch (const InputError& e) {
    CHECK(e.id() == id);
    CHECK(e.where() == where);
    return e.what();
  }
  FAIL("no InputError thrown");
  return "";
}

struct TanhCase {
  double beta, m, s;
};

}  // namespace

TEST_CASE("gaussian_expectation: E tanh and E tanh^2 at beta = 10 and 5 match GSL QAGP to 1e-12") {
  const TanhCase cases[] = {{10, 0.3, 1.0}, {10, 0.1, 0.5}, {10, -0.7, 1.3}, {10, 1.2, 0.8},
                            {5, 0.3, 1.0},  {5, 0.05, 0.2}, {5, -0.4, 0.6}};
  for (const TanhCase& c : cases) {
    INFO("beta = ", c.beta, ", m = ", c.m, ", s = ", c.s);
    const auto t = [&](double z) { return std::tanh(c.beta * (c.m + c.s * z)); };
    const Feature kink{-c.m / c.s, 1.0 / (c.beta * c.s)};
    const auto tanh_moments = [&](double z, double* out) {
      out[0] = t(z);
      out[1] = out[0] * out[0];
    };
    const QuadratureResult r = gaussian_expectation(2, tanh_moments, {kink});
    CHECK(r.converged);
    CHECK(r.error <= 1e-13);
    // Work count as a regression guard: measured 450-660 evaluations (15-19 panels).
    CHECK(r.evaluations <= 1200);

    const Reference e1 = qagp_reference(t, kink.center, kink.width);
    const Reference e2 =
        qagp_reference([&](double z) { return t(z) * t(z); }, kink.center, kink.width);
    // QAGP may report GSL_EROUND at epsabs 1e-15; what matters is its error estimate.
    CHECK((e1.status == GSL_SUCCESS || e1.status == GSL_EROUND));
    CHECK((e2.status == GSL_SUCCESS || e2.status == GSL_EROUND));
    REQUIRE(e1.abserr <= 1e-13);
    REQUIRE(e2.abserr <= 1e-13);
    CHECK(r[0] == absolute(e1.value, 1e-12));
    CHECK(r[1] == absolute(e2.value, 1e-12));
  }
}

TEST_CASE("gauss_hermite: a 200-point rule is off by more than 1e-6 on tanh(10 (0.3 + z))") {
  // Why gaussian_expectation exists: tanh(beta u) has poles at u = +-i pi / (2 beta), 0.16 from the
  // real axis at beta = 10, and Gauss-Hermite converges only like exp(-c 0.16 sqrt(n)).
  // Measured: the 200-point rule is off by 4.8e-3; doubling up to n = 512 (off by 3.3e-4) does not
  // converge and says so.
  const auto t = [](double z) { return std::tanh(10.0 * (0.3 + z)); };
  const Reference ref = qagp_reference(t, -0.3, 0.1);
  REQUIRE(ref.abserr <= 1e-13);

  const saddle::GaussHermiteRule& rule = gauss_hermite_rule(200);
  double gh = 0.0;
  for (int i = 0; i < 200; ++i) gh += rule.weights[i] * t(rule.nodes[i]);
  CHECK(std::fabs(gh - ref.value) > 1e-6);
  CHECK(std::fabs(gh - ref.value) > 1e-3);

  const QuadratureResult doubled = gauss_hermite_expectation(
      1, [&](double z, double* out) { out[0] = t(z); }, 1e-12, 16, 512);
  CHECK_FALSE(doubled.converged);
  CHECK(doubled.error > 1e-6);

  const QuadratureResult adaptive =
      gaussian_expectation(1, [&](double z, double* out) { out[0] = t(z); }, {{-0.3, 0.1}});
  CHECK(adaptive[0] == absolute(ref.value, 1e-12));
}

TEST_CASE("gaussian_expectation: beta = 1000 and the sign function against 1 - 2 H(a/s)" *
          doctest::test_suite("validation")) {
  // E sign(a + s z) = P(z > -a/s) - P(z < -a/s) = 1 - 2 H(a/s).
  // For tanh(beta u), u = a + s z with density p: E tanh(beta u) - E sign(u) = int (tanh(beta u) -
  // sign(u)) p(u) du = p'(0) int u (tanh(beta u) - sign(u)) du + O(beta^-4) = -(pi^2 / 12) p'(0) /
  // beta^2 + O(beta^-4), using int_0^inf t (1 - tanh t) dt = pi^2 / 24; p'(0) = a phi(a/s) / s^3.
  // At beta = 1000 the correction is ~1e-7 and the O(beta^-4) remainder below 1e-11 (measured).
  const double beta = 1000.0;
  for (const double a : {0.0, 0.05, 0.3, 1.0, 2.5}) {
    for (const double s : {0.5, 1.0}) {
      INFO("a = ", a, ", s = ", s);
      const double sign_mean = 1.0 - 2.0 * saddle::H(a / s);
      const double correction =
          -kPi * kPi / (12.0 * beta * beta) * a * saddle::phi(a / s) / (s * s * s);
      const QuadratureResult r = gaussian_expectation(
          1, [&](double z, double* out) { out[0] = std::tanh(beta * (a + s * z)); },
          {{-a / s, 1.0 / (beta * s)}});
      CHECK(r.converged);
      CHECK(r[0] == absolute(sign_mean + correction, 1e-10));
      if (std::fabs(correction) > 1e-9)  // the correction is resolved, not noise
        CHECK(std::fabs(r[0] - sign_mean) > 0.5 * std::fabs(correction));

      // The step itself, with a zero-width feature at the jump: both sides are smooth panels.
      const QuadratureResult step = gaussian_expectation(
          1, [&](double z, double* out) { out[0] = a + s * z > 0 ? 1.0 : -1.0; }, {{-a / s, 0.0}});
      CHECK(step.converged);
      CHECK(step[0] == absolute(sign_mean, 1e-13));
    }
  }
  // Without the feature the bisection finds the jump (89 panels measured).
  const QuadratureResult blind =
      gaussian_expectation(1, [](double z, double* out) { out[0] = 0.3 + z > 0 ? 1.0 : -1.0; });
  CHECK(blind.converged);
  CHECK(blind[0] == absolute(1.0 - 2.0 * saddle::H(0.3), 1e-12));
}

TEST_CASE("gaussian_expectation: smooth integrands, vector-valued, few panels") {
  // k = 8 components on one set of nodes; closed forms E z^2 = 1, E z^4 = 3, E cos z = e^{-1/2},
  // E e^z = e^{1/2} (the cutoff 10 drops H(9) ~ 1e-19 of it), E z = 0.
  const QuadratureResult r = gaussian_expectation(8, [](double z, double* out) {
    out[0] = 1.0;
    out[1] = z;
    out[2] = z * z;
    out[3] = z * z * z * z;
    out[4] = std::cos(z);
    out[5] = std::exp(z);
    out[6] = std::tanh(0.5 * z);
    out[7] = std::tanh(0.5 * (0.3 + z));
  });
  CHECK(r.converged);
  CHECK(r[0] == relative(1.0, 1e-14));
  CHECK(r[1] == absolute(0.0, 1e-14));
  CHECK(r[2] == relative(1.0, 1e-14));
  CHECK(r[3] == relative(3.0, 1e-14));
  CHECK(r[4] == relative(std::exp(-0.5), 1e-14));
  CHECK(r[5] == relative(std::exp(0.5), 1e-14));
  CHECK(r[6] == absolute(0.0, 1e-14));
  const Reference ref =
      qagp_reference([](double z) { return std::tanh(0.5 * (0.3 + z)); }, -0.3, 2.0);
  REQUIRE(ref.abserr <= 1e-13);
  CHECK(r[7] == absolute(ref.value, 1e-13));

  // A smooth integrand needs only the uniform mesh and a little refinement (10 panels measured).
  const QuadratureResult smooth =
      gaussian_expectation(1, [](double z, double* out) { out[0] = std::tanh(0.5 * z); });
  CHECK(smooth.converged);
  CHECK(smooth.panels <= 12);
  CHECK(smooth.evaluations ==
        30 * smooth.panels + 30 * (smooth.panels - 8));  // 8 initial, bisected
}

TEST_CASE("gaussian_expectation: hitting max_panels or a non-finite integrand is reported") {
  QuadratureOptions options;
  options.max_panels = 20;
  const QuadratureResult r = gaussian_expectation(
      1, [](double z, double* out) { out[0] = z > 0.3 ? 1.0 : 0.0; }, {}, options);
  CHECK_FALSE(r.converged);
  CHECK(r.panels == 20);
  CHECK(r.error > options.abs_tol + options.rel_tol * std::fabs(r[0]));
  CHECK(r[0] == absolute(saddle::H(0.3), 1e-3));  // still a sensible estimate

  const QuadratureResult nan =
      gaussian_expectation(1, [](double z, double* out) { out[0] = z > 1.0 ? std::nan("") : 1.0; });
  CHECK_FALSE(nan.converged);
  CHECK(nan.error == kInf);

  // Features that cannot be placed (s = 0 gives centre -a/0) are ignored, not fatal.
  const QuadratureResult ignored =
      gaussian_expectation(1, [](double z, double* out) { out[0] = z * z; },
                           {{kInf, kInf}, {std::nan(""), 1.0}, {0.5, -0.1}});
  CHECK(ignored.converged);
  CHECK(ignored[0] == relative(1.0, 1e-14));
}

TEST_CASE("QuadratureOptions::validate names the field, the value and the rule") {
  CHECK_NOTHROW(QuadratureOptions{}.validate());
  const auto message = [](QuadratureOptions o, const std::string& where) {
    return input_error([&] { o.validate(); }, "quadrature.bad_option", where);
  };
  QuadratureOptions o;
  o.abs_tol = -1.0;
  CHECK(message(o, "quadrature.abs_tol") ==
        "quadrature.abs_tol: abs_tol = -1; expected a finite number >= 0");
  o = {};
  o.rel_tol = std::nan("");
  CHECK(message(o, "quadrature.rel_tol") ==
        "quadrature.rel_tol: rel_tol = nan; expected a finite number >= 0");
  o = {};
  o.abs_tol = 0.0;
  o.rel_tol = 0.0;
  CHECK(message(o, "quadrature.abs_tol") ==
        "quadrature.abs_tol: abs_tol = 0 with rel_tol = 0; expected at least one of them > 0");
  o = {};
  o.cutoff = 45.5;
  CHECK(message(o, "quadrature.cutoff") ==
        "quadrature.cutoff: cutoff = 45.5; expected 0 < cutoff <= 40 (the Gaussian density "
        "underflows beyond 38.6)");
  o = {};
  o.cutoff = 0.0;
  CHECK(message(o, "quadrature.cutoff") ==
        "quadrature.cutoff: cutoff = 0; expected 0 < cutoff <= 40 (the Gaussian density "
        "underflows beyond 38.6)");
  o = {};
  o.max_panels = 0;
  CHECK(message(o, "quadrature.max_panels") ==
        "quadrature.max_panels: max_panels = 0; expected an integer >= 1");
  // gaussian_expectation validates before evaluating anything.
  o = {};
  o.abs_tol = -1.0;
  int calls = 0;
  CHECK_THROWS_AS(gaussian_expectation(
                      1,
                      [&](double, double* out) {
                        ++calls;
                        out[0] = 0.0;
                      },
                      {}, o),
                  InputError);
  CHECK(calls == 0);
}

TEST_CASE("gauss_hermite_rule: normalised, symmetric, moments to 1e-13, agrees with GSL") {
  for (const int n : {16, 64, 256, 512}) {
    INFO("n = ", n);
    const saddle::GaussHermiteRule& rule = gauss_hermite_rule(n);
    REQUIRE(rule.nodes.size() == static_cast<std::size_t>(n));
    REQUIRE(rule.weights.size() == static_cast<std::size_t>(n));
    double m0 = 0.0, m1 = 0.0, m2 = 0.0, m4 = 0.0;
    for (int i = 0; i < n; ++i) {
      const double z = rule.nodes[i], w = rule.weights[i];
      CHECK(w >= 0.0);
      CHECK(rule.nodes[n - 1 - i] == -z);
      CHECK(rule.weights[n - 1 - i] == w);
      if (i > 0) CHECK(rule.nodes[i - 1] < z);
      m0 += w;
      m1 += w * z;
      m2 += w * z * z;
      m4 += w * z * z * z * z;
    }
    // Exact values 1, 0, 1, 3; the rule is exact for degree 2n - 1.
    CHECK(m0 == relative(1.0, 1e-13));
    CHECK(m1 == absolute(0.0, 1e-13));
    CHECK(m2 == relative(1.0, 1e-13));
    CHECK(m4 == relative(3.0, 1e-13));
    CHECK(&gauss_hermite_rule(n) == &rule);  // cached
  }
  // GSL's rule is for exp(-x^2): z = sqrt2 x, w = w_gsl / sqrt(pi). GSL's own accuracy
  // (Golub-Welsch) limits the comparison; measured 6e-15 (nodes) and 8e-15 (relative weights) at n
  // = 16.
  for (const int n : {16, 32}) {
    gsl_integration_fixed_workspace* gsl =
        gsl_integration_fixed_alloc(gsl_integration_fixed_hermite, n, 0.0, 1.0, 0.0, 0.0);
    const double* x = gsl_integration_fixed_nodes(gsl);
    const double* w = gsl_integration_fixed_weights(gsl);
    const saddle::GaussHermiteRule& rule = gauss_hermite_rule(n);
    for (int i = 0; i < n; ++i) {
      CHECK(rule.nodes[i] == absolute(std::sqrt(2.0) * x[i], 1e-13));
      CHECK(rule.weights[i] == relative(w[i] / std::sqrt(kPi), 1e-12));
    }
    gsl_integration_fixed_free(gsl);
  }
  CHECK(gauss_hermite_rule(1).nodes[0] == 0.0);
  CHECK(gauss_hermite_rule(1).weights[0] == 1.0);
  CHECK(gauss_hermite_rule(3).nodes[1] == 0.0);
  CHECK(gauss_hermite_rule(3).nodes[2] == relative(std::sqrt(3.0), 1e-15));  // He_3 = z^3 - 3z
  CHECK(gauss_hermite_rule(3).weights[1] == relative(2.0 / 3.0, 1e-15));
}

TEST_CASE(
    "gauss_hermite_expectation: E z^2k = (2k-1)!!, E cos z = e^{-1/2}, E e^{tz} = e^{t^2/2}") {
  // tol is absolute: E z^12 = 10395 carries rounding noise of ~10395 * 1e-15.
  const QuadratureResult moments = gauss_hermite_expectation(
      6,
      [](double z, double* out) {
        double p = 1.0;
        for (int j = 0; j < 6; ++j) out[j] = (p *= z * z);  // z^2, z^4, ..., z^12
      },
      1e-9);
  CHECK(moments.converged);
  CHECK(moments.panels == 32);  // n_min = 16 is exact already; 32 confirms it
  CHECK(moments.evaluations == 16 + 32);
  double double_factorial = 1.0;
  for (int k = 1; k <= 6; ++k) {
    double_factorial *= 2 * k - 1;  // 1, 3, 15, 105, 945, 10395
    CHECK(moments[k - 1] == relative(double_factorial, 1e-13));
  }

  const QuadratureResult smooth = gauss_hermite_expectation(
      4,
      [](double z, double* out) {
        out[0] = std::cos(z);
        out[1] = std::exp(0.5 * z);
        out[2] = std::exp(2.0 * z);
        out[3] = std::exp(-3.0 * z);
      },
      1e-12);
  CHECK(smooth.converged);
  CHECK(smooth.error <= 1e-12);
  CHECK(smooth[0] == absolute(std::exp(-0.5), 1e-12));
  CHECK(smooth[1] == relative(std::exp(0.125), 1e-12));
  CHECK(smooth[2] == relative(std::exp(2.0), 1e-12));
  CHECK(smooth[3] == relative(std::exp(4.5), 1e-12));

  // Not converged when n_max is reached, and with one level there is no error estimate at all.
  const QuadratureResult capped = gauss_hermite_expectation(
      1, [](double z, double* out) { out[0] = std::fabs(z); }, 1e-12, 16, 64);
  CHECK_FALSE(capped.converged);
  CHECK(capped.panels == 64);
  CHECK(capped[0] == absolute(std::sqrt(2.0 / kPi), 1e-2));
  const QuadratureResult single = gauss_hermite_expectation(
      1, [](double z, double* out) { out[0] = z * z; }, 1e-12, 16, 16);
  CHECK_FALSE(single.converged);
  CHECK(single.error == kInf);
  CHECK(single[0] == relative(1.0, 1e-14));
}

TEST_CASE("gauss_hermite: invalid orders and tolerances throw InputError with the exact text") {
  const auto f = [](double z, double* out) { out[0] = z; };
  CHECK(input_error([&] { gauss_hermite_expectation(1, f, 1e-12, 16, 8); }, "quadrature.bad_option",
                    "quadrature.n_max") ==
        "quadrature.n_max: n_max = 8; expected n_min = 16 <= n_max <= 4096");
  CHECK(input_error([&] { gauss_hermite_expectation(1, f, 1e-12, 0, 8); }, "quadrature.bad_option",
                    "quadrature.n_min") ==
        "quadrature.n_min: n_min = 0; expected 1 <= n_min <= 4096");
  CHECK(input_error([&] { gauss_hermite_expectation(1, f, -1.0); }, "quadrature.bad_option",
                    "quadrature.tol") == "quadrature.tol: tol = -1; expected a finite number >= 0");
  CHECK(input_error([] { gauss_hermite_rule(0); }, "quadrature.bad_option", "quadrature.n") ==
        "quadrature.n: n = 0; expected 1 <= n <= 4096");
}

TEST_CASE("correlated_expectation: moments of a Gaussian pair, including degenerate covariances") {
  struct Cov {
    double c11, c12, c22;
  };
  // Full rank, |correlation| = 1 (rank one: 1-D rule), c11 = 0, and the zero matrix.
  const Cov covs[] = {{1.0, 0.0, 1.0},
                      {1.5, 0.4, 0.7},
                      {2.0, -1.2, 0.9},
                      {1.5, 0.999999 * std::sqrt(1.05), 0.7},
                      {1.5, std::sqrt(1.05), 0.7},
                      {0.8, -0.8, 0.8},
                      {0.0, 0.0, 0.6},
                      {0.0, 0.0, 0.0}};
  for (const Cov& c : covs) {
    INFO("c11 = ", c.c11, ", c12 = ", c.c12, ", c22 = ", c.c22);
    // E u v = c12, E u^2 v^2 = c11 c22 + 2 c12^2 (Isserlis), E u^2 = c11, E v^2 = c22,
    // E exp(a u + b v) = exp((a^2 c11 + 2 a b c12 + b^2 c22) / 2).
    const double a = 0.7, b = -0.4;
    const QuadratureResult r = correlated_expectation(
        5,
        [&](double u, double v, double* out) {
          out[0] = u * v;
          out[1] = u * u * v * v;
          out[2] = u * u;
          out[3] = v * v;
          out[4] = std::exp(a * u + b * v);
        },
        c.c11, c.c12, c.c22, 1e-12);
    CHECK(r.converged);
    CHECK(r[0] == absolute(c.c12, 1e-13));
    CHECK(r[1] == absolute(c.c11 * c.c22 + 2 * c.c12 * c.c12, 1e-13));
    CHECK(r[2] == absolute(c.c11, 1e-13));
    CHECK(r[3] == absolute(c.c22, 1e-13));
    CHECK(r[4] ==
          relative(std::exp(0.5 * (a * a * c.c11 + 2 * a * b * c.c12 + b * b * c.c22)), 1e-12));
  }
  // Rank one costs a 1-D rule: 16 + 32 evaluations for these polynomials, not 16^2 + 32^2.
  const QuadratureResult rank_one = correlated_expectation(
      1, [](double u, double v, double* out) { out[0] = u * v; }, 1.0, 0.5, 0.25);
  CHECK(rank_one.evaluations == 48);
  CHECK(rank_one[0] == absolute(0.5, 1e-14));
}

TEST_CASE("correlated_expectation: relu(u) relu(v) against the arc-cosine kernel" *
          doctest::test_suite("validation")) {
  // Cho & Saul (2009), arc-cosine kernel of degree 1: E relu(u) relu(v) =
  // sqrt(c11 c22) / (2 pi) (sin th + (pi - th) cos th), th = arccos(rho), rho = c12 / sqrt(c11
  // c22).
  const double c11 = 1.5, c22 = 0.7, scale = std::sqrt(c11 * c22);
  const auto arc_cosine = [&](double rho) {
    const double th = std::acos(rho);
    return scale / (2 * kPi) * (std::sin(th) + (kPi - th) * std::cos(th));
  };
  const auto relu_relu = [](double u, double v, double* out) {
    out[0] = std::max(u, 0.0) * std::max(v, 0.0);
  };
  // rho = +-1: rank one, relu(u) relu(v) = const * relu(z)^2 (or 0), and the symmetric rule gives
  // E relu(z)^2 = E z^2 / 2 exactly.
  const QuadratureResult one = correlated_expectation(1, relu_relu, c11, scale, c22);
  CHECK(one.converged);
  CHECK(one[0] == relative(arc_cosine(1.0), 1e-14));
  CHECK(one[0] == relative(scale / 2, 1e-14));
  const QuadratureResult minus_one = correlated_expectation(1, relu_relu, c11, -scale, c22);
  CHECK(minus_one.converged);
  CHECK(minus_one[0] == absolute(arc_cosine(-1.0), 1e-14));

  // rho = 0.999999: u and v differ in sign only on a wedge of angle th = 1.4e-3 that no node of a
  // rule with n <= 256 reaches, so the rule returns the rho -> 1 extrapolation scale * rho / 2 and
  // misses scale (sin th - th cos th) / (2 pi) ~ scale th^3 / (6 pi) = 1.5e-10, while its two
  // orders agree (converged). This is a limit of tensor Gauss-Hermite for kinked integrands.
  const double rho = 0.999999;
  const QuadratureResult near_one = correlated_expectation(1, relu_relu, c11, rho * scale, c22);
  CHECK(near_one[0] == absolute(arc_cosine(rho), 2e-10));
  CHECK(near_one[0] == relative(scale * rho / 2, 1e-14));

  // A generic rho: the kinks at u = 0 and v = 0 limit Gauss-Hermite to algebraic convergence
  // (measured error 2.6e-4 at n = 256); the result says it did not converge, with an error estimate
  // of the right size.
  const QuadratureResult generic = correlated_expectation(1, relu_relu, c11, 0.3 * scale, c22);
  CHECK_FALSE(generic.converged);
  CHECK(generic[0] == absolute(arc_cosine(0.3), 1e-3));
  CHECK(generic.error > 0.1 * std::fabs(generic[0] - arc_cosine(0.3)));
}

TEST_CASE("correlated_expectation: a covariance that is not positive semi-definite throws") {
  const auto f = [](double u, double v, double* out) { out[0] = u * v; };
  CHECK(input_error([&] { correlated_expectation(1, f, 1.0, 2.0, 1.0); }, "quadrature.not_psd",
                    "covariance") ==
        "covariance: [[c11, c12], [c12, c22]] = [[1, 2], [2, 1]] is not positive semi-definite; "
        "expected c11 >= 0, c22 >= 0 and c12^2 <= c11 c22");
  CHECK(input_error([&] { correlated_expectation(1, f, -0.5, 0.0, 1.0); }, "quadrature.not_psd",
                    "covariance") ==
        "covariance: [[c11, c12], [c12, c22]] = [[-0.5, 0], [0, 1]] is not positive semi-definite; "
        "expected c11 >= 0, c22 >= 0 and c12^2 <= c11 c22");
  CHECK_THROWS_AS(correlated_expectation(1, f, 0.0, 1e-3, 1.0), InputError);
  CHECK_THROWS_AS(correlated_expectation(1, f, std::nan(""), 0.0, 1.0), InputError);
  // Rounding beyond |rho| = 1 is tolerated (relative 1e-12 on c12^2), and treated as rank one.
  const double c12 = std::sqrt(2.0) * (1 + 1e-14);
  const QuadratureResult r = correlated_expectation(1, f, 1.0, c12, 2.0);
  CHECK(r.converged);
  CHECK(r[0] == absolute(std::sqrt(2.0), 1e-13));
}

TEST_CASE("gaussian quadrature is thread-safe: concurrent calls agree with serial ones") {
  // New orders (48, 96, 384, 1000) are first requested concurrently, so the cache is raced on.
  const std::vector<int> orders = {48, 96, 384, 1000, 16, 512};
  const auto work = [&](int i, std::vector<double>& out) {
    for (std::size_t j = 0; j < orders.size(); ++j) {
      const int n = orders[(i + j) % orders.size()];
      const saddle::GaussHermiteRule& rule = gauss_hermite_rule(n);
      double sum = 0.0;
      for (int q = 0; q < n; ++q) sum += rule.weights[q] * rule.nodes[q] * rule.nodes[q];
      out.push_back(sum);
    }
    const double m = 0.1 * i;
    const QuadratureResult r = gaussian_expectation(
        1, [&](double z, double* o) { o[0] = std::tanh(10 * (m + z)); }, {{-m, 0.1}});
    out.push_back(r[0]);
    const QuadratureResult g =
        gauss_hermite_expectation(1, [&](double z, double* o) { o[0] = std::cos(m + z); });
    out.push_back(g[0]);
  };
  constexpr int kThreads = 8;
  std::vector<std::vector<double>> parallel(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(work, i, std::ref(parallel[i]));
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    std::vector<double> serial;
    work(i, serial);
    CHECK(parallel[i] == serial);  // bitwise: same rules, same arithmetic
  }
}

// --- tanh_moments: the fixed rule for E g(x0 + sigma z), g = tanh and its relatives -------------

namespace {

using saddle::tanh_derivative_moments;
using saddle::tanh_moments;
using saddle::tanh_thermodynamic_moments;
using saddle::TanhMoments;

// The seven functions of TanhMoments at x, from one exponential (as a reference integrand).
void tanh_functions(double x, double* out) {
  const double e = std::exp(-2.0 * std::fabs(x)), inv = 1.0 / (1.0 + e);
  const double t = std::copysign((1.0 - e) * inv, x), s2 = 4.0 * e * inv * inv;
  out[0] = t;
  out[1] = t * t;
  out[2] = s2;
  out[3] = s2 * t;
  out[4] = s2 * s2;
  out[5] = std::fabs(x) + std::log1p(e);                  // ln 2cosh x
  out[6] = std::log1p(e) + 2.0 * std::fabs(x) * e * inv;  // ln 2cosh x - x tanh x
}

std::array<double, 7> components(const TanhMoments& m) {
  return {m.tanh, m.tanh2, m.sech2, m.sech2_tanh, m.sech4, m.log_2cosh, m.entropy};
}

}  // namespace

TEST_CASE("tanh_moments: every component against gaussian_expectation at tol 3e-16" *
          doctest::test_suite("validation")) {
  // x = beta (a + s z) over beta from 0.5 to 1000, kinks inside and far outside |z| < 9, widths
  // 1 / (beta s) from 5e-5 to 100 (both rules of tanh_moments and all three of its meshes).
  // Reference: the adaptive rule with abs_tol = rel_tol = 3e-16 (it converges at all these points);
  // measured differences are below 6e-16 (8e-16 relative for ln 2cosh), rounding in both.
  QuadratureOptions tight;
  tight.abs_tol = 3e-16;
  tight.rel_tol = 3e-16;
  tight.cutoff = 12.0;
  tight.max_panels = 20000;
  int points = 0;
  for (const double beta : {0.5, 1.0, 3.0, 10.0, 50.0, 200.0, 1000.0})
    for (const double a : {0.0, 1e-9, 0.05, -0.4, 1.0, -2.5})
      for (const double s : {0.02, 0.1, 0.4, 1.0, 3.0}) {
        const double x0 = beta * a, sigma = beta * s;
        INFO("beta = " << beta << ", a = " << a << ", s = " << s);
        const QuadratureResult ref = gaussian_expectation(
            7, [&](double z, double* out) { tanh_functions(x0 + sigma * z, out); },
            {{-a / s, 1.0 / sigma}}, tight);
        REQUIRE(ref.converged);
        const std::array<double, 7> v = components(tanh_thermodynamic_moments(x0, sigma));
        for (int j = 0; j < 7; ++j) {
          INFO("component " << j);
          if (j == 5)  // ln 2cosh x grows like |x0|
            CHECK(v[j] == relative(ref[j], 2e-15));
          else
            CHECK(std::fabs(v[j] - ref[j]) <= 2e-15);
        }
        // The map's and the Jacobian's functions compute the same values.
        const TanhMoments m = tanh_moments(x0, sigma), d = tanh_derivative_moments(x0, sigma);
        CHECK(m.tanh == v[0]);
        CHECK(m.tanh2 == v[1]);
        CHECK(m.sech2 == v[2]);
        CHECK(d.sech2_tanh == v[3]);
        CHECK(d.sech4 == v[4]);
        ++points;
      }
  CHECK(points == 210);
}

TEST_CASE("tanh_moments: derivatives in x0 and sigma by central differences") {
  // d/dx0 E g(x) = E g'(x) and d/dsigma E g(x) = sigma E g''(x) (Stein): the components must be
  // consistent with each other, on both rules and across the mesh boundaries sigma = 1/2, 1, 2.
  //   g = ln 2cosh: g' = tanh, g'' = sech^2;  g = tanh: g' = sech^2, g'' = -2 sech^2 tanh.
  for (const double sigma : {0.1, 0.3, 0.49, 0.5, 0.7, 1.0, 1.5, 2.0, 5.0, 40.0})
    for (const double x0 : {0.0, 0.2, -1.3, 4.0, 25.0}) {
      INFO("x0 = " << x0 << ", sigma = " << sigma);
      const TanhMoments m = tanh_thermodynamic_moments(x0, sigma);
      const double h = 1e-5 * std::max(1.0, sigma);
      const TanhMoments xp = tanh_thermodynamic_moments(x0 + h, sigma);
      const TanhMoments xm = tanh_thermodynamic_moments(x0 - h, sigma);
      // At a boundary the two evaluations use different rules: their values agree to ~1e-16,
      // which the difference quotient turns into ~1e-10.
      const double hs = 1e-6 * sigma;
      const TanhMoments sp = tanh_thermodynamic_moments(x0, sigma + hs);
      const TanhMoments sm = tanh_thermodynamic_moments(x0, sigma - hs);
      // O(h^2) truncation plus rounding ~1e-15 |g| / h.
      const double tol = 1e-8 * (1.0 + std::fabs(x0));
      CHECK((xp.log_2cosh - xm.log_2cosh) / (2 * h) == absolute(m.tanh, tol));
      CHECK((xp.tanh - xm.tanh) / (2 * h) == absolute(m.sech2, tol));
      CHECK((xp.sech2 - xm.sech2) / (2 * h) == absolute(-2.0 * m.sech2_tanh, tol));
      CHECK((sp.log_2cosh - sm.log_2cosh) / (2 * hs) == absolute(sigma * m.sech2, tol));
      CHECK((sp.tanh - sm.tanh) / (2 * hs) == absolute(-2.0 * sigma * m.sech2_tanh, tol));
    }
}

TEST_CASE("tanh_moments: limits, symmetries and work counts") {
  // sigma = 0: the functions at x0.
  double f[7];
  tanh_functions(0.7, f);
  const std::array<double, 7> at = components(tanh_thermodynamic_moments(0.7, 0.0));
  for (int j = 0; j < 7; ++j) CHECK(at[j] == relative(f[j], 1e-15));
  // Odd and even components, the sign of sigma, tanh^2 + sech^2 = 1.
  for (const double sigma : {0.2, 0.8, 3.0, 300.0})
    for (const double x0 : {0.0, 0.3, 2.0, 60.0}) {
      INFO("x0 = " << x0 << ", sigma = " << sigma);
      const TanhMoments p = tanh_derivative_moments(x0, sigma);
      const TanhMoments n = tanh_derivative_moments(-x0, -sigma);
      CHECK(std::fabs(p.tanh + n.tanh) <= 1e-15);
      CHECK(std::fabs(p.sech2_tanh + n.sech2_tanh) <= 1e-15);
      CHECK(std::fabs(p.sech2 - n.sech2) <= 1e-15);
      CHECK(std::fabs(p.sech4 - n.sech4) <= 1e-15);
      CHECK(std::fabs(p.tanh2 + p.sech2 - 1.0) <= 2e-16);
      if (x0 == 0.0) {
        CHECK(p.tanh == 0.0);
        CHECK(p.sech2_tanh == 0.0);
      }
      // At most 168 nodes: Gauss-Hermite 32-64 below sigma = 1/2, above it up to 46-84 on each
      // side of the kink, none where the kink is 20 widths beyond |z| = 9 (x0 = 60 here).
      CHECK(p.evaluations <= 168);
      if (sigma < 0.5) CHECK(p.evaluations >= 32);
    }
  CHECK(tanh_moments(0.3, 3.0).evaluations <= 100);
  // beta -> infinity: E tanh(beta (a + s z)) -> E sign = 1 - 2 H(a / s), with the correction
  // -(pi^2 / 12) p'(0) / beta^2, p'(0) = a phi(a / s) / s^3 (see the beta = 1000 test above).
  // The O(beta^-4) remainder: 2e-13 at beta = 1000, 2e-17 at 1e4 (measured).
  for (const double beta : {1e4, 1e5, 1e8}) {
    const double a = 0.3, s = 0.8;
    const double sign_mean = 1.0 - 2.0 * saddle::H(a / s);
    const double correction =
        -kPi * kPi / (12.0 * beta * beta) * a * saddle::phi(a / s) / (s * s * s);
    const TanhMoments m = tanh_thermodynamic_moments(beta * a, beta * s);
    CHECK(m.tanh == absolute(sign_mean + correction, 1e-14));
    // E sech^2(beta u) = p(0) int sech^2 / beta + O(beta^-3) = 2 phi(a / s) / (s beta).
    CHECK(m.sech2 == relative(2.0 * saddle::phi(a / s) / (s * beta), 1e-5));
    // E ln 2cosh(beta u) / beta -> E |u| = a erf(a / (s sqrt2)) + 2 s phi(a / s).
    const double mean_abs = a * std::erf(a / (s * saddle::kSqrt2)) + 2.0 * s * saddle::phi(a / s);
    CHECK(m.log_2cosh / beta == relative(mean_abs, 1e-5));
  }
  // sigma = inf: E tanh = E sech^2 = 0; infinite x0: the sign; NaN propagates.
  const TanhMoments wide = tanh_moments(0.4, kInf);
  CHECK(wide.tanh == 0.0);
  CHECK(wide.sech2 == 0.0);
  CHECK(wide.tanh2 == 1.0);
  for (const double sigma : {0.0, 0.1, 1.0}) {
    const TanhMoments up = tanh_thermodynamic_moments(kInf, sigma);
    CHECK(up.tanh == 1.0);
    CHECK(up.sech2 == 0.0);
    CHECK(up.log_2cosh == kInf);
    CHECK(up.entropy == 0.0);
    CHECK(tanh_moments(-kInf, sigma).tanh == -1.0);
  }
  for (const TanhMoments& m :
       {tanh_thermodynamic_moments(std::nan(""), 1.0),
        tanh_thermodynamic_moments(0.5, std::nan("")), tanh_thermodynamic_moments(kInf, kInf)}) {
    for (const double v : components(m)) CHECK(std::isnan(v));
  }
}

TEST_CASE("tanh_moments is thread-safe: concurrent calls agree bitwise with serial ones") {
  const auto work = [](int i, std::vector<double>& out) {
    for (int k = 0; k < 40; ++k) {
      const TanhMoments m = tanh_thermodynamic_moments(0.37 * (i - k % 5), 0.05 + 0.11 * k);
      for (const double v : components(m)) out.push_back(v);
    }
  };
  constexpr int kThreads = 8;
  std::vector<std::vector<double>> parallel(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(work, i, std::ref(parallel[i]));
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    std::vector<double> serial;
    work(i, serial);
    CHECK(parallel[i] == serial);
  }
}
