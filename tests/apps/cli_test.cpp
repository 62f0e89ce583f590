// The command line end to end, in-process: exit codes, outputs, and the exact text of every
// error message a user can meet (house style 14).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using saddle::test::CliResult;
using saddle::test::cli;

// A scratch directory unique to one test case, removed at the end.
struct Scratch {
  fs::path dir;
  // The process id keeps concurrent test runs (several build trees on one machine) apart.
  explicit Scratch(const std::string& name)
      : dir(fs::temp_directory_path() / ("saddle-cli-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string file(const std::string& name, const std::string& content) const {
    const fs::path p = dir / name;
    std::ofstream(p) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

const char* kGoodSpec = R"({"saddle": 1, "model": "hopfield", "params": {"alpha": 0.05, "T": 0.5},
  "task": {"type": "solve"}})";

// Runs a spec expected to be rejected; checks exit code 2, the exact message, and that the
// output directory was not created.
std::string rejected(const Scratch& s, const std::string& spec_text, std::vector<std::string> extra = {}) {
  const std::string spec = s.file("spec.json", spec_text);
  const std::string out = s.path("out");
  std::vector<std::string> args = {"run", spec, "-o", out};
  args.insert(args.end(), extra.begin(), extra.end());
  const CliResult r = cli(args);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK_FALSE(fs::exists(out));
  return r.err;
}

}  // namespace

