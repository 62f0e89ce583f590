// The "kernel" task of model nn_kernel: spec parsing (architecture, data files), the run (NNGP
// and NTK matrices, predictions, Monte Carlo check) and its outputs (.npy matrices, CSV tables).
//
//   {"saddle": 1, "model": "nn_kernel",
//    "architecture": {"parameterization": "ntk", "train": "all",
//                     "layers": [{"repeat": 3, "layers": [{"dense": {"W_std": 1.4, "b_std": 0.1,
//                                 "width": 512}}, {"activation": "relu"}]},
//                                {"dense": {"W_std": 1.4, "b_std": 0.1, "width": 1}}]},
//    "data": {"train": "x_train.csv", "test": "x_test.npy", "train_targets": "y_train.csv",
//             "test_targets": "y_test.csv"},
//    "task": {"type": "kernel", "kernels": ["nngp", "ntk"],
//             "predict": {"times": [1, 10, 100], "infinity": true, "diag_reg": 1e-4},
//             "monte_carlo": {"networks": 8, "widths": [64, 256, 1024], "seed": 0}},
//    "output": {"dir": "out/nn-kernel"}}
// Relative data paths are relative to the spec file's directory.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "saddle/nn_kernel.hpp"
#include "saddle/spec.hpp"

namespace saddle {

inline constexpr const char* kNnKernelId = "nn_kernel";
std::string nn_kernel_title();
// The text of `saddle describe nn_kernel`.
std::string describe_nn_kernel();

struct KernelSpec {
  Architecture arch;
  KernelOptions kernel;
  Eigen::MatrixXd x_train, x_test, y_train, y_test;  // empty when not given
  std::string train_path, test_path, train_targets_path, test_targets_path;
  bool predict = false;
  PredictionOptions prediction;
  bool monte_carlo = false;
  MonteCarloOptions mc;
  std::vector<int> mc_widths;  // empty: the architecture's widths
};

// Whether a spec document is for nn_kernel (parsed by parse_kernel_spec instead of the registry).
bool is_kernel_spec(const nlohmann::json& doc);
// Validates everything and reads the data files; throws InputError before any work.
Spec parse_kernel_spec(const nlohmann::json& doc, const std::string& source);
// Runs the task into `dir` (already prepared); fills summary and the one-line report. Returns
// false when a prediction used a singular kernel (marked in learning_curve.csv).
bool run_kernel_task(const Spec& spec, const std::string& dir, nlohmann::json& summary,
                     std::ostream& line);

// NumPy .npy v1.0 (little-endian float64, C order): 2-D matrices or 1-D vectors.
std::string npy_bytes(const Eigen::MatrixXd& m, bool as_vector = false);
// Reads a 2-D (or 1-D, as one column) float64 .npy file, or a numeric CSV (an optional header
// row is skipped). Throws InputError naming the file and the problem.
Eigen::MatrixXd read_matrix_file(const std::string& path, const std::string& where);

}  // namespace saddle
