// The Sherrington-Kirkpatrick model (models/replica/sk.cpp): unit checks of the map, Jacobian,
// domain and seeds; validation against SK 1975, Kirkpatrick-Sherrington 1978 and de
// Almeida-Thouless 1978 (values and sources in data/reference/sk.json); thermodynamic identities by
// finite differences. Solutions come from the default solver (auto, tol 1e-12); tolerances below
// are tied to it and to the known size of the neglected terms.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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

const FixedPointModel& sk() {
  return builtin_registry().get("sk");
}

const nlohmann::json& reference(const std::string& key) {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(SADDLE_SOURCE_DIR) + "/data/reference/sk.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  REQUIRE(j["entries"].contains(key));
  return j["entries"][key];
}
double reference_value(const std::string& key) {
  return reference(key)["value"].get<double>();
}

Point sk_point(double T, double h = 0.0, double J0 = 0.0) {
  Point p = sk().default_point();
  p.params[sk().parameter_index("T")] = T;
  p.params[sk().parameter_index("h")] = h;
  p.params[sk().parameter_index("J0")] = J0;
  return p;
}

double map_residual(const Point& p, const Eigen::VectorXd& x) {
  Eigen::VectorXd fx;
  sk().map(x, p, fx);
  return (fx - x).cwiseAbs().maxCoeff();
}

struct Solution {
  Eigen::VectorXd x;
  SolverSummary summary;
  double m() const { return x[0]; }
  double q() const { return x[1]; }
};

Solution solve_from(const Point& p, Eigen::VectorXd x0) {
  Solution s{std::move(x0), {}};
  s.summary = solve_fixed_point(SolverSettings{}, make_problem(sk(), p), s.x);
  return s;
}

Solution solve_branch(const Point& p, const std::string& branch) {
  for (const auto& seed : sk().branches(p))
    if (seed.name == branch) {
      Solution s = solve_from(p, seed.x0);
      INFO(branch << ": " << s.summary.brief_report());
      REQUIRE(s.summary.usable());
      CHECK(map_residual(p, s.x) <= kResidualTol);
      return s;
    }
  FAIL("no seed named " << branch);
  return {};
}

double observable(const Point& p, const Eigen::VectorXd& x, const std::string& name) {
  const auto names = sk().observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return sk().observable_values(x, p)[static_cast<Eigen::Index>(i)];
  FAIL("no observable " << name);
  return 0.0;
}

std::vector<std::string> seed_names(const Point& p) {
  std::vector<std::string> names;
  for (const auto& s : sk().branches(p)) names.push_back(s.name);
  return names;
}

}  // namespace

TEST_CASE("sk: declarations") {
  CHECK(sk().id() == "sk");
  CHECK(sk().parameter_names() == std::vector<std::string>{"T", "h", "J0"});
  CHECK(sk().order_parameter_names() == std::vector<std::string>{"m", "q"});
  CHECK(sk().observable_names() == std::vector<std::string>{"energy", "entropy", "lambda_AT", "C"});
  CHECK(sk().objective() == Objective::kMinimiseFreeEnergy);
  const Point d = sk().default_point();
  CHECK(d[0] == 0.5);
  CHECK(d[1] == 0.0);
  CHECK(d[2] == 0.0);
  CHECK_FALSE(sk().parameters()[0].contains(-0.1));  // T >= 0
  CHECK(sk().parameters()[0].contains(0.0));
}

TEST_CASE("sk: the map reduces to closed forms at T = 0 and at q = 0") {
  Eigen::VectorXd fx;
  // T = 0: m' = erf((J0 m + h) / sqrt 2) = 1 - 2 H(J0 m + h), q' = 1.
  const Point zero = sk_point(0.0, 0.3, 0.5);
  sk().map(Eigen::Vector2d(0.4, 1.0), zero, fx);
  CHECK(fx[0] == doctest::Approx(1.0 - 2.0 * H(0.5)).epsilon(1e-15));
  CHECK(fx[1] == 1.0);
  // q = 0: the Gaussian average is the value at the mean: m' = tanh(beta mu), q' = m'^2.
  const Point warm = sk_point(0.7, 0.2, 0.5);
  sk().map(Eigen::Vector2d(0.4, 0.0), warm, fx);
  const double t = std::tanh((0.5 * 0.4 + 0.2) / 0.7);
  CHECK(fx[0] == doctest::Approx(t).epsilon(1e-15));
  CHECK(fx[1] == doctest::Approx(t * t).epsilon(1e-15));
  // h = J0 = 0: m' = 0 by symmetry, and q = 0 is a fixed point at every T.
  sk().map(Eigen::Vector2d(0.0, 0.0), sk_point(0.5), fx);
  CHECK(fx[0] == 0.0);
  CHECK(fx[1] == 0.0);
}

