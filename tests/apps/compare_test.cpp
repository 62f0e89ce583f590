// `saddle compare` and `saddle simulate`: arithmetic on a hand-made case, interpolation along a
// folding branch against the closed-form T = 0 Hopfield solution, theory from a spec, verdict exit
// codes, the exact text of every error message (house style 14), simulator reproducibility, and
// (slow) simulators against the theory away from transitions.
#include "compare.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "saddle/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Res {
  int code;
  std::string out, err;
};

Res cli(std::vector<std::string> args) {
  args.insert(args.begin(), "saddle");
  std::ostringstream o, e;
  const int code = saddle::run_cli(args, o, e);
  return {code, o.str(), e.str()};
}

struct Scratch {
  fs::path dir;
  explicit Scratch(const std::string& name)
      : dir(fs::temp_directory_path() / ("saddle-compare-" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  std::string file(const std::string& name, const std::string& content) const {
    const fs::path p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

// A hand-made continuation result: m = 1 - alpha on alpha in [0, 0.4] (PCHIP is exact on lines).
std::string linear_theory(const Scratch& s) {
  s.file("theory/summary.json",
         R"({"spec": {"model": "hopfield", "params": {"alpha": 0.01, "T": 0},
             "task": {"type": "continuation", "parameter": "alpha", "branch": "retrieval"}}})");
  s.file("theory/branch.csv", "alpha,m,q\n0,1,1\n0.1,0.9,1\n0.2,0.8,1\n0.3,0.7,1\n0.4,0.6,1\n");
  return s.path("theory");
}

std::vector<std::vector<std::string>> read_rows(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    rows.push_back(cells);
  }
  return rows;
}

// T = 0 Hopfield retrieval, closed form (AGS): alpha(y) = [erf y - 2/sqrt(pi) y e^{-y^2}]^2/(2y^2),
// m = erf y; y > y* is the stable piece, y < y* the unstable one (y* ~ 1.5 at alpha_c).
double hopfield_m_t0(double alpha, bool stable) {
  auto a = [](double y) {
    const double g = std::erf(y) - 2.0 / std::sqrt(M_PI) * y * std::exp(-y * y);
    return g * g / (2 * y * y);
  };
  double lo = stable ? 1.5 : 0.3, hi = stable ? 6.0 : 1.5;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if ((a(lo) > alpha) == (a(mid) > alpha))
      lo = mid;
    else
      hi = mid;
  }
  return std::erf(0.5 * (lo + hi));
}

// Runs compare expecting bad input: exit 2, nothing on stdout, no output directory.
std::string rejected(const Scratch& s, std::vector<std::string> args) {
  const std::string out = s.path("out-rejected");
  args.insert(args.begin(), "compare");
  args.push_back("-o");
  args.push_back(out);
  const Res r = cli(args);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
  CHECK_FALSE(fs::exists(out));
  return r.err;
}

}  // namespace

TEST_CASE("compare: PCHIP is exact on lines, interpolates nodes, does not overshoot, converges") {
  const std::vector<double> x = {0, 0.5, 1.5, 2, 3}, lin = {1, 2, 4, 5, 7};
  for (double t : {0.0, 0.2, 0.5, 1.0, 1.7, 2.9, 3.0})
    CHECK(saddle::pchip(x, lin, t) == doctest::Approx(1 + 2 * t).epsilon(1e-14));
  // a step-like monotone sequence: the interpolant stays inside every interval's data range
  const std::vector<double> ys = {0, 0, 0.1, 1, 1};
  for (int i = 0; i <= 300; ++i) {
    const double t = 3.0 * i / 300;
    const double v = saddle::pchip(x, ys, t);
    CHECK(v >= -1e-15);
    CHECK(v <= 1 + 1e-15);
  }
  // smooth data: error falls at least 4x per halving of h (PCHIP is O(h^3) on smooth data)
  auto max_err = [](int n) {
    std::vector<double> xs, es;
    for (int i = 0; i <= n; ++i) {
      xs.push_back(2.0 * i / n);
      es.push_back(std::exp(xs.back()));
    }
    double e = 0;
    for (int i = 0; i < 1000; ++i) {
      const double t = 2.0 * (i + 0.37) / 1000;
      e = std::max(e, std::fabs(saddle::pchip(xs, es, t) - std::exp(t)));
    }
    return e;
  };
  const double e1 = max_err(20), e2 = max_err(40);
  CHECK(e1 < 1e-3);
  CHECK(e2 < e1 / 4);
}

TEST_CASE("compare: monotone pieces of a folding path share their turning point") {
  using P = std::vector<std::pair<std::size_t, std::size_t>>;
  CHECK(saddle::monotone_pieces({0, 1, 2, 3, 2, 1}) == P{{0, 4}, {3, 6}});
  CHECK(saddle::monotone_pieces({0, 1, 2}) == P{{0, 3}});
  CHECK(saddle::monotone_pieces({3, 2, 1, 2}) == P{{0, 3}, {2, 4}});
  CHECK(saddle::monotone_pieces({0, 1, 1, 2}) == P{{0, 4}});  // a repeated x ends nothing
}

