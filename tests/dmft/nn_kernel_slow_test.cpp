// Longer nn_kernel checks (TEST_SUITE("slow"), run with ctest -L slow): Monte Carlo over more
// widths and activations, and positive semi-definiteness of deep kernels on larger data.
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "saddle/nn_kernel.hpp"

using namespace saddle;

TEST_SUITE("slow") {
  TEST_CASE(
      "nn_kernel slow: Monte Carlo NTK error falls like 1/sqrt(width) for several activations") {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> g;
    Eigen::MatrixXd x(10, 8);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = g(rng);
    for (ActivationKind kind : {ActivationKind::kLeakyRelu, ActivationKind::kErf,
                                ActivationKind::kTanh, ActivationKind::kElu}) {
      double prev = 0;
      for (int width : {128, 512, 2048}) {
        Architecture arch;
        for (int l = 0; l < 3; ++l) {
          Layer d;
          d.W_std = 1.3, d.b_std = 0.2, d.width = width;
          arch.layers.push_back(d);
          Layer a;
          a.kind = Layer::Kind::kActivation;
          a.activation = Activation::make(kind);
          arch.layers.push_back(a);
        }
        Layer out;
        out.W_std = 1.3, out.b_std = 0.2, out.width = 1;
        arch.layers.push_back(out);
        const KernelResult kr = compute_kernels(arch, x, nullptr, {});
        MonteCarloOptions mo;
        mo.networks = 16;
        const MonteCarloResult mc = empirical_kernels(arch, x, mo);
        const double err = relative_error(mc.ntk, kr.ntk_train);
        const double c = err * std::sqrt(double(width) * mo.networks);
        INFO(to_string(kind) << " width " << width << " NTK rel. error " << err << " C = " << c);
        CHECK(c < 8.0);
        if (prev > 0) CHECK(err < prev / 1.3);
        prev = err;
      }
    }
  }

  TEST_CASE("nn_kernel slow: deep kernels on 400 inputs are positive semi-definite") {
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g;
    Eigen::MatrixXd x(400, 20);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = g(rng);
    for (ActivationKind kind :
         {ActivationKind::kRelu, ActivationKind::kErf, ActivationKind::kAbs}) {
      Architecture arch;
      for (int l = 0; l < 20; ++l) {
        Layer d;
        d.W_std = 1.5, d.b_std = 0.05;
        arch.layers.push_back(d);
        Layer a;
        a.kind = Layer::Kind::kActivation;
        a.activation = Activation::make(kind);
        arch.layers.push_back(a);
      }
      arch.layers.push_back(Layer{});
      const KernelResult kr = compute_kernels(arch, x, nullptr, {});
      for (const Eigen::MatrixXd* m : {&kr.nngp_train, &kr.ntk_train}) {
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(*m);
        INFO(to_string(kind) << " eigenvalues " << es.eigenvalues().minCoeff() << " .. "
                             << es.eigenvalues().maxCoeff());
        CHECK(es.eigenvalues().minCoeff() >= -1e-12 * es.eigenvalues().maxCoeff());
      }
    }
  }

}  // TEST_SUITE("slow")
