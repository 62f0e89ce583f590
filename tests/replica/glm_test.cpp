// The glm model (models/replica/glm.cpp): unit checks of the map and of the channel integrals;
// validation against closed forms, thermodynamic identities and the literature values in
// data/reference/glm.json. Solutions come from the default solver (auto, tol 1e-12); tolerances
// below are tied to it, to the finite-difference steps and to the digits the sources give.
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

const double kSolverTol = SolverSettings{}.tol;  // 1e-12
const double kResidualTol = 10 * kSolverTol;

const FixedPointModel& glm() {
  return builtin_registry().get("glm");
}

double reference_value(const std::string& key) {
  static const nlohmann::json j = [] {
    std::ifstream in(std::string(SADDLE_SOURCE_DIR) + "/data/reference/glm.json");
    REQUIRE(in.good());
    return nlohmann::json::parse(in);
  }();
  REQUIRE(j["entries"].contains(key));
  return j["entries"][key]["value"].get<double>();
}

Point glm_point(const std::string& prior, const std::string& channel, double alpha,
                double Delta = 0.0, double rho = 0.1) {
  Point p = glm().default_point();
  p.params[glm().parameter_index("alpha")] = alpha;
  p.params[glm().parameter_index("Delta")] = Delta;
  p.params[glm().parameter_index("rho")] = rho;
  p.options[static_cast<std::size_t>(glm().option_index("prior"))] = prior;
  p.options[static_cast<std::size_t>(glm().option_index("channel"))] = channel;
  return p;
}

double map_residual(const Point& p, const Eigen::VectorXd& x) {
  Eigen::VectorXd fx;
  glm().map(x, p, fx);
  return (fx - x).cwiseAbs().maxCoeff();
}

double observable(const Point& p, const Eigen::VectorXd& x, const std::string& name) {
  const auto names = glm().observable_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return glm().observable_values(x, p)[static_cast<Eigen::Index>(i)];
  FAIL("no observable " << name);
  return 0.0;
}

// The solution reached from the uninformed seed q = 0, checked by its residual.
Eigen::VectorXd solve_uninformed(const Point& p) {
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
  const SolverSummary s = solve_fixed_point(SolverSettings{}, make_problem(glm(), p), x);
  INFO(s.brief_report());
  REQUIRE(s.usable());
  CHECK(map_residual(p, x) <= kResidualTol);
  return x;
}

// Psi_out of the noiseless sign channel (rho = 1), directly in xi by Gauss-Hermite: an independent
// path from the model's (which switches to the u variable for q > 1/2).
double sign_psi_out(double q) {
  const double scale = std::sqrt(q / (1.0 - q));
  const QuadratureResult r = gauss_hermite_expectation(
      1,
      [&](double z, double* out) {
        const double u = scale * z;
        out[0] = 2.0 * H(u) * log_H(u);
      },
      1e-13, 32, 1024);
  REQUIRE(r.converged);
  return r[0];
}

int run(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::ostringstream o, e;
  std::vector<std::string> full = {"saddle"};
  full.insert(full.end(), args.begin(), args.end());
  const int code = run_cli(full, o, e);
  out = o.str();
  err = e.str();
  return code;
}

}  // namespace

TEST_CASE("glm: map at q = 0 and small alpha (q ~ 2 alpha / pi for a gaussian prior, sign)") {
  // E g_out^2 at q = 0 is 2/(pi rho) for the sign channel, so qhat = 2 alpha/pi, q = qhat/(1+qhat).
  const Point p = glm_point("gaussian", "sign", 0.3);
  Eigen::VectorXd fx, x = Eigen::VectorXd::Zero(1);
  glm().map(x, p, fx);
  const double qhat = 2.0 * 0.3 / kPi;
  CHECK(fx[0] == doctest::Approx(qhat / (1.0 + qhat)).epsilon(1e-14));
  const Eigen::VectorXd s = solve_uninformed(glm_point("gaussian", "sign", 1e-4));
  CHECK(s[0] == doctest::Approx(2e-4 / kPi).epsilon(2e-4));  // O(alpha) relative correction
}

