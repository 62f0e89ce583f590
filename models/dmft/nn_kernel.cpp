// nn_kernel: NNGP and NTK of deep fully connected networks on a data set, infinite-width
// predictions and the Monte Carlo check with finite-width random networks.
//
// Recursions (include/saddle/nn_kernel.hpp; Lee et al. 2018 eq. 4, Jacot et al. 2018 Thm 1,
// Arora et al. 2019 eq. 9-10, Neural Tangents stax.Dense for the two parameterisations):
//   input:        K0(x, x') = x.x' / d_in,  Theta0 = 0
//   dense, ntk:   K <- W^2 K + b^2,  Theta <- K_new + W^2 Theta
//   dense, std:   K <- W^2 K + b^2,  Theta <- n_in K_old + 1 + W^2 Theta
//   activation:   K <- T(K_ii, K_ij, K_jj),  Theta <- Tdot(K_ii, K_ij, K_jj) Theta
// The matrices are updated in place layer by layer (memory O(N^2) whatever the depth); only the
// upper triangle of the train-train block is computed and mirrored at the end.
//
// Predictions (Lee et al. 2019, "Wide neural networks of any depth evolve as linear models",
// eq. 9, 14-16; the NNGP-mode covariance is their S23): with n = N_train * outputs,
//   mean_t(x)  = Theta(x, X) Theta^-1 (I - exp(-eta t Theta / n)) Y
//   Sigma_t(x) = K(x, x) + A K A^T - 2 A K(X, x),   A = Theta(x, X) Theta^-1 (I - exp(-eta t Theta
//   / n)) GP posterior: mean = K(x, X) (K + r I)^-1 Y, var = K(x, x) - K(x, X) (K + r I)^-1 K(X,
//   x).
// Training only the readout makes Theta = K (ntk parameterisation), and then the t = infinity
// mean and variance equal the GP posterior exactly (tests/dmft/nn_kernel_test.cpp checks this).
//
// Monte Carlo: f(x) = z_L for random weights W ~ N(0, 1) (ntk: z = W_std W h / sqrt(n_in) +
// b_std b) or W ~ N(0, W_std^2 / n_in) (standard: z = W h + b). The NTK is the sum over dense
// layers of (delta . delta') (h . h') s_W + (delta . delta') s_b, with delta = df/dz backpropagated
// analytically and (s_W, s_b) = (W_std^2 / n_in, b_std^2) (ntk) or (1, 1) (standard).
#include "saddle/nn_kernel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "saddle/error.hpp"
#include "saddle/model.hpp"