TEST_CASE("cli: solve prints every default branch as one JSON object") {
  const CliResult r = cli({"solve", "hopfield", "alpha=0.05", "T=0.5", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  const json j = json::parse(r.out);
  CHECK(j["model"] == "hopfield");
  CHECK(j["params"]["alpha"].get<double>() == 0.05);
  CHECK(j["params"]["T"].get<double>() == 0.5);
  REQUIRE(j["solutions"].size() >= 2);
  std::vector<std::string> branches;
  for (const auto& s : j["solutions"]) {
    branches.push_back(s["branch"]);
    for (const char* key : {"order_parameters", "observables", "free_energy", "converged",
                            "iterations", "residual", "phase", "status"})
      CHECK_MESSAGE(s.contains(key), key);
    CHECK(s["converged"] == true);
    CHECK(s["residual"].get<double>() <= 1e-12);
    for (const char* op : {"m", "q", "r"}) CHECK(s["order_parameters"].contains(op));
  }
  CHECK(branches[0] == "retrieval");
  CHECK(branches[1] == "spin_glass");
  // At alpha = 0.05, T = 0.5 retrieval states exist but are metastable: T_c(alpha) has fallen to
  // ~0 at alpha ~ 0.05 (AGS 1987), so the spin-glass state has the lower free energy.
  CHECK(j["solutions"][0]["selected"] == false);
  CHECK(j["solutions"][1]["selected"] == true);
  CHECK(j["solutions"][1]["free_energy"].get<double>() < j["solutions"][0]["free_energy"].get<double>());
  CHECK(j["solutions"][0]["phase"] == "retrieval");
  CHECK(j["solutions"][1]["phase"] == "spin_glass");
}

TEST_CASE("cli: solve includes the paramagnet above T = 1") {
  const CliResult r = cli({"solve", "hopfield", "alpha=0.05", "T=1.5", "--json"});
  REQUIRE(r.code == 0);
  const json j = json::parse(r.out);
  bool has_pm = false;
  for (const auto& s : j["solutions"]) has_pm |= s["branch"] == "paramagnet";
  CHECK(has_pm);
}

TEST_CASE("cli: run writes solutions.csv and summary.json") {
  Scratch s("run");
  const std::string spec = s.file("spec.json", kGoodSpec);
  const std::string out = s.path("result");
  const CliResult r = cli({"run", spec, "-o", out, "--set", "params.T=0.4"});
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  REQUIRE(fs::exists(fs::path(out) / "solutions.csv"));
  REQUIRE(fs::exists(fs::path(out) / "summary.json"));
  std::ifstream csv(fs::path(out) / "solutions.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header.rfind("alpha,T,m,q,r,", 0) == 0);
  CHECK(header.find(",free_energy,branch,phase,selected,same_as,converged,status,iterations,"
                    "map_evaluations,residual,spectral_radius") != std::string::npos);
  int rows = 0;
  for (std::string line; std::getline(csv, line);) {
    ++rows;
    CHECK(line.rfind("0.05,0.4,", 0) == 0);  // the --set override reached the table
    CHECK(line.find("nan") == std::string::npos);
  }
  CHECK(rows >= 2);
  const json summary = json::parse(std::ifstream(fs::path(out) / "summary.json"));
  CHECK(summary["schema_version"] == 1);
  CHECK(summary["spec"]["params"]["T"].get<double>() == 0.4);
  CHECK(summary["spec"]["solver"]["method"] == "auto");
  CHECK(summary["spec"]["solver"]["tol"].get<double>() == 1e-12);
  CHECK(summary["status"] == "converged");
  CHECK(summary.contains("saddle_version"));
  CHECK(summary["timing"]["total_seconds"].get<double>() >= 0);
  CHECK(summary["solver_statistics"]["map_evaluations"].get<long>() > 0);
  // no temporary files left behind
  for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().filename().string()[0] != '.');
}

TEST_CASE("cli: every shipped example spec runs") {
  for (const auto& e : fs::directory_iterator(fs::path(SADDLE_SOURCE_DIR) / "data" / "specs")) {
    if (e.path().extension() != ".json") continue;
    Scratch s("example");
    const json spec = json::parse(std::ifstream(e.path()));
    std::vector<std::string> args = {"run", e.path().string(), "-o", s.path("out"), "-q"};
    const bool scan = spec["task"]["type"] == "scan";
    if (scan)  // the shipped grids are benchmark-sized; a coarse version of each runs here
      for (auto it = spec["task"]["grid"].begin(); it != spec["task"]["grid"].end(); ++it)
        if (it.value().contains("num"))
          args.insert(args.end(), {"--set", "task.grid." + it.key() + ".num=7"});
    if (spec["task"]["type"] == "phase_diagram")  // phase labels from a coarse grid
      args.insert(args.end(), {"--set", "task.label_grid=[4,3]"});
    const CliResult r = cli(args);
    const std::string context = e.path().string() + "\n" + r.out + r.err;
    // A scan may cross the end of a branch (exit 1, marked in its tables); a point solve must
    // converge everywhere.
    if (scan) CHECK_MESSAGE((r.code == 0 || r.code == 1), context);
    else CHECK_MESSAGE(r.code == 0, context);
    CHECK(fs::exists(fs::path(s.path("out")) / "summary.json"));
  }
}

TEST_CASE("cli: models and describe") {
  const CliResult m = cli({"models"});
  CHECK(m.code == 0);
  CHECK(m.out.find("hopfield") != std::string::npos);
  CHECK(m.out.find("sk") != std::string::npos);
  const CliResult d = cli({"describe", "hopfield"});
  CHECK(d.code == 0);
  for (const char* s : {"parameters:", "alpha", "default", "range", "order parameters:", "observables:",
                        "default branches:", "retrieval", "spin_glass", "paramagnet", "references:",
                        "Amit"})
    CHECK_MESSAGE(d.out.find(s) != std::string::npos, s);
}

TEST_CASE("errors: malformed JSON") {
  Scratch s("malformed");
  CHECK(rejected(s, R"({"saddle": 1, "model": })") ==
        "saddle: error: " + s.path("spec.json") +
            ": malformed JSON: parse error at line 1, column 24: syntax error while parsing value - "
            "unexpected '}'; expected '[', '{', or a literal\n");
}

TEST_CASE("errors: unknown model") {
  Scratch s("unknown-model");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfeld"})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /model: unknown model 'hopfeld' (did you mean 'hopfield'?); `saddle models` lists the "
            "models\n");
}

TEST_CASE("errors: unknown top-level key") {
  Scratch s("unknown-key");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "paramz": {}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /paramz: unknown key 'paramz' (did you mean 'params'?); valid: saddle, model, params, "
            "options, task, init, solver, output, description\n");
}

TEST_CASE("errors: misspelled parameter") {
  Scratch s("misspelled");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "params": {"alpah": 0.1}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/alpah: unknown parameter 'alpah' of model hopfield (did you mean 'alpha'?); "
            "parameters: alpha, T\n");
}

TEST_CASE("errors: wrong type") {
  Scratch s("wrong-type");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "params": {"alpha": "0.05"}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/alpha: expected a number, got string \"0.05\"\n");
}

TEST_CASE("errors: out-of-range value") {
  Scratch s("range");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "params": {"alpha": -1}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/alpha: value -1 is out of range; expected alpha > 0\n");
}

TEST_CASE("errors: missing file") {
  Scratch s("missing");
  const CliResult r = cli({"run", s.path("nope.json")});
  CHECK(r.code == 2);
  CHECK(r.err == "saddle: error: " + s.path("nope.json") + ": no such file\n");
}

