#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "compare.hpp"
#include "parallel.hpp"
#include "kernel_task.hpp"
#include "phase.hpp"
#include "plot.hpp"
#include "gamp.hpp"
#include "scan.hpp"
#include "simulate.hpp"
#include "simulate_cli.hpp"
#include "trajectory_task.hpp"
#include "spectrum.hpp"

#include "output.hpp"
#include "runner.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"

namespace saddle {

using nlohmann::json;

namespace {

int exit_code(ExitCode c) { return static_cast<int>(c); }

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

std::string short_number(double v) {
  std::ostringstream os;
  os << std::setprecision(10) << v;
  return os.str();
}

// saddle models
int cmd_models(std::ostream& out) {
  const ModelRegistry& registry = builtin_registry();
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& id : registry.ids()) rows.emplace_back(id, registry.get(id).title());
  rows.emplace_back(kNnKernelId, nn_kernel_title());  // not a FixedPointModel (task "kernel")
  for (const auto& id : builtin_ode_model_ids())
    if (!registry.contains(id)) rows.emplace_back(id, find_builtin_ode_model(id)->title() + " (ODE: task trajectory)");
  std::sort(rows.begin(), rows.end());
  for (const auto& [id, title] : rows) out << pad(id, 20) << title << "\n";
  return 0;
}

// saddle describe MODEL
int cmd_describe(const std::string& id, std::ostream& out) {
  if (id == kNnKernelId) {
    out << describe_nn_kernel();
    return 0;
  }
  if (!builtin_registry().contains(id) && find_builtin_ode_model(id))
    return describe_ode_model(id, out);
  const FixedPointModel& model = builtin_registry().get(id, "describe");
  out << model.id() << ": " << model.title() << "\n\n";
  describe_parameters_and_options(model.parameters(), model.options(), 10, out);
  out << "\norder parameters:\n";
  for (const auto& o : model.order_parameters())
    out << "  " << pad(o.name, 10) << "domain [" << format_number(o.lower) << ", "
        << format_number(o.upper) << "]  " << o.description << "\n";
  const auto observables = model.observables();
  if (!observables.empty()) {
    out << "\nobservables:\n";
    for (const auto& o : observables) out << "  " << pad(o.name, 12) << o.description << "\n";
  }
  out << "\nfree energy: " << to_string(model.objective()) << "\n";
  const auto notes = model.branch_notes();
  if (!notes.empty()) {
    out << "\ndefault branches:\n";
    for (const auto& n : notes) out << "  " << n << "\n";
  }
  out << "\nreferences:\n";
  for (const auto& r : model.references()) out << "  " << r.citation << "\n      " << r.used_for << "\n";
  return 0;
}

void print_solutions_table(const FixedPointModel& model, const Point& point,
                           const std::vector<SolutionRecord>& recs, std::ostream& out) {
  out << model.id();
  const json params = params_to_json(model, point);
  for (auto it = params.begin(); it != params.end(); ++it)
    out << "  " << it.key() << "=" << format_number(it.value().get<double>());
  const json options = options_to_json(model, point);
  for (auto it = options.begin(); it != options.end(); ++it)
    out << "  " << it.key() << "=" << it.value().get<std::string>();
  out << "\n";
  std::vector<std::string> header = {"branch", "phase"};
  for (const auto& n : model.order_parameter_names()) header.push_back(n);
  header.push_back("free_energy");
  for (const auto& n : model.observable_names()) header.push_back(n);
  for (const char* c : {"status", "iterations", "residual", "note"}) header.push_back(c);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : recs) {
    std::vector<std::string> row = {r.branch, r.phase};
    for (Eigen::Index i = 0; i < r.x.size(); ++i) row.push_back(short_number(r.x[i]));
    row.push_back(r.free_energy ? short_number(*r.free_energy) : "-");
    for (Eigen::Index i = 0; i < r.observables.size(); ++i) row.push_back(short_number(r.observables[i]));
    row.push_back(r.status());
    row.push_back(std::to_string(r.summary.iterations));
    row.push_back(format_number(r.summary.residual));
    std::string note;
    if (r.selected) note = "selected";
    if (!r.same_as.empty()) note = "same as " + r.same_as;
    row.push_back(note);
    rows.push_back(row);
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size() + 2;
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size() + 2);
  }
  for (std::size_t c = 0; c < header.size(); ++c) out << pad(header[c], width[c]);
  out << "\n";
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.size(); ++c) out << pad(row[c], width[c]);
    out << "\n";
  }
  for (const auto& r : recs)
    if (!r.converged())
      out << "warning: branch " << r.branch << " did not converge: "
          << (r.inadmissible ? *r.inadmissible : r.summary.message) << "\n";
}

