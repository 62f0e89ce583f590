// `saddle simulate SPEC.json`: the finite-size simulator of a dynamics model (kernel_regression,
// committee_online, scs_rnn) at the spec's points, written as simulation.csv with the theory
// table's column names (plus <column>_sem error bars and the run count) and summary.json.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace saddle {

struct SimulateFlags {
  std::string output;  // -o; default: the spec's output.dir + "-sim", else out/<spec name>-sim
  std::vector<std::string> sets;
  int runs = 20;
  std::uint64_t seed = 1;
  int N = 1000;  // committee_online (input dimension) and scs_rnn (network size)
};

// Models with a simulator here.
bool has_dynamics_simulator(const std::string& model_id);
// Validates everything before any work; returns the exit code (0).
int cmd_simulate_dynamics(const std::string& spec_path, const SimulateFlags& flags,
                          std::ostream& out);

}  // namespace saddle
