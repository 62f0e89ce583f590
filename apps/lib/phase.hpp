// Task "phase_diagram": boundary curves traced by continuation along the curve (CurveTracer),
// not by thresholding a grid.
//
//  instability  det(dF/dx - I) = 0 on a branch, as a curve in the parameter plane: the branch is
//               re-solved (warm) at every evaluation. For a trivial branch (paramagnet) this is
//               where it loses stability (e.g. T_g = 1 + sqrt(alpha) in the Hopfield model).
//  critical     a model observable = 0 on a branch (the AT eigenvalue), same reduced form.
//  fold         where a branch ends: y = (x, p_x, p_y), G = [F(x) - x; det(dF/dx - I)].
//  first_order  equal free energy: y = (x1, x2, p_x, p_y), G = [R(x1); R(x2); f(x1) - f(x2)].
// The plane is normalised by the ranges (arclength steps are fractions of the plot).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "saddle/spec.hpp"

namespace saddle {

struct BoundaryResult {
  std::string name;
  BoundaryKind kind = BoundaryKind::kInstability;
  bool found = false;                 // a start point was found in the bracket
  std::vector<std::string> columns;   // x, y, then order parameters, then residual, status
  std::vector<std::vector<double>> rows;
  // Per row: "converged", or "state_not_converged" where the branch could not be re-solved at a
  // point of a reduced boundary (instability, critical): its order-parameter cells are then
  // empty (the point itself is on the boundary: its residual is that of the boundary equation).
  std::vector<std::string> status;
  std::string message;                // how the start was found, how each end was reached
  nlohmann::json start;               // the start point {x, y}
  long map_evaluations = 0;
  double seconds = 0.0;
};

// Checks the branches named by the boundaries exist at their start points; throws InputError.
void preflight_phase(const Spec& spec);

std::vector<BoundaryResult> run_phase_diagram(const Spec& spec, int jobs);

// Where to write each phase's name on the diagram (PhaseTask::labels).
struct PhaseLabel {
  std::string phase;
  double x = 0, y = 0;  // the grid point of this phase nearest to the centroid of its points
  int points = 0;       // grid points where it is the selected phase
};
struct PhaseLabels {
  std::vector<PhaseLabel> labels;  // by decreasing number of points
  int grid_points = 0, unresolved = 0;  // unresolved: no branch converged
};
PhaseLabels label_phases(const Spec& spec, int jobs);

}  // namespace saddle
