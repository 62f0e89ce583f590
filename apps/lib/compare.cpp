#include "compare.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "output.hpp"
#include "runner.hpp"
#include "saddle/error.hpp"
#include "saddle/problem.hpp"
#include "saddle/spec.hpp"

namespace saddle {

namespace fs = std::filesystem;
using nlohmann::json;

std::string to_string(OutsidePolicy p) {
  return p == OutsidePolicy::kError ? "error" : "skip";
}

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (const auto& e : v) s += (s.empty() ? "" : sep) + e;
  return s;
}

// Relative-and-absolute equality for parameter values read back from text tables.
bool same_value(double a, double b) {
  return std::fabs(a - b) <= 1e-9 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

// ---------------------------------------------------------------------------------------------
// CSV input (RFC 4180 quoting; lines starting with '#' are comments, blank lines are skipped).

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> lines;  // 1-based file line of each row

  int column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return static_cast<int>(i);
    return -1;
  }
  std::string where(std::size_t row) const { return path + ":" + std::to_string(lines[row]); }
};

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      cells.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  cells.push_back(cur);
  for (auto& s : cells) {  // surrounding blanks are not part of a value
    const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
    s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  }
  return cells;
}

CsvTable read_csv(const std::string& path, const std::string& id_prefix) {
  CsvTable t;
  t.path = path;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw InputError(id_prefix + "_missing", path,
                     "no such file; expected a CSV table with a header row");
  if (fs::is_directory(path, ec))
    throw InputError(id_prefix + "_missing", path,
                     "is a directory; expected a CSV table with a header row");
  std::ifstream in(path);
  if (!in) throw InputError(id_prefix + "_unreadable", path, "cannot be read");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line == "\r" || line[0] == '#') continue;
    auto cells = split_csv_line(line);
    if (t.header.empty()) {
      t.header = cells;
      continue;
    }
    if (cells.size() != t.header.size())
      throw InputError("compare.ragged_row", path + ":" + std::to_string(n),
                       "has " + std::to_string(cells.size()) + " cells, the header has " +
                           std::to_string(t.header.size()) + "; expected one cell per column");
    t.rows.push_back(std::move(cells));
    t.lines.push_back(n);
  }
  if (t.header.empty())
    throw InputError("compare.empty_table", path,
                     "is empty; expected a CSV table with a header row");
  if (t.rows.empty())
    throw InputError("compare.empty_table", path, "has a header but no data rows");
  return t;
}

double parse_cell(const CsvTable& t, std::size_t row, int col) {
  const std::string& s = t.rows[row][static_cast<std::size_t>(col)];
  const std::string& name = t.header[static_cast<std::size_t>(col)];
  if (s.empty())
    throw InputError("compare.non_numeric", t.where(row),
                     "column '" + name + "' is empty; expected a finite number");
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v))
    throw InputError("compare.non_numeric", t.where(row),
                     "column '" + name + "': '" + s + "' is not a finite number");
  return v;
}

int require_column(const CsvTable& t, const std::string& name, const std::string& flag,
                   const std::string& role) {
  const int c = t.column(name);
  if (c < 0)
    throw InputError("compare.missing_column", flag + " '" + name + "'",
                     role + " " + t.path + " has no column '" + name + "'" +
                         did_you_mean(name, t.header) + "; columns: " + join(t.header));
  return c;
}

// ---------------------------------------------------------------------------------------------
// The simulation, read and checked.

struct SimPoint {
  std::size_t row;  // in the table
  std::string group;
  double x = 0;
  std::vector<double> match;   // values of the matched parameter columns
  std::vector<double> y, err;  // per y column (err empty without --err)
};

// ---------------------------------------------------------------------------------------------
// Theory: one or more lines (one per value of the matched parameters), each a path in x.

struct TheoryLine {
  std::vector<double> key;             // matched parameter values
  std::vector<double> x;               // along the path (table order)
  std::vector<std::vector<double>> y;  // [y column][node]
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  std::size_t chosen = 0;  // index into pieces
  // Theory from a spec: per node, whether it converged and its phase.
  std::vector<bool> converged;
  std::vector<std::string> phase;
};

struct Evaluation {
  bool ok = false;
  std::string status;  // compared | outside | theory_not_converged
  std::vector<double> value, interp_error;
  std::string phase;
};

struct Theory {
  std::string kind;   // branch | scan | solutions | spec
  std::string table;  // path of the table, or the spec file
  std::string model;
  std::vector<std::string> match;  // parameter columns matched with the simulation
  std::vector<TheoryLine> lines;
  std::size_t rows_used = 0, rows_not_converged = 0;
  std::string branch;  // the branch followed
};

std::string describe_key(const std::vector<std::string>& names, const std::vector<double>& key) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i)
    s += (s.empty() ? "" : ", ") + names[i] + " = " + format_number(key[i]);
  return s;
}

const TheoryLine* find_line(const Theory& th, const std::vector<double>& key) {
  for (const auto& l : th.lines) {
    bool eq = true;
    for (std::size_t i = 0; i < key.size(); ++i) eq = eq && same_value(l.key[i], key[i]);
    if (eq) return &l;
  }
  return nullptr;
}

// x and y of one piece, ordered by increasing x.
void piece_data(const TheoryLine& l, std::size_t piece, std::size_t ycol, std::vector<double>& xs,
                std::vector<double>& ys) {
  const auto [b, e] = l.pieces[piece];
  xs.assign(l.x.begin() + static_cast<long>(b), l.x.begin() + static_cast<long>(e));
  ys.assign(l.y[ycol].begin() + static_cast<long>(b), l.y[ycol].begin() + static_cast<long>(e));
  if (xs.size() > 1 && xs.front() > xs.back()) {
    std::reverse(xs.begin(), xs.end());
    std::reverse(ys.begin(), ys.end());
  }
  // A row written twice at one x (a located special point next to a step) would make a zero-width
  // interval; keep the first.
  std::size_t w = 0;
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (i == 0 || xs[i] != xs[w - 1]) {
      xs[w] = xs[i];
      ys[w] = ys[i];
      ++w;
    }
  xs.resize(w);
  ys.resize(w);
}

std::pair<double, double> piece_range(const TheoryLine& l, std::size_t piece) {
  const auto [b, e] = l.pieces[piece];
  return {std::min(l.x[b], l.x[e - 1]), std::max(l.x[b], l.x[e - 1])};
}