TEST_CASE("glm: sign channel integrals are continuous where the quadrature changes variable") {
  // s = (1 - q)/q = 1 at q = 1/2: the model integrates in xi above, in u below.
  const Point p = glm_point("gaussian", "sign", 1.0);
  Eigen::VectorXd lo(1), hi(1), flo, fhi;
  lo << 0.5 - 1e-12;
  hi << 0.5 + 1e-12;
  glm().map(lo, p, flo);
  glm().map(hi, p, fhi);
  CHECK(std::fabs(flo[0] - fhi[0]) < 1e-12);
  // and agree with an independent Gauss-Hermite evaluation of Psi_out: Phi - phi0 = alpha Psi_out.
  for (double q : {0.2, 0.5, 0.8, 0.95}) {
    Eigen::VectorXd x(1);
    x << q;
    glm().map(x, p, flo);  // q' = F(q)
    const double qhat = observable(p, x, "qhat");
    // gaussian prior: phi0(qhat) = qhat/(2(1+qhat)) - ln(1+qhat)/2 and q' = qhat/(1+qhat)
    const double phi0 = 0.5 * qhat / (1.0 + qhat) - 0.5 * std::log1p(qhat);
    const double psi = observable(p, x, "free_entropy") - phi0;  // Psi_out at q' (alpha = 1)
    CHECK(psi == doctest::Approx(sign_psi_out(flo[0])).epsilon(1e-11));
  }
}

TEST_CASE("glm: bad options and parameters name the key and the expected values") {
  std::string out, err;
  CHECK(run({"solve", "glm", "channel=linear", "alpha=1"}, out, err) == 2);
  CHECK(err ==
        "saddle: error: /params/Delta: Delta = 0 is not allowed with channel linear "
        "(a noiseless continuous output has infinite free entropy); expected Delta > 0\n");
  CHECK(run({"solve", "glm", "rho=0.3", "alpha=1"}, out, err) == 2);
  CHECK(err ==
        "saddle: error: /params/rho: rho applies to prior gauss_bernoulli only (prior is "
        "gaussian); remove it or set prior=gauss_bernoulli\n");
  CHECK(run({"solve", "glm", "prior=gauss", "alpha=1"}, out, err) == 2);
  CHECK(err ==
        "saddle: error: prior: 'gauss' is not a choice of prior; expected one of gaussian, "
        "rademacher, gauss_bernoulli\n");
}

