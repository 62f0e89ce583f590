// scs_rnn (models/dmft/scs_rnn.cpp): the two-point functions (Price's theorem), Delta_0 near g = 1,
// the transition at g = 1 in a continuation, energy conservation and the tail along Delta(tau),
// and (slow) a simulated network at g = 2. Limits in data/reference/scs_rnn.json.
#include "saddle/scs_rnn.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "cli.hpp"
#include "dynamics_sim.hpp"
#include "runner.hpp"
#include "saddle/ode.hpp"
#include "trajectory_task.hpp"

using namespace saddle;

namespace {

TrajectoryRun rnn_trajectory(double g, const std::string& activation, double to, int num) {
  TrajectorySpec spec;
  spec.model = find_builtin_ode_model("scs_rnn");
  spec.point = spec.model->default_point();
  spec.point.params[0] = g;
  spec.point.options[0] = activation;
  for (int i = 0; i < num; ++i) spec.times.push_back(to * i / (num - 1));
  TrajectoryRun run = run_trajectory(spec);
  REQUIRE(run.summary.completed());
  return run;
}

}  // namespace

TEST_CASE("scs_rnn: dC_Phi/dDelta = C_phi (Price's theorem) for tanh, erf and sin") {
  for (auto a : {scs::Activation::kTanh, scs::Activation::kErf, scs::Activation::kSin})
    for (double d0 : {0.05, 1.9, 6.0})
      for (double f : {-0.7, 0.1, 0.5, 0.9}) {
        const double d = f * d0, h = 1e-5 * d0;
        const double fd = (scs::c_Phi(a, d + h, d0) - scs::c_Phi(a, d - h, d0)) / (2 * h);
        CHECK(fd == doctest::Approx(scs::c_phi(a, d, d0)).epsilon(1e-7).scale(d0));
      }
}

TEST_CASE("scs_rnn: the trajectory model rejects g <= 1 with the exact message") {
  std::ostringstream out, err;
  const std::string spec =
      std::string(SADDLE_SOURCE_DIR) + "/data/specs/scs-rnn-autocorrelation.json";
  CHECK(run_cli({"saddle", "run", spec, "--set", "params.g=0.9"}, out, err) == 2);
  CHECK(err.str() ==
        "saddle: error: " + spec + ": /params/g: value 0.9 is out of range; expected g > 1\n");
}