namespace saddle {

namespace {

int resolve_threads(int threads) {
  if (threads > 0) return threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Runs body(k) for k in [0, count) on `threads` threads, dynamically (an atomic counter).
template <class F>
void parallel_for(int threads, long count, F&& body) {
  if (count <= 0) return;
  threads = static_cast<int>(std::min<long>(threads, count));
  std::atomic<long> next{0};
  auto worker = [&] {
    for (long k = next++; k < count; k = next++) body(k);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

// The per-entry dual kernel of one activation layer: closed form when there is one, the fixed
// Gauss-Hermite rule otherwise.
struct LayerDual {
  const Activation& act;
  int order;
  DualValues operator()(double k11, double k12, double k22) const {
    if (act.has_closed_form()) return dual_closed_form(act, k11, k12, k22);
    if (act.kind == ActivationKind::kElu) return dual_elu(act, k11, k12, k22);
    return dual_gauss_hermite(act, k11, k12, k22, order);
  }
  DualValues diag(double k) const {
    if (act.has_closed_form()) return dual_diag_closed_form(act, k);
    if (act.kind == ActivationKind::kElu) return dual_diag_quadrature(act, k);
    return dual_gauss_hermite(act, k, k, k, order);
  }
};

constexpr double kPiValue = 3.14159265358979323846;


// arccos, accurate near c = +-1 (as in activations.cpp).
inline double relu_angle(double c) {
  if (c > 0.5) return 2.0 * std::asin(std::sqrt(0.5 * (1.0 - c)));
  if (c < -0.5) return kPiValue - 2.0 * std::asin(std::sqrt(0.5 * (1.0 + c)));
  return std::acos(c);
}

}  // namespace

std::string to_string(Parameterization p) {
  return p == Parameterization::kStandard ? "standard" : "ntk";
}

int Architecture::dense_count() const {
  int n = 0;
  for (const auto& l : layers) n += l.kind == Layer::Kind::kDense ? 1 : 0;
  return n;
}

void Architecture::validate(const std::string& where, bool need_ntk, bool need_widths) const {
  if (layers.empty())
    throw InputError("architecture.empty", where + "/layers",
                     "no layers; expected a list such as [{\"dense\": {\"W_std\": 1.4}}, "
                     "{\"activation\": \"relu\"}, {\"dense\": {}}]");
  if (quadrature_order < 4 || quadrature_order > 256)
    throw InputError("spec.bad_value", where + "/quadrature_order",
                     "quadrature_order = " + std::to_string(quadrature_order) +
                         " is out of range; expected 4 <= quadrature_order <= 256");
  int last_dense = -1;
  for (std::size_t i = 0; i < layers.size(); ++i)
    if (layers[i].kind == Layer::Kind::kDense) last_dense = static_cast<int>(i);
  if (readout_only && last_dense != static_cast<int>(layers.size()) - 1)
    throw InputError("architecture.bad_readout", where + "/train",
                     "train = \"readout\" needs the last layer to be dense (the readout)");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const std::string at = where + "/layers/" + std::to_string(i);
    if (l.kind == Layer::Kind::kDense) {
      if (!(l.W_std > 0) || !std::isfinite(l.W_std))
        throw InputError(
            "param.out_of_range", at + "/W_std",
            "W_std = " + format_number(l.W_std) + " is out of range; expected W_std > 0");
      if (!(l.b_std >= 0) || !std::isfinite(l.b_std))
        throw InputError(
            "param.out_of_range", at + "/b_std",
            "b_std = " + format_number(l.b_std) + " is out of range; expected b_std >= 0");
      if (l.width < 0)
        throw InputError(
            "param.out_of_range", at + "/width",
            "width = " + std::to_string(l.width) + " is out of range; expected width >= 1");
      const bool feeds_standard_ntk = parameterization == Parameterization::kStandard && need_ntk &&
                                      static_cast<int>(i) != last_dense;
      if (l.width == 0 && (need_widths || feeds_standard_ntk))
        throw InputError("architecture.missing_width", at,
                         std::string("dense layer without \"width\"; expected a width >= 1 ") +
                             (need_widths ? "(the Monte Carlo check builds finite networks)"
                                          : "(the standard-parameterisation NTK depends on the "
                                            "width feeding the next dense layer)"));
    } else {
      const Activation& a = l.activation;
      if (need_ntk && !readout_only && !a.ntk_defined())
        throw InputError("activation.degenerate_ntk", at,
                         "the NTK of sign is degenerate (its derivative is 2 delta(x), so Tdot is "
                         "infinite); expected \"kernels\": [\"nngp\"] or \"train\": \"readout\"");
      if (a.kind == ActivationKind::kAbRelu && (!std::isfinite(a.a) || !std::isfinite(a.b)))
        throw InputError("param.out_of_range", at, "abrelu slopes a and b must be finite numbers");
      if ((a.kind == ActivationKind::kLeakyRelu || a.kind == ActivationKind::kElu) &&
          (!std::isfinite(a.a) || a.a < 0))
        throw InputError("param.out_of_range", at + "/alpha",
                         "alpha = " + format_number(a.a) + " is out of range; expected alpha >= 0");
    }
  }
}

void KernelOptions::validate() const {
  if (threads < 0 || threads > 1024)
    throw InputError(
        "spec.bad_value", "threads",
        "threads = " + std::to_string(threads) + " is out of range; expected 0 (all) to 1024");
}

KernelResult compute_kernels(const Architecture& arch, const Eigen::MatrixXd& x_train,
                             const Eigen::MatrixXd* x_test, const KernelOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  KernelResult r;
  r.threads = resolve_threads(options.threads);
  const bool want_ntk = options.ntk;
  const Eigen::Index n1 = x_train.rows();
  const Eigen::Index n2 = x_test ? x_test->rows() : 0;
  const double d_in = static_cast<double>(x_train.cols());
  Eigen::MatrixXd& k11 = r.nngp_train;
  Eigen::MatrixXd& t11 = r.ntk_train;
  Eigen::MatrixXd& k21 = r.nngp_test;
  Eigen::MatrixXd& t21 = r.ntk_test;
  k11.noalias() = x_train * x_train.transpose() / d_in;
  Eigen::VectorXd d1 = k11.diagonal();
  Eigen::VectorXd d2, td1, td2;
  if (want_ntk) {
    t11 = Eigen::MatrixXd::Zero(n1, n1);
    td1 = Eigen::VectorXd::Zero(n1);
  }
  if (x_test) {
    k21.noalias() = *x_test * x_train.transpose() / d_in;
    d2 = x_test->rowwise().squaredNorm() / d_in;
    if (want_ntk) {
      t21 = Eigen::MatrixXd::Zero(n2, n1);
      td2 = Eigen::VectorXd::Zero(n2);
    }
  }
  double n_in = d_in;
  int last_dense = -1;
  for (std::size_t i = 0; i < arch.layers.size(); ++i)
    if (arch.layers[i].kind == Layer::Kind::kDense) last_dense = static_cast<int>(i);

  // A dense layer followed by an activation updates the train-train triangle inside the
  // activation's loop (one pass over the largest matrices per layer instead of two).
  struct PendingAffine {
    bool on = false, standard = false, ntk = false;
    double w2 = 1, b2 = 0, n_in = 0;
    void apply(double& k, double& t) const {
      if (!on) return;
      if (standard) {
        if (ntk) t = n_in * k + 1.0 + w2 * t;
        k = w2 * k + b2;
      } else {
        k = w2 * k + b2;
        if (ntk) t = k + w2 * t;
      }
    }
  } pend;

  for (std::size_t li = 0; li < arch.layers.size(); ++li) {
    const Layer& layer = arch.layers[li];
    if (layer.kind == Layer::Kind::kDense) {
      const double w2 = layer.W_std * layer.W_std, b2 = layer.b_std * layer.b_std;
      const bool readout = static_cast<int>(li) == last_dense;
      // ntk-parameterisation updates use the new K, standard ones the old K: order matters.
      auto update = [&](Eigen::Ref<Eigen::MatrixXd> k, Eigen::Ref<Eigen::MatrixXd> t) {
        if (arch.parameterization == Parameterization::kStandard) {
          if (want_ntk) {
            if (arch.readout_only) {
              if (readout) t = (n_in * k.array() + 1.0).matrix();
            } else {
              t = (n_in * k.array() + 1.0 + w2 * t.array()).matrix();
            }
          }
          k = (w2 * k.array() + b2).matrix();
        } else {
          k = (w2 * k.array() + b2).matrix();
          if (want_ntk) {
            if (arch.readout_only) {
              if (readout) t = k;
            } else {
              t = (k.array() + w2 * t.array()).matrix();
            }
          }
        }
      };
      Eigen::MatrixXd dummy;
      // Train-train: only the strict upper triangle is read later (the diagonal lives in d1), so
      // update it column by column in parallel.
      const bool defer = !readout && li + 1 < arch.layers.size() &&
                         arch.layers[li + 1].kind == Layer::Kind::kActivation;
      if (defer) {
        pend.on = true;
        pend.standard = arch.parameterization == Parameterization::kStandard;
        pend.ntk = want_ntk && !arch.readout_only;
        pend.w2 = w2;
        pend.b2 = b2;
        pend.n_in = n_in;
      }
      parallel_for(r.threads, defer ? 0L : static_cast<long>(n1), [&](long j) {
        if (j == 0) return;
        auto kc = k11.col(j).head(j);
        if (want_ntk) {
          auto tc = t11.col(j).head(j);
          update(kc, tc);
        } else {
          update(kc, dummy);
        }
      });
      update(d1, want_ntk ? Eigen::Ref<Eigen::MatrixXd>(td1) : Eigen::Ref<Eigen::MatrixXd>(dummy));
      if (x_test) {
        update(k21,
               want_ntk ? Eigen::Ref<Eigen::MatrixXd>(t21) : Eigen::Ref<Eigen::MatrixXd>(dummy));
        update(d2,
               want_ntk ? Eigen::Ref<Eigen::MatrixXd>(td2) : Eigen::Ref<Eigen::MatrixXd>(dummy));
      }
      if (layer.width > 0) n_in = layer.width;
      continue;
    }
    const LayerDual dual_of{layer.activation, arch.quadrature_order};
    // With only the readout trained, Theta is zero until the readout (and Tdot may be infinite).
    const bool ntk_here = options.ntk && !arch.readout_only;
    // Train-train: column j holds rows 0..j (upper triangle); columns are handed out from the
    // longest down so the threads finish together.
    double ra = 0, rb = 0;
    const bool relu_like = relu_slopes(layer.activation, ra, rb);
    const bool fast = relu_like && (d1.array() > 0).all();
    Eigen::VectorXd inv_sd1, sd1;
    if (fast) {
      sd1 = d1.cwiseSqrt();
      inv_sd1 = sd1.cwiseInverse();
    }
    const bool t_pending = pend.on && pend.ntk;  // Theta changes even where ntk_here is false
    parallel_for(r.threads, static_cast<long>(n1), [&](long kk) {
      const Eigen::Index j = n1 - 1 - kk;
      double* kc = &k11(0, j);
      double* tc = (ntk_here || t_pending) ? &t11(0, j) : nullptr;
      if (fast) {
        // The hot loop of deep relu kernels: the closed form inlined with the standard
        // deviations precomputed (same formulas as dual_closed_form, same results to rounding).
        const double ab = ra * rb, d2c = (rb - ra) * (rb - ra) / (2.0 * kPiValue);
        const double sj = sd1[j], isj = inv_sd1[j];
        for (Eigen::Index i = 0; i < j; ++i) {
          double k = kc[i], t = tc ? tc[i] : 0.0;
          pend.apply(k, t);
          const double s = sd1[i] * sj;
          const double c = std::clamp(k * inv_sd1[i] * isj, -1.0, 1.0);
          const double theta = relu_angle(c);
          const double sin_t = std::sqrt((1.0 - c) * (1.0 + c));
          kc[i] = ab * c * s + d2c * s * (sin_t + (kPiValue - theta) * c);
          if (tc) tc[i] = ntk_here ? t * (ab + d2c * (kPiValue - theta)) : t;
        }
        return;
      }
      for (Eigen::Index i = 0; i < j; ++i) {
        double k = kc[i], t = tc ? tc[i] : 0.0;
        pend.apply(k, t);
        const DualValues v = dual_of(d1[i], k, d1[j]);
        kc[i] = v.t;
        if (tc) tc[i] = ntk_here ? t * v.tdot : t;
      }
    });
    pend.on = false;
    if (x_test) {
      parallel_for(r.threads, static_cast<long>(n1), [&](long j) {
        for (Eigen::Index i = 0; i < n2; ++i) {
          const DualValues v = dual_of(d2[i], k21(i, j), d1[j]);
          k21(i, j) = v.t;
          if (ntk_here) t21(i, j) *= v.tdot;
        }
      });
      for (Eigen::Index i = 0; i < n2; ++i) {
        const DualValues v = dual_of.diag(d2[i]);
        d2[i] = v.t;
        if (ntk_here) td2[i] *= v.tdot;
      }
    }
    for (Eigen::Index i = 0; i < n1; ++i) {
      const DualValues v = dual_of.diag(d1[i]);
      d1[i] = v.t;
      if (ntk_here) td1[i] *= v.tdot;
      k11(i, i) = d1[i];
      if (ntk_here) t11(i, i) = td1[i];
    }
    r.entry_layer_evaluations +=
        static_cast<long long>(n1) * (n1 + 1) / 2 + static_cast<long long>(n2) * (n1 + 1);
  }
  // Dense layers updated the full matrices; activation layers only the upper triangle and the
  // diagonal. Mirror the upper triangle (and the exact diagonal) into the result.
  k11.diagonal() = d1;
  k11.triangularView<Eigen::StrictlyLower>() = k11.transpose();
  if (want_ntk) {
    t11.diagonal() = td1;
    t11.triangularView<Eigen::StrictlyLower>() = t11.transpose();
  }
  if (x_test) {
    r.nngp_test_diag = d2;
    if (want_ntk) r.ntk_test_diag = td2;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// ---------------------------------------------------------------------------------------------

void PredictionOptions::validate() const {
  for (std::size_t i = 0; i < times.size(); ++i)
    if (!(times[i] >= 0) || !std::isfinite(times[i]))
      throw InputError("spec.bad_value", "times/" + std::to_string(i),
                       "time " + format_number(times[i]) +
                           " is out of range; expected a finite t >= 0 "
                           "(t = infinity is \"infinity\": true)");
  if (!(learning_rate > 0) || !std::isfinite(learning_rate))
    throw InputError(
        "spec.bad_value", "learning_rate",
        "learning_rate = " + format_number(learning_rate) + " is out of range; expected > 0");
  if (!(diag_reg >= 0) || !std::isfinite(diag_reg))
    throw InputError("spec.bad_value", "diag_reg",
                     "diag_reg = " + format_number(diag_reg) + " is out of range; expected >= 0");
}

namespace {
// Symmetric eigendecomposition of K + r I.
struct Eig {
  Eigen::MatrixXd vectors;
  Eigen::VectorXd values;
};
Eig eig_of(const Eigen::MatrixXd& k, double reg) {
  Eigen::MatrixXd m = k;
  m.diagonal().array() += reg;
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(m);
  if (es.info() != Eigen::Success)
    throw InternalError("eigendecomposition of the train kernel failed");
  return {es.eigenvectors(), es.eigenvalues()};
}
}  // namespace

Predictions predict(const KernelResult& kr, const Eigen::MatrixXd& y, const PredictionOptions& o) {
  Predictions p;
  const Eigen::Index n1 = kr.nngp_train.rows();
  const double n_targets = static_cast<double>(y.size());
  const bool has_test = kr.nngp_test.size() > 0;
  const double reg_k = o.diag_reg * (o.diag_reg_absolute ? 1.0 : kr.nngp_train.diagonal().mean());
  const double reg_t = o.diag_reg * (o.diag_reg_absolute ? 1.0 : kr.ntk_train.diagonal().mean());
  p.regulariser = reg_t;

  // GP posterior with the NNGP.
  const Eig ek = eig_of(kr.nngp_train, reg_k);
  p.nngp_min_eigenvalue = ek.values.minCoeff();
  p.nngp_max_eigenvalue = ek.values.maxCoeff();
  if (has_test) {
    // Eigenvalues clipped at a tiny positive floor, as the inverse of a PSD matrix: a singular
    // kernel is reported by its minimum eigenvalue in the outputs.
    const Eigen::VectorXd inv = ek.values.cwiseMax(1e-300).cwiseInverse();
    const Eigen::MatrixXd b = kr.nngp_test * ek.vectors;  // N2 x N1
    p.gp_mean_test = b * inv.asDiagonal() * (ek.vectors.transpose() * y);
    p.gp_var_test = kr.nngp_test_diag - (b.array().square().matrix() * inv);
  }

  // NTK gradient flow.
  const Eig et = eig_of(kr.ntk_train, reg_t);
  p.ntk_min_eigenvalue = et.values.minCoeff();
  p.ntk_max_eigenvalue = et.values.maxCoeff();
  std::vector<double> times = o.times;
  if (o.infinity) times.push_back(kInf);
  const Eigen::MatrixXd vty = et.vectors.transpose() * y;
  for (double t : times) {
    // g(lambda) = (1 - exp(-eta t lambda / n)) / lambda, -> 1/lambda at t = infinity; eigenvalues
    // below 0 by rounding are clipped as in Neural Tangents.
    Eigen::VectorXd g(n1);
    for (Eigen::Index i = 0; i < n1; ++i) {
      const double lam = std::max(et.values[i], 0.0);
      if (std::isinf(t))
        g[i] = lam > 0 ? 1.0 / lam : 0.0;
      else if (lam > 0)
        g[i] = -std::expm1(-o.learning_rate * t * lam / n_targets) / lam;
      else
        g[i] = o.learning_rate * t / n_targets;
    }
    PredictionSet s;
    s.t = t;
    const Eigen::MatrixXd gvty = g.asDiagonal() * vty;
    auto flow = [&](const Eigen::MatrixXd& theta_x, const Eigen::MatrixXd& k_x,
                    const Eigen::VectorXd& k_diag, Eigen::MatrixXd& mean, Eigen::VectorXd& var) {
      const Eigen::MatrixXd b = theta_x * et.vectors;  // rows: Theta(x, X) V
      mean = b * gvty;
      const Eigen::MatrixXd a = (b * g.asDiagonal()) * et.vectors.transpose();  // A
      const Eigen::MatrixXd ak = a * kr.nngp_train;
      var = k_diag + (ak.cwiseProduct(a)).rowwise().sum() -
            2.0 * (a.cwiseProduct(k_x)).rowwise().sum();
    };
    flow(kr.ntk_train, kr.nngp_train, kr.nngp_train.diagonal(), s.mean_train, s.var_train);
    if (has_test) flow(kr.ntk_test, kr.nngp_test, kr.nngp_test_diag, s.mean_test, s.var_test);
    p.ntk.push_back(std::move(s));
  }
  return p;
}

// ---------------------------------------------------------------------------------------------

void MonteCarloOptions::validate() const {
  if (networks < 1 || networks > 1000000)
    throw InputError(
        "spec.bad_value", "networks",
        "networks = " + std::to_string(networks) + " is out of range; expected 1 to 1000000");
  if (threads < 0 || threads > 1024)
    throw InputError(
        "spec.bad_value", "threads",
        "threads = " + std::to_string(threads) + " is out of range; expected 0 (all) to 1024");
}

double relative_error(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  const double nb = b.norm();
  return nb > 0 ? (a - b).norm() / nb : (a - b).norm();
}

namespace {
// One random network: its NNGP and NTK on x, averaged over output units.
void one_network(const Architecture& arch, const Eigen::MatrixXd& x, std::uint64_t seed,
                 bool with_ntk, Eigen::MatrixXd& nngp, Eigen::MatrixXd& ntk) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  const bool standard = arch.parameterization == Parameterization::kStandard;
  struct Saved {
    Eigen::MatrixXd input;  // dense: h feeding it (N x n_in); activation: pre-activation z
    Eigen::MatrixXd w;      // dense: effective weights (n_out x n_in), z = h W^T + b
    double s_w = 0, s_b = 0;
  };
  std::vector<Saved> saved(arch.layers.size());
  Eigen::MatrixXd h = x;
  int last_dense = -1;
  for (std::size_t i = 0; i < arch.layers.size(); ++i)
    if (arch.layers[i].kind == Layer::Kind::kDense) last_dense = static_cast<int>(i);
  for (std::size_t li = 0; li < arch.layers.size(); ++li) {
    const Layer& l = arch.layers[li];
    Saved& s = saved[li];
    if (l.kind == Layer::Kind::kDense) {
      const double n_in = static_cast<double>(h.cols());
      Eigen::MatrixXd w(l.width, h.cols());
      for (Eigen::Index c = 0; c < w.cols(); ++c)
        for (Eigen::Index r = 0; r < w.rows(); ++r) w(r, c) = normal(rng);
      Eigen::VectorXd b(l.width);
      for (Eigen::Index r = 0; r < b.size(); ++r) b[r] = normal(rng);
      // Both parameterisations give the same function distribution; they differ in which
      // parameters the gradient is taken with respect to.
      w *= l.W_std / std::sqrt(n_in);
      b *= l.b_std;
      s.s_w = standard ? 1.0 : l.W_std * l.W_std / n_in;
      s.s_b = standard ? 1.0 : l.b_std * l.b_std;
      s.input = h;
      Eigen::MatrixXd z = h * w.transpose();
      z.rowwise() += b.transpose();
      s.w = std::move(w);
      h = std::move(z);
    } else {
      s.input = h;
      h = h.unaryExpr([&](double v) { return l.activation.value(v); });
    }
  }
  const Eigen::Index n = x.rows(), n_out = h.cols();
  nngp = h * h.transpose() / static_cast<double>(n_out);
  ntk = Eigen::MatrixXd::Zero(n, n);
  if (!with_ntk) return;
  // Gram matrices of the dense layers' inputs, shared by all output units.
  std::vector<Eigen::MatrixXd> gram(arch.layers.size());
  for (std::size_t li = 0; li < arch.layers.size(); ++li)
    if (arch.layers[li].kind == Layer::Kind::kDense &&
        (!arch.readout_only || static_cast<int>(li) == last_dense))
      gram[li] = saved[li].input * saved[li].input.transpose();
  for (Eigen::Index k = 0; k < n_out; ++k) {
    Eigen::MatrixXd delta = Eigen::MatrixXd::Zero(n, n_out);  // df_k / d(output of layer)
    delta.col(k).setOnes();
    for (int li = static_cast<int>(arch.layers.size()) - 1; li >= 0; --li) {
      const Layer& l = arch.layers[static_cast<std::size_t>(li)];
      const Saved& s = saved[static_cast<std::size_t>(li)];
      if (l.kind == Layer::Kind::kDense) {
        const Eigen::MatrixXd dd = delta * delta.transpose();
        ntk.array() +=
            s.s_w * dd.array() * gram[static_cast<std::size_t>(li)].array() + s.s_b * dd.array();
        if (arch.readout_only) break;
        delta = delta * s.w;
      } else {
        delta.array() *=
            s.input.unaryExpr([&](double v) { return l.activation.derivative(v); }).array();
      }
    }
  }
  ntk /= static_cast<double>(n_out);
}
}  // namespace

MonteCarloResult empirical_kernels(const Architecture& arch, const Eigen::MatrixXd& x,
                                   const MonteCarloOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const int threads = resolve_threads(options.threads);
  const Eigen::Index n = x.rows();
  MonteCarloResult r;
  r.nngp = Eigen::MatrixXd::Zero(n, n);
  r.ntk = Eigen::MatrixXd::Zero(n, n);
  // Batches of `threads` networks, summed in network order: the result does not depend on the
  // number of threads.
  for (int start = 0; start < options.networks; start += threads) {
    const int count = std::min(threads, options.networks - start);
    std::vector<Eigen::MatrixXd> k(static_cast<std::size_t>(count)),
        t(static_cast<std::size_t>(count));
    parallel_for(threads, count, [&](long m) {
      one_network(arch, x, options.seed + static_cast<std::uint64_t>(start + m), options.ntk,
                  k[static_cast<std::size_t>(m)], t[static_cast<std::size_t>(m)]);
    });
    for (int m = 0; m < count; ++m) {
      r.nngp += k[static_cast<std::size_t>(m)];
      r.ntk += t[static_cast<std::size_t>(m)];
    }
  }
  r.nngp /= options.networks;
  r.ntk /= options.networks;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace saddle
