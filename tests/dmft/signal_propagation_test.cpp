// signal_propagation (models/dmft/signal_propagation.cpp): fixed points and chi_1 against the
// exact relu and identity results and the tanh edge of chaos
// (data/reference/signal_propagation.json).
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"
#include "saddle/solvers.hpp"

using namespace saddle;

namespace {
const FixedPointModel& sp() {
  return builtin_registry().get("signal_propagation");
}

Point at(double sw2, double sb2, const std::string& act) {
  Point p = sp().default_point();
  p.params[0] = sw2;
  p.params[1] = sb2;
  p.options[0] = act;
  return p;
}

Eigen::VectorXd solve(const Point& p, double c0) {
  Eigen::VectorXd x(2);
  x << p.params[0] + p.params[1], c0;
  const SolverSummary s = solve_fixed_point(SolverSettings{}, make_problem(sp(), p), x);
  INFO(s.brief_report());
  REQUIRE(s.usable());
  Eigen::VectorXd fx;
  sp().map(x, p, fx);
  CHECK((fx - x).cwiseAbs().maxCoeff() <= 1e-11);
  return x;
}
}  // namespace

TEST_SUITE("validation") {
  TEST_CASE("signal_propagation: relu q* = sb2 / (1 - sw2/2) and chi_1 = sw2 / 2") {
    for (double sw2 : {0.5, 1.2, 1.9}) {
      const Point p = at(sw2, 0.3, "relu");
      const Eigen::VectorXd x = solve(p, 0.0);
      CHECK(x[0] == doctest::Approx(0.3 / (1 - sw2 / 2)).epsilon(1e-11));
      const Eigen::VectorXd obs = sp().observable_values(x, p);
      CHECK(obs[0] == doctest::Approx(sw2 / 2).epsilon(1e-14));
      CHECK(sp().phase(x, p) == "ordered");
    }
    // He initialisation is critical: log chi_1 = 0 at sw2 = 2, sb2 = 0 for any q.
    Eigen::VectorXd x(2);
    x << 0.7, 1.0;
    CHECK(sp().observable_values(x, at(2.0, 0.0, "relu"))[5] ==
          doctest::Approx(0.0).epsilon(1e-15).scale(1.0));
  }

  TEST_CASE("signal_propagation: identity and the tanh edge of chaos") {
    const Point lin = at(0.6, 0.2, "identity");
    const Eigen::VectorXd xl = solve(lin, 0.0);
    CHECK(xl[0] == doctest::Approx(0.2 / 0.4).epsilon(1e-11));
    CHECK(sp().observable_values(xl, lin)[0] == doctest::Approx(0.6).epsilon(1e-14));
    // tanh, sb2 = 0: q* = 0 and chi_1 = sw2, so the order-to-chaos line starts at sw2 = 1.
    Eigen::VectorXd x0(2);
    x0 << 0.0, 1.0;
    CHECK(sp().observable_values(x0, at(0.9, 0.0, "tanh"))[0] ==
          doctest::Approx(0.9).epsilon(1e-13));
    // Small sb2: the critical sw2 where chi_1 = 1 approaches 1 + 2 q*, q* ~ (3 sb2 / 4)^(1/3), with
    // an O(q*^2) correction; find it by bisection on chi_1 - 1 at the solved q*.
    const double sb2 = 1e-6;
    double lo = 1.0, hi = 1.1;
    for (int it = 0; it < 40; ++it) {
      const double mid = 0.5 * (lo + hi);
      const Point p = at(mid, sb2, "tanh");
      const Eigen::VectorXd x = solve(p, 1.0);
      (sp().observable_values(x, p)[0] < 1 ? lo : hi) = mid;
    }
    const double q = std::cbrt(0.75 * sb2);
    CHECK(std::fabs(lo - (1 + 2 * q)) <= 5 * q * q);
    CHECK(lo > 1.0);
    // Chaotic phase: the decorrelated start reaches c* < 1 with chi_c < 1 (stable).
    const Point chaos = at(3.0, 0.05, "tanh");
    const Eigen::VectorXd xc = solve(chaos, 0.0);
    CHECK(xc[1] < 0.99);
    const Eigen::VectorXd oc = sp().observable_values(xc, chaos);
    CHECK(oc[0] > 1);
    CHECK(oc[1] < 1);
    CHECK(oc[4] > 0);
    CHECK(sp().phase(xc, chaos) == "chaotic");
  }

  TEST_CASE("signal_propagation: the traced tanh order-to-chaos line") {
    // data/specs/signal-propagation-phase-diagram.json: every row satisfies chi_1 = 1 at its own
    // solved q*, the line rises with sb2, and as sb2 -> 0 it meets sw2 = 1 along the small-q
    // series.
    namespace fs = std::filesystem;
    const fs::path out =
        fs::temp_directory_path() / ("saddle-sp-phase-" + std::to_string(::getpid()));
    fs::remove_all(out);
    std::ostringstream o, e;
    REQUIRE(saddle::run_cli({"saddle", "run",
                             std::string(SADDLE_SOURCE_DIR) +
                                 "/data/specs/signal-propagation-phase-diagram.json",
                             "-o", out.string(), "-q"},
                            o, e) == 0);
    std::ifstream in(out / "boundary_order_chaos.csv");
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "sw2,sb2,q,c,residual,status");
    int rows = 0, near_zero = 0;
    double prev_sb2 = -1, prev_sw2 = 0;
    while (std::getline(in, line)) {
      double sw2, sb2, q, c, res;
      REQUIRE(std::sscanf(line.c_str(), "%lf,%lf,%lf,%lf,%lf", &sw2, &sb2, &q, &c, &res) == 5);
      CHECK(line.substr(line.rfind(',') + 1) == "converged");
      const Point p = at(sw2, sb2, "tanh");
      Eigen::VectorXd x(2);
      x << q, c;
      CHECK(std::fabs(sp().observable_values(x, p)[5]) <= 1e-8);
      if (prev_sb2 >= 0 && sb2 > prev_sb2) CHECK(sw2 > prev_sw2);
      if (q >= 0.01 && q <= 0.06) {
        // Small-q series of the two conditions (derived in signal_propagation.cpp): on the line
        // sw2 = 1 + 2q - 3q^2 + (34/3) q^3 + O(q^4) and sb2 = (4/3) q^3 - 8 q^4 + O(q^5). The
        // traced rows give next coefficients of about -60 and +50; 100 bounds them.
        CHECK(std::fabs(sw2 - (1 + 2 * q - 3 * q * q + 34.0 / 3 * q * q * q)) <=
              100 * std::pow(q, 4));
        CHECK(std::fabs(sb2 - (4.0 / 3 * q * q * q - 8 * std::pow(q, 4))) <= 100 * std::pow(q, 5));
        ++near_zero;
      }
      prev_sb2 = sb2, prev_sw2 = sw2;
      ++rows;
    }
    CHECK(rows > 20);
    CHECK(near_zero > 0);
    fs::remove_all(out);
  }

  TEST_CASE("signal_propagation: scans select the branch without a free energy") {
    // The model has no free energy; the scan still selects the converged branch in phases.csv, and
    // along sb2 from the chaotic side the decorrelated branch has c* < 1 where chi_1 > 1.
    namespace fs = std::filesystem;
    const fs::path out =
        fs::temp_directory_path() / ("saddle-sp-scan-" + std::to_string(::getpid()));
    fs::remove_all(out);
    std::ostringstream o, e;
    REQUIRE(
        saddle::run_cli(
            {"saddle", "run",
             std::string(SADDLE_SOURCE_DIR) + "/data/specs/signal-propagation-xi-scan.json", "-o",
             out.string(), "-q", "--set", "task.grid.sw2.num=4", "--set", "task.grid.sb2.num=4"},
            o, e) == 0);
    std::ifstream in(out / "phases.csv");
    std::string line;
    std::getline(in, line);
    REQUIRE(line == "sw2,sb2,activation,selected_branch,phase,q,c,free_energy,branches_converged");
    int rows = 0, chaotic = 0;
    while (std::getline(in, line)) {
      CHECK(line.find("none_converged") == std::string::npos);
      CHECK(line.find(",decorrelated,") != std::string::npos);
      if (line.find(",chaotic,") != std::string::npos) {
        double sw2, sb2, q, c;
        REQUIRE(std::sscanf(line.c_str(), "%lf,%lf,tanh,decorrelated,chaotic,%lf,%lf", &sw2, &sb2,
                            &q, &c) == 4);
        if (c < 1 - 1e-6) ++chaotic;
      }
      ++rows;
    }
    CHECK(rows == 16);
    CHECK(chaotic > 0);
    fs::remove_all(out);
  }

}  // TEST_SUITE("validation")
