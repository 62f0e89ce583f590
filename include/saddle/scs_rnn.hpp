// Dynamical mean-field theory of the random rate network dx_i/dt = -x_i + sum_j J_ij phi(x_j),
// J_ij ~ N(0, g^2/N) (Sompolinsky, Crisanti, Sommers, Phys. Rev. Lett. 61, 259 (1988)). Shared by
// the scs_rnn models (models/dmft/scs_rnn.cpp), the network simulator (apps/sim/) and tests.
//
// The autocorrelation Delta(tau) = <x(t) x(t + tau)> obeys Newton's equation of a particle,
//   Delta'' = Delta - g^2 C_phi(Delta; Delta_0) = -dV/dDelta,
//   V(Delta; Delta_0) = -Delta^2/2 + g^2 C_Phi(Delta; Delta_0),   Phi' = phi,
// with C_f(Delta; Delta_0) = E f(u) f(v), (u, v) Gaussian with variances Delta_0 and covariance
// Delta (Price's theorem: dC_Phi/dDelta = C_phi). The chaotic solution starts at rest at Delta_0
// and reaches Delta = 0 as tau -> infinity, so energy conservation fixes Delta_0:
//   V(Delta_0; Delta_0) = V(0; Delta_0)  <=>  Delta_0^2 / 2 = g^2 Var Phi(sqrt(Delta_0) z).
// Near Delta = 0 (odd phi): Delta'' = (1 - g^2 <phi'>^2) Delta, so Delta ~ exp(-tau / tau_c) with
//   tau_c = 1 / sqrt(1 - g^2 <phi'(sqrt(Delta_0) z)>^2).
#pragma once

#include <string>

namespace saddle::scs {

// tanh, erf(sqrt(pi) x / 2) or sin: odd, of slope 1 at 0, so the transition is at g = 1 for all.
enum class Activation { kTanh, kErf, kSin };
Activation activation_from_string(const std::string& s);  // "tanh" | "erf" | "sin"

double phi(Activation a, double x);
double Phi(Activation a, double x);  // the antiderivative with Phi(0) = 0
double dphi(Activation a, double x);

// g sqrt(2 Var Phi(sqrt(Delta_0) z)): Delta_0 is a fixed point of this map (Delta_0 = 0 always is).
double delta0_map(Activation a, double g, double delta0);
// The chaotic root Delta_0 > 0 for g > 1 (Brent's method, to ~1e-15 relative).
double solve_delta0(Activation a, double g);

double c_phi(Activation a, double delta, double delta0);  // C_phi(Delta; Delta_0)
double c_Phi(Activation a, double delta, double delta0);  // C_Phi(Delta; Delta_0)
double potential(Activation a, double g, double delta, double delta0);
// 1 / sqrt(1 - g^2 <phi'>^2) at Delta_0 (infinity when that is <= 0).
double correlation_time(Activation a, double g, double delta0);

}  // namespace saddle::scs