// Splits rows by the matched keys, orders each line, finds its pieces. `ordered`: the table is a
// path already (branch.csv); otherwise it is sorted by x and must have one row per x.
void build_lines(Theory& th, std::vector<std::vector<double>> keys, std::vector<double> xs,
                 std::vector<std::vector<double>> ys, bool ordered, const std::string& where) {
  for (std::size_t r = 0; r < xs.size(); ++r) {
    TheoryLine* line = nullptr;
    for (auto& l : th.lines) {
      bool eq = true;
      for (std::size_t i = 0; i < keys[r].size(); ++i) eq = eq && same_value(l.key[i], keys[r][i]);
      if (eq) line = &l;
    }
    if (!line) {
      th.lines.push_back(
          TheoryLine{keys[r], {}, std::vector<std::vector<double>>(ys.size()), {}, 0, {}, {}});
      line = &th.lines.back();
    }
    line->x.push_back(xs[r]);
    for (std::size_t k = 0; k < ys.size(); ++k) line->y[k].push_back(ys[k][r]);
  }
  for (auto& l : th.lines) {
    if (!ordered) {
      std::vector<std::size_t> idx(l.x.size());
      for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
      std::stable_sort(idx.begin(), idx.end(), [&](auto a, auto b) { return l.x[a] < l.x[b]; });
      std::vector<double> x2;
      for (auto i : idx) x2.push_back(l.x[i]);
      for (std::size_t i = 1; i < x2.size(); ++i)
        if (x2[i] == x2[i - 1])
          throw InputError(
              "compare.ambiguous_theory", where,
              "has two rows at the same x = " + format_number(x2[i]) +
                  (th.match.empty() ? "" : " (" + describe_key(th.match, l.key) + ")") +
                  "; expected one row per x on the chosen branch (use --branch)");
      for (auto& col : l.y) {
        std::vector<double> c2;
        for (auto i : idx) c2.push_back(col[i]);
        col = c2;
      }
      l.x = x2;
      l.pieces = {{0, l.x.size()}};
    } else {
      l.pieces = monotone_pieces(l.x);
    }
  }
}

void load_theory_table(const CompareOptions& o, const json& summary, const std::string& type,
                       const CsvTable& sim, Theory& th) {
  const fs::path dir(o.theory);
  const std::string file = type == "continuation" ? "branch.csv"
                           : type == "scan"       ? "scan.csv"
                                                  : "solutions.csv";
  th.kind = type == "continuation" ? "branch" : type == "scan" ? "scan" : "solutions";
  const CsvTable t = read_csv((dir / file).string(), "compare.theory_table");
  th.table = t.path;
  th.model = summary["spec"].value("model", "");
  const json params = summary["spec"].value("params", json::object());
  const int cx = require_column(t, o.x, "--x", "theory table");
  std::vector<int> cy;
  for (const auto& y : o.y) cy.push_back(require_column(t, y, "--y", "theory table"));

  if (type == "continuation") {
    const std::string followed = summary["spec"]["task"].value("branch", "");
    th.branch = followed;
    if (!o.branch.empty() && o.branch != followed)
      throw InputError("compare.branch_mismatch", "--branch '" + o.branch + "'",
                       "a continuation result holds the one branch it followed ('" + followed +
                           "'); expected no --branch, or a scan, solve or spec theory");
  } else if (o.piece != 0) {
    throw InputError("compare.piece_not_applicable", "--piece " + std::to_string(o.piece),
                     "applies to the branch.csv of a continuation; " + t.path + " is a " + type +
                         " table, one value per x");
  }

  // Parameter columns matched with the simulation: every parameter (other than x) that the
  // simulation has. A parameter the theory varies must be given by the simulation.
  std::vector<int> match_cols;
  std::vector<double> match_const;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& name = it.key();
    if (name == o.x) continue;
    const int tc = t.column(name);
    if (sim.column(name) >= 0) {
      th.match.push_back(name);
      match_cols.push_back(tc);
      match_const.push_back(it.value().is_number() ? it.value().get<double>() : 0.0);
    } else if (tc >= 0) {
      std::optional<double> first;
      bool varies = false;
      for (std::size_t r = 0; r < t.rows.size(); ++r) {
        if (t.rows[r][static_cast<std::size_t>(tc)].empty()) continue;
        const double v = parse_cell(t, r, tc);
        if (!first) first = v;
        varies = varies || !same_value(v, *first);
      }
      if (varies)
        throw InputError("compare.missing_column", sim.path,
                         "has no column '" + name + "', but the theory " + t.path + " varies " +
                             name + "; expected a column '" + name +
                             "' saying which theory line each row is");
    }
  }

  const int c_sel = t.column("selected"), c_branch = t.column("branch"),
            c_conv = t.column("converged");
  if (th.kind != "branch")
    for (const char* c : {"branch", "selected", "converged"})
      if (t.column(c) < 0)
        throw InputError("compare.missing_column", t.path,
                         std::string("has no column '") + c + "'; expected a " + file +
                             " written by `saddle run` (branch, selected and converged columns)");
  if (th.kind != "branch" && !o.branch.empty()) {
    std::vector<std::string> names;
    bool found = false;
    for (const auto& r : t.rows) {
      const std::string& b = r[static_cast<std::size_t>(c_branch)];
      found = found || b == o.branch;
      if (std::find(names.begin(), names.end(), b) == names.end()) names.push_back(b);
    }
    if (!found)
      throw InputError("compare.unknown_branch", "--branch '" + o.branch + "'",
                       "theory " + t.path + " has no branch '" + o.branch + "'" +
                           did_you_mean(o.branch, names) + "; branches: " + join(names));
    th.branch = o.branch;
  } else if (th.kind != "branch") {
    th.branch = "selected";
  }

  std::vector<std::vector<double>> keys;
  std::vector<double> xs;
  std::vector<std::vector<double>> ys(cy.size());
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    if (th.kind != "branch") {
      if (o.branch.empty() ? row[static_cast<std::size_t>(c_sel)] != "true"
                           : row[static_cast<std::size_t>(c_branch)] != o.branch)
        continue;
      if (row[static_cast<std::size_t>(c_conv)] != "true") {
        ++th.rows_not_converged;  // marked there; never interpolated through
        continue;
      }
    }
    std::vector<double> key;
    for (std::size_t i = 0; i < match_cols.size(); ++i)
      key.push_back(match_cols[i] >= 0 ? parse_cell(t, r, match_cols[i]) : match_const[i]);
    keys.push_back(key);
    xs.push_back(parse_cell(t, r, cx));
    for (std::size_t k = 0; k < cy.size(); ++k) ys[k].push_back(parse_cell(t, r, cy[k]));
  }
  th.rows_used = xs.size();
  if (xs.empty())
    throw InputError(
        "compare.empty_theory", t.path,
        "has no converged rows on branch '" + th.branch + "'; nothing to compare with");
  build_lines(th, keys, xs, ys, th.kind == "branch", t.path);
  for (auto& l : th.lines) {
    if (o.piece > static_cast<int>(l.pieces.size()))
      throw InputError("compare.bad_piece", "--piece " + std::to_string(o.piece),
                       t.path + " has " + std::to_string(l.pieces.size()) + " monotone piece" +
                           (l.pieces.size() == 1 ? "" : "s") + " in " + o.x + "; expected 1 to " +
                           std::to_string(l.pieces.size()));
    l.chosen = o.piece > 0 ? static_cast<std::size_t>(o.piece - 1) : 0;
  }
}

