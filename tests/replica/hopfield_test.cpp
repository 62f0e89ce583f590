// The Hopfield model, RS theory of Amit, Gutfreund and Sompolinsky (models/replica/hopfield.cpp):
// unit checks of the map, Jacobian, domain, admissibility and seeds; validation against AGS 1985
// and 1987 (values and sources in data/reference/hopfield.json), against closed forms (paramagnet,
// zero-temperature spin glass, the one-variable reduction at T = 0), the stationarity of the AGS
// free energy, and thermodynamic identities by finite differences. Solutions come from the default
// solver (auto, tol 1e-12); tolerances below are tied to it and to the size of neglected terms.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/problem.hpp"
#include "saddle/solvers.hpp"
#include "saddle/special.hpp"

using namespace saddle;

namespace {

const double kSolverTol = SolverSettings{}.tol;  // 1e-12
// A converged solution re-evaluated with the map: the solver's residual plus rounding in F.
const double kResidualTol = 10 * kSolverTol;

const FixedPointModel& hopfield() {
  return builtin_registry().get("hopfield");
}

const nlohmann::json& reference(const std::string& key) {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(SADDLE_SOURCE_DIR) + "/data/reference/hopfield.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  REQUIRE(j["entries"].contains(key));
  return j["entries"][key];
}
double reference_value(const std::string& key) {
  return reference(key)["value"].get<double>();
}
// Half a unit in the last digit the source gives: the tolerance of a comparison "at its digits".
double half_ulp_of_reference(const std::string& key) {
  const double v = reference_value(key);
  const int digits = reference(key)["digits"].get<int>();
  const double exponent = std::floor(std::log10(std::fabs(v)));
  return 0.5 * std::pow(10.0, exponent - digits + 1);
}

Point point(double alpha, double T) {
  Point p = hopfield().default_point();
  p.params[hopfield().parameter_index("alpha")] = alpha;
  p.params[hopfield().parameter_index("T")] = T;
  return p;
}

double map_residual(const Point& p, const Eigen::VectorXd& x) {
  Eigen::VectorXd fx;
  hopfield().map(x, p, fx);
  return (fx - x).cwiseAbs().maxCoeff();
}

struct Solution {
  Eigen::VectorXd x;
  SolverSummary summary;
  double m() const { return x[0]; }
  double q() const { return x[1]; }
  double r() const { return x[2]; }
};

Solution solve_from(const Point& p, Eigen::VectorXd x0) {
  Solution s{std::move(x0), {}};
  s.summary = solve_fixed_point(SolverSettings{}, make_problem(hopfield(), p), s.x);
  return s;
}

Eigen::VectorXd seed(const Point& p, const std::string& branch) {
  for (const auto& s : hopfield().branches(p))
    if (s.name == branch) return s.x0;
  FAIL("no seed named " << branch);
  return {};
}

// Solves from the named seed and requires convergence to an admissible solution.
Solution solve_branch(const Point& p, const std::string& branch) {
  Solution s = solve_from(p, seed(p, branch));
  INFO(branch << ": " << s.summary.brief_report());
  REQUIRE(s.summary.usable());
  CHECK(map_residual(p, s.x) <= kResidualTol);
  CHECK_FALSE(hopfield().inadmissible(s.x, p));
  return s;
}

double observable(const Point& p, const Eigen::VectorXd& x, const std::string& name) {
  const auto names = hopfield().observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return hopfield().observable_values(x, p)[static_cast<Eigen::Index>(i)];
  FAIL("no observable " << name);
  return 0.0;
}

double free_energy(const Point& p, const Eigen::VectorXd& x) {
  const auto f = hopfield().free_energy(x, p);
  REQUIRE(f);
  return *f;
}

std::vector<std::string> seed_names(const Point& p) {
  std::vector<std::string> names;
  for (const auto& s : hopfield().branches(p)) names.push_back(s.name);
  return names;
}

// The T = 0 one-variable reduction (AGS): with y = m / sqrt(2 alpha r), m = erf(y) and
// alpha(y) = [erf y - (2/sqrt pi) y exp(-y^2)]^2 / (2 y^2).
double alpha_of_y(double y) {
  const double t = std::erf(y) - 2.0 / std::sqrt(kPi) * y * std::exp(-y * y);
  return t * t / (2.0 * y * y);
}

// Golden-section maximisation of alpha(y) on [a, b] (unimodal there), to |b - a| <= 1e-12.
double argmax_alpha_of_y(double a, double b) {
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);
  double c = b - g * (b - a), d = a + g * (b - a);
  double fc = alpha_of_y(c), fd = alpha_of_y(d);
  while (b - a > 1e-12) {
    if (fc > fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = alpha_of_y(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = alpha_of_y(d);
    }
  }
  return 0.5 * (a + b);
}

}  // namespace

