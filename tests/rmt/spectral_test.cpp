// Spectral densities: closed forms (semicircle, Marchenko-Pastur), edges, atoms, mass, the
// generalised Marchenko-Pastur law against sampled eigenvalues, free convolutions, and the
// spectrum task's outputs and error messages. Sources: data/reference/rmt.json.
#include "saddle/spectral.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"
#include "spectrum.hpp"

using namespace saddle;
namespace fs = std::filesystem;

namespace {

constexpr double kPi = 3.14159265358979323846;

const SpectralModel& spectral(const std::string& id) {
  return dynamic_cast<const SpectralModel&>(builtin_registry().get(id));
}

Point point_of(const std::string& id, std::vector<std::pair<std::string, double>> values) {
  const auto& m = builtin_registry().get(id);
  Point p = m.default_point();
  for (const auto& [k, v] : values) p.params[m.parameter_index(k)] = v;
  return p;
}

// max |F(u) - u| at the reported g for one-unknown equations whose unknown is g.
double residual_at(const StieltjesEquation& eq, const SpectralPoint& p) {
  CVector u = CVector::Constant(1, p.g), fu(1);
  eq.map(u, cplx(p.x, p.eta_used), fu);
  return std::abs(fu[0] - u[0]);
}

std::vector<double> grid(double a, double b, int n) {
  std::vector<double> xs;
  for (int i = 0; i < n; ++i) xs.push_back(a + (b - a) * i / (n - 1));
  return xs;
}

double mp_density(double x, double gamma) {
  const double am = std::pow(1 - std::sqrt(gamma), 2), ap = std::pow(1 + std::sqrt(gamma), 2);
  if (x <= am || x >= ap) return 0.0;
  return std::sqrt((ap - x) * (x - am)) / (2 * kPi * gamma * x);
}

}  // namespace

