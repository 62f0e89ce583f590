// Continuation of a branch of fixed points x = F(x; lambda) in one parameter lambda.
//
// Two methods (Continuation::Options::method):
//   natural    lambda is the continuation parameter. Secant predictor (linear extrapolation of
//              x from the last two points), corrector solve_fixed_point at the new lambda. It
//              cannot pass a fold (saddle-node point where the branch turns back): beyond it there
//              is no solution, the step shrinks to min_step, and the run ends there with reason
//              min_step and the message "no solution beyond lambda = ... (possible fold; use
//              method arclength)".
//   arclength  pseudo-arclength continuation (Keller) of the curve R(x, lambda) = F(x; lambda) - x
//              = 0 in y = (x, lambda). The tangent t solves [J_R | R_lambda] t = 0 (J_R = dF/dx -
//              I, R_lambda by central differences), normalised and oriented so that t . t_prev > 0
//              (at the start: pointing from `from` to `to`). Predictor y + ds t; corrector Newton
//              on [R(x, lambda); t . (y - y_pred)] = 0 with the box projection after every update.
//              Scale: arclength is the plain Euclidean norm of (dx, dlambda), unweighted; the
//              order parameters of the models here are O(1), and the angle check (below) bounds
//              what a poor scaling can do. Where one component dominates the branch's extent
//              (e.g. r ~ 50 on the unstable Hopfield branch) the steps are spent along it; raise
//              max_step then.
//
// Step control: after an accepted step whose corrector converged in at most easy_iterations
// iterations the step grows by `grow` (up to max_step); a failed corrector, or successive
// tangents (arclength) or secants (natural) turning by more than max_angle_deg, reject the step
// and shrink it by `shrink`. A step below min_step ends the run (reason min_step, or left_domain
// when the last failures were the solution pressing against a bound of its box).
//
// Where the branch must land exactly: on `to` (the run ends: reached_end), on every milestone
// (rows labelled "milestone", each time the branch crosses it) and, after a fold has turned the
// branch back, on `from` (the run ends: returned_to_from). A step that would pass such a value is
// shortened to land on it, and corrected at fixed lambda. So rows never leave the closed interval
// between from and to. A step across a fold whose turning point lies beyond a target (seen from
// the step's nearer end) would cross that target twice unseen; it is redone with a shorter step.
//
// Folds (arclength only): the lambda component of the tangent changes sign between consecutive
// accepted points. The fold is then located by Newton on the minimally augmented (bordered)
// system G(x, lambda) = [R(x, lambda); sigma(x, lambda)] = 0, where sigma solves
//   [[J_R, b], [c^T, 0]] [v; sigma] = [0; 1]
// with c the x part of the tangent and b the left singular vector of J_R for its smallest singular
// value, both at the bracket point with the smaller |t_lambda| (minimally augmented systems:
// W. Govaerts, "Numerical Methods for Bifurcations of Dynamical Equilibria", SIAM 2000; sigma
// vanishes exactly where J_R is singular). d sigma / d(x, lambda) come from central differences.
// Fallback: regula falsi (Illinois) on t_lambda along the chord between the bracket points. Since
// lambda is stationary along the branch at a fold, lambda* is insensitive (quadratically) to errors
// in x*; it is reported to fold_tol. The fold is inserted as a row labelled "fold" and a special
// point; the branch then continues along the other (generically unstable) side.
//
// Stability along the branch, reported as special points (and labelled rows) where it changes:
//   iteration stability      spectral radius rho of dF/dx crosses 1 (track_spectral_radius);
//   thermodynamic stability  the problem's indicator (e.g. the AT eigenvalue; > 0 stable) changes
//                            sign.
// Each change is located by regula falsi (Illinois) along the chord between the two rows, every
// trial point corrected onto the branch, to stability_tol relative in lambda. At a fold the
// eigenvalue +1 of dF/dx makes rho cross 1; such a crossing is not reported twice: the fold's
// detail says so.
//
// Non-convergence never reaches a row: every row is a corrected point with max|F(x) - x| <= tol,
// re-evaluated and stored in the row.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/model.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