// Theory from a spec: solved at the simulation's x values (and on a grid for the curve),
// warm-started along x from the chosen branch.
struct SpecTheory {
  Spec spec;
  int x_param = -1;
  std::vector<int> match_params;
  std::vector<int> y_index;  // order parameter i, observable n + i, free energy -1
  std::string branch;        // "" = selected
};

SpecTheory prepare_spec_theory(const CompareOptions& o, const CsvTable& sim, Theory& th) {
  SpecTheory st{parse_spec(load_json_file(o.theory), builtin_registry(), o.theory), -1, {}, {}, ""};
  const FixedPointModel& model = *st.spec.model;
  th.kind = "spec";
  th.table = o.theory;
  th.model = model.id();
  st.x_param = model.parameter_index(o.x);
  if (st.x_param < 0)
    throw InputError("compare.x_not_parameter", "--x '" + o.x + "'",
                     "is not a parameter of model " + model.id() +
                         did_you_mean(o.x, model.parameter_names()) +
                         "; expected one of: " + join(model.parameter_names()) +
                         " (the spec is solved at the simulation's x values)");
  std::vector<std::string> names = model.order_parameter_names();
  for (const auto& n : model.observable_names()) names.push_back(n);
  names.push_back("free_energy");
  for (const auto& y : o.y) {
    const auto it = std::find(names.begin(), names.end(), y);
    if (it == names.end())
      throw InputError("compare.missing_column", "--y '" + y + "'",
                       "model " + model.id() + " has no order parameter or observable '" + y + "'" +
                           did_you_mean(y, names) + "; expected one of: " + join(names));
    const int i = static_cast<int>(it - names.begin());
    st.y_index.push_back(i == static_cast<int>(names.size()) - 1 ? -1 : i);
  }
  for (const auto& p : model.parameter_names())
    if (p != o.x && sim.column(p) >= 0) {
      th.match.push_back(p);
      st.match_params.push_back(model.parameter_index(p));
    }
  st.branch = o.branch;
  if (st.branch.empty() && st.spec.task == TaskType::kContinuation)
    st.branch = st.spec.continuation.branch;
  th.branch = st.branch.empty() ? "selected" : st.branch;
  if (!st.branch.empty()) {
    std::vector<std::string> seeds;
    for (const auto& s : st.spec.init) seeds.push_back(s.name);
    if (st.spec.init.empty())
      for (const auto& s : model.branches(st.spec.point)) seeds.push_back(s.name);
    if (std::find(seeds.begin(), seeds.end(), st.branch) == seeds.end())
      throw InputError("compare.unknown_branch", "--branch '" + st.branch + "'",
                       "model " + model.id() + " (spec " + o.theory + ") offers no branch '" +
                           st.branch + "'" + did_you_mean(st.branch, seeds) +
                           "; branches: " + join(seeds));
  }
  return st;
}

void solve_spec_theory(const CompareOptions& o, SpecTheory& st, const std::vector<SimPoint>& pts,
                       Theory& th) {
  const FixedPointModel& model = *st.spec.model;
  // lines: distinct matched keys, in order of appearance
  std::vector<std::vector<double>> keys;
  for (const auto& p : pts) {
    bool seen = false;
    for (const auto& k : keys) {
      bool eq = true;
      for (std::size_t i = 0; i < k.size(); ++i) eq = eq && same_value(k[i], p.match[i]);
      seen = seen || eq;
    }
    if (!seen) keys.push_back(p.match);
  }
  for (const auto& key : keys) {
    std::vector<double> xs;
    for (const auto& p : pts) {
      bool eq = true;
      for (std::size_t i = 0; i < key.size(); ++i) eq = eq && same_value(key[i], p.match[i]);
      if (eq) xs.push_back(p.x);
    }
    const double lo = *std::min_element(xs.begin(), xs.end()),
                 hi = *std::max_element(xs.begin(), xs.end());
    for (int i = 0; i < o.plot_points && hi > lo; ++i)
      xs.push_back(lo + (hi - lo) * i / (o.plot_points - 1));
    std::sort(xs.begin(), xs.end());
    xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
    TheoryLine line;
    line.key = key;
    line.y.resize(o.y.size());
    Point point = st.spec.point;
    for (std::size_t i = 0; i < key.size(); ++i) point.params[st.match_params[i]] = key[i];
    std::optional<Eigen::VectorXd> previous;
    for (double x : xs) {
      point.params[st.x_param] = x;
      SolutionRecord rec;
      bool have = false;
      if (previous) {  // warm start: stays on the branch while it exists
        const FixedPointProblem problem = make_problem(model, point);
        rec = solve_start(model, point, problem, st.branch, *previous, st.spec.solver, false);
        have = rec.converged();
      }
      if (!have) {  // cold: the spec's starts (or the model's), pick the branch by name
        const auto recs = solve_point(model, point, st.spec.init, st.spec.solver);
        for (const auto& r : recs)
          if (st.branch.empty() ? r.selected : r.branch == st.branch) {
            rec = r;
            have = true;
          }
      }
      const bool ok = have && rec.converged();
      line.x.push_back(x);
      line.converged.push_back(ok);
      line.phase.push_back(have ? rec.phase : "");
      for (std::size_t k = 0; k < o.y.size(); ++k) {
        const int yi = st.y_index[k];
        double v = 0;
        if (ok) {
          const int n = static_cast<int>(rec.x.size());
          v = yi < 0 ? rec.free_energy.value_or(0.0) : yi < n ? rec.x[yi] : rec.observables[yi - n];
        }
        line.y[k].push_back(v);
      }
      if (ok)
        previous = rec.x;
      else
        previous.reset();
    }
    line.pieces = {{0, line.x.size()}};
    th.lines.push_back(std::move(line));
  }
}