TEST_CASE("sk: map, free energy and observables agree with gaussian_expectation") {
  // The model takes its Gaussian moments from tanh_moments (a fixed rule); here they come from the
  // adaptive rule with a Feature at the kink (default options: abs_tol 1e-14), beta up to 1000.
  // Both are accurate to ~5e-16: m' and q' agree to 2e-15; C = beta E sech^2 to 2e-15 beta.
  const double e = 2e-15;
  int cases = 0;
  for (const double T : {0.001, 0.02, 0.3, 1.0, 2.0})
    for (const double h : {0.0, 0.3})
      for (const double J0 : {0.0, 1.5})
        for (const double m : {-0.5, 0.0, 0.8})
          for (const double q : {0.0, 1e-10, 0.3, 0.99, 1.0}) {
            INFO("T = " << T << ", h = " << h << ", J0 = " << J0 << ", m = " << m << ", q = " << q);
            const Point p = sk_point(T, h, J0);
            const double beta = 1.0 / T, mu = J0 * m + h, s = std::sqrt(q);
            const auto g = [](double x, double* o) {
              const double t = std::tanh(x), s2 = 1.0 / (std::cosh(x) * std::cosh(x));
              o[0] = t;
              o[1] = t * t;
              o[2] = s2;
              o[3] = s2 * s2;
              o[4] = log_2cosh(x);
            };
            double v[5];
            if (s == 0.0) {
              g(beta * mu, v);
            } else {
              const QuadratureResult r =
                  gaussian_expectation(5, [&](double z, double* o) { g(beta * (mu + s * z), o); },
                                       {{-mu / s, 1.0 / (beta * s)}});
              REQUIRE(r.converged);
              for (int j = 0; j < 5; ++j) v[j] = r[j];
            }
            const Eigen::Vector2d x(m, q);
            Eigen::VectorXd fx;
            sk().map(x, p, fx);
            CHECK(std::fabs(fx[0] - v[0]) <= e);
            CHECK(std::fabs(fx[1] - v[1]) <= e);
            const double f = -0.25 * beta * (1.0 - q) * (1.0 - q) + 0.5 * J0 * m * m - T * v[4];
            const auto f_model = sk().free_energy(x, p);
            REQUIRE(f_model);
            CHECK(*f_model == doctest::Approx(f).epsilon(1e-14).scale(1.0));
            CHECK(observable(p, x, "C") ==
                  doctest::Approx(beta * v[2]).epsilon(beta * e).scale(1.0));
            CHECK(observable(p, x, "lambda_AT") ==
                  doctest::Approx(1.0 - beta * beta * v[3]).epsilon(beta * beta * e).scale(1.0));
            ++cases;
          }
  CHECK(cases == 300);
}

TEST_CASE("sk: domain fixes q = 1 at T = 0 and is the declared box otherwise") {
  const Domain d0 = sk().domain(sk_point(0.0));
  CHECK(d0.lower[1] == 1.0);
  CHECK(d0.upper[1] == 1.0);
  const Domain d = sk().domain(sk_point(0.3));
  CHECK(d.lower[0] == -1.0);
  CHECK(d.upper[0] == 1.0);
  CHECK(d.lower[1] == 0.0);
  CHECK(d.upper[1] == 1.0);
  // The map stays in the domain even at very low temperature (near-step integrands).
  Eigen::VectorXd fx;
  for (const double T : {1e-6, 1e-3, 0.3, 3.0})
    for (const double q : {0.0, 1e-12, 0.5, 1.0})
      for (const double m : {-1.0, 0.0, 0.3}) {
        sk().map(Eigen::Vector2d(m, q), sk_point(T, 0.1, 0.7), fx);
        CHECK(std::fabs(fx[0]) <= 1.0);
        CHECK(fx[1] >= 0.0);
        CHECK(fx[1] <= 1.0);
      }
}