TEST_CASE("compare: arithmetic on a hand-made case (differences, z, RMSE, chi^2/dof, 2 sigma)") {
  Scratch s("arith");
  const std::string th = linear_theory(s);
  const std::string sim =
      s.file("sim.csv", "# hand-made\nalpha,T,m,m_err\n0.1,0,0.91,0.01\n0.25,0,0.70,0.02\n");
  const std::string out = s.path("out");
  const Res r = cli(
      {"compare", th, sim, "--x", "alpha", "--y", "m", "--err", "m_err", "-o", out, "--no-plot"});
  REQUIRE(r.code == 0);
  const auto rows = read_rows(fs::path(out) / "compare.csv");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"y", "alpha", "T", "sim", "sim_err", "theory",
                                            "difference", "z", "interpolation_error", "piece",
                                            "status"});
  // theory 0.9 and 0.75; differences 0.01 and -0.05; z = 1 and -2.5
  CHECK(std::stod(rows[1][5]) == doctest::Approx(0.9).epsilon(1e-14));
  CHECK(std::stod(rows[1][6]) == doctest::Approx(0.01).epsilon(1e-12));
  CHECK(std::stod(rows[1][7]) == doctest::Approx(1.0).epsilon(1e-10));
  CHECK(std::stod(rows[2][5]) == doctest::Approx(0.75).epsilon(1e-14));
  CHECK(std::stod(rows[2][6]) == doctest::Approx(-0.05).epsilon(1e-12));
  CHECK(std::stod(rows[2][7]) == doctest::Approx(-2.5).epsilon(1e-10));
  CHECK(rows[2][10] == "compared");
  const json j = json::parse(std::ifstream(fs::path(out) / "summary.json"));
  const json& st = j["statistics"][0];
  CHECK(st["points"] == 2);
  CHECK(st["rmse"].get<double>() == doctest::Approx(std::sqrt((1e-4 + 2.5e-3) / 2)).epsilon(1e-12));
  CHECK(st["max_abs_difference"].get<double>() == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(st["x_at_max_abs_difference"].get<double>() == 0.25);
  CHECK(st["chi2_per_dof"].get<double>() == doctest::Approx((1 + 6.25) / 2).epsilon(1e-10));
  CHECK(st["fraction_within_2sigma"].get<double>() == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(j["verdict"]["result"] == "none");
  CHECK(j["theory"]["matched_columns"] == json::array({"T"}));

  SUBCASE("verdict exit codes: tolerance and chi^2") {
    const std::vector<std::string> base = {"compare", th,      sim,     "--x",       "alpha", "--y",
                                           "m",       "--err", "m_err", "--no-plot", "-o",    out};
    auto with = [&](std::vector<std::string> extra) {
      auto a = base;
      a.insert(a.end(), extra.begin(), extra.end());
      return cli(a);
    };
    CHECK(with({"--tolerance", "0.06"}).code == 0);
    const Res fail = with({"--tolerance", "0.04"});
    CHECK(fail.code == saddle::kCompareDisagree);
    const std::string max_diff = saddle::format_number(st["max_abs_difference"].get<double>());
    CHECK(fail.out.find("verdict: disagree\n  m: max |difference| " + max_diff +
                        " at alpha = 0.25 > tolerance 0.04\n") != std::string::npos);
    CHECK(with({"--max-chi2", "4"}).code == 0);
    const Res chi = with({"--max-chi2", "3"});
    CHECK(chi.code == saddle::kCompareDisagree);
    CHECK(chi.out.find("  m: chi^2/dof " + saddle::format_number(st["chi2_per_dof"].get<double>()) +
                       " > 3\n") != std::string::npos);
    CHECK(with({"--max-chi2", "4", "--tolerance", "0.04"}).code == saddle::kCompareDisagree);
    const json v = json::parse(std::ifstream(fs::path(out) / "summary.json"));
    CHECK(v["verdict"]["result"] == "disagree");
  }
  SUBCASE("zero standard errors are kept out of chi^2 and counted") {
    const std::string z = s.file("zero.csv", "alpha,m,m_err\n0.1,0.9,0\n0.2,0.81,0.01\n");
    REQUIRE(cli({"compare", th, z, "--x", "alpha", "--y", "m", "--err", "m_err", "-o", out,
                 "--no-plot", "--max-chi2", "2"})
                .code == 0);
    const json v = json::parse(std::ifstream(fs::path(out) / "summary.json"));
    CHECK(v["statistics"][0]["dof"] == 1);
    CHECK(v["statistics"][0]["zero_error_points"] == 1);
    CHECK(v["statistics"][0]["chi2_per_dof"].get<double>() == doctest::Approx(1.0).epsilon(1e-10));
    const std::string all0 = s.file("allzero.csv", "alpha,m,m_err\n0.1,0.9,0\n");
    const Res r0 = cli({"compare", th, all0, "--x", "alpha", "--y", "m", "--err", "m_err", "-o",
                        out, "--no-plot", "--max-chi2", "2"});
    CHECK(r0.code == saddle::kCompareDisagree);
    CHECK(r0.out.find("  m: chi^2 undefined, every standard error is 0\n") != std::string::npos);
  }
  SUBCASE("groups: statistics per group and pooled; outside points skipped on request") {
    const std::string g = s.file(
        "g.csv", "N,alpha,m\n100,0.1,0.92\n100,0.2,0.8\n200,0.1,0.9\n200,0.2,0.79\n200,0.5,0.1\n");
    const Res rg = cli({"compare", th, g, "--x", "alpha", "--y", "m", "--group", "N", "-o", out,
                        "--no-plot", "--outside", "skip", "--tolerance", "0.015"});
    CHECK(rg.code == saddle::kCompareDisagree);  // N = 100 is 0.02 off at alpha = 0.1
    const json v = json::parse(std::ifstream(fs::path(out) / "summary.json"));
    REQUIRE(v["statistics"].size() == 3);
    CHECK(v["statistics"][0]["group"] == "100");
    CHECK(v["statistics"][0]["max_abs_difference"].get<double>() ==
          doctest::Approx(0.02).epsilon(1e-12));
    CHECK(v["statistics"][1]["group"] == "200");
    CHECK(v["statistics"][1]["points"] == 2);
    CHECK(v["statistics"][1]["outside"] == 1);
    CHECK(v["statistics"][2]["group"] == "all");
    CHECK(v["statistics"][2]["points"] == 4);
    REQUIRE(v["verdict"]["reasons"].size() == 1);
    CHECK(v["verdict"]["reasons"][0] ==
          "m (N = 100): max |difference| " +
              saddle::format_number(v["statistics"][0]["max_abs_difference"].get<double>()) +
              " at alpha = 0.1 > tolerance 0.015");
    const auto rows2 = read_rows(fs::path(out) / "compare.csv");
    CHECK(rows2.back().back() == "outside");
  }
}

TEST_CASE("compare: interpolation along the folding hopfield T = 0 branch, both pieces") {
  Scratch s("branch");
  const std::string th = s.path("cap");
  REQUIRE(
      cli({"run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/hopfield-capacity.json", "-o", th})
          .code == 0);
  const std::string sim = s.file("sim.csv", "alpha,T,m\n0.05,0,0.99\n0.1,0,0.99\n0.13,0,0.95\n");
  const std::string out = s.path("out");
  for (int piece : {1, 2}) {
    const Res r = cli({"compare", th, sim, "--x", "alpha", "--y", "m", "-o", out, "--no-plot",
                       "--piece", std::to_string(piece)});
    REQUIRE(r.code == 0);
    CHECK(r.out.find("branch retrieval, piece " + std::to_string(piece) + " of 2") !=
          std::string::npos);
    const auto rows = read_rows(fs::path(out) / "compare.csv");
    REQUIRE(rows.size() == 4);
    const double alphas[] = {0.05, 0.1, 0.13};
    for (int i = 0; i < 3; ++i) {
      const double exact = hopfield_m_t0(alphas[i], piece == 1);
      const double theory = std::stod(rows[static_cast<std::size_t>(i + 1)][4]);
      const double est = std::stod(rows[static_cast<std::size_t>(i + 1)][6]);
      // Measured: ~1e-13 at 0.05 and 0.1 and 3e-6 at 0.13 (near the fold, where m(alpha) has a
      // square-root tangent); the |pchip - linear| estimate bounds the true error.
      const double tol = alphas[i] < 0.12 ? 1e-8 : 1e-4;
      CHECK(theory == doctest::Approx(exact).epsilon(tol));
      CHECK(std::fabs(theory - exact) <= est + 1e-10);
      CHECK(rows[static_cast<std::size_t>(i + 1)][7] == std::to_string(piece));
    }
  }
  // default: piece 1, the branch the spec follows from `from`; with the plot (when gnuplot is here)
  const bool gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  std::vector<std::string> a = {"compare", th, sim, "--x", "alpha", "--y", "m", "-o", out};
  if (!gnuplot) a.push_back("--no-plot");
  REQUIRE(cli(a).code == 0);
  if (gnuplot) {
    for (const char* f : {"plot.png", "plot.svg", "plot.gp", "theory.csv"})
      CHECK_MESSAGE(fs::file_size(fs::path(out) / f) > 0, f);
    for (const auto& e : fs::directory_iterator(out)) CHECK(e.path().filename().string()[0] != '.');
  }
  const json j = json::parse(std::ifstream(fs::path(out) / "summary.json"));
  CHECK(j["theory"]["lines"][0]["chosen_piece"] == 1);
  CHECK(j["theory"]["lines"][0]["pieces"].size() == 2);
  CHECK(j["theory"]["lines"][0]["pieces"][0]["to"].get<double>() ==
        doctest::Approx(0.1379055665).epsilon(1e-9));
  CHECK(j["theory"]["branch"] == "retrieval");
}

TEST_CASE("compare: a spec is solved at the simulation's x values, warm-started along x") {
  Scratch s("spec");
  const std::string sim =
      s.file("sim.csv", "alpha,m,m_err\n0.13,0.98,0.01\n0.05,1,0.001\n0.1,1,0.002\n");
  const std::string out = s.path("out");
  const Res r = cli(
      {"compare", std::string(SADDLE_SOURCE_DIR) + "/data/specs/hopfield-capacity.json", sim, "--x",
       "alpha", "--y", "m", "--err", "m_err", "-o", out, "--no-plot", "--curve-points", "11"});
  REQUIRE(r.code == 0);
  const auto rows = read_rows(fs::path(out) / "compare.csv");
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][8] == "theory_phase");
  const double alphas[] = {0.13, 0.05, 0.1};
  for (int i = 0; i < 3; ++i) {
    // solved directly (tol 1e-12), so the closed form is met to ~1e-10
    CHECK(std::stod(rows[static_cast<std::size_t>(i + 1)][4]) ==
          doctest::Approx(hopfield_m_t0(alphas[i], true)).epsilon(1e-9));
    CHECK(rows[static_cast<std::size_t>(i + 1)][8] == "retrieval");
  }
  const json j = json::parse(std::ifstream(fs::path(out) / "summary.json"));
  CHECK(j["theory"]["kind"] == "spec");
  CHECK(j["theory"]["branch"] == "retrieval");

  SUBCASE("a theory point that does not converge is marked and exits 1") {
    const std::string spec = s.file(
        "bad.json",
        R"({"saddle": 1, "model": "hopfield", "params": {"T": 0.5}, "task": {"type": "solve"}, "solver": {"method": "damped", "max_iter": 1, "adaptive_damping": false}})");
    const Res b = cli({"compare", spec, sim, "--x", "alpha", "--y", "m", "-o", out, "--no-plot",
                       "--curve-points", "2"});
    CHECK(b.code == 1);
    CHECK(b.err.find("saddle: warning: theory did not converge at 3 simulation point(s)") == 0);
    const auto brows = read_rows(fs::path(out) / "compare.csv");
    CHECK(brows[1].back() == "theory_not_converged");
    CHECK(brows[1][4].empty());  // no silent number
  }
}

