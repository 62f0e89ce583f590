// OdeIntegrator (solvers/ode.cpp): exact solutions of test systems with every stepper, the
// observer at the requested times, and the reported stops (non-finite state, step budget).
#include "saddle/ode.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "saddle/error.hpp"

using namespace saddle;

TEST_CASE(
    "OdeIntegrator: harmonic oscillator with every stepper, observed at the requested times") {
  for (auto stepper : {OdeStepper::kDopri5, OdeStepper::kCashKarp54, OdeStepper::kFehlberg78}) {
    CAPTURE(to_string(stepper));
    OdeIntegrator::Options o;
    o.stepper = stepper;
    std::vector<double> times;
    for (int i = 0; i <= 20; ++i) times.push_back(0.5 * i);
    std::vector<double> seen;
    double worst = 0;
    const auto s = OdeIntegrator(o).integrate(
        [](const Eigen::VectorXd& x, Eigen::VectorXd& d, double) {
          d.resize(2);
          d << x[1], -x[0];
        },
        Eigen::Vector2d(1, 0), times,
        [&](const Eigen::VectorXd& x, double t) {
          seen.push_back(t);
          worst = std::max(worst, std::fabs(x[0] - std::cos(t)) + std::fabs(x[1] + std::sin(t)));
        });
    CHECK(s.completed());
    CHECK(seen == times);
    CHECK(worst <= 1e-8);  // rel_tol 1e-10 per step, accumulated over ~10 time units
    CHECK(s.rhs_evaluations > 0);
  }
}

TEST_CASE("OdeIntegrator: a blow-up is reported as non_finite, the budget as max_steps") {
  OdeIntegrator::Options o;
  std::vector<double> times = {0, 0.5, 0.99, 2.0};
  // x' = x^2, x(0) = 1: x = 1/(1 - t) blows up at t = 1
  auto blowup = [](const Eigen::VectorXd& x, Eigen::VectorXd& d, double) { d = x.cwiseProduct(x); };
  int observed = 0;
  const auto s = OdeIntegrator(o).integrate(blowup, Eigen::VectorXd::Ones(1), times,
                                            [&](const Eigen::VectorXd&, double) { ++observed; });
  CHECK(!s.completed());
  CHECK((s.status == OdeStatus::kNonFinite || s.status == OdeStatus::kStepUnderflow ||
         s.status == OdeStatus::kMaxSteps));
  CHECK(observed == 3);
  CHECK(s.reached == doctest::Approx(0.99).epsilon(1e-15));
  o.max_steps = 5;
  const auto b = OdeIntegrator(o).integrate(blowup, Eigen::VectorXd::Ones(1), times,
                                            [](const Eigen::VectorXd&, double) {});
  CHECK(b.status == OdeStatus::kMaxSteps);
  CHECK(b.message == "step budget max_steps = 5 used up");
}

TEST_CASE("OdeIntegrator::Options::validate names the field") {
  OdeIntegrator::Options o;
  o.abs_tol = 0;
  try {
    o.validate();
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) ==
          "ode.abs_tol: abs_tol = 0 is out of range; expected a number in (0, 1)");
  }
  CHECK_THROWS_AS(ode_stepper_from_string("dopri"), InputError);
}
