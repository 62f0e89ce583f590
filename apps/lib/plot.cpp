#include "plot.hpp"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"
#include "trajectory_task.hpp"

namespace saddle {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::string> csv_header(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw InputError("file.missing", file.string(), "no such file");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> cols;
  std::stringstream ss(line);
  for (std::string c; std::getline(ss, c, ',');) cols.push_back(c);
  return cols;
}

int column_index(const std::vector<std::string>& cols, const std::string& name, const std::string& where) {
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (cols[i] == name) return static_cast<int>(i) + 1;  // gnuplot columns are 1-based
  std::string list;
  for (const auto& c : cols) list += (list.empty() ? "" : ", ") + c;
  throw InputError("plot.unknown_column", where, "no column '" + name + "'" + did_you_mean(name, cols) + "; columns: " + list);
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

std::string gnuplot_label(const std::string& s) {  // no enhanced-text subscripts from "T_g"
  return quoted(s);
}

}  // namespace

void plot_result(const std::string& dir, const std::string& column, std::ostream& out) {
  const fs::path d(dir);
  const json summary = load_json_file((d / "summary.json").string());
  if (!summary.contains("spec") || !summary["spec"].contains("task"))
    throw InputError("plot.not_a_result", (d / "summary.json").string(), "not a saddle result (no spec.task)");
  const std::string type = summary["spec"]["task"]["type"];
  const std::string model = summary["spec"]["model"];
  std::ostringstream gp;
  gp << "# gnuplot script written by saddle plot; edit and run: gnuplot plot.gp\n"
     << "set datafile separator ','\nset key outside right top noenhanced\nset grid\n"
     << "set title " << quoted(model + " " + type) << " noenhanced\n";
  std::ostringstream body;
  if (type == "phase_diagram") {
    const std::string x = summary["spec"]["task"]["x"], y = summary["spec"]["task"]["y"];
    const auto& range = summary["spec"]["task"]["range"];
    body << "set xlabel " << gnuplot_label(x) << " noenhanced\nset ylabel " << gnuplot_label(y) << " noenhanced\n"
         << "set xrange [" << format_number(range[x][0]) << ":" << format_number(range[x][1]) << "]\n"
         << "set yrange [" << format_number(range[y][0]) << ":" << format_number(range[y][1]) << "]\n";
    std::vector<std::string> plots;
    for (const auto& b : summary["boundaries"]) {
      if (b["points"].get<int>() == 0) continue;
      const std::string table = b["table"];
      const auto cols = csv_header(d / table);
      const int cx = column_index(cols, x, table), cy = column_index(cols, y, table);
      plots.push_back(quoted(table) + " using " + std::to_string(cx) + ":" + std::to_string(cy) +
                      " every ::1 with lines lw 2 title " + quoted(b["name"].get<std::string>() + " (" + b["kind"].get<std::string>() + ")"));
    }
    if (plots.empty()) throw InputError("plot.empty", dir, "no boundary was traced; nothing to draw");
    if (summary.contains("phase_labels"))
      for (const auto& l : summary["phase_labels"]["labels"])
        body << "set label " << quoted(l["phase"].get<std::string>()) << " at " << format_number(l[x].get<double>()) << ","
             << format_number(l[y].get<double>()) << " center front font ',13' tc rgb '#333333'\n";
    body << "plot ";
    for (std::size_t i = 0; i < plots.size(); ++i) body << (i ? ", \\\n     " : "") << plots[i];
    body << "\n";
  } else if (type == "scan") {
    const auto& grid = summary["spec"]["task"]["grid"];
    std::vector<std::string> axes;
    for (auto it = grid.begin(); it != grid.end(); ++it) axes.push_back(it.key());
    const auto cols = csv_header(d / "phases.csv");
    // axes in table order (the model's parameter order)
    std::vector<std::string> ordered;
    for (const auto& c : cols)
      if (std::find(axes.begin(), axes.end(), c) != axes.end()) ordered.push_back(c);
    // an observable of a 1-axis scan (a column of scan.csv only, e.g. E_g of a learning curve):
    // drawn from the selected rows of scan.csv, on log axes where the grid is log-spaced
    const bool scan_observable = ordered.size() == 1 && !column.empty() &&
                                 std::find(cols.begin(), cols.end(), column) == cols.end();
    if (scan_observable) {
      const auto scols = csv_header(d / "scan.csv");
      const int sx = column_index(scols, ordered[0], "scan.csv"),
                sz = column_index(scols, column, "scan.csv");
      const int ss = column_index(scols, "selected", "scan.csv");
      const auto v = grid[ordered[0]]["values"].get<std::vector<double>>();
      bool log_spaced = v.size() >= 3 && v.front() > 0;
      for (std::size_t i = 2; log_spaced && i < v.size(); ++i)
        log_spaced =
            std::fabs(v[i] / v[i - 1] - v[1] / v[0]) < 1e-9 * v[1] / v[0] && v[1] / v[0] != 1;
      if (log_spaced) body << "set logscale xy\n";
      body << "set xlabel " << gnuplot_label(ordered[0]) << " noenhanced\nset ylabel "
           << gnuplot_label(column) << " noenhanced\nplot 'scan.csv' using " << sx << ":(strcol("
           << ss << ") eq 'true' ? column(" << sz << ") : NaN) every ::1 with linespoints title "
           << quoted(column) << "\n";
    }
    // default colour: the first order parameter of the selected branch (the column after "phase")
    const std::string z = column.empty() || scan_observable
                              ? cols[static_cast<std::size_t>(column_index(cols, "phase", "phases.csv"))]
                              : column;
    const std::string along = summary["spec"]["task"]["along"];
    const auto scols = fs::exists(d / "scan.csv") ? csv_header(d / "scan.csv") : std::vector<std::string>{};
    const bool from_scan = !scan_observable && std::find(cols.begin(), cols.end(), z) == cols.end() &&
                           std::find(scols.begin(), scols.end(), z) != scols.end() && ordered.size() == 2;
    if (from_scan) {
      // An observable (xi_c, lambda_AT, ...) is a column of scan.csv: colour by it on the rows of
      // the selected branch. Depth scales and similar observables diverge on critical lines: the
      // colour range is the 5th to 95th percentile of the finite values, said in the label.
      const std::string other = ordered[0] == along ? ordered[1] : ordered[0];
      const int cx = column_index(scols, along, "scan.csv"), cy = column_index(scols, other, "scan.csv");
      const int sz = column_index(scols, z, "scan.csv"), cs = column_index(scols, "selected", "scan.csv");
      std::vector<double> values;
      std::ifstream in(d / "scan.csv");
      std::string row;
      std::getline(in, row);
      while (std::getline(in, row)) {
        std::vector<std::string> cells;
        std::stringstream rs(row);
        for (std::string c; std::getline(rs, c, ',');) cells.push_back(c);
        if (static_cast<int>(cells.size()) < std::max(sz, cs) || cells[static_cast<std::size_t>(cs - 1)] != "true") continue;
        char* end = nullptr;
        const double v = std::strtod(cells[static_cast<std::size_t>(sz - 1)].c_str(), &end);
        if (end != cells[static_cast<std::size_t>(sz - 1)].c_str() && std::isfinite(v)) values.push_back(v);
      }
      std::string label = z;
      if (values.size() >= 20) {
        std::sort(values.begin(), values.end());
        const double lo = values[values.size() / 20], hi = values[values.size() - 1 - values.size() / 20];
        if (hi > lo) {
          body << "set cbrange [" << format_number(lo) << ":" << format_number(hi) << "]\n";
          label += " (colour range: 5-95% of values)";
        }
      }
      body << "set xlabel " << gnuplot_label(along) << " noenhanced\nset ylabel " << gnuplot_label(other)
           << " noenhanced\nset cblabel " << gnuplot_label(label) << " noenhanced\n"
           << "set view map\nset palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
           << "plot 'scan.csv' using " << cx << ":" << cy << ":(strcol(" << cs << ") eq 'true' ? $" << sz
           << " : 1/0) every ::1 with points pt 5 ps 0.35 palette notitle\n";
    }
    const int cz = from_scan ? 0 : column_index(cols, z, "phases.csv");
    if (from_scan || scan_observable) {
    } else if (ordered.size() == 1) {
      const int cx = column_index(cols, ordered[0], "phases.csv");
      if (grid[ordered[0]].value("spacing", "") == "log") body << "set logscale x\n";
      body << "set xlabel " << gnuplot_label(ordered[0]) << " noenhanced\nset ylabel " << gnuplot_label(cols[static_cast<std::size_t>(cz - 1)]) << " noenhanced\n"
           << "plot 'phases.csv' using " << cx << ":" << cz << " every ::1 with linespoints title " << quoted(cols[static_cast<std::size_t>(cz - 1)]) << "\n";
    } else if (ordered.size() == 2) {
      const std::string other = ordered[0] == along ? ordered[1] : ordered[0];
      const int cx = column_index(cols, along, "phases.csv"), cy = column_index(cols, other, "phases.csv");
      body << "set xlabel " << gnuplot_label(along) << " noenhanced\nset ylabel " << gnuplot_label(other) << " noenhanced\n"
           << "set cblabel " << gnuplot_label(cols[static_cast<std::size_t>(cz - 1)]) << " noenhanced\n"
           << "set view map\nset palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')\n"
           << "plot 'phases.csv' using " << cx << ":" << cy << ":" << cz
           << " every ::1 with points pt 5 ps 0.35 palette notitle\n";
    } else {
      throw InputError("plot.unsupported", dir, "scans over " + std::to_string(ordered.size()) + " axes are not drawn; expected 1 or 2 axes");
    }
  } else if (type == "continuation") {
    // The branch (y: --z column, default the first order parameter) against the continuation
    // parameter, solid where stable and dashed where not (thermodynamic stability when the spec
    // named an indicator, else iteration stability), special points marked and named.
    const std::string xname = summary["spec"]["task"]["parameter"];
    const auto cols = csv_header(d / "branch.csv");
    const int cx = column_index(cols, xname, "branch.csv");
    const int cy = column.empty() ? cx + 1 : column_index(cols, column, "branch.csv");
    const std::string yname = cols[static_cast<std::size_t>(cy - 1)];
    const bool thermo = std::find(cols.begin(), cols.end(), "thermodynamically_stable") != cols.end();
    const int cs = column_index(cols, thermo ? "thermodynamically_stable" : "iteration_stable", "branch.csv");
    const int cl = column_index(cols, "label", "branch.csv");
    const std::string sx = std::to_string(cx), sy = std::to_string(cy), ss = std::to_string(cs);
    const std::string stability = thermo ? "thermodynamically " : "iteration-";
    // The labelled rows go in data blocks: gnuplot's strcol() repeats the previous row's value
    // for an empty last field (label is the last column), so filtering branch.csv by label in
    // gnuplot would mark wrong rows.
    std::ifstream in(d / "branch.csv");
    std::string line;
    std::getline(in, line);
    std::ostringstream special, milestones;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream row(line);
      for (std::string cell; std::getline(row, cell, ',');) f.push_back(cell);
      if (static_cast<int>(f.size()) < cl || f[static_cast<std::size_t>(cl - 1)].empty()) continue;
      const std::string label = f[static_cast<std::size_t>(cl - 1)];
      const std::string& xv = f[static_cast<std::size_t>(cx - 1)];
      const std::string& yv = f[static_cast<std::size_t>(cy - 1)];
      if (label == "milestone") milestones << xv << "," << yv << "\n";
      else if (label != "start" && label != "end")
        {
        char at[64];
        std::snprintf(at, sizeof at, "%.10g", std::stod(xv));
        special << xv << "," << yv << ",\"" << label << " at " << at << "\"\n";
      }
    }
    if (!special.str().empty()) body << "$special << EOD\n" << special.str() << "EOD\n";
    if (!milestones.str().empty()) body << "$milestones << EOD\n" << milestones.str() << "EOD\n";
    body << "set xlabel " << gnuplot_label(xname) << " noenhanced\nset ylabel " << gnuplot_label(yname) << " noenhanced\n"
         << "set offsets graph 0.02, graph 0.02, graph 0.06, graph 0.06\n"
         << "plot 'branch.csv' using " << sx << ":(strcol(" << ss << ") eq 'true' ? column(" << sy << ") : NaN) every ::1 "
         << "with lines lw 2 lc rgb '#1f77b4' title " << quoted(stability + "stable") << ", \\\n"
         << "     'branch.csv' using " << sx << ":(strcol(" << ss << ") eq 'true' ? NaN : column(" << sy << ")) every ::1 "
         << "with lines lw 2 dt 2 lc rgb '#1f77b4' title " << quoted("unstable or unknown");
    if (!special.str().empty())
      body << ", \\\n     $special using 1:2:3 with labels point pt 7 ps 1.3 lc rgb '#d62728' offset char -1,-1.2 right notitle";
    if (!milestones.str().empty())
      body << ", \\\n     $milestones using 1:2 with points pt 6 ps 1 lc rgb '#555555' title 'milestones'";
    body << "\n";
  } else if (type == "trajectory") {
    body << trajectory_plot_body(dir, column);
  } else {
    throw InputError("plot.unsupported", dir,
                     "task type '" + type + "' has no plot yet; expected a scan, continuation, phase_diagram or trajectory result");
  }
  const std::string script = gp.str() + body.str();
  const std::string full = script + "set terminal pngcairo size 1000,700 noenhanced\nset output 'plot.png'\nreplot\n"
                                    "set terminal svg size 1000,700 noenhanced\nset output 'plot.svg'\nreplot\n";
  write_file_atomic(dir, "plot.gp", script);
  write_file_atomic(dir, ".plot-render.gp", full);
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
    throw InputError("plot.no_gnuplot", "gnuplot", "not found on PATH; install it (scripts/deps.sh installs gnuplot-nox)");
  const std::string cmd = "cd " + quoted(dir) + " && gnuplot .plot-render.gp 2> .plot-errors.txt";
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  fs::remove(d / ".plot-render.gp", ec);
  if (rc != 0) {
    std::ifstream e(d / ".plot-errors.txt");
    std::stringstream ss;
    ss << e.rdbuf();
    throw InternalError("gnuplot failed on " + dir + "/plot.gp: " + ss.str());
  }
  fs::remove(d / ".plot-errors.txt", ec);
  out << dir << "/plot.png, " << dir << "/plot.svg (script: " << dir << "/plot.gp)\n";
}

}  // namespace saddle