Evaluation evaluate(const Theory& th, const TheoryLine& l, double x, std::size_t ny) {
  Evaluation e;
  if (th.kind == "spec") {
    for (std::size_t i = 0; i < l.x.size(); ++i)
      if (l.x[i] == x) {
        e.ok = l.converged[i];
        e.status = e.ok ? "compared" : "theory_not_converged";
        e.phase = l.phase[i];
        for (std::size_t k = 0; k < ny; ++k) {
          e.value.push_back(l.y[k][i]);
          e.interp_error.push_back(0.0);
        }
        return e;
      }
  }
  const auto [lo, hi] = piece_range(l, l.chosen);
  const double slack = 1e-12 * std::max({1.0, std::fabs(lo), std::fabs(hi)});
  if (x < lo - slack || x > hi + slack) {
    e.status = "outside";
    return e;
  }
  const double t = std::clamp(x, lo, hi);
  std::vector<double> xs, ys;
  for (std::size_t k = 0; k < ny; ++k) {
    piece_data(l, l.chosen, k, xs, ys);
    const double p = pchip(xs, ys, t);
    if (!std::isfinite(p))
      throw InternalError("interpolation gave a non-finite value at x = " + format_number(x) +
                          " in " + th.table);
    e.value.push_back(p);
    e.interp_error.push_back(std::fabs(p - linear_interp(xs, ys, t)));
  }
  e.ok = true;
  e.status = "compared";
  return e;
}

struct Stats {
  std::string y, group;
  std::size_t n = 0, outside = 0, not_converged = 0;
  double rmse = 0, max_abs = 0, x_at_max = 0, chi2 = 0, within2 = 0, max_interp = 0;
  // chi^2 and z-scores use points with a positive error only: a zero standard error (every
  // sample equal, e.g. m = 1 deep in retrieval) has no z-score and is counted apart.
  std::size_t dof = 0, zero_err = 0;
  bool has_err = false;
  bool pooled = false;  // all groups together (only with --group)
};

json stats_json(const Stats& s) {
  json j = {{"y", s.y},
            {"points", s.n},
            {"outside", s.outside},
            {"theory_not_converged", s.not_converged}};
  if (s.pooled)
    j["group"] = "all";
  else if (!s.group.empty())
    j["group"] = s.group;
  if (s.n == 0) return j;
  j["rmse"] = s.rmse;
  j["max_abs_difference"] = s.max_abs;
  j["x_at_max_abs_difference"] = s.x_at_max;
  j["max_interpolation_error"] = s.max_interp;
  if (s.has_err) {
    j["chi2"] = s.chi2;
    j["dof"] = s.dof;
    j["zero_error_points"] = s.zero_err;
    if (s.dof > 0) {
      j["chi2_per_dof"] = s.chi2 / static_cast<double>(s.dof);
      j["fraction_within_2sigma"] = s.within2;
    }
  }
  return j;
}

std::string gp_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + "'";
}

