#include "kernel_task.hpp"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "json_input.hpp"
#include "output.hpp"
#include "saddle/error.hpp"

namespace saddle {

using nlohmann::json;

namespace {

int integer(const json& v, const std::string& source, const std::string& path, int lo, int hi) {
  const double d = require_number(v, source, path);
  if (d != std::floor(d) || d < lo || d > hi)
    throw InputError("spec.bad_value", where_of(source, path),
                     "value " + format_number(d) + " is out of range; expected an integer in [" +
                         std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(d);
}

// Appends the layers of `list` (with "repeat" blocks expanded) to arch; `map` records the JSON
// path of every expanded layer for messages.
void parse_layers(const json& list, const std::string& source, const std::string& path,
                  Architecture& arch, std::vector<std::string>& paths, int depth) {
  if (!list.is_array())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected an array of layers, got " + list.dump());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = path + "/" + std::to_string(i);
    const json& item = list[i];
    if (!item.is_object())
      throw InputError("spec.wrong_type", where_of(source, p),
                       "expected a layer object, got " + item.dump());
    if (item.contains("repeat")) {
      check_keys(item, {"repeat", "layers"}, source, p);
      const int n = integer(item["repeat"], source, p + "/repeat", 1, 10000);
      if (!item.contains("layers") || depth > 4)
        throw InputError("spec.missing_key", where_of(source, p),
                         "a repeat block needs \"layers\" (nested at most 4 deep)");
      for (int r = 0; r < n; ++r)
        parse_layers(item["layers"], source, p + "/layers", arch, paths, depth + 1);
      continue;
    }
    Layer layer;
    if (item.contains("dense")) {
      check_keys(item, {"dense"}, source, p);
      const json& d = item["dense"];
      check_keys(d, {"W_std", "b_std", "width"}, source, p + "/dense");
      layer.kind = Layer::Kind::kDense;
      if (d.contains("W_std")) layer.W_std = require_number(d["W_std"], source, p + "/dense/W_std");
      if (d.contains("b_std")) layer.b_std = require_number(d["b_std"], source, p + "/dense/b_std");
      if (d.contains("width"))
        layer.width = integer(d["width"], source, p + "/dense/width", 1, 1 << 24);
    } else if (item.contains("activation")) {
      check_keys(item, {"activation", "alpha", "a", "b"}, source, p);
      layer.kind = Layer::Kind::kActivation;
      const ActivationKind kind = activation_from_string(
          require_string(item["activation"], source, p + "/activation"), where_of(source, p + "/activation"));
      layer.activation = Activation::make(kind);
      const bool has_alpha = kind == ActivationKind::kLeakyRelu || kind == ActivationKind::kElu;
      const bool has_ab = kind == ActivationKind::kAbRelu;
      for (const char* key : {"alpha", "a", "b"}) {
        if (!item.contains(key)) continue;
        const bool ok = std::string(key) == "alpha" ? has_alpha : has_ab;
        if (!ok)
          throw InputError("spec.unknown_key", where_of(source, p + "/" + key),
                           std::string("activation ") + to_string(kind) + " takes no parameter '" +
                               key + "' (leaky_relu and elu take alpha; abrelu takes a and b)");
        const double v = require_number(item[key], source, p + "/" + key);
        if (std::string(key) == "b")
          layer.activation.b = v;
        else
          layer.activation.a = v;
      }
    } else {
      throw InputError("spec.bad_value", where_of(source, p),
                       "expected {\"dense\": {...}}, {\"activation\": NAME} or {\"repeat\": N, "
                       "\"layers\": [...]}");
    }
    arch.layers.push_back(layer);
    paths.push_back(p);
  }
}

std::string resolve_path(const std::string& file, const std::string& source) {
  const std::filesystem::path p(file);
  if (p.is_absolute() || source.empty() || source == "command line") return file;
  return (std::filesystem::path(source).parent_path() / p).string();
}

void append_npy_payload(std::string& out, const Eigen::MatrixXd& m) {
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(m.size()) * 8);
  char* dst = &out[start];
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j) {
      const double v = m(i, j);
      std::memcpy(dst, &v, 8);  // little-endian host (x86-64, aarch64)
      dst += 8;
    }
}