TEST_CASE("sk: seeds depend on temperature, field and J0") {
  using V = std::vector<std::string>;
  CHECK(seed_names(sk_point(0.0)) == V{"spin_glass", "ferromagnet"});
  CHECK(seed_names(sk_point(0.5)) == V{"spin_glass", "ferromagnet"});  // q = 0 unstable, T < 1
  CHECK(seed_names(sk_point(1.2)) == V{"paramagnet", "spin_glass", "ferromagnet"});
  CHECK(seed_names(sk_point(1.2, 0.0, 1.5)) == V{"spin_glass", "ferromagnet"});  // T < J0
  CHECK(seed_names(sk_point(0.5, 0.1)) == V{"spin_glass", "ferromagnet"});
  CHECK(seed_names(sk_point(1.5, 0.1)) == V{"paramagnet", "spin_glass", "ferromagnet"});
}

TEST_CASE("sk: analytic Jacobian agrees with central differences") {
  struct Case {
    double T, h, J0, m, q;
  };
  for (const Case c : {Case{0.5, 0.2, 0.7, 0.3, 0.6}, Case{1.2, 0.0, 1.5, 0.1, 1e-3},
                       Case{0.05, 0.1, 0.3, 0.2, 0.9}, Case{0.0, 0.3, 0.8, 0.4, 1.0}}) {
    const Point p = sk_point(c.T, c.h, c.J0);
    const Eigen::Vector2d x(c.m, c.q);
    Eigen::MatrixXd jac;
    REQUIRE(sk().jacobian(x, p, jac));
    const double step = 1e-6;
    for (int j = 0; j < 2; ++j) {
      if (c.T == 0.0 && j == 1) continue;  // q is fixed to 1 at T = 0
      Eigen::VectorXd xp = x, xm = x, fp, fm;
      xp[j] += step;
      xm[j] -= step;
      sk().map(xp, p, fp);
      sk().map(xm, p, fm);
      const Eigen::VectorXd fd = (fp - fm) / (2 * step);
      for (int i = 0; i < 2; ++i) {
        INFO("T = " << c.T << ", dF_" << i << "/dx_" << j);
        // central differences: O(step^2 F''') plus rounding 1e-16 / step
        CHECK(std::fabs(jac(i, j) - fd[i]) <= 1e-6 * (1.0 + std::fabs(fd[i])));
      }
    }
  }
}

TEST_CASE("sk: every default branch converges, with the map residual below 1e-11") {
  for (const double T : {0.0, 0.01, 0.3, 0.7, 1.05, 1.5})
    for (const double h : {0.0, 0.5})
      for (const double J0 : {0.0, 0.8}) {
        const Point p = sk_point(T, h, J0);
        for (const auto& seed : sk().branches(p)) {
          INFO("T = " << T << ", h = " << h << ", J0 = " << J0 << ", " << seed.name);
          const Solution s = solve_from(p, seed.x0);
          INFO(s.summary.brief_report());
          REQUIRE(s.summary.usable());
          CHECK(map_residual(p, s.x) <= kResidualTol);
          CHECK_FALSE(sk().inadmissible(s.x, p));
          REQUIRE(sk().free_energy(s.x, p));
          CHECK(std::isfinite(*sk().free_energy(s.x, p)));
          const Eigen::VectorXd obs = sk().observable_values(s.x, p);
          CHECK(std::isfinite(obs[0]));
          CHECK(std::isfinite(obs[1]));
          CHECK(std::isfinite(obs[3]));
          CHECK(!sk().phase(s.x, p).empty());
        }
      }
}

TEST_CASE("sk: phase labels") {
  CHECK(sk().phase(Eigen::Vector2d(0.0, 0.0), sk_point(1.5)) == "paramagnet");
  CHECK(sk().phase(Eigen::Vector2d(0.0, 0.4), sk_point(0.5)) == "spin_glass");
  CHECK(sk().phase(Eigen::Vector2d(0.6, 0.5), sk_point(0.5, 0.0, 1.5)) == "ferromagnet");
  // h != 0: J0 m carries the field (ferromagnet); otherwise AT-unstable (spin glass) or not.
  const Solution fm = solve_branch(sk_point(0.8, 0.01, 1.5), "ferromagnet");
  CHECK(sk().phase(fm.x, sk_point(0.8, 0.01, 1.5)) == "ferromagnet");
  const Point low = sk_point(0.5, 0.3);  // below the AT line (data/specs/sk-point.json)
  const Solution sg = solve_branch(low, "spin_glass");
  CHECK(observable(low, sg.x, "lambda_AT") < 0.0);
  CHECK(sk().phase(sg.x, low) == "spin_glass");
  const Point high = sk_point(1.5, 0.3);  // above it
  const Solution pm = solve_branch(high, "paramagnet");
  CHECK(observable(high, pm.x, "lambda_AT") > 0.0);
  CHECK(sk().phase(pm.x, high) == "paramagnet");
}

