#include "saddle/spec.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "json_input.hpp"
#include "kernel_task.hpp"
#include "saddle/error.hpp"

namespace saddle {

using nlohmann::json;

#ifndef SADDLE_VERSION
#define SADDLE_VERSION "0.0.0"
#endif
const char* saddle_version() { return SADDLE_VERSION; }

std::string to_string(TaskType t) {
  switch (t) {
    case TaskType::kSolve: return "solve";
    case TaskType::kContinuation: return "continuation";
    case TaskType::kScan: return "scan";
    case TaskType::kPhaseDiagram: return "phase_diagram";
    case TaskType::kKernel: return "kernel";
    case TaskType::kSpectrum: return "spectrum";
  }
  return "solve";
}

namespace {

// Rewrites an InputError thrown by an Options::validate() or from_string so that it names the
// spec file and JSON path of the offending field.
template <class Fn>
void with_solver_context(const std::string& where_prefix, Fn&& fn) {
  try {
    fn();
  } catch (const InputError& e) {
    std::string field = e.where();
    const std::string prefix = "solver.";
    if (field.rfind(prefix, 0) != 0) throw;  // already names its JSON path
    field = field.substr(prefix.size());
    const std::string message = std::string(e.what()).substr(
        e.where().empty() ? 0 : e.where().size() + 2);
    throw InputError(e.id(), where_prefix + "/solver/" + field, message);
  }
}

}  // namespace

json load_json_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw InputError("file.missing", path, "no such file");
  if (std::filesystem::is_directory(path, ec))
    throw InputError("file.unreadable", path, "is a directory, expected a JSON file");
  std::ifstream in(path);
  if (!in) throw InputError("file.unreadable", path, "cannot open file for reading");
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return json::parse(buffer.str());
  } catch (const json::parse_error& e) {
    std::string reason = e.what();
    const auto pos = reason.find("] ");
    if (pos != std::string::npos) reason = reason.substr(pos + 2);
    throw InputError("spec.malformed_json", path, "malformed JSON: " + reason);
  } catch (const json::out_of_range& e) {
    // nlohmann reports literals such as 1e999 as overflow rather than infinity.
    std::string reason = e.what();
    const auto pos = reason.find("] ");
    if (pos != std::string::npos) reason = reason.substr(pos + 2);
    throw InputError("spec.not_finite", path, reason + "; expected a finite number");
  }
}