// A family of fixed-point problems x = F(x; lambda), one parameter lambda.
struct ParametricProblem {
  // Number of unknowns (size of x). Range >= 1.
  int dimension = 0;
  // F(x; lambda) -> fx (fx receives dimension values). Required.
  std::function<void(const Eigen::VectorXd& x, double lambda, Eigen::VectorXd& fx)> map;
  // Optional analytic dF/dx; returns false when unavailable (central differences are used). May
  // be empty.
  std::function<bool(const Eigen::VectorXd& x, double lambda, Eigen::MatrixXd& jac)> jacobian;
  // Box domain of x at lambda (it may depend on lambda: hopfield's q >= 1 - T). Iterates are
  // projected into it. Empty: unbounded.
  std::function<void(double lambda, Eigen::VectorXd& lower, Eigen::VectorXd& upper)> bounds;
  // Optional thermodynamic-stability indicator (> 0 stable), e.g. the AT eigenvalue. May be
  // empty. Infinite values are allowed (lambda_AT = -inf at T = 0) and never count as a change.
  std::function<double(const Eigen::VectorXd& x, double lambda)> indicator;
  std::string indicator_name = "indicator";
  // Name and valid range of lambda (open ends exclude the bound). from and to must lie in it;
  // finite differences in lambda stay inside it.
  ParameterInfo parameter{"lambda", 0.0, -kInf, kInf, false, false, "the continuation parameter"};
  // Names of the components of x for messages; empty: "x[i]".
  std::vector<std::string> component_names;

  // The fixed-point problem at lambda (box bounds(lambda)). It copies the callables.
  FixedPointProblem at(double lambda) const;
  // component_names[i], or "x[i]".
  std::string component_name(int i) const;
};

// The problem x = F(x; p) of `model` with parameter `parameter` (an index into
// model.parameters()) varying and every other parameter and option as in `base`. The indicator
// is observable number `indicator_observable` of model.observables() (-1: none). The model must
// outlive the problem. Header-only so that solvers/ does not depend on models.
inline ParametricProblem make_parametric_problem(const FixedPointModel& model, const Point& base,
                                                 int parameter, int indicator_observable = -1) {
  const std::vector<ParameterInfo> params = model.parameters();
  if (parameter < 0 || parameter >= static_cast<int>(params.size())) {
    throw InternalError("make_parametric_problem: parameter index " + std::to_string(parameter) +
                        " out of range for model " + model.id());
  }
  if (base.params.size() != static_cast<Eigen::Index>(params.size())) {
    throw InternalError("make_parametric_problem: the base point has " +
                        std::to_string(base.params.size()) + " parameters, model " + model.id() +
                        " has " + std::to_string(params.size()));
  }
  const std::vector<ObservableInfo> observables = model.observables();
  if (indicator_observable < -1 || indicator_observable >= static_cast<int>(observables.size())) {
    throw InternalError("make_parametric_problem: observable index " +
                        std::to_string(indicator_observable) + " out of range for model " +
                        model.id());
  }
  ParametricProblem problem;
  problem.component_names = model.order_parameter_names();
  problem.dimension = static_cast<int>(problem.component_names.size());
  problem.parameter = params[static_cast<std::size_t>(parameter)];
  const FixedPointModel* m = &model;
  // A copy of the point per call keeps the problem usable from several threads at once.
  auto point_at = [base, parameter](double lambda) {
    Point p = base;
    p.params[parameter] = lambda;
    return p;
  };
  problem.map = [m, point_at](const Eigen::VectorXd& x, double lambda, Eigen::VectorXd& fx) {
    m->map(x, point_at(lambda), fx);
  };
  problem.jacobian = [m, point_at](const Eigen::VectorXd& x, double lambda, Eigen::MatrixXd& jac) {
    return m->jacobian(x, point_at(lambda), jac);
  };
  problem.bounds = [m, point_at](double lambda, Eigen::VectorXd& lower, Eigen::VectorXd& upper) {
    const Domain d = m->domain(point_at(lambda));
    lower = d.lower;
    upper = d.upper;
  };
  if (indicator_observable >= 0) {
    problem.indicator_name = observables[static_cast<std::size_t>(indicator_observable)].name;
    problem.indicator = [m, point_at, indicator_observable](const Eigen::VectorXd& x,
                                                            double lambda) {
      const Eigen::VectorXd v = m->observable_values(x, point_at(lambda));
      if (indicator_observable >= v.size()) {
        throw InternalError("observable_values returned " + std::to_string(v.size()) + " values");
      }
      return v[indicator_observable];
    };
  }
  return problem;
}

enum class ContinuationMethod { kNatural, kArclength };
std::string to_string(ContinuationMethod m);  // "natural", "arclength"
// Throws InputError("continuation.bad_option", "task.method", ...) for an unknown name.
ContinuationMethod continuation_method_from_string(const std::string& s);

