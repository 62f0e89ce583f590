// The GAMP simulator (apps/lib/gamp.cpp, `saddle simulate`): at n = 1000 the measured overlap and
// Bayes generalisation error agree with the glm state evolution (the replica fixed point) within
// their error bars away from the transition; bad flags give one clear message.
#include "gamp.hpp"

#include <doctest/doctest.h>

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

struct Theory {
  double q, eg_bayes;
};

Theory theory(const std::string& prior, double alpha) {
  const FixedPointModel& m = builtin_registry().get("glm");
  Point p = m.default_point();
  p.params[m.parameter_index("alpha")] = alpha;
  p.options[static_cast<std::size_t>(m.option_index("prior"))] = prior;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(1);  // the uninformed start, as GAMP's
  REQUIRE(solve_fixed_point(SolverSettings{}, make_problem(m, p), x).usable());
  return {x[0], m.observable_values(x, p)[4]};
}

int run(const std::vector<std::string>& args, std::string& err) {
  std::ostringstream o, e;
  std::vector<std::string> full = {"saddle"};
  full.insert(full.end(), args.begin(), args.end());
  const int code = run_cli(full, o, e);
  err = e.str();
  return code;
}

}  // namespace

TEST_CASE("simulate: bad grid and misplaced alpha are named") {
  std::string err;
  CHECK(run({"simulate", "glm", "--alpha", "3:1:5", "-o", "/tmp/never"}, err) == 2);
  CHECK(err ==
        "saddle: error: --alpha: '3:1:5' is not a grid FROM:TO:NUM with 0 < FROM <= TO and NUM >= "
        "1 (NUM = 1 only when FROM = TO)\n");
  CHECK(run({"simulate", "glm", "alpha=2", "--alpha", "1", "-o", "/tmp/never"}, err) == 2);
  CHECK(err ==
        "saddle: error: 'alpha=2': alpha is the simulation grid: give it as --alpha FROM:TO:NUM\n");
  CHECK(run({"simulate", "glm", "--alpha", "1", "--n", "5", "-o", "/tmp/never"}, err) == 2);
  CHECK(err == "saddle: error: --n: 5 is not >= 10\n");
  CHECK_FALSE(std::filesystem::exists("/tmp/never"));
}

TEST_SUITE("validation") {
  TEST_CASE("GAMP at n = 1000 agrees with the state evolution within 3 standard errors") {
    GampOptions o;  // n = 1000, seeds 1..8 below
    struct Case {
      std::string prior;
      double alpha;
    };
    for (const Case& c :
         {Case{"gaussian", 2.0}, Case{"rademacher", 0.8}, Case{"rademacher", 2.0}}) {
      INFO(c.prior << " alpha = " << c.alpha);
      const Theory t = theory(c.prior, c.alpha);
      const int seeds = 8;
      double q = 0, q2 = 0, eg = 0, eg2 = 0;
      for (int k = 0; k < seeds; ++k) {
        const GampRun r = run_gamp(c.prior, "sign", c.alpha, 0.0, 0.1, 1 + k, o);
        CHECK(r.converged);
        q += r.q;
        q2 += r.q * r.q;
        eg += r.eg_bayes;
        eg2 += r.eg_bayes * r.eg_bayes;
      }
      q /= seeds;
      eg /= seeds;
      const double q_err = std::sqrt((q2 / seeds - q * q) / (seeds - 1));
      const double eg_err = std::sqrt((eg2 / seeds - eg * eg) / (seeds - 1));
      if (c.prior == "rademacher" && c.alpha > 1.493) {
        // beyond alpha_alg GAMP recovers the teacher: the state evolution's q = 1
        CHECK(t.q == 1.0);
        CHECK(q > 1 - 1e-5);
        CHECK(eg < 1e-4);
      } else {
        CHECK(std::fabs(q - t.q) < 3 * q_err);
        CHECK(std::fabs(eg - t.eg_bayes) < 3 * eg_err);
      }
    }
  }
}

TEST_SUITE("slow") {
  TEST_CASE("GAMP learning curves at n = 1000 follow the state evolution (3 standard errors)") {
    GampOptions o;
    for (const std::string prior : {"gaussian", "rademacher"})
      for (double alpha : {0.3, 0.7, 1.1, 1.3, 3.0, 5.0}) {
        if (prior == "rademacher" && alpha > 1.4) continue;  // perfect recovery: checked above
        INFO(prior << " alpha = " << alpha);
        const Theory t = theory(prior, alpha);
        const int seeds = 10;
        double q = 0, q2 = 0;
        for (int k = 0; k < seeds; ++k) {
          const GampRun r = run_gamp(prior, "sign", alpha, 0.0, 0.1, 100 + k, o);
          CHECK(r.converged);
          q += r.q;
          q2 += r.q * r.q;
        }
        q /= seeds;
        const double q_err = std::sqrt((q2 / seeds - q * q) / (seeds - 1));
        CHECK(std::fabs(q - t.q) < 3 * q_err);
      }
  }
}