void draw(const CompareOptions& o, const Theory& th, const std::vector<std::string>& groups,
          const std::vector<SimPoint>& pts, const std::string& dir, std::ostream& out) {
  // one x range for both panels, so residuals sit under their points
  double xlo = pts.front().x, xhi = pts.front().x;
  for (const auto& p : pts) xlo = std::min(xlo, p.x), xhi = std::max(xhi, p.x);
  for (const auto& l : th.lines)
    for (double x : l.x) xlo = std::min(xlo, x), xhi = std::max(xhi, x);
  const double pad = 0.02 * (xhi - xlo > 0 ? xhi - xlo : std::max(1.0, std::fabs(xlo)));
  // compare.csv columns: y, [group], x, ... ; theory.csv: line, piece, chosen, x, y...
  const bool has_group = !o.group.empty(), has_err = !o.err.empty();
  const int cy = 1, cg = 2, cx = has_group ? 3 : 2;
  const int first_after_match = cx + 1 + static_cast<int>(th.match.size());
  const int csim = first_after_match, cerr = csim + 1;
  const int cdiff = has_err ? cerr + 2 : csim + 2;
  std::ostringstream gp;
  gp << "# gnuplot script written by saddle compare; edit and run: gnuplot plot.gp\n"
     << "set datafile separator ','\nset key box opaque bottom left noenhanced\nset grid\n"
     << "set xrange [" << format_number(xlo - pad) << ":" << format_number(xhi + pad) << "]\n"
     << "set multiplot title "
     << gp_quote(th.model + ": theory (" + th.kind + ") against " +
                 fs::path(o.sim).filename().string())
     << " noenhanced\n";
  const double ny = static_cast<double>(o.y.size());
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                          "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};
  for (std::size_t k = 0; k < o.y.size(); ++k) {
    const std::string yq = gp_quote(o.y[k]);
    auto sel = [&](int col, const std::string& g) {
      std::string cond = "strcol(" + std::to_string(cy) + ") eq " + yq;
      if (has_group) cond += " && strcol(" + std::to_string(cg) + ") eq " + gp_quote(g);
      return "((" + cond + ") ? $" + std::to_string(col) + " : 1/0)";
    };
    // the key goes into the emptiest corner (fewest points and theory nodes in its 40% x 35% box)
    std::vector<std::pair<double, double>> cloud;
    for (const auto& p : pts) cloud.push_back({p.x, p.y[k]});
    for (const auto& l : th.lines)
      for (std::size_t i = 0; i < l.x.size(); ++i) cloud.push_back({l.x[i], l.y[k][i]});
    double ylo = cloud.front().second, yhi = ylo;
    for (const auto& c : cloud) ylo = std::min(ylo, c.second), yhi = std::max(yhi, c.second);
    const char* corners[] = {"bottom left", "top left", "bottom right", "top right"};
    int best = 0;
    std::size_t fewest = cloud.size() + 1;
    for (int c = 0; c < 4; ++c) {
      std::size_t count = 0;
      for (const auto& [cx_, cy_] : cloud) {
        const double u = (cx_ - xlo) / std::max(1e-300, xhi - xlo);
        const double v = (cy_ - ylo) / std::max(1e-300, yhi - ylo);
        count += ((c < 2) ? u < 0.4 : u > 0.6) && ((c % 2 == 0) ? v < 0.35 : v > 0.65);
      }
      if (count < fewest) fewest = count, best = c;
    }
    gp << "\n# panel: " << o.y[k] << "\n"
       << "set key " << corners[best] << "\n"
       << "set origin " << k / ny << ",0.32\nset size " << 1 / ny << ",0.64\n"
       << "set lmargin 10\nset bmargin 0.6\nset format x ''\nunset xlabel\nset ylabel " << yq
       << " noenhanced\n"
       << "plot ";
    std::vector<std::string> series;
    for (std::size_t li = 0; li < th.lines.size(); ++li) {
      const std::string lab =
          th.match.empty() ? "" : " " + describe_key(th.match, th.lines[li].key);
      const int ty = 6 + static_cast<int>(k);  // theory.csv: line, piece, chosen, phase, x, y...
      auto pick = [&](int chosen) {
        const std::string c =
            "(($1==" + std::to_string(li) + " && $3==" + std::to_string(chosen) + ") ? $";
        return c + "5 : 1/0):" + c + std::to_string(ty) + " : 1/0)";
      };
      series.push_back("'theory.csv' using " + pick(1) +
                       " every ::1 with lines lw 2 lc rgb 'black' title " +
                       gp_quote("theory" + lab));
      if (th.kind == "branch")
        series.push_back("'theory.csv' using " + pick(0) +
                         " every ::1 with lines lw 1 dt 2 lc rgb 'gray40' title " +
                         gp_quote("theory, other pieces" + lab));
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const std::string title = has_group ? o.group + " = " + groups[g] : "simulation";
      const std::string color = colors[g % 8];
      // every column filtered: gnuplot autoscales y on rows whose x alone is undefined
      series.push_back("'compare.csv' using " + sel(cx, groups[g]) + ":" + sel(csim, groups[g]) +
                       (has_err ? ":" + sel(cerr, groups[g]) + " every ::1 with yerrorbars"
                                : " every ::1 with points") +
                       " pt 7 ps 0.6 lc rgb '" + color + "' title " + gp_quote(title));
    }
    gp << join(series, ", \\\n     ") << "\n";
    gp << "set origin " << k / ny << ",0.0\nset size " << 1 / ny
       << ",0.32\nset tmargin 0.6\nset bmargin 4\n"
       << "set format x '%g'\nset xlabel " << gp_quote(o.x) << " noenhanced\nset ylabel "
       << gp_quote("sim - theory") << " noenhanced\nset key off\n"
       << "plot 0 with lines lc rgb 'black' notitle";
    for (std::size_t g = 0; g < groups.size(); ++g)
      gp << ", \\\n     'compare.csv' using " << sel(cx, groups[g]) << ":" << sel(cdiff, groups[g])
         << (has_err ? ":" + sel(cerr, groups[g]) + " every ::1 with yerrorbars"
                     : " every ::1 with points")
         << " pt 7 ps 0.5 lc rgb '" << colors[g % 8] << "' notitle";
    gp << "\nset key on\nset tmargin\n";
  }
  gp << "unset multiplot\n";
  const std::string script = gp.str();
  write_file_atomic(dir, "plot.gp", script);
  const double w = 560 * ny + 140;
  const std::string size = std::to_string(static_cast<int>(w)) + ",760";
  write_file_atomic(dir, ".plot-render.gp",
                    "set terminal pngcairo size " + size + " noenhanced\nset output 'plot.png'\n" +
                        script + "set terminal svg size " + size +
                        " noenhanced\nset output 'plot.svg'\n" + script);
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
    throw InternalError(
        "gnuplot is not on PATH (scripts/deps.sh installs gnuplot-nox); tables were written to " +
        dir + ", use --no-plot to skip the plot");
  const std::string cmd = "cd " + gp_quote(dir) + " && gnuplot .plot-render.gp 2> .plot-errors.txt";
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  fs::remove(fs::path(dir) / ".plot-render.gp", ec);
  if (rc != 0) {
    std::ifstream e(fs::path(dir) / ".plot-errors.txt");
    std::stringstream ss;
    ss << e.rdbuf();
    throw InternalError("gnuplot failed on " + dir + "/plot.gp: " + ss.str());
  }
  fs::remove(fs::path(dir) / ".plot-errors.txt", ec);
  out << dir << "/plot.png, " << dir << "/plot.svg (script: " << dir << "/plot.gp)\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

void CompareOptions::validate() const {
  if (y.empty())
    throw InputError("compare.no_y", "--y", "missing; expected at least one column to compare");
  for (std::size_t i = 0; i < y.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (y[i] == y[j])
        throw InputError("compare.duplicate_y", "--y '" + y[i] + "'",
                         "is given twice; expected each column once");
  if (!err.empty() && err.size() != y.size())
    throw InputError("compare.err_count", "--err",
                     std::to_string(err.size()) + " column" + (err.size() == 1 ? "" : "s") +
                         " given for " + std::to_string(y.size()) + " --y column" +
                         (y.size() == 1 ? "" : "s") +
                         "; expected one --err per --y, in the same order");
  if (tolerance && !(*tolerance > 0 && std::isfinite(*tolerance)))
    throw InputError(
        "compare.bad_tolerance", "--tolerance",
        "value " + format_number(*tolerance) + " is out of range; expected a finite number > 0");
  if (max_chi2 && !(*max_chi2 > 0 && std::isfinite(*max_chi2)))
    throw InputError(
        "compare.bad_max_chi2", "--max-chi2",
        "value " + format_number(*max_chi2) + " is out of range; expected a finite number > 0");
  if (max_chi2 && err.empty())
    throw InputError("compare.chi2_needs_err", "--max-chi2",
                     "needs the simulation's standard errors; expected --err COLUMN for every --y");
  if (piece < 0)
    throw InputError("compare.bad_piece", "--piece " + std::to_string(piece),
                     "expected a piece number >= 1");
  if (outside != "error" && outside != "skip")
    throw InputError("compare.bad_outside", "--outside '" + outside + "'",
                     "expected 'error' or 'skip'");
  if (plot_points < 2 || plot_points > 100000)
    throw InputError(
        "compare.bad_plot_points", "--curve-points",
        "value " + std::to_string(plot_points) + " is out of range; expected 2 to 100000");
}

OutsidePolicy CompareOptions::outside_policy() const {
  return outside == "skip" ? OutsidePolicy::kSkip : OutsidePolicy::kError;
}

double linear_interp(const std::vector<double>& x, const std::vector<double>& y, double t) {
  if (x.size() == 1) return y[0];
  std::size_t i = static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), t) - x.begin());
  i = std::clamp<std::size_t>(i, 1, x.size() - 1);
  const double h = x[i] - x[i - 1], s = (t - x[i - 1]) / h;
  return y[i - 1] + s * (y[i] - y[i - 1]);
}

