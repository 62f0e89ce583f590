#include "scan.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <map>
#include <mutex>
#include <ostream>
#include <set>
#include <thread>

#include "parallel.hpp"
#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/problem.hpp"

namespace saddle {

namespace {

using Clock = std::chrono::steady_clock;

// The base point with the non-along axes set for line `line` (mixed radix, first axis slowest).
Point line_point(const Spec& spec, std::size_t line) {
  Point p = spec.point;
  const auto& axes = spec.scan.axes;
  for (int i = static_cast<int>(axes.size()) - 1; i >= 0; --i) {
    if (i == spec.scan.along) continue;
    const auto& a = axes[static_cast<std::size_t>(i)];
    p.params[a.param_index] = a.values[line % a.values.size()];
    line /= a.values.size();
  }
  return p;
}

struct BranchTrack {
  std::string name;
  std::vector<double> lambdas;  // last two converged points of this branch on the line
  std::vector<Eigen::VectorXd> xs;
  bool failed_last = false;  // the previous point of this branch on the line did not converge
  void reset() {
    lambdas.clear();
    xs.clear();
  }
};

// The starts at p: the spec's init points, or the model's branches (those the task names). Seeds
// are computed only when a cold start asks for one (x0() on a model branch), since a warm start
// from the previous points of the line does not need them.
class Starts {
 public:
  Starts(const Spec& spec, const Point& p) : spec_(spec), p_(p) {
    if (!spec.init.empty()) {
      for (const auto& i : spec.init) names_.push_back(i.name);
      return;
    }
    for (auto& n : spec.model->branch_names(p))
      if (spec.scan.branches.empty() ||
          std::find(spec.scan.branches.begin(), spec.scan.branches.end(), n) != spec.scan.branches.end())
        names_.push_back(std::move(n));
  }
  const std::vector<std::string>& names() const { return names_; }
  const Eigen::VectorXd& x0(std::size_t i) {
    if (!spec_.init.empty()) return spec_.init[i].x0;
    if (seeds_.empty()) seeds_ = spec_.model->branches(p_);
    for (const auto& s : seeds_)
      if (s.name == names_[i]) return s.x0;
    throw InternalError("model " + spec_.model->id() + ": branch_names() lists '" + names_[i] +
                        "' but branches() has no such seed");
  }