TEST_CASE("compare: scan and solve results; the selected branch by default, --branch to choose") {
  Scratch s("scan");
  s.file(
      "scan/summary.json",
      R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1, "T": 0.5}, "task": {"type": "scan"}}})");
  s.file(
      "scan/scan.csv",
      "alpha,T,m,branch,selected,converged\n"
      "0.1,0.5,0.9,retrieval,true,true\n0.1,0.5,0,spin_glass,false,true\n"
      "0.2,0.5,,retrieval,false,false\n0.2,0.5,0,spin_glass,true,true\n"
      "0.3,0.5,0,spin_glass,true,true\n"
      "0.1,1,0,spin_glass,true,true\n0.2,1,0,spin_glass,true,true\n0.3,1,0,spin_glass,true,true\n");
  const std::string th = s.path("scan");
  const std::string sim = s.file("sim.csv", "alpha,T,m\n0.15,0.5,0.5\n0.15,1,0.1\n");
  const std::string out = s.path("out");
  REQUIRE(cli({"compare", th, sim, "--x", "alpha", "--y", "m", "-o", out, "--no-plot"}).code == 0);
  auto rows = read_rows(fs::path(out) / "compare.csv");
  // T = 0.5: PCHIP through (0.1, 0.9), (0.2, 0), (0.3, 0): slopes -13.5 (one-sided end) and 0
  // (a flat neighbour), so m(0.15) = 0.9/2 - 13.5 * 0.1/8 = 0.28125; T = 1: 0
  CHECK(std::stod(rows[1][4]) == doctest::Approx(0.28125).epsilon(1e-12));
  CHECK(rows[2][4] == "0");
  const json j = json::parse(std::ifstream(fs::path(out) / "summary.json"));
  CHECK(j["theory"]["rows_not_converged_skipped"] == 0);  // the unselected row is not counted
  CHECK(rejected(s, {th, s.file("nt.csv", "alpha,m\n0.15,0.5\n"), "--x", "alpha", "--y", "m"}) ==
        "saddle: error: " + s.path("nt.csv") + ": has no column 'T', but the theory " + th +
            "/scan.csv varies T; expected a column 'T' saying which theory line each row is\n");
  CHECK(rejected(s,
                 {th, s.file("t2.csv", "alpha,T,m\n0.15,0.7,0.5\n"), "--x", "alpha", "--y", "m"}) ==
        "saddle: error: " + s.path("t2.csv") + ":2: T = 0.7 has no theory line in " + th +
            "/scan.csv; the theory has T = 0.5; T = 1 (columns are matched by name)\n");
  CHECK(rejected(s, {th, sim, "--x", "alpha", "--y", "m", "--branch", "retreival"}) ==
        "saddle: error: --branch 'retreival': theory " + th +
            "/scan.csv has no branch 'retreival' (did you mean 'retrieval'?); branches: retrieval, "
            "spin_glass\n");
  CHECK(rejected(s, {th, sim, "--x", "alpha", "--y", "m", "--piece", "2"}) ==
        "saddle: error: --piece 2: applies to the branch.csv of a continuation; " + th +
            "/scan.csv is a scan table, one value per x\n");
  // --branch retrieval at T = 0.5 has only alpha = 0.1 converged: 0.15 is outside it
  CHECK(rejected(s, {th, sim, "--x", "alpha", "--y", "m", "--branch", "retrieval"}) ==
        "saddle: error: " + s.path("sim.csv") +
            ":2: alpha = 0.15 is outside the theory's range "
            "[0.1, 0.1] (" +
            th +
            "/scan.csv); expected x inside it, or --outside skip to leave such "
            "points out\n");
}

