// Special functions against independent evaluations: x87 extended precision (long double, 64-bit
// mantissa, so its H(40) ~ 1e-350 does not underflow), GSL's gsl_sf_log_erfc, asymptotic series,
// and a few values from mpmath 1.3 at 40 digits. Tolerances are "a few ulps" (special.hpp).
#include "saddle/special.hpp"

#include <doctest/doctest.h>
#include <gsl/gsl_sf_erf.h>

#include <cfloat>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

using saddle::erfcx;
using saddle::H;
using saddle::log_2cosh;
using saddle::log_H;
using saddle::mills;
using saddle::phi;
using Long = long double;

// special.hpp promises a few ulps; the worst measured on x86-64 glibc is 3.1 eps (mills near 7).
// 6 eps leaves room for another libm's erfc. References are accurate to ~1 double ulp or better
// (extended precision; its argument rounding x / sqrt2 costs x^2 * 5e-20 relative in erfcl).
constexpr double kFewUlps = 6 * DBL_EPSILON;

const Long kSqrt2L = std::sqrt(2.0L);
const Long kSqrt2PiL = std::sqrt(2.0L * 3.14159265358979323846264338327950288L);

Long H_ref(double x) {
  return 0.5L * std::erfc(static_cast<Long>(x) / kSqrt2L);
}
Long log_H_ref(double x) {
  return x < 0 ? std::log1p(-H_ref(-x)) : std::log(H_ref(x));  // log1p: H(x < 0) is near 1
}
Long phi_ref(double x) {
  return std::exp(-static_cast<Long>(x) * x / 2) / kSqrt2PiL;
}
Long mills_ref(double x) {
  return phi_ref(x) / H_ref(x);
}
Long erfcx_ref(double x) {
  const Long y = x;
  return std::exp(y * y) * std::erfc(y);  // long double range: valid for |x| < 106
}

// [-40, 40] in steps of 0.01, plus points that are not multiples of the step.
std::vector<double> grid() {
  std::vector<double> xs;
  for (int i = 0; i <= 8000; ++i) xs.push_back(-40.0 + 0.01 * i);
  for (int i = 0; i < 997; ++i) xs.push_back(-39.9871 + 0.0801317 * i);
  return xs;
}

// The grid point where value deviates most (relative) from ref, among points where ref is a normal
// double: relative accuracy is meaningless for subnormal or underflowed results.
struct Worst {
  double x = 0.0;
  double value = 0.0;
  Long ref = 0.0;
  double rel = -1.0;
};

Worst worst_point(const std::function<double(double)>& value,
                  const std::function<Long(double)>& ref, const std::vector<double>& xs) {
  Worst w;
  for (const double x : xs) {
    const Long r = ref(x);
    if (!(std::fabs(r) >= DBL_MIN) || std::fabs(r) > DBL_MAX) continue;
    const double v = value(x);
    const double rel = static_cast<double>(std::fabs((v - r) / r));
    if (!(rel <= w.rel)) w = {x, v, r, rel};
  }
  return w;
}

void check_relative(const char* name, const std::function<double(double)>& value,
                    const std::function<Long(double)>& ref, const std::vector<double>& xs,
                    double tol) {
  const Worst w = worst_point(value, ref, xs);
  INFO(std::string(name), ": worst at x = ", w.x, ", relative error ", w.rel / DBL_EPSILON, " eps");
  REQUIRE(w.rel >= 0.0);
  CHECK(w.value == doctest::Approx(static_cast<double>(w.ref)).epsilon(tol).scale(0.0));
}

}  // namespace

TEST_CASE("special: phi, H, log_H, mills, erfcx, log_2cosh match extended precision on [-40, 40]") {
  const std::vector<double> xs = grid();
  check_relative("phi", phi, phi_ref, xs, kFewUlps);
  check_relative("H", H, H_ref, xs, kFewUlps);
  check_relative("log_H", log_H, log_H_ref, xs, kFewUlps);
  check_relative("mills", mills, mills_ref, xs, kFewUlps);
  check_relative(
      "log_2cosh", log_2cosh,
      [](double x) { return std::log(2.0L * std::cosh(static_cast<Long>(x))); }, xs, kFewUlps);
  // erfcx overflows (legitimately) below -26.64; the extended reference is valid to 106.
  std::vector<double> ys;
  for (int i = 0; i <= 12600; ++i) ys.push_back(-26.0 + 0.01 * i);
  check_relative("erfcx", erfcx, erfcx_ref, ys, kFewUlps);
}

