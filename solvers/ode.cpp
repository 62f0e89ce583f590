// OdeIntegrator: Boost.Odeint's adaptive steppers behind the Options / Summary of the solver core.
// The state is a std::vector<double> (odeint's default algebra); the system and observer see
// Eigen vectors mapped onto it.
#include "saddle/ode.hpp"

#include <boost/numeric/odeint.hpp>
#include <chrono>
#include <cmath>
#include <sstream>

#include "saddle/error.hpp"

namespace saddle {

namespace odeint = boost::numeric::odeint;

std::string to_string(OdeStepper s) {
  switch (s) {
    case OdeStepper::kDopri5:
      return "dopri5";
    case OdeStepper::kCashKarp54:
      return "cash_karp54";
    case OdeStepper::kFehlberg78:
      return "fehlberg78";
  }
  return "?";
}

OdeStepper ode_stepper_from_string(const std::string& s) {
  for (auto v : {OdeStepper::kDopri5, OdeStepper::kCashKarp54, OdeStepper::kFehlberg78})
    if (to_string(v) == s) return v;
  throw InputError("ode.bad_option", "ode.stepper",
                   "'" + s + "' is not a stepper" +
                       did_you_mean(s, {"dopri5", "cash_karp54", "fehlberg78"}) +
                       "; expected dopri5, cash_karp54 or fehlberg78");
}

std::string to_string(OdeStatus s) {
  switch (s) {
    case OdeStatus::kCompleted:
      return "completed";
    case OdeStatus::kMaxSteps:
      return "max_steps";
    case OdeStatus::kNonFinite:
      return "non_finite";
    case OdeStatus::kStepUnderflow:
      return "step_underflow";
  }
  return "?";
}

std::string OdeSummary::brief_report() const {
  std::ostringstream o;
  o << to_string(status) << ", " << steps << " steps, " << rhs_evaluations
    << " rhs evaluations, reached t = " << format_number(reached);
  if (!message.empty()) o << " (" << message << ")";
  return o.str();
}

void OdeIntegrator::Options::validate() const {
  auto bad = [](const std::string& field, const std::string& value, const std::string& expected) {
    throw InputError("ode.bad_option", "ode." + field,
                     field + " = " + value + " is out of range; expected " + expected);
  };
  if (!(rel_tol > 0 && rel_tol < 1)) bad("rel_tol", format_number(rel_tol), "a number in (0, 1)");
  if (!(abs_tol > 0 && abs_tol < 1)) bad("abs_tol", format_number(abs_tol), "a number in (0, 1)");
  if (!(initial_step > 0 && std::isfinite(initial_step)))
    bad("initial_step", format_number(initial_step), "a finite number > 0");
  if (max_steps < 1) bad("max_steps", std::to_string(max_steps), "an integer >= 1");
}

namespace {

using State = std::vector<double>;

struct Stop {
  OdeStatus status;
  std::string message;
};

}  // namespace

OdeSummary OdeIntegrator::integrate(const System& system, const Eigen::VectorXd& x0,
                                    const std::vector<double>& times,
                                    const Observer& observer) const {
  options_.validate();
  const auto t0 = std::chrono::steady_clock::now();
  OdeSummary summary;
  if (times.empty()) return summary;
  summary.reached = times.front();
  const Eigen::Index n = x0.size();
  State x(x0.data(), x0.data() + n);
  Eigen::VectorXd xe(n), de(n);
  long budget_steps = 0;
  auto sys = [&](const State& s, State& dsdt, double t) {
    ++summary.rhs_evaluations;
    xe = Eigen::Map<const Eigen::VectorXd>(s.data(), n);
    system(xe, de, t);
    dsdt.assign(de.data(), de.data() + n);
  };
  auto obs = [&](const State& s, double t) {
    const Eigen::Map<const Eigen::VectorXd> xs(s.data(), n);
    if (!xs.allFinite())
      throw Stop{OdeStatus::kNonFinite, "non-finite state at t = " + format_number(t)};
    summary.reached = t;
    observer(xs, t);
  };
  // Counts steps through the checker hook of integrate_times; the budget is over the whole run.
  struct Budget {
    long* steps;
    long max;
    void operator()() {
      if (++*steps > max)
        throw Stop{OdeStatus::kMaxSteps,
                   "step budget max_steps = " + std::to_string(max) + " used up"};
    }
    void reset() {}
  } checker{&budget_steps, options_.max_steps};
  try {
    const double dt = std::min(options_.initial_step,
                               times.size() > 1 ? times[1] - times[0] : options_.initial_step);
    switch (options_.stepper) {
      case OdeStepper::kDopri5:
        odeint::integrate_times(odeint::make_dense_output(options_.abs_tol, options_.rel_tol,
                                                          odeint::runge_kutta_dopri5<State>()),
                                sys, x, times.begin(), times.end(), dt, obs, checker);
        break;
      case OdeStepper::kCashKarp54:
        odeint::integrate_times(odeint::make_controlled(options_.abs_tol, options_.rel_tol,
                                                        odeint::runge_kutta_cash_karp54<State>()),
                                sys, x, times.begin(), times.end(), dt, obs, checker);
        break;
      case OdeStepper::kFehlberg78:
        odeint::integrate_times(odeint::make_controlled(options_.abs_tol, options_.rel_tol,
                                                        odeint::runge_kutta_fehlberg78<State>()),
                                sys, x, times.begin(), times.end(), dt, obs, checker);
        break;
    }
  } catch (const Stop& s) {
    summary.status = s.status;
    summary.message = s.message;
  } catch (const odeint::step_adjustment_error& e) {
    summary.status = OdeStatus::kStepUnderflow;
    summary.message = e.what();
  }
  summary.steps = budget_steps;
  summary.elapsed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace saddle