TEST_CASE("compare: a solve result is one point; a branch row written twice at one x is harmless") {
  Scratch s("solve");
  const std::string spec = s.file(
      "p.json",
      R"({"saddle": 1, "model": "hopfield", "params": {"alpha": 0.05, "T": 0.5}, "task": {"type": "solve"}})");
  REQUIRE(cli({"run", spec, "-o", s.path("th")}).code == 0);
  const std::string sim = s.file("sim.csv", "alpha,T,m\n0.05,0.5,0.01\n");
  const std::string out = s.path("out");
  REQUIRE(cli({"compare", s.path("th"), sim, "--x", "alpha", "--y", "m", "-o", out, "--no-plot"})
              .code == 0);
  auto rows = read_rows(fs::path(out) / "compare.csv");
  CHECK(std::stod(rows[1][4]) ==
        doctest::Approx(0.0).scale(1).epsilon(1e-10));  // spin glass, selected
  REQUIRE(cli({"compare", s.path("th"), sim, "--x", "alpha", "--y", "m", "-o", out, "--no-plot",
               "--branch", "retrieval"})
              .code == 0);
  rows = read_rows(fs::path(out) / "compare.csv");
  CHECK(std::stod(rows[1][4]) == doctest::Approx(0.904).epsilon(1e-3));  // README: m = 0.904

  s.file(
      "dup/summary.json",
      R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1}, "task": {"type": "continuation", "branch": "retrieval"}}})");
  s.file("dup/branch.csv", "alpha,m\n0,1\n0.1,0.9\n0.1,0.9\n0.2,0.8\n0.3,0.7\n");
  const std::string sim2 = s.file("sim2.csv", "alpha,m\n0.1,0.9\n0.15,0.85\n");
  REQUIRE(cli({"compare", s.path("dup"), sim2, "--x", "alpha", "--y", "m", "-o", out, "--no-plot"})
              .code == 0);
  rows = read_rows(fs::path(out) / "compare.csv");
  CHECK(std::stod(rows[2][3]) == doctest::Approx(0.85).epsilon(1e-12));
}

