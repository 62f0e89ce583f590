// Benchmark (not a test): the Monte Carlo simulators behind `saddle simulate`, with fixed seeds.
//
//   hopfield: T = 0 asynchronous dynamics and T = 0.2 Glauber at alpha = 0.1, N = 1000 to 4000;
//             spin updates per second (each costs O(p) = O(alpha N)), and the accuracy of m
//             against the closed-form AGS retrieval overlap at T = 0 (alpha = 0.1: m = 0.99799927).
//   sk:       parallel tempering over 10 temperatures, N = 64 and 128; Metropolis spin updates
//             per second, and the energy at T = 2 against -1/(2T) = -0.25 (paramagnet).
// For 1 thread and 2 threads (results are identical by construction; only time changes).
//
//   build/bin/bench_simulate
#include <chrono>
#include <cmath>
#include <cstdio>

#include "simulate.hpp"

using namespace saddle;

int main() {
  const double m_exact = 0.9979992663472992;  // AGS T = 0 retrieval overlap at alpha = 0.1
  std::printf("%-9s %5s %6s %7s %8s %10s %14s %12s %12s\n", "model", "N", "T", "threads", "samples",
              "seconds", "updates/s", "value", "value-theory");
  for (int threads : {1, 2}) {
    for (int n : {1000, 2000, 4000}) {
      for (double t : {0.0, 0.2}) {
        SimulateOptions o;
        o.model = "hopfield";
        o.n_text = std::to_string(n);
        o.alpha_text = "0.1";
        o.t_text = t == 0 ? "0" : "0.2";
        o.samples = 8;
        o.jobs = threads;
        o.sweeps = t == 0 ? 200 : 50;
        o.equilibration = t == 0 ? 0 : 50;
        o.output = "unused.csv";
        o.validate();
        const SimTable tab = simulate_hopfield(o);
        const auto& r = tab.rows[0];
        // updates: T = 0 -> measured sweeps (column 9) x N x 2 replicas; T > 0 -> all sweeps
        const double sweeps = t == 0 ? r[9] : o.sweeps + o.equilibration;
        const double updates = sweeps * n * 2 * o.samples;
        std::printf("%-9s %5d %6.2f %7d %8d %10.3f %14.3e %12.8f %12.2e\n", "hopfield", n, t,
                    threads, o.samples, tab.seconds, updates / tab.seconds, r[5],
                    t == 0 ? r[5] - m_exact : NAN);
      }
    }
    for (int n : {64, 128}) {
      SimulateOptions o;
      o.model = "sk";
      o.n_text = std::to_string(n);
      o.t_text = "0.2:2:10";
      o.samples = 4;
      o.jobs = threads;
      o.sweeps = 2000;
      o.equilibration = 1000;
      o.output = "unused.csv";
      o.validate();
      const SimTable tab = simulate_sk(o);
      const auto& hot = tab.rows.back();  // T = 2
      const double updates = double(o.sweeps + o.equilibration) * n * 10 * 2 * o.samples;
      std::printf("%-9s %5d %6.2f %7d %8d %10.3f %14.3e %12.8f %12.2e\n", "sk", n, hot[1], threads,
                  o.samples, tab.seconds, updates / tab.seconds, hot[4], hot[4] + 0.25);
    }
  }
  return 0;
}
