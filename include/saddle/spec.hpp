// Spec files (JSON, version 1): parsing, validation and command-line overrides.
//
//   {"saddle": 1, "model": "hopfield", "params": {"alpha": 0.05, "T": 0.5}, "options": {},
//    "task": {"type": "solve"}, "init": [{"branch": "retrieval", "m": 1.0}],
//    "solver": {"method": "auto", "tol": 1e-12, "max_iter": 10000},
//    "output": {"dir": "out/hopfield-point"}}
//
// Every key is checked: unknown keys are errors naming the JSON path and the closest valid key;
// every number is checked against the declared range; wrong types, NaN and infinities are errors.
// All checks run before any work, so bad input never leaves half-written output.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "saddle/continuation.hpp"
#include "saddle/model.hpp"
#include "saddle/solvers.hpp"
#include "saddle/spectral.hpp"

namespace saddle {

inline constexpr int kSpecVersion = 1;
inline constexpr int kOutputSchemaVersion = 1;
const char* saddle_version();

enum class TaskType { kSolve, kContinuation, kScan, kPhaseDiagram, kKernel, kSpectrum };
std::string to_string(TaskType t);

struct InitialPoint {
  std::string name;  // "init[0]" or the "branch" label the user gave
  Eigen::VectorXd x0;
};

// One axis of a scan grid: a model parameter and its values, in order.
struct GridAxis {
  std::string name;
  int param_index = -1;
  std::vector<double> values;
};

// task "scan": {"grid": {"alpha": {"from": 0, "to": 0.2, "num": 201, "spacing": "linear"},
//                        "T": {"values": [0.1, 0.5]}}, "along": "alpha",
//               "branches": ["retrieval", "spin_glass"]}
// Axes are kept in the model's parameter order; "along" (default: the first axis) is solved as
// a continuation with warm starts, the other axes enumerate independent lines.
struct ScanTask {
  std::vector<GridAxis> axes;
  int along = 0;                      // index into axes
  std::vector<std::string> branches;  // seed names to follow; empty: every default branch
  std::size_t line_count() const;     // product of the sizes of the non-along axes
  std::size_t point_count() const;
};

// task "phase_diagram": boundary curves in the plane of two parameters x and y.
//   {"type": "phase_diagram", "x": "alpha", "y": "T", "range": {"alpha": [0.001, 0.2], "T": [0, 1.6]},
//    "step": 0.01, "tol": 1e-9,
//    "boundaries": [{"name": "T_g", "kind": "instability", "branch": "paramagnet",
//                    "start": {"alpha": 0.05, "T": [1.05, 2]}}, ...]}
// kinds: "instability" (det(dF/dx - I) = 0 on a branch), "critical" (a model observable = 0 on a
// branch, e.g. lambda_AT), "fold" (where a branch ends), "first_order" (two branches with equal
// free energy). "start" fixes one axis and gives a bracket [a, b] on the other, searched from a to
// b for the first point of the boundary; the curve is then traced both ways inside "range".
enum class BoundaryKind { kInstability, kCritical, kFold, kFirstOrder };
std::string to_string(BoundaryKind k);

struct BoundarySpec {
  std::string name;
  BoundaryKind kind = BoundaryKind::kInstability;
  std::vector<std::string> branches;  // one, or two for first_order
  int observable = -1;                // critical: index into the model's observables
  int fixed_axis = 0;                 // 0: x is fixed at the start, 1: y
  double fixed_value = 0.0;
  double bracket_from = 0.0, bracket_to = 0.0;
  int samples = 60;                   // bracket search resolution
  // Optional sub-range for this boundary (defaults to the task's range): the curve ends on its
  // faces, e.g. to stop a paramagnet instability line at a triple point.
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
};

struct PhaseTask {
  int x_index = -1, y_index = -1;  // model parameter indices
  double x_min = 0, x_max = 0, y_min = 0, y_max = 0;
  double step = 0.01;  // arclength step, as a fraction of the plot (ranges normalised to 1)
  double tol = 1e-9;   // residual tolerance of the boundary equations
  std::vector<BoundarySpec> boundaries;
  // Phase labels: the selected phase on a coarse label_grid[0] x label_grid[1] grid of cell
  // centres (every default branch solved, lowest free energy wins); each phase is labelled at its
  // grid point nearest to the centroid of its points. "labels": false turns it off.
  bool labels = true;
  int label_grid[2] = {16, 10};
};

// task "continuation": {"parameter": "alpha", "from": 0.01, "to": 0.2, "step": 0.001,
//   "method": "arclength", "branch": "retrieval", "stability": "lambda_AT", "milestones": [0.1], ...}
struct ContinuationTask {
  int parameter = -1;               // model parameter index
  std::string branch;               // seed name at `from` (default: the model's first branch)
  int indicator = -1;               // observable whose sign is thermodynamic stability (> 0 stable)
  Continuation::Options options;
};

struct KernelSpec;  // task "kernel" of model nn_kernel (apps/lib/kernel_task.hpp)

struct Spec {
  std::string source;  // file name (or "command line"), used in messages and outputs
  const FixedPointModel* model = nullptr;
  Point point;
  TaskType task = TaskType::kSolve;
  ScanTask scan;                   // task "scan"
  PhaseTask phase;                 // task "phase_diagram"
  ContinuationTask continuation;   // task "continuation"
  SpectrumTask spectrum;           // task "spectrum" (spectral models, apps/lib/spectrum.cpp)
  nlohmann::json task_json;        // the task object as given (validated for its type)
  std::vector<InitialPoint> init;  // empty: the model's default branches
  SolverSettings solver;
  std::string output_dir;          // "" when the spec names none
  nlohmann::json resolved;         // the spec with every default filled in
  std::shared_ptr<const KernelSpec> kernel;  // task "kernel" (model nn_kernel; model is null)
};

// Reads and parses a JSON file. Throws InputError: "file.missing", "file.unreadable",
// "spec.malformed_json" (with line and column).
nlohmann::json load_json_file(const std::string& path);

// Applies one --set PATH=VALUE (PATH dotted, e.g. params.T or solver.tol) to a spec in place.
// VALUE is read as JSON when it parses as JSON (numbers, true/false, quoted strings, arrays),
// "nan"/"inf"/"-inf" as those doubles (rejected later by validation), otherwise as a bare string.
// Throws InputError "set.bad_syntax" / "set.bad_path".
void apply_set(nlohmann::json& spec, const std::string& assignment);

// Validates a spec document against the registry and resolves defaults.
Spec parse_spec(const nlohmann::json& doc, const ModelRegistry& registry, const std::string& source);

// Parses the "solver" section (object) into settings, validating every field. `where_prefix` is
// prepended to JSON paths in messages.
SolverSettings parse_solver_settings(const nlohmann::json& section, const std::string& where_prefix);
nlohmann::json solver_settings_to_json(const SolverSettings& settings);

// Resolves a parameter point from {name: value} maps of params and options, checking ranges and
// option choices. `where` gives the JSON path prefixes for messages ("/params", "/options"), or
// "" for command-line key=value pairs.
Point resolve_point(const FixedPointModel& model, const nlohmann::json& params,
                    const nlohmann::json& options, const std::string& source,
                    const std::string& params_path, const std::string& options_path);

// Parses and validates a "scan" task object (JSON paths under /task in messages).
ScanTask parse_scan_task(const nlohmann::json& task, const FixedPointModel& model, const Point& point,
                         const std::string& source);
nlohmann::json scan_task_to_json(const ScanTask& scan);
ContinuationTask parse_continuation_task(const nlohmann::json& task, const FixedPointModel& model,
                                         const SolverSettings& solver, const std::string& source);
nlohmann::json continuation_task_to_json(const FixedPointModel& model, const ContinuationTask& c);
// Parses a "spectrum" task (JSON paths under /task); throws InputError for non-spectral models.
SpectrumTask parse_spectrum_task(const nlohmann::json& task, const FixedPointModel& model,
                                 const Point& point, const SolverSettings& solver,
                                 const std::string& source);
PhaseTask parse_phase_task(const nlohmann::json& task, const FixedPointModel& model,
                           const std::string& source);

// {name: value} views of a point, for outputs.
nlohmann::json params_to_json(const FixedPointModel& model, const Point& point);
nlohmann::json options_to_json(const FixedPointModel& model, const Point& point);

}  // namespace saddle