TEST_CASE("errors: unwritable output directory") {
  Scratch s("unwritable");
  const std::string spec = s.file("spec.json", kGoodSpec);
  const std::string blocker = s.file("blocker", "a file, not a directory");
  const CliResult r = cli({"run", spec, "-o", blocker + "/out"});
  CHECK(r.code == 2);
  CHECK(r.err == "saddle: error: " + blocker + "/out: cannot create output directory (Not a directory)\n");
}

TEST_CASE("errors: bad --set path") {
  Scratch s("set-path");
  CHECK(rejected(s, kGoodSpec, {"--set", "model.name=x"}) ==
        "saddle: error: --set 'model.name=x': cannot set 'model.name': its parent holds a string, not "
        "an object\n");
  CHECK(rejected(s, kGoodSpec, {"--set", "params..T=1"}) ==
        "saddle: error: --set 'params..T=1': empty component in path 'params..T'; expected names "
        "joined by dots\n");
  CHECK(rejected(s, kGoodSpec, {"--set", "params.T"}) ==
        "saddle: error: --set 'params.T': expected PATH=VALUE, e.g. params.T=0.2\n");
  CHECK(rejected(s, kGoodSpec, {"--set", "params.beta=2"}) ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/beta: unknown parameter 'beta' of model hopfield; parameters: alpha, T\n");
}

TEST_CASE("errors: NaN or infinite value") {
  Scratch s("nan");
  CHECK(rejected(s, kGoodSpec, {"--set", "params.T=nan"}) ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/T: value nan is not a finite number; expected T >= 0\n");
  CHECK(rejected(s, kGoodSpec, {"--set", "params.alpha=inf"}) ==
        "saddle: error: " + s.path("spec.json") +
            ": /params/alpha: value inf is not a finite number; expected alpha > 0\n");
  // JSON has no NaN; an overflowing literal is refused where it is read
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "params": {"T": 1e999}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": number overflow parsing '1e999'; expected a finite number\n");
}

TEST_CASE("errors: solver settings") {
  Scratch s("solver");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "solver": {"methd": "newton"}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /solver/methd: unknown key 'methd' (did you mean 'method'?); valid: method, tol, "
            "max_iter, damping, adaptive_damping, min_damping, depth, mixing, max_condition, "
            "restart_factor, jacobian, newton_backend, fd_step, line_search, min_step\n");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "solver": {"max_iter": 10.5}})") ==
        "saddle: error: " + s.path("spec.json") + ": /solver/max_iter: expected an integer, got 10.5\n");
}

TEST_CASE("errors: task, version, init") {
  Scratch s("task");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "task": {"type": "slove"}})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /task/type: unknown task type 'slove' (did you mean 'solve'?); expected one of solve, "
            "continuation, scan, phase_diagram, spectrum\n");
  CHECK(rejected(s, R"({"saddle": 2, "model": "hopfield"})") ==
        "saddle: error: " + s.path("spec.json") + ": /saddle: unsupported spec version 2; expected 1\n");
  CHECK(rejected(s, R"({"model": "hopfield"})") ==
        "saddle: error: " + s.path("spec.json") +
            ": missing key 'saddle' (the spec version); expected \"saddle\": 1\n");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "init": [{"m": 1, "qq": 1}]})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /init/0/qq: unknown order parameter 'qq' (did you mean 'q'?); valid: m, q, r, branch\n");
  CHECK(rejected(s, R"({"saddle": 1, "model": "hopfield", "init": [{"m": 2}]})") ==
        "saddle: error: " + s.path("spec.json") +
            ": /init/0/m: value 2 is outside the domain; expected -1 <= m <= 1\n");
}

TEST_CASE("errors: command-line solve") {
  CliResult r = cli({"solve", "hopfield", "alpha=abc"});
  CHECK(r.code == 2);
  CHECK(r.err == "saddle: error: alpha: expected a number, got string \"abc\"\n");
  r = cli({"solve", "hopfield", "alpah=0.1"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "saddle: error: 'alpah=0.1': unknown parameter 'alpah' of model hopfield (did you mean "
        "'alpha'?); parameters and options: alpha, T\n");
  r = cli({"solve", "hopfeld"});
  CHECK(r.code == 2);
  CHECK(r.err ==
        "saddle: error: solve: unknown model 'hopfeld' (did you mean 'hopfield'?); `saddle models` "
        "lists the models\n");
  r = cli({"solve", "hopfield", "T=-0.5"});
  CHECK(r.code == 2);
  CHECK(r.err == "saddle: error: T: value -0.5 is out of range; expected T >= 0\n");
  r = cli({"frobnicate"});
  CHECK(r.code == 2);
  CHECK(r.err.rfind("saddle: error: ", 0) == 0);
}
