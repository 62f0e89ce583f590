// saddle plot: the gnuplot script drawn for each result type, the pictures, and the errors.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli_harness.hpp"

namespace fs = std::filesystem;

namespace {

using Run = saddle::test::CliResult;
using saddle::test::cli;
using saddle::test::slurp;

bool have_gnuplot() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// Runs a spec from data/specs with overrides into a fresh directory.
fs::path run_spec(const std::string& name, std::vector<std::string> extra = {}) {
  const fs::path out = fs::temp_directory_path() / ("saddle-plot-" + name);
  fs::remove_all(out);
  std::vector<std::string> args = {"run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/" + name + ".json", "-o",
                                   out.string(), "-q"};
  args.insert(args.end(), extra.begin(), extra.end());
  const Run r = cli(args);
  INFO(r.out << r.err);
  REQUIRE(r.code <= 1);
  return out;
}

}  // namespace

TEST_SUITE("validation") {
TEST_CASE("plot: continuation branch, stable and unstable parts, the fold named at its alpha") {
  if (!have_gnuplot()) return;  // scripts/deps.sh installs gnuplot-nox; CI always has it
  const fs::path d = run_spec("hopfield-capacity");
  const Run r = cli({"plot", d.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string gp = slurp(d / "plot.gp");
  CHECK(gp.find("set xlabel 'alpha'") != std::string::npos);
  CHECK(gp.find("set ylabel 'm'") != std::string::npos);
  CHECK(gp.find("title 'iteration-stable'") != std::string::npos);
  CHECK(gp.find("$special << EOD\n") != std::string::npos);
  CHECK(gp.find(",\"fold at 0.1379055665\"\n") != std::string::npos);
  CHECK(fs::file_size(d / "plot.png") > 1000);
  CHECK(fs::file_size(d / "plot.svg") > 1000);
  // --z picks another column
  const Run r2 = cli({"plot", d.string(), "--z", "r"});
  REQUIRE(r2.code == 0);
  CHECK(slurp(d / "plot.gp").find("set ylabel 'r'") != std::string::npos);
}

TEST_CASE("plot: phase diagram with boundaries and phase labels inside their regions") {
  if (!have_gnuplot()) return;
  const fs::path d = run_spec("hopfield-phase-diagram");
  const auto summary = nlohmann::json::parse(slurp(d / "summary.json"));
  REQUIRE(summary.contains("phase_labels"));
  std::map<std::string, std::pair<double, double>> at;
  for (const auto& l : summary["phase_labels"]["labels"])
    at[l["phase"].get<std::string>()] = {l["alpha"].get<double>(), l["T"].get<double>()};
  // AGS: retrieval is the ground state below T_c (alpha < 0.05 at T = 0), the paramagnet above
  // T_g = 1 + sqrt(alpha), the spin glass between.
  REQUIRE(at.count("retrieval"));
  REQUIRE(at.count("spin_glass"));
  REQUIRE(at.count("paramagnet"));
  CHECK(at["paramagnet"].second > 1 + std::sqrt(at["paramagnet"].first));
  CHECK(at["spin_glass"].second < 1 + std::sqrt(at["spin_glass"].first));
  CHECK(at["retrieval"].first < 0.052);
  CHECK(summary["phase_labels"]["unresolved_points"] == 0);
  const Run r = cli({"plot", d.string()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  const std::string gp = slurp(d / "plot.gp");
  CHECK(gp.find("set label 'retrieval' at ") != std::string::npos);
  CHECK(gp.find("title 'T_M (fold)'") != std::string::npos);
  CHECK(fs::file_size(d / "plot.png") > 1000);
}
}

TEST_CASE("plot: errors name the directory or column and what was expected") {
  const fs::path missing = fs::temp_directory_path() / "saddle-plot-no-such-dir";
  fs::remove_all(missing);
  const Run r = cli({"plot", missing.string()});
  CHECK(r.code == 2);
  CHECK(r.err.find((missing / "summary.json").string()) != std::string::npos);

  const fs::path d = run_spec("hopfield-point");
  const Run solve = cli({"plot", d.string()});
  CHECK(solve.code == 2);
  CHECK(solve.err == "saddle: error: " + d.string() +
                         ": task type 'solve' has no plot yet; expected a scan, continuation, phase_diagram or trajectory result\n");

  const fs::path c = run_spec("hopfield-capacity", {"--set", "task.milestones=[]"});
  const Run col = cli({"plot", c.string(), "--z", "mm"});
  CHECK(col.code == 2);
  CHECK(col.err.find("branch.csv: no column 'mm' (did you mean 'm'?); columns: alpha, m, q, r,") != std::string::npos);
}