TEST_CASE("hopfield: declarations") {
  CHECK(hopfield().id() == "hopfield");
  CHECK(hopfield().parameter_names() == std::vector<std::string>{"alpha", "T"});
  CHECK(hopfield().order_parameter_names() == std::vector<std::string>{"m", "q", "r"});
  CHECK(hopfield().observable_names() ==
        std::vector<std::string>{"C", "energy", "entropy", "lambda_AT"});
  CHECK(hopfield().objective() == Objective::kMinimiseFreeEnergy);
  const Point d = hopfield().default_point();
  CHECK(d[0] == 0.05);
  CHECK(d[1] == 0.5);
  CHECK_FALSE(hopfield().parameters()[0].contains(0.0));  // alpha > 0
  CHECK(hopfield().parameters()[1].contains(0.0));        // T >= 0
}

TEST_CASE("hopfield: seeds; the paramagnet only above T_g = 1 + sqrt(alpha)") {
  using V = std::vector<std::string>;
  CHECK(seed_names(point(0.05, 0.0)) == V{"retrieval", "spin_glass"});
  CHECK(seed_names(point(0.05, 0.5)) == V{"retrieval", "spin_glass"});
  CHECK(seed_names(point(0.05, 1.1)) == V{"retrieval", "spin_glass"});  // 1 < T < T_g = 1.22
  CHECK(seed_names(point(0.05, 1.5)) == V{"retrieval", "spin_glass", "paramagnet"});
  // The spin-glass seed is the exact T = 0 spin-glass solution.
  const double alpha = 0.05;
  const Eigen::VectorXd sg = seed(point(alpha, 0.0), "spin_glass");
  CHECK(map_residual(point(alpha, 0.0), sg) <= 1e-13);
}

TEST_CASE("hopfield: the domain keeps 1 - beta (1 - q) > 0 and the map finite") {
  for (const double T : {1e-4, 0.01, 0.5, 0.99, 1.0, 1.2, 3.0}) {
    INFO("T = " << T);
    const Point p = point(0.1, T);
    const Domain d = hopfield().domain(p);
    CHECK(d.lower[1] >= std::max(0.0, 1.0 - T));
    CHECK(d.upper[1] == 1.0);
    CHECK(d.lower[2] == 0.0);
    // D = 1 - beta (1 - q) at the lowest q of the domain (1 - T (1 - 1e-8) below T = 1):
    // (1 - q near 1 loses ~1e-16 / T to rounding: 1e-12 at T = 1e-4)
    if (T <= 1.0) CHECK(1.0 - (1.0 - d.lower[1]) / T >= 0.99e-8);
    // The map is finite, with q' in [0, 1] and r' >= 0, all over the domain, corners included.
    Eigen::VectorXd fx;
    for (const double m : {-1.0, 0.0, 0.5, 1.0})
      for (const double q : {d.lower[1], 0.5 * (d.lower[1] + 1.0), 1.0})
        for (const double r : {0.0, 1e-3, 1.0, 50.0, 1e8}) {
          hopfield().map(Eigen::Vector3d(m, q, r), p, fx);
          INFO("m = " << m << ", q = " << q << ", r = " << r);
          CHECK(fx.allFinite());
          CHECK(std::fabs(fx[0]) <= 1.0);
          CHECK(fx[1] >= 0.0);
          CHECK(fx[1] <= 1.0);
          CHECK(fx[2] >= 0.0);
        }
  }
  // T = 0: q is fixed to 1 and r >= 1 (r = 1 / (1 - C)^2).
  const Domain d0 = hopfield().domain(point(0.1, 0.0));
  CHECK(d0.lower[1] == 1.0);
  CHECK(d0.upper[1] == 1.0);
  CHECK(d0.lower[2] == 1.0);
}