bool all_converged(const std::vector<SolutionRecord>& recs) {
  for (const auto& r : recs)
    if (!r.converged()) return false;
  return true;
}

// saddle solve MODEL k=v ... [--json] [--set solver.X=V]
int cmd_solve(const std::string& id, const std::vector<std::string>& assignments, bool as_json,
              const std::vector<std::string>& sets, std::ostream& out) {
  const FixedPointModel& model = builtin_registry().get(id, "solve");
  json params = json::object(), options = json::object();
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw InputError("cli.bad_assignment", "'" + a + "'",
                       "expected NAME=VALUE, e.g. alpha=0.05 (parameters: " +
                           [&] {
                             std::string s;
                             for (const auto& n : model.parameter_names()) s += (s.empty() ? "" : ", ") + n;
                             return s;
                           }() + ")");
    const std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    if (model.option_index(key) >= 0) {
      options[key] = text;
      continue;
    }
    if (model.parameter_index(key) < 0) {
      std::vector<std::string> names = model.parameter_names();
      for (const auto& o : model.option_names()) names.push_back(o);
      throw InputError("param.unknown", "'" + a + "'",
                       "unknown parameter '" + key + "' of model " + model.id() +
                           did_you_mean(key, names) + "; parameters and options: " + [&] {
                             std::string s;
                             for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
                             return s;
                           }());
    }
    // Values are read like --set values, so nan/inf reach range validation with a clear message.
    json holder = json::object();
    apply_set(holder, "v=" + text);
    params[key] = holder["v"];
  }
  const Point point = resolve_point(model, params, options, "", "", "");
  json wrapper = json{{"solver", json::object()}};
  for (const auto& s : sets) {
    if (s.rfind("solver.", 0) != 0)
      throw InputError("set.bad_path", "--set '" + s + "'",
                       "`saddle solve` accepts only solver.* overrides; put parameters as NAME=VALUE");
    apply_set(wrapper, s);
  }
  const SolverSettings settings = parse_solver_settings(wrapper["solver"], "");
  const auto recs = solve_point(model, point, {}, settings);
  if (as_json) {
    json j;
    j["model"] = model.id();
    j["params"] = params_to_json(model, point);
    j["options"] = options_to_json(model, point);
    j["solutions"] = json::array();
    for (const auto& r : recs) j["solutions"].push_back(solution_to_json(model, r));
    out << j.dump(2) << "\n";
  } else {
    print_solutions_table(model, point, recs, out);
  }
  return exit_code(all_converged(recs) ? ExitCode::kSuccess : ExitCode::kNotConverged);
}

std::string default_output_dir(const std::string& spec_path) {
  return (std::filesystem::path("out") / std::filesystem::path(spec_path).stem()).string();
}

