// Benchmark (not a test) of the dynamics models and their simulators: time, work counts and
// accuracy against a reference, with fixed seeds.
//   kernel_regression: a 200-point learning curve with 10^4 modes (map evaluations, residuals), and
//     the ridgeless white-spectrum error against the closed form of Hastie et al. 2019;
//   committee_online: K = M = 2 and K = M = 6 trajectories to alpha = 1000 (steps, rhs
//   evaluations),
//     and the change of eps_g when rel_tol is tightened from 1e-8 to 1e-12;
//   scs_rnn: Delta_0 root and Delta(tau) to tau = 40 at g = 2 (rhs evaluations, energy residual);
//   simulators: ridge regression per run, SGD steps per second, network time units per second.
//
//   build/bin/bench_dynamics
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "dynamics_sim.hpp"
#include "runner.hpp"
#include "saddle/kernel_regression.hpp"
#include "saddle/model.hpp"
#include "saddle/ode.hpp"
#include "saddle/scs_rnn.hpp"
#include "trajectory_task.hpp"

using namespace saddle;

static double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

static TrajectoryRun ode_run(const char* id, Point p, double to, int num, double rel_tol) {
  TrajectorySpec spec;
  spec.model = find_builtin_ode_model(id);
  spec.point = std::move(p);
  for (int i = 0; i < num; ++i) spec.times.push_back(to * i / (num - 1));
  spec.ode.rel_tol = rel_tol;
  spec.ode.abs_tol = rel_tol * 1e-2;
  return run_trajectory(spec);
}

int main() {
  // kernel_regression learning curve
  {
    const auto& m = builtin_registry().get("kernel_regression");
    Point p = m.default_point();
    p.params[m.parameter_index("modes")] = 10000;
    p.params[m.parameter_index("lambda")] = 1e-4;
    long evals = 0;
    double worst = 0;
    int converged = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 200; ++i) {
      p.params[m.parameter_index("p")] = std::pow(10.0, 1 + 4.0 * i / 199);
      for (const auto& r : solve_point(m, p, {}, SolverSettings{})) {
        evals += r.summary.map_evaluations;
        worst = std::max(worst, r.summary.residual);
        converged += r.converged();
      }
    }
    std::printf(
        "kernel_regression: 200-point learning curve, 10^4 modes: %.3f s, %d/200 converged, %.1f "
        "map "
        "evaluations/point, max residual %.2e\n",
        seconds_since(t0), converged, evals / 200.0, worst);
    p.options[0] = "white";
    p.params[m.parameter_index("lambda")] = 0;
    p.params[m.parameter_index("noise")] = 0.5;
    p.params[m.parameter_index("modes")] = 1000;
    double worst_rel = 0;
    for (int i = 1; i < 400; ++i) {
      const double a = 0.005 * i;
      if (std::fabs(a - 1) < 1e-9) continue;
      p.params[m.parameter_index("p")] = a * 1000;
      const auto r = solve_point(m, p, {}, SolverSettings{});
      const double exact = a < 1 ? (1 - a) + 0.5 * a / (1 - a) : 0.5 / (a - 1);
      worst_rel = std::max(worst_rel, std::fabs(r[0].observables[0] / exact - 1));
    }
    std::printf(
        "kernel_regression: ridgeless white spectrum vs Hastie et al. closed form, 398 points a in "
        "(0, 2): "
        "max relative error %.2e\n",
        worst_rel);
  }
  // committee_online
  {
    const OdeModel& m = *find_builtin_ode_model("committee_online");
    for (int K : {2, 6}) {
      Point p = m.default_point();
      p.params[m.parameter_index("K")] = K;
      p.params[m.parameter_index("M")] = K;
      p.params[m.parameter_index("init_Q")] = 0.2;
      p.params[m.parameter_index("init_R")] = 1e-3;
      const auto t0 = std::chrono::steady_clock::now();
      const auto loose = ode_run("committee_online", p, 1000, 101, 1e-8);
      const double tl = seconds_since(t0);
      const auto t1 = std::chrono::steady_clock::now();
      const auto tight = ode_run("committee_online", p, 1000, 101, 1e-12);
      const double tt = seconds_since(t1);
      double diff = 0;
      for (std::size_t i = 0; i < tight.times.size() && i < loose.times.size(); ++i)
        diff = std::max(diff, std::fabs(tight.observables[i][0] - loose.observables[i][0]));
      std::string height = "not found";
      for (const auto& r : tight.results)
        if (r.name == "plateau_height" && r.found) height = std::to_string(r.value);
      std::printf(
          "committee_online K = M = %d to alpha = 1000: rel_tol 1e-8: %.4f s, %ld steps, %ld rhs "
          "evals; "
          "rel_tol 1e-12: %.4f s, %ld steps, %ld rhs evals; max |eps_g difference| %.2e; plateau "
          "height "
          "%s\n",
          K, tl, loose.summary.steps, loose.summary.rhs_evaluations, tt, tight.summary.steps,
          tight.summary.rhs_evaluations, diff, height.c_str());
    }
  }
  // scs_rnn
  {
    const auto t0 = std::chrono::steady_clock::now();
    const double d0 = scs::solve_delta0(scs::Activation::kTanh, 2.0);
    const double troot = seconds_since(t0);
    const OdeModel& m = *find_builtin_ode_model("scs_rnn");
    const auto t1 = std::chrono::steady_clock::now();
    const auto run = ode_run("scs_rnn", m.default_point(), 40, 401, 1e-10);
    const double tt = seconds_since(t1);
    double worst = 0;
    for (const auto& o : run.observables) worst = std::max(worst, std::fabs(o[0]));
    std::printf(
        "scs_rnn g = 2: Delta_0 = %.15g (root %.4f s, map residual %.1e); Delta(tau) to 40: %.3f "
        "s, %ld "
        "steps, %ld rhs evals, max |energy residual| %.2e\n",
        d0, troot, std::fabs(scs::delta0_map(scs::Activation::kTanh, 2.0, d0) - d0), tt,
        run.summary.steps, run.summary.rhs_evaluations, worst);
  }
  // simulators
  {
    sim::RunOptions runs;
    runs.runs = 4;
    const auto s = krr::power_law_spectrum(400, 1.5, 1.5);
    auto t0 = std::chrono::steady_clock::now();
    sim::simulate_kernel_regression(s, 400, 1e-2, 0.05, runs);
    std::printf("simulator kernel_regression p = M = 400: %.3f s per run\n", seconds_since(t0) / 4);
    const OdeModel& m = *find_builtin_ode_model("committee_online");
    t0 = std::chrono::steady_clock::now();
    sim::simulate_committee(m, m.default_point(), {0, 10}, 1000, runs);
    std::printf("simulator committee_online N = 1000, K = M = 2: %.3g SGD steps/s\n",
                4 * 10000 / seconds_since(t0));
    sim::RnnSimOptions o;
    o.transient = 10;
    o.window = 40;
    o.tau_max = 5;
    runs.runs = 2;
    t0 = std::chrono::steady_clock::now();
    sim::simulate_rnn(scs::Activation::kTanh, 2.0, o, runs);
    std::printf("simulator scs_rnn N = 1000, RK4 dt = 0.1: %.3f s per network time unit\n",
                seconds_since(t0) / (2 * (o.transient + o.window)));
  }
  return 0;
}