TEST_CASE("hopfield: map, free energy, C and lambda_AT agree with gaussian_expectation") {
  // The model takes its Gaussian moments from tanh_moments (a fixed rule); here they come from the
  // adaptive rule with a Feature at the kink (default options: abs_tol 1e-14), over the domain,
  // beta up to 1000. Both are accurate to ~5e-16: m' and q' agree to 2e-15; r' = q' / D'^2 and the
  // observables amplify an error e in E sech^2 by beta / D (r': 2 beta r / D).
  const auto reference = [](double beta, double m, double s, int k,
                            const std::function<void(double, double*)>& g, double* out) {
    if (s == 0.0) return g(beta * m, out);
    const QuadratureResult r = gaussian_expectation(
        k, [&](double z, double* o) { g(beta * (m + s * z), o); }, {{-m / s, 1.0 / (beta * s)}});
    REQUIRE(r.converged);
    for (int j = 0; j < k; ++j) out[j] = r[j];
  };
  const double e = 2e-15;  // error allowed in each Gaussian moment
  int cases = 0;
  for (const double alpha : {0.001, 0.05, 0.138, 0.2})
    for (const double T : {0.001, 0.02, 0.1, 0.5, 1.0, 1.5})
      for (const double m : {0.0, 1e-12, 0.3, -0.5, 0.97})
        for (const double r : {0.0, 1e-6, 0.5, 1.0, 20.0, 700.0}) {
          const Point p = point(alpha, T);
          const double beta = 1.0 / T, s = std::sqrt(alpha * r);
          const double q = 0.5 * (hopfield().domain(p).lower[1] + 1.0);
          INFO("alpha = " << alpha << ", T = " << T << ", m = " << m << ", r = " << r);
          double v[5];  // E tanh, E tanh^2, E sech^2, E sech^4, E ln 2cosh
          reference(
              beta, m, s, 5,
              [](double x, double* o) {
                const double t = std::tanh(x), s2 = 1.0 / (std::cosh(x) * std::cosh(x));
                o[0] = t;
                o[1] = t * t;
                o[2] = s2;
                o[3] = s2 * s2;
                o[4] = log_2cosh(x);
              },
              v);
          Eigen::VectorXd fx;
          hopfield().map(Eigen::Vector3d(m, q, r), p, fx);
          CHECK(std::fabs(fx[0] - v[0]) <= e);
          CHECK(std::fabs(fx[1] - v[1]) <= e);
          // r' = q' / D^2, D = 1 - beta E sech^2, bounded below by half the iterate's estimate
          // D_x = min(1 - beta (1 - q), sqrt(q / r)) of D (at least 1e-8).
          const double d_x = std::min(1.0 - beta * (1.0 - q), r > 0 ? std::sqrt(q / r) : 1e300);
          const double d_floor = 0.5 * std::max(d_x, 1e-8);
          const double d = std::max(1.0 - beta * v[2], d_floor);
          const double r_ref = v[1] / (d * d);
          CHECK(std::fabs(fx[2] - r_ref) <= e * (1.0 + r_ref * 2.0 * beta / d) + 1e-15 * r_ref);
          // Free energy (AGS, see hopfield.cpp) and the observables C and lambda_AT.
          const Eigen::Vector3d x(m, q, r);
          const double dq = 1.0 - beta * (1.0 - q);
          const double f = 0.5 * alpha + 0.5 * m * m + 0.5 * alpha * T * std::log(dq) -
                           0.5 * alpha * q / dq + 0.5 * alpha * beta * r * (1.0 - q) - T * v[4];
          CHECK(free_energy(p, x) == doctest::Approx(f).epsilon(1e-14).scale(1.0));
          const double c = beta * v[2];
          CHECK(observable(p, x, "C") == doctest::Approx(c).epsilon(beta * e).scale(1.0));
          // lambda_AT = 1 - alpha beta^2 E sech^4 / (1 - C)^2: error e in E sech^4, beta e in C.
          const double dc = std::fabs(1.0 - c);
          if (dc > 1e-3) {
            const double lambda = 1.0 - alpha * beta * beta * v[3] / (dc * dc);
            const double lambda_tol =
                2.0 * alpha * beta * beta * e * (1.0 + 2.0 * beta * v[3] / dc) / (dc * dc);
            CHECK(std::fabs(observable(p, x, "lambda_AT") - lambda) <=
                  lambda_tol + 1e-14 * (1.0 + std::fabs(lambda)));
          }
          ++cases;
        }
  CHECK(cases == 720);
}

