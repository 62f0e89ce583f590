// ODE models and their integration (design.md: "OdeModel: state names, right-hand side in
// Boost.Odeint's system shape, observables").
//
// An OdeModel states dx/dt = f(x, t; p) over named state components; like a FixedPointModel it
// holds no solver code and no state. OdeIntegrator runs any such system with one of Boost.Odeint's
// adaptive steppers (dense output, observed at the requested times) and reports an OdeSummary:
// completed, or why it stopped (step budget, non-finite state, step size underflow), never a
// silently truncated trajectory.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "saddle/model.hpp"

namespace saddle {

// A named scalar that a model computes from a whole trajectory (plateau height, correlation time).
struct TrajectoryResult {
  std::string name;
  double value = 0.0;
  bool found = true;        // false: the feature does not occur in this trajectory (value unused)
  std::string description;  // what it is, and why not found when found = false
};

class OdeModel {
 public:
  virtual ~OdeModel() = default;

  virtual std::string id() const = 0;
  virtual std::string title() const = 0;
  virtual std::vector<Reference> references() const = 0;
  virtual std::vector<ParameterInfo> parameters() const = 0;
  virtual std::vector<OptionInfo> options() const { return {}; }
  // Name of the independent variable ("alpha" = steps / N, "tau").
  virtual std::string time_name() const { return "t"; }
  // State and observable names may depend on the point (K x K overlaps for K student units).
  virtual std::vector<std::string> state_names(const Point& p) const = 0;
  virtual std::vector<ObservableInfo> observables(const Point& p) const { return {}; }

  // Cross-parameter checks beyond the declared ranges; throws InputError with a /params/... path.
  virtual void validate(const Point& p) const {}
  virtual Eigen::VectorXd initial_state(const Point& p) const = 0;
  // The system in Boost.Odeint's shape sys(x, dxdt, t), at parameter point p.
  virtual void rhs(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double t,
                   const Point& p) const = 0;
  virtual Eigen::VectorXd observable_values(const Eigen::VectorXd& x, double t,
                                            const Point& p) const {
    return Eigen::VectorXd();
  }
  // Status of an observed row: "ok", or why its numbers should not be trusted (written to the
  // table's status column).
  virtual std::string row_status(const Eigen::VectorXd& x, double t, const Point& p) const {
    return "ok";
  }
  // Results computed from the whole observed trajectory (times[i], states[i]).
  virtual std::vector<TrajectoryResult> analyse(const std::vector<double>& times,
                                                const std::vector<Eigen::VectorXd>& states,
                                                const Point& p) const {
    return {};
  }

  int parameter_index(const std::string& name) const;  // -1 if absent
  int option_index(const std::string& name) const;     // -1 if absent
  std::vector<std::string> parameter_names() const;
  std::vector<std::string> option_names() const;
  std::vector<std::string> observable_names(const Point& p) const;
  Point default_point() const;
};

enum class OdeStepper { kDopri5, kCashKarp54, kFehlberg78 };
std::string to_string(OdeStepper s);
OdeStepper ode_stepper_from_string(const std::string& s);  // throws InputError "ode.stepper"

enum class OdeStatus { kCompleted, kMaxSteps, kNonFinite, kStepUnderflow };
std::string to_string(OdeStatus s);

struct OdeSummary {
  OdeStatus status = OdeStatus::kCompleted;
  long steps = 0;  // accepted and rejected steps of the controlled stepper
  long rhs_evaluations = 0;
  double reached = 0.0;  // last time observed (the final requested time when completed)
  double elapsed_seconds = 0.0;
  std::string message;  // detail when not completed
  bool completed() const { return status == OdeStatus::kCompleted; }
  std::string brief_report() const;
};

class OdeIntegrator {
 public:
  struct Options {
    // Adaptive Runge-Kutta stepper with error control and dense output: dopri5 (default; order
    // 5(4)), cash_karp54 (controlled, no dense output: stepped to each requested time), fehlberg78
    // (order 8(7), for long smooth trajectories).
    OdeStepper stepper = OdeStepper::kDopri5;
    // Local error tolerances per step: |err_i| <= abs_tol + rel_tol |x_i|. Range (0, 1).
    double rel_tol = 1e-10;
    double abs_tol = 1e-12;
    // First trial step (adapted afterwards). Range > 0.
    double initial_step = 1e-3;
    // Budget of steps over the whole trajectory. Range >= 1.
    long max_steps = 10000000;
    void validate() const;  // throws InputError "ode.bad_option" naming the field ("ode.rel_tol")
  };

  using System = std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double t)>;
  // Called at each requested time with the state there.
  using Observer = std::function<void(const Eigen::VectorXd& x, double t)>;

  explicit OdeIntegrator(Options options) : options_(options) {}
  // Integrates from x0 at times.front() through every time in `times` (increasing), calling
  // observer at each (including the first). Stops early, with the reason, on a non-finite state,
  // an exhausted step budget or a step size underflow; observed times so far are kept.
  OdeSummary integrate(const System& system, const Eigen::VectorXd& x0,
                       const std::vector<double>& times, const Observer& observer) const;

 private:
  Options options_;
};

// The ODE models that ship with saddle (defined in models/builtin.cpp).
std::vector<std::string> builtin_ode_model_ids();
// nullptr when the id is not an ODE model.
const OdeModel* find_builtin_ode_model(const std::string& id);

}  // namespace saddle
