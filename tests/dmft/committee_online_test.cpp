// committee_online (models/dmft/committee_online.cpp): the erf integrals against Monte Carlo, the
// K = M = 1 linear closed form, the K = M = 2 symmetric plateau at the height of the symmetric
// fixed point, agreement with online SGD at finite N (apps/sim/), and the trajectory task's errors.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "cli.hpp"
#include "dynamics_sim.hpp"
#include "saddle/ode.hpp"
#include "trajectory_task.hpp"

using namespace saddle;

namespace {

const OdeModel& committee() {
  return *find_builtin_ode_model("committee_online");
}

Point committee_point(int K, int M, double eta, double noise, const std::string& activation,
                      double init_R = 1e-3, double init_Q = 0.5) {
  const auto& m = committee();
  Point p = m.default_point();
  p.params[m.parameter_index("K")] = K;
  p.params[m.parameter_index("M")] = M;
  p.params[m.parameter_index("eta")] = eta;
  p.params[m.parameter_index("noise")] = noise;
  p.params[m.parameter_index("init_R")] = init_R;
  p.params[m.parameter_index("init_Q")] = init_Q;
  p.options[0] = activation;
  return p;
}

TrajectoryRun integrate(const Point& p, double to, int num) {
  TrajectorySpec spec;
  spec.model = &committee();
  spec.point = p;
  for (int i = 0; i < num; ++i) spec.times.push_back(to * i / (num - 1));
  spec.ode.rel_tol = 1e-11;
  spec.ode.abs_tol = 1e-13;
  TrajectoryRun run = run_trajectory(spec);
  REQUIRE(run.summary.completed());
  return run;
}

const TrajectoryResult& result(const TrajectoryRun& run, const std::string& name) {
  for (const auto& r : run.results)
    if (r.name == name) return r;
  FAIL("no result " << name);
  return run.results.front();
}

}  // namespace

TEST_CASE("committee_online: drift of R and Q for erf matches Monte Carlo expectations") {
  // K = M = 1 at a generic overlap point: dR/dalpha = eta E[delta rho], dQ/dalpha = 2 eta E[delta
  // lambda] + eta^2 E[delta^2] (+ noise). 4e6 samples: standard errors ~5e-4; the check is 5
  // standard errors.
  const Point p = committee_point(1, 1, 0.7, 0.1, "erf");
  Eigen::VectorXd x(2), f;
  x << 0.8, 0.3;  // Q, R (T = 1)
  committee().rhs(x, f, 0, p);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal;
  const double Q = 0.8, R = 0.3, eta = 0.7, noise = 0.1;
  const double a = std::sqrt(Q), b = R / a, c = std::sqrt(1 - b * b);
  const int n = 4000000;
  double sr = 0, sq = 0, sr2 = 0, sq2 = 0;
  auto g = [](double u) { return std::erf(u / std::sqrt(2.0)); };
  for (int i = 0; i < n; ++i) {
    const double z1 = normal(rng), z2 = normal(rng), z3 = normal(rng);
    const double lambda = a * z1, rho = b * z1 + c * z2;
    const double delta = std::sqrt(2 / M_PI) * std::exp(-0.5 * lambda * lambda) *
                         (g(rho) + std::sqrt(noise) * z3 - g(lambda));
    const double vr = eta * delta * rho, vq = 2 * eta * delta * lambda + eta * eta * delta * delta;
    sr += vr;
    sr2 += vr * vr;
    sq += vq;
    sq2 += vq * vq;
  }
  const double mr = sr / n, mq = sq / n;
  const double er = std::sqrt((sr2 / n - mr * mr) / n), eq = std::sqrt((sq2 / n - mq * mq) / n);
  CHECK(std::fabs(f[1] - mr) <= 5 * er);
  CHECK(std::fabs(f[0] - mq) <= 5 * eq);
}

TEST_CASE("committee_online: the trajectory task rejects bad input with exact messages") {
  std::ostringstream out, err;
  const std::string dir = std::string(SADDLE_SOURCE_DIR) + "/data/specs/committee-plateau.json";
  CHECK(run_cli({"saddle", "run", dir, "-o", "/nonexistent-dir/x", "--set", "params.K=1.5"}, out,
                err) == 2);
  CHECK(err.str() == "saddle: error: " + dir +
                         ": /params/K: K = 1.5 is not an integer; expected a whole number\n");
  std::ostringstream out2, err2;
  CHECK(run_cli({"saddle", "run", dir, "--set", "task.spacing=logg"}, out2, err2) == 2);
  CHECK(err2.str() == "saddle: error: " + dir +
                          ": /task/spacing: 'logg' is not a spacing (did you mean 'log'?); "
                          "expected linear or log\n");
  std::ostringstream out3, err3;
  CHECK(run_cli({"saddle", "run", dir, "--set", "ode.rel_tol=2"}, out3, err3) == 2);
  CHECK(err3.str() ==
        "saddle: error: " + dir +
            ": /ode/rel_tol: rel_tol = 2 is out of range; expected a number in (0, 1)\n");
  std::ostringstream out4, err4;
  CHECK(run_cli({"saddle", "run", dir, "--set", "params.init_R=2"}, out4, err4) == 2);
  CHECK(err4.str() == "saddle: error: " + dir +
                          ": /params/init_R: init_R = 2 is too large for init_Q = 0.5: the initial "
                          "overlaps belong to no "
                          "weight vectors; expected init_R^2 M well below init_Q T_diag\n");
}