TEST_CASE("hopfield: the T = 0 map is the zero-temperature form") {
  const double alpha = 0.1, m = 0.9, r = 1.3;
  Eigen::VectorXd fx;
  hopfield().map(Eigen::Vector3d(m, 1.0, r), point(alpha, 0.0), fx);
  const double s = std::sqrt(alpha * r);
  const double c = std::sqrt(2.0 / (kPi * alpha * r)) * std::exp(-m * m / (2.0 * alpha * r));
  CHECK(fx[0] == doctest::Approx(std::erf(m / (kSqrt2 * s))).epsilon(1e-15));
  CHECK(fx[1] == 1.0);
  CHECK(fx[2] == doctest::Approx(1.0 / ((1.0 - c) * (1.0 - c))).epsilon(1e-14));
}

TEST_CASE("hopfield: inadmissible() flags 1 - beta (1 - q) <= 0 and C >= 1, with exact messages") {
  // T = 0.5, q = 0.25: 1 - beta (1 - q) = 1 - 2 * 0.75 = -0.5.
  const auto bad = hopfield().inadmissible(Eigen::Vector3d(0.0, 0.25, 1.0), point(0.05, 0.5));
  REQUIRE(bad);
  CHECK(*bad == "1 - beta (1 - q) = -0.5 <= 0: the AGS saddle point requires 1 - beta (1 - q) > 0");
  CHECK_FALSE(hopfield().inadmissible(Eigen::Vector3d(0.0, 0.75, 1.0), point(0.05, 0.5)));
  // T = 0, m = 0, alpha r = 0.05: C = sqrt(2 / (pi 0.05)) = 3.57 >= 1.
  const double c = std::sqrt(2.0 / (kPi * 0.05));
  const auto bad0 = hopfield().inadmissible(Eigen::Vector3d(0.0, 1.0, 1.0), point(0.05, 0.0));
  REQUIRE(bad0);
  CHECK(*bad0 == "C = sqrt(2/(pi alpha r)) exp(-m^2/(2 alpha r)) = " + format_number(c) +
                     " >= 1: 1 - C must be positive (AGS admissibility at T = 0)");
  // and no free energy there
  CHECK_FALSE(hopfield().free_energy(Eigen::Vector3d(0.0, 1.0, 1.0), point(0.05, 0.0)));
  CHECK_FALSE(hopfield().free_energy(Eigen::Vector3d(0.0, 0.25, 1.0), point(0.05, 0.5)));
}

TEST_CASE("hopfield: analytic Jacobian agrees with central differences") {
  struct Case {
    double alpha, T, m, q, r;
  };
  // The fourth and fifth cases have D' = 1 - beta E sech^2 < 0 at the iterate: the bound D_x / 2
  // is active, with D_x = 1 - beta (1 - q) in the fourth and D_x = sqrt(q / r) in the fifth.
  for (const Case c : {Case{0.05, 0.5, 0.8, 0.8, 2.0}, Case{0.1, 0.1, 0.9, 0.95, 1.2},
                       Case{0.05, 1.5, 0.1, 0.05, 0.5}, Case{0.05, 0.5, 0.0, 0.64, 8.0},
                       Case{0.05, 0.5, 0.0, 0.99, 5.0}, Case{0.1, 0.0, 0.9, 1.0, 1.5}}) {
    const Point p = point(c.alpha, c.T);
    const Eigen::Vector3d x(c.m, c.q, c.r);
    Eigen::MatrixXd jac;
    REQUIRE(hopfield().jacobian(x, p, jac));
    const double step = 1e-6;
    for (int j = 0; j < 3; ++j) {
      if (c.T == 0.0 && j == 1) continue;  // q is fixed to 1 at T = 0
      Eigen::VectorXd xp = x, xm = x, fp, fm;
      xp[j] += step;
      xm[j] -= step;
      hopfield().map(xp, p, fp);
      hopfield().map(xm, p, fm);
      const Eigen::VectorXd fd = (fp - fm) / (2 * step);
      for (int i = 0; i < 3; ++i) {
        INFO("alpha = " << c.alpha << ", T = " << c.T << ", dF_" << i << "/dx_" << j);
        // central differences: O(step^2 F''') plus rounding 1e-16 |F| / step
        CHECK(std::fabs(jac(i, j) - fd[i]) <= 1e-6 * (1.0 + std::fabs(fd[i])));
      }
    }
  }
}