double pchip(const std::vector<double>& x, const std::vector<double>& y, double t) {
  const std::size_t n = x.size();
  if (n < 3) return linear_interp(x, y, t);
  std::size_t i = static_cast<std::size_t>(std::upper_bound(x.begin(), x.end(), t) - x.begin());
  i = std::clamp<std::size_t>(i, 1, n - 1);  // interval [x_{i-1}, x_i]
  auto delta = [&](std::size_t k) { return (y[k + 1] - y[k]) / (x[k + 1] - x[k]); };
  // Fritsch-Carlson slopes: weighted harmonic mean of neighbouring secants, zero at extrema;
  // one-sided three-point ends, limited so they do not overshoot.
  auto slope = [&](std::size_t k) -> double {
    if (k == 0 || k == n - 1) {
      const std::size_t a = k == 0 ? 0 : n - 2, b = k == 0 ? 1 : n - 3;
      const double h0 = x[a + 1] - x[a], h1 = k == 0 ? x[2] - x[1] : x[n - 2] - x[n - 3];
      const double d0 = delta(a), d1 = delta(b);
      double d = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1);
      if (d * d0 <= 0)
        d = 0;
      else if (d0 * d1 <= 0 && std::fabs(d) > 3 * std::fabs(d0))
        d = 3 * d0;
      return d;
    }
    const double d0 = delta(k - 1), d1 = delta(k);
    if (d0 * d1 <= 0) return 0.0;
    const double h0 = x[k] - x[k - 1], h1 = x[k + 1] - x[k];
    const double w1 = 2 * h1 + h0, w2 = h1 + 2 * h0;
    return (w1 + w2) / (w1 / d0 + w2 / d1);
  };
  const double h = x[i] - x[i - 1], s = (t - x[i - 1]) / h;
  const double m0 = slope(i - 1), m1 = slope(i);
  const double h00 = (1 + 2 * s) * (1 - s) * (1 - s), h10 = s * (1 - s) * (1 - s);
  const double h01 = s * s * (3 - 2 * s), h11 = s * s * (s - 1);
  return h00 * y[i - 1] + h10 * h * m0 + h01 * y[i] + h11 * h * m1;
}

std::vector<std::pair<std::size_t, std::size_t>> monotone_pieces(const std::vector<double>& x) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  if (x.empty()) return out;
  std::size_t begin = 0;
  int dir = 0;
  for (std::size_t i = 1; i < x.size(); ++i) {
    const int d = x[i] > x[i - 1] ? 1 : x[i] < x[i - 1] ? -1 : 0;
    if (d == 0) {  // a repeated x (a located special point written twice) ends nothing
      continue;
    }
    if (dir == 0)
      dir = d;
    else if (d != dir) {
      out.push_back({begin, i});  // [begin, i): ends at the turning point i - 1
      begin = i - 1;
      dir = d;
    }
  }
  out.push_back({begin, x.size()});
  return out;
}

