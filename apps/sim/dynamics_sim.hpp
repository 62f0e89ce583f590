// Finite-size simulators for the dynamics models (kernel_regression, committee_online, scs_rnn):
// each realises the theory's setting at finite size with fixed seeds, averages over runs, and
// reports the theory's column names plus a standard error ("<column>_sem") per averaged column.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "saddle/kernel_regression.hpp"

namespace saddle::sim {

// Runs of one simulator: `runs` independent realisations with seeds seed, seed + 1, ...
struct RunOptions {
  int runs = 20;  // >= 2 (a standard error needs two)
  std::uint64_t seed = 1;
  void validate() const;  // throws InputError naming "--runs"
};

// Mean and standard error of the mean over runs.
struct Estimate {
  double mean = 0, sem = 0;
};
Estimate estimate(const std::vector<double>& samples);

// Kernel ridge regression on Gaussian features x_k ~ N(0, eta_k) (the linear kernel x.x' then has
// Mercer eigenvalues eta_k), target f*(x) = sum_k beta_k x_k with eta_k beta_k^2 = v_k^2, labels
// y = f*(x) + N(0, noise). The predictor k(x)^T (K + lambda I)^{-1} y is solved in the smaller of
// the p x p (kernel) and M x M (primal) forms, and its test error is exact given the weights:
// E_g = sum_k eta_k (w_k - beta_k)^2 (no test sample). Ridgeless with p > M is least squares.
struct KrrSimResult {
  int p = 0;
  Estimate error;
  Estimate mode_errors[4];  // modes 1..4
  Estimate tail_error;      // modes > 4
};
KrrSimResult simulate_kernel_regression(const krr::Spectrum& spectrum, int p, double lambda,
                                        double noise, const RunOptions& runs);

}  // namespace saddle::sim

namespace saddle {
class OdeModel;
struct Point;
}  // namespace saddle

namespace saddle::sim {

// Online SGD of the soft committee machine at finite N (the setting of committee_online): teacher
// and student weights built from an orthonormal random basis so that the initial overlaps are
// exactly the model's initial state (T, Q, R at alpha = 0); one fresh Gaussian input per step;
// Q, R measured from the weights at steps round(alpha N), eps_g evaluated from them with the
// model's closed form (exact for Gaussian inputs given the weights). Needs N >= K + M.
struct CommitteeSimResult {
  std::vector<double> alphas;                // steps / N actually used
  std::vector<Eigen::VectorXd> state_means;  // mean over runs of the model's state vector
  std::vector<Estimate> eps_g;
};
CommitteeSimResult simulate_committee(const OdeModel& model, const Point& point,
                                      const std::vector<double>& alphas, int N,
                                      const RunOptions& runs);

}  // namespace saddle::sim

#include "saddle/scs_rnn.hpp"

namespace saddle::sim {

// The random rate network dx/dt = -x + J phi(x), J_ij ~ N(0, g^2/N) (zero diagonal not imposed),
// x_i(0) ~ N(0, 1), integrated by classical RK4 with step dt; after a transient, x is sampled every
// sample_dt for a window of length window, and Delta(tau) = <x_i(t) x_i(t + tau)> (average over
// neurons and times, no mean subtracted: the DMFT mean is 0) at tau = 0, sample_dt, ... <= tau_max.
// One network (J, x(0)) per run; the error bar is across networks.
struct RnnSimOptions {
  int N = 1000;
  double dt = 0.1;
  double transient = 50;
  double window = 200;
  double sample_dt = 0.5;
  double tau_max = 20;
  void validate() const;  // throws InputError naming the field
};
struct RnnSimResult {
  std::vector<double> taus;
  std::vector<Estimate> delta;
};
RnnSimResult simulate_rnn(scs::Activation activation, double g, const RnnSimOptions& options,
                          const RunOptions& runs);

}  // namespace saddle::sim