TEST_CASE("hopfield: branch_names() lists the names of branches(), in order") {
  for (const double alpha : {1e-4, 0.01, 0.05, 0.138, 0.3, 2.0})
    for (const double T : {0.0, 0.01, 0.5, 0.99, 1.0, 1.2, 1.5, 3.0}) {
      std::vector<std::string> names;
      for (const auto& s : hopfield().branches(point(alpha, T))) names.push_back(s.name);
      INFO("alpha = " << alpha << ", T = " << T);
      CHECK(hopfield().branch_names(point(alpha, T)) == names);
    }
}

TEST_CASE("hopfield: the map is continuous at T = 0 on the T = 0 solutions") {
  // A T = 0 solution (q = 1) fed to the T > 0 map must give nearly itself: continuation and phase
  // boundaries step from T = 0 to T > 0 (regression: a bound on D' taken from 1 - beta (1 - q) = 1
  // alone made r' jump from 20.3 to 4 on the spin-glass branch at alpha = 0.05).
  for (const double alpha : {0.001, 0.05, 0.138}) {
    const Point z = point(alpha, 0.0);
    for (const std::string branch : {"retrieval", "spin_glass"}) {
      if (branch == "retrieval" && alpha > 0.1379) continue;  // no retrieval state beyond alpha_c
      const Solution s0 = solve_branch(z, branch);
      Eigen::VectorXd f0, f1;
      hopfield().map(s0.x, z, f0);
      hopfield().map(s0.x, point(alpha, 1e-4), f1);
      INFO("alpha = " << alpha << ", branch " << branch);
      CHECK((f1 - f0).norm() <= 1e-3 * (1.0 + f0.norm()));
    }
  }
}

TEST_CASE("hopfield: every default branch converges, with the map residual below 1e-11") {
  // Points where every seed's branch exists (retrieval below T_M(alpha)) or falls cleanly to
  // another one (retrieval above T_M falls to the spin glass).
  for (const double alpha : {0.05, 0.1})
    for (const double T : {0.0, 0.01, 0.1, 0.3, 1.1, 1.5}) {
      const Point p = point(alpha, T);
      for (const auto& s0 : hopfield().branches(p)) {
        INFO("alpha = " << alpha << ", T = " << T << ", " << s0.name);
        const Solution s = solve_branch(p, s0.name);
        CHECK(std::isfinite(free_energy(p, s.x)));
        const Eigen::VectorXd obs = hopfield().observable_values(s.x, p);
        for (int i = 0; i < 3; ++i) CHECK(std::isfinite(obs[i]));
        CHECK(!hopfield().phase(s.x, p).empty());
      }
    }
}

TEST_CASE("hopfield: storage capacity alpha_c ~ 0.138 with m ~ 0.967 at T = 0" *
          doctest::test_suite("validation")) {
  // Exact RS values from the one-variable reduction; compared with AGS at their 3 digits.
  const double y_c = argmax_alpha_of_y(0.5, 3.0);
  const double alpha_c = alpha_of_y(y_c), m_c = std::erf(y_c);
  MESSAGE("alpha_c = " << alpha_c << ", m_c = " << m_c << ", y_c = " << y_c);
  CHECK(std::fabs(alpha_c - reference_value("alpha_c")) <= half_ulp_of_reference("alpha_c"));
  CHECK(std::fabs(m_c - reference_value("m_c")) <= half_ulp_of_reference("m_c"));

  // The reduction is the model's T = 0 equations: a retrieval solution at alpha = 0.1 has
  // alpha(y) = alpha and m = erf(y) for y = m / sqrt(2 alpha r) (to the solver tolerance).
  const Point p = point(0.1, 0.0);
  const Solution ret = solve_branch(p, "retrieval");
  const double y = ret.m() / std::sqrt(2.0 * 0.1 * ret.r());
  CHECK(alpha_of_y(y) == doctest::Approx(0.1).epsilon(1e-9));
  CHECK(ret.m() == doctest::Approx(std::erf(y)).epsilon(kResidualTol));

  // The retrieval branch exists just below alpha_c (near the fold m - m_c = O(sqrt(alpha_c -
  // alpha))) and not just above: there the retrieval seed either fails or falls to m = 0.
  const Point below = point(alpha_c - 1e-3, 0.0);
  const Solution b = solve_branch(below, "retrieval");
  CHECK(b.m() > 0.9);
  CHECK(std::fabs(b.m() - m_c) < 0.02);
  CHECK(hopfield().phase(b.x, below) == "retrieval");
  const Point above = point(alpha_c + 1e-3, 0.0);
  const Solution a = solve_from(above, seed(above, "retrieval"));
  INFO(a.summary.brief_report());
  CHECK((!a.summary.usable() || std::fabs(a.m()) < 1e-6));
}

