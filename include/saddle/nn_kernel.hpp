// Infinite-width kernels of deep fully connected networks: activations and their dual kernels
// (closed forms and quadrature), the NNGP / NTK layer recursions on a data set, infinite-width
// predictions (GP posterior, NTK gradient flow on MSE) and the empirical kernels of finite-width
// random networks (Monte Carlo check). Conventions follow Neural Tangents (Novak et al. 2020):
// input kernel x.x'/d_in, "ntk" parameterisation by default, time in units of the learning rate
// with the MSE loss normalised by the number of target entries.
//
// Equations (Neal 1996; Lee et al. 2018, eq. 4; Jacot et al. 2018, Thm 1; Arora et al. 2019,
// eq. 9-10): for (u, v) ~ N(0, [[K11, K12], [K12, K22]]) the dual kernels of an activation phi are
//   T(K) = E phi(u) phi(v),   Tdot(K) = E phi'(u) phi'(v),
// and layers act on (NNGP K, NTK Theta) as
//   dense ("ntk"):      K <- W^2 K + b^2,            Theta <- K_new + W^2 Theta
//   dense ("standard"): K <- W^2 K + b^2,            Theta <- n_in K_old + 1 + W^2 Theta
//   activation:         K <- T(K),                   Theta <- Tdot(K) * Theta  (entrywise)
// with W = W_std, b = b_std and n_in the width feeding the dense layer (d_in for the first).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

namespace saddle {

// ---------------------------------------------------------------------------------------------
// Activations

enum class ActivationKind {
  kIdentity,
  kRelu,
  kLeakyRelu,  // x > 0 ? x : alpha x
  kAbRelu,     // x > 0 ? b x : a x
  kAbs,
  kErf,
  kSign,  // NNGP only: phi' = 2 delta(x), so Tdot (and the NTK) is infinite
  kTanh,
  kSigmoid,
  kSoftplus,
  kGelu,   // x Phi(x) (exact form)
  kSwish,  // x sigmoid(x), also "silu"
  kElu,    // x > 0 ? x : alpha (e^x - 1)
  kSin,
  kCos,
};
std::string to_string(ActivationKind k);
// Throws InputError("activation.unknown", where, ...) naming the closest name.
ActivationKind activation_from_string(const std::string& name, const std::string& where);
// Every accepted name (including the alias "silu"), in declaration order.
std::vector<std::string> activation_names();

struct Activation {
  ActivationKind kind = ActivationKind::kRelu;
  // leaky_relu and elu: alpha (defaults 0.01 and 1); abrelu: slopes a (x < 0) and b (x > 0).
  double a = 0.0;
  double b = 1.0;

  static Activation make(ActivationKind kind);  // with the default parameters of its kind
  double value(double x) const;
  double derivative(double x) const;  // 0 for sign away from 0
  // Closed-form dual kernels exist (relu family, abs, erf, identity, sign).
  bool has_closed_form() const;
  // The NTK is finite (false only for sign).
  bool ntk_defined() const;
  // phi(x) = phi'(x) x for all x (relu family, abs, identity): the dual kernels are homogeneous.
  bool homogeneous() const;
  // Points where phi or one of its first two derivatives is not smooth (quadrature breakpoints).
  std::vector<double> kinks() const;
  std::string name() const;  // "relu", "leaky_relu(alpha=0.1)", "abrelu(a=-1,b=1)"
};

// Slopes (a, b) when the activation is a x + (b - a) relu(x) (relu, leaky_relu, abrelu, abs): the
// closed-form dual kernels of this family share one formula. False for any other activation.
bool relu_slopes(const Activation& act, double& a, double& b);

// E phi(u) phi(v) and E phi'(u) phi'(v).
struct DualValues {
  double t = 0.0;
  double tdot = 0.0;
};

// Closed forms (Cho and Saul 2009 for the relu family, Williams 1997 for erf). Correlations
// outside [-1, 1] by rounding are clamped, so that c = 1 + 1e-16 gives the c = 1 values and never
// NaN; |T(K12)| <= sqrt(T(K11) T(K22)) holds entrywise. Requires has_closed_form().
DualValues dual_closed_form(const Activation& act, double k11, double k12, double k22);
// The u = v case exactly (no arccos of a rounded 1): E phi(u)^2 and E phi'(u)^2 for u ~ N(0, k).
DualValues dual_diag_closed_form(const Activation& act, double k);

// Accurate quadrature for any activation: nested one-dimensional composite Gauss-Legendre rules
// with the Gaussian weight on [-10, 10], split at the kinks of the integrand (the kink of phi(v)
// moves with the outer variable and is followed exactly). Absolute error ~1e-13 for the
// activations above at K of order 1; ~1e5 integrand evaluations per call.
DualValues dual_quadrature(const Activation& act, double k11, double k12, double k22);
DualValues dual_diag_quadrature(const Activation& act, double k);
// E[phi(sqrt(k) z) phi'(sqrt(k) z) z] / sqrt(k) = d/dk E phi(sqrt(k) z)^2 (Stein), by the same
// rule.
double dual_diag_slope(const Activation& act, double k);

// elu: the inner Gaussian expectations in closed form, the outer one by the piecewise rule above
// (~350 integrand calls, absolute error ~1e-13). Used for elu kernel matrices, where the fixed
// Gauss-Hermite rule converges slowly (error 2e-3 on Tdot at order 64: elu' jumps at 0).
DualValues dual_elu(const Activation& act, double k11, double k12, double k22);

// Closed form when there is one, dual_elu for elu, accurate quadrature otherwise.
DualValues dual(const Activation& act, double k11, double k12, double k22);
DualValues dual_diag(const Activation& act, double k);

// Fast fixed-order tensor Gauss-Hermite rule (order n per dimension, n^2 nodes), used for kernel
// matrices of activations without a closed form. At K of order 1 and n = 64 (the default) the
// error is below 1e-7 for tanh (the slowest of the smooth ones, worst near c = 1) and ~1e-13 for
// erf and gelu; n = 128 reaches 1e-11. Kinked activations (elu) converge algebraically.
DualValues dual_gauss_hermite(const Activation& act, double k11, double k12, double k22, int n);

// ---------------------------------------------------------------------------------------------
// Architectures

enum class Parameterization { kNtk, kStandard };
std::string to_string(Parameterization p);

struct Layer {
  enum class Kind { kDense, kActivation };
  Kind kind = Kind::kDense;
  // dense
  double W_std = 1.0;
  double b_std = 0.0;
  int width = 0;  // output units; 0 = unspecified (needed by "standard" NTK and Monte Carlo)
  // activation
  Activation activation;
};

struct Architecture {
  std::vector<Layer> layers;
  Parameterization parameterization = Parameterization::kNtk;
  // Train only the last dense layer: the NTK is then the readout's own contribution
  // (ntk: the output NNGP; standard: n_in K + 1), as for a Bayesian readout (NNGP mode).
  bool readout_only = false;
  // Gauss-Hermite order per dimension for activations without a closed form (kernel matrices).
  int quadrature_order = 64;

