#include "cli.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <sstream>

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
  for (const auto& id : registry.ids()) out << pad(id, 20) << registry.get(id).title() << "\n";
  return 0;
}

// saddle describe MODEL
int cmd_describe(const std::string& id, std::ostream& out) {
  const FixedPointModel& model = builtin_registry().get(id, "describe");
  out << model.id() << ": " << model.title() << "\n\n";
  out << "parameters:\n";
  for (const auto& p : model.parameters())
    out << "  " << pad(p.name, 10) << "default " << pad(format_number(p.default_value), 10)
        << "range " << pad(p.range_text(), 22) << p.description << "\n";
  const auto options = model.options();
  if (!options.empty()) {
    out << "\noptions:\n";
    for (const auto& o : options) {
      std::string choices;
      for (std::size_t i = 0; i < o.choices.size(); ++i) choices += (i ? " | " : "") + o.choices[i];
      out << "  " << pad(o.name, 10) << "default " << pad(o.default_value, 10) << "choices "
          << choices << "  " << o.description << "\n";
    }
  }
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

// saddle run SPEC [-o DIR] [--set PATH=VALUE ...]
int cmd_run(const std::string& spec_path, const std::string& out_flag,
            const std::vector<std::string>& sets, std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  json doc = load_json_file(spec_path);
  for (const auto& s : sets) apply_set(doc, s);
  const Spec spec = parse_spec(doc, builtin_registry(), spec_path);
  const std::string dir =
      !out_flag.empty() ? out_flag : (!spec.output_dir.empty() ? spec.output_dir : default_output_dir(spec_path));
  prepare_output_dir(dir);

  const auto t1 = std::chrono::steady_clock::now();
  const auto recs = solve_point(*spec.model, spec.point, spec.init, spec.solver);
  const auto t2 = std::chrono::steady_clock::now();

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : recs) rows.push_back(solution_row(*spec.model, spec.point, r));
  long evaluations = 0, iterations = 0;
  int converged = 0;
  json sols = json::array();
  for (const auto& r : recs) {
    evaluations += r.summary.map_evaluations;
    iterations += r.summary.iterations;
    converged += r.converged() ? 1 : 0;
    sols.push_back(solution_to_json(*spec.model, r));
  }
  json summary;
  summary["schema_version"] = kOutputSchemaVersion;
  summary["saddle_version"] = saddle_version();
  summary["source"] = spec_path;
  summary["spec"] = spec.resolved;
  if (!sets.empty()) summary["overrides"] = sets;
  summary["tables"] = json::array({"solutions.csv"});
  summary["status"] = converged == static_cast<int>(recs.size()) ? "converged" : "not_converged";
  summary["solver_statistics"] = {{"solutions", recs.size()},
                                  {"converged", converged},
                                  {"iterations", iterations},
                                  {"map_evaluations", evaluations}};
  summary["solutions"] = sols;
  summary["timing"] = {
      {"parse_seconds", std::chrono::duration<double>(t1 - t0).count()},
      {"solve_seconds", std::chrono::duration<double>(t2 - t1).count()},
      {"total_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}};
  write_file_atomic(dir, "solutions.csv", csv_table(solution_columns(*spec.model), rows));
  write_file_atomic(dir, "summary.json", summary.dump(2) + "\n");
  out << spec_path << ": " << spec.model->id() << " solve, " << converged << "/" << recs.size()
      << " converged, " << std::fixed << std::setprecision(3)
      << std::chrono::duration<double>(t2 - t1).count() << " s -> " << dir << "\n";
  for (const auto& r : recs)
    if (!r.converged())
      out << "  not converged: branch " << r.branch << " (" << r.status() << ", residual "
          << format_number(r.summary.residual) << ")\n";
  return exit_code(converged == static_cast<int>(recs.size()) ? ExitCode::kSuccess
                                                               : ExitCode::kNotConverged);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{"saddle: solve the self-consistent equations of the statistical physics of learning"};
  app.set_version_flag("--version", std::string("saddle ") + saddle_version());
  app.require_subcommand(1);

  std::string spec_path, out_dir, model_id;
  std::vector<std::string> sets, assignments;
  bool as_json = false;

  auto* run = app.add_subcommand("run", "run a spec file and write its tables and summary.json");
  run->add_option("spec", spec_path, "spec file (JSON)")->required();
  run->add_option("-o,--output", out_dir, "output directory (default: the spec's output.dir, else out/<spec name>)");
  run->add_option("--set", sets, "override a spec field, e.g. --set params.T=0.2 (repeatable)");

  auto* solve = app.add_subcommand("solve", "solve one parameter point from the model's default branches");
  solve->add_option("model", model_id, "model id (see `saddle models`)")->required();
  solve->add_option("assignments", assignments, "parameters and options as NAME=VALUE");
  solve->add_flag("--json", as_json, "print one JSON object instead of a table");
  solve->add_option("--set", sets, "solver override, e.g. --set solver.tol=1e-10 (repeatable)");

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
    if (*run) return cmd_run(spec_path, out_dir, sets, out);
    if (*solve) return cmd_solve(model_id, assignments, as_json, sets, out);
    if (*models) return cmd_models(out);
    if (*describe) return cmd_describe(model_id, out);
  } catch (const InputError& e) {
    err << "saddle: error: " << e.what() << "\n";
    return exit_code(ExitCode::kBadInput);
  }
  return exit_code(ExitCode::kBadInput);
}

}  // namespace saddle