TEST_CASE("hopfield: the spin-glass transition T_g = 1 + sqrt(alpha)" *
          doctest::test_suite("validation")) {
  const double coefficient = reference_value("T_g");  // T_g = 1 + coefficient sqrt(alpha)
  for (const double alpha : {0.01, 0.05, 0.1, 0.5, 1.0}) {
    INFO("alpha = " << alpha);
    const double tg = 1.0 + coefficient * std::sqrt(alpha);
    // Below T_g the spin glass branches off the paramagnet continuously (q ~ 1 - T/T_g). It is
    // followed down to T_g (1 - 1e-3) by warm starts from the spin-glass seed at 0.9 T_g: from the
    // seed directly, Anderson's extrapolation lands on the invariant q = r = 0 paramagnet for
    // alpha >= 0.1 (an unstable fixed point there, but an exact one).
    Eigen::VectorXd x = seed(point(alpha, 0.9 * tg), "spin_glass");
    for (const double gap : {1e-1, 3e-2, 1e-2, 3e-3, 1e-3}) {
      INFO("T = T_g (1 - " << gap << ")");
      const Point p = point(alpha, tg * (1 - gap));
      const Solution s = solve_from(p, x);
      INFO(s.summary.brief_report());
      REQUIRE(s.summary.usable());
      CHECK(map_residual(p, s.x) <= kResidualTol);
      CHECK(s.q() > 0.5 * gap);
      CHECK(s.q() < 2.0 * gap);
      CHECK(hopfield().phase(s.x, p) == "spin_glass");
      x = s.x;
    }
    // Above T_g the q-r loop has linear gain alpha beta^2 / (1 - beta)^2 = 1 - O(1e-3), so q and r
    // are at most ~ tol / 1e-3 = 1e-9 when the residual is 1e-12.
    const Point above = point(alpha, tg * (1 + 1e-3));
    const Solution pm = solve_branch(above, "spin_glass");
    CHECK(pm.q() <= 1e-8);
    CHECK(hopfield().phase(pm.x, above) == "paramagnet");
    // lambda_AT of the paramagnet, 1 - alpha beta^2 / (1 - beta)^2, changes sign at T_g.
    const Eigen::Vector3d zero(0.0, 0.0, 0.0);
    for (const double T : {tg * (1 - 1e-3), tg * (1 + 1e-3)}) {
      const double beta = 1.0 / T;
      const double expected = 1.0 - alpha * beta * beta / ((1.0 - beta) * (1.0 - beta));
      CHECK(std::fabs(observable(point(alpha, T), zero, "lambda_AT") - expected) <= 1e-12);
      CHECK((expected > 0) == (T > tg));
    }
  }
}

TEST_CASE("hopfield: paramagnet closed forms" * doctest::test_suite("validation")) {
  // Annealed = quenched for q = r = 0: f = alpha/2 + (alpha T / 2) ln(1 - beta) - T ln 2,
  // e = alpha/2 - alpha / (2 (1 - beta)), C = beta.
  const double alpha = 0.05, T = 1.5, beta = 1.0 / T;
  const Point p = point(alpha, T);
  const Solution pm = solve_branch(p, "paramagnet");
  CHECK(pm.x.cwiseAbs().maxCoeff() == 0.0);
  CHECK(free_energy(p, pm.x) ==
        doctest::Approx(0.5 * alpha + 0.5 * alpha * T * std::log(1.0 - beta) - T * std::log(2.0))
            .epsilon(1e-14));
  CHECK(observable(p, pm.x, "energy") ==
        doctest::Approx(0.5 * alpha - 0.5 * alpha / (1.0 - beta)).epsilon(1e-14));
  CHECK(observable(p, pm.x, "C") == doctest::Approx(beta).epsilon(1e-14));
}

