// Benchmark (not a test): solve the Hopfield model on a 100 x 100 grid of the (alpha, T) plane,
// every point from cold starts at the model's default branches (no warm starts: that is what
// continuation and scans add), with the default "auto" solver at residual tolerance 1e-12.
//
// Prints wall time, points per second, map evaluations per point and per branch, the fraction
// of converged branches, and a worst-case residual, for 1 thread and for all cores.
//
//   build/bin/bench_hopfield_points [num_alpha num_T]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "runner.hpp"
#include "saddle/model.hpp"

using namespace saddle;

struct Totals {
  long branches = 0, converged = 0, evaluations = 0, iterations = 0;
  double worst_residual = 0.0;
};

static Totals solve_rows(const FixedPointModel& model, const std::vector<double>& alphas,
                         const std::vector<double>& temps, int thread, int threads) {
  Totals t;
  SolverSettings settings;  // auto, tol 1e-12
  Point p = model.default_point();
  const int ia = model.parameter_index("alpha"), it = model.parameter_index("T");
  for (std::size_t j = static_cast<std::size_t>(thread); j < temps.size(); j += static_cast<std::size_t>(threads)) {
    for (double a : alphas) {
      p.params[ia] = a;
      p.params[it] = temps[j];
      for (const auto& r : solve_point(model, p, {}, settings)) {
        ++t.branches;
        t.converged += r.converged() ? 1 : 0;
        t.evaluations += r.summary.map_evaluations;
        t.iterations += r.summary.iterations;
        if (r.summary.usable()) t.worst_residual = std::max(t.worst_residual, r.summary.residual);
      }
    }
  }
  return t;
}

int main(int argc, char** argv) {
  const int na = argc > 1 ? std::atoi(argv[1]) : 100;
  const int nt = argc > 2 ? std::atoi(argv[2]) : 100;
  const FixedPointModel& model = builtin_registry().get("hopfield");
  std::vector<double> alphas, temps;
  for (int i = 0; i < na; ++i) alphas.push_back(0.001 + (0.2 - 0.001) * i / std::max(1, na - 1));
  for (int j = 0; j < nt; ++j) temps.push_back(0.02 + (1.5 - 0.02) * j / std::max(1, nt - 1));
  const long points = static_cast<long>(na) * nt;
  std::printf("hopfield: %d x %d grid, alpha in [0.001, 0.2], T in [0.02, 1.5], cold starts from "
              "default branches, auto solver, tol 1e-12\n", na, nt);
  std::printf("%8s %10s %12s %14s %14s %10s %12s\n", "threads", "seconds", "points/s",
              "evals/point", "evals/branch", "converged", "max_resid");
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int threads : {1, hw}) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Totals> parts(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int k = 0; k < threads; ++k)
      pool.emplace_back([&, k] { parts[static_cast<std::size_t>(k)] = solve_rows(model, alphas, temps, k, threads); });
    for (auto& th : pool) th.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    Totals t;
    for (const auto& p : parts) {
      t.branches += p.branches;
      t.converged += p.converged;
      t.evaluations += p.evaluations;
      t.iterations += p.iterations;
      t.worst_residual = std::max(t.worst_residual, p.worst_residual);
    }
    std::printf("%8d %10.3f %12.1f %14.1f %14.1f %9.2f%% %12.2e\n", threads, secs, points / secs,
                static_cast<double>(t.evaluations) / points,
                static_cast<double>(t.evaluations) / t.branches, 100.0 * t.converged / t.branches,
                t.worst_residual);
    if (threads == hw) break;
  }
  return 0;
}
