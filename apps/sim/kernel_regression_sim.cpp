#include <cmath>
#include <random>

#include "dynamics_sim.hpp"
#include "saddle/error.hpp"

namespace saddle::sim {

void RunOptions::validate() const {
  if (runs < 2)
    throw InputError("sim.bad_runs", "--runs",
                     std::to_string(runs) + " runs cannot give an error bar; expected runs >= 2");
}

Estimate estimate(const std::vector<double>& samples) {
  Estimate e;
  const double n = static_cast<double>(samples.size());
  for (double s : samples) e.mean += s / n;
  double ss = 0;
  for (double s : samples) ss += (s - e.mean) * (s - e.mean);
  e.sem = samples.size() > 1 ? std::sqrt(ss / (n - 1) / n) : 0.0;
  return e;
}

KrrSimResult simulate_kernel_regression(const krr::Spectrum& s, int p, double lambda, double noise,
                                        const RunOptions& runs) {
  const int M = static_cast<int>(s.eta.size());
  const Eigen::ArrayXd sd = s.eta.array().sqrt();
  const Eigen::ArrayXd beta = (s.power.array() / s.eta.array()).sqrt();
  std::vector<double> err, tail, modes[4];
  for (int r = 0; r < runs.runs; ++r) {
    std::mt19937_64 rng(runs.seed + static_cast<std::uint64_t>(r));
    std::normal_distribution<double> normal;
    Eigen::MatrixXd X(p, M);
    for (int j = 0; j < M; ++j)
      for (int i = 0; i < p; ++i) X(i, j) = sd[j] * normal(rng);
    Eigen::VectorXd y = X * beta.matrix();
    for (int i = 0; i < p; ++i) y[i] += std::sqrt(noise) * normal(rng);
    Eigen::VectorXd w;
    if (p <= M) {
      Eigen::MatrixXd K = X * X.transpose();
      K.diagonal().array() += lambda;
      w = X.transpose() * K.ldlt().solve(y);
    } else {
      Eigen::MatrixXd G = X.transpose() * X;
      G.diagonal().array() += lambda;
      w = G.ldlt().solve(X.transpose() * y);
    }
    const Eigen::ArrayXd per_mode = s.eta.array() * (w.array() - beta).square();
    err.push_back(per_mode.sum());
    double head = 0;
    for (int k = 0; k < 4; ++k) {
      const double v = k < M ? per_mode[k] : 0.0;
      modes[k].push_back(v);
      head += v;
    }
    tail.push_back(per_mode.sum() - head);
  }
  KrrSimResult out;
  out.p = p;
  out.error = estimate(err);
  for (int k = 0; k < 4; ++k) out.mode_errors[k] = estimate(modes[k]);
  out.tail_error = estimate(tail);
  return out;
}

}  // namespace saddle::sim