TEST_CASE("compare: every input error, exact text, exit 2, nothing written") {
  Scratch s("errors");
  const std::string th = linear_theory(s);
  const std::string sim = s.file("sim.csv", "alpha,m,m_err\n0.1,0.9,0.01\n");
  const std::string e = "saddle: error: ";
  const std::vector<std::string> xy = {"--x", "alpha", "--y", "m"};
  auto args = [&](std::string t, std::string sm, std::vector<std::string> extra) {
    std::vector<std::string> a = {t, sm};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  auto with_xy = [&](std::vector<std::string> extra) {
    auto a = xy;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  CHECK(rejected(s, args(s.path("nope"), sim, xy)) ==
        e + s.path("nope") +
            ": no such file or directory; expected a result directory of `saddle run` or a spec "
            "file\n");
  fs::create_directories(s.dir / "empty");
  CHECK(rejected(s, args(s.path("empty"), sim, xy)) ==
        e + s.path("empty") +
            ": has no summary.json; expected a result directory of `saddle run` or a spec file\n");
  s.file("pd/summary.json",
         R"({"spec": {"model": "hopfield", "task": {"type": "phase_diagram"}}})");
  CHECK(rejected(s, args(s.path("pd"), sim, xy)) ==
        e + s.path("pd") +
            ": is a phase_diagram result; expected a continuation (branch.csv), scan (scan.csv) or "
            "solve (solutions.csv) result\n");
  CHECK(rejected(s, args(th, s.path("missing.csv"), xy)) ==
        e + s.path("missing.csv") + ": no such file; expected a CSV table with a header row\n");
  CHECK(rejected(s, args(th, s.file("e.csv", ""), xy)) ==
        e + s.path("e.csv") + ": is empty; expected a CSV table with a header row\n");
  CHECK(rejected(s, args(th, s.file("h.csv", "alpha,m\n"), xy)) ==
        e + s.path("h.csv") + ": has a header but no data rows\n");
  CHECK(rejected(s, args(th, s.file("r.csv", "alpha,m\n0.1,0.9\n0.2\n"), xy)) ==
        e + s.path("r.csv") + ":3: has 1 cells, the header has 2; expected one cell per column\n");
  CHECK(rejected(s, args(th, s.file("n.csv", "alpha,m\n0.1,abc\n"), xy)) ==
        e + s.path("n.csv") + ":2: column 'm': 'abc' is not a finite number\n");
  CHECK(rejected(s, args(th, s.file("n2.csv", "alpha,m\n0.1,nan\n"), xy)) ==
        e + s.path("n2.csv") + ":2: column 'm': 'nan' is not a finite number\n");
  CHECK(rejected(s, args(th, s.file("em.csv", "alpha,m\n0.1,\n"), xy)) ==
        e + s.path("em.csv") + ":2: column 'm' is empty; expected a finite number\n");
  CHECK(rejected(s, args(th, sim, {"--x", "alpha", "--y", "mm"})) ==
        e + "--y 'mm': simulation " + sim +
            " has no column 'mm' (did you mean 'm'?); columns: alpha, m, m_err\n");
  CHECK(rejected(s, args(th, sim, {"--x", "alpa", "--y", "m"})) ==
        e + "--x 'alpa': simulation " + sim +
            " has no column 'alpa' (did you mean 'alpha'?); columns: alpha, m, m_err\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--err", "dm"}))) ==
        e + "--err 'dm': simulation " + sim +
            " has no column 'dm' (did you mean 'm'?); columns: alpha, m, m_err\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--group", "N"}))) ==
        e + "--group 'N': simulation " + sim +
            " has no column 'N' (did you mean 'm'?); columns: alpha, m, m_err\n");
  CHECK(rejected(s, args(th, sim, {"--x", "alpha", "--y", "m_err"})) ==
        e + "--y 'm_err': theory table " + th +
            "/branch.csv has no column 'm_err'; columns: alpha, m, q\n");
  CHECK(rejected(s, args(th, s.file("ne.csv", "alpha,m,m_err\n0.1,0.9,-0.1\n"),
                         with_xy({"--err", "m_err"}))) ==
        e + s.path("ne.csv") +
            ":2: column 'm_err': -0.1 is not a standard error; expected a number >= 0\n");
  CHECK(rejected(s, args(th, s.file("out.csv", "alpha,m\n0.1,0.9\n0.45,0.5\n"), xy)) ==
        e + s.path("out.csv") + ":3: alpha = 0.45 is outside the theory's range [0, 0.4] (" + th +
            "/branch.csv); expected x inside it, or --outside skip to leave such points out\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--err", "m_err", "--err", "m_err"}))) ==
        e + "--err: 2 columns given for 1 --y column; expected one --err per --y, in the same "
            "order\n");
  CHECK(rejected(s, args(th, sim, {"--x", "alpha", "--y", "m", "--y", "m"})) ==
        e + "--y 'm': is given twice; expected each column once\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--tolerance", "0"}))) ==
        e + "--tolerance: value 0 is out of range; expected a finite number > 0\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--max-chi2", "-1", "--err", "m_err"}))) ==
        e + "--max-chi2: value -1 is out of range; expected a finite number > 0\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--max-chi2", "2"}))) ==
        e + "--max-chi2: needs the simulation's standard errors; expected --err COLUMN for every "
            "--y\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--piece", "3"}))) ==
        e + "--piece 3: " + th + "/branch.csv has 1 monotone piece in alpha; expected 1 to 1\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--outside", "drop"}))) ==
        e + "--outside 'drop': expected 'error' or 'skip'\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--branch", "spin_glass"}))) ==
        e + "--branch 'spin_glass': a continuation result holds the one branch it followed "
            "('retrieval'); expected no --branch, or a scan, solve or spec theory\n");
  CHECK(rejected(s, args(th, sim, with_xy({"--curve-points", "1"}))) ==
        e + "--curve-points: value 1 is out of range; expected 2 to 100000\n");
  CHECK(rejected(s, args(th, s.file("tt.csv", "alpha,T,m\n0.1,0.5,0.9\n"), xy)) ==
        e + s.path("tt.csv") + ":2: T = 0.5 has no theory line in " + th +
            "/branch.csv; the theory has T = 0 (columns are matched by name)\n");
  s.file(
      "nobranch/summary.json",
      R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1}, "task": {"type": "continuation"}}})");
  CHECK(rejected(s, args(s.path("nobranch"), sim, xy)) ==
        e + s.path("nobranch") +
            "/branch.csv: no such file; expected a CSV table with a header row\n");
  s.file("notask/summary.json", R"({"spec": {"model": "hopfield"}})");
  CHECK(rejected(s, args(s.path("notask"), sim, xy)) ==
        e + s.path("notask") + "/summary.json: is not a saddle result (no spec.task)\n");
  fs::create_directories(s.dir / "adir.csv");
  CHECK(rejected(s, args(th, s.path("adir.csv"), xy)) ==
        e + s.path("adir.csv") + ": is a directory; expected a CSV table with a header row\n");
  s.file("amb/summary.json",
         R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1}, "task": {"type": "scan"}}})");
  s.file(
      "amb/scan.csv",
      "alpha,m,branch,selected,converged\n0.1,1,retrieval,true,true\n0.1,0,spin_glass,true,true\n");
  CHECK(rejected(s, args(s.path("amb"), sim, xy)) ==
        e + s.path("amb") +
            "/scan.csv: has two rows at the same x = 0.1; expected one row per x on the chosen "
            "branch "
            "(use --branch)\n");
  s.file("none/summary.json",
         R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1}, "task": {"type": "solve"}}})");
  s.file("none/solutions.csv", "alpha,m,branch,selected,converged\n0.1,,retrieval,false,false\n");
  CHECK(
      rejected(s, args(s.path("none"), sim, xy)) ==
      e + s.path("none") +
          "/solutions.csv: has no converged rows on branch 'selected'; nothing to compare with\n");
  s.file("nosel/summary.json",
         R"({"spec": {"model": "hopfield", "params": {"alpha": 0.1}, "task": {"type": "scan"}}})");
  s.file("nosel/scan.csv", "alpha,m,branch\n0.1,1,retrieval\n");
  CHECK(rejected(s, args(s.path("nosel"), sim, xy)) ==
        e + s.path("nosel") +
            "/scan.csv: has no column 'selected'; expected a scan.csv written by `saddle run` "
            "(branch, selected and converged columns)\n");
  // theory from a spec
  const std::string spec = std::string(SADDLE_SOURCE_DIR) + "/data/specs/hopfield-capacity.json";
  CHECK(rejected(s, args(spec, sim, {"--x", "m", "--y", "m"})) ==
        e + "--x 'm': is not a parameter of model hopfield (did you mean 'T'?); expected one of: "
            "alpha, T (the spec is "
            "solved at the simulation's x values)\n");
  CHECK(rejected(s, args(spec, sim, {"--x", "alpha", "--y", "m_err"})) ==
        e + "--y 'm_err': model hopfield has no order parameter or observable 'm_err'; expected "
            "one of: m, q, r, C, energy, entropy, lambda_AT, free_energy\n");
  CHECK(rejected(s, args(spec, s.file("neg.csv", "alpha,m\n-0.1,0.9\n"), xy)) ==
        e + s.path("neg.csv") + ":2: alpha = -0.1 is out of range; expected alpha > 0\n");
  CHECK(rejected(s, args(spec, sim, with_xy({"--branch", "paramagnet"}))) ==
        e + "--branch 'paramagnet': model hopfield (spec " + spec +
            ") offers no branch 'paramagnet'; branches: retrieval, spin_glass\n");
  CHECK(rejected(s, args(spec, sim, with_xy({"--piece", "1"}))) ==
        e + "--piece 1: applies to the branch.csv of a continuation; a spec theory is solved at "
            "each x\n");
  // a missing required flag is CLI11's message, still exit 2
  const Res r = cli({"compare", th, sim, "--y", "m"});
  CHECK(r.code == 2);
  CHECK(r.err == "saddle: error: --x is required (see saddle --help)\n");
}