 private:
  const Spec& spec_;
  const Point& p_;
  std::vector<std::string> names_;
  std::vector<BranchSeed> seeds_;
};

struct LineStats {
  long evals = 0, solves = 0, converged = 0, cold = 0;
};

std::vector<ScanPoint> solve_line(const Spec& spec, std::size_t line, LineStats& stats) {
  const FixedPointModel& model = *spec.model;
  const GridAxis& along = spec.scan.axes[static_cast<std::size_t>(spec.scan.along)];
  Point p = line_point(spec, line);
  std::vector<ScanPoint> out;
  out.reserve(along.values.size());
  std::vector<BranchTrack> tracks;  // in order of first appearance on the line
  for (double lambda : along.values) {
    p.params[along.param_index] = lambda;
    const FixedPointProblem problem = make_problem(model, p);
    Starts starts(spec, p);
    ScanPoint sp;
    sp.point = p;
    std::set<std::string> offered;
    for (std::size_t k = 0; k < starts.names().size(); ++k) {
      const std::string& name = starts.names()[k];
      offered.insert(name);
      auto it = std::find_if(tracks.begin(), tracks.end(), [&](const BranchTrack& t) { return t.name == name; });
      if (it == tracks.end()) {
        tracks.push_back({name, {}, {}});
        it = tracks.end() - 1;
      }
      BranchTrack& track = *it;
      const bool warm = !track.xs.empty();
      Eigen::VectorXd x0 = warm ? track.xs.back() : starts.x0(k);
      if (track.xs.size() == 1) {
        x0 = track.xs[0];
      } else if (track.xs.size() == 2) {  // secant predictor
        const double h = track.lambdas[1] - track.lambdas[0];
        x0 = track.xs[1] + (track.xs[1] - track.xs[0]) * ((lambda - track.lambdas[1]) / h);
      }
      // A warm start is close to the solution: Newton converges in a few steps there, where
      // Anderson can need tens of iterations on maps with complex multipliers. Cold starts and
      // failures use the spec's own solver settings.
      SolutionRecord rec;
      long spent = 0;
      if (warm) {
        SolverSettings newton = spec.solver;
        newton.method = SolverMethod::kNewton;
        newton.max_iterations = std::min(newton.max_iterations, 20);
        rec = solve_start(model, p, problem, name, x0, newton, false);
        if (!rec.converged()) {
          spent += rec.summary.map_evaluations;
          rec = solve_start(model, p, problem, name, x0, spec.solver, false);
        }
      } else {
        // After a failure on this line (typically: the branch ended at a fold), the seed gets a
        // tenth of the budget, so a branch that no longer exists does not dominate the scan.
        SolverSettings cold = spec.solver;
        if (track.failed_last) cold.max_iterations = std::max(1, cold.max_iterations / 10);
        rec = solve_start(model, p, problem, name, x0, cold, false);
      }
      if (warm && !rec.converged()) {
        // The prediction may have overshot a fold or left the basin: fall back to the seed.
        spent += rec.summary.map_evaluations;
        rec = solve_start(model, p, problem, name, starts.x0(k), spec.solver, false);
        ++stats.cold;
      }
      rec.summary.map_evaluations += spent;
      track.failed_last = !rec.converged();
      stats.evals += rec.summary.map_evaluations;
      ++stats.solves;
      if (rec.converged()) {
        ++stats.converged;
        track.lambdas.push_back(lambda);
        track.xs.push_back(rec.x);
        if (track.xs.size() > 2) {
          track.lambdas.erase(track.lambdas.begin());
          track.xs.erase(track.xs.begin());
        }
      } else {
        track.reset();
      }
      sp.records.push_back(std::move(rec));
    }
    for (auto& t : tracks)
      if (!offered.count(t.name)) t.reset();
    classify_solutions(model, sp.records, spec.solver.tol);
    out.push_back(std::move(sp));
  }
  return out;
}

}  // namespace

void preflight_scan(const Spec& spec) {
  if (spec.scan.branches.empty() || !spec.init.empty()) return;
  std::set<std::string> seen;
  const std::size_t lines = spec.scan.line_count();
  const GridAxis& along = spec.scan.axes[static_cast<std::size_t>(spec.scan.along)];
  for (std::size_t line = 0; line < lines; ++line) {
    Point p = line_point(spec, line);
    for (double v : along.values) {
      p.params[along.param_index] = v;
      for (const auto& n : spec.model->branch_names(p)) seen.insert(n);
    }
  }
  for (std::size_t i = 0; i < spec.scan.branches.size(); ++i) {
    const std::string& b = spec.scan.branches[i];
    if (!seen.count(b))
      throw InputError("init.unknown_branch", spec.source + ": /task/branches/" + std::to_string(i),
                       "model " + spec.model->id() + " offers no branch '" + b + "' on this grid" +
                           did_you_mean(b, std::vector<std::string>(seen.begin(), seen.end())) +
                           "; branches on this grid: " + [&] {
                             std::string s;
                             for (const auto& n : seen) s += (s.empty() ? "" : ", ") + n;
                             return s;
                           }());
  }
}

ScanResult run_scan(const Spec& spec, const ScanOptions& options, std::ostream& progress_out) {
  const auto t0 = Clock::now();
  ScanResult result;
  result.total_lines = spec.scan.line_count();
  result.first_line = result.total_lines * (options.shard_index - 1) / options.shard_count;
  result.end_line = result.total_lines * options.shard_index / options.shard_count;
  const std::size_t n_lines = result.end_line - result.first_line;
  const std::size_t per_line = spec.scan.axes[static_cast<std::size_t>(spec.scan.along)].values.size();

  std::vector<std::vector<ScanPoint>> lines(n_lines);
  std::vector<LineStats> stats(n_lines);
  std::atomic<std::size_t> done_points{0};
  std::atomic<bool> finished{false};
  std::thread reporter;
  if (options.progress) {
    reporter = std::thread([&] {
      const std::size_t total = n_lines * per_line;
      bool shown = false;
      while (!finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        if (secs < 1.0 || finished) continue;
        const std::size_t d = done_points;
        const double rate = d / secs;
        const double eta = rate > 0 ? (total - d) / rate : 0.0;
        char buf[160];
        std::snprintf(buf, sizeof buf, "\rscan: %zu/%zu points (%.0f%%), %.0f points/s, ETA %.0f s   ",
                      d, total, total ? 100.0 * d / total : 100.0, rate, eta);
        progress_out << buf << std::flush;
        shown = true;
      }
      if (shown) progress_out << "\n" << std::flush;
    });
  }
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(std::max<std::size_t>(1, n_lines))));
  try {
    parallel_for(n_lines, jobs, [&](std::size_t i) {
      lines[i] = solve_line(spec, result.first_line + i, stats[i]);
      done_points += per_line;
    });
  } catch (...) {
    finished = true;
    if (reporter.joinable()) reporter.join();
    throw;
  }
  finished = true;
  if (reporter.joinable()) reporter.join();

  for (std::size_t i = 0; i < n_lines; ++i) {
    for (auto& p : lines[i]) result.points.push_back(std::move(p));
    result.map_evaluations += stats[i].evals;
    result.branch_solves += stats[i].solves;
    result.converged += stats[i].converged;
    result.cold_restarts += stats[i].cold;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return result;
}

