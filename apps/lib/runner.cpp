#include "runner.hpp"

#include "saddle/error.hpp"
#include "saddle/problem.hpp"

namespace saddle {

using nlohmann::json;

std::string SolutionRecord::status() const {
  if (!summary.usable()) return to_string(summary.reason);
  if (inadmissible) return "inadmissible";
  return "converged";
}

namespace {
// Two converged solutions are the same when they agree well beyond the solver tolerance's effect
// on the solution (residual tol times a generous conditioning allowance).
bool same_solution(const Eigen::VectorXd& a, const Eigen::VectorXd& b, double tol) {
  return (a - b).cwiseAbs().maxCoeff() <= std::max(1e-7, 1e4 * tol);
}
}  // namespace

SolutionRecord solve_start(const FixedPointModel& model, const Point& point,
                           const FixedPointProblem& problem, const std::string& name,
                           const Eigen::VectorXd& x0, const SolverSettings& settings,
                           bool with_spectral_radius) {
  SolutionRecord rec;
  rec.branch = name;
  rec.x = x0;
  problem.project(rec.x);
  rec.summary = solve_fixed_point(settings, problem, rec.x);
  rec.inadmissible = model.inadmissible(rec.x, point);
  rec.observables = model.observable_values(rec.x, point);
  rec.free_energy = model.free_energy(rec.x, point);
  rec.phase = model.phase(rec.x, point);
  if (with_spectral_radius) {
    int evals = 0;
    rec.spectral_radius =
        spectral_radius(problem, rec.x, settings.newton.jacobian, settings.newton.fd_step, &evals);
  }
  return rec;
}

void classify_solutions(const FixedPointModel& model, std::vector<SolutionRecord>& out, double tol) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i].same_as.clear();
    out[i].selected = false;
    if (!out[i].converged()) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (out[j].converged() && out[j].same_as.empty() && same_solution(out[i].x, out[j].x, tol)) {
        out[i].same_as = out[j].branch;
        break;
      }
    }
  }
  const Objective objective = model.objective();
  if (objective == Objective::kNone) {
    // No free energy to compare (signal_propagation, kernel_regression, scs_rnn): a distinct
    // converged solution is selected when it is the only one, or the only one at which plain
    // iteration is stable (spectral radius of dF/dx < 1, when computed); failing both, the first
    // distinct one in start order, so that scan tables are not left without a selection.
    std::vector<std::size_t> distinct, stable;
    for (std::size_t i = 0; i < out.size(); ++i)
      if (out[i].converged() && out[i].same_as.empty()) {
        distinct.push_back(i);
        if (out[i].spectral_radius > 0.0 && out[i].spectral_radius < 1.0) stable.push_back(i);
      }
    if (stable.size() == 1 && distinct.size() > 1)
      out[stable[0]].selected = true;
    else if (!distinct.empty())
      out[distinct[0]].selected = true;
    return;
  }
  int best = -1;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!out[i].converged() || !out[i].free_energy || !out[i].same_as.empty()) continue;
    if (best >= 0) {
      const double fi = *out[i].free_energy, fb = *out[static_cast<std::size_t>(best)].free_energy;
      const bool better = objective == Objective::kMaximiseFreeEntropy ? fi > fb : fi < fb;
      if (!better) continue;
    }
    best = static_cast<int>(i);
  }
  if (best >= 0) out[static_cast<std::size_t>(best)].selected = true;
}

std::vector<SolutionRecord> solve_point(const FixedPointModel& model, const Point& point,
                                        const std::vector<InitialPoint>& starts,
                                        const SolverSettings& settings) {
  std::vector<InitialPoint> todo = starts;
  if (todo.empty())
    for (const auto& seed : model.branches(point)) todo.push_back({seed.name, seed.x0});
  const FixedPointProblem problem = make_problem(model, point);
  std::vector<SolutionRecord> out;
  out.reserve(todo.size());
  for (const auto& start : todo)
    out.push_back(solve_start(model, point, problem, start.name, start.x0, settings, true));
  classify_solutions(model, out, settings.tol);
  return out;
}

json solution_to_json(const FixedPointModel& model, const SolutionRecord& rec) {
  json j;
  j["branch"] = rec.branch;
  if (!rec.phase.empty()) j["phase"] = rec.phase;
  json ops = json::object();
  const auto names = model.order_parameter_names();
  for (std::size_t i = 0; i < names.size(); ++i) ops[names[i]] = rec.x[static_cast<Eigen::Index>(i)];
  j["order_parameters"] = ops;
  json obs = json::object();
  const auto onames = model.observable_names();
  for (std::size_t i = 0; i < onames.size() && static_cast<Eigen::Index>(i) < rec.observables.size(); ++i)
    obs[onames[i]] = rec.observables[static_cast<Eigen::Index>(i)];
  j["observables"] = obs;
  j["free_energy"] = rec.free_energy ? json(*rec.free_energy) : json(nullptr);
  j["converged"] = rec.converged();
  j["status"] = rec.status();
  j["iterations"] = rec.summary.iterations;
  j["map_evaluations"] = rec.summary.map_evaluations;
  j["residual"] = rec.summary.residual;
  j["method"] = rec.summary.method;
  j["spectral_radius"] = rec.spectral_radius;
  j["selected"] = rec.selected;
  if (!rec.same_as.empty()) j["same_as"] = rec.same_as;
  if (rec.inadmissible) j["message"] = *rec.inadmissible;
  else if (!rec.summary.message.empty()) j["message"] = rec.summary.message;
  return j;
}

std::vector<std::string> solution_columns(const FixedPointModel& model) {
  std::vector<std::string> cols = model.parameter_names();
  for (const auto& o : model.option_names()) cols.push_back(o);
  for (const auto& n : model.order_parameter_names()) cols.push_back(n);
  for (const auto& n : model.observable_names()) cols.push_back(n);
  for (const char* c : {"free_energy", "branch", "phase", "selected", "same_as", "converged", "status",
                        "iterations", "map_evaluations", "residual", "spectral_radius"})
    cols.push_back(c);
  return cols;
}

std::vector<std::string> solution_row(const FixedPointModel& model, const Point& point,
                                      const SolutionRecord& rec) {
  std::vector<std::string> row;
  for (Eigen::Index i = 0; i < point.params.size(); ++i) row.push_back(format_number(point.params[i]));
  for (const auto& o : point.options) row.push_back(o);
  for (Eigen::Index i = 0; i < rec.x.size(); ++i) row.push_back(format_number(rec.x[i]));
  for (Eigen::Index i = 0; i < rec.observables.size(); ++i) row.push_back(format_number(rec.observables[i]));
  row.push_back(rec.free_energy ? format_number(*rec.free_energy) : "");
  row.push_back(rec.branch);
  row.push_back(rec.phase);
  row.push_back(rec.selected ? "true" : "false");
  row.push_back(rec.same_as);
  row.push_back(rec.converged() ? "true" : "false");
  row.push_back(rec.status());
  row.push_back(std::to_string(rec.summary.iterations));
  row.push_back(std::to_string(rec.summary.map_evaluations));
  row.push_back(format_number(rec.summary.residual));
  row.push_back(format_number(rec.spectral_radius));
  return row;
}

}  // namespace saddle