TEST_CASE("hopfield: zero-temperature spin glass in closed form" *
          doctest::test_suite("validation")) {
  // m = 0 at T = 0: C = 1 / (1 + sqrt(pi alpha / 2)), r = 1 / (1 - C)^2, and
  // f = alpha/2 - alpha r/2 = -sqrt(2 alpha / pi) - 1/pi, s = -alpha/2 (C/(1-C) + ln(1-C)).
  for (const double alpha : {0.01, 0.05, 0.138, 0.5}) {
    INFO("alpha = " << alpha);
    const Point p = point(alpha, 0.0);
    const Solution sg = solve_branch(p, "spin_glass");
    const double c = 1.0 / (1.0 + std::sqrt(kPi * alpha / 2.0));
    CHECK(sg.m() == 0.0);
    CHECK(sg.r() == doctest::Approx(1.0 / ((1.0 - c) * (1.0 - c))).epsilon(1e-12));
    CHECK(observable(p, sg.x, "C") == doctest::Approx(c).epsilon(1e-12));
    CHECK(free_energy(p, sg.x) ==
          doctest::Approx(-std::sqrt(2.0 * alpha / kPi) - 1.0 / kPi).epsilon(1e-12));
    CHECK(observable(p, sg.x, "energy") == doctest::Approx(free_energy(p, sg.x)).epsilon(1e-12));
    CHECK(observable(p, sg.x, "entropy") ==
          doctest::Approx(-0.5 * alpha * (c / (1.0 - c) + std::log(1.0 - c))).epsilon(1e-12));
  }
}

TEST_CASE("hopfield: retrieval is the T = 0 ground state below alpha ~ 0.05, and not at T = 0.5" *
          doctest::test_suite("validation")) {
  // f_retrieval - f_spin_glass at T = 0 changes sign at the first-order load (AGS: ~0.05).
  auto gap = [](double alpha, double T) {
    const Point p = point(alpha, T);
    return free_energy(p, solve_branch(p, "retrieval").x) -
           free_energy(p, solve_branch(p, "spin_glass").x);
  };
  double lo = 0.03, hi = 0.08;  // gap < 0 at lo, > 0 at hi
  REQUIRE(gap(lo, 0.0) < 0.0);
  REQUIRE(gap(hi, 0.0) > 0.0);
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    (gap(mid, 0.0) < 0.0 ? lo : hi) = mid;
  }
  MESSAGE("first-order load at T = 0: alpha = " << lo);
  CHECK(std::fabs(lo - reference_value("alpha_first_order_T0")) <=
        half_ulp_of_reference("alpha_first_order_T0"));
  // Where the retrieval energy is -1/2 to 1e-6, the crossing is where the spin-glass energy
  // -sqrt(2 alpha / pi) - 1/pi equals -1/2: alpha = (pi/2) (1/2 - 1/pi)^2.
  CHECK(lo == doctest::Approx(0.5 * kPi * std::pow(0.5 - 1.0 / kPi, 2)).epsilon(1e-4));
  // At alpha = 0.05 the retrieval state stops being the global minimum at T_c ~ 0.22 (the AGS
  // line T_c(alpha)); at T = 0.5 the spin glass has the lower free energy.
  CHECK(gap(0.05, 0.1) < 0.0);
  CHECK(gap(0.05, 0.5) > 0.0);
}

TEST_CASE("hopfield: small-T solutions approach the T = 0 form" *
          doctest::test_suite("validation")) {
  // Observed rates (T = 0.01 and 0.005 against T = 0):
  //  retrieval, alpha = 0.05: m, C, f, r differ by O(T^2) (|dm| = 1.4e-3 T^2, |dC| = 2.6e-2 T^2,
  //    |dr| <= 3.5e-2 T^2, |df| = 7e-5 T^2): the Gaussian weight at the kink, phi(m/s)/s, is 1e-4;
  //  spin glass, alpha = 0.1: r and C differ by O(T) (dr = -2.6 T, dC = 0.072 T) and
  //    f(T) = f0 - s0 T + O(T^2) (remainder 0.28 T^2), since phi(0)/s is O(1) there.
  const Point z = point(0.05, 0.0);
  const Solution r0 = solve_branch(z, "retrieval");
  for (const double T : {0.01, 0.005}) {
    INFO("retrieval, T = " << T);
    const Point p = point(0.05, T);
    const Solution r = solve_branch(p, "retrieval");
    const double bound = 0.05 * T * T;
    CHECK(std::fabs(r.m() - r0.m()) <= bound);
    CHECK(std::fabs(r.r() - r0.r()) <= bound);
    CHECK(std::fabs(observable(p, r.x, "C") - observable(z, r0.x, "C")) <= bound);
    CHECK(std::fabs(free_energy(p, r.x) - free_energy(z, r0.x)) <= bound);
  }
  const Point z1 = point(0.1, 0.0);
  const Solution g0 = solve_branch(z1, "spin_glass");
  const double s0 = observable(z1, g0.x, "entropy");
  double dr_prev = 0.0;
  for (const double T : {0.01, 0.005}) {
    INFO("spin glass, T = " << T);
    const Point p = point(0.1, T);
    const Solution g = solve_branch(p, "spin_glass");
    const double dr = g.r() - g0.r();
    CHECK(std::fabs(dr) <= 3.0 * T);
    CHECK(std::fabs(observable(p, g.x, "C") - observable(z1, g0.x, "C")) <= 0.1 * T);
    // free-energy continuity across T -> 0, with the T = 0 entropy as the slope
    CHECK(std::fabs(free_energy(p, g.x) - free_energy(z1, g0.x) + s0 * T) <= T * T);
    if (dr_prev != 0.0) CHECK(dr_prev / dr == doctest::Approx(2.0).epsilon(0.05));  // O(T)
    dr_prev = dr;
  }
}