TEST_CASE("special: values from mpmath (40 digits)") {
  // mpmath 1.3: log(erfc(x / sqrt(2)) / 2), phi(x) / H(x), exp(x^2) erfc(x) at mp.dps = 40.
  const auto rel = [](double v) { return doctest::Approx(v).epsilon(kFewUlps).scale(0.0); };
  CHECK(log_H(40.0) == rel(-804.60844201375378817));
  CHECK(log_H(37.0) == rel(-689.0305855768905936));
  CHECK(log_H(5.0) == rel(-15.064998393988725736));
  CHECK(log_H(1.0) == rel(-1.8410216450092635058));
  CHECK(log_H(-1.0) == rel(-0.17275377902344988953));
  CHECK(log_H(-5.0) == rel(-2.8665161296376359338e-7));
  CHECK(H(37.0) == rel(5.7255712225245768227e-300));
  CHECK(H(20.0) == rel(2.7536241186062336951e-89));
  CHECK(mills(40.0) == rel(40.024968847207263723));
  CHECK(mills(5.0) == rel(5.1865039671258421156));
  CHECK(mills(-1.0) == rel(0.28759997093917836123));
  CHECK(mills(-20.0) == rel(5.5209483621597631896e-88));
  CHECK(erfcx(-26.5) == rel(1.9245531624185688092e+305));
  CHECK(erfcx(-10.0) == rel(5.3762342836322708968e+43));
  CHECK(erfcx(0.5) == rel(0.61569034419292587487));
  CHECK(erfcx(30.0) == rel(0.018795888861416751497));
  CHECK(erfcx(1e4) == rel(0.000056418958072680841152));
  CHECK(erfcx(1e8) == rel(5.6418958354775625874e-9));
}

TEST_CASE("special: log_H agrees with GSL gsl_sf_log_erfc and with the asymptotic series") {
  // GSL's log_erfc(x / sqrt2) - log 2 is an independent implementation, a few ulps on x >= -1
  // (below, its log(erfc) near log 2 loses the relative accuracy of log H ~ -H(-x)).
  double worst = 0.0, worst_x = 0.0;
  for (double x = -1.0; x <= 40.0; x += 0.0173) {
    const double g = gsl_sf_log_erfc(x / saddle::kSqrt2) - std::log(2.0);
    const double rel = std::fabs((log_H(x) - g) / g);
    if (rel > worst) {
      worst = rel;
      worst_x = x;
    }
  }
  INFO("worst at x = ", worst_x);
  CHECK(worst <= 2 * kFewUlps);  // both sides are a few ulps off

  // log H(x) = -x^2/2 - log(x sqrt(2 pi)) + log(1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), summed in
  // extended precision; the first omitted term is below 1e-24 for x >= 38.
  for (const double x : {38.0, 39.25, 40.0}) {
    const Long y = x, r = 1.0L / (y * y);
    Long term = 1.0L, sum = 1.0L;
    for (int k = 1; k <= 12; ++k) sum += (term *= -(2 * k - 1) * r);
    const Long ref = -y * y / 2 - std::log(y * kSqrt2PiL) + std::log(sum);
    CHECK(log_H(x) == doctest::Approx(static_cast<double>(ref)).epsilon(kFewUlps).scale(0.0));
  }
}