TEST_CASE("sk: T_c = 1 and q ~ 1 - T just below it" * doctest::test_suite("validation")) {
  const double tc = reference_value("T_c");
  // Above T_c the spin-glass seed falls to q = 0: the linear rate of q is beta^2 = 0.907 at
  // T = 1.05, so q is at most tol / (1 - 0.907) ~ 1e-11 when the residual is 1e-12.
  const Point above = sk_point(1.05 * tc);
  const Solution pm = solve_branch(above, "spin_glass");
  CHECK(pm.q() <= 1e-9);
  CHECK(sk().phase(pm.x, above) == "paramagnet");
  // lambda_AT = 1 - beta^2 at q = 0, h = 0 (AT 1978): positive above T_c.
  CHECK(observable(above, pm.x, "lambda_AT") ==
        doctest::Approx(1.0 - 1.0 / (1.05 * 1.05)).epsilon(1e-9));
  const Point below = sk_point(0.95 * tc);
  const Solution sg = solve_branch(below, "spin_glass");
  CHECK(sg.q() > 0.04);
  CHECK(std::fabs(sg.m()) <= 1e-10);
  CHECK(sk().phase(sg.x, below) == "spin_glass");
  // RS is AT-unstable throughout the spin-glass phase at h = 0.
  CHECK(observable(below, sg.x, "lambda_AT") < 0.0);
  // q = (1 - T) (1 + O(1 - T)) from q = beta^2 q - 2 beta^4 q^2 + O(q^3): at 1 - T = 1e-3 the
  // relative correction is ~2.5e-3.
  const double eps = 1e-3;
  const Solution near = solve_branch(sk_point(tc - eps), "spin_glass");
  CHECK(near.q() / eps == doctest::Approx(1.0).epsilon(5e-3));
}

TEST_CASE("sk: T = 0 energy and entropy, and their small-T approach" *
          doctest::test_suite("validation")) {
  const double e0 = reference_value("ground_state_energy");       // -sqrt(2/pi)
  const double s0 = reference_value("zero_temperature_entropy");  // -1/(2 pi)
  // T = 0 exactly, closed forms: m = 0, q = 1 solve the T = 0 map with no solver error.
  const Point zero = sk_point(0.0);
  const Solution sg = solve_branch(zero, "spin_glass");
  CHECK(sg.m() == 0.0);
  CHECK(sg.q() == 1.0);
  CHECK(observable(zero, sg.x, "energy") == doctest::Approx(e0).epsilon(1e-14));
  CHECK(*sk().free_energy(sg.x, zero) == doctest::Approx(e0).epsilon(1e-14));
  CHECK(observable(zero, sg.x, "entropy") == doctest::Approx(s0).epsilon(1e-14));
  CHECK(observable(zero, sg.x, "C") == doctest::Approx(std::sqrt(2.0 / kPi)).epsilon(1e-14));
  CHECK(observable(zero, sg.x, "lambda_AT") == -kInf);

  // Small T. Observed: e(T) - e0 = 0.27 T^2, s(T) - s0 = 0.53 T + O(T^2), f(T) - f0 = -s0 T +
  // O(T^2). The entropy's T = 0 value is the limit of the finite-T formula E[ln 2cosh x - x tanh x]
  // - C^2/4 (the first term is O(T)); here it is checked against solutions, by linear extrapolation
  // 2 s(T/2) - s(T), whose error is O(T^2) (1.2e-5 observed at T = 0.01).
  const double T = 0.01;
  const Point p1 = sk_point(T), p2 = sk_point(T / 2);
  const Solution s1 = solve_branch(p1, "spin_glass"), s2 = solve_branch(p2, "spin_glass");
  const double de1 = observable(p1, s1.x, "energy") - e0;
  const double de2 = observable(p2, s2.x, "energy") - e0;
  CHECK(std::fabs(de1) <= 0.5 * T * T);
  CHECK(std::fabs(de2) <= 0.5 * (T / 2) * (T / 2));
  CHECK(de1 / de2 == doctest::Approx(4.0).epsilon(0.1));  // O(T^2)
  const double sT = observable(p1, s1.x, "entropy"), sT2 = observable(p2, s2.x, "entropy");
  CHECK(sT - s0 > 0.0);
  CHECK(sT - s0 < T);
  CHECK(2 * sT2 - sT == doctest::Approx(s0).epsilon(5e-5 / std::fabs(s0)));
  // Free-energy continuity across T -> 0: f(T) = f0 - s0 T + O(T^2).
  CHECK(std::fabs(*sk().free_energy(s1.x, p1) - e0 + s0 * T) <= T * T);
  // C = beta (1 - q) stays finite and tends to sqrt(2/pi).
  CHECK(observable(p2, s2.x, "C") == doctest::Approx(std::sqrt(2.0 / kPi)).epsilon(T));
}

