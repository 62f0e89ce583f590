// Benchmark (not a test): the Marchenko-Pastur density (gamma = 0.5) on 2,000 x-points in
// [0, 3.5] at residual tolerance 1e-10, with the spectral toolkit (Newton with continuation in x
// at eta_c = 1e-10 relative, then a polish at eta = 0), against the closed form. Two runs: the
// density table alone, and with edges, atoms and the mass check. The numpy comparison is
// bench/mp_numpy.py (vectorised damped iteration at a fixed eta > 0; it cannot reach eta = 0).
//
//   build/bin/bench_spectrum_mp [repetitions]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "saddle/model.hpp"
#include "saddle/spectral.hpp"

using namespace saddle;

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  const double gamma = 0.5, kPi = 3.14159265358979323846;
  const auto& model = builtin_registry().get("wishart");
  Point p = model.default_point();
  p.params[model.parameter_index("gamma")] = gamma;
  const auto eq = dynamic_cast<const SpectralModel&>(model).equation(p, SpectralInputs{});
  std::vector<double> xs;
  for (int i = 0; i < 2000; ++i) xs.push_back(3.5 * i / 1999.0);
  const double am = std::pow(1 - std::sqrt(gamma), 2), ap = std::pow(1 + std::sqrt(gamma), 2);
  std::printf("Marchenko-Pastur gamma = %.2f, 2000 points in [0, 3.5], tol 1e-10, %d repetitions\n",
              gamma, reps);
  std::printf("%-28s %12s %14s %12s %10s %14s\n", "run", "ms/run", "newton_iter", "polished",
              "failed", "max|rho-exact|");
  for (bool special : {false, true}) {
    SpectrumSolver::Options o;
    o.tol = 1e-10;
    o.special_points = special;
    const SpectrumSolver solver(o);
    SpectrumResult r;
    const auto t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < reps; ++k) r = solver.run(*eq, xs);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
        reps;
    double err = 0.0;
    for (const auto& pt : r.points) {
      const double x = pt.x;
      const double exact =
          x > am && x < ap ? std::sqrt((ap - x) * (x - am)) / (2 * kPi * gamma * x) : 0.0;
      err = std::max(err, std::abs(pt.rho - exact));
    }
    std::printf("%-28s %12.3f %14d %12d %10d %14.3e\n",
                special ? "density + edges/atoms/mass" : "density table", ms, r.newton_iterations,
                r.polished, r.not_converged, err);
    if (special && r.edges.size() == 2)
      std::printf("  edges %.15f %.15f (exact %.15f %.15f), mass %.15f\n", r.edges[0].x,
                  r.edges[1].x, am, ap, r.total_mass);
  }
  return 0;
}