int run_compare(const CompareOptions& o, std::ostream& out, std::ostream& err) {
  o.validate();
  const OutsidePolicy policy = o.outside_policy();
  std::error_code ec;
  if (!fs::exists(o.theory, ec))
    throw InputError(
        "compare.theory_missing", o.theory,
        "no such file or directory; expected a result directory of `saddle run` or a spec file");
  const CsvTable sim = read_csv(o.sim, "compare.sim");

  // -- columns of the simulation
  const int sx = require_column(sim, o.x, "--x", "simulation");
  std::vector<int> sy, se;
  for (const auto& y : o.y) sy.push_back(require_column(sim, y, "--y", "simulation"));
  for (const auto& e : o.err) se.push_back(require_column(sim, e, "--err", "simulation"));
  const int sg = o.group.empty() ? -1 : require_column(sim, o.group, "--group", "simulation");

  // -- the theory (tables read, or the spec parsed; no solving yet)
  Theory th;
  std::optional<SpecTheory> st;
  if (fs::is_directory(o.theory, ec)) {
    const fs::path sp = fs::path(o.theory) / "summary.json";
    if (!fs::exists(sp, ec))
      throw InputError(
          "compare.not_a_result", o.theory,
          "has no summary.json; expected a result directory of `saddle run` or a spec file");
    const json summary = load_json_file(sp.string());
    if (!summary.contains("spec") || !summary["spec"].contains("task"))
      throw InputError("compare.not_a_result", sp.string(),
                       "is not a saddle result (no spec.task)");
    const std::string type = summary["spec"]["task"].value("type", "");
    if (type != "continuation" && type != "scan" && type != "solve")
      throw InputError(
          "compare.unsupported_theory", o.theory,
          "is a " + type +
              " result; expected a continuation (branch.csv), scan (scan.csv) or solve "
              "(solutions.csv) result");
    load_theory_table(o, summary, type, sim, th);
  } else {
    if (o.piece != 0)
      throw InputError(
          "compare.piece_not_applicable", "--piece " + std::to_string(o.piece),
          "applies to the branch.csv of a continuation; a spec theory is solved at each x");
    st = prepare_spec_theory(o, sim, th);
  }

  // -- simulation points, every cell checked
  std::vector<SimPoint> pts;
  std::vector<std::string> groups;
  for (std::size_t r = 0; r < sim.rows.size(); ++r) {
    SimPoint p;
    p.row = r;
    p.x = parse_cell(sim, r, sx);
    for (const auto& m : th.match) p.match.push_back(parse_cell(sim, r, sim.column(m)));
    for (std::size_t k = 0; k < sy.size(); ++k) p.y.push_back(parse_cell(sim, r, sy[k]));
    for (std::size_t k = 0; k < se.size(); ++k) {
      const double e = parse_cell(sim, r, se[k]);
      if (e < 0)
        throw InputError("compare.bad_error", sim.where(r),
                         "column '" + o.err[k] + "': " + format_number(e) +
                             " is not a standard error; expected a number >= 0");
      p.err.push_back(e);
    }
    if (sg >= 0) p.group = sim.rows[r][static_cast<std::size_t>(sg)];
    if (std::find(groups.begin(), groups.end(), p.group) == groups.end()) groups.push_back(p.group);
    if (st) {
      const FixedPointModel& model = *st->spec.model;
      auto check = [&](int param, double v) {
        const ParameterInfo info = model.parameters()[static_cast<std::size_t>(param)];
        if (!info.contains(v))
          throw InputError("compare.param_out_of_range", sim.where(r),
                           info.name + " = " + format_number(v) + " is out of range; expected " +
                               info.range_text());
      };
      check(st->x_param, p.x);
      for (std::size_t i = 0; i < th.match.size(); ++i) check(st->match_params[i], p.match[i]);
    } else {
      const TheoryLine* l = find_line(th, p.match);
      if (!l) {
        std::vector<std::string> have;
        for (const auto& tl : th.lines) have.push_back(describe_key(th.match, tl.key));
        throw InputError("compare.no_theory_line", sim.where(r),
                         describe_key(th.match, p.match) + " has no theory line in " + th.table +
                             "; the theory has " + join(have, "; ") +
                             " (columns are matched by name)");
      }
      const auto [lo, hi] = piece_range(*l, l->chosen);
      const double slack = 1e-12 * std::max({1.0, std::fabs(lo), std::fabs(hi)});
      if ((p.x < lo - slack || p.x > hi + slack) && policy == OutsidePolicy::kError)
        throw InputError("compare.outside_range", sim.where(r),
                         o.x + " = " + format_number(p.x) + " is outside the theory's range [" +
                             format_number(lo) + ", " + format_number(hi) + "] (" + th.table +
                             (l->pieces.size() > 1 ? ", piece " + std::to_string(l->chosen + 1) +
                                                         " of " + std::to_string(l->pieces.size())
                                                   : "") +
                             "); expected x inside it, or --outside skip to leave such points out");
    }
    pts.push_back(std::move(p));
  }

  // -- all input checked: now work and write
  const std::string dir =
      !o.output.empty() ? o.output : "out/compare-" + fs::path(o.sim).stem().string();
  prepare_output_dir(dir);
  if (st) solve_spec_theory(o, *st, pts, th);

  const bool has_err = !o.err.empty();
  std::vector<std::string> cols = {"y"};
  if (!o.group.empty()) cols.push_back(o.group);
  cols.push_back(o.x);
  for (const auto& m : th.match) cols.push_back(m);
  cols.push_back("sim");
  if (has_err) cols.push_back("sim_err");
  cols.push_back("theory");
  cols.push_back("difference");
  if (has_err) cols.push_back("z");
  cols.push_back("interpolation_error");
  cols.push_back(th.kind == "spec" ? "theory_phase" : "piece");
  cols.push_back("status");

  std::vector<Stats> stats;  // per y, per group (and "" = all groups when grouped)
  for (const auto& y : o.y) {
    for (const auto& g : groups) stats.push_back(Stats{y, g});
    if (!o.group.empty()) {
      stats.push_back(Stats{y, ""});
      stats.back().pooled = true;
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::vector<double>> diffs(stats.size());
  std::size_t not_converged = 0, outside = 0;
  std::vector<Evaluation> evals;
  for (const auto& p : pts) evals.push_back(evaluate(th, *find_line(th, p.match), p.x, o.y.size()));
  for (std::size_t k = 0; k < o.y.size(); ++k) {
    for (std::size_t i = 0; i < pts.size(); ++i) {
      const SimPoint& p = pts[i];
      const Evaluation& e = evals[i];
      const TheoryLine& l = *find_line(th, p.match);
      std::vector<std::string> row = {o.y[k]};
      if (!o.group.empty()) row.push_back(p.group);
      row.push_back(format_number(p.x));
      for (double m : p.match) row.push_back(format_number(m));
      row.push_back(format_number(p.y[k]));
      if (has_err) row.push_back(format_number(p.err[k]));
      const double d = e.ok ? p.y[k] - e.value[k] : 0.0;
      row.push_back(e.ok ? format_number(e.value[k]) : "");
      row.push_back(e.ok ? format_number(d) : "");
      if (has_err) row.push_back(e.ok && p.err[k] > 0 ? format_number(d / p.err[k]) : "");
      row.push_back(e.ok ? format_number(e.interp_error[k]) : "");
      row.push_back(th.kind == "spec" ? e.phase : std::to_string(l.chosen + 1));
      row.push_back(e.status);
      rows.push_back(row);
      if (k == 0) {
        not_converged += e.status == "theory_not_converged";
        outside += e.status == "outside";
      }
      for (Stats& S : stats) {
        if (S.y != o.y[k] || (!S.pooled && S.group != p.group)) continue;
        if (e.status == "outside") {
          ++S.outside;
          continue;
        }
        if (e.status == "theory_not_converged") {
          ++S.not_converged;
          continue;
        }
        ++S.n;
        S.rmse += d * d;
        if (std::fabs(d) > S.max_abs || S.n == 1) {
          S.max_abs = std::fabs(d);
          S.x_at_max = p.x;
        }
        S.max_interp = std::max(S.max_interp, e.interp_error[k]);
        if (has_err) {
          S.has_err = true;
          if (p.err[k] > 0) {
            const double z = d / p.err[k];
            ++S.dof;
            S.chi2 += z * z;
            S.within2 += std::fabs(z) <= 2.0 ? 1.0 : 0.0;
          } else {
            ++S.zero_err;
          }
        }
      }
    }
  }
  for (auto& S : stats)
    if (S.n > 0) {
      S.rmse = std::sqrt(S.rmse / static_cast<double>(S.n));
      if (S.dof > 0) S.within2 /= static_cast<double>(S.dof);
    }

  // -- verdict: every (y, group) series must pass
  bool disagree = false;
  std::vector<std::string> reasons;
  std::size_t compared = 0;
  for (const auto& S : stats) {
    if (S.pooled) continue;  // repeats the groups
    compared += S.n;
    const std::string label = S.y + (S.group.empty() ? "" : " (" + o.group + " = " + S.group + ")");
    if (o.tolerance && S.n > 0 && S.max_abs > *o.tolerance) {
      disagree = true;
      reasons.push_back(label + ": max |difference| " + format_number(S.max_abs) + " at " + o.x +
                        " = " + format_number(S.x_at_max) + " > tolerance " +
                        format_number(*o.tolerance));
    }
    if (o.max_chi2 && S.n > 0 && S.dof == 0) {
      disagree = true;
      reasons.push_back(label + ": chi^2 undefined, every standard error is 0");
    } else if (o.max_chi2 && S.dof > 0 && S.chi2 / static_cast<double>(S.dof) > *o.max_chi2) {
      disagree = true;
      reasons.push_back(label + ": chi^2/dof " +
                        format_number(S.chi2 / static_cast<double>(S.dof)) + " > " +
                        format_number(*o.max_chi2));
    }
  }
  const bool verdict_asked = o.tolerance || o.max_chi2;
  if (verdict_asked && compared == 0) {
    disagree = true;
    reasons.push_back("no point was compared");
  }
  const std::string verdict = !verdict_asked ? "none" : disagree ? "disagree" : "agree";

  // -- outputs
  write_file_atomic(dir, "compare.csv", csv_table(cols, rows));
  {
    std::vector<std::string> tcols = {"line", "piece", "chosen", "phase", o.x};
    for (const auto& y : o.y) tcols.push_back(y);
    std::vector<std::vector<std::string>> trows;
    for (std::size_t li = 0; li < th.lines.size(); ++li) {
      const TheoryLine& l = th.lines[li];
      for (std::size_t pc = 0; pc < l.pieces.size(); ++pc)
        for (std::size_t i = l.pieces[pc].first; i < l.pieces[pc].second; ++i) {
          if (th.kind == "spec" && !l.converged[i]) continue;
          std::vector<std::string> r = {std::to_string(li), std::to_string(pc + 1),
                                        pc == l.chosen ? "1" : "0",
                                        th.kind == "spec" ? l.phase[i] : "", format_number(l.x[i])};
          for (std::size_t k = 0; k < o.y.size(); ++k) r.push_back(format_number(l.y[k][i]));
          trows.push_back(r);
        }
      // gnuplot breaks lines at blank records only; lines are told apart by the filter
    }
    write_file_atomic(dir, "theory.csv", csv_table(tcols, trows));
  }
  json summary;
  summary["schema_version"] = kOutputSchemaVersion;
  summary["saddle_version"] = saddle_version();
  summary["command"] = "compare";
  json opts = {{"theory", o.theory}, {"sim", o.sim},      {"x", o.x},
               {"y", o.y},           {"err", o.err},      {"outside", to_string(policy)},
               {"piece", o.piece},   {"branch", o.branch}};
  if (!o.group.empty()) opts["group"] = o.group;
  if (o.tolerance) opts["tolerance"] = *o.tolerance;
  if (o.max_chi2) opts["max_chi2"] = *o.max_chi2;
  summary["options"] = opts;
  json tj = {{"kind", th.kind},
             {"source", th.table},
             {"model", th.model},
             {"branch", th.branch},
             {"matched_columns", th.match}};
  if (th.kind != "spec") {
    tj["rows_used"] = th.rows_used;
    tj["rows_not_converged_skipped"] = th.rows_not_converged;
    tj["interpolation"] = "pchip (monotone cubic Hermite); interpolation_error = |pchip - linear|";
    json lines = json::array();
    for (const auto& l : th.lines) {
      json pieces = json::array();
      for (std::size_t pc = 0; pc < l.pieces.size(); ++pc) {
        const auto [lo, hi] = piece_range(l, pc);
        pieces.push_back({{"piece", pc + 1},
                          {"from", lo},
                          {"to", hi},
                          {"rows", l.pieces[pc].second - l.pieces[pc].first}});
      }
      json lj = {{"pieces", pieces}, {"chosen_piece", l.chosen + 1}};
      for (std::size_t i = 0; i < th.match.size(); ++i) lj[th.match[i]] = l.key[i];
      lines.push_back(lj);
    }
    tj["lines"] = lines;
  } else {
    tj["spec"] = st->spec.resolved;
  }
  summary["theory"] = tj;
  json sj = json::array();
  for (const auto& S : stats) sj.push_back(stats_json(S));
  summary["statistics"] = sj;
  summary["points"] = {{"simulation_rows", pts.size()},
                       {"outside", outside},
                       {"theory_not_converged", not_converged}};
  summary["verdict"] = {{"result", verdict}, {"reasons", reasons}};
  summary["status"] = not_converged ? "not_converged" : "converged";
  write_file_atomic(dir, "summary.json", summary.dump(2) + "\n");

  // -- report
  out << "theory: " << th.model << " " << th.kind << " (" << th.table << "), branch " << th.branch;
  if (th.kind == "branch" && !th.lines.empty())
    out << ", piece " << th.lines[0].chosen + 1 << " of " << th.lines[0].pieces.size();
  out << "\n";
  for (const auto& S : stats) {
    out << "  " << S.y;
    if (!o.group.empty()) out << "  " << o.group << "=" << (S.pooled ? "all" : S.group);
    out << "  n=" << S.n;
    if (S.n > 0) {
      out << "  rmse=" << format_number(S.rmse) << "  max|diff|=" << format_number(S.max_abs)
          << " at " << o.x << "=" << format_number(S.x_at_max);
      if (S.has_err && S.dof > 0)
        out << "  chi2/dof=" << format_number(S.chi2 / static_cast<double>(S.dof))
            << "  within 2 sigma " << std::fixed << std::setprecision(1) << 100 * S.within2 << "%"
            << std::defaultfloat;
      if (S.zero_err) out << "  zero-error points=" << S.zero_err;
    }
    if (S.outside) out << "  outside=" << S.outside;
    if (S.not_converged) out << "  theory not converged=" << S.not_converged;
    out << "\n";
  }
  if (outside)
    out << outside
        << " simulation point(s) outside the theory's range, left out (--outside skip)\n";
  if (not_converged)
    err << "saddle: warning: theory did not converge at " << not_converged
        << " simulation point(s); marked theory_not_converged in " << dir << "/compare.csv\n";
  out << "verdict: " << verdict;
  for (const auto& r : reasons) out << "\n  " << r;
  out << "\n-> " << dir << "/compare.csv, " << dir << "/summary.json\n";
  if (o.plot) draw(o, th, groups, pts, dir, out);
  if (disagree) return kCompareDisagree;
  return not_converged ? static_cast<int>(ExitCode::kNotConverged) : 0;
}

CLI::App* add_compare_subcommand(CLI::App& app, CompareOptions& o) {
  auto* c = app.add_subcommand(
      "compare", "theory against simulation: residuals, z-scores, chi^2, overlay plot");
  c->add_option("theory", o.theory,
                "result directory of `saddle run` (continuation, scan, solve) or a spec file")
      ->required();
  c->add_option("sim", o.sim, "simulation CSV (header row; '#' lines are comments)")->required();
  c->add_option("--x", o.x, "x column, a model parameter present in both")->required();
  c->add_option("--y", o.y, "column(s) to compare, present in both (repeatable)")->required();
  c->add_option("--err", o.err, "standard-error column(s) of the simulation, one per --y");
  c->add_option("--group", o.group, "simulation column splitting points into series (e.g. N)");
  c->add_option("-o,--output", o.output, "output directory (default: out/compare-<sim file stem>)");
  c->add_option("--branch", o.branch,
                "theory branch (default: the selected one; a continuation's own branch)");
  c->add_option("--piece", o.piece,
                "monotone piece of a continuation branch in x, 1-based (default: the first)");
  c->add_option("--tolerance", o.tolerance,
                "verdict: fail (exit 4) when some |sim - theory| exceeds this");
  c->add_option("--max-chi2", o.max_chi2,
                "verdict: fail (exit 4) when chi^2 per dof exceeds this (needs --err)");
  c->add_option("--outside", o.outside,
                "simulation x outside the theory's range: error (default) or skip");
  c->add_option("--curve-points", o.plot_points,
                "points of the theory curve when THEORY is a spec (default 121)");
  c->add_flag("!--no-plot", o.plot, "write tables only, no gnuplot");
  return c;
}

}  // namespace saddle
