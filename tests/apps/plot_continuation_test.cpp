// `saddle plot` on a continuation result: the branch against the continuation parameter and the
// labelled special points in a data block (gnuplot's strcol() cannot filter branch.csv by label:
// it repeats the previous row's value for an empty last field).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli.hpp"

namespace fs = std::filesystem;

TEST_CASE("plot: a continuation result gets its special points, and only those, marked") {
  const fs::path out = fs::temp_directory_path() / "saddle-plot-continuation";
  fs::remove_all(out);
  std::ostringstream o, e;
  REQUIRE(saddle::run_cli({"saddle", "run",
                           std::string(SADDLE_SOURCE_DIR) + "/data/specs/glm-learning-curve.json",
                           "-o", out.string()},
                          o, e) == 0);
  saddle::run_cli({"saddle", "plot", out.string()}, o, e);  // gnuplot may be absent: script only
  std::ifstream gp(out / "plot.gp");
  REQUIRE(gp.good());
  std::stringstream text;
  text << gp.rdbuf();
  const std::string s = text.str();
  CHECK(s.find("plot 'branch.csv' using 1:(strcol(") != std::string::npos);
  const auto begin = s.find("$special << EOD\n"), end = s.find("EOD\n", begin + 16);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::string block = s.substr(begin + 16, end - begin - 16);
  // The fold, the first-order point and the unlocated iteration-stability change; no start/end.
  CHECK(block.find(",\"fold at ") != std::string::npos);
  CHECK(block.find("1.24468") != std::string::npos);
  CHECK(block.find(",\"thermodynamic_stability_change at 1.24468") != std::string::npos);
  CHECK(block.find("start") == std::string::npos);
  CHECK(block.find("end") == std::string::npos);
  CHECK(std::count(block.begin(), block.end(), '\n') == 3);
}
