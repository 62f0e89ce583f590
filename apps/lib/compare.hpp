// `saddle compare THEORY SIM --x COL --y COL [--err COL] ...`: theory against simulation.
//
// THEORY is a result directory of `saddle run` (branch.csv of a continuation, scan.csv of a scan,
// solutions.csv of a solve) or a spec file, which is then solved at the simulation's x values.
// SIM is a CSV table with a header row, from any simulator. Theory is evaluated at every
// simulation x: from a table by monotone cubic (PCHIP) interpolation along the chosen branch, in
// the monotone piece of the branch the user picked (a continuation branch that folds back is
// several pieces in x); from a spec by solving there, warm-started along x.
//
// Per point: sim, sim_err, theory, difference = sim - theory, z = difference / sim_err, and an
// estimate of the interpolation error (|PCHIP - linear|). Per y column (and per --group value):
// RMSE, max |difference|, chi^2 per degree of freedom (sum z^2 / n: the theory has no fitted
// parameters), the fraction of points within 2 sigma. Written to DIR/compare.csv,
// DIR/summary.json and an overlay plot DIR/plot.{png,svg,gp} (theory curve, points with error
// bars, residual panel).
//
// Exit codes: 0 agree (or no verdict asked); kCompareDisagree when --tolerance or --max-chi2 is
// exceeded; 1 when theory did not converge at some point (marked in the table); 2 bad input.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace saddle {

// The exit code of a comparison whose verdict is "theory and simulation disagree".
inline constexpr int kCompareDisagree = 4;

// What to do with simulation points outside the x range of the theory (or where a spec's branch
// has no solution).
enum class OutsidePolicy { kError, kSkip };
std::string to_string(OutsidePolicy p);

struct CompareOptions {
  std::string theory;               // result directory or spec file
  std::string sim;                  // CSV file
  std::string x;                    // column in both (a model parameter)
  std::vector<std::string> y;       // one or more columns in both
  std::vector<std::string> err;     // none, or one per y: standard errors of the sim values
  std::string group;                // optional sim column splitting points into series (e.g. N)
  std::string output;               // output directory (default: out/compare-<sim stem>)
  std::string branch;               // scan/solutions/spec: branch name (default: the selected one;
                                    // continuation spec: its task.branch)
  int piece = 0;                    // branch.csv: monotone piece in x, 1-based; 0 = the piece
                                    // holding the start of the branch (the one the spec follows)
  std::optional<double> tolerance;  // verdict: max |difference| allowed
  std::optional<double> max_chi2;   // verdict: chi^2 per dof allowed (needs err)
  std::string outside = "error";    // "error" | "skip" (see OutsidePolicy)
  bool plot = true;
  int plot_points = 121;  // theory curve resolution when THEORY is a spec

  // Throws InputError naming the flag, the value and the rule.
  void validate() const;
  OutsidePolicy outside_policy() const;  // after validate()
};

// Monotone cubic Hermite interpolation (Fritsch-Carlson) through (x_i, y_i), x strictly
// increasing, evaluated at t in [x_0, x_n-1]. No overshoot, so it is safe near the vertical
// tangent at a fold. Two points: linear.
double pchip(const std::vector<double>& x, const std::vector<double>& y, double t);
double linear_interp(const std::vector<double>& x, const std::vector<double>& y, double t);

// Splits a sequence into maximal strictly monotone runs [begin, end) (indices). Consecutive runs
// share their turning point, so every segment of the path belongs to exactly one run.
std::vector<std::pair<std::size_t, std::size_t>> monotone_pieces(const std::vector<double>& x);

// Runs the comparison; writes outputs; returns the exit code. Throws InputError on bad input
// before writing anything.
int run_compare(const CompareOptions& options, std::ostream& out, std::ostream& err);

// The `compare` subcommand of the CLI, filling `options`.
CLI::App* add_compare_subcommand(CLI::App& app, CompareOptions& options);

}  // namespace saddle
