// Phase diagrams traced by continuation, against closed forms and literature values.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Table {
  std::vector<std::string> columns;
  std::vector<std::map<std::string, double>> rows;
};

Table read_table(const fs::path& p) {
  Table t;
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  std::stringstream hs(line);
  for (std::string c; std::getline(hs, c, ',');) t.columns.push_back(c);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::map<std::string, double> row;
    std::size_t i = 0;
    for (std::string c; std::getline(ss, c, ','); ++i) {
      if (t.columns[i] == "status") {
        CHECK(c == "converged");  // every traced point carries its branch state
        continue;
      }
      row[t.columns[i]] = std::stod(c);
    }
    t.rows.push_back(row);
  }
  return t;
}

fs::path run_spec(const std::string& name) {
  const fs::path out = fs::temp_directory_path() / ("saddle-phase-" + name);
  fs::remove_all(out);
  std::ostringstream o, e;
  const int code = saddle::run_cli({"saddle", "run", std::string(SADDLE_SOURCE_DIR) + "/data/specs/" + name + ".json",
                                    "-o", out.string(), "-q"},
                                   o, e);
  INFO(o.str() << e.str());
  CHECK(code == 0);
  return out;
}

// alpha_c of the Hopfield model at T = 0: max_y [erf y - (2/sqrt pi) y exp(-y^2)]^2 / (2 y^2)
// (AGS), by golden section.
double hopfield_alpha_c() {
  auto alpha = [](double y) {
    const double g = std::erf(y) - 2.0 / std::sqrt(M_PI) * y * std::exp(-y * y);
    return g * g / (2 * y * y);
  };
  double a = 1.0, b = 2.0;
  const double r = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 200; ++i) {
    const double c = b - r * (b - a), d = a + r * (b - a);
    if (alpha(c) > alpha(d)) b = d; else a = c;
  }
  return alpha(0.5 * (a + b));
}

}  // namespace

TEST_SUITE("validation") {
TEST_CASE("phase diagram: hopfield T_g, T_M and T_c lines") {
  const fs::path out = run_spec("hopfield-phase-diagram");
  // T_g = 1 + sqrt(alpha) (AGS 1987): every traced point, to the boundary tolerance's effect.
  const Table tg = read_table(out / "boundary_T_g.csv");
  REQUIRE(tg.rows.size() > 20);
  for (const auto& r : tg.rows) CHECK(r.at("T") == doctest::Approx(1 + std::sqrt(r.at("alpha"))).epsilon(1e-7));
  // T_M: the retrieval fold reaches T = 0 at alpha_c (closed-form reduction, 8 digits at least)
  const Table tm = read_table(out / "boundary_T_M.csv");
  REQUIRE(tm.rows.size() > 20);
  bool at_zero = false;
  for (const auto& r : tm.rows)
    if (r.at("T") == 0.0) {
      at_zero = true;
      CHECK(r.at("alpha") == doctest::Approx(hopfield_alpha_c()).epsilon(1e-9));
      CHECK(r.at("m") == doctest::Approx(0.967).epsilon(1e-3));  // AGS: m ~ 0.967 at alpha_c
    }
  CHECK(at_zero);
  double tm_max = 0;
  for (const auto& r : tm.rows) tm_max = std::max(tm_max, r.at("T"));
  CHECK(tm_max > 0.95);  // T_M -> 1 as alpha -> 0
  // T_c: equal free energies; reaches T = 0 at alpha ~ 0.05 (AGS; RS value 0.0518543)
  const Table tc = read_table(out / "boundary_T_c.csv");
  bool tc_zero = false;
  double tc_max = 0;
  for (const auto& r : tc.rows) {
    if (r.at("T") == 0.0) {
      tc_zero = true;
      CHECK(r.at("alpha") == doctest::Approx(0.05).epsilon(0.05));
    }
    tc_max = std::max(tc_max, r.at("T"));
  }
  CHECK(tc_zero);
  CHECK(tc_max > 0.5);
  for (const auto& r : tc.rows) CHECK(r.at("residual") <= 1e-9);
}

TEST_CASE("phase diagram: sk (J0, T) lines and the AT line") {
  const fs::path out = run_spec("sk-phase-diagram");
  for (const auto& r : read_table(out / "boundary_PM_SG.csv").rows) CHECK(r.at("T") == doctest::Approx(1.0).epsilon(1e-8));
  for (const auto& r : read_table(out / "boundary_PM_FM.csv").rows) CHECK(r.at("T") == doctest::Approx(r.at("J0")).epsilon(1e-8));
  // SG/FM (RS): J0 (1 - q) = T; at T -> 0 it tends to J0 = sqrt(pi/2) = 1.2533
  const Table sgfm = read_table(out / "boundary_SG_FM.csv");
  for (const auto& r : sgfm.rows) {
    CHECK(r.at("J0") * (1 - r.at("q")) == doctest::Approx(r.at("T")).epsilon(1e-6));
    CHECK(r.at("m") == doctest::Approx(0.0).scale(1.0).epsilon(1e-12));
  }
  const fs::path at = run_spec("sk-at-line");
  const Table t = read_table(at / "boundary_AT.csv");
  REQUIRE(t.rows.size() > 20);
  int near_tc = 0;
  for (const auto& r : t.rows) {
    CHECK(r.at("residual") <= 1e-9);
    const double tau = 1 - r.at("T");
    // de Almeida-Thouless: h^2 ~ (4/3) tau^3 as tau -> 0; below tau ~ 3e-3 the boundary
    // tolerance (1e-9 on lambda_AT, itself O(tau^2) there) no longer resolves h.
    if (tau > 3e-3 && tau < 0.02 && r.at("h") > 0) {
      ++near_tc;
      CHECK(r.at("h") * r.at("h") / (tau * tau * tau) == doctest::Approx(4.0 / 3.0).epsilon(0.05));
    }
  }
  CHECK(near_tc >= 1);
}
}
