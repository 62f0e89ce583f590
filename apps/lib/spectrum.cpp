#include "spectrum.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "json_input.hpp"
#include "output.hpp"
#include "saddle/error.hpp"

namespace saddle {

using nlohmann::json;

namespace {

int int_at(const json& v, const std::string& source, const std::string& path, int lo, int hi) {
  const double d = require_number(v, source, path);
  if (d != std::floor(d) || d < lo || d > hi)
    throw InputError("spec.out_of_range", where_of(source, path),
                     "value " + format_number(d) + " is out of range; expected an integer in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(d);
}

std::vector<double> numbers_at(const json& v, const std::string& source, const std::string& path) {
  if (!v.is_array())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected an array of numbers, got " + v.dump());
  std::vector<double> out;
  for (std::size_t i = 0; i < v.size(); ++i)
    out.push_back(require_number(v[i], source, path + "/" + std::to_string(i)));
  return out;
}

// {"atoms": [...], "weights": [...]} or {"file": "..."}
DiscreteMeasure parse_measure(const json& v, const std::string& source, const std::string& path) {
  check_keys(v, {"atoms", "weights", "file"}, source, path);
  if (v.contains("file")) {
    if (v.contains("atoms") || v.contains("weights"))
      throw InputError("spectrum.bad_measure", where_of(source, path),
                       "both 'file' and 'atoms' given; expected one of them");
    if (!v["file"].is_string())
      throw InputError("spec.wrong_type", where_of(source, path + "/file"),
                       "expected a file name, got " + v["file"].dump());
    return read_measure_file(v["file"].get<std::string>());
  }
  if (!v.contains("atoms"))
    throw InputError("spec.missing_key", where_of(source, path),
                     "missing key 'atoms'; expected {\"atoms\": [...], \"weights\": [...]} or "
                     "{\"file\": \"spectrum.txt\"}");
  DiscreteMeasure m;
  m.atoms = numbers_at(v["atoms"], source, path + "/atoms");
  if (v.contains("weights")) m.weights = numbers_at(v["weights"], source, path + "/weights");
  m.validate_and_normalise(where_of(source, path));
  return m;
}

SpectralComponent parse_component(const json& v, const std::string& name,
                                  const std::string& source) {
  const std::string path = "/task/" + name;
  require_object(v, source, path);
  SpectralComponent c;
  c.name = name;
  if (!v.contains("model")) {
    c.atoms = parse_measure(v, source, path);
    c.description = "atoms(" + std::to_string(c.atoms->atoms.size()) + ")";
    return c;
  }
  check_keys(v, {"model", "params"}, source, path);
  if (!v["model"].is_string())
    throw InputError("spec.wrong_type", where_of(source, path + "/model"),
                     "expected a model name, got " + v["model"].dump());
  const FixedPointModel& m =
      builtin_registry().get(v["model"].get<std::string>(), where_of(source, path + "/model"));
  const auto* sm = dynamic_cast<const SpectralModel*>(&m);
  const Point p = resolve_point(m, v.value("params", json()), json(), source, path + "/params",
                                path + "/options");
  std::shared_ptr<const StieltjesEquation> eq;
  if (sm) eq = sm->equation(p, SpectralInputs{});
  if (!sm || !eq->closed_form(cplx(0.0, 1.0)))
    throw InputError("spectrum.bad_component", where_of(source, path + "/model"),
                     "model " + m.id() +
                         " has no closed-form Stieltjes transform; expected wigner, wishart (no "
                         "population) or {\"atoms\": [...]}");
  c.equation = eq;
  c.description = m.id() + "(";
  const auto names = m.parameter_names();
  for (std::size_t i = 0; i + 2 < names.size(); ++i)
    c.description +=
        (i ? ", " : "") + names[i] + "=" + format_number(p.params[static_cast<Eigen::Index>(i)]);
  c.description += ")";
  c.sampler = [sm, p](int n, std::mt19937_64& rng) {
    return sm->sample(p, SpectralInputs{}, n, rng);
  };
  return c;
}

json measure_json(const DiscreteMeasure& m) {
  return {{"atoms", m.atoms}, {"weights", m.weights}};
}

std::vector<std::string> spectral_model_ids() {
  std::vector<std::string> ids;
  for (const auto& id : builtin_registry().ids())
    if (dynamic_cast<const SpectralModel*>(&builtin_registry().get(id))) ids.push_back(id);
  return ids;
}

}  // namespace

SpectrumTask parse_spectrum_task(const json& task, const FixedPointModel& model, const Point& point,
                                 const SolverSettings& solver, const std::string& source) {
  const auto* sm = dynamic_cast<const SpectralModel*>(&model);
  if (!sm)
    throw InputError("task.unsupported", where_of(source, "/task/type"),
                     "model " + model.id() + " has no spectrum task; expected a spectral model (" +
                         join(spectral_model_ids()) + ")");
  std::vector<std::string> allowed = {
      "type", "x", "eta", "eta_c", "mass_nodes", "mass_tol", "special_points", "sample"};
  for (const auto& k : sm->spectral_inputs()) allowed.push_back(k);
  check_keys(task, allowed, source, "/task");
  SpectrumTask t;
  t.options.tol = std::max(solver.tol, 1e-14);
  if (task.contains("eta")) t.options.eta = require_number(task["eta"], source, "/task/eta");
  if (task.contains("eta_c")) t.options.eta_c = require_number(task["eta_c"], source, "/task/eta_c");
  if (task.contains("mass_nodes"))
    t.options.mass_nodes = int_at(task["mass_nodes"], source, "/task/mass_nodes", 8, 100000);
  if (task.contains("mass_tol"))
    t.options.mass_tol = require_number(task["mass_tol"], source, "/task/mass_tol");
  if (task.contains("special_points")) {
    if (!task["special_points"].is_boolean())
      throw InputError("spec.wrong_type", where_of(source, "/task/special_points"),
                       "expected true or false, got " + task["special_points"].dump());
    t.options.special_points = task["special_points"].get<bool>();
  }
  try {
    t.options.validate();
  } catch (const InputError& e) {
    const std::string field = e.where().substr(std::string("spectrum.").size());
    throw InputError(e.id(), where_of(source, "/task/" + field),
                     std::string(e.what()).substr(e.where().size() + 2));
  }
  if (task.contains("population"))
    t.inputs.population = parse_measure(require_object(task["population"], source, "/task/population"),
                                        source, "/task/population");
  for (const char* name : {"a", "b"})
    if (task.contains(name))
      t.inputs.components.push_back(parse_component(task[name], name, source));
  if (t.inputs.components.size() == 1)
    throw InputError("spec.missing_key", where_of(source, "/task"),
                     std::string("component '") + (task.contains("a") ? "b" : "a") +
                         "' missing; expected both 'a' and 'b' (or neither, for the defaults)");
  std::unique_ptr<StieltjesEquation> eq;
  try {
    eq = sm->equation(point, t.inputs);
  } catch (const InputError& e) {
    throw InputError(e.id(), where_of(source, e.where()),
                     std::string(e.what()).substr(e.where().size() + 2));
  }
  // Grid: default the support bounds widened by 10% on each side.
  auto [lo, hi] = eq->support_bounds();
  const double pad = 0.1 * std::max(hi - lo, 1e-3);
  double from = lo - pad, to = hi + pad;
  int num = 401;
  if (task.contains("x")) {
    const json& x = require_object(task["x"], source, "/task/x");
    check_keys(x, {"from", "to", "num"}, source, "/task/x");
    if (x.contains("from")) from = require_number(x["from"], source, "/task/x/from");
    if (x.contains("to")) to = require_number(x["to"], source, "/task/x/to");
    if (x.contains("num")) num = int_at(x["num"], source, "/task/x/num", 2, 10000000);
    if (!(to > from))
      throw InputError("spec.out_of_range", where_of(source, "/task/x"),
                       "from = " + format_number(from) + " and to = " + format_number(to) +
                           "; expected from < to");
  }
  for (int i = 0; i < num; ++i)
    t.xs.push_back(i == num - 1 ? to : from + (to - from) * i / (num - 1));
  if (task.contains("sample")) {
    const json& s = require_object(task["sample"], source, "/task/sample");
    check_keys(s, {"n", "trials", "seed", "bins"}, source, "/task/sample");
    if (!sm->can_sample())
      throw InputError("task.unsupported", where_of(source, "/task/sample"),
                       "model " + model.id() + " cannot draw random matrices; remove 'sample'");
    t.sample.enabled = true;
    if (s.contains("n")) t.sample.n = int_at(s["n"], source, "/task/sample/n", 2, 20000);
    if (s.contains("trials"))
      t.sample.trials = int_at(s["trials"], source, "/task/sample/trials", 1, 10000);
    if (s.contains("seed"))
      t.sample.seed = static_cast<unsigned long long>(
          int_at(s["seed"], source, "/task/sample/seed", 0, 2000000000));
    if (s.contains("bins"))
      t.sample.bins = int_at(s["bins"], source, "/task/sample/bins", 1, 100000);
  }
  t.resolved = {{"type", "spectrum"},
                {"x", {{"from", from}, {"to", to}, {"num", num}}},
                {"eta", t.options.eta},
                {"eta_c", t.options.eta_c},
                {"mass_nodes", t.options.mass_nodes},
                {"mass_tol", t.options.mass_tol},
                {"special_points", t.options.special_points}};
  if (t.inputs.population) t.resolved["population"] = measure_json(*t.inputs.population);
  for (const auto& c : t.inputs.components)
    t.resolved[c.name] = c.atoms ? measure_json(*c.atoms) : task[c.name];
  if (t.sample.enabled)
    t.resolved["sample"] = {{"n", t.sample.n},
                            {"trials", t.sample.trials},
                            {"seed", t.sample.seed},
                            {"bins", t.sample.bins}};
  return t;
}

SampleComparison compare_with_samples(const SpectralModel& model, const Point& point,
                                      const SpectralInputs& inputs, const StieltjesEquation& eq,
                                      const SpectrumSolver& solver,
                                      const std::vector<SpectralAtom>& atoms, double lo, double hi,
                                      const SampleSettings& s) {
  const auto t0 = std::chrono::steady_clock::now();
  SampleComparison c;
  c.n = s.n;
  c.trials = s.trials;
  c.bins = s.bins;
  c.seed = s.seed;
  for (int k = 0; k <= s.bins; ++k)
    c.edges.push_back(k == s.bins ? hi : lo + (hi - lo) * k / s.bins);
  const double width = (hi - lo) / s.bins;
  const double slack = 1e-9 * std::max(1.0, std::max(std::abs(lo), std::abs(hi)));
  std::vector<std::vector<double>> dens(static_cast<std::size_t>(s.trials),
                                        std::vector<double>(s.bins, 0.0));
  std::vector<double> all;
  std::mt19937_64 rng(s.seed);
  for (int t = 0; t < s.trials; ++t) {
    const Eigen::VectorXd ev = model.sample(point, inputs, s.n, rng);
    for (Eigen::Index i = 0; i < ev.size(); ++i) {
      double v = ev[i];
      all.push_back(v);
      // Roundoff puts eigenvalues of an atom at a bin edge just outside: clamp within slack.
      if (v < lo && v > lo - slack) v = lo;
      if (v >= hi && v < hi + slack) v = hi - 0.5 * width;
      if (v < lo || v >= hi) continue;
      const int k = std::min(s.bins - 1, static_cast<int>((v - lo) / width));
      dens[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] += 1.0 / (ev.size() * width);
    }
  }
  c.theory = bin_average_density(solver, eq, c.edges, atoms);
  double chi2 = 0.0;
  for (int k = 0; k < s.bins; ++k) {
    double mean = 0.0;
    for (int t = 0; t < s.trials; ++t)
      mean += dens[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)];
    mean /= s.trials;
    double err = 0.0;
    if (s.trials >= 2) {
      double var = 0.0;
      for (int t = 0; t < s.trials; ++t) {
        const double d = dens[static_cast<std::size_t>(t)][static_cast<std::size_t>(k)] - mean;
        var += d * d;
      }
      err = std::sqrt(var / (s.trials - 1) / s.trials);
    }
    // Counting error as a floor (a conservative bound: eigenvalues repel, so bins fluctuate less
    // than Poisson), using the larger of the observed and predicted counts.
    const double count =
        std::max(mean, c.theory[static_cast<std::size_t>(k)]) * s.n * s.trials * width;
    err = std::max(err, std::sqrt(std::max(count, 1.0)) / (double(s.n) * s.trials * width));
    c.empirical.push_back(mean);
    c.error.push_back(err);
    const double z = (mean - c.theory[static_cast<std::size_t>(k)]) / err;
    c.z.push_back(z);
    c.max_abs_z = std::max(c.max_abs_z, std::abs(z));
    chi2 += z * z;
  }
  c.chi2_per_bin = chi2 / s.bins;
  // Kolmogorov distance against the theory CDF built from the bin masses (resolution: one bin).
  std::sort(all.begin(), all.end());
  std::vector<double> cdf(static_cast<std::size_t>(s.bins) + 1, 0.0);
  for (int k = 0; k < s.bins; ++k)
    cdf[static_cast<std::size_t>(k) + 1] =
        cdf[static_cast<std::size_t>(k)] + c.theory[static_cast<std::size_t>(k)] * width;
  for (int k = 0; k <= s.bins; ++k) {
    const double e = c.edges[static_cast<std::size_t>(k)] + (k == 0        ? -slack
                                                             : k == s.bins ? slack
                                                                           : 0.0);
    const double emp =
        double(std::lower_bound(all.begin(), all.end(), e) - all.begin()) / all.size();
    c.ks_distance = std::max(c.ks_distance, std::abs(emp - cdf[static_cast<std::size_t>(k)]));
  }
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return c;
}

SpectrumJobOutcome run_spectrum_job(const Spec& spec, const std::string& source,
                                    const std::string& dir, json& summary) {
  const auto t0 = std::chrono::steady_clock::now();
  const SpectrumTask& t = spec.spectrum;
  const auto& sm = dynamic_cast<const SpectralModel&>(*spec.model);
  const auto eq = sm.equation(spec.point, t.inputs);
  const SpectrumSolver solver(t.options);
  const SpectrumResult r = solver.run(*eq, t.xs);

  std::vector<std::string> cols = {"x",         "rho",    "g_re",       "g_im",     "eta_used",
                                   "converged", "status", "iterations", "residual", "method"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.points) {
    const bool atom = p.status == SpectralPointStatus::kAtom;
    rows.push_back(
        {csv_number(p.x), atom ? "" : csv_number(p.rho), atom ? "" : csv_number(p.g.real()),
         atom ? "" : csv_number(p.g.imag()), atom ? "" : csv_number(p.eta_used),
         p.status == SpectralPointStatus::kNotConverged ? "false" : "true", to_string(p.status),
         std::to_string(p.iterations), atom ? "" : csv_number(p.residual), p.how});
  }
  write_file_atomic(dir, "spectrum.csv", csv_table(cols, rows));
  json tables = {"spectrum.csv"};

  json edges = json::array();
  for (const auto& e : r.edges)
    edges.push_back({{"x", e.x},
                     {"side", e.side},
                     {"located", e.located},
                     {"method", e.method},
                     {"residual", e.residual},
                     {"uncertainty", e.uncertainty},
                     {"type", "square_root_edge"}});
  json atoms = json::array();
  for (const auto& a : r.atoms)
    atoms.push_back(
        {{"x", a.x}, {"mass", a.mass}, {"expected", a.expected}, {"uncertainty", a.uncertainty}});
  const bool clipped = r.support_clipped;
  summary["tables"] = tables;
  summary["special_points"] = {{"edges", edges}, {"atoms", atoms}};
  summary["mass"] = {{"continuous", r.continuous_mass},
                     {"atoms", r.atom_mass},
                     {"total", r.total_mass},
                     {"grid_trapezoid", r.grid_mass},
                     {"ok", r.mass_ok},
                     {"tol", t.options.mass_tol},
                     {"method", r.mass_ok || !r.edges.empty() ? "gauss_chebyshev_between_edges"
                                                              : "grid_trapezoid"}};
  summary["solver_statistics"] = {{"points", r.points.size()},
                                  {"converged", r.converged},
                                  {"not_converged", r.not_converged},
                                  {"polished_at_eta_0", r.polished},
                                  {"newton_iterations", r.newton_iterations}};

  std::ostringstream line;
  SpectrumJobOutcome out;
  out.converged = r.not_converged == 0;
  line << source << ": " << spec.model->id() << " spectrum, " << r.converged << "/"
       << (r.converged + r.not_converged) << " points converged, " << r.edges.size() << " edges, "
       << r.atoms.size() << " atoms, mass " << std::setprecision(12) << r.total_mass;
  if (t.sample.enabled) {
    double lo = t.xs.front(), hi = t.xs.back();
    const SampleComparison c =
        compare_with_samples(sm, spec.point, t.inputs, *eq, solver, r.atoms, lo, hi, t.sample);
    std::vector<std::vector<std::string>> srows;
    for (int k = 0; k < c.bins; ++k) {
      const auto kk = static_cast<std::size_t>(k);
      srows.push_back({csv_number(c.edges[kk]), csv_number(c.edges[kk + 1]),
                       csv_number(0.5 * (c.edges[kk] + c.edges[kk + 1])),
                       csv_number(c.empirical[kk]), csv_number(c.error[kk]),
                       csv_number(c.theory[kk]), csv_number(c.z[kk])});
    }
    write_file_atomic(
        dir, "sample.csv",
        csv_table({"bin_lo", "bin_hi", "x", "empirical", "error", "theory", "z"}, srows));
    summary["tables"].push_back("sample.csv");
    summary["sample"] = {{"n", c.n},
                         {"trials", c.trials},
                         {"seed", c.seed},
                         {"bins", c.bins},
                         {"max_abs_z", c.max_abs_z},
                         {"chi2_per_bin", c.chi2_per_bin},
                         {"ks_distance", c.ks_distance},
                         {"seconds", c.seconds}};
    line << ", sampled n = " << c.n << " x " << c.trials << ": max |z| " << std::setprecision(3)
         << c.max_abs_z << ", chi2/bin " << c.chi2_per_bin;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  line << std::fixed << std::setprecision(3) << ", " << secs << " s -> " << dir;
  std::string status = out.converged ? "converged" : "not_converged";
  if (r.not_converged > 0)
    line << "\n  " << r.not_converged << " points did not converge (status column)";
  if (t.options.special_points && t.options.eta == 0.0 && !r.mass_ok) {
    line << "\n  warning: total mass " << std::setprecision(9) << r.total_mass
         << " differs from 1 by more than " << format_number(t.options.mass_tol)
         << (clipped ? " (the grid cuts the support: widen task.x)" : "");
  }
  if (clipped)
    summary["warnings"] = {
        "density is nonzero at an end of the grid: the support extends beyond task.x"};
  summary["status"] = status;
  summary["timing"] = {{"solve_seconds", r.seconds}, {"total_seconds", secs}};
  out.line = line.str();
  return out;
}

}  // namespace saddle