TEST_SUITE("validation") {
  TEST_CASE("wigner: semicircle density 1e-8 away from the edges, edges +-2 sigma, mass 1") {
    for (double sigma : {1.0, 0.7}) {
      const auto eq = spectral("wigner").equation(point_of("wigner", {{"sigma", sigma}}), {});
      std::vector<double> xs = grid(-2.5 * sigma, 2.5 * sigma, 201);
      for (double d : {1e-8, 1e-6, 1e-3}) {  // points just inside and outside both edges
        for (double s : {-1.0, 1.0}) {
          xs.push_back(s * (2 * sigma - d));
          xs.push_back(s * (2 * sigma + d));
        }
      }
      std::sort(xs.begin(), xs.end());
      const SpectrumResult r = SpectrumSolver().run(*eq, xs);
      CHECK(r.not_converged == 0);
      for (const auto& p : r.points) {
        // On an edge itself (the grid holds +-2 sigma) the root is double and only the eta_c
        // value is available: rho ~ sqrt(eta_c), tested below 1e-6.
        if (std::abs(std::abs(p.x) - 2 * sigma) < 1e-12) {
          CHECK(p.rho < 1e-6);
          continue;
        }
        const double exact = std::abs(p.x) < 2 * sigma ? std::sqrt(4 * sigma * sigma - p.x * p.x) /
                                                             (2 * kPi * sigma * sigma)
                                                       : 0.0;
        CHECK(p.rho == doctest::Approx(exact).epsilon(1e-10).scale(1.0));
        CHECK(p.eta_used == 0.0);  // polished at eta = 0 everywhere (1e-8 from the edges included)
        CHECK(residual_at(*eq, p) <= 1e-11);
      }
      REQUIRE(r.edges.size() == 2);
      CHECK(r.edges[0].located);
      CHECK(r.edges[0].x == doctest::Approx(-2 * sigma).epsilon(1e-11));
      CHECK(r.edges[1].x == doctest::Approx(2 * sigma).epsilon(1e-11));
      CHECK(r.atoms.empty());
      CHECK(r.total_mass == doctest::Approx(1.0).epsilon(1e-10));
      CHECK(r.mass_ok);
    }
  }

  TEST_CASE(
      "wishart: Marchenko-Pastur density, edges (1 +- sqrt gamma)^2, atom 1 - 1/gamma, mass 1") {
    for (double gamma : {0.25, 2.0}) {
      const auto eq = spectral("wishart").equation(point_of("wishart", {{"gamma", gamma}}), {});
      const double am = std::pow(1 - std::sqrt(gamma), 2), ap = std::pow(1 + std::sqrt(gamma), 2);
      std::vector<double> xs = grid(-0.5, ap + 0.5, 301);
      for (double d : {1e-8, 1e-5}) {
        xs.push_back(am + d);
        xs.push_back(ap - d);
      }
      std::sort(xs.begin(), xs.end());
      const SpectrumResult r = SpectrumSolver().run(*eq, xs);
      CHECK(r.not_converged == 0);
      for (const auto& p : r.points) {
        if (p.status == SpectralPointStatus::kAtom) continue;
        CHECK(p.rho == doctest::Approx(mp_density(p.x, gamma)).epsilon(1e-10).scale(1.0));
        CHECK(residual_at(*eq, p) <= 1e-11 * std::max(1.0, std::abs(p.g)));
      }
      REQUIRE(r.edges.size() == 2);
      CHECK(r.edges[0].x == doctest::Approx(am).epsilon(1e-11));
      CHECK(r.edges[1].x == doctest::Approx(ap).epsilon(1e-11));
      if (gamma > 1) {
        REQUIRE(r.atoms.size() == 1);
        CHECK(r.atoms[0].x == 0.0);
        CHECK(r.atoms[0].mass == doctest::Approx(1 - 1 / gamma).epsilon(1e-7));
        CHECK(r.atoms[0].expected == doctest::Approx(1 - 1 / gamma).epsilon(1e-15));
      } else {
        CHECK(r.atoms.empty());
      }
      CHECK(r.total_mass == doctest::Approx(1.0).epsilon(1e-7));
      CHECK(r.mass_ok);
    }
  }

  TEST_CASE("wishart: one population atom t is Marchenko-Pastur with sigma2 = t") {
    SpectralInputs in;
    in.population = DiscreteMeasure{{3.0}, {1.0}};
    const auto eq = spectral("wishart").equation(point_of("wishart", {{"gamma", 0.5}}), in);
    const auto ref =
        spectral("wishart").equation(point_of("wishart", {{"gamma", 0.5}, {"sigma2", 3.0}}), {});
    const SpectrumResult r = SpectrumSolver().run(*eq, grid(0.0, 18.0, 181));
    for (const auto& p : r.points) {
      const cplx g = *ref->closed_form(cplx(p.x, 1e-300));
      CHECK(p.rho == doctest::Approx(std::max(0.0, g.imag()) / kPi).epsilon(1e-10).scale(1.0));
    }
  }

  TEST_CASE("wishart: generalised Marchenko-Pastur against sampled eigenvalues (p = 2000)") {
    // Population spectrum 1 and 4 with weights 1/2, gamma = 0.5: two bulks. One sample, p = 2000,
    // n = 4000, fixed seed; error bars are counting errors (conservative: eigenvalues repel).
    SpectralInputs in;
    in.population = DiscreteMeasure{{1.0, 4.0}, {0.5, 0.5}};
    const Point p = point_of("wishart", {{"gamma", 0.5}});
    const auto eq = spectral("wishart").equation(p, in);
    const SpectrumSolver solver;
    const SpectrumResult r = solver.run(*eq, grid(0.0, 13.0, 261));
    CHECK(r.not_converged == 0);
    CHECK(r.total_mass == doctest::Approx(1.0).epsilon(1e-7));
    CHECK(r.edges.size() >= 2);
    SampleSettings s;
    s.enabled = true;
    s.n = 2000;
    s.bins = 40;
    s.seed = 7;
    const SampleComparison c =
        compare_with_samples(spectral("wishart"), p, in, *eq, solver, r.atoms, 0.0, 13.0, s);
    INFO("max |z| = " << c.max_abs_z << ", chi2/bin = " << c.chi2_per_bin
                      << ", KS = " << c.ks_distance);
    CHECK(c.max_abs_z < 3.5);     // every bin within 3.5 error bars
    CHECK(c.chi2_per_bin < 1.5);  // and no systematic excess
    CHECK(c.ks_distance < 0.01);
  }

  TEST_CASE("free_sum: two semicircles give the semicircle of the summed variance") {
    const double a = 1.0, b = 2.25;
    SpectralInputs in;
    for (auto [name, sigma2] : {std::pair<const char*, double>{"a", a}, {"b", b}}) {
      SpectralComponent c;
      c.name = name;
      c.equation =
          spectral("wigner").equation(point_of("wigner", {{"sigma", std::sqrt(sigma2)}}), {});
      c.description = "wigner";
      in.components.push_back(c);
    }
    const auto eq = spectral("free_sum").equation(point_of("free_sum", {}), in);
    const double s2 = a + b, edge = 2 * std::sqrt(s2);
    std::vector<double> xs = grid(-1.2 * edge, 1.2 * edge, 241);
    xs.push_back(edge - 1e-8);
    std::sort(xs.begin(), xs.end());
    const SpectrumResult r = SpectrumSolver().run(*eq, xs);
    CHECK(r.not_converged == 0);
    for (const auto& p : r.points) {
      if (std::abs(std::abs(p.x) - edge) < 1e-9) continue;  // on the edge: only eta_c accuracy
      const double exact =
          std::abs(p.x) < edge ? std::sqrt(4 * s2 - p.x * p.x) / (2 * kPi * s2) : 0.0;
      CHECK(p.rho == doctest::Approx(exact).epsilon(1e-9).scale(1.0));
    }
    REQUIRE(r.edges.size() == 2);
    CHECK(r.edges[0].x == doctest::Approx(-edge).epsilon(1e-10));
    CHECK(r.edges[1].x == doctest::Approx(edge).epsilon(1e-10));
    CHECK(r.total_mass == doctest::Approx(1.0).epsilon(1e-8));
  }

  TEST_CASE("free_product: population boxtimes Marchenko-Pastur is the generalised MP law") {
    SpectralInputs fp;
    SpectralComponent pa;
    pa.name = "a";
    pa.atoms = DiscreteMeasure{{1.0, 4.0}, {0.5, 0.5}};
    SpectralComponent pb;
    pb.name = "b";
    pb.equation = spectral("wishart").equation(point_of("wishart", {{"gamma", 0.5}}), {});
    fp.components = {pa, pb};
    const auto eq = spectral("free_product").equation(point_of("free_product", {}), fp);
    SpectralInputs w;
    w.population = *pa.atoms;
    const auto ref = spectral("wishart").equation(point_of("wishart", {{"gamma", 0.5}}), w);
    const auto xs = grid(0.05, 13.0, 131);
    const SpectrumResult r = SpectrumSolver().run(*eq, xs);
    const SpectrumResult q = SpectrumSolver().run(*ref, xs);
    CHECK(r.not_converged == 0);
    for (std::size_t i = 0; i < xs.size(); ++i)
      CHECK(r.points[i].rho == doctest::Approx(q.points[i].rho).epsilon(1e-9).scale(1.0));
    REQUIRE(r.edges.size() == q.edges.size());
    for (std::size_t k = 0; k < r.edges.size(); ++k)
      CHECK(r.edges[k].x == doctest::Approx(q.edges[k].x).epsilon(1e-9));
    CHECK(r.total_mass == doctest::Approx(1.0).epsilon(1e-7));
  }
}  // TEST_SUITE("validation")

