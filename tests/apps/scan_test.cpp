// Scans, batch runs, sweeps, shards and merge through the command line (in-process).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Result = saddle::test::CliResult;
using saddle::test::cli;
using saddle::test::slurp;

struct Dir {
  fs::path path;
  explicit Dir(const std::string& name) : path(fs::temp_directory_path() / ("saddle-scan-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// A small hopfield scan: 4 temperature lines x 25 loads, crossing the retrieval fold at low T.
const char* kScan = R"({"saddle": 1, "model": "hopfield",
  "task": {"type": "scan", "grid": {"alpha": {"from": 0.02, "to": 0.16, "num": 25},
                                    "T": {"values": [0.0, 0.1, 0.3, 1.4]}}, "along": "alpha"},
  "solver": {"tol": 1e-11}})";

}  // namespace

TEST_CASE("scan: every grid point and branch, in grid order, with the selected phase") {
  Dir d("basic");
  const std::string spec = d.write("scan.json", kScan);
  const Result r = cli({"run", spec, "-o", d / "out", "-j", "1", "-q"});
  CHECK(r.code == 1);  // retrieval ends at its fold on the T = 0 and 0.1 lines: marked, not hidden
  std::istringstream scan(slurp(fs::path(d / "out") / "scan.csv"));
  std::string header;
  std::getline(scan, header);
  CHECK(header.rfind("alpha,T,m,q,r,", 0) == 0);
  std::istringstream phases(slurp(fs::path(d / "out") / "phases.csv"));
  std::getline(phases, header);
  CHECK(header == "alpha,T,selected_branch,phase,m,q,r,free_energy,branches_converged");
  int rows = 0;
  std::vector<std::pair<double, double>> order;
  for (std::string line; std::getline(phases, line); ++rows) {
    double a = 0, t = 0;
    std::sscanf(line.c_str(), "%lf,%lf", &a, &t);
    order.emplace_back(t, a);
  }
  CHECK(rows == 100);
  // lines by T (outer), alpha ascending inside each line
  for (std::size_t i = 1; i < order.size(); ++i)
    CHECK((order[i].first > order[i - 1].first ||
           (order[i].first == order[i - 1].first && order[i].second > order[i - 1].second)));
  const json summary = json::parse(slurp(fs::path(d / "out") / "summary.json"));
  CHECK(summary["solver_statistics"]["points"] == 100);
  CHECK(summary["spec"]["task"]["along"] == "alpha");
  CHECK(summary["status"] == "not_converged");
}

TEST_CASE("scan: residuals below tolerance, retrieval fold at T = 0 between grid points") {
  Dir d("residuals");
  const std::string spec = d.write("scan.json", kScan);
  cli({"run", spec, "-o", d / "out", "-q"});
  std::istringstream scan(slurp(fs::path(d / "out") / "scan.csv"));
  std::string line;
  std::getline(scan, line);
  int converged = 0;
  double last_retrieval_alpha_t0 = 0;
  while (std::getline(scan, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    // columns: alpha,T,m,q,r,C,energy,entropy,lambda_AT,free_energy,branch,phase,selected,same_as,
    //          converged,status,iterations,map_evaluations,residual
    REQUIRE(cells.size() == 19);
    if (cells[14] == "true") {
      ++converged;
      CHECK(std::stod(cells[18]) <= 1e-11);
      if (cells[1] == "0" && cells[10] == "retrieval" && cells[11] == "retrieval")
        last_retrieval_alpha_t0 = std::stod(cells[0]);
    } else {
      CHECK(cells[15] != "converged");
    }
  }
  CHECK(converged > 150);
  // alpha_c = 0.1379 (AGS): the last grid load below it is 0.02 + 20 * 0.14 / 24 = 0.13667
  CHECK(last_retrieval_alpha_t0 == doctest::Approx(0.02 + 20 * 0.14 / 24).epsilon(1e-12));
}

TEST_CASE("scan: identical tables for --jobs 1 and --jobs 2") {
  Dir d("jobs");
  const std::string spec = d.write("scan.json", kScan);
  cli({"run", spec, "-o", d / "j1", "-j", "1", "-q"});
  cli({"run", spec, "-o", d / "j2", "-j", "2", "-q"});
  CHECK(slurp(fs::path(d / "j1") / "scan.csv") == slurp(fs::path(d / "j2") / "scan.csv"));
  CHECK(slurp(fs::path(d / "j1") / "phases.csv") == slurp(fs::path(d / "j2") / "phases.csv"));
}

TEST_CASE("scan: shards merged equal the unsharded run") {
  Dir d("shards");
  const std::string spec = d.write("scan.json", kScan);
  cli({"run", spec, "-o", d / "whole", "-q"});
  for (int k = 1; k <= 3; ++k)
    cli({"run", spec, "-o", d / ("part" + std::to_string(k)), "--shard", std::to_string(k) + "/3", "-q"});
  const Result m = cli({"merge", d / "merged", d / "part3", d / "part1", d / "part2"});
  CHECK(m.code == 1);  // the merged scan has the same non-converged points
  CHECK(slurp(fs::path(d / "whole") / "scan.csv") == slurp(fs::path(d / "merged") / "scan.csv"));
  CHECK(slurp(fs::path(d / "whole") / "phases.csv") == slurp(fs::path(d / "merged") / "phases.csv"));
  const Result missing = cli({"merge", d / "merged2", d / "part1", d / "part3"});
  CHECK(missing.code == 2);
  CHECK(missing.err == "saddle: error: merge: shard 2/3 is missing\n");
  const Result dup = cli({"merge", d / "merged3", d / "part1", d / "part1", d / "part2"});
  CHECK(dup.code == 2);
  CHECK(dup.err == "saddle: error: " + (d / "part1") + ": shard 1 is also in " + (d / "part1") + "\n");
  const Result bad = cli({"run", spec, "-o", d / "bad", "--shard", "4/3"});
  CHECK(bad.code == 2);
  CHECK(bad.err == "saddle: error: --shard '4/3': expected K/N with 1 <= K <= N, e.g. 2/8\n");
}

TEST_CASE("scan: grid errors") {
  Dir d("errors");
  auto rejected = [&](const std::string& text) {
    const std::string spec = d.write("bad.json", text);
    const Result r = cli({"run", spec, "-o", d / "never"});
    CHECK(r.code == 2);
    CHECK_FALSE(fs::exists(d / "never"));
    return r.err;
  };
  const std::string where = "saddle: error: " + (d / "bad.json") + ": ";
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpha": {"from": -1, "to": 0.1, "num": 3}}}})") ==
        where + "/task/grid/alpha: grid value -1 is out of range; expected alpha > 0\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpha": {"from": 0.1, "to": 0.2, "num": 3}}, "along": "T"}})") ==
        where + "/task/along: 'T' is not a grid axis; expected one of alpha\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpha": {"from": 0.1, "to": 0.2, "num": 3, "spacing": "lin"}}}})") ==
        where + "/task/grid/alpha/spacing: 'lin' is not a spacing (did you mean 'log'?); expected linear or log\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpha": {"from": 0.1, "to": 0.2}}}})") ==
        where + "/task/grid/alpha: missing key 'num'; expected {\"from\": A, \"to\": B, \"num\": N} or {\"values\": [...]}\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpah": {"values": [0.1]}}}})") ==
        where + "/task/grid/alpah: unknown parameter 'alpah' of model hopfield (did you mean 'alpha'?); parameters: alpha, T\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "scan", "grid": {"alpha": {"values": [0.1]}}, "branches": ["retreival"]}})") ==
        where + "/task/branches/0: model hopfield offers no branch 'retreival' on this grid (did you mean 'retrieval'?); branches on this grid: retrieval, spin_glass\n");
}