// Row labels and special-point types.
enum class PointLabel {
  kNone,                          // ""
  kStart,                         // "start": the first row, at `from`
  kEnd,                           // "end": the last row, at `to` (or back at `from`)
  kFold,                          // "fold": a located saddle-node point
  kMilestone,                     // "milestone": a requested lambda, hit exactly
  kIterationStabilityChange,      // "iteration_stability_change": rho(dF/dx) crosses 1
  kThermodynamicStabilityChange,  // "thermodynamic_stability_change": the indicator changes sign
};
std::string to_string(PointLabel l);
PointLabel point_label_from_string(const std::string& s);  // throws InputError (where "label")

enum class ContinuationTermination {
  kReachedEnd,      // "reached_end": the last row is at lambda = to
  kReturnedToFrom,  // "returned_to_from": after a fold the branch came back to lambda = from
  kMinStep,         // "min_step": the step fell below min_step (the message says where and why)
  kMaxPoints,       // "max_points": the table holds max_points rows
  kStartFailed,     // "start_failed": no solution at `from` from the given start point (no rows)
  kLeftDomain,      // "left_domain": the solution presses against a bound of its box (or lambda
                    // against its range) that it cannot cross
};
std::string to_string(ContinuationTermination r);
// Throws InputError (where "reason") for an unknown name.
ContinuationTermination continuation_termination_from_string(const std::string& s);

// One row of the branch table.
struct ContinuationRow {
  double lambda = 0.0;
  Eigen::VectorXd x;
  // The step that reached this row: |d lambda| (natural) or the Euclidean distance in (x, lambda)
  // from the previous row (arclength); 0 for the first row.
  double step = 0.0;
  // Corrector iterations for this row (for located special points: those of the location).
  int corrector_iterations = 0;
  // max_i |F_i(x) - x_i|, re-evaluated at the stored x (<= Options::tol on every row).
  double residual = 0.0;
  // Spectral radius of dF/dx (empty when not tracked or not finite).
  std::optional<double> spectral_radius;
  // The problem's indicator (empty when the problem has none or it is NaN).
  std::optional<double> indicator;
  PointLabel label = PointLabel::kNone;
};

struct SpecialPoint {
  PointLabel type = PointLabel::kFold;
  double lambda = 0.0;
  Eigen::VectorXd x;
  int row = -1;                     // index of its row in ContinuationResult::rows
  double lambda_uncertainty = 0.0;  // estimated |lambda - lambda_exact|
  double residual = 0.0;            // max|F(x) - x| at the point
  // False when the location failed and only the bracket is known (lambda is then the bracket
  // point nearest the change, lambda_uncertainty the bracket width).
  bool located = true;
  // How it was located: "bordered_newton", "tangent_regula_falsi" (folds), "regula_falsi"
  // (stability changes), "bracket" (not located).
  std::string method;
  // One line: iterations, residuals of the located system, the bracket, notes.
  std::string detail;
};

struct ContinuationSummary {
  ContinuationMethod method = ContinuationMethod::kArclength;
  ContinuationTermination reason = ContinuationTermination::kStartFailed;
  std::string message;  // why it ended, in words (where, and the last failure)
  std::string parameter = "lambda";
  int points = 0;  // rows
  int steps_accepted = 0;
  int steps_rejected = 0;  // every rejected step: the two counts below, and steps redone because
                           // a fold hid a target crossing
  int corrector_failures = 0;
  int angle_rejections = 0;      // tangents/secants turned by > max_angle_deg, or the corrector
                                 // moved farther than the step (a jump)
  int corrector_iterations = 0;  // summed over accepted and rejected steps
  int map_evaluations = 0;       // every call of F, including finite differences and locations
  int jacobian_evaluations = 0;  // analytic or finite-difference dF/dx formed
  int folds = 0;
  int stability_changes = 0;  // iteration and thermodynamic
  double lambda_start = 0.0;
  double lambda_last = 0.0;   // lambda of the last row
  double final_step = 0.0;    // step size when the run ended
  double max_residual = 0.0;  // over all rows
  double elapsed_seconds = 0.0;

  // Every row is a converged point and there is at least one (all reasons but start_failed).
  bool usable() const { return points > 0 && reason != ContinuationTermination::kStartFailed; }
  // The run covered what was asked: it reached `to` or came back to `from` after a fold.
  bool complete() const {
    return reason == ContinuationTermination::kReachedEnd ||
           reason == ContinuationTermination::kReturnedToFrom;
  }
  // "arclength: reached_end at alpha = 0.2, 120 rows (1 fold, 0 stability changes), 5 rejected
  //  steps, 2345 map evaluations, max residual 2.2e-16, 3.1 ms"
  std::string brief_report() const;
  // Multi-line table of every field.
  std::string full_report() const;
};