std::string scan_table_csv(const Spec& spec, const ScanResult& result) {
  const FixedPointModel& model = *spec.model;
  std::vector<std::string> cols = solution_columns(model);
  cols.pop_back();  // no spectral radius in scans (it would double the work per point)
  std::vector<std::vector<std::string>> rows;
  for (const auto& sp : result.points)
    for (const auto& r : sp.records) {
      auto row = solution_row(model, sp.point, r);
      row.pop_back();
      rows.push_back(std::move(row));
    }
  return csv_table(cols, rows);
}

std::string phases_table_csv(const Spec& spec, const ScanResult& result) {
  const FixedPointModel& model = *spec.model;
  std::vector<std::string> cols = model.parameter_names();
  for (const auto& o : model.option_names()) cols.push_back(o);
  for (const char* c : {"selected_branch", "phase"}) cols.push_back(c);
  for (const auto& n : model.order_parameter_names()) cols.push_back(n);
  cols.push_back("free_energy");
  cols.push_back("branches_converged");
  std::vector<std::vector<std::string>> rows;
  for (const auto& sp : result.points) {
    std::vector<std::string> row;
    for (Eigen::Index i = 0; i < sp.point.params.size(); ++i) row.push_back(format_number(sp.point.params[i]));
    for (const auto& o : sp.point.options) row.push_back(o);
    const SolutionRecord* sel = nullptr;
    int converged = 0;
    for (const auto& r : sp.records) {
      if (r.selected) sel = &r;
      converged += r.converged() ? 1 : 0;
    }
    if (sel) {
      row.push_back(sel->branch);
      row.push_back(sel->phase);
      for (Eigen::Index i = 0; i < sel->x.size(); ++i) row.push_back(format_number(sel->x[i]));
      row.push_back(sel->free_energy ? format_number(*sel->free_energy) : "");
    } else {  // nothing converged here: empty cells, never a silent number
      row.push_back("");
      row.push_back("none_converged");
      for (std::size_t i = 0; i < model.order_parameter_names().size(); ++i) row.push_back("");
      row.push_back("");
    }
    row.push_back(std::to_string(converged) + "/" + std::to_string(sp.records.size()));
    rows.push_back(std::move(row));
  }
  return csv_table(cols, rows);
}

}  // namespace saddle
