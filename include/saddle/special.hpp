// Special functions that every replica computation relies on, stable over the whole real line.
//
//   phi(x)      = exp(-x^2/2) / sqrt(2 pi)              standard normal density
//   H(x)        = erfc(x / sqrt 2) / 2 = P(z > x)        Gaussian tail
//   log_H(x)    = log H(x), finite for all x: for large positive x H underflows, so an
//                 asymptotic (erfcx-based) form is used; for large negative x, log H -> 0-.
//   mills(x)    = phi(x) / H(x), the inverse Mills ratio, without 0/0 for large x
//                 (behaves like x + 1/x - ... as x -> +inf, and like phi(x) -> 0 as x -> -inf).
//   log_2cosh(x)= log(2 cosh x) = |x| + log1p(exp(-2|x|)), no overflow.
//   erfcx(x)    = exp(x^2) erfc(x), scaled complementary error function.
//
// All are accurate to a few ulps relative on [-40, 40] (tests/core/special_test.cpp).
#pragma once

namespace saddle {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kSqrt2 = 1.41421356237309504880;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2 pi)

double phi(double x);
double H(double x);
double log_H(double x);
double mills(double x);
double log_2cosh(double x);
double erfcx(double x);

}  // namespace saddle