void apply_set(json& spec, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("set.bad_syntax", "--set '" + assignment + "'", "expected PATH=VALUE, e.g. params.T=0.2");
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  json value;
  if (text == "nan" || text == "NaN")
    value = std::nan("");
  else if (text == "inf" || text == "+inf" || text == "infinity")
    value = kInf;
  else if (text == "-inf" || text == "-infinity")
    value = -kInf;
  else {
    try {
      value = json::parse(text);
    } catch (const json::parse_error&) {
      value = text;  // a bare word such as rademacher
    }
  }
  if (!spec.is_object())
    throw InputError("set.bad_path", "--set '" + assignment + "'", "the spec is not a JSON object");
  json* node = &spec;
  std::string walked;
  std::size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (key.empty())
      throw InputError("set.bad_path", "--set '" + assignment + "'",
                       "empty component in path '" + path + "'; expected names joined by dots");
    walked += (walked.empty() ? "" : ".") + key;
    if (node->is_array()) {
      char* end = nullptr;
      const long index = std::strtol(key.c_str(), &end, 10);
      if (*end != '\0' || index < 0 || static_cast<std::size_t>(index) >= node->size())
        throw InputError("set.bad_path", "--set '" + assignment + "'",
                         "'" + walked + "' is not an index of an array of " +
                             std::to_string(node->size()) + " elements");
      node = &(*node)[static_cast<std::size_t>(index)];
    } else if (node->is_object() || node->is_null()) {
      node = &(*node)[key];
    } else {
      throw InputError("set.bad_path", "--set '" + assignment + "'",
                       "cannot set '" + walked + "': its parent holds a " + type_name(*node) +
                           ", not an object");
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  *node = value;
}

Point resolve_point(const FixedPointModel& model, const json& params, const json& options,
                    const std::string& source, const std::string& params_path,
                    const std::string& options_path) {
  Point point = model.default_point();
  const auto infos = model.parameters();
  const auto opts = model.options();
  const auto param_names = model.parameter_names();
  const auto option_names = model.option_names();
  if (!params.is_null()) {
    require_object(params, source, params_path);
    for (auto it = params.begin(); it != params.end(); ++it) {
      const std::string path = params_path.empty() ? it.key() : params_path + "/" + it.key();
      const int i = model.parameter_index(it.key());
      if (i < 0) {
        std::string hint = did_you_mean(it.key(), param_names);
        if (hint.empty() && model.option_index(it.key()) >= 0)
          hint = " ('" + it.key() + "' is an option: put it under /options)";
        throw InputError("param.unknown", where_of(source, path),
                         "unknown parameter '" + it.key() + "' of model " + model.id() + hint +
                             "; parameters: " + join(param_names));
      }
      const auto& info = infos[static_cast<std::size_t>(i)];
      if (!it.value().is_number() || it.value().is_boolean())
        throw InputError("spec.wrong_type", where_of(source, path),
                         "expected a number, got " + describe_value(it.value()));
      const double v = it.value().get<double>();
      if (!std::isfinite(v))
        throw InputError("param.not_finite", where_of(source, path),
                         "value " + format_number(v) + " is not a finite number; expected " +
                             info.range_text());
      if (!info.contains(v))
        throw InputError("param.out_of_range", where_of(source, path),
                         "value " + format_number(v) + " is out of range; expected " +
                             info.range_text());
      point.params[i] = v;
    }
  }
  if (!options.is_null()) {
    require_object(options, source, options_path);
    for (auto it = options.begin(); it != options.end(); ++it) {
      const std::string path = options_path.empty() ? it.key() : options_path + "/" + it.key();
      const int i = model.option_index(it.key());
      if (i < 0) {
        std::string hint = did_you_mean(it.key(), option_names);
        if (hint.empty() && model.parameter_index(it.key()) >= 0)
          hint = " ('" + it.key() + "' is a parameter: put it under /params)";
        throw InputError("option.unknown", where_of(source, path),
                         "unknown option '" + it.key() + "' of model " + model.id() + hint +
                             (option_names.empty() ? "; this model has no options"
                                                   : "; options: " + join(option_names)));
      }
      const auto& info = opts[static_cast<std::size_t>(i)];
      const std::string value = require_string(it.value(), source, path);
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
                     std::string(e.what()).substr(e.where().empty() ? 0 : e.where().size() + 2));
  }
  return point;
}

json params_to_json(const FixedPointModel& model, const Point& point) {
  json out = json::object();
  const auto names = model.parameter_names();
  for (std::size_t i = 0; i < names.size(); ++i) out[names[i]] = point.params[static_cast<Eigen::Index>(i)];
  return out;
}

json options_to_json(const FixedPointModel& model, const Point& point) {
  json out = json::object();
  const auto names = model.option_names();
  for (std::size_t i = 0; i < names.size(); ++i) out[names[i]] = point.options[i];
  return out;
}

SolverSettings parse_solver_settings(const json& section, const std::string& where_prefix) {
  SolverSettings s;
  if (section.is_null()) {
    with_solver_context(where_prefix, [&] { s.validate(); });
    return s;
  }
  const std::string src = where_prefix;
  require_object(section, "", src + "/solver");
  static const std::vector<std::string> keys = {
      "method",  "tol",    "max_iter",      "damping",        "adaptive_damping",
      "min_damping", "depth", "mixing", "max_condition", "restart_factor",
      "jacobian", "newton_backend", "fd_step", "line_search", "min_step"};
  check_keys(section, keys, "", src + "/solver");
  auto path = [&](const char* key) { return src + "/solver/" + key; };
  with_solver_context(where_prefix, [&] {
    for (auto it = section.begin(); it != section.end(); ++it) {
      const std::string& k = it.key();
      const json& v = it.value();
      const std::string p = path(k.c_str());
      if (k == "method") s.method = solver_method_from_string(require_string(v, "", p));
      else if (k == "tol") s.tol = require_number(v, "", p);
      else if (k == "max_iter") s.max_iterations = require_int(v, "", p);
      else if (k == "damping") s.damped.damping = require_number(v, "", p);
      else if (k == "adaptive_damping") s.damped.adaptive = require_bool(v, "", p);
      else if (k == "min_damping") s.damped.min_damping = require_number(v, "", p);
      else if (k == "depth") s.anderson.depth = require_int(v, "", p);
      else if (k == "mixing") s.anderson.mixing = require_number(v, "", p);
      else if (k == "max_condition") s.anderson.max_condition = require_number(v, "", p);
      else if (k == "restart_factor") s.anderson.restart_factor = require_number(v, "", p);
      else if (k == "jacobian") s.newton.jacobian = jacobian_source_from_string(require_string(v, "", p));
      else if (k == "newton_backend") s.newton.backend = newton_backend_from_string(require_string(v, "", p));
      else if (k == "fd_step") s.newton.fd_step = require_number(v, "", p);
      else if (k == "line_search") s.newton.line_search = require_bool(v, "", p);
      else if (k == "min_step") s.newton.min_step = require_number(v, "", p);
    }
    s.validate();
  });
  return s;
}

json solver_settings_to_json(const SolverSettings& s) {
  return json{{"method", to_string(s.method)},
              {"tol", s.tol},
              {"max_iter", s.max_iterations},
              {"damping", s.damped.damping},
              {"adaptive_damping", s.damped.adaptive},
              {"min_damping", s.damped.min_damping},
              {"depth", s.anderson.depth},
              {"mixing", s.anderson.mixing},
              {"max_condition", s.anderson.max_condition},
              {"restart_factor", s.anderson.restart_factor},
              {"jacobian", to_string(s.newton.jacobian)},
              {"newton_backend", to_string(s.newton.backend)},
              {"fd_step", s.newton.fd_step},
              {"line_search", s.newton.line_search},
              {"min_step", s.newton.min_step}};
}

std::size_t ScanTask::line_count() const {
  std::size_t n = 1;
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (static_cast<int>(i) != along) n *= axes[i].values.size();
  return n;
}

std::size_t ScanTask::point_count() const {
  return axes.empty() ? 0 : line_count() * axes[static_cast<std::size_t>(along)].values.size();
}

namespace {

GridAxis parse_axis(const json& v, const ParameterInfo& info, int index, const std::string& source,
                    const std::string& path) {
  GridAxis axis;
  axis.name = info.name;
  axis.param_index = index;
  require_object(v, source, path);
  if (v.contains("values")) {
    check_keys(v, {"values"}, source, path);
    const json& values = v["values"];
    if (!values.is_array() || values.empty())
      throw InputError("spec.wrong_type", where_of(source, path + "/values"),
                       "expected a non-empty array of numbers, got " + describe_value(values));
    for (std::size_t i = 0; i < values.size(); ++i)
      axis.values.push_back(require_number(values[i], source, path + "/values/" + std::to_string(i)));
  } else {
    check_keys(v, {"from", "to", "num", "spacing"}, source, path);
    for (const char* key : {"from", "to", "num"})
      if (!v.contains(key))
        throw InputError("spec.missing_key", where_of(source, path),
                         std::string("missing key '") + key +
                             "'; expected {\"from\": A, \"to\": B, \"num\": N} or {\"values\": [...]}");
    const double from = require_number(v["from"], source, path + "/from");
    const double to = require_number(v["to"], source, path + "/to");
    const int num = require_int(v["num"], source, path + "/num");
    if (num < 1 || num > 10000000)
      throw InputError("spec.bad_value", where_of(source, path + "/num"),
                       "num = " + std::to_string(num) + " is out of range; expected 1 <= num <= 10000000");
    if (num == 1 && from != to)
      throw InputError("spec.bad_value", where_of(source, path + "/num"),
                       "num = 1 needs from == to; expected num >= 2 for a range");
    const std::string spacing = v.contains("spacing") ? require_string(v["spacing"], source, path + "/spacing") : "linear";
    if (spacing != "linear" && spacing != "log")
      throw InputError("spec.bad_value", where_of(source, path + "/spacing"),
                       "'" + spacing + "' is not a spacing" + did_you_mean(spacing, {"linear", "log"}) +
                           "; expected linear or log");
    if (spacing == "log" && !(from > 0 && to > 0))
      throw InputError("spec.bad_value", where_of(source, path + "/spacing"),
                       "log spacing needs from > 0 and to > 0, got from = " + format_number(from) +
                           ", to = " + format_number(to));
    for (int i = 0; i < num; ++i) {
      const double t = num == 1 ? 0.0 : static_cast<double>(i) / (num - 1);
      double x = spacing == "log" ? std::exp(std::log(from) + t * (std::log(to) - std::log(from)))
                                  : from + t * (to - from);
      if (i == num - 1) x = to;  // land exactly on the end point
      if (i == 0) x = from;
      axis.values.push_back(x);
    }
  }
  for (std::size_t i = 0; i < axis.values.size(); ++i)
    if (!info.contains(axis.values[i]))
      throw InputError("param.out_of_range", where_of(source, path),
                       "grid value " + format_number(axis.values[i]) + " is out of range; expected " +
                           info.range_text());
  return axis;
}

}  // namespace

ScanTask parse_scan_task(const json& task, const FixedPointModel& model, const Point& point,
                         const std::string& source) {
  check_keys(task, {"type", "grid", "along", "branches"}, source, "/task");
  if (!task.contains("grid"))
    throw InputError("spec.missing_key", where_of(source, "/task"),
                     "missing key 'grid'; expected {\"grid\": {\"PARAM\": {\"from\": A, \"to\": B, \"num\": N}}}");
  const json& grid = require_object(task["grid"], source, "/task/grid");
  if (grid.empty())
    throw InputError("spec.bad_value", where_of(source, "/task/grid"),
                     "empty grid; expected at least one parameter axis");
  ScanTask scan;
  const auto infos = model.parameters();
  for (auto it = grid.begin(); it != grid.end(); ++it)
    if (model.parameter_index(it.key()) < 0)
      throw InputError("param.unknown", where_of(source, "/task/grid/" + it.key()),
                       "unknown parameter '" + it.key() + "' of model " + model.id() +
                           did_you_mean(it.key(), model.parameter_names()) + "; parameters: " +
                           join(model.parameter_names()));
  for (std::size_t i = 0; i < infos.size(); ++i)  // model parameter order, not JSON key order
    if (grid.contains(infos[i].name))
      scan.axes.push_back(parse_axis(grid[infos[i].name], infos[i], static_cast<int>(i), source,
                                     "/task/grid/" + infos[i].name));
  if (task.contains("along")) {
    const std::string along = require_string(task["along"], source, "/task/along");
    std::vector<std::string> names;
    for (const auto& a : scan.axes) names.push_back(a.name);
    const auto it = std::find(names.begin(), names.end(), along);
    if (it == names.end())
      throw InputError("spec.bad_value", where_of(source, "/task/along"),
                       "'" + along + "' is not a grid axis" + did_you_mean(along, names) +
                           "; expected one of " + join(names));
    scan.along = static_cast<int>(it - names.begin());
  }
  if (task.contains("branches")) {
    const json& b = task["branches"];
    if (!b.is_array() || b.empty())
      throw InputError("spec.wrong_type", where_of(source, "/task/branches"),
                       "expected a non-empty array of branch names, got " + describe_value(b));
    for (std::size_t i = 0; i < b.size(); ++i) {
      const std::string name = require_string(b[i], source, "/task/branches/" + std::to_string(i));
      scan.branches.push_back(name);
    }
  }
  if (scan.point_count() > 100000000)
    throw InputError("spec.bad_value", where_of(source, "/task/grid"),
                     "the grid has " + std::to_string(scan.point_count()) +
                         " points; expected at most 1e8");
  return scan;
}

json scan_task_to_json(const ScanTask& scan) {
  json grid = json::object();
  for (const auto& a : scan.axes) grid[a.name] = json{{"values", a.values}};
  json out{{"type", "scan"}, {"grid", grid}, {"along", scan.axes[static_cast<std::size_t>(scan.along)].name}};
  if (!scan.branches.empty()) out["branches"] = scan.branches;
  return out;
}

std::string to_string(BoundaryKind k) {
  switch (k) {
    case BoundaryKind::kInstability: return "instability";
    case BoundaryKind::kCritical: return "critical";
    case BoundaryKind::kFold: return "fold";
    case BoundaryKind::kFirstOrder: return "first_order";
  }
  return "instability";
}

ContinuationTask parse_continuation_task(const json& task, const FixedPointModel& model,
                                         const SolverSettings& solver, const std::string& source) {
  check_keys(task, {"type", "parameter", "from", "to", "step", "method", "branch", "stability", "milestones",
                    "min_step", "max_step", "max_points", "fold_tol", "max_angle_deg", "tol"},
             source, "/task");
  ContinuationTask c;
  for (const char* key : {"parameter", "from", "to"})
    if (!task.contains(key))
      throw InputError("spec.missing_key", where_of(source, "/task"),
                       std::string("missing key '") + key +
                           "'; expected {\"type\": \"continuation\", \"parameter\": P, \"from\": A, \"to\": B}");
  const std::string name = require_string(task["parameter"], source, "/task/parameter");
  c.parameter = model.parameter_index(name);
  if (c.parameter < 0)
    throw InputError("param.unknown", where_of(source, "/task/parameter"),
                     "unknown parameter '" + name + "' of model " + model.id() +
                         did_you_mean(name, model.parameter_names()) + "; parameters: " + join(model.parameter_names()));
  Continuation::Options& o = c.options;
  o.from = require_number(task["from"], source, "/task/from");
  o.to = require_number(task["to"], source, "/task/to");
  const auto info = model.parameters()[static_cast<std::size_t>(c.parameter)];
  for (const char* key : {"from", "to"}) {
    const double v = task[key].get<double>();
    if (!info.contains(v))
      throw InputError("param.out_of_range", where_of(source, std::string("/task/") + key),
                       "value " + format_number(v) + " is out of range; expected " + info.range_text());
  }
  if (task.contains("step")) o.step = require_number(task["step"], source, "/task/step");
  if (task.contains("min_step")) o.min_step = require_number(task["min_step"], source, "/task/min_step");
  if (task.contains("max_step")) o.max_step = require_number(task["max_step"], source, "/task/max_step");
  if (task.contains("max_points")) o.max_points = require_int(task["max_points"], source, "/task/max_points");
  if (task.contains("fold_tol")) o.fold_tol = require_number(task["fold_tol"], source, "/task/fold_tol");
  if (task.contains("max_angle_deg")) o.max_angle_deg = require_number(task["max_angle_deg"], source, "/task/max_angle_deg");
  o.tol = task.contains("tol") ? require_number(task["tol"], source, "/task/tol") : solver.tol;
  if (task.contains("milestones")) {
    const json& m = task["milestones"];
    if (!m.is_array())
      throw InputError("spec.wrong_type", where_of(source, "/task/milestones"),
                       "expected an array of parameter values, got " + describe_value(m));
    for (std::size_t i = 0; i < m.size(); ++i)
      o.milestones.push_back(require_number(m[i], source, "/task/milestones/" + std::to_string(i)));
  }
  if (task.contains("branch")) c.branch = require_string(task["branch"], source, "/task/branch");
  if (task.contains("stability")) {
    const std::string obs = require_string(task["stability"], source, "/task/stability");
    const auto names = model.observable_names();
    const auto it = std::find(names.begin(), names.end(), obs);
    if (it == names.end())
      throw InputError("spec.bad_value", where_of(source, "/task/stability"),
                       "'" + obs + "' is not an observable of " + model.id() + did_you_mean(obs, names) +
                           "; expected one of " + join(names));
    c.indicator = static_cast<int>(it - names.begin());
  }
  o.jacobian = solver.newton.jacobian;
  o.fd_step = solver.newton.fd_step;
  try {
    if (task.contains("method"))
      o.method = continuation_method_from_string(require_string(task["method"], source, "/task/method"));
    o.validate();
  } catch (const InputError& e) {
    if (e.where().rfind("task.", 0) != 0) throw;
    throw InputError(e.id(), where_of(source, "/task/" + e.where().substr(5)),
                     std::string(e.what()).substr(e.where().size() + 2));
  }
  return c;
}

json continuation_task_to_json(const FixedPointModel& model, const ContinuationTask& c) {
  const Continuation::Options o = c.options.resolved();
  json j{{"type", "continuation"},
         {"parameter", model.parameter_names()[static_cast<std::size_t>(c.parameter)]},
         {"from", o.from}, {"to", o.to}, {"method", to_string(o.method)},
         {"step", *o.step}, {"min_step", *o.min_step}, {"max_step", *o.max_step},
         {"max_points", o.max_points}, {"fold_tol", o.fold_tol}, {"max_angle_deg", o.max_angle_deg},
         {"tol", o.tol}, {"milestones", o.milestones}};
  if (!c.branch.empty()) j["branch"] = c.branch;
  if (c.indicator >= 0) j["stability"] = model.observable_names()[static_cast<std::size_t>(c.indicator)];
  return j;
}

PhaseTask parse_phase_task(const json& task, const FixedPointModel& model, const std::string& source) {
  check_keys(task, {"type", "x", "y", "range", "boundaries", "step", "tol", "labels", "label_grid"}, source, "/task");
  PhaseTask pt;
  const auto names = model.parameter_names();
  const auto infos = model.parameters();
  auto axis = [&](const char* key) {
    if (!task.contains(key))
      throw InputError("spec.missing_key", where_of(source, "/task"),
                       std::string("missing key '") + key + "'; expected the name of a parameter");
    const std::string name = require_string(task[key], source, std::string("/task/") + key);
    const int i = model.parameter_index(name);
    if (i < 0)
      throw InputError("param.unknown", where_of(source, std::string("/task/") + key),
                       "unknown parameter '" + name + "' of model " + model.id() + did_you_mean(name, names) +
                           "; parameters: " + join(names));
    return i;
  };
  pt.x_index = axis("x");
  pt.y_index = axis("y");
  if (pt.x_index == pt.y_index)
    throw InputError("spec.bad_value", where_of(source, "/task/y"), "x and y must be different parameters");
  if (!task.contains("range"))
    throw InputError("spec.missing_key", where_of(source, "/task"),
                     "missing key 'range'; expected {\"" + names[pt.x_index] + "\": [min, max], \"" +
                         names[pt.y_index] + "\": [min, max]}");
  const json& range = require_object(task["range"], source, "/task/range");
  check_keys(range, {names[pt.x_index], names[pt.y_index]}, source, "/task/range");
  auto interval = [&](int index, double& lo, double& hi) {
    const std::string& n = names[index];
    const std::string path = "/task/range/" + n;
    if (!range.contains(n))
      throw InputError("spec.missing_key", where_of(source, "/task/range"), "missing key '" + n + "'; expected [min, max]");
    const json& v = range[n];
    if (!v.is_array() || v.size() != 2)
      throw InputError("spec.wrong_type", where_of(source, path), "expected [min, max], got " + describe_value(v));
    lo = require_number(v[0], source, path + "/0");
    hi = require_number(v[1], source, path + "/1");
    if (!(lo < hi))
      throw InputError("spec.bad_value", where_of(source, path), "expected min < max, got [" + format_number(lo) + ", " + format_number(hi) + "]");
    for (double b : {lo, hi})
      if (!infos[index].contains(b))
        throw InputError("param.out_of_range", where_of(source, path),
                         "value " + format_number(b) + " is out of range; expected " + infos[index].range_text());
  };
  interval(pt.x_index, pt.x_min, pt.x_max);
  interval(pt.y_index, pt.y_min, pt.y_max);
  if (task.contains("step")) {
    pt.step = require_number(task["step"], source, "/task/step");
    if (!(pt.step > 0 && pt.step <= 0.2))
      throw InputError("spec.bad_value", where_of(source, "/task/step"),
                       "step = " + format_number(pt.step) + " is out of range; expected 0 < step <= 0.2 (a fraction of the plot)");
  }
  if (task.contains("tol")) {
    pt.tol = require_number(task["tol"], source, "/task/tol");
    if (!(pt.tol > 0 && pt.tol < 1e-3))
      throw InputError("spec.bad_value", where_of(source, "/task/tol"),
                       "tol = " + format_number(pt.tol) + " is out of range; expected 0 < tol < 1e-3");
  }
  if (task.contains("labels")) pt.labels = require_bool(task["labels"], source, "/task/labels");
  if (task.contains("label_grid")) {
    const json& g = task["label_grid"];
    const auto bad = [&] {
      return InputError("spec.bad_value", where_of(source, "/task/label_grid"),
                        "expected [nx, ny] with integers 2 <= nx, ny <= 200, got " + g.dump());
    };
    if (!g.is_array() || g.size() != 2) throw bad();
    for (int k = 0; k < 2; ++k) {
      if (!g[k].is_number_integer() || g[k].get<long>() < 2 || g[k].get<long>() > 200) throw bad();
      pt.label_grid[k] = g[k].get<int>();
    }
  }
  if (!task.contains("boundaries"))
    throw InputError("spec.missing_key", where_of(source, "/task"), "missing key 'boundaries'; expected a list of boundaries");
  const json& bs = task["boundaries"];
  if (!bs.is_array() || bs.empty())
    throw InputError("spec.wrong_type", where_of(source, "/task/boundaries"),
                     "expected a non-empty array of boundaries, got " + describe_value(bs));
  static const std::vector<std::string> kinds = {"instability", "critical", "fold", "first_order"};
  for (std::size_t i = 0; i < bs.size(); ++i) {
    const std::string base = "/task/boundaries/" + std::to_string(i);
    const json& b = require_object(bs[i], source, base);
    check_keys(b, {"name", "kind", "branch", "branches", "observable", "start", "samples", "range"}, source, base);
    BoundarySpec bd;
    bd.x_min = pt.x_min;
    bd.x_max = pt.x_max;
    bd.y_min = pt.y_min;
    bd.y_max = pt.y_max;
    if (b.contains("range")) {
      const json& r = require_object(b["range"], source, base + "/range");
      check_keys(r, {names[pt.x_index], names[pt.y_index]}, source, base + "/range");
      for (int axis = 0; axis < 2; ++axis) {
        const std::string& n = names[axis == 0 ? pt.x_index : pt.y_index];
        if (!r.contains(n)) continue;
        const std::string path = base + "/range/" + n;
        const json& v = r[n];
        if (!v.is_array() || v.size() != 2)
          throw InputError("spec.wrong_type", where_of(source, path), "expected [min, max], got " + describe_value(v));
        const double lo = require_number(v[0], source, path + "/0"), hi = require_number(v[1], source, path + "/1");
        const double glo = axis == 0 ? pt.x_min : pt.y_min, ghi = axis == 0 ? pt.x_max : pt.y_max;
        if (!(lo < hi) || lo < glo || hi > ghi)
          throw InputError("spec.bad_value", where_of(source, path),
                           "expected min < max inside the task's range [" + format_number(glo) + ", " + format_number(ghi) + "]");
        (axis == 0 ? bd.x_min : bd.y_min) = lo;
        (axis == 0 ? bd.x_max : bd.y_max) = hi;
      }
    }
    for (const char* key : {"name", "kind", "start"})
      if (!b.contains(key))
        throw InputError("spec.missing_key", where_of(source, base), std::string("missing key '") + key + "'");
    bd.name = require_string(b["name"], source, base + "/name");
    if (bd.name.empty() || bd.name.find_first_of("/\\ ") != std::string::npos)
      throw InputError("spec.bad_value", where_of(source, base + "/name"),
                       "'" + bd.name + "' cannot name a table; expected letters, digits, _ or -");
    for (const auto& other : pt.boundaries)
      if (other.name == bd.name)
        throw InputError("spec.bad_value", where_of(source, base + "/name"), "boundary name '" + bd.name + "' is used twice");
    const std::string kind = require_string(b["kind"], source, base + "/kind");
    const auto k = std::find(kinds.begin(), kinds.end(), kind);
    if (k == kinds.end())
      throw InputError("spec.bad_value", where_of(source, base + "/kind"),
                       "'" + kind + "' is not a boundary kind" + did_you_mean(kind, kinds) + "; expected one of " + join(kinds));
    bd.kind = static_cast<BoundaryKind>(k - kinds.begin());
    if (bd.kind == BoundaryKind::kFirstOrder) {
      if (!b.contains("branches") || !b["branches"].is_array() || b["branches"].size() != 2)
        throw InputError("spec.missing_key", where_of(source, base),
                         "a first_order boundary needs \"branches\": [A, B], the two branches whose free energies cross");
      for (int j = 0; j < 2; ++j) bd.branches.push_back(require_string(b["branches"][j], source, base + "/branches/" + std::to_string(j)));
      if (model.objective() == Objective::kNone)
        throw InputError("spec.bad_value", where_of(source, base + "/kind"),
                         "model " + model.id() + " has no free energy; first_order boundaries need one");
    } else {
      if (!b.contains("branch"))
        throw InputError("spec.missing_key", where_of(source, base), "missing key 'branch'; expected the branch the boundary lies on");
      bd.branches.push_back(require_string(b["branch"], source, base + "/branch"));
    }
    if (bd.kind == BoundaryKind::kCritical) {
      const auto obs = model.observable_names();
      if (!b.contains("observable"))
        throw InputError("spec.missing_key", where_of(source, base),
                         "a critical boundary needs \"observable\": one of " + join(obs));
      const std::string o = require_string(b["observable"], source, base + "/observable");
      const auto it = std::find(obs.begin(), obs.end(), o);
      if (it == obs.end())
        throw InputError("spec.bad_value", where_of(source, base + "/observable"),
                         "'" + o + "' is not an observable of " + model.id() + did_you_mean(o, obs) + "; expected one of " + join(obs));
      bd.observable = static_cast<int>(it - obs.begin());
    }
    if (b.contains("samples")) {
      bd.samples = require_int(b["samples"], source, base + "/samples");
      if (bd.samples < 2 || bd.samples > 100000)
        throw InputError("spec.bad_value", where_of(source, base + "/samples"),
                         "samples = " + std::to_string(bd.samples) + " is out of range; expected 2 <= samples <= 100000");
    }
    const json& st = require_object(b["start"], source, base + "/start");
    check_keys(st, {names[pt.x_index], names[pt.y_index]}, source, base + "/start");
    const std::string sx = names[pt.x_index], sy = names[pt.y_index];
    const std::string start_help = "expected one axis fixed and a bracket on the other, e.g. {\"" + sx + "\": 0.05, \"" + sy + "\": [1, 2]}";
    if (!st.contains(sx) || !st.contains(sy))
      throw InputError("spec.bad_value", where_of(source, base + "/start"), start_help);
    const bool x_fixed = st[sx].is_number(), y_fixed = st[sy].is_number();
    if (x_fixed == y_fixed)
      throw InputError("spec.bad_value", where_of(source, base + "/start"), start_help);
    bd.fixed_axis = x_fixed ? 0 : 1;
    const std::string fixed_name = x_fixed ? sx : sy, free_name = x_fixed ? sy : sx;
    bd.fixed_value = require_number(st[fixed_name], source, base + "/start/" + fixed_name);
    const json& br = st[free_name];
    if (!br.is_array() || br.size() != 2)
      throw InputError("spec.wrong_type", where_of(source, base + "/start/" + free_name),
                       "expected a bracket [from, to], got " + describe_value(br));
    bd.bracket_from = require_number(br[0], source, base + "/start/" + free_name + "/0");
    bd.bracket_to = require_number(br[1], source, base + "/start/" + free_name + "/1");
    const double lo_f = x_fixed ? bd.x_min : bd.y_min, hi_f = x_fixed ? bd.x_max : bd.y_max;
    const double lo_b = x_fixed ? bd.y_min : bd.x_min, hi_b = x_fixed ? bd.y_max : bd.x_max;
    if (bd.fixed_value < lo_f || bd.fixed_value > hi_f)
      throw InputError("spec.bad_value", where_of(source, base + "/start/" + fixed_name),
                       "value " + format_number(bd.fixed_value) + " is outside the range [" + format_number(lo_f) + ", " + format_number(hi_f) + "]");
    for (double v : {bd.bracket_from, bd.bracket_to})
      if (v < lo_b || v > hi_b)
        throw InputError("spec.bad_value", where_of(source, base + "/start/" + free_name),
                         "bracket end " + format_number(v) + " is outside the range [" + format_number(lo_b) + ", " + format_number(hi_b) + "]");
    if (bd.bracket_from == bd.bracket_to)
      throw InputError("spec.bad_value", where_of(source, base + "/start/" + free_name), "empty bracket; expected [from, to] with from != to");
    pt.boundaries.push_back(bd);
  }
  return pt;
}

Spec parse_spec(const json& doc, const ModelRegistry& registry, const std::string& source) {
  if (is_kernel_spec(doc)) return parse_kernel_spec(doc, source);  // not a FixedPointModel
  Spec spec;
  spec.source = source;
  if (!doc.is_object())
    throw InputError("spec.wrong_type", source, "expected a JSON object at the top level, got " +
                                                    describe_value(doc));
  static const std::vector<std::string> top = {"saddle", "model", "params", "options", "task",
                                               "init",   "solver", "output", "description"};
  check_keys(doc, top, source, "");
  if (!doc.contains("saddle"))
    throw InputError("spec.missing_key", source,
                     "missing key 'saddle' (the spec version); expected \"saddle\": 1");
  if (require_int(doc["saddle"], source, "/saddle") != kSpecVersion)
    throw InputError("spec.bad_version", where_of(source, "/saddle"),
                     "unsupported spec version " + doc["saddle"].dump() + "; expected 1");
  if (!doc.contains("model"))
    throw InputError("spec.missing_key", source, "missing key 'model'; `saddle models` lists the models");
  const std::string model_id = require_string(doc["model"], source, "/model");
  spec.model = &registry.get(model_id, where_of(source, "/model"));
  const FixedPointModel& model = *spec.model;

  spec.point = resolve_point(model, doc.value("params", json()), doc.value("options", json()), source,
                             "/params", "/options");

  // task
  json task = doc.value("task", json{{"type", "solve"}});
  require_object(task, source, "/task");
  if (!task.contains("type"))
    throw InputError("spec.missing_key", where_of(source, "/task"),
                     "missing key 'type'; expected one of solve, continuation, scan, phase_diagram, spectrum");
  const std::string type = require_string(task["type"], source, "/task/type");
  static const std::vector<std::string> types = {"solve", "continuation", "scan", "phase_diagram",
                                                 "spectrum"};
  if (std::find(types.begin(), types.end(), type) == types.end())
    throw InputError("task.unknown_type", where_of(source, "/task/type"),
                     "unknown task type '" + type + "'" + did_you_mean(type, types) +
                         "; expected one of " + join(types));
  spec.task_json = task;
  if (type == "solve") {
    spec.task = TaskType::kSolve;
    check_keys(task, {"type"}, source, "/task");
  } else if (type == "scan") {
    spec.task = TaskType::kScan;
    spec.scan = parse_scan_task(task, model, spec.point, source);
  } else if (type == "continuation") {
    spec.task = TaskType::kContinuation;
    // parsed after the solver section (its Jacobian settings are used)
  } else if (type == "phase_diagram") {
    spec.task = TaskType::kPhaseDiagram;
    spec.phase = parse_phase_task(task, model, source);
  } else if (type == "spectrum") {
    spec.task = TaskType::kSpectrum;  // parsed after the solver section (its tol is used)
  } else {
    throw InputError("task.unsupported", where_of(source, "/task/type"),
                     "task type '" + type + "' is not available in saddle " + saddle_version() +
                         "; supported: solve, scan, phase_diagram");
  }

  // init
  if (doc.contains("init")) {
    const json& init = doc["init"];
    if (!init.is_array())
      throw InputError("spec.wrong_type", where_of(source, "/init"),
                       "expected an array of starting points, got " + describe_value(init));
    const auto ops = model.order_parameters();
    const auto names = model.order_parameter_names();
    const auto seeds = model.branches(spec.point);
    std::vector<std::string> seed_names;
    for (const auto& s : seeds) seed_names.push_back(s.name);
    for (std::size_t k = 0; k < init.size(); ++k) {
      const std::string base = "/init/" + std::to_string(k);
      const json& entry = require_object(init[k], source, base);
      InitialPoint ip;
      ip.name = "init[" + std::to_string(k) + "]";
      // Unspecified components come from the named branch's seed, else from the first seed.
      ip.x0 = seeds.empty() ? Eigen::VectorXd::Zero(static_cast<Eigen::Index>(names.size()))
                            : seeds.front().x0;
      if (entry.contains("branch")) {
        const std::string b = require_string(entry["branch"], source, base + "/branch");
        const auto it = std::find(seed_names.begin(), seed_names.end(), b);
        if (it == seed_names.end())
          throw InputError("init.unknown_branch", where_of(source, base + "/branch"),
                           "model " + model.id() + " has no branch '" + b + "' at these parameters" +
                               did_you_mean(b, seed_names) + "; branches here: " + join(seed_names));
        ip.x0 = seeds[static_cast<std::size_t>(it - seed_names.begin())].x0;
        ip.name = b;
      }
      std::vector<std::string> allowed = names;
      allowed.push_back("branch");
      check_keys(entry, allowed, source, base, "order parameter");
      const Domain dom = model.domain(spec.point);
      for (auto it = entry.begin(); it != entry.end(); ++it) {
        if (it.key() == "branch") continue;
        const int i = model.order_parameter_index(it.key());
        const double v = require_number(it.value(), source, base + "/" + it.key());
        if (v < dom.lower[i] || v > dom.upper[i])
          throw InputError("init.out_of_domain", where_of(source, base + "/" + it.key()),
                           "value " + format_number(v) + " is outside the domain; expected " +
                               format_number(dom.lower[i]) + " <= " + it.key() +
                               " <= " + format_number(dom.upper[i]));
        ip.x0[i] = v;
      }
      spec.init.push_back(ip);
    }
  }

  spec.solver = parse_solver_settings(doc.value("solver", json()), source + ": ");
  if (spec.task == TaskType::kContinuation)
    spec.continuation = parse_continuation_task(task, model, spec.solver, source);
  if (spec.task == TaskType::kSpectrum)
    spec.spectrum = parse_spectrum_task(task, model, spec.point, spec.solver, source);
  // parse_solver_settings prefixes paths with "<source>: "; keep that form.

  if (doc.contains("output")) {
    const json& out = require_object(doc["output"], source, "/output");
    check_keys(out, {"dir"}, source, "/output");
    if (out.contains("dir")) {
      spec.output_dir = require_string(out["dir"], source, "/output/dir");
      if (spec.output_dir.empty())
        throw InputError("spec.bad_value", where_of(source, "/output/dir"),
                         "empty directory name; expected a path such as out/run");
    }
  }

  json resolved = json::object();
  resolved["saddle"] = kSpecVersion;
  resolved["model"] = model.id();
  resolved["params"] = params_to_json(model, spec.point);
  resolved["options"] = options_to_json(model, spec.point);
  resolved["task"] = spec.task == TaskType::kScan ? scan_task_to_json(spec.scan)
                     : spec.task == TaskType::kSolve ? json{{"type", "solve"}}
                     : spec.task == TaskType::kContinuation ? continuation_task_to_json(model, spec.continuation)
                     : spec.task == TaskType::kSpectrum ? spec.spectrum.resolved
                                                     : spec.task_json;
  if (doc.contains("init")) resolved["init"] = doc["init"];
  resolved["solver"] = solver_settings_to_json(spec.solver);
  if (!spec.output_dir.empty()) resolved["output"] = json{{"dir", spec.output_dir}};
  if (doc.contains("description")) resolved["description"] = doc["description"];
  spec.resolved = resolved;
  return spec;
}

}  // namespace saddle
