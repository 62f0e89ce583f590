#include "simulate_cli.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <ostream>

#include "dynamics_sim.hpp"
#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"
#include "trajectory_task.hpp"

namespace saddle {

using nlohmann::json;

bool has_dynamics_simulator(const std::string& id) {
  return id == "kernel_regression" || id == "committee_online" || id == "scs_rnn";
}

namespace {

std::string sim_dir(const std::string& flag, const std::string& spec_dir, const std::string& path) {
  if (!flag.empty()) return flag;
  if (!spec_dir.empty()) return spec_dir + "-sim";
  return (std::filesystem::path("out") / (std::filesystem::path(path).stem().string() + "-sim"))
      .string();
}

void write_summary(const std::string& dir, const std::string& path, const json& spec,
                   const SimulateFlags& f, const json& extra, double secs) {
  json s;
  s["schema_version"] = kOutputSchemaVersion;
  s["saddle_version"] = saddle_version();
  s["source"] = path;
  s["spec"] = spec;
  s["simulation"] = extra;
  s["simulation"]["runs"] = f.runs;
  s["simulation"]["seed"] = f.seed;
  s["tables"] = {"simulation.csv"};
  s["status"] = "completed";
  s["timing"] = {{"total_seconds", secs}};
  write_file_atomic(dir, "summary.json", s.dump(2) + "\n");
}

}  // namespace

int cmd_simulate_dynamics(const std::string& path, const SimulateFlags& f, std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  json doc = load_json_file(path);
  for (const auto& s : f.sets) apply_set(doc, s);
  sim::RunOptions runs;
  runs.runs = f.runs;
  runs.seed = f.seed;
  runs.validate();
  const std::string id = doc.is_object() && doc.contains("model") && doc["model"].is_string()
                             ? doc["model"].get<std::string>()
                             : "";
  if (!has_dynamics_simulator(id))
    throw InputError("simulate.no_simulator", path + ": /model",
                     "no simulator for model '" + id +
                         "' here; expected kernel_regression, committee_online or scs_rnn");
  std::vector<std::string> cols;
  std::vector<std::vector<std::string>> rows;
  json spec_json, extra = json::object();
  std::string dir;

  if (id == "kernel_regression") {
    const Spec spec = parse_spec(doc, builtin_registry(), path);
    if (spec.task != TaskType::kSolve && spec.task != TaskType::kScan)
      throw InputError(
          "simulate.bad_task", path + ": /task/type",
          "kernel_regression simulations run at a solve point or over a scan grid; got " +
              to_string(spec.task));
    const FixedPointModel& model = *spec.model;
    const int ip = model.parameter_index("p"), il = model.parameter_index("lambda"),
              in = model.parameter_index("noise"), im = model.parameter_index("modes"),
              id_ = model.parameter_index("decay"), it = model.parameter_index("target_decay");
    std::vector<Point> points = {spec.point};
    if (spec.task == TaskType::kScan)
      for (const auto& axis : spec.scan.axes) {
        std::vector<Point> next;
        for (const auto& pt : points)
          for (double v : axis.values) {
            Point q = pt;
            q.params[axis.param_index] = v;
            next.push_back(q);
          }
        points = next;
      }
    for (const auto& pt : points) {
      if (pt[ip] < 1 || pt[ip] > 20000 || pt[im] > 20000)
        throw InputError("simulate.too_large", path + ": /params",
                         "p = " + format_number(pt[ip]) + ", modes = " + format_number(pt[im]) +
                             ": the simulator needs 1 <= round(p) <= 20000 and modes <= 20000");
    }
    dir = sim_dir(f.output, spec.output_dir, path);
    prepare_output_dir(dir);
    cols = model.parameter_names();
    cols.push_back("spectrum");
    for (const char* c : {"E_g", "E_g_sem", "mode_error_1", "mode_error_1_sem", "mode_error_2",
                          "mode_error_2_sem", "mode_error_3", "mode_error_3_sem", "mode_error_4",
                          "mode_error_4_sem", "tail_error", "tail_error_sem", "runs"})
      cols.push_back(c);
    for (const auto& pt : points) {
      const int modes = static_cast<int>(pt[im]);
      const krr::Spectrum s = pt.options[0] == "white"
                                  ? krr::white_spectrum(modes)
                                  : krr::power_law_spectrum(modes, pt[id_], pt[it]);
      const int p = static_cast<int>(std::lround(pt[ip]));
      const auto r = sim::simulate_kernel_regression(s, p, pt[il], pt[in], runs);
      std::vector<std::string> row;
      for (Eigen::Index i = 0; i < pt.params.size(); ++i)
        row.push_back(csv_number(i == ip ? p : pt.params[i]));
      row.push_back(pt.options[0]);
      row.push_back(csv_number(r.error.mean));
      row.push_back(csv_number(r.error.sem));
      for (const auto& e : r.mode_errors) {
        row.push_back(csv_number(e.mean));
        row.push_back(csv_number(e.sem));
      }
      row.push_back(csv_number(r.tail_error.mean));
      row.push_back(csv_number(r.tail_error.sem));
      row.push_back(std::to_string(f.runs));
      rows.push_back(row);
    }
    spec_json = spec.resolved;
    extra = {{"method",
              "kernel ridge regression on Gaussian features realising the spectrum; p rounded to "
              "an integer"}};
  } else {
    const TrajectorySpec spec = parse_trajectory_spec(doc, path);
    const OdeModel& model = *spec.model;
    spec_json = spec.resolved;
    if (id == "committee_online") {
      if (f.N < 2)
        throw InputError("sim.bad_size", "--N",
                         "N = " + std::to_string(f.N) + " is out of range; expected N >= K + M");
      dir = sim_dir(f.output, spec.output_dir, path);
      prepare_output_dir(dir);
      const auto r = sim::simulate_committee(model, spec.point, spec.times, f.N, runs);
      cols = {model.time_name()};
      for (const auto& n : model.state_names(spec.point)) cols.push_back(n);
      for (const char* c : {"eps_g", "eps_g_sem", "runs"}) cols.push_back(c);
      for (std::size_t i = 0; i < r.alphas.size(); ++i) {
        std::vector<std::string> row = {csv_number(r.alphas[i])};
        for (Eigen::Index k = 0; k < r.state_means[i].size(); ++k)
          row.push_back(csv_number(r.state_means[i][k]));
        row.push_back(csv_number(r.eps_g[i].mean));
        row.push_back(csv_number(r.eps_g[i].sem));
        row.push_back(std::to_string(f.runs));
        rows.push_back(row);
      }
      extra = {
          {"method",
           "online SGD at finite N, one fresh Gaussian input per step; alpha = round(alpha N)/N"},
          {"N", f.N}};
    } else {
      sim::RnnSimOptions o;
      o.N = f.N;
      o.tau_max = spec.times.back();
      o.sample_dt = spec.times.size() > 1 ? spec.times[1] - spec.times[0] : o.dt;
      o.window = std::max(o.window, 10 * o.tau_max);
      if (spec.resolved["task"]["spacing"] != "linear" ||
          std::fabs(o.sample_dt / o.dt - std::round(o.sample_dt / o.dt)) > 1e-9)
        throw InputError(
            "simulate.bad_grid", path + ": /task",
            "the network simulator samples at multiples of dt = 0.1; expected linear spacing with "
            "to/(num - 1) a multiple of 0.1");
      o.validate();
      dir = sim_dir(f.output, spec.output_dir, path);
      prepare_output_dir(dir);
      const auto r = sim::simulate_rnn(scs::activation_from_string(spec.point.options[0]),
                                       spec.point[model.parameter_index("g")], o, runs);
      cols = {"tau", "Delta", "Delta_sem", "runs"};
      for (std::size_t i = 0; i < r.taus.size(); ++i)
        rows.push_back({csv_number(r.taus[i]), csv_number(r.delta[i].mean),
                        csv_number(r.delta[i].sem), std::to_string(f.runs)});
      extra = {{"method",
                "RK4 network simulation, time averages after a transient; one network per run"},
               {"N", o.N},
               {"dt", o.dt},
               {"transient", o.transient},
               {"window", o.window}};
    }
  }
  write_file_atomic(dir, "simulation.csv", csv_table(cols, rows));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  write_summary(dir, path, spec_json, f, extra, secs);
  out << path << ": " << id << " simulation, " << rows.size() << " rows, " << f.runs << " runs, "
      << secs << " s -> " << dir << "\n";
  return 0;
}

}  // namespace saddle
