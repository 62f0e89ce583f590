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
// Both are vector-valued: f writes k <= kMaxComponents values for one z, so the moments that a
// saddle-point map needs (E tanh, E tanh^2, ...) share one set of nodes. Tolerances are absolute
// per component, plus a relative part (max over components of |value|).
//
// And one fixed rule for the family that Ising-spin models evaluate at every map call: tanh_moments
// (E tanh, tanh^2, sech^2, ... of x0 + sigma z), as accurate as gaussian_expectation at its default
// options and 30 to 45 times faster than it with a Feature (bench/bench_quadrature.cpp).
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

// Gaussian expectations of tanh and its relatives at x = x0 + sigma z, z ~ N(0, 1): the moments in
// the saddle-point equations of Ising spins in a Gaussian field (SK, Hopfield: x = beta (a + s z),
// so x0 = beta a and sigma = beta s). A fixed rule for this family, no adaptivity and no
// allocation: at most 168 nodes per call (mostly 60 to 100; none when the kink lies 20 widths
// beyond |z| = 9), one exponential per node, against ~450 integrand calls of gaussian_expectation
// with a Feature for the same values.
//  - sigma >= 1/2 (the kink is at most 2 wide in z): tanh = sign + (tanh - sign), E sign(x) =
//    erf(x0 / (sigma sqrt 2)) and E |x| in closed form; the rest (tanh - sign, the powers of sech,
//    ln 2cosh x - |x|, the entropy term) is below 2e-16 beyond |x| = 20 and is integrated by
//    Gauss-Legendre panels fixed in x on each side of the kink, so that the functions of x at the
//    nodes are tabulated once and a node costs one exponential (the Gaussian density). Panels whose
//    z range lies beyond |z| = 9 are skipped.
//  - sigma < 1/2: the integrands are analytic in a strip of half-width pi / (2 sigma) > pi around
//    the real z axis, and Gauss-Hermite rules of order 64, 40 or 32 (by sigma) converge.
// The panels and orders make the error of each component below 1e-16 in exact arithmetic (checked
// against long-double references at all kink positions and widths). In double precision, against
// long-double references at 1e5 points (x0, sigma), sigma from 1e-4 to 1e4, the measured maximum
// absolute error is 8.8e-16 for sech4 (where it is near 1) and below 6e-16 for the others, and
// 8e-16 relative for log_2cosh (which grows like |x0|): rounding. bench/bench_quadrature.cpp prints
// the comparison with gaussian_expectation.
// sigma = 0 gives the values at x0 and sigma = inf the limits (E tanh = 0, E sech^2 = 0); infinite
// x0 gives tanh = sign(x0); the sign of sigma does not matter; NaN, or both infinite, gives NaN.
struct TanhMoments {
  double tanh = 0.0;   // E tanh(x)
  double tanh2 = 0.0;  // E tanh^2(x)
  double sech2 = 0.0;  // E sech^2(x) = 1 - E tanh^2(x), without cancellation where tanh^2 -> 1
  // From tanh_derivative_moments and tanh_thermodynamic_moments (0 otherwise), for Jacobians:
  // d/dx0 E tanh = E sech^2, d/dx0 E sech^2 = -2 E sech^2 tanh, E sech^2 tanh^2 = E sech^2 -
  // E sech^4.
  double sech2_tanh = 0.0;  // E sech^2(x) tanh(x)
  double sech4 = 0.0;       // E sech^4(x)
  // From tanh_thermodynamic_moments only (0 otherwise): free energy and entropy of a spin.
  double log_2cosh = 0.0;  // E ln 2cosh(x)
  double entropy = 0.0;    // E [ln 2cosh(x) - x tanh(x)]
  int evaluations = 0;     // nodes, each one exponential (the work count)
};
TanhMoments tanh_moments(double x0, double sigma);
TanhMoments tanh_derivative_moments(double x0, double sigma);
TanhMoments tanh_thermodynamic_moments(double x0, double sigma);

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
