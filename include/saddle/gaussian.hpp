// Gaussian expectations E_z[f(z)], z ~ N(0, 1), and E[f(u, v)] for correlated Gaussian pairs.
//
// Two methods, for two kinds of integrand:
//  - gauss_hermite_expectation: smooth integrands (analytic in a strip around the real axis).
//    The order is doubled from n_min until two successive rules agree to the tolerance.
//  - gaussian_expectation: adaptive Gauss-Legendre on [-cutoff, cutoff] with global error control,
//    for integrands that are nearly steps or concentrate: tanh(beta (a + s z)) at large beta,
//    channel integrands of teacher-student models as q -> 1. The caller names the places where the
//    integrand changes abruptly (Feature: centre and width), the initial mesh is refined there, and
//    the adaptive bisection does the rest. Gauss-Hermite rules look converged on such integrands
//    while being wrong in the fourth digit (tanh(10 z)); do not use them there.
//
// Both are vector-valued: f writes k <= kMaxComponents values for one z, so the moments that a
// saddle-point map needs (E tanh, E tanh^2, ...) share one set of nodes. Tolerances are absolute
// per component, plus a relative part (max over components of |value|).
#pragma once

#include <array>
#include <vector>

#include "saddle/function_ref.hpp"

namespace saddle {

inline constexpr int kMaxComponents = 8;

struct QuadratureResult {
  std::array<double, kMaxComponents> value{};  // first k entries are meaningful
  double error = 0.0;                          // estimated absolute error (max over components)
  int evaluations = 0;                         // calls of f
  int panels = 0;                              // adaptive: final number of panels; GH: order
  bool converged = false;                      // error <= abs_tol + rel_tol * max|value|
  double operator[](int i) const { return value[static_cast<std::size_t>(i)]; }
};

// A place where the integrand changes abruptly, in z units: for tanh(beta (a + s z)) the kink is
// at center = -a / s with width = 1 / (beta s).
struct Feature {
  double center = 0.0;
  double width = 1.0;
};

struct QuadratureOptions {
  // Absolute error target per component. Default: well below the default solver tolerance 1e-12.
  double abs_tol = 1e-14;
  // Relative error target (relative to the largest |component|).
  double rel_tol = 1e-13;
  // Integration range in z is [-cutoff, cutoff]: the neglected Gaussian mass is 2 H(cutoff),
  // 1.5e-23 at 10; integrands growing polynomially are safe, exponentially growing ones are not.
  double cutoff = 10.0;
  // Upper bound on the number of adaptive panels; reaching it sets converged = false.
  int max_panels = 2000;
  // Throws InputError naming the field when a value is out of range.
  void validate() const;
};

// Adaptive Gauss-Legendre expectation (see top of file). f(z, out) writes k values.
QuadratureResult gaussian_expectation(int k, FunctionRef<void(double, double*)> f,
                                      const std::vector<Feature>& features = {},
                                      const QuadratureOptions& options = {});

// Nodes and weights of the n-point Gauss-Hermite rule for the standard normal weight:
// sum_i weights[i] f(nodes[i]) ~ E f(z). Rules are computed once and cached (thread-safe).
struct GaussHermiteRule {
  std::vector<double> nodes;
  std::vector<double> weights;
};
const GaussHermiteRule& gauss_hermite_rule(int n);

// Gauss-Hermite expectation with order doubling n_min, 2 n_min, ... <= n_max until two successive
// estimates agree within tol (absolute, per component). converged = false if n_max is reached.
QuadratureResult gauss_hermite_expectation(int k, FunctionRef<void(double, double*)> f,
                                           double tol = 1e-12, int n_min = 16, int n_max = 512);

// E f(u, v) for (u, v) ~ N(0, [[c11, c12], [c12, c22]]), by a tensor Gauss-Hermite rule on the
// Cholesky factor, order doubled until two estimates agree within tol. Degenerate covariances
// (c11 = 0, or correlation +-1) are handled by the factorisation, not rejected; a matrix that is
// not positive semi-definite (beyond rounding) throws InputError.
QuadratureResult correlated_expectation(int k, FunctionRef<void(double, double, double*)> f,
                                        double c11, double c12, double c22, double tol = 1e-10,
                                        int n_min = 16, int n_max = 256);

}  // namespace saddle