TEST_SUITE("validation") {
  TEST_CASE("glm: gaussian prior, linear channel: closed-form overlap (1e-12) and I-MMSE (1e-6)") {
    for (double alpha : {0.3, 1.0, 4.0})
      for (double Delta : {0.01, 0.5}) {
        const Eigen::VectorXd x = solve_uninformed(glm_point("gaussian", "linear", alpha, Delta));
        const double b = 1.0 + Delta + alpha;
        CHECK(x[0] == doctest::Approx(0.5 * (b - std::sqrt(b * b - 4.0 * alpha))).epsilon(1e-12));
      }
    // I-MMSE (Guo, Shamai, Verdu 2005) per output: dI/d(1/Delta) = alpha mmse_z / 2, with mmse_z
    // the error on z_mu given all data, v Delta / (v + Delta) (the cavity variance v = rho - q
    // combined with y_mu), so dI/dDelta = -alpha v / (2 Delta (v + Delta)); checked on both priors
    // by central differences with step 1e-5 Delta (truncation ~1e-10 relative, rounding ~1e-9).
    for (const std::string prior : {"gaussian", "gauss_bernoulli"}) {
      const double alpha = 0.6, Delta = 0.05, h = 1e-5 * Delta;
      auto mi = [&](double d) {
        const Point p = glm_point(prior, "linear", alpha, d, 0.2);
        return observable(p, solve_uninformed(p), "mutual_information");
      };
      const Point p = glm_point(prior, "linear", alpha, Delta, 0.2);
      const double mse = observable(p, solve_uninformed(p), "mse");
      const double rho = prior == "gaussian" ? 1.0 : 0.2;
      CHECK(mse == doctest::Approx(rho - solve_uninformed(p)[0]).epsilon(1e-14));
      CHECK((mi(Delta + h) - mi(Delta - h)) / (2 * h) ==
            doctest::Approx(-alpha * mse / (2 * Delta * (mse + Delta))).epsilon(1e-6));
    }
  }

  TEST_CASE("glm: dPhi/dalpha = Psi_out(q) along the solution (sign channel, 1e-7)") {
    // Phi_RS is stationary in (q, qhat), so its total derivative in alpha is the explicit one.
    for (const std::string prior : {"gaussian", "rademacher"})
      for (double alpha : {0.5, 1.1, 2.0}) {
        if (prior == "rademacher" && alpha > 1.4) continue;  // low branch ends at alpha_alg ~ 1.493
        const double h = 1e-5;
        auto phi = [&](double a) {
          const Point p = glm_point(prior, "sign", a);
          return observable(p, solve_uninformed(p), "free_entropy");
        };
        const double q = solve_uninformed(glm_point(prior, "sign", alpha))[0];
        CHECK((phi(alpha + h) - phi(alpha - h)) / (2 * h) ==
              doctest::Approx(sign_psi_out(q)).epsilon(1e-7));
      }
  }

  TEST_CASE(
      "glm: relu channel: Gibbs = 2 Bayes (squared errors, 1e-9) and dPhi/dalpha = Psi_out "
      "(1e-6)") {
    // For squared errors the Gibbs student is an independent posterior sample, so its error is
    // twice the posterior variance, the Bayes error: the closed-form arc-cosine kernel against
    // quadrature.
    const Point p = glm_point("gaussian", "relu", 1.0, 0.1);
    for (double q : {0.1, 0.5, 0.9}) {
      Eigen::VectorXd x(1);
      x << q;
      CHECK(observable(p, x, "eg_gibbs") ==
            doctest::Approx(2 * observable(p, x, "eg_bayes")).epsilon(1e-9));
    }
    // Stationarity of Phi in q (E g_out^2 = 2 Psi_out'(q)) makes dPhi/dalpha = Psi_out(q), with
    // Psi_out = (Phi - phi0(qhat)) / alpha at the solution (gaussian prior: phi0 in closed form).
    const double alpha = 1.0, h = 1e-4;
    auto phi = [&](double a) {
      const Point pa = glm_point("gaussian", "relu", a, 0.1);
      return observable(pa, solve_uninformed(pa), "free_entropy");
    };
    const Eigen::VectorXd x = solve_uninformed(p);
    const double qhat = observable(p, x, "qhat");
    const double psi =
        (observable(p, x, "free_entropy") - (0.5 * qhat / (1.0 + qhat) - 0.5 * std::log1p(qhat))) /
        alpha;
    CHECK((phi(alpha + h) - phi(alpha - h)) / (2 * h) == doctest::Approx(psi).epsilon(1e-6));
  }

  TEST_CASE(
      "glm: gaussian prior, sign channel: 0.442/alpha (Bayes) and 0.625/alpha (Gibbs) at "
      "alpha = 1000") {
    // The asymptotic constants in closed form: qhat ~ alpha K / sqrt(1 - q) with
    // K = 2 phi(0) E_z[phi(z)/H(z)], and 1 - q ~ 1/qhat, so eps_Bayes ~ 1/(pi K alpha) and
    // eps_Gibbs ~ sqrt(2)/(pi K alpha). K by Gauss-Hermite (mills is smooth).
    const QuadratureResult k = gauss_hermite_expectation(
        1, [](double z, double* out) { out[0] = mills(z); }, 1e-14, 32, 1024);
    REQUIRE(k.converged);
    const double K = 2.0 * kInvSqrt2Pi * k[0];
    const double c_bayes = 1.0 / (kPi * K), c_gibbs = std::sqrt(2.0) / (kPi * K);
    // The literature values to the 3 digits they have.
    CHECK(c_bayes ==
          doctest::Approx(reference_value("gaussian_sign_bayes_asymptote")).epsilon(1.2e-3));
    CHECK(c_gibbs ==
          doctest::Approx(reference_value("gaussian_sign_gibbs_asymptote")).epsilon(1e-3));
    const double alpha = 1000;
    const Point p = glm_point("gaussian", "sign", alpha);
    const Eigen::VectorXd x = solve_uninformed(p);
    const double bayes = alpha * observable(p, x, "eg_bayes");
    const double gibbs = alpha * observable(p, x, "eg_gibbs");
    // 3 digits of the published constants, and the closed form to 1e-5 (the O(1/alpha) correction
    // measured at alpha = 1000 is 1.4e-6 relative).
    CHECK(std::fabs(bayes - 0.442) < 5e-4);
    CHECK(std::fabs(gibbs - 0.625) < 5e-4);
    CHECK(bayes == doctest::Approx(c_bayes).epsilon(1e-5));
    CHECK(gibbs == doctest::Approx(c_gibbs).epsilon(1e-5));
  }

  TEST_CASE(
      "glm: sparse-regression phase diagram: first-order rows have equal free entropy (1e-7), "
      "fold rows F'(q) = 1 (1e-4)") {
    const fs::path out = fs::temp_directory_path() / "saddle-glm-phase-diagram";
    fs::remove_all(out);
    std::string o, e;
    REQUIRE(run({"run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/glm-phase-diagram.json", "-o",
                 out.string(), "--set", "task.labels=false"},
                o, e) == 0);
    auto rows = [&](const std::string& table) {
      std::ifstream in(out / table);
      std::string line;
      std::getline(in, line);
      std::vector<std::vector<double>> r;
      while (std::getline(in, line)) {
        std::vector<double> v;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) {
          if (cell == "converged") break;  // the status column
          v.push_back(std::stod(cell));
        }
        r.push_back(v);
      }
      return r;
    };
    int checked = 0;
    for (const auto& r : rows("boundary_alpha_IT.csv")) {  // alpha, Delta, q_uninformed, q_informed
      if (r[3] - r[2] < 0.005) continue;  // near the critical point the branches merge
      const Point p = glm_point("gauss_bernoulli", "linear", r[0], r[1], 0.1);
      Eigen::VectorXd lo(1), hi(1);
      lo << r[2];
      hi << r[3];
      CHECK(map_residual(p, lo) < 1e-9);
      CHECK(map_residual(p, hi) < 1e-9);
      CHECK(observable(p, lo, "free_entropy") ==
            doctest::Approx(observable(p, hi, "free_entropy")).scale(1).epsilon(1e-7));
      ++checked;
    }
    CHECK(checked >= 20);
    for (const auto& r : rows("boundary_alpha_informed_fold.csv")) {  // alpha, Delta, q
      const Point p = glm_point("gauss_bernoulli", "linear", r[0], r[1], 0.1);
      Eigen::VectorXd a(1), b(1), fa, fb;
      const double h = 1e-7;
      a << r[2] - h;
      b << r[2] + h;
      glm().map(a, p, fa);
      glm().map(b, p, fb);
      CHECK((fb[0] - fa[0]) / (2 * h) == doctest::Approx(1.0).epsilon(1e-4));
    }
  }

  TEST_CASE("glm: noisy binary perceptron: the first-order line tends to the noiseless alpha_IT") {
    // A second, independent route to alpha_IT: equal free entropy of two solved branches of the
    // noisy channel (phase_diagram first_order), against phi_gap at Delta = 0 (continuation). The
    // line approaches like 1.24468 + 2.28 sqrt(Delta): 2.3e-4 above at its end, Delta = 1e-8.
    const fs::path out = fs::temp_directory_path() / "saddle-glm-binary-noisy";
    fs::remove_all(out);
    std::string o, e;
    REQUIRE(run({"run",
                 std::string(SADDLE_SOURCE_DIR) + "/data/specs/glm-binary-noisy-phase-diagram.json",
                 "-o", out.string(), "--set", "task.labels=false"},
                o, e) == 0);
    std::ifstream in(out / "boundary_alpha_IT.csv");
    std::string line;
    std::getline(in, line);
    double alpha_end = 0, delta_end = 1;
    int rows = 0;
    while (std::getline(in, line)) {
      std::stringstream ss(line);
      std::string a, d;
      std::getline(ss, a, ',');
      std::getline(ss, d, ',');
      if (std::stod(d) < delta_end) {
        delta_end = std::stod(d);
        alpha_end = std::stod(a);
      }
      ++rows;
    }
    CHECK(rows >= 20);
    CHECK(delta_end == doctest::Approx(1e-8).epsilon(1e-3));
    CHECK(std::fabs(alpha_end - reference_value("rademacher_sign_alpha_IT")) < 5e-4);
    const Point p = glm_point("rademacher", "sign", alpha_end, 0.0);
    Eigen::VectorXd x = Eigen::VectorXd::Zero(1);
    REQUIRE(solve_fixed_point(SolverSettings{}, make_problem(glm(), p), x).usable());
    // Delta = 0 at the same alpha, 2.3e-4 above alpha_IT(0): phi_gap is small and negative.
    const double gap = observable(p, x, "phi_gap");
    CHECK(gap < 0);
    CHECK(gap > -1e-3);
  }

  TEST_CASE("glm: rademacher prior, perfect recovery state: q = 1, Phi = -ln 2, I = ln 2") {
    const Point p = glm_point("rademacher", "sign", 2.0);
    Eigen::VectorXd x(1);
    x << 1.0 - 1e-3;  // the informed seed
    const SolverSummary s = solve_fixed_point(SolverSettings{}, make_problem(glm(), p), x);
    REQUIRE(s.usable());
    CHECK(x[0] == 1.0);
    CHECK(observable(p, x, "free_entropy") == doctest::Approx(-std::log(2.0)).epsilon(1e-15));
    CHECK(observable(p, x, "mutual_information") == doctest::Approx(std::log(2.0)).epsilon(1e-15));
    CHECK(observable(p, x, "phi_gap") == doctest::Approx(0.0).scale(1).epsilon(1e-15));
    CHECK_FALSE(glm().inadmissible(x, p).has_value());
    // For a continuous prior the same q = rho is a spurious fixed point and flagged as such.
    CHECK(glm().inadmissible(x, glm_point("gaussian", "sign", 2.0)).has_value());
  }

  TEST_CASE(
      "glm: rademacher prior, sign channel: alpha_IT and alpha_alg from the continuation task") {
    const fs::path out = fs::temp_directory_path() / "saddle-glm-learning-curve";
    fs::remove_all(out);
    std::string o, e;
    REQUIRE(run({"run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/glm-learning-curve.json",
                 "-o", out.string()},
                o, e) == 0);
    const nlohmann::json s = nlohmann::json::parse(std::ifstream(out / "summary.json"));
    int it = 0, folds = 0;
    for (const auto& sp : s["special_points"]) {
      const double alpha = sp["alpha"].get<double>();
      CHECK(sp["residual"].get<double>() <= kResidualTol);
      if (sp["type"] == "thermodynamic_stability_change" && sp["located"] == true) {
        // the sign change of phi_gap on the poor-generalisation branch (q < 0.9) only
        if (sp["order_parameters"]["q"].get<double>() > 0.9) continue;
        ++it;
        MESSAGE("alpha_IT = " << alpha << "; Barbier et al. give "
                              << reference_value("rademacher_sign_alpha_IT_barbier"));
        CHECK(std::fabs(alpha - reference_value("rademacher_sign_alpha_IT")) < 5e-4);
      }
      if (sp["type"] == "fold") {
        ++folds;
        CHECK(std::fabs(alpha - reference_value("rademacher_sign_alpha_alg")) < 5e-4);
      }
    }
    CHECK(it == 1);
    CHECK(folds == 1);
  }
}
