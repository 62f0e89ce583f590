// Teacher-student simulation of the glm model: draws a teacher x0 ~ P0 (n components), m = alpha n
// Gaussian inputs and labels y = phi(F x0 / sqrt n), and runs generalised approximate message
// passing (GAMP; S. Rangan, ISIT 2011; the Bayes-optimal form of Barbier et al., PNAS 2019, whose
// state evolution is the glm replica fixed-point map) to estimate x0. Writes the measured overlap,
// MSE and Bayes generalisation error per alpha with error bars over seeds, in the column names of
// the theory tables (alpha, q, mse, eg_bayes), for `saddle compare` or a plot.
//
//   saddle simulate glm prior=rademacher channel=sign --alpha 0.2:3:15 --n 1000 --seeds 10 -o DIR
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace saddle {

struct GampOptions {
  // Dimension n of the teacher. Range >= 10.
  int n = 1000;
  // Independent instances (teacher, data) per alpha; error bars are standard errors over them.
  // Range >= 1 (>= 2 for error bars).
  int seeds = 10;
  // Seed of the first instance; instance k uses seed0 + k (mt19937_64). Reproducible per build.
  std::uint64_t seed0 = 1;
  // Iteration budget. Range >= 1.
  int max_iterations = 500;
  // Convergence: mean squared change of the estimate per component below tol. Range (0, 1).
  double tol = 1e-10;
  // Damping d in x <- (1 - d) x_new + d x_old (0: none). Range [0, 1). Undamped GAMP was seen to
  // oscillate without converging for the rademacher prior above alpha_alg (n = 1000).
  double damping = 0.3;
  void validate() const;  // throws InputError naming the flag
};

struct GampRun {
  double q = 0.0;         // x_hat . x0 / n
  double mse = 0.0;       // |x_hat - x0|^2 / n
  double eg_bayes = 0.0;  // sign: arccos(cos angle(x_hat, x0))/pi; linear: |F'(x_hat - x0)|^2 on
                          // fresh inputs in expectation = mse
  int iterations = 0;
  bool converged = false;
};

// One instance. prior: gaussian | rademacher | gauss_bernoulli; channel: sign | linear.
GampRun run_gamp(const std::string& prior, const std::string& channel, double alpha, double Delta,
                 double rho, std::uint64_t seed, const GampOptions& options);

// `saddle simulate MODEL k=v ... --alpha FROM:TO:NUM`: validates everything, then writes
// DIR/sim.csv and DIR/summary.json. Returns the exit code (1 if some instance did not converge).
int cmd_simulate(const std::string& model_id, const std::vector<std::string>& assignments,
                 const std::string& alpha_grid, const GampOptions& options,
                 const std::string& out_dir, std::ostream& out);

}  // namespace saddle
