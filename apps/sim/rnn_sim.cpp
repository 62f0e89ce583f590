#include <cmath>
#include <random>

#include "dynamics_sim.hpp"
#include "saddle/error.hpp"

namespace saddle::sim {

void RnnSimOptions::validate() const {
  auto bad = [](const std::string& f, double v, const std::string& e) {
    throw InputError("sim.bad_option", "--" + f,
                     f + " = " + format_number(v) + " is out of range; expected " + e);
  };
  if (N < 2) bad("N", N, "an integer >= 2");
  if (!(dt > 0 && dt <= 0.5)) bad("dt", dt, "0 < dt <= 0.5");
  if (!(transient >= 0)) bad("transient", transient, ">= 0");
  if (!(sample_dt >= dt)) bad("sample_dt", sample_dt, ">= dt");
  if (!(tau_max >= 0 && tau_max < window)) bad("tau_max", tau_max, "0 <= tau_max < window");
}

RnnSimResult simulate_rnn(scs::Activation act, double g, const RnnSimOptions& o,
                          const RunOptions& runs) {
  o.validate();
  runs.validate();
  const int N = o.N;
  const int every = std::max(1, static_cast<int>(std::lround(o.sample_dt / o.dt)));
  const double sdt = every * o.dt;
  const int lags = static_cast<int>(std::floor(o.tau_max / sdt + 1e-9)) + 1;
  const int samples = static_cast<int>(std::floor(o.window / sdt + 1e-9)) + 1;
  const long transient_steps = std::lround(o.transient / o.dt);
  RnnSimResult out;
  for (int k = 0; k < lags; ++k) out.taus.push_back(k * sdt);
  std::vector<std::vector<double>> per_run(lags);
  for (int r = 0; r < runs.runs; ++r) {
    std::mt19937_64 rng(runs.seed + static_cast<std::uint64_t>(r));
    std::normal_distribution<double> normal;
    Eigen::MatrixXd J(N, N);
    const double sd = g / std::sqrt(static_cast<double>(N));
    for (int j = 0; j < N; ++j)
      for (int i = 0; i < N; ++i) J(i, j) = sd * normal(rng);
    Eigen::VectorXd x(N), k1(N), k2(N), k3(N), k4(N), tmp(N), ph(N);
    for (int i = 0; i < N; ++i) x[i] = normal(rng);
    auto f = [&](const Eigen::VectorXd& y, Eigen::VectorXd& dy) {
      for (int i = 0; i < N; ++i) ph[i] = scs::phi(act, y[i]);
      dy.noalias() = J * ph;
      dy -= y;
    };
    auto step = [&] {
      f(x, k1);
      tmp = x + 0.5 * o.dt * k1;
      f(tmp, k2);
      tmp = x + 0.5 * o.dt * k2;
      f(tmp, k3);
      tmp = x + o.dt * k3;
      f(tmp, k4);
      x += o.dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4);
    };
    for (long s = 0; s < transient_steps; ++s) step();
    Eigen::MatrixXd X(N, samples);
    for (int s = 0; s < samples; ++s) {
      X.col(s) = x;
      if (s + 1 < samples)
        for (int e = 0; e < every; ++e) step();
    }
    for (int k = 0; k < lags; ++k) {
      const int pairs = samples - k;
      per_run[static_cast<std::size_t>(k)].push_back(
          (X.leftCols(pairs).array() * X.middleCols(k, pairs).array()).sum() /
          (static_cast<double>(pairs) * N));
    }
  }
  for (const auto& v : per_run) out.delta.push_back(estimate(v));
  return out;
}

}  // namespace saddle::sim