TEST_CASE("batch: several specs, one directory each, one line each") {
  Dir d("batch");
  const std::string a = d.write("a.json", R"({"saddle": 1, "model": "hopfield", "params": {"alpha": 0.05, "T": 0.5}})");
  const std::string b = d.write("b.json", R"({"saddle": 1, "model": "sk", "params": {"T": 0.5}})");
  const Result r = cli({"run", a, b, "-o", d / "out", "-j", "2", "--set", "solver.tol=1e-11"});
  CHECK(r.code == 0);
  CHECK(fs::exists(fs::path(d / "out") / "a" / "solutions.csv"));
  CHECK(fs::exists(fs::path(d / "out") / "b" / "solutions.csv"));
  std::istringstream lines(r.out);
  std::string l1, l2;
  std::getline(lines, l1);
  std::getline(lines, l2);
  CHECK(l1.rfind(a + ": hopfield solve, 2/2 converged", 0) == 0);
  CHECK(l2.rfind(b + ": sk solve, ", 0) == 0);
  const json sa = json::parse(slurp(fs::path(d / "out") / "a" / "summary.json"));
  CHECK(sa["spec"]["solver"]["tol"].get<double>() == 1e-11);
  // a bad spec among good ones: nothing is run, nothing written
  const std::string bad = d.write("c.json", R"({"saddle": 1, "model": "sk", "params": {"T": -1}})");
  const Result rb = cli({"run", a, bad, "-o", d / "out2"});
  CHECK(rb.code == 2);
  CHECK_FALSE(fs::exists(d / "out2"));
}

TEST_CASE("sweep: one run per value and an index table") {
  Dir d("sweep");
  const std::string a = d.write("a.json", R"({"saddle": 1, "model": "sk", "params": {"h": 0}})");
  const Result r = cli({"run", a, "-o", d / "out", "--sweep", "params.T=0.5:1.5:3"});
  CHECK(r.code == 0);
  for (const char* sub : {"T=0.5", "T=1", "T=1.5"})
    CHECK(fs::exists(fs::path(d / "out") / sub / "solutions.csv"));
  CHECK(slurp(fs::path(d / "out") / "index.csv") ==
        "params.T,dir,status\n0.5,T=0.5,converged\n1,T=1,converged\n1.5,T=1.5,converged\n");
  const Result bad = cli({"run", a, "-o", d / "out3", "--sweep", "params.T=0.5:1.5"});
  CHECK(bad.code == 2);
  CHECK(bad.err == "saddle: error: --sweep 'params.T=0.5:1.5': expected PATH=FROM:TO:NUM with numbers, e.g. params.T=0.1:1:10\n");
}