TEST_CASE("special: finite everywhere on [-40, 40], with the right limits") {
  for (const double x : grid()) {
    INFO("x = ", x);
    REQUIRE(std::isfinite(log_H(x)));
    REQUIRE(std::isfinite(mills(x)));
    REQUIRE(std::isfinite(log_2cosh(x)));
    REQUIRE(std::isfinite(H(x)));
    REQUIRE(std::isfinite(phi(x)));
  }
  // Beyond [-40, 40]: limits instead of NaN.
  CHECK(log_H(-1e300) == 0.0);
  CHECK(log_H(1e10) == doctest::Approx(-5e19).epsilon(kFewUlps).scale(0.0));
  CHECK(mills(-1e300) == 0.0);
  CHECK(H(1e300) == 0.0);
  CHECK(phi(1e200) == 0.0);
  CHECK(log_2cosh(1e300) == 1e300);
  CHECK(log_2cosh(-800.0) == 800.0);
  // erfcx: finite down to -26.6 (2 exp(707.6) ~ 2e307), inf once exp(x^2) erfc(x) > DBL_MAX.
  CHECK(std::isfinite(erfcx(-26.6)));
  CHECK(erfcx(-26.65) == std::numeric_limits<double>::infinity());
  CHECK(erfcx(-1e300) == std::numeric_limits<double>::infinity());
  CHECK(erfcx(1e300) ==
        doctest::Approx(1e-300 / std::sqrt(saddle::kPi)).epsilon(kFewUlps).scale(0));
  CHECK(std::isnan(H(std::nan(""))));
  CHECK(std::isnan(erfcx(std::nan(""))));
}

TEST_CASE("special: identities H(x) + H(-x) = 1, mills(x) > x, log_2cosh even") {
  CHECK(H(0.0) == 0.5);
  CHECK(log_H(0.0) == doctest::Approx(-std::log(2.0)).epsilon(kFewUlps).scale(0.0));
  CHECK(phi(0.0) == doctest::Approx(saddle::kInvSqrt2Pi).epsilon(DBL_EPSILON).scale(0.0));
  CHECK(mills(0.0) == doctest::Approx(2 * saddle::kInvSqrt2Pi).epsilon(kFewUlps).scale(0.0));
  CHECK(log_2cosh(0.0) == doctest::Approx(std::log(2.0)).epsilon(DBL_EPSILON).scale(0.0));
  for (const double x : grid()) {
    INFO("x = ", x);
    // Each of H(x), H(-x) is within a few ulps of its value, both <= 1.
    CHECK(H(x) + H(-x) == doctest::Approx(1.0).epsilon(4 * DBL_EPSILON).scale(0.0));
    CHECK(mills(x) > x);
    CHECK(mills(x) >= 0.0);  // 0 only where phi(x) < 5e-324 underflows (x < -38.6)
    CHECK(log_2cosh(-x) == log_2cosh(x));
    CHECK(log_2cosh(x) >= std::fabs(x));
  }
}

TEST_CASE("special: mills ratio asymptotics") {
  // x -> +inf: mills(x) = x (1 + 1/x^2 - 2/x^4 + 10/x^6 - 74/x^8 + 706/x^10 - 8162/x^12 + ...)
  // (inverse of the Laplace continued fraction of H / phi); the first omitted term, 110410/x^13,
  // is below 1e-15 for x >= 35.
  for (const double x : {35.0, 37.5, 40.0}) {
    const Long y = x, r = 1.0L / (y * y);
    const Long series = y * (1 + r * (1 + r * (-2 + r * (10 + r * (-74 + r * (706 + r * -8162))))));
    CHECK(mills(x) == doctest::Approx(static_cast<double>(series)).epsilon(kFewUlps).scale(0.0));
  }
  // x -> -inf: H(x) -> 1, so mills(x) -> phi(x); H(-30) = 1 - 5e-198 is 1 in double.
  CHECK(mills(-30.0) == doctest::Approx(phi(-30.0)).epsilon(kFewUlps).scale(0.0));
  CHECK(mills(-37.0) == doctest::Approx(phi(-37.0)).epsilon(kFewUlps).scale(0.0));
}

TEST_CASE("special: log_2cosh against log(2 cosh x) and |x| + log1p(exp(-2|x|))") {
  for (const double x : {-3.0, -0.5, 1e-8, 0.25, 2.0, 7.5}) {
    CHECK(log_2cosh(x) == doctest::Approx(std::log(2.0 * std::cosh(x))).epsilon(kFewUlps).scale(0));
  }
  // For large |x|: log(2 cosh x) = |x| + log(1 + exp(-2|x|)) = |x| + exp(-2|x|) - ...
  CHECK(log_2cosh(20.0) == doctest::Approx(20.0 + std::exp(-40.0)).epsilon(DBL_EPSILON).scale(0));
  CHECK(log_2cosh(-40.0) == 40.0);  // exp(-80) is below half an ulp of 40
}
