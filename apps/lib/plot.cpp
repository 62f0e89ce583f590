#include "plot.hpp"

#include <algorithm>
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
    // default colour: the first order parameter of the selected branch (the column after "phase")
    const std::string z = column.empty() ? cols[static_cast<std::size_t>(column_index(cols, "phase", "phases.csv"))] : column;
    const std::string along = summary["spec"]["task"]["along"];
    const auto scols = fs::exists(d / "scan.csv") ? csv_header(d / "scan.csv") : std::vector<std::string>{};
    const bool from_scan = std::find(cols.begin(), cols.end(), z) == cols.end() &&
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
    if (from_scan) {
    } else if (ordered.size() == 1) {
      const int cx = column_index(cols, ordered[0], "phases.csv");
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
  } else {
    throw InputError("plot.unsupported", dir, "task type '" + type + "' has no plot yet; expected a scan or a phase_diagram result");
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