  // Throws InputError naming the layer ("<where>/layers/3/W_std") and the broken rule. With
  // need_ntk, rejects sign (degenerate NTK) unless readout_only. With need_widths, every dense
  // layer must have a width.
  void validate(const std::string& where, bool need_ntk, bool need_widths) const;
  int dense_count() const;
};

// ---------------------------------------------------------------------------------------------
// Kernel matrices

struct KernelOptions {
  bool ntk = true;  // compute the NTK as well as the NNGP
  int threads = 0;  // 0: all hardware threads
  void validate() const;
};

// Kernels of a train set X1 (N1 x d, one input per row) with itself and, optionally, of a test
// set X2 (N2 x d) with X1. Memory: the matrices themselves (O(N^2)) whatever the depth.
struct KernelResult {
  Eigen::MatrixXd nngp_train, ntk_train;          // N1 x N1, symmetric
  Eigen::MatrixXd nngp_test, ntk_test;            // N2 x N1 (empty without X2)
  Eigen::VectorXd nngp_test_diag, ntk_test_diag;  // k(x, x) on the test set
  double seconds = 0.0;
  long long entry_layer_evaluations = 0;  // distinct entries times activation layers
  int threads = 1;
};
KernelResult compute_kernels(const Architecture& arch, const Eigen::MatrixXd& x_train,
                             const Eigen::MatrixXd* x_test, const KernelOptions& options);

// ---------------------------------------------------------------------------------------------
// Infinite-width predictions (Lee et al. 2019, eq. 14-16 and S23)

struct PredictionOptions {
  std::vector<double> times;   // finite training times (in units of 1/learning_rate)
  bool infinity = true;        // also t = infinity
  double learning_rate = 1.0;  // > 0
  // Diagonal regulariser added to the train kernel: diag_reg * mean(diag K) by default (as Neural
  // Tangents), diag_reg itself when diag_reg_absolute.
  double diag_reg = 0.0;
  bool diag_reg_absolute = false;
  void validate() const;
};

struct PredictionSet {
  double t = 0.0;              // +inf for t = infinity
  Eigen::MatrixXd mean_train;  // N1 x k
  Eigen::MatrixXd mean_test;   // N2 x k
  Eigen::VectorXd var_test;    // N2 (diagonal of the covariance; the same for every output)
  Eigen::VectorXd var_train;   // N1
};

struct Predictions {
  // GP posterior (Bayesian inference with the NNGP, noise = the regulariser).
  Eigen::MatrixXd gp_mean_test;    // N2 x k
  Eigen::VectorXd gp_var_test;     // N2
  std::vector<PredictionSet> ntk;  // one per time (finite ones, then infinity)
  double ntk_min_eigenvalue = 0.0, ntk_max_eigenvalue = 0.0;  // of the regularised train NTK
  double nngp_min_eigenvalue = 0.0, nngp_max_eigenvalue = 0.0;
  double regulariser = 0.0;  // absolute diagonal added
};
Predictions predict(const KernelResult& kernels, const Eigen::MatrixXd& y_train,
                    const PredictionOptions& options);

// ---------------------------------------------------------------------------------------------
// Monte Carlo: empirical kernels of finite-width random networks

struct MonteCarloOptions {
  int networks = 8;        // random networks averaged
  bool ntk = true;         // also the empirical NTK (backprop per output unit)
  std::uint64_t seed = 0;  // network m uses seed + m
  int threads = 0;
  void validate() const;
};
struct MonteCarloResult {
  Eigen::MatrixXd nngp, ntk;  // averages over networks and output units
  double seconds = 0.0;
};
// Empirical NNGP f(x) f(x')/n_out and NTK grad f(x) . grad f(x') (analytic backprop; the weight
// part per layer is (delta . delta') (h . h') times the parameterisation's scale), averaged over
// networks. Every dense layer needs a width (the last one is the number of outputs).
MonteCarloResult empirical_kernels(const Architecture& arch, const Eigen::MatrixXd& x,
                                   const MonteCarloOptions& options);
// ||A - B||_F / ||B||_F
double relative_error(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b);

}  // namespace saddle