struct ContinuationResult {
  std::vector<ContinuationRow> rows;         // in order along the branch
  std::vector<SpecialPoint> special_points;  // in order along the branch
  ContinuationSummary summary;
};

// The natural-parameter corrector's default settings: Newton (it starts from a predicted point;
// where there is no solution it fails in a few iterations instead of running a long auto
// sequence), at most 50 iterations.
SolverSettings default_continuation_solver();

class Continuation {
 public:
  struct Options {
    // natural or arclength (see top of file).
    ContinuationMethod method = ContinuationMethod::kArclength;
    // The run starts at lambda = from and heads for lambda = to. Required: finite, different,
    // both inside the parameter's range.
    double from = std::numeric_limits<double>::quiet_NaN();
    double to = std::numeric_limits<double>::quiet_NaN();
    // Initial step: |d lambda| (natural) or arclength in (x, lambda) (arclength). Range > 0.
    // Default |to - from| / 100.
    std::optional<double> step;
    // Smallest step; a step below it ends the run. Range (0, step]. Default
    // min(step, max(1e-6 step, 1e-10)).
    std::optional<double> min_step;
    // Largest step. Range >= step. Default 10 step.
    std::optional<double> max_step;
    // Most rows in the table (special-point rows included): no step starts once the table holds
    // max_points rows (the special-point rows of the last step may add up to 3 more).
    // Range >= 2.
    int max_points = 100000;
    // Corrector tolerance on the residual max_i |F_i(x) - x_i|; every row meets it. Range (0, 1).
    // It replaces solver.tol for the natural-parameter corrector.
    double tol = 1e-12;
    // Newton iterations of the arclength corrector (and of fixed-lambda landings). Range >= 1.
    int max_corrector_iterations = 12;
    // A step whose corrector converged in at most this many iterations counts as easy: the next
    // step grows by `grow`. Iterations are Newton iterations for arclength and those of `solver`
    // for natural (raise it for anderson, which needs tens). Range >= 0.
    int easy_iterations = 3;
    // Step growth after an easy step. Range >= 1.
    double grow = 1.5;
    // Step reduction after a rejected step. Range (0, 1).
    double shrink = 0.5;
    // Largest angle (degrees) between successive tangents (arclength) or secants (natural); a
    // larger turn rejects the step, so that the branch does not jump to a neighbouring one.
    // Range (0, 90].
    double max_angle_deg = 15.0;
    // Locate folds (arclength). The fold's lambda is reported to fold_tol. Range (0, 1).
    bool detect_folds = true;
    double fold_tol = 1e-10;
    // Relative tolerance in lambda to which stability changes are located. Range (0, 1).
    double stability_tol = 1e-8;
    // lambda values the branch must hit exactly (rows labelled "milestone"), each inside the
    // closed interval between from and to (values equal to from or to add nothing).
    std::vector<double> milestones;
    // Compute rho(dF/dx) on every row and report where it crosses 1.
    bool track_spectral_radius = true;
    // Source of dF/dx (J_R = dF/dx - I) and the relative step of central differences in x and in
    // lambda: h = fd_step max(1, |value|). fd_step range (0, 0.1).
    JacobianSource jacobian = JacobianSource::kAuto;
    double fd_step = 1e-6;
    // Natural-parameter corrector (its tol is replaced by `tol`). The start point is solved with
    // it too and, if that fails, with the default auto sequence (SolverSettings{}).
    SolverSettings solver = default_continuation_solver();

    // Throws InputError("continuation.bad_option", "task.<field>", "<field> = <value> is out of
    // range; expected <rule>"); solver settings throw their own "solver.<field>" errors.
    void validate() const;
    // The step sizes with their defaults filled in (validate() first).
    double resolved_step() const;
    double resolved_min_step() const;
    double resolved_max_step() const;
    // A copy with step, min_step and max_step set (for the resolved spec in summary.json).
    Options resolved() const;
  };

  Continuation() = default;
  explicit Continuation(Options options) : options_(std::move(options)) {}
  const Options& options() const { return options_; }

  // Follows the branch through the solution near x0 at lambda = from. Options are validated
  // first (InputError), then from/to against problem.parameter's range (InputError at
  // "task.from" / "task.to"). A problem without map or with x0 of the wrong size is an
  // InternalError.
  ContinuationResult run(const ParametricProblem& problem, const Eigen::VectorXd& x0) const;

 private:
  Options options_;
};

}  // namespace saddle