namespace {
struct Cli {
  int code;
  std::string out, err;
};
Cli run_cli_args(std::vector<std::string> args) {
  args.insert(args.begin(), "saddle");
  std::ostringstream out, err;
  const int code = run_cli(args, out, err);
  return {code, out.str(), err.str()};
}
struct Dir {
  fs::path dir;
  explicit Dir(const std::string& n) : dir(fs::temp_directory_path() / ("saddle-rmt-" + n)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Dir() { fs::remove_all(dir); }
  std::string file(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  }
};
}  // namespace

TEST_CASE("spectrum task: wishart with a population file writes spectrum.csv and summary.json") {
  Dir d("task");
  const std::string pop = d.file("pop.txt", "# t w\n1 0.5\n4 0.5\n");
  const std::string spec =
      d.file("s.json", R"({"saddle": 1, "model": "wishart", "params": {"gamma": 0.5},
        "task": {"type": "spectrum", "x": {"from": 0, "to": 13, "num": 131},
                 "population": {"file": ")" +
                           pop + R"("}}})");
  const Cli c = run_cli_args({"run", spec, "-o", (d.dir / "out").string()});
  REQUIRE(c.code == 0);
  std::ifstream in(d.dir / "out" / "summary.json");
  const auto s = nlohmann::json::parse(in);
  CHECK(s["status"] == "converged");
  CHECK(s["mass"]["ok"] == true);
  CHECK(s["mass"]["total"].get<double>() == doctest::Approx(1.0).epsilon(1e-7));
  CHECK(s["special_points"]["edges"].size() >= 2);
  CHECK(s["spec"]["task"]["population"]["weights"][1].get<double>() ==
        doctest::Approx(0.5).epsilon(1e-15));
  std::ifstream csv(d.dir / "out" / "spectrum.csv");
  std::string header;
  std::getline(csv, header);
  CHECK(header == "x,rho,g_re,g_im,eta_used,converged,status,iterations,residual,method");
}

