#include "saddle/special.hpp"

#include <cmath>

namespace saddle {
namespace {

constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Lo = -4.8336466567264565186e-17;  // 1/sqrt2 - kInvSqrt2
constexpr double kInvSqrtPi = 0.56418958354775628695;
constexpr double kSqrt2OverPi = 0.79788456080286535588;

// exp(-x^2/2) with x^2 split into hi + lo (fma): the rounding of x^2 alone would cost
// x^2/2 ulps of relative accuracy, 800 ulps at x = 40.
double exp_minus_half_square(double x) {
  const double hi = x * x;
  if (hi > 1500.0) return 0.0;  // underflows anyway; avoids inf * 0 below
  const double lo = std::fma(x, x, -hi);
  return std::exp(-0.5 * hi) * (1.0 - 0.5 * lo);
}

// Asymptotic series erfcx(x) = 1/(x sqrt(pi)) sum_k (-1)^k (2k-1)!! / (2x^2)^k, used for x >= 26
// where it reaches full precision in at most 9 terms.
double erfcx_asymptotic(double x) {
  if (x > 1e8) return kInvSqrtPi / x;
  const double r = 0.5 / (x * x);
  double term = 1.0, sum = 1.0;
  for (int k = 1; k < 20 && std::fabs(term) > 1e-18; ++k) {
    term *= -(2 * k - 1) * r;
    sum += term;
  }
  return kInvSqrtPi / x * sum;
}

}  // namespace

double phi(double x) {
  return kInvSqrt2Pi * exp_minus_half_square(x);
}

double H(double x) {
  const double t = x * kInvSqrt2;
  // erfc has relative condition number 2 t^2 for large t, so the rounding of t = x / sqrt2 alone
  // would cost x^2 ulps; the first-order Taylor term in the rounding error t_lo restores it.
  if (x <= 1.0 || x >= 40.0) return 0.5 * std::erfc(t);
  const double t_lo = std::fma(x, kInvSqrt2, -t) + x * kInvSqrt2Lo;
  return 0.5 * std::erfc(t) - t_lo * kInvSqrtPi * std::exp(-t * t);
}

double log_H(double x) {
  if (x < 0.0) return std::log1p(-H(-x));
  // erfcx is well conditioned (relative condition number <= 1.2 on x >= 0), so the rounding of
  // x / sqrt2 does not matter here.
  return std::log(0.5 * erfcx(x * kInvSqrt2)) - 0.5 * x * x;
}

double mills(double x) {
  if (x < 0.0) return phi(x) / H(x);  // H in [1/2, 1]: no cancellation
  return kSqrt2OverPi / erfcx(x * kInvSqrt2);
}

double log_2cosh(double x) {
  const double a = std::fabs(x);
  return a + std::log1p(std::exp(-2.0 * a));
}

double erfcx(double x) {
  if (x < -26.7) return HUGE_VAL;  // exp(x^2) erfc(x) > 2 exp(712): overflows
  if (x < 26.0) {                  // erfc(x) is still a normal number
    const double hi = x * x;
    const double lo = std::fma(x, x, -hi);
    return std::exp(hi) * (1.0 + lo) * std::erfc(x);
  }
  return erfcx_asymptotic(x);
}

}  // namespace saddle
