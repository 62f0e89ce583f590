#include "trajectory_task.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "json_input.hpp"
#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"

namespace saddle {

using nlohmann::json;

namespace {

}  // namespace

bool is_trajectory_spec(const json& doc) {
  if (!doc.is_object()) return false;
  if (doc.contains("task") && doc["task"].is_object() &&
      doc["task"].value("type", json()) == "trajectory")
    return true;
  return doc.contains("model") && doc["model"].is_string() &&
         find_builtin_ode_model(doc["model"]) && !builtin_registry().contains(doc["model"]);
}

Point resolve_ode_point(const OdeModel& model, const json& params, const json& options,
                        const std::string& source) {
  Point point = model.default_point();
  const auto infos = model.parameters();
  if (!params.is_null()) {
    if (!params.is_object())
      throw InputError("spec.wrong_type", where_of(source, "/params"),
                       "expected an object, got " + params.dump());
    for (auto it = params.begin(); it != params.end(); ++it) {
      const std::string path = "/params/" + it.key();
      const int i = model.parameter_index(it.key());
      if (i < 0)
        throw InputError("param.unknown", where_of(source, path),
                         "unknown parameter '" + it.key() + "' of model " + model.id() +
                             did_you_mean(it.key(), model.parameter_names()) +
                             "; parameters: " + join(model.parameter_names()));
      const double v = require_number(it.value(), source, path);
      const auto& info = infos[static_cast<std::size_t>(i)];
      if (!info.contains(v))
        throw InputError(
            "param.out_of_range", where_of(source, path),
            "value " + format_number(v) + " is out of range; expected " + info.range_text());
      point.params[i] = v;
    }
  }
  if (!options.is_null()) {
    if (!options.is_object())
      throw InputError("spec.wrong_type", where_of(source, "/options"),
                       "expected an object, got " + options.dump());
    const auto opts = model.options();
    for (auto it = options.begin(); it != options.end(); ++it) {
      const std::string path = "/options/" + it.key();
      const int i = model.option_index(it.key());
      if (i < 0)
        throw InputError("option.unknown", where_of(source, path),
                         "unknown option '" + it.key() + "' of model " + model.id() +
                             did_you_mean(it.key(), model.option_names()) +
                             (opts.empty() ? "; this model has no options"
                                           : "; options: " + join(model.option_names())));
      const std::string value = require_string(it.value(), source, path);
      const auto& info = opts[static_cast<std::size_t>(i)];
      if (std::find(info.choices.begin(), info.choices.end(), value) == info.choices.end())
        throw InputError("option.bad_choice", where_of(source, path),
                         "'" + value + "' is not a choice of " + info.name +
                             did_you_mean(value, info.choices) + "; expected one of " +
                             join(info.choices));
      point.options[static_cast<std::size_t>(i)] = value;
    }
  }
  try {
    model.validate(point);
  } catch (const InputError& e) {
    throw InputError(e.id(), where_of(source, e.where()),
                     std::string(e.what()).substr(e.where().size() + 2));
  }
  return point;
}

TrajectorySpec parse_trajectory_spec(const json& doc, const std::string& source) {
  TrajectorySpec spec;
  spec.source = source;
  check_keys(doc, {"saddle", "model", "params", "options", "task", "ode", "output", "description"},
             source, "");
  if (!doc.contains("saddle") || !doc["saddle"].is_number_integer() ||
      doc["saddle"].get<int>() != kSpecVersion)
    throw InputError("spec.bad_version", where_of(source, "/saddle"),
                     "missing or unsupported spec version; expected 1");
  if (!doc.contains("model")) throw InputError("spec.missing_key", source, "missing key 'model'");
  const std::string id = require_string(doc["model"], source, "/model");
  spec.model = find_builtin_ode_model(id);
  if (!spec.model)
    throw InputError("model.unknown", where_of(source, "/model"),
                     "model '" + id + "' has no trajectory (ODE) form" +
                         did_you_mean(id, builtin_ode_model_ids()) +
                         "; ODE models: " + join(builtin_ode_model_ids()));
  spec.point = resolve_ode_point(*spec.model, doc.value("params", json()),
                                 doc.value("options", json()), source);

  if (!doc.contains("task"))
    throw InputError(
        "spec.missing_key", source,
        "missing key 'task'; expected {\"type\": \"trajectory\", \"to\": ...} for ODE model " + id);
  const json& task = doc["task"];
  check_keys(task, {"type", "to", "num", "spacing", "first"}, source, "/task");
  const std::string type = require_string(task.value("type", json("")), source, "/task/type");
  if (type != "trajectory")
    throw InputError("task.unknown_type", where_of(source, "/task/type"),
                     "task type '" + type + "' is not available for the ODE model " + id +
                         "; expected trajectory");
  if (!task.contains("to"))
    throw InputError("spec.missing_key", where_of(source, "/task"), "missing key 'to' (the last time)");
  const double to = require_number(task["to"], source, "/task/to");
  if (!(to > 0))
    throw InputError("spec.bad_value", where_of(source, "/task/to"),
                     "to = " + format_number(to) + " is out of range; expected > 0");
  const double numd = task.contains("num") ? require_number(task["num"], source, "/task/num") : 201;
  if (numd != std::floor(numd) || numd < 2 || numd > 1e7)
    throw InputError(
        "spec.bad_value", where_of(source, "/task/num"),
        "num = " + format_number(numd) + " is out of range; expected an integer from 2 to 10^7");
  const int num = static_cast<int>(numd);
  const std::string spacing =
      task.contains("spacing") ? require_string(task["spacing"], source, "/task/spacing") : "linear";
  if (spacing != "linear" && spacing != "log")
    throw InputError("spec.bad_value", where_of(source, "/task/spacing"),
                     "'" + spacing + "' is not a spacing" +
                         did_you_mean(spacing, {"linear", "log"}) + "; expected linear or log");
  double first = to / 1000;
  if (task.contains("first")) {
    if (spacing != "log")
      throw InputError("spec.bad_value", where_of(source, "/task/first"),
                       "'first' applies to log spacing only");
    first = require_number(task["first"], source, "/task/first");
    if (!(first > 0 && first < to))
      throw InputError("spec.bad_value", where_of(source, "/task/first"),
                       "first = " + format_number(first) +
                           " is out of range; expected 0 < first < to = " + format_number(to));
  }
  spec.times.push_back(0.0);
  for (int i = 1; i < num; ++i) {
    if (spacing == "linear")
      spec.times.push_back(i == num - 1 ? to : to * i / (num - 1));
    else
      spec.times.push_back(i == num - 1
                               ? to
                               : std::exp(std::log(first) + (std::log(to) - std::log(first)) *
                                                                (i - 1) / std::max(1, num - 2)));
  }

  if (doc.contains("ode")) {
    const json& o = doc["ode"];
    check_keys(o, {"stepper", "rel_tol", "abs_tol", "initial_step", "max_steps"}, source, "/ode");
    if (o.contains("stepper")) {
      try {
        spec.ode.stepper =
            ode_stepper_from_string(require_string(o["stepper"], source, "/ode/stepper"));
      } catch (const InputError& e) {
        throw InputError(e.id(), where_of(source, "/ode/stepper"),
                         std::string(e.what()).substr(e.where().size() + 2));
      }
    }
    if (o.contains("rel_tol")) spec.ode.rel_tol = require_number(o["rel_tol"], source, "/ode/rel_tol");
    if (o.contains("abs_tol")) spec.ode.abs_tol = require_number(o["abs_tol"], source, "/ode/abs_tol");
    if (o.contains("initial_step"))
      spec.ode.initial_step = require_number(o["initial_step"], source, "/ode/initial_step");
    if (o.contains("max_steps")) {
      const double m = require_number(o["max_steps"], source, "/ode/max_steps");
      if (m != std::floor(m) || m < 1 || m > 9e15)
        throw InputError(
            "ode.bad_option", where_of(source, "/ode/max_steps"),
            "max_steps = " + format_number(m) + " is out of range; expected an integer >= 1");
      spec.ode.max_steps = static_cast<long>(m);
    }
  }
  try {
    spec.ode.validate();
  } catch (const InputError& e) {
    std::string field = e.where().substr(4);  // "ode.rel_tol" -> "rel_tol"
    throw InputError(e.id(), where_of(source, "/ode/" + field),
                     std::string(e.what()).substr(e.where().size() + 2));
  }
  if (doc.contains("output")) {
    check_keys(doc["output"], {"dir"}, source, "/output");
    if (doc["output"].contains("dir"))
      spec.output_dir = require_string(doc["output"]["dir"], source, "/output/dir");
  }

  json params = json::object(), options = json::object();
  const auto pn = spec.model->parameter_names();
  for (std::size_t i = 0; i < pn.size(); ++i)
    params[pn[i]] = spec.point.params[static_cast<Eigen::Index>(i)];
  const auto on = spec.model->option_names();
  for (std::size_t i = 0; i < on.size(); ++i) options[on[i]] = spec.point.options[i];
  spec.resolved = {
      {"saddle", kSpecVersion},
      {"model", id},
      {"params", params},
      {"options", options},
      {"task", {{"type", "trajectory"}, {"to", to}, {"num", num}, {"spacing", spacing}}},
      {"ode",
       {{"stepper", to_string(spec.ode.stepper)},
        {"rel_tol", spec.ode.rel_tol},
        {"abs_tol", spec.ode.abs_tol},
        {"initial_step", spec.ode.initial_step},
        {"max_steps", spec.ode.max_steps}}}};
  if (spacing == "log") spec.resolved["task"]["first"] = first;
  if (!spec.output_dir.empty()) spec.resolved["output"] = {{"dir", spec.output_dir}};
  return spec;
}

TrajectoryRun run_trajectory(const TrajectorySpec& spec) {
  TrajectoryRun run;
  const OdeModel& model = *spec.model;
  const Point& p = spec.point;
  run.summary = OdeIntegrator(spec.ode).integrate(
      [&](const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double t) { model.rhs(x, dxdt, t, p); },
      model.initial_state(p), spec.times,
      [&](const Eigen::VectorXd& x, double t) {
        run.times.push_back(t);
        run.states.push_back(x);
        run.observables.push_back(model.observable_values(x, t, p));
      });
  if (!run.times.empty()) run.results = model.analyse(run.times, run.states, p);
  return run;
}

std::vector<std::string> trajectory_columns(const OdeModel& model, const Point& point) {
  std::vector<std::string> cols = {model.time_name()};
  for (const auto& n : model.state_names(point)) cols.push_back(n);
  for (const auto& n : model.observable_names(point)) cols.push_back(n);
  cols.push_back("status");
  return cols;
}

int execute_trajectory(const TrajectorySpec& spec, const std::string& dir,
                       const std::vector<std::string>& overrides, std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  const TrajectoryRun run = run_trajectory(spec);
  const OdeModel& model = *spec.model;
  const auto cols = trajectory_columns(model, spec.point);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < spec.times.size(); ++i) {
    std::vector<std::string> row;
    if (i < run.times.size()) {
      row.push_back(csv_number(run.times[i]));
      for (Eigen::Index k = 0; k < run.states[i].size(); ++k)
        row.push_back(csv_number(run.states[i][k]));
      for (Eigen::Index k = 0; k < run.observables[i].size(); ++k)
        row.push_back(csv_number(run.observables[i][k]));
      row.push_back(model.row_status(run.states[i], run.times[i], spec.point));
    } else {
      row.push_back(csv_number(spec.times[i]));
      row.resize(cols.size() - 1);
      row.push_back("not_reached");
    }
    rows.push_back(row);
  }
  write_file_atomic(dir, "trajectory.csv", csv_table(cols, rows));
  std::map<std::string, int> not_ok;  // rows whose model status is not "ok", by status
  for (const auto& row : rows)
    if (row.back() != "ok") ++not_ok[row.back()];
  std::vector<std::vector<std::string>> rrows;
  json results = json::object();
  for (const auto& r : run.results) {
    rrows.push_back({r.name, r.found ? csv_number(r.value) : "", r.found ? "found" : "not_found",
                     r.description});
    results[r.name] = {{"value", r.found ? json(r.value) : json(nullptr)},
                       {"found", r.found},
                       {"description", r.description}};
  }
  write_file_atomic(dir, "results.csv",
                    csv_table({"name", "value", "status", "description"}, rrows));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json summary;
  summary["schema_version"] = kOutputSchemaVersion;
  summary["saddle_version"] = saddle_version();
  summary["source"] = spec.source;
  summary["spec"] = spec.resolved;
  if (!overrides.empty()) summary["overrides"] = overrides;
  summary["tables"] = {"trajectory.csv", "results.csv"};
  summary["status"] = to_string(run.summary.status);
  summary["results"] = results;
  summary["rows_not_ok"] = not_ok;
  summary["solver_statistics"] = {{"steps", run.summary.steps},
                                  {"rhs_evaluations", run.summary.rhs_evaluations},
                                  {"reached", run.summary.reached},
                                  {"message", run.summary.message}};
  summary["timing"] = {{"integrate_seconds", run.summary.elapsed_seconds}, {"total_seconds", secs}};
  write_file_atomic(dir, "summary.json", summary.dump(2) + "\n");
  out << spec.source << ": " << model.id() << " trajectory, " << run.summary.brief_report() << ", "
      << std::fixed << std::setprecision(3) << secs << " s -> " << dir << "\n";
  for (const auto& [status, count] : not_ok)
    out << "  " << count << " rows marked " << status << "\n";
  for (const auto& r : run.results)
    if (r.found) out << "  " << r.name << " = " << format_number(r.value) << "\n";
  return run.summary.completed() ? 0 : 1;
}

}  // namespace saddle

