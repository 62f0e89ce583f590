// Benchmark (not a test): the Hopfield scan of issue 3 — alpha in [0.001, 0.2] x T in
// [0.02, 1.2], retrieval and spin-glass branches, residual tolerance 1e-10, lines along alpha
// continued with warm starts — at growing grid sizes, to show how the time scales.
//
//   build/bin/bench_hopfield_scan [jobs]
// Prints, per grid: points, seconds, points per second, map evaluations per point, converged
// branch solves, cold restarts.
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "saddle/spec.hpp"
#include "scan.hpp"

using namespace saddle;

int main(int argc, char** argv) {
  const int jobs = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::printf("hopfield scan, alpha in [0.001, 0.2] (along) x T in [0.02, 1.2], branches retrieval + spin_glass, "
              "tol 1e-10, %d jobs\n", jobs);
  std::printf("%12s %10s %10s %12s %12s %14s %8s\n", "grid", "points", "seconds", "points/s", "evals/point",
              "converged", "cold");
  for (auto [na, nt] : {std::pair{51, 31}, {101, 61}, {201, 121}, {401, 241}}) {
    nlohmann::json doc = {
        {"saddle", 1},
        {"model", "hopfield"},
        {"task",
         {{"type", "scan"},
          {"grid", {{"alpha", {{"from", 0.001}, {"to", 0.2}, {"num", na}}}, {"T", {{"from", 0.02}, {"to", 1.2}, {"num", nt}}}}},
          {"along", "alpha"},
          {"branches", {"retrieval", "spin_glass"}}}},
        {"solver", {{"tol", 1e-10}}}};
    const Spec spec = parse_spec(doc, builtin_registry(), "bench");
    ScanOptions o;
    o.jobs = jobs;
    std::ostringstream progress;
    const ScanResult r = run_scan(spec, o, progress);
    char grid[32];
    std::snprintf(grid, sizeof grid, "%dx%d", na, nt);
    std::printf("%12s %10zu %10.3f %12.0f %12.1f %8ld/%-6ld %8ld\n", grid, r.points.size(), r.seconds,
                r.points.size() / r.seconds, double(r.map_evaluations) / r.points.size(), r.converged,
                r.branch_solves, r.cold_restarts);
  }
  return 0;
}