// The start of a continuation: init[0] if given, else the named (or first) branch seed at `from`.
// Throws InputError when the branch is not offered there.
Eigen::VectorXd continuation_start(const Spec& spec) {
  if (!spec.init.empty()) return spec.init.front().x0;
  Point p = spec.point;
  p.params[spec.continuation.parameter] = spec.continuation.options.from;
  const auto seeds = spec.model->branches(p);
  std::vector<std::string> names;
  for (const auto& s : seeds) {
    if (spec.continuation.branch.empty() || s.name == spec.continuation.branch) return s.x0;
    names.push_back(s.name);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError("init.unknown_branch", spec.source + ": /task/branch",
                   "model " + spec.model->id() + " offers no branch '" + spec.continuation.branch + "' at " +
                       spec.model->parameter_names()[static_cast<std::size_t>(spec.continuation.parameter)] + " = " +
                       format_number(spec.continuation.options.from) + did_you_mean(spec.continuation.branch, names) +
                       "; branches there: " + list);
}

// One run of one spec (after --set and --sweep) into one directory.
struct Job {
  std::string source;
  Spec spec;
  std::string dir;
  std::vector<std::string> overrides;       // --set and this job's sweep values
  std::vector<std::pair<std::string, double>> sweep;  // path, value
};

struct JobOutcome {
  bool converged = true;
  std::string line;  // the one-line summary printed for the run
};

struct Sweep {
  std::string path;
  std::vector<double> values;
};

Sweep parse_sweep(const std::string& text) {
  const std::string where = "--sweep '" + text + "'";
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("sweep.bad_syntax", where, "expected PATH=FROM:TO:NUM, e.g. params.T=0.1:1:10");
  Sweep sw;
  sw.path = text.substr(0, eq);
  const std::string range = text.substr(eq + 1);
  double from = 0, to = 0;
  int num = 0;
  char tail = 0;
  if (std::sscanf(range.c_str(), "%lf:%lf:%d%c", &from, &to, &num, &tail) != 3 || !std::isfinite(from) ||
      !std::isfinite(to))
    throw InputError("sweep.bad_syntax", where, "expected PATH=FROM:TO:NUM with numbers, e.g. params.T=0.1:1:10");
  if (num < 1 || (num == 1 && from != to))
    throw InputError("sweep.bad_syntax", where,
                     "NUM = " + std::to_string(num) + " is out of range; expected NUM >= 2 (or 1 with FROM = TO)");
  for (int i = 0; i < num; ++i)
    sw.values.push_back(i == num - 1 ? to : from + (to - from) * i / std::max(1, num - 1));
  return sw;
}

ScanOptions scan_options(int jobs, bool progress, std::size_t shard_k, std::size_t shard_n) {
  ScanOptions o;
  o.jobs = jobs;
  o.progress = progress;
  o.shard_index = shard_k;
  o.shard_count = shard_n;
  return o;
}

JobOutcome execute(const Job& job, const ScanOptions& scan_opts, std::ostream& progress) {
  const auto t0 = std::chrono::steady_clock::now();
  const Spec& spec = job.spec;
  nlohmann::json summary;
  summary["schema_version"] = kOutputSchemaVersion;
  summary["saddle_version"] = saddle_version();
  summary["source"] = job.source;
  summary["spec"] = spec.resolved;
  if (!job.overrides.empty()) summary["overrides"] = job.overrides;
  JobOutcome outcome;
  std::ostringstream line;
  if (spec.task == TaskType::kKernel) {
    outcome.converged = run_kernel_task(spec, job.dir, summary, line);
  } else if (spec.task == TaskType::kContinuation) {
    const ContinuationTask& c = spec.continuation;
    const FixedPointModel& model = *spec.model;
    const ParametricProblem problem = make_parametric_problem(model, spec.point, c.parameter, c.indicator);
    const ContinuationResult r = Continuation(c.options).run(problem, continuation_start(spec));
    std::vector<std::string> cols = {model.parameter_names()[static_cast<std::size_t>(c.parameter)]};
    for (const auto& n : model.order_parameter_names()) cols.push_back(n);
    for (const auto& n : model.observable_names()) cols.push_back(n);
    for (const char* n : {"free_energy", "phase", "step", "corrector_iterations", "residual", "spectral_radius",
                          "iteration_stable"})
      cols.push_back(n);
    if (c.indicator >= 0) cols.push_back("thermodynamically_stable");
    cols.push_back("label");
    std::vector<std::vector<std::string>> rows;
    Point p = spec.point;
    for (const auto& row : r.rows) {
      p.params[c.parameter] = row.lambda;
      std::vector<std::string> cells = {format_number(row.lambda)};
      for (Eigen::Index i = 0; i < row.x.size(); ++i) cells.push_back(format_number(row.x[i]));
      const Eigen::VectorXd obs = model.observable_values(row.x, p);
      for (Eigen::Index i = 0; i < obs.size(); ++i) cells.push_back(format_number(obs[i]));
      const auto f = model.free_energy(row.x, p);
      cells.push_back(f ? format_number(*f) : "");
      cells.push_back(model.phase(row.x, p));
      cells.push_back(format_number(row.step));
      cells.push_back(std::to_string(row.corrector_iterations));
      cells.push_back(format_number(row.residual));
      cells.push_back(row.spectral_radius ? format_number(*row.spectral_radius) : "");
      cells.push_back(row.spectral_radius ? (*row.spectral_radius < 1 ? "true" : "false") : "");
      if (c.indicator >= 0) cells.push_back(row.indicator ? (*row.indicator > 0 ? "true" : "false") : "");
      cells.push_back(to_string(row.label));
      rows.push_back(cells);
    }
    write_file_atomic(job.dir, "branch.csv", csv_table(cols, rows));
    nlohmann::json specials = nlohmann::json::array();
    for (const auto& sp : r.special_points) {
      nlohmann::json x = nlohmann::json::object();
      const auto names = model.order_parameter_names();
      for (std::size_t i = 0; i < names.size(); ++i) x[names[i]] = sp.x[static_cast<Eigen::Index>(i)];
      specials.push_back({{"type", to_string(sp.type)}, {cols[0], sp.lambda}, {"order_parameters", x},
                          {"row", sp.row}, {"located", sp.located}, {"uncertainty", sp.lambda_uncertainty},
                          {"residual", sp.residual}, {"method", sp.method}, {"detail", sp.detail}});
    }
    outcome.converged = r.summary.usable();
    summary["tables"] = {"branch.csv"};
    summary["special_points"] = specials;
    summary["status"] = outcome.converged ? "converged" : "not_converged";
    summary["termination"] = {{"reason", to_string(r.summary.reason)}, {"message", r.summary.message},
                              {"complete", r.summary.complete()}};
    summary["solver_statistics"] = {{"rows", r.summary.points}, {"steps_accepted", r.summary.steps_accepted},
                                    {"steps_rejected", r.summary.steps_rejected},
                                    {"corrector_failures", r.summary.corrector_failures},
                                    {"map_evaluations", r.summary.map_evaluations},
                                    {"jacobian_evaluations", r.summary.jacobian_evaluations},
                                    {"max_residual", r.summary.max_residual}};
    summary["timing"] = {{"solve_seconds", r.summary.elapsed_seconds}};
    line << job.source << ": " << r.summary.brief_report() << " -> " << job.dir;
    for (const auto& sp : r.special_points)
      line << "\n  " << to_string(sp.type) << " at " << cols[0] << " = " << std::setprecision(12)
           << sp.lambda;
  } else if (spec.task == TaskType::kPhaseDiagram) {
    const auto results = run_phase_diagram(spec, scan_opts.jobs);
    nlohmann::json boundaries = nlohmann::json::array();
    nlohmann::json tables = nlohmann::json::array();
    long evals = 0;
    int found = 0;
    for (const auto& b : results) {
      std::vector<std::vector<std::string>> rows;
      for (std::size_t i = 0; i < b.rows.size(); ++i) {
        std::vector<std::string> cells;
        for (double v : b.rows[i]) cells.push_back(std::isfinite(v) ? format_number(v) : "");
        cells.push_back(b.status[i]);
        rows.push_back(cells);
      }
      std::vector<std::string> columns = b.columns;
      columns.push_back("status");
      const std::string table = "boundary_" + b.name + ".csv";
      write_file_atomic(job.dir, table, csv_table(columns, rows));
      tables.push_back(table);
      boundaries.push_back({{"name", b.name}, {"kind", to_string(b.kind)}, {"found", b.found},
                            {"points", b.rows.size()}, {"start", b.start}, {"message", b.message},
                            {"table", table}, {"map_evaluations", b.map_evaluations}, {"seconds", b.seconds}});
      evals += b.map_evaluations;
      found += b.found ? 1 : 0;
    }
    outcome.converged = found == static_cast<int>(results.size());
    summary["tables"] = tables;
    summary["boundaries"] = boundaries;
    if (spec.phase.labels) {
      const PhaseLabels pl = label_phases(spec, scan_opts.jobs);
      const auto names = spec.model->parameter_names();
      const std::string xn = names[spec.phase.x_index], yn = names[spec.phase.y_index];
      nlohmann::json labels = nlohmann::json::array();
      for (const auto& l : pl.labels) labels.push_back({{"phase", l.phase}, {xn, l.x}, {yn, l.y}, {"points", l.points}});
      summary["phase_labels"] = {{"grid", {spec.phase.label_grid[0], spec.phase.label_grid[1]}},
                                 {"unresolved_points", pl.unresolved},
                                 {"labels", labels}};
    }
    summary["status"] = outcome.converged ? "converged" : "not_converged";
    summary["solver_statistics"] = {{"boundaries", results.size()}, {"found", found}, {"map_evaluations", evals}};
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    summary["timing"] = {{"total_seconds", secs}, {"jobs", scan_opts.jobs}};
    line << job.source << ": " << spec.model->id() << " phase_diagram, " << found << "/" << results.size()
         << " boundaries traced, " << std::fixed << std::setprecision(3) << secs << " s -> " << job.dir;
    for (const auto& b : results)
      if (!b.found) line << "\n  boundary " << b.name << ": " << b.message;
  } else if (spec.task == TaskType::kSpectrum) {
    const SpectrumJobOutcome r = run_spectrum_job(spec, job.source, job.dir, summary);
    outcome.converged = r.converged;
    line << r.line;
  } else if (spec.task == TaskType::kScan) {
    const ScanResult r = run_scan(spec, scan_opts, progress);
    write_file_atomic(job.dir, "scan.csv", scan_table_csv(spec, r));
    write_file_atomic(job.dir, "phases.csv", phases_table_csv(spec, r));
    outcome.converged = r.converged == r.branch_solves;
    summary["tables"] = {"scan.csv", "phases.csv"};
    summary["status"] = outcome.converged ? "converged" : "not_converged";
    summary["solver_statistics"] = {{"points", r.points.size()},
                                    {"branch_solves", r.branch_solves},
                                    {"converged", r.converged},
                                    {"cold_restarts", r.cold_restarts},
                                    {"map_evaluations", r.map_evaluations},
                                    {"map_evaluations_per_point",
                                     r.points.empty() ? 0.0 : double(r.map_evaluations) / r.points.size()}};
    if (scan_opts.shard_count > 1)
      summary["shard"] = {{"index", scan_opts.shard_index}, {"count", scan_opts.shard_count},
                          {"first_line", r.first_line}, {"end_line", r.end_line},
                          {"total_lines", r.total_lines}};
    summary["timing"] = {{"solve_seconds", r.seconds},
                         {"jobs", scan_opts.jobs},
                         {"total_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
    line << job.source << ": " << spec.model->id() << " scan, " << r.points.size() << " points, "
         << r.converged << "/" << r.branch_solves << " branch solves converged, " << std::fixed
         << std::setprecision(3) << r.seconds << " s -> " << job.dir;
  } else {
    const auto recs = solve_point(*spec.model, spec.point, spec.init, spec.solver);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<std::vector<std::string>> rows;
    long evaluations = 0, iterations = 0;
    int converged = 0;
    nlohmann::json sols = nlohmann::json::array();
    for (const auto& r : recs) {
      rows.push_back(solution_row(*spec.model, spec.point, r));
      evaluations += r.summary.map_evaluations;
      iterations += r.summary.iterations;
      converged += r.converged() ? 1 : 0;
      sols.push_back(solution_to_json(*spec.model, r));
    }
    outcome.converged = converged == static_cast<int>(recs.size());
    summary["tables"] = {"solutions.csv"};
    summary["status"] = outcome.converged ? "converged" : "not_converged";
    summary["solver_statistics"] = {{"solutions", recs.size()}, {"converged", converged},
                                    {"iterations", iterations}, {"map_evaluations", evaluations}};
    summary["solutions"] = sols;
    summary["timing"] = {{"solve_seconds", secs}, {"total_seconds", secs}};
    write_file_atomic(job.dir, "solutions.csv", csv_table(solution_columns(*spec.model), rows));
    line << job.source << ": " << spec.model->id() << " solve, " << converged << "/" << recs.size()
         << " converged, " << std::fixed << std::setprecision(3) << secs << " s -> " << job.dir;
    for (const auto& r : recs)
      if (!r.converged())
        line << "\n  not converged: branch " << r.branch << " (" << r.status() << ", residual "
             << format_number(r.summary.residual) << ")";
  }
  write_file_atomic(job.dir, "summary.json", summary.dump(2) + "\n");
  outcome.line = line.str();
  return outcome;
}

std::string sweep_dir_name(const std::vector<std::pair<std::string, double>>& sweep) {
  std::string name;
  for (const auto& [path, value] : sweep) {
    const auto dot = path.rfind('.');
    name += (name.empty() ? "" : ",") + (dot == std::string::npos ? path : path.substr(dot + 1)) + "=" +
            format_number(value);
  }
  return name;
}

// saddle run SPEC... [-o DIR] [--set PATH=VALUE ...] [--sweep PATH=FROM:TO:NUM ...]
int cmd_run(const std::vector<std::string>& spec_paths, const std::string& out_flag,
            const std::vector<std::string>& sets, const std::vector<std::string>& sweep_texts, int jobs,
            bool quiet, const std::string& shard_text, std::ostream& out, std::ostream& err) {
  // Everything is parsed and validated before any output directory is created.
  std::size_t shard_k = 1, shard_n = 1;
  if (!shard_text.empty()) {
    char tail = 0;
    if (std::sscanf(shard_text.c_str(), "%zu/%zu%c", &shard_k, &shard_n, &tail) != 2 || shard_n < 1 ||
        shard_k < 1 || shard_k > shard_n)
      throw InputError("cli.bad_shard", "--shard '" + shard_text + "'", "expected K/N with 1 <= K <= N, e.g. 2/8");
  }
  // ODE models and "trajectory" tasks run through apps/lib/trajectory_task.cpp, one spec at a time.
  for (const auto& path : spec_paths) {
    nlohmann::json doc = load_json_file(path);
    for (const auto& s : sets) apply_set(doc, s);
    if (!is_trajectory_spec(doc)) continue;
    if (spec_paths.size() > 1 || !sweep_texts.empty() || !shard_text.empty())
      throw InputError(
          "cli.trajectory_alone", path,
          "trajectory specs run one at a time, without --sweep or --shard; expected `saddle run " +
              path + " [-o DIR] [--set PATH=VALUE ...]`");
    const TrajectorySpec ts = parse_trajectory_spec(doc, path);
    const std::string dir = !out_flag.empty()        ? out_flag
                            : !ts.output_dir.empty() ? ts.output_dir
                                                     : default_output_dir(path);
    prepare_output_dir(dir);
    return execute_trajectory(ts, dir, sets, out);
  }
  std::vector<Sweep> sweeps;
  for (const auto& t : sweep_texts) sweeps.push_back(parse_sweep(t));
  std::vector<std::vector<std::pair<std::string, double>>> combos(1);
  for (const auto& sw : sweeps) {
    std::vector<std::vector<std::pair<std::string, double>>> next;
    for (const auto& c : combos)
      for (double v : sw.values) {
        auto c2 = c;
        c2.emplace_back(sw.path, v);
        next.push_back(c2);
      }
    combos = next;
  }
  std::vector<Job> job_list;
  std::vector<std::string> bases;
  for (const auto& path : spec_paths) {
    nlohmann::json doc = load_json_file(path);
    for (const auto& s : sets) apply_set(doc, s);
    std::string base;
    for (const auto& combo : combos) {
      nlohmann::json d = doc;
      std::vector<std::string> overrides = sets;
      for (const auto& [p, v] : combo) {
        const std::string assignment = p + "=" + format_number(v);
        try {
          apply_set(d, assignment);
        } catch (const InputError& e) {
          throw InputError(e.id(), "--sweep '" + p + "'", std::string(e.what()).substr(e.where().size() + 2));
        }
        overrides.push_back(assignment);
      }
      Job job{path, parse_spec(d, builtin_registry(), path), "", overrides, combo};
      if (spec_paths.size() == 1 && !out_flag.empty()) base = out_flag;
      else if (!out_flag.empty()) base = (std::filesystem::path(out_flag) / std::filesystem::path(path).stem()).string();
      else base = !job.spec.output_dir.empty() ? job.spec.output_dir : default_output_dir(path);
      job.dir = sweeps.empty() ? base : (std::filesystem::path(base) / sweep_dir_name(combo)).string();
      if (job.spec.task == TaskType::kScan) preflight_scan(job.spec);
      if (job.spec.task == TaskType::kPhaseDiagram) preflight_phase(job.spec);
      if (job.spec.task == TaskType::kContinuation) continuation_start(job.spec);
      if (job.spec.task != TaskType::kScan && shard_n > 1)
        throw InputError("cli.bad_shard", "--shard '" + shard_text + "'",
                         "only scan tasks can be sharded; " + path + " is a " + to_string(job.spec.task) + " task");
      job_list.push_back(std::move(job));
    }
    bases.push_back(base);
  }
  for (std::size_t i = 0; i < job_list.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (job_list[i].dir == job_list[j].dir)
        throw InputError("output.conflict", job_list[i].dir,
                         "both " + job_list[j].source + " and " + job_list[i].source +
                             " would write into this directory; expected distinct output.dir values or -o");
  for (const auto& job : job_list) prepare_output_dir(job.dir);

  const bool progress = !quiet && ::isatty(2);
  std::vector<JobOutcome> outcomes(job_list.size());
  if (job_list.size() == 1) {
    outcomes[0] = execute(job_list[0], scan_options(jobs, progress, shard_k, shard_n), err);
  } else {
    parallel_for(job_list.size(), jobs, [&](std::size_t i) {
      outcomes[i] = execute(job_list[i], scan_options(1, false, shard_k, shard_n), err);
    });
  }
  bool all = true;
  for (const auto& o : outcomes) {
    out << o.line << "\n";
    all = all && o.converged;
  }
  if (!sweeps.empty()) {
    // index table: one row per sweep value, per spec, in the base directory of that spec
    for (std::size_t s = 0; s < spec_paths.size(); ++s) {
      std::vector<std::string> cols;
      for (const auto& sw : sweeps) cols.push_back(sw.path);
      for (const char* c : {"dir", "status"}) cols.push_back(c);
      std::vector<std::vector<std::string>> rows;
      for (std::size_t i = 0; i < job_list.size(); ++i) {
        if (job_list[i].source != spec_paths[s] || i / combos.size() != s) continue;
        std::vector<std::string> row;
        for (const auto& kv : job_list[i].sweep) row.push_back(format_number(kv.second));
        row.push_back(sweep_dir_name(job_list[i].sweep));
        row.push_back(outcomes[i].converged ? "converged" : "not_converged");
        rows.push_back(row);
      }
      write_file_atomic(bases[s], "index.csv", csv_table(cols, rows));
    }
  }
  return exit_code(all ? ExitCode::kSuccess : ExitCode::kNotConverged);
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("file.missing", path, "no such file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// saddle merge OUT PART...: joins the shards of one scan, in shard order.
int cmd_merge(const std::string& out_dir, const std::vector<std::string>& parts, std::ostream& out) {
  std::vector<nlohmann::json> summaries;
  for (const auto& p : parts) {
    const nlohmann::json s = load_json_file((std::filesystem::path(p) / "summary.json").string());
    if (!s.contains("shard"))
      throw InputError("merge.not_a_shard", p, "summary.json has no shard record; expected the output of `saddle run --shard K/N`");
    summaries.push_back(s);
  }
  const std::size_t count = summaries[0]["shard"]["count"];
  std::vector<int> order(count, -1);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& s = summaries[i];
    if (s["spec"] != summaries[0]["spec"])
      throw InputError("merge.mismatch", parts[i], "comes from a different spec than " + parts[0]);
    if (s["shard"]["count"].get<std::size_t>() != count)
      throw InputError("merge.mismatch", parts[i], "is a part of " + s["shard"]["count"].dump() + ", not " + std::to_string(count));
    const std::size_t k = s["shard"]["index"];
    if (order[k - 1] >= 0)
      throw InputError("merge.duplicate", parts[i], "shard " + std::to_string(k) + " is also in " + parts[order[k - 1]]);
    order[k - 1] = static_cast<int>(i);
  }
  for (std::size_t k = 0; k < count; ++k)
    if (order[k] < 0)
      throw InputError("merge.missing", "merge", "shard " + std::to_string(k + 1) + "/" + std::to_string(count) + " is missing");
  prepare_output_dir(out_dir);
  nlohmann::json merged = summaries[static_cast<std::size_t>(order[0])];
  merged.erase("shard");
  long evals = 0, solves = 0, converged = 0, cold = 0, points = 0;
  double secs = 0;
  for (const char* table : {"scan.csv", "phases.csv"}) {
    std::string text;
    for (std::size_t k = 0; k < count; ++k) {
      const std::string part = read_text((std::filesystem::path(parts[static_cast<std::size_t>(order[k])]) / table).string());
      const auto nl = part.find('\n');
      text += k == 0 ? part : part.substr(nl == std::string::npos ? part.size() : nl + 1);
    }
    write_file_atomic(out_dir, table, text);
  }
  for (std::size_t k = 0; k < count; ++k) {
    const auto& st = summaries[static_cast<std::size_t>(order[k])]["solver_statistics"];
    evals += st["map_evaluations"].get<long>();
    solves += st["branch_solves"].get<long>();
    converged += st["converged"].get<long>();
    cold += st["cold_restarts"].get<long>();
    points += st["points"].get<long>();
    secs += summaries[static_cast<std::size_t>(order[k])]["timing"]["solve_seconds"].get<double>();
  }
  merged["solver_statistics"] = {{"points", points}, {"branch_solves", solves}, {"converged", converged},
                                 {"cold_restarts", cold}, {"map_evaluations", evals},
                                 {"map_evaluations_per_point", points ? double(evals) / points : 0.0}};
  merged["status"] = converged == solves ? "converged" : "not_converged";
  merged["timing"] = {{"solve_seconds_summed_over_shards", secs}};
  merged["merged_from"] = parts;
  write_file_atomic(out_dir, "summary.json", merged.dump(2) + "\n");
  out << "merged " << count << " shards, " << points << " points -> " << out_dir << "\n";
  return exit_code(converged == solves ? ExitCode::kSuccess : ExitCode::kNotConverged);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"saddle: solve the self-consistent equations of the statistical physics of learning"};
  app.set_version_flag("--version", std::string("saddle ") + saddle_version());
  app.require_subcommand(1);

  std::string out_dir, model_id, shard;
  std::vector<std::string> spec_paths, sets, assignments, sweeps, parts;
  bool as_json = false, quiet = false;
  int jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

  auto* run = app.add_subcommand("run", "run spec files, each into its own directory of tables and summary.json");
  run->add_option("specs", spec_paths, "spec files (JSON)")->required();
  run->add_option("-o,--output", out_dir,
                  "output directory (one spec; default: the spec's output.dir, else out/<spec name>), or "
                  "parent directory of one subdirectory per spec");
  run->add_option("--set", sets, "override a spec field, e.g. --set params.T=0.2 (repeatable)");
  run->add_option("--sweep", sweeps,
                  "run once per value of a spec field, PATH=FROM:TO:NUM, e.g. params.T=0.1:1:10 "
                  "(repeatable: the Cartesian product)");
  run->add_option("-j,--jobs", jobs, "parallel jobs: scan lines, or specs when several (default: all cores)")
      ->check(CLI::Range(1, 1024));
  run->add_flag("-q,--quiet", quiet, "no progress display");
  run->add_option("--shard", shard, "run the K-th of N deterministic parts of a scan grid, K/N");

  auto* merge = app.add_subcommand("merge", "join the shard directories of one scan into one result");
  merge->add_option("output", out_dir, "output directory")->required();
  merge->add_option("parts", parts, "shard directories (any order)")->required();

  auto* solve = app.add_subcommand("solve", "solve one parameter point from the model's default branches");
  solve->add_option("model", model_id, "model id (see `saddle models`)")->required();
  solve->add_option("assignments", assignments, "parameters and options as NAME=VALUE");
  solve->add_flag("--json", as_json, "print one JSON object instead of a table");
  solve->add_option("--set", sets, "solver override, e.g. --set solver.tol=1e-10 (repeatable)");

  std::string plot_dir, plot_column;
  auto* plot = app.add_subcommand("plot", "draw a result directory to DIR/plot.png and DIR/plot.svg (gnuplot)");
  plot->add_option("dir", plot_dir, "result directory of `saddle run`")->required();
  plot->add_option("--z", plot_column, "column of phases.csv to colour a scan by (default: the first order parameter)");

  CompareOptions compare_options;
  auto* compare = add_compare_subcommand(app, compare_options);
  SimulateOptions simulate_options;
  auto* simulate = add_simulate_subcommand(app, simulate_options);

  auto* models = app.add_subcommand("models", "list the models");
  auto* describe = app.add_subcommand("describe", "parameters, order parameters, branches and references of a model");
  describe->add_option("model", model_id, "model id")->required();

  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    out << "saddle " << saddle_version() << "\n";
    return 0;
  } catch (const CLI::ParseError& e) {
    err << "saddle: error: " << e.what() << " (see saddle --help)\n";
    return exit_code(ExitCode::kBadInput);
  }

  try {
    if (*run) return cmd_run(spec_paths, out_dir, sets, sweeps, jobs, quiet, shard, out, err);
    if (*merge) return cmd_merge(out_dir, parts, out);
    if (*compare) return run_compare(compare_options, out, err);
    if (*simulate) return run_simulate(simulate_options, out);
    if (*plot) {
      plot_result(plot_dir, plot_column, out);
      return 0;
    }
    if (*solve) return cmd_solve(model_id, assignments, as_json, sets, out);
    if (*models) return cmd_models(out);
    if (*describe) return cmd_describe(model_id, out);
  } catch (const InputError& e) {
    err << "saddle: error: " << e.what() << "\n";
    return exit_code(ExitCode::kBadInput);
  } catch (const std::exception& e) {
    err << "saddle: internal error: " << e.what() << "\n";
    return exit_code(ExitCode::kInternalError);
  }
  return exit_code(ExitCode::kBadInput);
}

}  // namespace saddle