TEST_CASE("hopfield: the AGS free energy is stationary at solutions" *
          doctest::test_suite("validation")) {
  // df/dm = df/dq = df/dr = 0 at a solution: the RS equations are the stationarity conditions of
  // this f, a check of the formula independent of how the map is written. Central differences
  // with step 1e-5: error ~1e-10 f''' + 1e-16 / 1e-5 + f'' (solution error 1e-12).
  struct Case {
    double alpha, T;
    const char* branch;
  };
  for (const Case c :
       {Case{0.05, 0.5, "retrieval"}, Case{0.05, 0.5, "spin_glass"}, Case{0.1, 0.2, "retrieval"},
        Case{0.05, 1.1, "spin_glass"}, Case{0.1, 0.0, "retrieval"}, Case{0.1, 0.0, "spin_glass"}}) {
    INFO("alpha = " << c.alpha << ", T = " << c.T << ", " << c.branch);
    const Point p = point(c.alpha, c.T);
    const Solution s = solve_branch(p, c.branch);
    const double step = 1e-5;
    auto gradient = [&](const Eigen::VectorXd& x, int j) {
      Eigen::VectorXd xp = x, xm = x;
      xp[j] += step;
      xm[j] -= step;
      return (free_energy(p, xp) - free_energy(p, xm)) / (2 * step);
    };
    for (int j = 0; j < 3; ++j) {
      if (c.T == 0.0 && j == 1) continue;  // at T = 0 q is not a variable (C is eliminated)
      INFO("d f / d x_" << j);
      CHECK(std::fabs(gradient(s.x, j)) <= 1e-7);
      // Not trivially: 0.05 away along x_j (down in q, which keeps D > 0) the gradient is about
      // 0.05 f_jj, at least 1e-5 at these points.
      Eigen::VectorXd off = s.x;
      off[j] += j == 1 ? -0.05 : 0.05;
      CHECK(std::fabs(gradient(off, j)) > 1e-6);
    }
  }
}

TEST_CASE("hopfield: energy and entropy are the derivatives of the free energy" *
          doctest::test_suite("validation")) {
  // e = d(beta f)/d beta = f - T df/dT and s = -df/dT by central differences along the branch.
  // Error budget: step^2 f''' ~ 1e-8 plus (solution error ~1e-12) / step ~ 1e-8.
  struct Case {
    double alpha, T;
    const char* branch;
  };
  for (const Case c :
       {Case{0.05, 0.3, "retrieval"}, Case{0.05, 0.3, "spin_glass"}, Case{0.1, 1.1, "spin_glass"},
        Case{0.05, 1.5, "paramagnet"}, Case{0.1, 0.05, "spin_glass"}}) {
    INFO("alpha = " << c.alpha << ", T = " << c.T << ", " << c.branch);
    const double dT = 1e-4 * c.T;
    auto f_at = [&](double T) {
      const Point p = point(c.alpha, T);
      return free_energy(p, solve_branch(p, c.branch).x);
    };
    const Point p = point(c.alpha, c.T);
    const Solution s = solve_branch(p, c.branch);
    const double entropy_fd = -(f_at(c.T + dT) - f_at(c.T - dT)) / (2 * dT);
    const double energy_fd = free_energy(p, s.x) + c.T * entropy_fd;
    CHECK(std::fabs(observable(p, s.x, "entropy") - entropy_fd) <= 1e-6);
    CHECK(std::fabs(observable(p, s.x, "energy") - energy_fd) <= 1e-6);
  }
}
