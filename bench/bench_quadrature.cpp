// Benchmark (not a test): the Gaussian tanh moments of the SK and Hopfield maps, E g(x0 + sigma z)
// for g = tanh, tanh^2, sech^2 (and the Jacobian's sech^2 tanh, sech^4), two ways:
//   fixed    tanh_moments / tanh_derivative_moments (the fixed rule the models use)
//   adaptive gaussian_expectation with a Feature at the kink (what the models used before), at
//            the default options (abs_tol 1e-14, rel_tol 1e-13)
// against a reference: gaussian_expectation at abs_tol = rel_tol = 3e-16 and cutoff 12 (its
// estimate |G20 - G10| bounds the error of the 10-point rule; the 20-point values are far better).
// Points: x = beta (mu + s z) over beta in [0.5, 1000], mu in [0, 2], s in [0.02, 3], both signs
// of mu, plus mu = 0 exactly (the count of points where the reference missed its target is shown).
// Prints time per call, integrand evaluations per call and the largest absolute difference from
// the reference, side by side.
//
//   build/bin/bench_quadrature [repetitions]
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "saddle/gaussian.hpp"

using namespace saddle;

namespace {

struct Case {
  double x0, sigma;
};

// tanh, tanh^2, sech^2, sech^2 tanh, sech^4 of x from one exponential.
void tanh_functions(double x, double* out) {
  const double e = std::exp(-2.0 * std::fabs(x)), inv = 1.0 / (1.0 + e);
  const double t = std::copysign((1.0 - e) * inv, x), s2 = 4.0 * e * inv * inv;
  out[0] = t;
  out[1] = t * t;
  out[2] = s2;
  out[3] = s2 * t;
  out[4] = s2 * s2;
}

QuadratureResult adaptive(const Case& c, int k, const QuadratureOptions& options) {
  if (c.sigma == 0.0) {
    QuadratureResult r;
    tanh_functions(c.x0, r.value.data());
    r.converged = true;
    return r;
  }
  const Feature kink{-c.x0 / c.sigma, 1.0 / c.sigma};
  return gaussian_expectation(
      k, [&](double z, double* out) { tanh_functions(c.x0 + c.sigma * z, out); }, {kink}, options);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int repetitions = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  std::vector<Case> cases;
  for (const double beta : {0.5, 0.67, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 300.0, 1000.0})
    for (const double mu : {0.0, 1e-12, 0.05, 0.3, 0.9, 1.0, 2.0})
      for (const double s : {0.02, 0.05, 0.1, 0.3, 0.5, 1.0, 3.0})
        for (const double sign : {1.0, -1.0}) {
          if (mu == 0.0 && sign < 0) continue;
          cases.push_back({beta * sign * mu, beta * s});
        }
  const std::size_t n = cases.size();

  // Reference values.
  QuadratureOptions tight;
  tight.abs_tol = 3e-16;
  tight.rel_tol = 3e-16;
  tight.cutoff = 12.0;
  tight.max_panels = 20000;
  std::vector<QuadratureResult> reference(n);
  int unconverged = 0;
  for (std::size_t i = 0; i < n; ++i) {
    reference[i] = adaptive(cases[i], 5, tight);
    if (!reference[i].converged) ++unconverged;
  }

  const auto fixed_values = [](const TanhMoments& m) {
    return std::array<double, 5>{m.tanh, m.tanh2, m.sech2, m.sech2_tanh, m.sech4};
  };
  double max_diff_fixed[5] = {}, max_diff_adaptive[5] = {}, max_diff_fixed_vs_adaptive[3] = {};
  long evals_fixed = 0, evals_fixed_deriv = 0, evals_adaptive = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const TanhMoments m = tanh_moments(cases[i].x0, cases[i].sigma);
    const TanhMoments d = tanh_derivative_moments(cases[i].x0, cases[i].sigma);
    const QuadratureResult a = adaptive(cases[i], 3, QuadratureOptions{});
    evals_fixed += m.evaluations;
    evals_fixed_deriv += d.evaluations;
    evals_adaptive += a.evaluations;
    const std::array<double, 5> v = fixed_values(d);
    const std::array<double, 5> v0 = fixed_values(m);
    for (int j = 0; j < 5; ++j) {
      const double ref = reference[i][j];
      max_diff_fixed[j] = std::max(max_diff_fixed[j], std::fabs((j < 3 ? v0[j] : v[j]) - ref));
      if (j < 3) {
        max_diff_adaptive[j] = std::max(max_diff_adaptive[j], std::fabs(a[j] - ref));
        max_diff_fixed_vs_adaptive[j] =
            std::max(max_diff_fixed_vs_adaptive[j], std::fabs(v0[j] - a[j]));
      }
    }
  }

  // Timing: every case, `repetitions` times; a checksum keeps the calls alive.
  double checksum = 0.0;
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repetitions; ++r)
    for (const Case& c : cases) checksum += tanh_moments(c.x0, c.sigma).tanh;
  const double t_fixed = seconds_since(t0) / (static_cast<double>(repetitions) * n);
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < repetitions; ++r)
    for (const Case& c : cases) checksum += tanh_derivative_moments(c.x0, c.sigma).sech4;
  const double t_fixed_deriv = seconds_since(t0) / (static_cast<double>(repetitions) * n);
  const int adaptive_repetitions = std::max(1, repetitions / 10);
  t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < adaptive_repetitions; ++r)
    for (const Case& c : cases) checksum += adaptive(c, 3, QuadratureOptions{})[0];
  const double t_adaptive = seconds_since(t0) / (static_cast<double>(adaptive_repetitions) * n);

  std::printf(
      "tanh moments E g(x0 + sigma z): %zu points, beta in [0.5, 1000]; reference: adaptive "
      "at tol 3e-16 (%d of %zu did not reach it)\n",
      n, unconverged, n);
  std::printf("%-26s %12s %12s %11s %11s %11s %11s %11s\n", "method", "ns/call", "evals/call",
              "err tanh", "err tanh2", "err sech2", "err s2tanh", "err sech4");
  std::printf("%-26s %12.1f %12.1f %11.2e %11.2e %11.2e %11s %11s\n", "tanh_moments", 1e9 * t_fixed,
              static_cast<double>(evals_fixed) / n, max_diff_fixed[0], max_diff_fixed[1],
              max_diff_fixed[2], "-", "-");
  std::printf("%-26s %12.1f %12.1f %11s %11s %11s %11.2e %11.2e\n", "tanh_derivative_moments",
              1e9 * t_fixed_deriv, static_cast<double>(evals_fixed_deriv) / n, "", "", "",
              max_diff_fixed[3], max_diff_fixed[4]);
  std::printf("%-26s %12.1f %12.1f %11.2e %11.2e %11.2e %11s %11s\n", "gaussian_expectation(k=3)",
              1e9 * t_adaptive, static_cast<double>(evals_adaptive) / n, max_diff_adaptive[0],
              max_diff_adaptive[1], max_diff_adaptive[2], "-", "-");
  std::printf(
      "fixed vs adaptive (default options): max |difference| tanh %.2e, tanh2 %.2e, sech2 "
      "%.2e\n",
      max_diff_fixed_vs_adaptive[0], max_diff_fixed_vs_adaptive[1], max_diff_fixed_vs_adaptive[2]);
  std::printf("(checksum %.6f)\n", checksum);
  return 0;
}