std::vector<std::string> csv_row_numbers(const Eigen::MatrixXd& m, Eigen::Index i) {
  std::vector<std::string> row;
  for (Eigen::Index j = 0; j < m.cols(); ++j) row.push_back(csv_number(m(i, j)));
  return row;
}

}  // namespace

std::string npy_bytes(const Eigen::MatrixXd& m, bool as_vector) {
  std::string shape = as_vector
                          ? "(" + std::to_string(m.size()) + ",)"
                          : "(" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + ")";
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64
  // and ended by a newline (NumPy format v1.0).
  const std::size_t total = ((10 + header.size() + 1 + 63) / 64) * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  append_npy_payload(out, m);
  return out;
}

Eigen::MatrixXd read_matrix_file(const std::string& path, const std::string& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("file.missing", where, "cannot open data file '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") {
    auto bad = [&](const std::string& why) {
      return InputError(
          "data.bad_format", where,
          "'" + path + "' " + why + "; expected a float64 ('<f8'), C-order, 1-D or 2-D .npy array");
    };
    if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw bad("is not a .npy file");
    const int major = static_cast<unsigned char>(bytes[6]);
    std::size_t hlen = 0, off = 0;
    if (major == 1) {
      hlen = static_cast<unsigned char>(bytes[8]) |
             (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
      off = 10;
    } else if (major == 2 || major == 3) {
      if (bytes.size() < 12) throw bad("is truncated");
      for (int k = 0; k < 4; ++k)
        hlen |= static_cast<std::size_t>(static_cast<unsigned char>(bytes[8 + k])) << (8 * k);
      off = 12;
    } else {
      throw bad("has an unknown format version");
    }
    if (bytes.size() < off + hlen) throw bad("is truncated");
    const std::string header = bytes.substr(off, hlen);
    if (header.find("'<f8'") == std::string::npos) throw bad("does not hold float64 values");
    if (header.find("'fortran_order': False") == std::string::npos)
      throw bad("is in Fortran order");
    const auto lp = header.find('(', header.find("'shape'")), rp = header.find(')', lp);
    if (lp == std::string::npos || rp == std::string::npos) throw bad("has no shape");
    std::vector<long> dims;
    std::stringstream sh(header.substr(lp + 1, rp - lp - 1));
    std::string tok;
    while (std::getline(sh, tok, ','))
      if (tok.find_first_not_of(' ') != std::string::npos) dims.push_back(std::stol(tok));
    if (dims.empty() || dims.size() > 2)
      throw bad("has " + std::to_string(dims.size()) + " dimensions");
    const long rows = dims[0], cols = dims.size() == 2 ? dims[1] : 1;
    const std::size_t need = off + hlen + static_cast<std::size_t>(rows * cols) * 8;
    if (bytes.size() < need) throw bad("is truncated");
    Eigen::MatrixXd m(rows, cols);
    const char* src = bytes.data() + off + hlen;
    for (long i = 0; i < rows; ++i)
      for (long j = 0; j < cols; ++j, src += 8) std::memcpy(&m(i, j), src, 8);
    if (!m.allFinite())
      throw InputError("data.not_finite", where, "'" + path + "' holds NaN or infinite values");
    return m;
  }
  // CSV: numbers separated by commas (or whitespace); the first line may be a header.
  std::vector<std::vector<double>> rows;
  std::istringstream lines(bytes);
  std::string line;
  int lineno = 0;
  while (std::getline(lines, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<double> row;
    std::string cell;
    std::istringstream cells(line);
    bool numeric = true;
    while (std::getline(cells, cell, ',')) {
      std::istringstream cs(cell);
      double v;
      while (cs >> v) row.push_back(v);
      if (cs.fail() && !cs.eof()) numeric = false;
    }
    if (!numeric || row.empty()) {
      if (rows.empty() && lineno == 1) continue;  // header
      throw InputError(
          "data.bad_format", where,
          "'" + path + "' line " + std::to_string(lineno) + " is not a row of numbers");
    }
    if (!rows.empty() && row.size() != rows.front().size())
      throw InputError("data.bad_format", where,
                       "'" + path + "' line " + std::to_string(lineno) + " has " +
                           std::to_string(row.size()) + " values; expected " +
                           std::to_string(rows.front().size()) + " as on the first row");
    rows.push_back(row);
  }
  if (rows.empty())
    throw InputError("data.bad_format", where, "'" + path + "' holds no rows of numbers");
  Eigen::MatrixXd m(static_cast<Eigen::Index>(rows.size()),
                    static_cast<Eigen::Index>(rows.front().size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t j = 0; j < rows[i].size(); ++j)
      m(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = rows[i][j];
  if (!m.allFinite())
    throw InputError("data.not_finite", where, "'" + path + "' holds NaN or infinite values");
  return m;
}

std::string nn_kernel_title() {
  return "NNGP and NTK of deep fully connected networks, infinite-width predictions (task kernel)";
}

std::string describe_nn_kernel() {
  std::string closed, quad;
  for (const auto& n : activation_names()) {
    Activation a = Activation::make(activation_from_string(n, "describe"));
    (a.has_closed_form() ? closed : quad) += (n + " ");
  }
  return "nn_kernel: " + nn_kernel_title() +
         "\n\n"
         "spec keys: architecture {layers, parameterization (ntk | standard), train (all | "
         "readout),\n"
         "           quadrature_order}, data {train, test, train_targets, test_targets} (CSV or "
         ".npy),\n"
         "           task {type: kernel, kernels [nngp, ntk], threads, predict {times, infinity,\n"
         "           learning_rate, diag_reg, diag_reg_absolute}, monte_carlo {networks, widths, "
         "seed}}\n"
         "layers: {\"dense\": {\"W_std\", \"b_std\", \"width\"}}, {\"activation\": NAME}, "
         "{\"repeat\": N, \"layers\": [...]}\n"
         "\nclosed-form activations: " +
         closed + "(sign: NNGP only)\n" + "quadrature activations:  " + quad + "\n" +
         "\noutputs: nngp_train.npy ntk_train.npy nngp_test_train.npy ntk_test_train.npy "
         "*_test_diag.npy\n"
         "         learning_curve.csv gp_posterior.csv ntk_predictions.csv monte_carlo.csv "
         "nngp_mc_w*.npy ntk_mc_w*.npy\n"
         "\nreferences:\n"
         "  R. M. Neal, Bayesian Learning for Neural Networks (1996); J. Lee et al., ICLR 2018 "
         "(arXiv:1711.00165)\n"
         "      NNGP recursion\n"
         "  A. Jacot, F. Gabriel, C. Hongler, NeurIPS 2018 (arXiv:1806.07572); S. Arora et al., "
         "NeurIPS 2019\n"
         "      NTK recursion\n"
         "  J. Lee et al., NeurIPS 2019 (arXiv:1902.06720)\n"
         "      gradient-flow predictions, eq. 14-16 and S23\n"
         "  R. Novak et al., ICLR 2020 (arXiv:1912.02803), Neural Tangents\n"
         "      conventions (x.x'/d_in, parameterisations, time units)\n";
}

bool is_kernel_spec(const json& doc) {
  return doc.is_object() && doc.contains("model") && doc["model"].is_string() &&
         doc["model"] == "nn_kernel";
}

Spec parse_kernel_spec(const json& doc, const std::string& source) {
  check_keys(doc, {"saddle", "model", "description", "architecture", "data", "task", "output"},
             source, "");
  if (!doc.contains("saddle") || !doc["saddle"].is_number() ||
      doc["saddle"].get<double>() != kSpecVersion)
    throw InputError("spec.bad_version", where_of(source, "/saddle"), "expected \"saddle\": 1");
  for (const char* key : {"architecture", "data", "task"})
    if (!doc.contains(key))
      throw InputError("spec.missing_key", source,
                       std::string("missing key '") + key +
                           "'; model nn_kernel needs architecture, data and task");
  auto ks = std::make_shared<KernelSpec>();
  // architecture
  const json& a = doc["architecture"];
  check_keys(a, {"layers", "parameterization", "train", "quadrature_order"}, source,
             "/architecture");
  if (!a.contains("layers"))
    throw InputError("spec.missing_key", where_of(source, "/architecture"), "missing key 'layers'");
  std::vector<std::string> paths;
  parse_layers(a["layers"], source, "/architecture/layers", ks->arch, paths, 0);
  if (a.contains("parameterization")) {
    const std::string p = require_string(a["parameterization"], source, "/architecture/parameterization");
    if (p != "ntk" && p != "standard")
      throw InputError("spec.bad_value", where_of(source, "/architecture/parameterization"),
                       "unknown parameterization '" + p + "'" +
                           did_you_mean(p, {"ntk", "standard"}) + "; expected ntk or standard");
    ks->arch.parameterization =
        p == "standard" ? Parameterization::kStandard : Parameterization::kNtk;
  }
  if (a.contains("train")) {
    const std::string t = require_string(a["train"], source, "/architecture/train");
    if (t != "all" && t != "readout")
      throw InputError("spec.bad_value", where_of(source, "/architecture/train"),
                       "unknown value '" + t + "'" + did_you_mean(t, {"all", "readout"}) +
                           "; expected all or readout");
    ks->arch.readout_only = t == "readout";
  }
  if (a.contains("quadrature_order"))
    ks->arch.quadrature_order =
        integer(a["quadrature_order"], source, "/architecture/quadrature_order", 4, 256);
  // task
  const json& t = doc["task"];
  check_keys(t, {"type", "kernels", "threads", "predict", "monte_carlo"}, source, "/task");
  if (!t.contains("type") || !t["type"].is_string() || t["type"] != "kernel")
    throw InputError("task.unknown_type", where_of(source, "/task/type"),
                     "model nn_kernel runs task type \"kernel\"");
  if (t.contains("kernels")) {
    const json& k = t["kernels"];
    if (!k.is_array() || k.empty())
      throw InputError("spec.wrong_type", where_of(source, "/task/kernels"),
                       "expected [\"nngp\"] or [\"nngp\", \"ntk\"]");
    bool ntk = false;
    for (std::size_t i = 0; i < k.size(); ++i) {
      const std::string name = require_string(k[i], source, "/task/kernels/" + std::to_string(i));
      if (name != "nngp" && name != "ntk")
        throw InputError("spec.bad_value", where_of(source, "/task/kernels/" + std::to_string(i)),
                         "unknown kernel '" + name + "'" + did_you_mean(name, {"nngp", "ntk"}) +
                             "; expected nngp or ntk");
      ntk = ntk || name == "ntk";
    }
    ks->kernel.ntk = ntk;
  }
  if (t.contains("threads"))
    ks->kernel.threads = integer(t["threads"], source, "/task/threads", 0, 1024);
  if (t.contains("predict")) {
    const json& p = t["predict"];
    check_keys(p, {"times", "infinity", "learning_rate", "diag_reg", "diag_reg_absolute"}, source,
               "/task/predict");
    ks->predict = true;
    if (!ks->kernel.ntk)
      throw InputError("spec.bad_value", where_of(source, "/task/predict"),
                       "predictions need the NTK; expected \"kernels\": [\"nngp\", \"ntk\"]");
    if (p.contains("times")) {
      if (!p["times"].is_array())
        throw InputError("spec.wrong_type", where_of(source, "/task/predict/times"),
                         "expected an array of times t >= 0");
      for (std::size_t i = 0; i < p["times"].size(); ++i) {
        const std::string pp = "/task/predict/times/" + std::to_string(i);
        const double v = require_number(p["times"][i], source, pp);
        if (v < 0)
          throw InputError("spec.bad_value", where_of(source, pp),
                           "time " + format_number(v) + " is negative; expected t >= 0");
        ks->prediction.times.push_back(v);
      }
    }
    if (p.contains("infinity"))
      ks->prediction.infinity = require_bool(p["infinity"], source, "/task/predict/infinity");
    if (p.contains("learning_rate")) {
      ks->prediction.learning_rate =
          require_number(p["learning_rate"], source, "/task/predict/learning_rate");
      if (ks->prediction.learning_rate <= 0)
        throw InputError("spec.bad_value", where_of(source, "/task/predict/learning_rate"),
                         "learning_rate = " + format_number(ks->prediction.learning_rate) +
                             " is out of range; expected > 0");
    }
    if (p.contains("diag_reg")) {
      ks->prediction.diag_reg = require_number(p["diag_reg"], source, "/task/predict/diag_reg");
      if (ks->prediction.diag_reg < 0)
        throw InputError("spec.bad_value", where_of(source, "/task/predict/diag_reg"),
                         "diag_reg = " + format_number(ks->prediction.diag_reg) +
                             " is out of range; expected >= 0");
    }
    if (p.contains("diag_reg_absolute"))
      ks->prediction.diag_reg_absolute =
          require_bool(p["diag_reg_absolute"], source, "/task/predict/diag_reg_absolute");
    if (ks->prediction.times.empty() && !ks->prediction.infinity)
      throw InputError("spec.bad_value", where_of(source, "/task/predict"),
                       "no times; expected \"times\": [...] or \"infinity\": true");
  }
  if (t.contains("monte_carlo")) {
    const json& m = t["monte_carlo"];
    check_keys(m, {"networks", "seed", "widths"}, source, "/task/monte_carlo");
    ks->monte_carlo = true;
    if (m.contains("networks"))
      ks->mc.networks = integer(m["networks"], source, "/task/monte_carlo/networks", 1, 1000000);
    if (m.contains("seed"))
      ks->mc.seed = static_cast<std::uint64_t>(
          integer(m["seed"], source, "/task/monte_carlo/seed", 0, 2000000000));
    if (m.contains("widths")) {
      if (!m["widths"].is_array() || m["widths"].empty())
        throw InputError("spec.wrong_type", where_of(source, "/task/monte_carlo/widths"),
                         "expected an array of hidden widths, e.g. [64, 256, 1024]");
      for (std::size_t i = 0; i < m["widths"].size(); ++i)
        ks->mc_widths.push_back(integer(
            m["widths"][i], source, "/task/monte_carlo/widths/" + std::to_string(i), 1, 1 << 20));
    }
    ks->mc.threads = ks->kernel.threads;
    ks->mc.ntk = ks->kernel.ntk;
  }
  // Architecture rules (messages name the layer's JSON path in the spec).
  try {
    Architecture check = ks->arch;
    if (ks->monte_carlo && !ks->mc_widths.empty()) {
      // hidden widths come from the list; the readout keeps its own (default 1)
      for (auto& l : check.layers)
        if (l.kind == Layer::Kind::kDense && l.width == 0) l.width = 1;
    }
    check.validate(where_of(source, "/architecture"), ks->kernel.ntk, ks->monte_carlo);
  } catch (const InputError& e) {
    // Map the expanded layer index back to its path in the spec (repeat blocks).
    std::string w = e.where();
    const std::string prefix = where_of(source, "/architecture/layers/");
    if (w.rfind(prefix, 0) == 0) {
      const std::string rest = w.substr(prefix.size());
      const std::size_t slash = rest.find('/');
      const std::size_t idx = std::stoul(rest.substr(0, slash));
      if (idx < paths.size()) {
        std::string field = slash == std::string::npos ? "" : rest.substr(slash);
        // dense fields live under "dense" in the spec
        if (!field.empty() && ks->arch.layers[idx].kind == Layer::Kind::kDense)
          field = "/dense" + field;
        w = where_of(source, paths[idx] + field);
      }
    }
    throw InputError(e.id(), w, std::string(e.what()).substr(e.where().size() + 2));
  }
  // data
  const json& d = doc["data"];
  check_keys(d, {"train", "test", "train_targets", "test_targets"}, source, "/data");
  if (!d.contains("train"))
    throw InputError("spec.missing_key", where_of(source, "/data"),
                     "missing key 'train' (a CSV or .npy file of inputs, one per row)");
  auto load = [&](const char* key, std::string& path_out, Eigen::MatrixXd& m) {
    if (!d.contains(key)) return;
    path_out = require_string(d[key], source, std::string("/data/") + key);
    m = read_matrix_file(resolve_path(path_out, source), where_of(source, std::string("/data/") + key));
  };
  load("train", ks->train_path, ks->x_train);
  load("test", ks->test_path, ks->x_test);
  load("train_targets", ks->train_targets_path, ks->y_train);
  load("test_targets", ks->test_targets_path, ks->y_test);
  if (ks->x_test.size() > 0 && ks->x_test.cols() != ks->x_train.cols())
    throw InputError("data.shape", where_of(source, "/data/test"),
                     "test inputs have " + std::to_string(ks->x_test.cols()) +
                         " columns; expected " + std::to_string(ks->x_train.cols()) +
                         " as the train inputs");
  if (ks->y_train.size() > 0 && ks->y_train.rows() != ks->x_train.rows())
    throw InputError("data.shape", where_of(source, "/data/train_targets"),
                     std::to_string(ks->y_train.rows()) + " rows; expected one per train input (" +
                         std::to_string(ks->x_train.rows()) + ")");
  if (ks->y_test.size() > 0 && (ks->x_test.size() == 0 || ks->y_test.rows() != ks->x_test.rows() ||
                                ks->y_test.cols() != ks->y_train.cols()))
    throw InputError("data.shape", where_of(source, "/data/test_targets"),
                     "expected one row per test input with as many columns as train_targets");
  if (ks->predict && ks->y_train.size() == 0)
    throw InputError("spec.missing_key", where_of(source, "/data"), "predictions need 'train_targets'");
  Spec spec;
  spec.source = source;
  spec.task = TaskType::kKernel;
  spec.task_json = t;
  if (doc.contains("output")) {
    check_keys(doc["output"], {"dir"}, source, "/output");
    if (doc["output"].contains("dir"))
      spec.output_dir = require_string(doc["output"]["dir"], source, "/output/dir");
  }
  spec.resolved = doc;
  spec.kernel = ks;
  return spec;
}

bool run_kernel_task(const Spec& spec, const std::string& dir, json& summary, std::ostream& line) {
  const KernelSpec& ks = *spec.kernel;
  const bool has_test = ks.x_test.size() > 0;
  const KernelResult kr =
      compute_kernels(ks.arch, ks.x_train, has_test ? &ks.x_test : nullptr, ks.kernel);
  json files = json::array();
  auto save = [&](const std::string& name, const Eigen::MatrixXd& m, bool vec = false) {
    write_file_atomic(dir, name, npy_bytes(m, vec));
    files.push_back(name);
  };
  save("nngp_train.npy", kr.nngp_train);
  if (ks.kernel.ntk) save("ntk_train.npy", kr.ntk_train);
  if (has_test) {
    save("nngp_test_train.npy", kr.nngp_test);
    save("nngp_test_diag.npy", kr.nngp_test_diag, true);
    if (ks.kernel.ntk) {
      save("ntk_test_train.npy", kr.ntk_test);
      save("ntk_test_diag.npy", kr.ntk_test_diag, true);
    }
  }
  const int activations = static_cast<int>(ks.arch.layers.size()) - ks.arch.dense_count();
  summary["kernels"] = {
      {"train_inputs", ks.x_train.rows()},
      {"test_inputs", ks.x_test.rows()},
      {"input_dimension", ks.x_train.cols()},
      {"layers", ks.arch.layers.size()},
      {"activation_layers", activations},
      {"ntk", ks.kernel.ntk},
      {"threads", kr.threads},
      {"seconds", kr.seconds},
      {"entry_layer_evaluations", kr.entry_layer_evaluations},
      {"nanoseconds_per_entry_per_layer",
       kr.entry_layer_evaluations > 0 ? 1e9 * kr.seconds / kr.entry_layer_evaluations : 0.0}};
  line << spec.source << ": nn_kernel kernel, " << ks.x_train.rows() << " train";
  if (has_test) line << " + " << ks.x_test.rows() << " test";
  line << " inputs, " << std::fixed << std::setprecision(3) << kr.seconds << " s";
  bool ok = true;
  json tables = json::array();
  if (ks.predict) {
    const Predictions p = predict(kr, ks.y_train, ks.prediction);
    const Eigen::Index k = ks.y_train.cols();
    // Singular (or nearly) regularised kernels make the t = infinity solve meaningless.
    const bool ntk_singular = !(p.ntk_min_eigenvalue > 1e-13 * p.ntk_max_eigenvalue);
    const bool nngp_singular = !(p.nngp_min_eigenvalue > 1e-13 * p.nngp_max_eigenvalue);
    std::vector<std::string> cols = {
        "t", "train_mse", "test_mse", "test_mse_expected", "test_variance_mean", "status"};
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : p.ntk) {
      const bool singular = std::isinf(s.t) && ntk_singular;
      ok = ok && !singular;
      std::vector<std::string> r = {
          std::isinf(s.t) ? "inf" : csv_number(s.t),
          csv_number((s.mean_train - ks.y_train).squaredNorm() / ks.y_train.size())};
      if (has_test && ks.y_test.size() > 0) {
        const double mse = (s.mean_test - ks.y_test).squaredNorm() / ks.y_test.size();
        r.push_back(csv_number(mse));
        r.push_back(csv_number(mse + s.var_test.mean()));
      } else {
        r.push_back("");
        r.push_back("");
      }
      r.push_back(has_test ? csv_number(s.var_test.mean()) : "");
      r.push_back(singular ? "singular_kernel" : "ok");
      rows.push_back(r);
    }
    write_file_atomic(dir, "learning_curve.csv", csv_table(cols, rows));
    tables.push_back("learning_curve.csv");
    if (has_test) {
      std::vector<std::string> pc = {"t", "index"};
      for (Eigen::Index j = 0; j < k; ++j) pc.push_back("mean_" + std::to_string(j));
      pc.push_back("variance");
      std::vector<std::vector<std::string>> prow;
      for (const auto& s : p.ntk)
        for (Eigen::Index i = 0; i < s.mean_test.rows(); ++i) {
          std::vector<std::string> r = {std::isinf(s.t) ? "inf" : csv_number(s.t),
                                        std::to_string(i)};
          for (const auto& c : csv_row_numbers(s.mean_test, i)) r.push_back(c);
          r.push_back(csv_number(s.var_test[i]));
          prow.push_back(r);
        }
      write_file_atomic(dir, "ntk_predictions.csv", csv_table(pc, prow));
      std::vector<std::string> gc = {"index"};
      for (Eigen::Index j = 0; j < k; ++j) gc.push_back("mean_" + std::to_string(j));
      gc.push_back("variance");
      gc.push_back("status");
      std::vector<std::vector<std::string>> grow;
      for (Eigen::Index i = 0; i < p.gp_mean_test.rows(); ++i) {
        std::vector<std::string> r = {std::to_string(i)};
        for (const auto& c : csv_row_numbers(p.gp_mean_test, i)) r.push_back(c);
        r.push_back(csv_number(p.gp_var_test[i]));
        r.push_back(nngp_singular ? "singular_kernel" : "ok");
        grow.push_back(r);
      }
      ok = ok && !nngp_singular;
      write_file_atomic(dir, "gp_posterior.csv", csv_table(gc, grow));
      tables.push_back("ntk_predictions.csv");
      tables.push_back("gp_posterior.csv");
    }
    summary["predictions"] = {
        {"ntk_eigenvalues", {p.ntk_min_eigenvalue, p.ntk_max_eigenvalue}},
        {"nngp_eigenvalues", {p.nngp_min_eigenvalue, p.nngp_max_eigenvalue}},
        {"regulariser_ntk", p.regulariser},
        {"time_convention", "exp(-learning_rate t Theta / (N_train outputs)), as Neural Tangents"}};
    if (ntk_singular || nngp_singular)
      line << "\n  warning: singular train kernel (min eigenvalue " << p.ntk_min_eigenvalue
           << "); t = infinity predictions marked singular_kernel; expected diag_reg > 0";
  }
  if (ks.monte_carlo) {
    std::vector<int> widths = ks.mc_widths;
    if (widths.empty()) widths.push_back(0);  // the architecture's own widths
    std::vector<std::string> cols = {
        "width",  "networks", "nngp_rel_error", "ntk_rel_error", "inv_sqrt_width_networks",
        "seconds"};
    std::vector<std::vector<std::string>> rows;
    for (int w : widths) {
      Architecture arch = ks.arch;
      int last = -1;
      for (std::size_t i = 0; i < arch.layers.size(); ++i)
        if (arch.layers[i].kind == Layer::Kind::kDense) last = static_cast<int>(i);
      for (std::size_t i = 0; i < arch.layers.size(); ++i) {
        Layer& l = arch.layers[i];
        if (l.kind != Layer::Kind::kDense) continue;
        if (static_cast<int>(i) == last)
          l.width = l.width > 0 ? l.width : 1;
        else if (w > 0)
          l.width = w;
      }
      const MonteCarloResult mc = empirical_kernels(arch, ks.x_train, ks.mc);
      int hidden = w;
      if (hidden == 0)
        for (const auto& l : arch.layers)
          if (l.kind == Layer::Kind::kDense && &l != &arch.layers[static_cast<std::size_t>(last)])
            hidden = l.width;
      const std::string suffix = "_w" + std::to_string(hidden) + ".npy";
      save("nngp_mc" + suffix, mc.nngp);
      const double ek = relative_error(mc.nngp, kr.nngp_train);
      const double et = ks.kernel.ntk ? relative_error(mc.ntk, kr.ntk_train) : 0.0;
      if (ks.kernel.ntk) save("ntk_mc" + suffix, mc.ntk);
      rows.push_back({std::to_string(hidden), std::to_string(ks.mc.networks), csv_number(ek),
                      ks.kernel.ntk ? csv_number(et) : "",
                      csv_number(1.0 / std::sqrt(double(hidden) * ks.mc.networks)),
                      csv_number(mc.seconds)});
      line << "\n  monte carlo width " << hidden << " x " << ks.mc.networks
           << " networks: NNGP rel. error " << std::setprecision(4) << ek;
      if (ks.kernel.ntk) line << ", NTK rel. error " << et;
    }
    write_file_atomic(dir, "monte_carlo.csv", csv_table(cols, rows));
    tables.push_back("monte_carlo.csv");
  }
  summary["files"] = files;
  summary["tables"] = tables;
  summary["status"] = ok ? "converged" : "not_converged";
  summary["timing"] = {{"kernel_seconds", kr.seconds}};
  line << " -> " << dir;
  return ok;
}

}  // namespace saddle
