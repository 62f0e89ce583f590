// The perceptron_storage model (models/replica/perceptron_storage.cpp): the map at q = 0, the
// envelope identity ds/dalpha = E ln H(u), Gardner's capacity alpha_c(kappa) at several margins,
// RS instability for kappa < 0, and the binary perceptron's Krauth-Mezard capacity and q -> 1 point
// from the continuation task (values in data/reference/perceptron_storage.json).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"
#include "saddle/solvers.hpp"
#include "saddle/special.hpp"

using namespace saddle;
namespace fs = std::filesystem;

namespace {

const double kResidualTol = 10 * SolverSettings{}.tol;

const FixedPointModel& model() {
  return builtin_registry().get("perceptron_storage");
}

double reference_value(const std::string& key) {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(SADDLE_SOURCE_DIR) + "/data/reference/perceptron_storage.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  REQUIRE(j["entries"].contains(key));
  return j["entries"][key]["value"].get<double>();
}

Point point(const std::string& weights, double alpha, double kappa) {
  Point p = model().default_point();
  p.params[model().parameter_index("alpha")] = alpha;
  p.params[model().parameter_index("kappa")] = kappa;
  p.options[static_cast<std::size_t>(model().option_index("weights"))] = weights;
  return p;
}

double observable(const Point& p, const Eigen::VectorXd& x, const std::string& name) {
  const auto names = model().observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return model().observable_values(x, p)[static_cast<Eigen::Index>(i)];
  FAIL("no observable " << name);
  return 0.0;
}

struct Solution {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  SolverSummary summary;
  bool admissible = false;
};

Solution solve(const Point& p) {
  Solution s;
  s.summary = solve_fixed_point(SolverSettings{}, make_problem(model(), p), s.x);
  s.admissible = s.summary.usable() && !model().inadmissible(s.x, p).has_value();
  if (s.admissible) {
    Eigen::VectorXd fx;
    model().map(s.x, p, fx);
    CHECK(std::fabs(fx[0] - s.x[0]) <= kResidualTol);
  }
  return s;
}

// Gardner's capacity in closed form, written independently of the model.
double alpha_c(double kappa) {
  const double H_minus = 0.5 * std::erfc(-kappa / std::sqrt(2.0));
  return 1.0 / ((1.0 + kappa * kappa) * H_minus +
                kappa * std::exp(-0.5 * kappa * kappa) / std::sqrt(2.0 * kPi));
}

}  // namespace

TEST_CASE("perceptron_storage: the map at q = 0") {
  // q/(1 - q) = alpha mills(kappa)^2 at q = 0 (spherical); binary: qhat = alpha mills^2,
  // q' = E tanh^2(sqrt(qhat) z).
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1), fx;
  const double m = mills(0.3), a = 0.7 * m * m;
  model().map(x, point("spherical", 0.7, 0.3), fx);
  CHECK(fx[0] == doctest::Approx(a / (1.0 + a)).epsilon(1e-14));
  model().map(x, point("binary", 0.7, 0.3), fx);
  CHECK(fx[0] == doctest::Approx(tanh_moments(0.0, std::sqrt(a)).tanh2).epsilon(1e-14));
}

