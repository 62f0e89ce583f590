// `saddle simulate MODEL ...`: Monte Carlo simulators whose output tables feed `saddle compare`.
//
//   hopfield  N neurons, p = round(alpha N) random +-1 patterns, Hebb couplings
//             J_ij = (1/N) sum_mu xi_i^mu xi_j^mu (J_ii = 0). Two replicas start at pattern 1.
//             T = 0: asynchronous zero-temperature dynamics (random sequential order, s_i <-
//             sign h_i) until a sweep flips no spin (a fixed point) or --sweeps runs out; the
//             final overlap m = (1/N) sum_i xi_i^1 s_i and q = (1/N) sum_i s_i^a s_i^b between the
//             two replicas (different update orders). T > 0: Glauber (heat-bath) dynamics,
//             --equilibration sweeps, then m and q averaged over --sweeps sweeps.
//   sk        Sherrington-Kirkpatrick, J_ij ~ N(0, 1/N), h = 0. Two independent replicas, each a
//             parallel-tempering chain over all requested temperatures (Metropolis sweeps, one
//             round of neighbour swaps per sweep; the swaps carry the low-T chains (T < 1) across
//             barriers). Measured per temperature: energy per spin e = -(1/N) sum_{i<j} J_ij s_i
//             s_j, the replica overlap q = (1/N) sum_i s_i^a s_i^b as <|q|> and <q^2>.
//
// Every (point, sample) has its own random stream derived from (--seed, point, sample), so a
// table is reproduced exactly whatever --jobs is. Each row: parameters, samples, the sample means
// and their standard errors (std / sqrt(samples), over disorder and thermal noise). Rows are
// written to a CSV, with a sidecar JSON (same name, .json) holding the command, seed and timings.
#pragma once

#include <cstdint>
#include <iosfwd>

#include "gamp.hpp"
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace saddle {

struct SimulateOptions {
  std::string model;            // "hopfield" | "sk" | "glm"
  // glm (GAMP, apps/lib/gamp.hpp): NAME=VALUE parameters and options, and the GAMP settings
  // (--n, --seeds, --seed0, --max-iter, --tol, --damping); -o is then a directory (DIR/sim.csv).
  std::vector<std::string> assignments;
  GampOptions gamp;
  // A spec file instead of a model (kernel_regression, committee_online, scs_rnn; see
  // simulate_cli.hpp): --set overrides, --runs independent runs, --N (one size), --seed, -o DIR.
  std::vector<std::string> sets;
  int runs = 20;
  std::string n_text = "1000";  // list "500,1000" or range "FROM:TO:NUM"
  std::string alpha_text;       // hopfield only
  std::string t_text = "0";     // temperatures
  int samples = 20;             // disorder samples per point (>= 2, for error bars)
  std::uint64_t seed = 1;
  int jobs = 0;            // threads (0: all cores)
  int sweeps = -1;         // -1: model default (hopfield T = 0: 200 max; else 2000)
  int equilibration = -1;  // -1: model default (as many as sweeps)
  std::string output;      // CSV path (required)

  // Parsed and checked by validate().
  std::vector<int> n;
  std::vector<double> alpha, t;
  void validate();
};

// Rows of one simulation table (column names, then values as text).
struct SimTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  double seconds = 0;
};

SimTable simulate_hopfield(const SimulateOptions& o);
SimTable simulate_sk(const SimulateOptions& o);

// Runs, writes the CSV and its sidecar JSON, prints one line per row; returns the exit code
// (1 when some T = 0 hopfield runs ended before a fixed point: counted in a column).
int run_simulate(SimulateOptions& o, std::ostream& out);

CLI::App* add_simulate_subcommand(CLI::App& app, SimulateOptions& o);

}  // namespace saddle
