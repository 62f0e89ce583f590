// NNGP + NTK of a depth-10 relu network (10 dense + relu blocks and a dense readout, ntk
// parameterisation) on N = 2000 Gaussian inputs of dimension 100: full train-train matrices.
// Prints seconds, threads and the time per kernel entry per layer. The peer is
// bench/nn_kernel_numpy.py (the same closed forms, vectorised numpy); both write a checksum.
//   build/bin/bench_nn_kernel [N] [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "saddle/nn_kernel.hpp"

using namespace saddle;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 0;
  const int d = 100, depth = 10;
  std::mt19937_64 rng(0);
  std::normal_distribution<double> g;
  Eigen::MatrixXd x(n, d);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) x(i, j) = g(rng);
  Architecture arch;
  for (int l = 0; l < depth; ++l) {
    Layer dense;
    dense.W_std = 1.4;
    dense.b_std = 0.1;
    arch.layers.push_back(dense);
    Layer act;
    act.kind = Layer::Kind::kActivation;
    act.activation = Activation::make(ActivationKind::kRelu);
    arch.layers.push_back(act);
  }
  Layer readout;
  readout.W_std = 1.4;
  readout.b_std = 0.1;
  arch.layers.push_back(readout);
  KernelOptions opt;
  opt.threads = threads;
  double best = 1e300;
  KernelResult r;
  for (int rep = 0; rep < 3; ++rep) {
    r = compute_kernels(arch, x, nullptr, opt);
    best = std::min(best, r.seconds);
  }
  const double entries = static_cast<double>(n) * (n + 1) / 2;
  std::printf("saddle nn_kernel: N = %d, d = %d, depth %d relu, NNGP + NTK, %d threads\n", n, d,
              depth, r.threads);
  std::printf(
      "  best of 3: %.3f s, %.2f ns per distinct entry per relu layer (%.0f entries x %d layers)\n",
      best, 1e9 * best / (entries * depth), entries, depth);
  std::printf("  checksum: sum NNGP = %.12e, sum NTK = %.12e\n", r.nngp_train.sum(),
              r.ntk_train.sum());
  return 0;
}