TEST_CASE("simulate: fixed seeds reproduce tables exactly, whatever the number of threads") {
  Scratch s("sim");
  auto run = [&](const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> a = {"simulate"};
    a.insert(a.end(), extra.begin(), extra.end());
    a.push_back("-o");
    a.push_back(s.path(name));
    REQUIRE(cli(a).code == 0);
    std::ifstream in(s.path(name));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::vector<std::string> h = {"hopfield",  "--N",      "200",   "--alpha",
                                      "0.05,0.12", "--T",      "0,0.4", "--samples",
                                      "4",         "--sweeps", "20"};
  auto h1 = h, h2 = h;
  h1.insert(h1.end(), {"-j", "1"});
  h2.insert(h2.end(), {"-j", "2"});
  const std::string a = run("a.csv", h1), b = run("b.csv", h2);
  CHECK(a == b);
  CHECK(a.rfind("N,alpha,T,p,samples,m,m_err,q,q_err,sweeps,fixed_point_fraction\n", 0) == 0);
  auto h3 = h1;
  h3.insert(h3.end(), {"--seed", "2"});
  CHECK(run("c.csv", h3) != a);
  const std::vector<std::string> k = {"sk",        "--N", "32",       "--T", "0.5,1,1.5",
                                      "--samples", "3",   "--sweeps", "50"};
  auto k1 = k, k2 = k;
  k1.insert(k1.end(), {"-j", "1"});
  k2.insert(k2.end(), {"-j", "2"});
  const std::string ka = run("ka.csv", k1);
  CHECK(ka == run("kb.csv", k2));
  CHECK(ka.rfind("N,T,h,samples,energy,energy_err,q,q_err,q2,q2_err,swap_rate\n", 0) == 0);
  const json side = json::parse(std::ifstream(s.path("ka.json")));
  CHECK(side["seed"] == 1);
  CHECK(side["model"] == "sk");
}

TEST_CASE("simulate: input errors, exact text, exit 2") {
  Scratch s("simerr");
  auto bad = [&](std::vector<std::string> a) {
    a.insert(a.begin(), "simulate");
    a.push_back("-o");
    a.push_back(s.path("sub/x.csv"));
    const Res r = cli(a);
    CHECK(r.code == 2);
    CHECK_FALSE(fs::exists(s.path("sub")));
    return r.err;
  };
  const std::string e = "saddle: error: ";
  CHECK(bad({"hopfeld", "--alpha", "0.1"}) ==
        e + "simulate 'hopfeld': no simulator for this model (did you mean 'hopfield'?); expected "
            "hopfield, sk or glm\n");
  CHECK(bad({"sk", "h=0.1", "--T", "1"}) ==
        e + "simulate sk 'h=0.1': the sk simulator takes flags only (--N, --alpha, --T, ...); "
            "NAME=VALUE arguments are for glm\n");
  CHECK(bad({"hopfield"}) ==
        e + "--alpha: missing; the hopfield simulator needs loads, e.g. --alpha 0.02:0.16:15\n");
  CHECK(bad({"hopfield", "--alpha", "0.1,x"}) ==
        e + "--alpha '0.1,x': 'x' is not a finite number; expected a list a,b,c or FROM:TO:NUM\n");
  CHECK(bad({"hopfield", "--alpha", "0.1:0.2:1"}) ==
        e + "--alpha '0.1:0.2:1': expected FROM:TO:NUM with NUM >= 2 (or a list a,b,c), e.g. "
            "0.02:0.16:15\n");
  CHECK(bad({"hopfield", "--alpha", "0.001", "--N", "100"}) ==
        e + "--alpha '0.001': alpha = 0.001 at N = 100 stores no pattern; expected alpha > 0 with "
            "round(alpha N) >= 1\n");
  CHECK(bad({"hopfield", "--alpha", "0.1", "--N", "10.5"}) ==
        e + "--N '10.5': N = 10.5 is out of range; expected whole numbers 2 <= N <= 1000000\n");
  CHECK(bad({"hopfield", "--alpha", "0.1", "--T", "-1"}) ==
        e + "--T '-1': T = -1 is out of range; expected T >= 0\n");
  CHECK(bad({"sk", "--T", "0,1"}) == e + "--T '0,1': T = 0 is out of range; expected T > 0\n");
  CHECK(bad({"sk", "--T", "1,1"}) ==
        e + "--T '1,1': repeats a temperature; expected distinct temperatures (they form one "
            "parallel-tempering ladder)\n");
  CHECK(bad({"sk", "--T", "1", "--alpha", "0.1"}) ==
        e + "--alpha: applies to hopfield only; the sk simulator takes --N and --T\n");
  CHECK(bad({"sk", "--T", "1", "--samples", "1"}) ==
        e + "--samples: value 1 is out of range; expected >= 2 (error bars need two samples)\n");
  CHECK(bad({"sk", "--T", "1", "--sweeps", "0"}) ==
        e + "--sweeps: value 0 is out of range; expected >= 1\n");
  CHECK(bad({"sk", "--T", "1", "--equilibration", "-2"}) ==
        e + "--equilibration: value -2 is out of range; expected >= 0\n");
  CHECK(bad({"sk", "--T", "1", "--jobs", "-1"}) ==
        e + "--jobs: value -1 is out of range; expected >= 1\n");
}

TEST_SUITE("slow") {
  // Simulators against the RS theory away from transitions, checked through `saddle compare`'s
  // own verdict. Hopfield T = 0, alpha <= 0.1 (alpha_c = 0.138): measured max |m_sim - m_RS| ~ 1e-3
  // at N = 2000; the tolerance 5e-3 leaves room for sample noise. SK for T >= 1.3 (paramagnet,
  // e = -1/(2T)): finite-N bias ~ beta / (2N) ~ 3e-3 at N = 128.
  TEST_CASE("simulate: hopfield T = 0 overlap agrees with the AGS theory below alpha_c") {
    Scratch s("slow-h");
    REQUIRE(cli({"simulate", "hopfield", "--N", "2000", "--alpha", "0.02,0.05,0.08,0.1",
                 "--samples", "20", "-o", s.path("h.csv")})
                .code == 0);
    const Res r =
        cli({"compare", std::string(SADDLE_SOURCE_DIR) + "/data/specs/hopfield-capacity.json",
             s.path("h.csv"), "--x", "alpha", "--y", "m", "--err", "m_err", "--tolerance", "5e-3",
             "-o", s.path("c"), "--no-plot"});
    CHECK_MESSAGE(r.code == 0, r.out);
  }
  TEST_CASE("simulate: hopfield T = 0.2 (Glauber) overlap agrees with the AGS theory") {
    Scratch s("slow-hT");
    REQUIRE(cli({"simulate", "hopfield", "--N", "2000", "--alpha", "0.02,0.05", "--T", "0.2",
                 "--samples", "8", "--sweeps", "200", "-o", s.path("h.csv")})
                .code == 0);
    const std::string spec = s.file(
        "s.json",
        R"({"saddle": 1, "model": "hopfield", "params": {"T": 0.2}, "init": [{"branch": "retrieval"}]})");
    const Res r =
        cli({"compare", spec, s.path("h.csv"), "--x", "alpha", "--y", "m", "--err", "m_err",
             "--branch", "retrieval", "--tolerance", "1e-2", "-o", s.path("c"), "--no-plot"});
    CHECK_MESSAGE(r.code == 0, r.out);
  }
  TEST_CASE("simulate: hopfield finite-size effects above alpha_c are visible, shrinking with N") {
    // Above alpha_c = 0.138 retrieval survives longer in small networks: at alpha = 0.17 the
    // committed data give m = 0.81 (N = 500) and 0.31 (N = 4000).
    Scratch s("slow-fs");
    REQUIRE(cli({"simulate", "hopfield", "--N", "500,4000", "--alpha", "0.17", "--samples", "16",
                 "--seed", "7", "-o", s.path("h.csv")})
                .code == 0);
    const auto rows = read_rows(s.path("h.csv"));
    REQUIRE(rows.size() == 3);
    const double m500 = std::stod(rows[1][5]), e500 = std::stod(rows[1][6]);
    const double m4000 = std::stod(rows[2][5]), e4000 = std::stod(rows[2][6]);
    CHECK(m500 - m4000 > 3 * std::hypot(e500, e4000));
    CHECK(m4000 < 0.6);  // far from the retrieval value ~0.97 at alpha_c
  }
  TEST_CASE("simulate: sk parallel tempering equilibrates at T = 0.3 (two seeds agree)") {
    Scratch s("slow-pt");
    for (const char* seed : {"1", "2"})
      REQUIRE(cli({"simulate", "sk", "--N", "64", "--T", "0.3:1.5:9", "--samples", "24", "--sweeps",
                   "3000", "--seed", seed, "-o", s.path(std::string("k") + seed + ".csv")})
                  .code == 0);
    const auto a = read_rows(s.path("k1.csv")), b = read_rows(s.path("k2.csv"));
    // row 1 is T = 0.3: energy and its error; independent disorder samples, so within 4 sigma
    const double ea = std::stod(a[1][4]), sa = std::stod(a[1][5]);
    const double eb = std::stod(b[1][4]), sb = std::stod(b[1][5]);
    CHECK(std::fabs(ea - eb) < 4 * std::hypot(sa, sb));
    CHECK(std::stod(a[1][10]) > 0.1);  // swaps happen at the cold end
    // sanity bound: deep in the spin-glass phase (committed data at T = 0.3: -0.697 at N = 64)
    CHECK(ea < -0.6);
  }
  TEST_CASE("simulate: sk energy agrees with -1/(2T) in the paramagnet") {
    Scratch s("slow-sk");
    REQUIRE(cli({"simulate", "sk", "--N", "128", "--T", "1.3,1.6,2", "--samples", "16", "--sweeps",
                 "2000", "-o", s.path("k.csv")})
                .code == 0);
    const std::string spec =
        s.file("s.json", R"({"saddle": 1, "model": "sk", "params": {"T": 1.5}})");
    const Res r = cli({"compare", spec, s.path("k.csv"), "--x", "T", "--y", "energy", "--err",
                       "energy_err", "--tolerance", "1e-2", "-o", s.path("c"), "--no-plot"});
    CHECK_MESSAGE(r.code == 0, r.out);
  }
}