TEST_CASE("spectrum task: bad input is rejected with the path and nothing is written") {
  Dir d("bad");
  const std::string out = (d.dir / "out").string();
  auto run = [&](const std::string& task, const std::string& model = "wishart") {
    const std::string spec =
        d.file("s.json", R"({"saddle": 1, "model": ")" + model + R"(", "task": )" + task + "}");
    return run_cli_args({"run", spec, "-o", out});
  };
  const std::string s = (d.dir / "s.json").string();
  Cli c = run(R"({"type": "spectrum"})", "sk");
  CHECK(c.code == 2);
  CHECK(c.err == "saddle: error: " + s +
                     ": /task/type: model sk has no spectrum task; expected a spectral model "
                     "(free_product, free_sum, jacobian_spectrum, wigner, wishart)\n");
  c = run(R"({"type": "spectrum", "populaton": {"atoms": [1]}})");
  CHECK(c.code == 2);
  CHECK(c.err ==
        "saddle: error: " + s +
            ": /task/populaton: unknown key 'populaton' (did you mean 'population'?); valid: "
            "type, x, eta, eta_c, mass_nodes, mass_tol, special_points, sample, population\n");
  c = run(R"({"type": "spectrum", "population": {"atoms": [1, 2], "weights": [1]}})");
  CHECK(c.code == 2);
  CHECK(c.err == "saddle: error: " + s +
                     ": /task/population: 2 atoms but 1 weights; expected one weight per atom\n");
  c = run(R"({"type": "spectrum", "population": {"atoms": [1, -2]}})");
  CHECK(c.code == 2);
  CHECK(c.err == "saddle: error: " + s +
                     ": /task/population: population value -2 is negative; expected covariance "
                     "eigenvalues >= 0\n");
  c = run(R"({"type": "spectrum", "eta": -1})");
  CHECK(c.code == 2);
  CHECK(c.err == "saddle: error: " + s +
                     ": /task/eta: eta = -1 is out of range; expected eta >= 0 (0 means the limit "
                     "eta -> 0+)\n");
  c = run(R"({"type": "spectrum", "a": {"model": "sk"}, "b": {"atoms": [1]}})", "free_sum");
  CHECK(c.code == 2);
  CHECK(c.err == "saddle: error: " + s +
                     ": /task/a/model: model sk has no closed-form Stieltjes transform; expected "
                     "wigner, wishart (no population) or {\"atoms\": [...]}\n");
  CHECK_FALSE(fs::exists(out));
}
