// The "continuation" task through the command line.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {
int run(const std::vector<std::string>& args, std::string& err) {
  std::ostringstream o, e;
  std::vector<std::string> full = {"saddle"};
  full.insert(full.end(), args.begin(), args.end());
  const int code = saddle::run_cli(full, o, e);
  err = e.str();
  return code;
}
}  // namespace

TEST_SUITE("validation") {
TEST_CASE("continuation task: hopfield capacity fold to 8+ digits, milestones, unstable branch") {
  const fs::path out = fs::temp_directory_path() / "saddle-cont-capacity";
  fs::remove_all(out);
  std::string err;
  REQUIRE(run({"run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/hopfield-capacity.json", "-o", out.string()}, err) == 0);
  const json s = json::parse(std::ifstream(out / "summary.json"));
  // closed form: alpha_c = max_y [erf y - (2/sqrt pi) y e^{-y^2}]^2 / (2 y^2) (AGS); the maximiser
  // by bisection on the derivative's sign (golden section only resolves y to sqrt(eps)).
  auto alpha = [](double y) {
    const double g = std::erf(y) - 2.0 / std::sqrt(M_PI) * y * std::exp(-y * y);
    return g * g / (2 * y * y);
  };
  double a = 1.2, b = 1.8;
  for (int i = 0; i < 100; ++i) {
    const double m = 0.5 * (a + b), h = 1e-7;
    if (alpha(m + h) > alpha(m - h)) a = m; else b = m;
  }
  const double alpha_c = alpha(0.5 * (a + b));
  int folds = 0, milestones = 0;
  for (const auto& sp : s["special_points"]) {
    if (sp["type"] == "fold") {
      ++folds;
      CHECK(sp["alpha"].get<double>() == doctest::Approx(alpha_c).epsilon(1e-9));
      CHECK(sp["order_parameters"]["m"].get<double>() == doctest::Approx(0.967).epsilon(1e-3));
    }
  }
  CHECK(folds == 1);
  std::ifstream csv(out / "branch.csv");
  std::string line;
  std::getline(csv, line);
  CHECK(line.rfind("alpha,m,q,r,", 0) == 0);
  while (std::getline(csv, line)) milestones += line.find(",milestone") != std::string::npos;
  CHECK(milestones == 4);  // 0.05 and 0.1, once on the way up and once back on the unstable branch
  CHECK(s["termination"]["reason"] == "returned_to_from");
  CHECK(s["solver_statistics"]["max_residual"].get<double>() <= 1e-12);
  fs::remove_all(out);
}
}

TEST_CASE("continuation task: input errors") {
  const fs::path dir = fs::temp_directory_path() / "saddle-cont-errors";
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto rejected = [&](const std::string& text) {
    std::ofstream(dir / "c.json") << text;
    std::string err;
    CHECK(run({"run", (dir / "c.json").string(), "-o", (dir / "out").string()}, err) == 2);
    CHECK_FALSE(fs::exists(dir / "out"));
    return err;
  };
  const std::string where = "saddle: error: " + (dir / "c.json").string() + ": ";
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "continuation", "parameter": "alpha", "from": 0.01, "to": 0.2, "step": 0}})") ==
        where + "/task/step: step = 0 is out of range; expected a finite number > 0\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "continuation", "parameter": "alpha", "from": 0, "to": 0.2}})") ==
        where + "/task/from: value 0 is out of range; expected alpha > 0\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "continuation", "parameter": "alpha", "from": 0.01, "to": 0.2, "branch": "paramagnet"}})") ==
        where + "/task/branch: model hopfield offers no branch 'paramagnet' at alpha = 0.01; branches there: retrieval, spin_glass\n");
  CHECK(rejected(R"({"saddle": 1, "model": "hopfield", "task": {"type": "continuation", "parameter": "alpha", "from": 0.01, "to": 0.2, "method": "arc"}})").rfind(where + "/task/method: ", 0) == 0);
  fs::remove_all(dir);
}