TEST_CASE("sk: the paramagnet-ferromagnet boundary is T = J0 for J0 > 1" *
          doctest::test_suite("validation")) {
  const double slope = reference_value("pm_fm_boundary_slope");
  const double J0 = 1.5;
  const double tc = slope * J0;
  // Just below: a ferromagnet (the sign of m is a symmetry, so |m| is checked), with a lower free
  // energy than the m = 0 solution the spin-glass seed finds there.
  const Point below = sk_point(tc * (1 - 1e-2), 0.0, J0);
  const Solution fm = solve_branch(below, "ferromagnet");
  CHECK(std::fabs(fm.m()) > 0.05);
  CHECK(sk().phase(fm.x, below) == "ferromagnet");
  const Solution pm = solve_branch(below, "spin_glass");
  CHECK(std::fabs(pm.m()) <= 1e-10);
  CHECK(*sk().free_energy(fm.x, below) < *sk().free_energy(pm.x, below));
  // Just above: every seed gives m = 0 (the m direction has linear rate beta J0 = 0.999, so
  // |m| <= tol / (1 - 0.999) = 1e-9).
  const Point above = sk_point(tc * (1 + 1e-3), 0.0, J0);
  for (const auto& seed : sk().branches(above)) {
    INFO(seed.name);
    const Solution s = solve_branch(above, seed.name);
    CHECK(std::fabs(s.m()) <= 1e-8);
    CHECK(sk().phase(s.x, above) == "paramagnet");
  }
}

TEST_CASE("sk: the AT line h^2 = (4/3)(1 - T)^3 near T = 1" * doctest::test_suite("validation")) {
  // Bisection on the sign of lambda_AT along T at fixed small h; the asymptotic law has relative
  // corrections ~ (1 - T_AT) (0.9e-2 at h = 1e-3).
  const double h = 1e-3;
  double lo = 0.9, hi = 1.0;  // lambda_AT < 0 at lo, > 0 at hi
  for (int i = 0; i < 40; ++i) {
    const double mid = 0.5 * (lo + hi);
    const Point p = sk_point(mid, h);
    const Solution s = solve_branch(p, "spin_glass");
    (observable(p, s.x, "lambda_AT") < 0.0 ? lo : hi) = mid;
  }
  const double ratio = std::pow(1.0 - lo, 3) / (h * h);
  CHECK(ratio == doctest::Approx(reference_value("at_line_small_field")).epsilon(2e-2));
}

TEST_CASE("sk: energy and entropy are the derivatives of the free energy" *
          doctest::test_suite("validation")) {
  // e = d(beta f)/d beta and s = -df/dT by central differences along a solution branch. Error
  // budget: step^2 f''' ~ 1e-8 plus (solution error ~1e-12) / step ~ 1e-8.
  struct Case {
    double T, h, J0;
    const char* branch;
  };
  for (const Case c : {Case{0.5, 0.3, 0.4, "ferromagnet"}, Case{0.5, 0.0, 0.0, "spin_glass"},
                       Case{0.8, 0.0, 1.5, "ferromagnet"}, Case{1.5, 0.2, 0.0, "paramagnet"},
                       Case{0.05, 0.0, 0.0, "spin_glass"}}) {
    INFO("T = " << c.T << ", h = " << c.h << ", J0 = " << c.J0);
    const double dT = 1e-4 * c.T;
    auto f_at = [&](double T) {
      const Point p = sk_point(T, c.h, c.J0);
      return *sk().free_energy(solve_branch(p, c.branch).x, p);
    };
    const Point p = sk_point(c.T, c.h, c.J0);
    const Solution s = solve_branch(p, c.branch);
    const double fp = f_at(c.T + dT), fm = f_at(c.T - dT);
    const double entropy_fd = -(fp - fm) / (2 * dT);
    // beta f as a function of beta: d(beta f)/d beta = f + beta df/dbeta = f - T df/dT.
    const double f = *sk().free_energy(s.x, p);
    const double energy_fd = f + c.T * entropy_fd;
    CHECK(std::fabs(observable(p, s.x, "entropy") - entropy_fd) <= 1e-6);
    CHECK(std::fabs(observable(p, s.x, "energy") - energy_fd) <= 1e-6);
  }
}

