// `saddle simulate` (apps/sim/simulate_cli.cpp): output columns and the exact error messages.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli.hpp"

using namespace saddle;

namespace {
std::string spec_path(const std::string& name) {
  return std::string(SADDLE_SOURCE_DIR) + "/data/specs/" + name;
}
}  // namespace

TEST_CASE("saddle simulate: kernel_regression writes the theory's columns with error bars") {
  const auto dir = (std::filesystem::temp_directory_path() / "saddle-sim-krr").string();
  std::ostringstream out, err;
  REQUIRE(run_cli({"saddle", "simulate", spec_path("kernel-regression-learning-curve.json"), "-o",
                   dir, "--runs", "3", "--set", "task.grid.p.num=2", "--set", "params.modes=200",
                   "--set", "task.grid.p.to=100"},
                  out, err) == 0);
  std::ifstream in(dir + "/simulation.csv");
  std::string header;
  std::getline(in, header);
  CHECK(header ==
        "p,lambda,noise,modes,decay,target_decay,spectrum,E_g,E_g_sem,mode_error_1,mode_error_1_"
        "sem,mode_error_2,"
        "mode_error_2_sem,mode_error_3,mode_error_3_sem,mode_error_4,mode_error_4_sem,tail_error,"
        "tail_error_sem,runs");
  std::string row;
  int rows = 0;
  while (std::getline(in, row)) ++rows;
  CHECK(rows == 2);
  CHECK(std::filesystem::exists(dir + "/summary.json"));
}

TEST_CASE("saddle simulate: bad input is rejected with exact messages") {
  std::ostringstream out, err;
  CHECK(run_cli({"saddle", "simulate", spec_path("hopfield-point.json")}, out, err) == 2);
  CHECK(err.str() ==
        "saddle: error: " + spec_path("hopfield-point.json") +
            ": /model: no simulator for model 'hopfield' here; expected kernel_regression, "
            "committee_online or scs_rnn\n");
  std::ostringstream out2, err2;
  CHECK(run_cli({"saddle", "simulate", spec_path("committee-plateau.json"), "--runs", "1"}, out2,
                err2) == 2);
  CHECK(err2.str() ==
        "saddle: error: --runs: 1 runs cannot give an error bar; expected runs >= 2\n");
  std::ostringstream out3, err3;
  CHECK(run_cli({"saddle", "simulate", spec_path("scs-rnn-autocorrelation.json"), "--set",
                 "task.num=7"},
                out3, err3) == 2);
  CHECK(err3.str() == "saddle: error: " + spec_path("scs-rnn-autocorrelation.json") +
                          ": /task: the network simulator samples at multiples of dt = 0.1; "
                          "expected linear spacing "
                          "with to/(num - 1) a multiple of 0.1\n");
}
