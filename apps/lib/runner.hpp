// Running tasks: the place where models meet the solver core.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "saddle/model.hpp"
#include "saddle/solvers.hpp"
#include "saddle/spec.hpp"

namespace saddle {

// One starting point solved at one parameter point.
struct SolutionRecord {
  std::string branch;                // seed name ("retrieval", "init[0]")
  Eigen::VectorXd x;                 // best iterate (the solution when converged)
  Eigen::VectorXd observables;       // model observables at x
  std::optional<double> free_energy; // per the model's objective
  std::string phase;                 // model's label of x
  SolverSummary summary;
  std::optional<std::string> inadmissible;  // why x is not an admissible solution
  double spectral_radius = 0.0;      // of dF/dx at x (< 1: plain iteration is locally stable)
  std::string same_as;               // earlier branch that converged to the same solution
  bool selected = false;             // the physical branch (lowest f / highest free entropy)

  bool converged() const { return summary.usable() && !inadmissible; }
  // "converged", or the termination reason / "inadmissible"
  std::string status() const;
};

// Solves one start at `point`. The spectral radius of dF/dx costs 2n map evaluations and is
// computed only when asked for (it is left at 0 otherwise).
SolutionRecord solve_start(const FixedPointModel& model, const Point& point,
                           const FixedPointProblem& problem, const std::string& name,
                           const Eigen::VectorXd& x0, const SolverSettings& settings,
                           bool with_spectral_radius);

// Marks starts that converged onto an earlier start's solution (same_as) and the selected branch
// (lowest free energy, or highest free entropy, among converged distinct solutions).
void classify_solutions(const FixedPointModel& model, std::vector<SolutionRecord>& records,
                        double tol);

// Solves from every start (the model's default branches when `starts` is empty), then marks
// duplicates and the selected branch.
std::vector<SolutionRecord> solve_point(const FixedPointModel& model, const Point& point,
                                        const std::vector<InitialPoint>& starts,
                                        const SolverSettings& settings);

// {"branch", "phase", "order_parameters", "observables", "free_energy", "converged", "status",
//  "iterations", "map_evaluations", "residual", "spectral_radius", "selected", "same_as"?, "message"?}
nlohmann::json solution_to_json(const FixedPointModel& model, const SolutionRecord& rec);

// Column names and one row per solution: params, order parameters, observables, free_energy,
// then status columns.
std::vector<std::string> solution_columns(const FixedPointModel& model);
std::vector<std::string> solution_row(const FixedPointModel& model, const Point& point,
                                      const SolutionRecord& rec);

}  // namespace saddle