TEST_SUITE("validation") {
  TEST_CASE("perceptron_storage: ds/dalpha = E ln H(u) at the solution (1e-7)") {
    for (const std::string w : {"spherical", "binary"})
      for (double kappa : {-0.5, 0.0, 0.7}) {
        const double alpha = w == "binary" ? 0.4 : 0.8 * alpha_c(kappa) * 0.5, h = 1e-5;
        auto entropy = [&](double a) {
          const Point p = point(w, a, kappa);
          const Solution s = solve(p);
          REQUIRE(s.admissible);
          return observable(p, s.x, "entropy");
        };
        const double q = solve(point(w, alpha, kappa)).x[0];
        const QuadratureResult e = gauss_hermite_expectation(
            1,
            [&](double t, double* out) {
              out[0] = log_H((kappa + std::sqrt(q) * t) / std::sqrt(1.0 - q));
            },
            1e-13, 32, 1024);
        REQUIRE(e.converged);
        CHECK((entropy(alpha + h) - entropy(alpha - h)) / (2 * h) ==
              doctest::Approx(e[0]).epsilon(1e-7));
      }
  }

  TEST_CASE("perceptron_storage: spherical capacity alpha_c(kappa) = 1 / I2(kappa), q -> 1 there") {
    CHECK(alpha_c(0.0) ==
          doctest::Approx(reference_value("spherical_alpha_c_kappa0")).epsilon(1e-15));
    for (double kappa : {-1.0, -0.5, 0.0, 0.5, 1.0, 2.0}) {
      INFO("kappa = " << kappa);
      const double ac = alpha_c(kappa);
      CHECK(observable(point("spherical", 1.0, kappa), Eigen::VectorXd::Zero(1),
                       "alpha_capacity") == doctest::Approx(ac).epsilon(1e-14));
      // Below alpha_c a solution with q < 1; 1 - q ~ (alpha_c - alpha)^2, so halving the distance
      // divides 1 - q by 4 (to O(distance): 2% at these distances).
      const Solution near = solve(point("spherical", ac * (1 - 1e-3), kappa));
      const Solution nearer = solve(point("spherical", ac * (1 - 5e-4), kappa));
      REQUIRE(near.admissible);
      REQUIRE(nearer.admissible);
      CHECK((1 - near.x[0]) / (1 - nearer.x[0]) == doctest::Approx(2.0).epsilon(0.02));
      // Above it none: the iteration runs onto q = 1 and the point is flagged.
      CHECK_FALSE(solve(point("spherical", ac * (1 + 1e-2), kappa)).admissible);
      // RS stability near capacity (Gardner-Derrida 1988): stable for kappa > 0, marginal at 0,
      // unstable for kappa < 0.
      const double lambda =
          observable(point("spherical", ac * (1 - 5e-4), kappa), nearer.x, "lambda_AT");
      if (kappa > 0) CHECK(lambda > 0.1);
      if (kappa == 0) CHECK(std::fabs(lambda) < 0.02);
      if (kappa < 0) CHECK(lambda < -0.1);
    }
  }

  TEST_CASE("perceptron_storage: binary weights: Krauth-Mezard 0.833 and the q -> 1 point 4/pi") {
    const fs::path out = fs::temp_directory_path() / "saddle-perceptron-binary";
    fs::remove_all(out);
    std::ostringstream o, e;
    REQUIRE(run_cli({"saddle", "run",
                     std::string(SADDLE_SOURCE_DIR) + "/data/specs/perceptron-binary.json", "-o",
                     out.string()},
                    o, e) == 0);
    const nlohmann::json s = nlohmann::json::parse(std::ifstream(out / "summary.json"));
    int zeros = 0;
    for (const auto& sp : s["special_points"])
      if (sp["type"] == "thermodynamic_stability_change") {
        ++zeros;
        CHECK(sp["located"] == true);
        CHECK(std::fabs(sp["alpha"].get<double>() - reference_value("binary_zero_entropy_kappa0")) <
              5e-4);
      }
    CHECK(zeros == 1);
    // The branch ends where q -> 1: within 1e-5 of 4/pi (q = 1 - 1e-6 there).
    std::ifstream csv(out / "branch.csv");
    std::string line, last;
    while (std::getline(csv, line)) last = line;
    const double alpha_end = std::stod(last.substr(0, last.find(',')));
    CHECK(alpha_end == doctest::Approx(reference_value("binary_q1_kappa0")).epsilon(1e-5));
  }
}

TEST_SUITE("validation") {
  TEST_CASE("perceptron_storage: the capacity line traced by phase_diagram matches 1 / I2(kappa)") {
    const fs::path out = fs::temp_directory_path() / "saddle-perceptron-capacity";
    fs::remove_all(out);
    std::ostringstream o, e;
    REQUIRE(run_cli({"saddle", "run",
                     std::string(SADDLE_SOURCE_DIR) + "/data/specs/perceptron-capacity.json", "-o",
                     out.string(), "--set", "task.labels=false"},
                    o, e) == 0);
    const nlohmann::json s = nlohmann::json::parse(std::ifstream(out / "summary.json"));
    int rows = 0;
    for (const auto& b : s["boundaries"]) {
      const std::string name = b["name"];
      if (name.rfind("alpha_c", 0) != 0) continue;
      std::ifstream csv(out / b["table"].get<std::string>());
      std::string line;
      std::getline(csv, line);
      REQUIRE(line.rfind("kappa,alpha,", 0) == 0);
      while (std::getline(csv, line)) {
        std::stringstream ss(line);
        std::string k, a;
        std::getline(ss, k, ',');
        std::getline(ss, a, ',');
        // The end of the branch is located where q reaches 1 - 1e-6 or so (the fold equations are
        // degenerate at q = 1): measured 2.2e-6 relative at worst.
        CHECK(std::stod(a) == doctest::Approx(alpha_c(std::stod(k))).epsilon(1e-5));
        ++rows;
      }
      if (name == "alpha_c")
        CHECK(b["start"]["alpha"].get<double>() ==
              doctest::Approx(reference_value("spherical_alpha_c_kappa0")).epsilon(1e-8));
    }
    CHECK(rows >= 30);
  }
}
