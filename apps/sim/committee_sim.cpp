#include <cmath>
#include <random>

#include "dynamics_sim.hpp"
#include "saddle/error.hpp"
#include "saddle/ode.hpp"

namespace saddle::sim {

CommitteeSimResult simulate_committee(const OdeModel& model, const Point& p,
                                      const std::vector<double>& alphas, int N,
                                      const RunOptions& runs) {
  runs.validate();
  const int K = static_cast<int>(p[model.parameter_index("K")]);
  const int M = static_cast<int>(p[model.parameter_index("M")]);
  if (N < K + M)
    throw InputError("sim.bad_size", "--N",
                     "N = " + std::to_string(N) + " is too small; expected N >= K + M");
  const double eta = p[model.parameter_index("eta")], noise = p[model.parameter_index("noise")];
  const double t_diag = p[model.parameter_index("T_diag")],
               t_off = p[model.parameter_index("T_offdiag")];
  const bool erf = p.options[static_cast<std::size_t>(model.option_index("activation"))] == "erf";
  const double sqrt_n = std::sqrt(static_cast<double>(N));
  auto g = [erf](double x) { return erf ? std::erf(x / std::sqrt(2.0)) : x; };
  auto dg = [erf](double x) { return erf ? std::sqrt(2.0 / M_PI) * std::exp(-0.5 * x * x) : 1.0; };

  // initial overlaps from the model's state (Q upper triangle, then R row-major)
  const Eigen::VectorXd x0 = model.initial_state(p);
  Eigen::MatrixXd Q0(K, K), R0(K, M), T = Eigen::MatrixXd::Constant(M, M, t_off);
  T.diagonal().setConstant(t_diag);
  int s = 0;
  for (int i = 0; i < K; ++i)
    for (int k = i; k < K; ++k) Q0(i, k) = Q0(k, i) = x0[s++];
  for (int i = 0; i < K; ++i)
    for (int n = 0; n < M; ++n) R0(i, n) = x0[s++];
  const Eigen::MatrixXd LT = T.llt().matrixL();
  const Eigen::MatrixXd A = R0 * T.inverse();
  const Eigen::MatrixXd B = Eigen::MatrixXd((Q0 - A * T * A.transpose()).llt().matrixL());

  std::vector<long> steps;
  CommitteeSimResult out;
  for (double a : alphas) {
    steps.push_back(std::lround(a * N));
    out.alphas.push_back(static_cast<double>(steps.back()) / N);
  }
  std::vector<std::vector<double>> eps(alphas.size());
  out.state_means.assign(alphas.size(), Eigen::VectorXd::Zero(x0.size()));
  for (int r = 0; r < runs.runs; ++r) {
    std::mt19937_64 rng(runs.seed + static_cast<std::uint64_t>(r));
    std::normal_distribution<double> normal;
    Eigen::MatrixXd G(N, K + M);
    for (int j = 0; j < K + M; ++j)
      for (int i = 0; i < N; ++i) G(i, j) = normal(rng);
    const Eigen::MatrixXd E = Eigen::HouseholderQR<Eigen::MatrixXd>(G).householderQ() *
                              Eigen::MatrixXd::Identity(N, K + M);
    const Eigen::MatrixXd Wt = sqrt_n * LT * E.leftCols(M).transpose();    // M x N
    Eigen::MatrixXd W = A * Wt + sqrt_n * B * E.rightCols(K).transpose();  // K x N
    Eigen::VectorXd xi(N), lambda(K), rho(M), delta(K);
    long done = 0;
    for (std::size_t o = 0; o < steps.size(); ++o) {
      for (; done < steps[o]; ++done) {
        for (int i = 0; i < N; ++i) xi[i] = normal(rng);
        lambda = W * xi / sqrt_n;
        rho = Wt * xi / sqrt_n;
        double err = std::sqrt(noise) * normal(rng);
        for (int n = 0; n < M; ++n) err += g(rho[n]);
        for (int i = 0; i < K; ++i) err -= g(lambda[i]);
        for (int i = 0; i < K; ++i) delta[i] = dg(lambda[i]) * err;
        W.noalias() += (eta / sqrt_n) * delta * xi.transpose();
      }
      const Eigen::MatrixXd Q = W * W.transpose() / N, R = W * Wt.transpose() / N;
      Eigen::VectorXd state(x0.size());
      int k = 0;
      for (int i = 0; i < K; ++i)
        for (int j = i; j < K; ++j) state[k++] = Q(i, j);
      for (int i = 0; i < K; ++i)
        for (int n = 0; n < M; ++n) state[k++] = R(i, n);
      out.state_means[o] += state / runs.runs;
      eps[o].push_back(model.observable_values(state, out.alphas[o], p)[0]);
    }
  }
  for (const auto& e : eps) out.eps_g.push_back(estimate(e));
  return out;
}

}  // namespace saddle::sim