TEST_CASE("committee_online: a step budget that runs out is reported, with unreached rows marked") {
  TrajectorySpec spec;
  spec.model = &committee();
  spec.point = committee_point(2, 2, 0.5, 0, "erf");
  spec.times = {0, 10, 20, 1000};
  spec.ode.max_steps = 40;
  const TrajectoryRun run = run_trajectory(spec);
  CHECK(run.summary.status == OdeStatus::kMaxSteps);
  CHECK(run.times.size() < 4);
  CHECK(run.summary.message == "step budget max_steps = 40 used up");
}

TEST_SUITE("validation") {
  // Linear K = M = 1: d eps/d alpha = -eta (2 - eta) eps + eta^2 noise / 2, so
  // eps(alpha) = eps_inf + (eps_0 - eps_inf) exp(-eta (2 - eta) alpha), eps_inf = eta noise / (2 (2
  // - eta)). ODE tolerances 1e-11 relative: checked to 1e-8 relative.
  TEST_CASE("committee_online: K = M = 1 linear reproduces the closed-form learning curve") {
    for (double eta : {0.3, 1.0, 1.7}) {
      CAPTURE(eta);
      const double noise = 0.2;
      const Point p = committee_point(1, 1, eta, noise, "linear", 0.1, 0.5);
      const TrajectoryRun run = integrate(p, 20, 41);
      const double e0 = run.observables[0][0], einf = eta * noise / (2 * (2 - eta));
      CHECK(e0 == doctest::Approx(0.5 * (0.5 - 2 * run.states[0][1] + 1))
                      .epsilon(1e-14));  // (Q - 2R + T)/2
      for (std::size_t i = 0; i < run.times.size(); ++i) {
        const double exact = einf + (e0 - einf) * std::exp(-eta * (2 - eta) * run.times[i]);
        CHECK(run.observables[i][0] == doctest::Approx(exact).epsilon(1e-8));
      }
    }
  }

  // K = M = 2 (erf, T = I, eta = 0.5, init_R = 1e-3): a plateau exists, and its height equals eps_g
  // at the fixed point of the ODEs restricted to the invariant symmetric subspace (Q_11 = Q_22,
  // R_in all equal), found here by Newton from the plateau state, to 1% (the trajectory passes the
  // saddle at a distance set by init_R). Without noise the final error reaches 0 (specialisation,
  // below 1e-10).
  TEST_CASE(
      "committee_online: K = M = 2 shows the symmetric plateau at the symmetric fixed point") {
    const Point p = committee_point(2, 2, 0.5, 0, "erf");
    const TrajectoryRun run = integrate(p, 1000, 1001);
    const auto& height = result(run, "plateau_height");
    REQUIRE(height.found);
    CHECK(result(run, "plateau_length").value > 50);
    CHECK(result(run, "final_eps_g").value < 1e-10);
    // symmetric fixed point: unknowns (Q, C, R); F = (dQ_11, dQ_12, dR_11) on the symmetric state
    auto sym_state = [](const Eigen::Vector3d& u) {
      Eigen::VectorXd x(7);
      x << u[0], u[1], u[0], u[2], u[2], u[2], u[2];
      return x;
    };
    auto F = [&](const Eigen::Vector3d& u) {
      Eigen::VectorXd f;
      committee().rhs(sym_state(u), f, 0, p);
      return Eigen::Vector3d(f[0], f[1], f[3]);
    };
    std::size_t k = 0;
    while (std::fabs(run.times[k] - result(run, "plateau_start").value) > 1e-9) ++k;
    const Eigen::VectorXd& xs = run.states[k];
    Eigen::Vector3d u(0.5 * (xs[0] + xs[2]), xs[1], xs.tail(4).mean());
    for (int it = 0; it < 50; ++it) {
      Eigen::Matrix3d J;
      for (int j = 0; j < 3; ++j) {
        Eigen::Vector3d h = Eigen::Vector3d::Zero();
        h[j] = 1e-7;
        J.col(j) = (F(u + h) - F(u - h)) / 2e-7;
      }
      u -= J.fullPivLu().solve(F(u));
    }
    REQUIRE(F(u).cwiseAbs().maxCoeff() < 1e-12);
    const double fixed_eps = committee().observable_values(sym_state(u), 0, p)[0];
    MESSAGE("plateau height " << height.value << ", symmetric fixed point eps_g " << fixed_eps
                              << " (Q, C, R) = " << u.transpose());
    CHECK(height.value == doctest::Approx(fixed_eps).epsilon(0.01));
  }

  // Online SGD at N = 1000 over 8 runs, K = M = 2 erf, eta = 0.5, init_R = 0.3 (a short plateau, so
  // that the escape time does not depend on the O(1/sqrt N) fluctuations): eps_g agrees with the
  // ODE within 4 standard errors plus 5% (O(1/N) finite-size bias) at alpha = 2, 5, 10, 20.
  TEST_CASE("committee_online: agrees with online SGD at N = 1000") {
    const Point p = committee_point(2, 2, 0.5, 0, "erf", 0.3);
    const std::vector<double> alphas = {0, 2, 5, 10, 20};
    TrajectorySpec spec;
    spec.model = &committee();
    spec.point = p;
    spec.times = alphas;
    const TrajectoryRun run = run_trajectory(spec);
    REQUIRE(run.summary.completed());
    sim::RunOptions runs;
    runs.runs = 8;
    runs.seed = 3;
    const auto sim = sim::simulate_committee(committee(), p, alphas, 1000, runs);
    for (std::size_t i = 0; i < alphas.size(); ++i) {
      const double theory = run.observables[i][0];
      MESSAGE("alpha " << alphas[i] << ": ODE " << theory << ", SGD " << sim.eps_g[i].mean << " +- "
                       << sim.eps_g[i].sem);
      CHECK(std::fabs(theory - sim.eps_g[i].mean) <= 4 * sim.eps_g[i].sem + 0.05 * theory);
    }
  }
}
