// Tracing a curve G(y) = 0 with G: R^(k+1) -> R^k by pseudo-arclength continuation (Keller).
//
// Phase boundaries are such curves: y = (x, lambda, mu) with G = [F(x; lambda, mu) - x; c(x)]
// where c = det(dF/dx - I) (fold and bifurcation lines) or a model's critical function (the AT
// eigenvalue), or y = (x1, x2, lambda, mu) with G = [R(x1); R(x2); f(x1) - f(x2)] (first-order
// lines). The tracer knows nothing of models: it sees G, a box on y and arclength weights.
//
// Step control: the step grows by `grow` after a corrector that converged in <= 3 iterations,
// shrinks by `shrink` after a failure or when successive tangents turn by more than
// max_angle_deg (so the curve cannot jump to a neighbouring one), and the run ends when it falls
// below min_step. Arclength is measured in the weighted norm |y|_w^2 = sum_i w_i y_i^2.
#pragma once

#include <Eigen/Dense>
#include <functional>
#include <string>
#include <vector>

namespace saddle {

struct CurveProblem {
  // G(y) -> g (g has `equations` components, y has equations + 1).
  std::function<void(const Eigen::VectorXd& y, Eigen::VectorXd& g)> residual;
  int equations = 0;
  // The curve is traced while it stays in this box; it ends on the box boundary, exactly.
  Eigen::VectorXd lower, upper;
  // Arclength weights (size equations + 1); empty means all ones.
  Eigen::VectorXd weights;
};

enum class CurveEnd {
  kLeftBox,          // reached the box boundary (landed on it)
  kMinStep,          // the step fell below min_step: the curve could not be continued
  kMaxPoints,        // max_points reached
  kClosedLoop,       // came back to its start
  kCorrectorFailed,  // not used as an end by itself; reported in messages
};
std::string to_string(CurveEnd e);

class CurveTracer {
 public:
  struct Options {
    // Initial arclength step (weighted norm). Range > 0.
    double step = 0.01;
    // Smallest step before giving up (kMinStep). Range (0, step].
    double min_step = 1e-7;
    // Largest step. Range >= step.
    double max_step = 0.05;
    // Points per direction. Range >= 2.
    int max_points = 5000;
    // Corrector tolerance on max_i |G_i(y)|. Range (0, 1).
    double tol = 1e-10;
    // Newton iterations per corrector. Range >= 1.
    int max_corrector_iterations = 8;
    // Largest angle between successive tangents (degrees). Range (0, 90).
    double max_angle_deg = 20.0;
    // Relative step of central differences for dG/dy. Range (0, 0.1).
    double fd_step = 1e-6;
    double grow = 1.5;
    double shrink = 0.5;
    void validate() const;  // InputError "curve.bad_option", where "curve.<field>"
  };

  struct CurvePoint {
    Eigen::VectorXd y;
    double residual = 0.0;  // max |G| at y
    int corrector_iterations = 0;
    double step = 0.0;      // the arclength step that reached this point (0 at the start)
  };

  struct Result {
    std::vector<CurvePoint> points;  // in order along the curve: backward end ... start ... forward end
    CurveEnd forward_end = CurveEnd::kMaxPoints;
    CurveEnd backward_end = CurveEnd::kMaxPoints;
    long residual_evaluations = 0;
    double elapsed_seconds = 0.0;
    std::string message;  // how each direction ended, in words
  };

  CurveTracer() = default;
  explicit CurveTracer(Options options) : options_(options) {}

  // Traces from y0 (which must satisfy G(y0) ~ 0; it is corrected first). `direction` orients
  // the forward tangent (t . direction > 0); both_directions also traces the other way.
  Result trace(const CurveProblem& problem, const Eigen::VectorXd& y0, const Eigen::VectorXd& direction,
               bool both_directions) const;

  // Newton on G(y) = 0 with y[fixed] held at its value (k equations, k unknowns). Returns true
  // when max|G| <= tol; y receives the best point; *evaluations counts G calls.
  static bool correct_with_fixed(const CurveProblem& problem, Eigen::VectorXd& y, int fixed, double tol,
                                 int max_iterations, double fd_step, long* evaluations);

 private:
  Options options_;
};

}  // namespace saddle