namespace saddle {

int describe_ode_model(const std::string& id, std::ostream& out) {
  const OdeModel& model = *find_builtin_ode_model(id);
  auto pad = [](const std::string& s, std::size_t w) {
    return s.size() >= w ? s + " " : s + std::string(w - s.size(), ' ');
  };
  out << model.id() << ": " << model.title() << "\n\n";
  describe_parameters_and_options(model.parameters(), model.options(), 13, out);
  const Point p = model.default_point();
  out << "\nstate (at the defaults), time " << model.time_name() << ":\n  ";
  for (const auto& n : model.state_names(p)) out << n << " ";
  out << "\n\nobservables:\n";
  for (const auto& o : model.observables(p))
    out << "  " << pad(o.name, 13) << o.description << "\n";
  out << "\ntask: {\"type\": \"trajectory\", \"to\": ..., \"num\": ..., \"spacing\": \"linear\" | "
         "\"log\"}\n";
  out << "\nreferences:\n";
  for (const auto& r : model.references())
    out << "  " << r.citation << "\n    " << r.used_for << "\n";
  return 0;
}

}  // namespace saddle

namespace saddle {

std::string trajectory_plot_body(const std::string& dir, const std::string& column) {
  std::ifstream in(dir + "/trajectory.csv");
  if (!in) throw InputError("file.missing", dir + "/trajectory.csv", "no such file");
  std::string header;
  std::getline(in, header);
  std::vector<std::string> cols;
  std::stringstream ss(header);
  for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
  std::string y = column;
  if (y.empty())
    y = std::find(cols.begin(), cols.end(), "eps_g") != cols.end() ? "eps_g" : cols.at(1);
  const auto it = std::find(cols.begin(), cols.end(), y);
  if (it == cols.end() || it == cols.begin())
    throw InputError("plot.unknown_column", "trajectory.csv",
                     "no column '" + y + "'" + did_you_mean(y, cols) + "; columns: " + join(cols));
  const std::string cy = std::to_string(it - cols.begin() + 1), cs = std::to_string(cols.size());
  std::ostringstream b;
  b << "set xlabel '" << cols[0] << "' noenhanced\nset ylabel '" << y << "' noenhanced\n";
  if (y == "eps_g") b << "set logscale y\nset format y '%g'\n";
  b << "plot 'trajectory.csv' using 1:(strcol(" << cs << ") eq 'ok' ? column(" << cy
    << ") : NaN) every ::1 with lines lw 2 lc rgb '#1f77b4' title '" << y << "', \\\n"
    << "     'trajectory.csv' using 1:(strcol(" << cs << ") eq 'ok' ? NaN : column(" << cy
    << ")) every ::1 with points pt 7 ps 0.4 lc rgb '#d62728' title 'status not ok'\n";
  return b.str();
}

}  // namespace saddle
