// The generic solver core for fixed-point problems x = F(x).
//
// Three solvers, each a small class with a nested Options struct (documented defaults,
// validate()) and a SolverSummary result (house-style: Options, validate, Summary):
//   DampedIteration       x <- x + lambda (F(x) - x), fixed or adaptive lambda
//   AndersonAcceleration  type-II Anderson mixing with depth m, mixing beta, and a guard that
//                         drops history when the least-squares problem is ill-conditioned
//   Newton                Newton on R(x) = F(x) - x with an analytic or finite-difference
//                         Jacobian and a backtracking line search (Eigen backend), or GSL's
//                         multiroot hybrid (Powell dogleg) solver
// and AutoSolver, the default "method": "auto": Anderson, then a Newton polish; on failure,
// adaptive damped iteration from the start point, then Newton again.
//
// Convergence is judged on the residual r(x) = max_i |F_i(x) - x_i| <= tol, evaluated at the
// returned x, never on "x stopped changing". Iterates are projected into the problem's box
// domain [lower, upper] after every update. Non-convergence is a SolverSummary status.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <string>

namespace saddle {

struct FixedPointProblem {
  // F(x) -> fx (fx has the size of x).
  std::function<void(const Eigen::VectorXd& x, Eigen::VectorXd& fx)> map;
  // Optional analytic dF/dx; returns false when unavailable. May be empty.
  std::function<bool(const Eigen::VectorXd& x, Eigen::MatrixXd& jac)> jacobian;
  // Box domain; infinite entries mean unbounded. Sizes equal the dimension.
  Eigen::VectorXd lower;
  Eigen::VectorXd upper;

  int dimension() const { return static_cast<int>(lower.size()); }
  // Projects x into the box (in place).
  void project(Eigen::VectorXd& x) const;
};

enum class TerminationReason {
  kConverged,          // residual <= tol
  kMaxIterations,      // iteration budget used up
  kNonFinite,          // F returned NaN or infinity
  kStalled,            // no progress possible (step below minimum, damping at its floor)
  kLinearSolveFailed,  // Newton: singular Jacobian
  kLineSearchFailed,   // Newton: no decrease along the Newton direction
};
std::string to_string(TerminationReason r);
// Throws InputError for an unknown name.
TerminationReason termination_reason_from_string(const std::string& s);

struct SolverSummary {
  std::string method;  // "damped", "anderson", "newton", "newton(gsl_hybrid)", "auto[anderson>newton]"
  TerminationReason reason = TerminationReason::kMaxIterations;
  int iterations = 0;           // outer iterations, summed over stages for "auto"
  int map_evaluations = 0;      // calls of F, including those for finite-difference Jacobians
  int jacobian_evaluations = 0; // analytic or finite-difference Jacobians formed
  double initial_residual = 0.0;
  double residual = 0.0;        // r(x) at the returned x
  double elapsed_seconds = 0.0;
  std::string message;          // detail for non-convergence, "" otherwise

  bool usable() const { return reason == TerminationReason::kConverged; }
  // "anderson: converged, 23 iterations, 24 map evaluations, residual 3.1e-14, 0.12 ms"
  std::string brief_report() const;
  // Multi-line table of every field.
  std::string full_report() const;
  // Adds the work of a later stage (for sequences of solvers).
  void accumulate(const SolverSummary& later);
};

// Residual r(x) = max_i |F_i(x) - x_i|; evaluates F once (fx receives F(x)).
double fixed_point_residual(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                            Eigen::VectorXd& fx);

class DampedIteration {
 public:
  struct Options {
    // Residual tolerance: stop when max_i |F_i(x) - x_i| <= tol. Range (0, 1).
    double tol = 1e-12;
    // Maximum number of map evaluations (= iterations). Range >= 1.
    int max_iterations = 100000;
    // Initial damping lambda in x <- x + lambda (F(x) - x); 1 is plain iteration. Range (0, 1].
    double damping = 1.0;
    // Adaptive damping: halve lambda when the residual grows (and reject that step), and grow it
    // by 10% (up to `damping`) after each accepted step.
    bool adaptive = true;
    // Floor for adaptive damping; reaching it ends the run with kStalled. Range (0, damping].
    double min_damping = 1e-6;
    void validate() const;  // throws InputError naming the field, the value and the rule
  };
  DampedIteration() = default;
  explicit DampedIteration(Options options) : options_(options) {}
  SolverSummary solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const;

