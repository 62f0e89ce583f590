// The "kernel" task of nn_kernel end to end: outputs (.npy round trip, tables), and the exact
// text of its input errors (exit code 2, nothing written).
#include "kernel_task.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.hpp"
#include "saddle/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace saddle;

namespace {

struct Dir {
  fs::path dir;
  explicit Dir(const std::string& name)
      : dir(fs::temp_directory_path() /
            ("saddle-kernel-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Dir() { fs::remove_all(dir); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(dir / name, std::ios::binary) << content;
    return (dir / name).string();
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
};

int run(const std::vector<std::string>& args, std::string& out, std::string& err) {
  std::vector<std::string> a = {"saddle"};
  a.insert(a.end(), args.begin(), args.end());
  std::ostringstream o, e;
  const int code = run_cli(a, o, e);
  out = o.str();
  err = e.str();
  return code;
}

const char* kTrain =
    "x0,x1,x2\n0.5,-1.2,0.3\n1.1,0.4,-0.7\n-0.3,0.9,1.5\n0.8,0.8,0.1\n-1.0,-0.2,0.6\n";
const char* kTargets = "0.2\n-0.5\n1.0\n0.3\n-0.1\n";

json base_spec() {
  return json::parse(R"({"saddle": 1, "model": "nn_kernel",
    "architecture": {"layers": [{"repeat": 2, "layers": [{"dense": {"W_std": 1.5, "b_std": 0.2}},
                                {"activation": "relu"}]}, {"dense": {"W_std": 1.5, "b_std": 0.2}}]},
    "data": {"train": "train.csv", "test": "test.npy", "train_targets": "y.csv"},
    "task": {"type": "kernel", "predict": {"times": [1, 100]}}})");
}

// Writes the data files and the spec into d; returns the spec path.
std::string setup(const Dir& d, const json& spec) {
  d.write("train.csv", kTrain);
  d.write("y.csv", kTargets);
  Eigen::MatrixXd xt(2, 3);
  xt << 0.1, 0.2, 0.3, -0.4, 0.5, 0.6;
  d.write("test.npy", npy_bytes(xt));
  return d.write("spec.json", spec.dump());
}

std::string rejected(const json& spec, const std::string& name) {
  Dir d(name);
  const std::string path = setup(d, spec);
  std::string out, err;
  CHECK(run({"run", path, "-o", d.path("out")}, out, err) == 2);
  CHECK_FALSE(fs::exists(d.path("out")));
  // Messages name the spec file; strip its directory for the comparison.
  const std::string prefix = "saddle: error: " + path + ": ";
  REQUIRE(err.rfind(prefix, 0) == 0);
  return err.substr(prefix.size());
}

}  // namespace

TEST_CASE("kernel task: writes the matrices as .npy and the prediction tables") {
  Dir d("run");
  const std::string path = setup(d, base_spec());
  std::string out, err;
  REQUIRE(run({"run", path, "-o", d.path("out")}, out, err) == 0);
  for (const char* f :
       {"nngp_train.npy", "ntk_train.npy", "nngp_test_train.npy", "ntk_test_train.npy",
        "nngp_test_diag.npy", "ntk_test_diag.npy", "learning_curve.csv", "gp_posterior.csv",
        "ntk_predictions.csv", "summary.json"})
    CHECK_MESSAGE(fs::exists(d.dir / "out" / f), f);
  // The .npy files round-trip through the reader bit for bit, and equal the library's result.
  Eigen::MatrixXd x = read_matrix_file(d.path("train.csv"), "x");
  Eigen::MatrixXd xt = read_matrix_file(d.path("test.npy"), "x");
  REQUIRE(x.rows() == 5);
  REQUIRE(xt.rows() == 2);
  const Spec spec = parse_kernel_spec(json::parse(std::ifstream(path)), path);
  const KernelResult kr = compute_kernels(spec.kernel->arch, x, &xt, {});
  const Eigen::MatrixXd ntk = read_matrix_file((d.dir / "out" / "ntk_train.npy").string(), "x");
  const Eigen::MatrixXd cross =
      read_matrix_file((d.dir / "out" / "nngp_test_train.npy").string(), "x");
  const Eigen::MatrixXd diag =
      read_matrix_file((d.dir / "out" / "ntk_test_diag.npy").string(), "x");
  CHECK(ntk == kr.ntk_train);
  CHECK(cross == kr.nngp_test);
  CHECK(diag.col(0) == kr.ntk_test_diag);
  // npy header: v1.0, 64-byte aligned, shape as NumPy writes it.
  std::ifstream in(d.dir / "out" / "nngp_test_train.npy", std::ios::binary);
  std::string head(128, '\0');
  in.read(&head[0], 128);
  CHECK(head.substr(1, 5) == "NUMPY");
  CHECK(head.find("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 5), }") == 10);
  const json summary = json::parse(std::ifstream(d.dir / "out" / "summary.json"));
  CHECK(summary["status"] == "converged");
  CHECK(summary["kernels"]["train_inputs"] == 5);
}

TEST_CASE("kernel task: input errors name the JSON path and what was expected") {
  json s = base_spec();
  s["architecture"]["layers"][0]["layers"][1]["activation"] = "rellu";
  CHECK(rejected(s, "e1") ==
        "/architecture/layers/0/layers/1/activation: unknown activation 'rellu' (did you mean "
        "'relu'?); expected one of identity, relu, leaky_relu, abrelu, abs, erf, sign, tanh, "
        "sigmoid, "
        "softplus, gelu, swish, silu, elu, sin, cos\n");

  s = base_spec();
  s["architecture"]["layers"][0]["layers"][1]["activation"] = "sign";
  CHECK(rejected(s, "e2") ==
        "/architecture/layers/0/layers/1: the NTK of sign is degenerate (its derivative is 2 "
        "delta(x), so Tdot is infinite); expected \"kernels\": [\"nngp\"] or \"train\": "
        "\"readout\"\n");

  s = base_spec();
  s["architecture"]["layers"][1]["dense"]["W_sd"] = 1.0;
  CHECK(rejected(s, "e3") ==
        "/architecture/layers/1/dense/W_sd: unknown key 'W_sd' (did you mean 'W_std'?); valid: "
        "W_std, "
        "b_std, width\n");

  s = base_spec();
  s["architecture"]["layers"][1]["dense"]["W_std"] = 0;
  CHECK(rejected(s, "e4") ==
        "/architecture/layers/1/dense/W_std: W_std = 0 is out of range; expected W_std > 0\n");

  s = base_spec();
  s["data"]["train"] = "missing.csv";
  {
    Dir d("e5");
    const std::string path = setup(d, s);
    std::string out, err;
    CHECK(run({"run", path, "-o", d.path("out")}, out, err) == 2);
    CHECK(err == "saddle: error: " + path + ": /data/train: cannot open data file '" +
                     d.path("missing.csv") + "'\n");
    CHECK_FALSE(fs::exists(d.path("out")));
  }

  s = base_spec();
  s["task"]["monte_carlo"] = {{"networks", 0}};
  CHECK(
      rejected(s, "e6") ==
      "/task/monte_carlo/networks: value 0 is out of range; expected an integer in [1, 1000000]\n");

  s = base_spec();
  s["task"]["kernels"] = {"nngp"};
  CHECK(rejected(s, "e7") ==
        "/task/predict: predictions need the NTK; expected \"kernels\": [\"nngp\", \"ntk\"]\n");

  s = base_spec();
  s["task"]["monte_carlo"] = {{"networks", 2}};
  CHECK(
      rejected(s, "e8") ==
      "/architecture/layers/0/layers/0: dense layer without \"width\"; expected a width >= 1 (the "
      "Monte Carlo check builds finite networks)\n");
}

TEST_CASE("kernel task: malformed data files") {
  Dir d("bad-data");
  d.write("ragged.csv", "1,2,3\n4,5\n");
  try {
    read_matrix_file(d.path("ragged.csv"), "spec.json: /data/train");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "spec.json: /data/train: '" + d.path("ragged.csv") +
                                       "' line 2 has 2 values; expected 3 as on the first row");
  }
  d.write("text.npy", "not numpy");
  try {
    read_matrix_file(d.path("text.npy"), "spec.json: /data/test");
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "spec.json: /data/test: '" + d.path("text.npy") +
                                       "' is not a .npy file; expected a float64 ('<f8'), C-order, "
                                       "1-D or 2-D .npy array");
  }
}
