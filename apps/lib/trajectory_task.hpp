// The "trajectory" task: an OdeModel (include/saddle/ode.hpp) integrated over a grid of times.
//
//   {"saddle": 1, "model": "committee_online", "params": {"K": 2, "M": 2, "eta": 0.5},
//    "options": {"activation": "erf"},
//    "task": {"type": "trajectory", "to": 400, "num": 401, "spacing": "linear"},
//    "ode": {"stepper": "dopri5", "rel_tol": 1e-10, "abs_tol": 1e-12},
//    "output": {"dir": "out/committee"}}
//
// task keys: "to" (> 0, the last time), "num" (>= 2 output times, t = 0 included), "spacing"
// ("linear" or "log"; log times run from "first" (default to/1000) to "to", after t = 0).
// Writes trajectory.csv (time, states, observables, status per row: "ok", or "not_reached" with
// empty cells after an integration that stopped early), results.csv (the model's trajectory
// results, e.g. the plateau) and summary.json.
#pragma once

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "saddle/ode.hpp"

namespace saddle {

struct TrajectorySpec {
  std::string source;
  const OdeModel* model = nullptr;
  Point point;
  std::vector<double> times;
  OdeIntegrator::Options ode;
  std::string output_dir;  // "" when the spec names none
  nlohmann::json resolved;
};

// True when the spec is for an ODE model or asks for a trajectory (routed here by `saddle run`).
bool is_trajectory_spec(const nlohmann::json& doc);

// Validates everything (throws InputError with the JSON path) before any work.
TrajectorySpec parse_trajectory_spec(const nlohmann::json& doc, const std::string& source);

// Resolves an OdeModel's parameters and options ({name: value} objects), checking names, ranges
// and choices, then model.validate().
Point resolve_ode_point(const OdeModel& model, const nlohmann::json& params,
                        const nlohmann::json& options, const std::string& source);

struct TrajectoryRun {
  std::vector<double> times;  // observed times (all requested ones when completed)
  std::vector<Eigen::VectorXd> states;
  std::vector<Eigen::VectorXd> observables;
  std::vector<TrajectoryResult> results;
  OdeSummary summary;
};
TrajectoryRun run_trajectory(const TrajectorySpec& spec);

// Column names of trajectory.csv for the spec's model and point.
std::vector<std::string> trajectory_columns(const OdeModel& model, const Point& point);

// Runs the spec into `dir` (prepared by the caller); prints one line to `out`. Returns the exit
// code: 0 completed, 1 stopped early (marked in the table and summary.json).
int execute_trajectory(const TrajectorySpec& spec, const std::string& dir,
                       const std::vector<std::string>& overrides, std::ostream& out);

}  // namespace saddle

namespace saddle {
// `saddle describe` for an ODE model: parameters, options, states at the default point, references.
int describe_ode_model(const std::string& id, std::ostream& out);
// The gnuplot commands that draw a trajectory result directory: `column` (default eps_g if present,
// else the first state) against time, on a log y axis for eps_g; rows not "ok" are drawn as points
// in a second colour. Throws InputError naming an unknown column.
std::string trajectory_plot_body(const std::string& dir, const std::string& column);
}  // namespace saddle
