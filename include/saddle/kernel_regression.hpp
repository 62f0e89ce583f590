// Spectral theory of kernel ridge regression learning curves (Bordelon, Canatar, Pehlevan, ICML
// 2020; Canatar, Bordelon, Pehlevan, Nat. Commun. 12, 2914 (2021)). Shared by the
// kernel_regression model (models/dmft/kernel_regression.cpp), its simulator (apps/sim/) and tests.
//
// A kernel with Mercer eigenvalues eta_k (k = 1..M) under the data distribution, a target with
// power v_k^2 in mode k (E f*(x)^2 = sum_k v_k^2), p samples with label noise of variance sigma^2
// and ridge lambda (predictor k(x)^T (K + lambda I)^{-1} y with the unnormalised Gram matrix K):
//   kappa = lambda + kappa sum_k eta_k / (p eta_k + kappa)                       (self-consistency)
//   gamma = sum_k p eta_k^2 / (p eta_k + kappa)^2                         (= dF/dkappa of the map)
//   E_k   = kappa^2 v_k^2 / ((p eta_k + kappa)^2 (1 - gamma))                     (per-mode error)
//   E_g   = sum_k E_k + sigma^2 gamma / (1 - gamma)           (test error without the label noise)
#pragma once

#include <Eigen/Dense>

namespace saddle::krr {

struct Spectrum {
  Eigen::VectorXd eta;    // kernel eigenvalues, decreasing
  Eigen::VectorXd power;  // target power per mode v_k^2
};

// eta_k = k^-decay / Z, v_k^2 = k^-target_decay / Z' (both normalised to sum 1).
Spectrum power_law_spectrum(int modes, double decay, double target_decay);
// eta_k = v_k^2 = 1 / M: isotropic features and target (Hastie et al. 2019, linear ridge).
Spectrum white_spectrum(int modes);

struct Prediction {
  double kappa = 0, gamma = 0;
  double error = 0;     // E_g
  double bias = 0;      // sum_k E_k (the signal part)
  double variance = 0;  // sigma^2 gamma / (1 - gamma) (the noise part)
  Eigen::VectorXd mode_errors;
};

// kappa -> lambda + kappa sum_k eta_k / (p eta_k + kappa): the map solved for kappa.
double kappa_map(const Spectrum& s, double p, double lambda, double kappa);
// Everything else at a given kappa (normally the fixed point).
Prediction predict(const Spectrum& s, double p, double lambda, double noise, double kappa);
// Largest root of kappa = kappa_map(kappa) by safeguarded Newton from the upper bound
// lambda + sum_k eta_k (the map is increasing and concave in kappa, so iterates decrease
// monotonically onto the largest root; ridgeless with p > M gives kappa = 0).
double solve_kappa(const Spectrum& s, double p, double lambda, double tol = 1e-14);

}  // namespace saddle::krr