TEST_SUITE("validation") {
  // Delta_0 = (g - 1) + c (g - 1)^2: the ratio Delta_0/(g - 1) tends to 1 linearly, and (ratio -
  // 1)/(g - 1) converges (to c ~ 1.16) as g -> 1+; the root is solved to ~1e-15 relative, so at g -
  // 1 = 1e-4 the ratio is known to ~1e-11 and the slopes at 1e-3 and 1e-4 must agree to 1%.
  TEST_CASE("scs_rnn: Delta_0 -> 0 as g -> 1+ with Delta_0 / (g - 1) -> 1") {
    const auto a = scs::Activation::kTanh;
    double slope_prev = 0;
    for (double e : {1e-2, 1e-3, 1e-4}) {
      const double d0 = scs::solve_delta0(a, 1 + e);
      CHECK(std::fabs(scs::delta0_map(a, 1 + e, d0) - d0) <= 1e-14 * d0);
      CHECK(std::fabs(d0 / e - 1) <= 2 * e);
      CHECK(d0 == doctest::Approx(0.5 * (1 - 1 / ((1 + e) * (1 + e)))).epsilon(4 * e));
      const double slope = (d0 / e - 1) / e;
      if (e < 1e-2) CHECK(slope == doctest::Approx(slope_prev).epsilon(0.01));
      slope_prev = slope;
    }
    CHECK(scs::solve_delta0(a, 1.0) == 0.0);
    // sin: Phi = 1 - cos x gives Var Phi = Delta_0^2/2 - Delta_0^3/2 + ..., so Delta_0 / (g - 1) ->
    // 2
    for (double e : {1e-3, 1e-4}) {
      const double d0 = scs::solve_delta0(scs::Activation::kSin, 1 + e);
      CHECK(std::fabs(d0 / e - 2) <= 10 * e);
    }
  }

  TEST_CASE(
      "scs_rnn: a continuation in g along the quiescent state finds the transition at g = 1") {
    std::ostringstream out, err;
    const std::string dir =
        (std::filesystem::temp_directory_path() / "saddle_scs_rnn_transition_test").string();
    REQUIRE(run_cli({"saddle", "run",
                     std::string(SADDLE_SOURCE_DIR) + "/data/specs/scs-rnn-transition.json", "-o",
                     dir, "-q"},
                    out, err) == 0);
    std::ifstream in(dir + "/summary.json");
    const auto s = nlohmann::json::parse(in);
    REQUIRE(s["special_points"].size() == 1);
    CHECK(s["special_points"][0]["type"] == "iteration_stability_change");
    CHECK(s["special_points"][0]["g"].get<double>() == doctest::Approx(1.0).epsilon(1e-8));
    // and at g slightly above 1 the default branches give a chaotic solution with Delta_0 ~ g - 1
    Point p = builtin_registry().get("scs_rnn").default_point();
    p.params[0] = 1.01;
    const auto recs = solve_point(builtin_registry().get("scs_rnn"), p, {}, SolverSettings{});
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].phase == "chaotic");
    CHECK(recs[0].x[0] ==
          doctest::Approx(scs::solve_delta0(scs::Activation::kTanh, 1.01)).epsilon(1e-10));
  }

  // Along the integrated Delta(tau) (dopri5, rel_tol 1e-10) the energy 1/2 Delta'^2 + V is
  // conserved to 1e-11 Delta_0^2 on every row marked ok (g = 2, tanh and erf; g = 5, tanh, where
  // tanh(sqrt(Delta_0) z) is nearly a step and the quadrature must refine at the kink); Delta
  // decreases monotonically; the tail decays with tau_c to 1% (slope of log Delta between tau = 16
  // and 20, g = 2).
  TEST_CASE("scs_rnn: energy conservation and the tail along Delta(tau)") {
    for (const auto& [g, act] :
         {std::pair<double, const char*>{2.0, "tanh"}, {2.0, "erf"}, {2.0, "sin"}, {5.0, "tanh"}}) {
      CAPTURE(act);
      CAPTURE(g);
      const TrajectoryRun run = rnn_trajectory(g, act, 20, 201);
      const OdeModel& m = *find_builtin_ode_model("scs_rnn");
      Point p = m.default_point();
      p.params[0] = g;
      p.options[0] = act;
      const double d0 = run.states[0][0];
      int ok = 0;
      for (std::size_t i = 0; i < run.times.size(); ++i) {
        if (m.row_status(run.states[i], run.times[i], p) != "ok") continue;
        ++ok;
        CHECK(std::fabs(run.observables[i][0]) <= 1e-11 * d0 * d0);
        if (i > 0) CHECK(run.states[i][0] < run.states[i - 1][0]);
      }
      CHECK(ok == 201);
      if (g == 2.0) {
        const double tc = run.results[1].value;
        const double slope = std::log(run.states[200][0] / run.states[160][0]) / 4.0;
        CHECK(-1 / slope == doctest::Approx(tc).epsilon(0.01));
      }
    }
  }

  TEST_CASE("scs_rnn: rows past the separatrix's reach are marked tail_unreliable") {
    const TrajectoryRun run = rnn_trajectory(2.0, "tanh", 200, 201);
    const OdeModel& m = *find_builtin_ode_model("scs_rnn");
    Point p = m.default_point();
    CHECK(m.row_status(run.states[10], run.times[10], p) == "ok");
    CHECK(m.row_status(run.states[200], run.times[200], p) == "tail_unreliable");
  }
}

TEST_SUITE("slow") {
  // Networks of N = 1000 at g = 2 (tanh), 6 networks, RK4 dt = 0.1, transient 50, window 200:
  // Delta(tau) within 3.5 standard errors (across networks) plus 3% of Delta_0 (finite N) at tau =
  // 0, 1, 2, 5, 10.
  TEST_CASE("scs_rnn: Delta(tau) agrees with a simulated network at g = 2") {
    const TrajectoryRun run = rnn_trajectory(2.0, "tanh", 10, 21);
    sim::RnnSimOptions o;
    o.tau_max = 10;
    sim::RunOptions runs;
    runs.runs = 6;
    runs.seed = 5;
    const auto r = sim::simulate_rnn(scs::Activation::kTanh, 2.0, o, runs);
    const double d0 = run.states[0][0];
    for (double tau : {0.0, 1.0, 2.0, 5.0, 10.0}) {
      const auto i = static_cast<std::size_t>(std::lround(tau / 0.5));
      MESSAGE("tau " << tau << ": DMFT " << run.states[i][0] << ", network " << r.delta[i].mean
                     << " +- " << r.delta[i].sem);
      CHECK(std::fabs(run.states[i][0] - r.delta[i].mean) <= 3.5 * r.delta[i].sem + 0.03 * d0);
    }
  }
}