 private:
  Options options_;
};

class AndersonAcceleration {
 public:
  struct Options {
    // Residual tolerance, as for DampedIteration. Range (0, 1).
    double tol = 1e-12;
    // Maximum number of iterations (one map evaluation each). Range >= 1.
    int max_iterations = 2000;
    // History depth m: number of previous residual differences used. Range [1, 50].
    int depth = 6;
    // Mixing beta in x+ = x_bar + beta f_bar (1 = undamped Anderson). Range (0, 1].
    double mixing = 1.0;
    // Guard: when the condition number of the least-squares matrix of residual differences
    // exceeds this, the oldest columns are dropped until it does not. Range > 1.
    double max_condition = 1e10;
    // If the residual grows by more than this factor over the best seen, history is cleared
    // and a damped step taken from the best iterate. Range > 1.
    double restart_factor = 1e3;
    void validate() const;
  };
  AndersonAcceleration() = default;
  explicit AndersonAcceleration(Options options) : options_(options) {}
  SolverSummary solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const;

 private:
  Options options_;
};

enum class JacobianSource { kAuto, kAnalytic, kFiniteDifference };
std::string to_string(JacobianSource s);
JacobianSource jacobian_source_from_string(const std::string& s);  // throws InputError

enum class NewtonBackend { kEigen, kGslHybrid };
std::string to_string(NewtonBackend b);
NewtonBackend newton_backend_from_string(const std::string& s);  // throws InputError

class Newton {
 public:
  struct Options {
    // Residual tolerance, as for DampedIteration. Range (0, 1).
    double tol = 1e-12;
    // Maximum number of Newton iterations. Range >= 1.
    int max_iterations = 100;
    // Where dF/dx comes from: kAuto uses the model's analytic Jacobian when it has one.
    JacobianSource jacobian = JacobianSource::kAuto;
    // kEigen: Newton with backtracking line search on |R|^2 and a column-pivoting QR solve.
    // kGslHybrid: GSL's gsl_multiroot_fdfsolver_hybridsj (with our Jacobian).
    NewtonBackend backend = NewtonBackend::kEigen;
    // Relative step of central finite differences: h_i = fd_step * max(1, |x_i|). Range (0, 0.1).
    double fd_step = 1e-6;
    // Backtracking line search (Armijo on |R|^2, step halved down to min_step). kEigen only.
    bool line_search = true;
    // Smallest line-search step before giving up with kLineSearchFailed. Range (0, 1).
    double min_step = 1e-8;
    void validate() const;
  };
  Newton() = default;
  explicit Newton(Options options) : options_(options) {}
  SolverSummary solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const;

 private:
  Options options_;
};

enum class SolverMethod { kAuto, kDamped, kAnderson, kNewton };
std::string to_string(SolverMethod m);
SolverMethod solver_method_from_string(const std::string& s);  // throws InputError

// Everything the "solver" section of a spec sets. `tol` and `max_iterations` override the
// per-method values; method-specific fields live in the nested Options.
struct SolverSettings {
  SolverMethod method = SolverMethod::kAuto;
  double tol = 1e-12;
  int max_iterations = 10000;
  DampedIteration::Options damped;
  AndersonAcceleration::Options anderson;
  Newton::Options newton;
  // Copies tol into every nested Options; validates all of them.
  void validate() const;
};

// The default "auto" sequence (see top of file).
class AutoSolver {
 public:
  explicit AutoSolver(SolverSettings settings) : settings_(std::move(settings)) {}
  SolverSummary solve(const FixedPointProblem& problem, Eigen::VectorXd& x) const;

 private:
  SolverSettings settings_;
};

// Solves with the method the settings name (tol and max_iterations applied to it).
SolverSummary solve_fixed_point(const SolverSettings& settings, const FixedPointProblem& problem,
                                Eigen::VectorXd& x);

// dF/dx at x: the analytic Jacobian if the problem has one (and source allows), else central
// differences with relative step fd_step (2n map evaluations, counted in *evaluations).
Eigen::MatrixXd map_jacobian(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                             JacobianSource source, double fd_step, int* evaluations);

// Spectral radius of dF/dx at x (iteration stability: < 1 means plain iteration converges
// locally). Uses map_jacobian with the given source.
double spectral_radius(const FixedPointProblem& problem, const Eigen::VectorXd& x,
                       JacobianSource source = JacobianSource::kAuto, double fd_step = 1e-6,
                       int* evaluations = nullptr);

}  // namespace saddle