TEST_CASE("sk: the free energy is stationary at solutions" * doctest::test_suite("validation")) {
  // df/dm = df/dq = 0 at a solution is what makes f the RS free energy of these equations. Central
  // differences with step 1e-5: error 1e-10 f''' + 1e-16 / 1e-5 + f'' * (solution error 1e-12).
  // Along q the RS free energy is a maximum (n -> 0), along m a minimum: stationary either way.
  struct Case {
    double T, h, J0;
    const char* branch;
  };
  for (const Case c : {Case{0.5, 0.3, 0.4, "ferromagnet"}, Case{0.5, 0.0, 0.0, "spin_glass"},
                       Case{0.2, 0.1, 1.2, "ferromagnet"}}) {
    INFO("T = " << c.T << ", h = " << c.h << ", J0 = " << c.J0);
    const Point p = sk_point(c.T, c.h, c.J0);
    const Solution s = solve_branch(p, c.branch);
    const double step = 1e-5;
    for (int j = 0; j < 2; ++j) {
      Eigen::VectorXd xp = s.x, xm = s.x;
      xp[j] += step;
      xm[j] -= step;
      const double grad = (*sk().free_energy(xp, p) - *sk().free_energy(xm, p)) / (2 * step);
      CHECK(std::fabs(grad) <= 1e-8);
    }
    // And not trivially: 1e-3 away from the solution along m the gradient is J0 (1 - beta J0 (1-q))
    // 1e-3.
    if (c.J0 != 0.0) {
      Eigen::VectorXd xo = s.x;
      xo[0] += 1e-3;
      Eigen::VectorXd xp = xo, xm = xo;
      xp[0] += step;
      xm[0] -= step;
      const double grad = (*sk().free_energy(xp, p) - *sk().free_energy(xm, p)) / (2 * step);
      CHECK(std::fabs(grad) > 1e-5);
    }
  }
}

TEST_CASE("sk: T = 0 free energy is the T -> 0 limit of the finite-T one" *
          doctest::test_suite("validation")) {
  // With h and J0 nonzero the T = 0 form is f0 = -C - J0 m^2/2 - h m, e0 = f0, s0 = -C^2/4 with
  // C = 2 phi(J0 m + h); the finite-T solutions approach it linearly in T (f: slope -s0).
  const double h = 0.3, J0 = 0.6;
  const Point zero = sk_point(0.0, h, J0);
  const Solution s0 = solve_branch(zero, "ferromagnet");
  const double mu = J0 * s0.m() + h;
  CHECK(s0.m() == doctest::Approx(std::erf(mu / kSqrt2)).epsilon(kResidualTol));
  const double c0 = 2.0 * phi(mu);
  CHECK(observable(zero, s0.x, "C") == doctest::Approx(c0).epsilon(1e-14));
  CHECK(observable(zero, s0.x, "entropy") == doctest::Approx(-0.25 * c0 * c0).epsilon(1e-14));
  const double f0 = *sk().free_energy(s0.x, zero);
  CHECK(f0 == doctest::Approx(-c0 - 0.5 * J0 * s0.m() * s0.m() - h * s0.m()).epsilon(1e-12));
  CHECK(observable(zero, s0.x, "energy") == doctest::Approx(f0).epsilon(1e-12));
  const double T = 0.005;
  const Point warm = sk_point(T, h, J0);
  const Solution sT = solve_branch(warm, "ferromagnet");
  CHECK(sT.m() == doctest::Approx(s0.m()).epsilon(10 * T));
  CHECK(std::fabs(*sk().free_energy(sT.x, warm) - f0 + observable(zero, s0.x, "entropy") * T) <=
        T * T);
}
