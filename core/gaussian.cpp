#include "saddle/gaussian.hpp"

#include <gsl/gsl_integration.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "saddle/error.hpp"
#include "saddle/special.hpp"

namespace saddle {
namespace {

using Values = std::array<double, kMaxComponents>;

constexpr double kInfinity = std::numeric_limits<double>::infinity();
// phi(38.6) is below the smallest normal double: a wider range only integrates zeros.
constexpr double kMaxCutoff = 40.0;
constexpr int kMaxHermiteOrder = 4096;

void check_components(int k) {
  if (k < 1 || k > kMaxComponents)
    throw InternalError("Gaussian quadrature: k = " + std::to_string(k) +
                        "; expected 1 <= k <= " + std::to_string(kMaxComponents));
}

[[noreturn]] void bad_option(const std::string& field, const std::string& value,
                             const std::string& expected) {
  throw InputError("quadrature.bad_option", "quadrature." + field,
                   field + " = " + value + "; expected " + expected);
}

// A vector with inline storage for the common case: the quadrature is called ~1e6 times per run,
// and a heap allocation per call would cost as much as the integrand evaluations of a small rule.
template <class T, std::size_t N>
class SmallVector {
 public:
  std::size_t size() const { return size_; }
  T* begin() { return spilled_ ? heap_.data() : local_.data(); }
  T* end() { return begin() + size_; }
  T& back() { return begin()[size_ - 1]; }
  void push_back(const T& v) {
    if (!spilled_ && size_ == N) {
      heap_.assign(local_.begin(), local_.end());
      spilled_ = true;
    }
    if (spilled_)
      heap_.push_back(v);
    else
      local_[size_] = v;
    ++size_;
  }
  void pop_back() {
    if (spilled_) heap_.pop_back();
    --size_;
  }
  void resize_down(std::size_t n) {
    while (size_ > n) pop_back();
  }

 private:
  std::array<T, N> local_;
  std::vector<T> heap_;
  std::size_t size_ = 0;
  bool spilled_ = false;
};

// --- adaptive Gauss-Legendre ---------------------------------------------------------------------

constexpr int kLowOrder = 10;
constexpr int kHighOrder = 20;

// Non-negative halves of the two symmetric rules on [-1, 1].
struct LegendrePair {
  std::array<double, kLowOrder / 2> x_low, w_low;
  std::array<double, kHighOrder / 2> x_high, w_high;
};

template <std::size_t M>
void fill_half_rule(int n, std::array<double, M>& x, std::array<double, M>& w) {
  gsl_integration_glfixed_table* table =
      gsl_integration_glfixed_table_alloc(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < M; ++i) {
    x[i] = table->x[i];
    w[i] = table->w[i];
  }
  gsl_integration_glfixed_table_free(table);
}

const LegendrePair& legendre_pair() {
  static const LegendrePair pair = [] {
    LegendrePair p;
    fill_half_rule(kLowOrder, p.x_low, p.w_low);
    fill_half_rule(kHighOrder, p.x_high, p.w_high);
    return p;
  }();
  return pair;
}

struct Panel {
  double a, b, error;
  Values value;
};

bool smaller_error(const Panel& p, const Panel& q) {
  return p.error < q.error;
}

class PanelEvaluator {
 public:
  PanelEvaluator(int k, FunctionRef<void(double, double*)> f)
      : k_(k), f_(f), rules_(legendre_pair()) {}

  int evaluations() const { return evaluations_; }

  // Sets value to the 2n-point estimate and error to max_j |G2n - Gn|.
  void operator()(Panel& panel) {
    const double c = 0.5 * (panel.a + panel.b);
    const double h = 0.5 * (panel.b - panel.a);
    Values low{}, high{};
    accumulate(c, h, rules_.x_low, rules_.w_low, low);
    accumulate(c, h, rules_.x_high, rules_.w_high, high);
    panel.error = 0.0;
    for (int j = 0; j < k_; ++j) {
      panel.value[j] = h * high[j];
      const double diff = h * std::fabs(high[j] - low[j]);
      if (!(diff <= panel.error)) panel.error = diff;  // unlike std::max, keeps a NaN
    }
    if (!std::isfinite(panel.error)) panel.error = kInfinity;  // NaN would corrupt the heap order
  }

 private:
  template <std::size_t M>
  void accumulate(double c, double h, const std::array<double, M>& x,
                  const std::array<double, M>& w, Values& sum) {
    double out[kMaxComponents];
    for (std::size_t i = 0; i < M; ++i) {
      for (const double z : {c - h * x[i], c + h * x[i]}) {
        f_(z, out);
        const double weight = w[i] * kInvSqrt2Pi * std::exp(-0.5 * z * z);
        for (int j = 0; j < k_; ++j) sum[j] += weight * out[j];
      }
    }
    evaluations_ += static_cast<int>(2 * M);
  }

  int k_;
  FunctionRef<void(double, double*)> f_;
  const LegendrePair& rules_;
  int evaluations_ = 0;
};

// Offsets, in feature widths, of the initial breakpoints around a feature centre: a geometric
// mesh keeps the nearest complex singularity (tanh: at +-i pi/2 widths) at a fixed relative
// distance from each panel, and tanh is flat to 1e-15 beyond 18 widths.
constexpr double kFeatureOffsets[] = {0.0, 1.0, 3.0, 9.0, 27.0};
constexpr int kUniformPanels = 8;

struct Totals {
  Values value{};
  double error = 0.0;
};

template <class Store>
Totals sum_panels(Store& panels, int k) {
  Totals t;
  for (const Panel& p : panels) {
    for (int j = 0; j < k; ++j) t.value[j] += p.value[j];
    t.error += p.error;
  }
  return t;
}

double target_error(const Totals& t, int k, const QuadratureOptions& o) {
  double scale = 0.0;
  for (int j = 0; j < k; ++j) scale = std::max(scale, std::fabs(t.value[j]));
  return o.abs_tol + o.rel_tol * scale;
}

// --- Gauss-Hermite -------------------------------------------------------------------------------

// Orthonormal Hermite polynomials for N(0, 1): p_{k+1} = (x p_k - sqrt(k) p_{k-1}) / sqrt(k+1).
// Returns p_n and p_{n-1} scaled by exp(-log_scale): p_k grows like exp(x^2 / 4) at the outer
// nodes.
struct HermiteValues {
  double p_n, p_n1, log_scale;
};

HermiteValues hermite_values(int n, double x, const std::vector<double>& sqrt_k) {
  double p_prev = 0.0, p = 1.0, log_scale = 0.0;
  for (int k = 0; k < n; ++k) {
    const double next = (x * p - sqrt_k[k] * p_prev) / sqrt_k[k + 1];
    p_prev = p;
    p = next;
    if (std::fabs(p) > 1e150) {
      p *= 1e-150;
      p_prev *= 1e-150;
      log_scale += 150.0 * std::log(10.0);
    }
  }
  return {p, p_prev, log_scale};
}

// Golub-Welsch eigenvalues as starting points, then Newton on p_n; weights from the
// Christoffel-Darboux form w_i = 1 / (n p_{n-1}(x_i)^2), which keeps full relative accuracy for
// the tiny outer weights (eigenvector-based weights only have absolute accuracy ~1e-16, and
// 1e-16 * 40^4 would spoil E z^4).
std::unique_ptr<GaussHermiteRule> compute_gauss_hermite(int n) {
  auto rule = std::make_unique<GaussHermiteRule>();
  rule->nodes.assign(static_cast<std::size_t>(n), 0.0);
  rule->weights.assign(static_cast<std::size_t>(n), 0.0);
  if (n == 1) {
    rule->weights[0] = 1.0;
    return rule;
  }
  std::vector<double> sqrt_k(static_cast<std::size_t>(n) + 1);
  for (int k = 0; k <= n; ++k) sqrt_k[k] = std::sqrt(static_cast<double>(k));

  Eigen::VectorXd diagonal = Eigen::VectorXd::Zero(n);
  Eigen::VectorXd subdiagonal(n - 1);
  for (int k = 1; k < n; ++k) subdiagonal[k - 1] = sqrt_k[k];
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver;
  solver.computeFromTridiagonal(diagonal, subdiagonal, Eigen::EigenvaluesOnly);
  const Eigen::VectorXd& guess = solver.eigenvalues();  // ascending

  const double log_n = std::log(static_cast<double>(n));
  for (int i = n / 2; i < n; ++i) {  // non-negative half; the rule is mirrored
    double x = (2 * i + 1 == n) ? 0.0 : guess[i];
    HermiteValues v = hermite_values(n, x, sqrt_k);
    for (int iter = 0; iter < 20 && x != 0.0; ++iter) {
      const double dx = v.p_n / (sqrt_k[n] * v.p_n1);
      x -= dx;
      v = hermite_values(n, x, sqrt_k);
      if (std::fabs(dx) <= 4 * DBL_EPSILON * std::fabs(x)) break;
    }
    const double weight = std::exp(-log_n - 2.0 * (std::log(std::fabs(v.p_n1)) + v.log_scale));
    rule->nodes[i] = x;
    rule->nodes[n - 1 - i] = -x;
    rule->weights[i] = weight;
    rule->weights[n - 1 - i] = weight;
  }
  double total = 0.0;  // smallest first
  for (int i = 0; i < n / 2; ++i) total += 2.0 * rule->weights[i];
  if (n % 2 == 1) total += rule->weights[n / 2];
  for (double& w : rule->weights) w /= total;
  return rule;
}

struct HermiteCache {
  std::mutex mutex;
  std::map<int, std::unique_ptr<GaussHermiteRule>> rules;
  // Lock-free lookup for the orders used on hot paths.
  std::array<std::atomic<const GaussHermiteRule*>, 1025> published{};
};

HermiteCache& hermite_cache() {
  static HermiteCache cache;
  return cache;
}

void check_hermite_orders(double tol, int n_min, int n_max, int n_limit) {
  if (!(tol >= 0.0) || !std::isfinite(tol))
    bad_option("tol", format_number(tol), "a finite number >= 0");
  if (n_min < 1 || n_min > n_limit)
    bad_option("n_min", std::to_string(n_min), "1 <= n_min <= " + std::to_string(n_limit));
  if (n_max < n_min || n_max > n_limit)
    bad_option("n_max", std::to_string(n_max),
               "n_min = " + std::to_string(n_min) + " <= n_max <= " + std::to_string(n_limit));
}

// Order doubling n_min, 2 n_min, ... <= n_max. estimate(n, sum) fills sum and returns the number
// of integrand evaluations.
template <class Estimate>
QuadratureResult doubling(int k, double tol, int n_min, int n_max, Estimate estimate) {
  QuadratureResult result;
  result.error = kInfinity;
  Values previous{};
  bool have_previous = false;
  for (int n = n_min; n <= n_max; n *= 2) {
    Values sum{};
    result.evaluations += estimate(n, sum);
    result.panels = n;
    result.value = sum;
    bool finite = true;
    double diff = 0.0;
    for (int j = 0; j < k; ++j) {
      finite = finite && std::isfinite(sum[j]);
      diff = std::max(diff, std::fabs(sum[j] - previous[j]));
    }
    if (!finite) {
      result.error = kInfinity;
      break;
    }
    if (have_previous) {
      result.error = diff;
      if (diff <= tol) {
        result.converged = true;
        break;
      }
    }
    previous = sum;
    have_previous = true;
  }
  return result;
}

// --- tanh moments (tanh_moments) -----------------------------------------------------------------

// What a call computes: the map's moments, the Jacobian's as well, or also the thermodynamic ones.
enum class TanhLevel { kMap, kDerivatives, kThermodynamics };

// Panels in |x| (x = x0 + sigma z) on one side of the kink, for kink widths w = 1 / sigma in
// (0, 1/2], (1/2, 1] and (1, 2], from a dynamic programme over breakpoints (on a 0.5 grid) and
// orders: the fewest nodes in use on average over kink positions |c| < 4, under an error below
// 2e-17 per panel (in long double, against a 30-point rule on subpanels 0.5 long) for each of
// sech^2, tanh - 1, sech^2 tanh and sech^4 times phi(c + w x), at kink positions every 0.1 and
// widths sampled across the bin (checked afterwards for ln(1 + e^-2x) and the entropy term too:
// below 1e-16). Wider kinks need panels short in x to follow the Gaussian: for w > 2 Gauss-Hermite
// is cheaper.
struct KinkPanelSpec {
  double a, b;
  int n;
};
constexpr KinkPanelSpec kNarrowKink[] = {{0.0, 3.0, 21}, {3.0, 20.0, 25}};
constexpr KinkPanelSpec kMediumKink[] = {
    {0.0, 2.0, 18}, {2.0, 13.5, 26}, {13.5, 17.0, 6}, {17.0, 18.0, 2}, {18.0, 20.0, 2}};
constexpr KinkPanelSpec kWideKink[] = {{0.0, 7.5, 39},  {7.5, 10.0, 12}, {10.0, 12.0, 9},
                                       {12.0, 13.0, 6}, {13.0, 13.5, 4}, {13.5, 20.0, 14}};
// Beyond |z| = 9 the Gaussian density is below 1e-18: panels entirely there are skipped.
constexpr double kKinkCutoff = 9.0;
// At least the number of nodes of each mesh (84 in kWideKink).
constexpr int kMaxKinkNodes = 96;

// The functions of x >= 0 that are integrated over one side of the kink (the rest of TanhMoments
// is in closed form: E sign(x), E |x|), at the nodes of a mesh and times the Gauss-Legendre weight.
struct KinkWeights {
  std::vector<double> sech2, tanh_minus_one, sech2_tanh, sech4;
  std::vector<double> log1p;    // ln(1 + e^-2x) = ln 2cosh x - x
  std::vector<double> entropy;  // ln 2cosh x - x tanh x
};

struct KinkMesh {
  struct Panel {
    double a, b;
    int begin, end;
  };
  std::vector<Panel> panels;
  std::vector<double> x;
  KinkWeights weights;

  template <std::size_t N>
  explicit KinkMesh(const KinkPanelSpec (&specs)[N]) {
    for (const KinkPanelSpec& spec : specs) {
      gsl_integration_glfixed_table* table =
          gsl_integration_glfixed_table_alloc(static_cast<std::size_t>(spec.n));
      const int begin = static_cast<int>(x.size());
      for (int i = 0; i < spec.n; ++i) {
        double xi = 0.0, wi = 0.0;
        gsl_integration_glfixed_point(spec.a, spec.b, static_cast<std::size_t>(i), &xi, &wi, table);
        const double e = std::exp(-2.0 * xi), inv = 1.0 / (1.0 + e);
        const double s2 = 4.0 * e * inv * inv, t = (1.0 - e) * inv;
        x.push_back(xi);
        weights.sech2.push_back(wi * s2);
        weights.tanh_minus_one.push_back(wi * (-2.0 * e * inv));
        weights.sech2_tanh.push_back(wi * s2 * t);
        weights.sech4.push_back(wi * s2 * s2);
        weights.log1p.push_back(wi * std::log1p(e));
        weights.entropy.push_back(wi * (std::log1p(e) + 2.0 * xi * e * inv));
      }
      gsl_integration_glfixed_table_free(table);
      panels.push_back({spec.a, spec.b, begin, static_cast<int>(x.size())});
    }
    if (x.size() > static_cast<std::size_t>(kMaxKinkNodes))
      throw InternalError("tanh_moments: a mesh has " + std::to_string(x.size()) +
                          " nodes; kMaxKinkNodes = " + std::to_string(kMaxKinkNodes));
  }
};

struct KinkSums {
  double sech2 = 0.0, tanh_minus_one = 0.0, sech2_tanh = 0.0, sech4 = 0.0, log1p = 0.0,
         entropy = 0.0;
};

// exp(x) for -708 <= x <= 0 without a library call or a branch, so that a loop of them vectorises
// (a clamp to the range would be a branch that stops GCC from vectorising): x = k ln2 + r with
// |r| <= ln2 / 2 (k by the round-to-nearest of adding 1.5 2^52), e^r by its Taylor polynomial of
// degree 13 (remainder below 4e-18), 2^k put into the exponent bits. Measured relative error below
// 0.71 ulp (std::exp: 0.5 ulp).
inline double exp_nonpositive(double x) {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln 2 in 32 bits: k ln2hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShift = 6755399441055744.0;  // 1.5 2^52: x + kShift rounds x to an integer
  const double shifted = x * kLog2e + kShift;
  const double k = shifted - kShift;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // e^r = 1 + (r + r^2 tail(r)), the tail by Estrin's scheme: a chain of 10 operations instead of
  // Horner's 26, and the leading terms added last, as in Horner, for a rounding below 1 ulp.
  const double r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
  const double t0 = 1.0 / 2 + r * (1.0 / 6), t1 = 1.0 / 24 + r * (1.0 / 120),
               t2 = 1.0 / 720 + r * (1.0 / 5040), t3 = 1.0 / 40320 + r * (1.0 / 362880),
               t4 = 1.0 / 3628800 + r * (1.0 / 39916800),
               t5 = 1.0 / 479001600 + r * (1.0 / 6227020800);
  const double tail = (t0 + t1 * r2) + (t2 + t3 * r2) * r4 + (t4 + t5 * r2) * r8;
  const double p = 1.0 + (r + r2 * tail);
  // The low bits of `shifted` hold k (two's complement); (k + 1023) << 52 is 2^k as a double.
  std::uint64_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  bits = (bits + 1023u) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The two loops that take most of the time of tanh_moments, compiled twice where the compiler can
// (GCC, Clang on x86-64 ELF): for AVX2, 4 lanes instead of SSE2's 2, chosen at load time. AVX2
// implies no FMA, so both versions round the same way: results do not depend on the machine.
#if defined(__x86_64__) && defined(__ELF__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define SADDLE_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef SADDLE_AVX2_CLONES
#define SADDLE_AVX2_CLONES
#endif

// density[i] = exp(-z_i^2 / 2), z_i = c + w x[i], for |z_i| < 37 (the range of exp_nonpositive).
SADDLE_AVX2_CLONES void gaussian_densities(const double* x, int n, double c, double w,
                                           double* density) {
  for (int i = 0; i < n; ++i) {
    const double z = c + w * x[i];
    density[i] = exp_nonpositive(-0.5 * z * z);
  }
}

// At x_i = x0 + sigma z[i]: e[i] = exp(-2 |x_i|) and inv[i] = 1 / (1 + e[i]), for |x_i| <= 354.
SADDLE_AVX2_CLONES void tanh_exponentials(const double* z, int n, double x0, double sigma,
                                          double* e, double* inv) {
  for (int i = 0; i < n; ++i) {
    e[i] = exp_nonpositive(-2.0 * std::fabs(x0 + sigma * z[i]));
    inv[i] = 1.0 / (1.0 + e[i]);
  }
}

// Sums over the side x > 0 of a kink at z = c of width w (x = (z - c) / w) of the tabulated
// weights times exp(-z^2 / 2); the side x < 0 is the side x > 0 of the kink at -c.
template <TanhLevel kLevel>
void kink_side(const KinkMesh& mesh, double c, double w, KinkSums& sums, int& evaluations) {
  // The panels that reach into |z| < kKinkCutoff are consecutive, and so are their nodes.
  int begin = -1, end = -1;
  for (const KinkMesh::Panel& panel : mesh.panels) {
    if (!(c + w * panel.b > -kKinkCutoff)) continue;
    if (!(c + w * panel.a < kKinkCutoff)) break;  // and so are the panels further out
    if (begin < 0) begin = panel.begin;
    end = panel.end;
  }
  if (begin < 0) return;
  const int n = end - begin;
  // Each active panel reaches into |z| < 9 and is at most 15 long in z (w (b - a) <= 2 * 7.5 in
  // kWideKink), so |z| < 24 and -z^2 / 2 > -288 is in the range of exp_nonpositive.
  double density[kMaxKinkNodes];
  gaussian_densities(mesh.x.data() + begin, n, c, w, density);
  evaluations += n;
  // Four partial sums per function: independent chains of additions.
  const auto dot = [&](const std::vector<double>& weights) {
    const double* v = weights.data() + begin;
    double part[4] = {0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) part[j] += v[i + j] * density[i + j];
    for (; i < n; ++i) part[0] += v[i] * density[i];
    return (part[0] + part[2]) + (part[1] + part[3]);
  };
  const KinkWeights& weights = mesh.weights;
  sums.sech2 = dot(weights.sech2);
  sums.tanh_minus_one = dot(weights.tanh_minus_one);
  if (kLevel != TanhLevel::kMap) {
    sums.sech2_tanh = dot(weights.sech2_tanh);
    sums.sech4 = dot(weights.sech4);
  }
  if (kLevel == TanhLevel::kThermodynamics) {
    sums.log1p = dot(weights.log1p);
    sums.entropy = dot(weights.entropy);
  }
}

template <TanhLevel kLevel>
TanhMoments kink_moments(double x0, double sigma) {
  static const KinkMesh narrow(kNarrowKink), medium(kMediumKink), wide(kWideKink);
  const double w = 1.0 / sigma, c = -x0 * w;
  const KinkMesh& mesh = w <= 0.5 ? narrow : w <= 1.0 ? medium : wide;
  TanhMoments m;
  KinkSums right, left;
  kink_side<kLevel>(mesh, c, w, right, m.evaluations);
  if (c == 0.0)
    left = right;  // mu = 0: the two sides are mirror images
  else
    kink_side<kLevel>(mesh, -c, w, left, m.evaluations);
  const double scale = w * kInvSqrt2Pi;       // dz = w dx, and the density's constant
  const double erf_c = std::erf(c / kSqrt2);  // E sign(x) = -erf(c / sqrt2)
  m.tanh = c == 0.0 ? 0.0 : -erf_c + scale * (right.tanh_minus_one - left.tanh_minus_one);
  m.sech2 = scale * (right.sech2 + left.sech2);
  m.tanh2 = 1.0 - m.sech2;  // >= 0.17 here (sigma >= 1/2): no cancellation
  if (kLevel != TanhLevel::kMap) {
    m.sech2_tanh = scale * (right.sech2_tanh - left.sech2_tanh);
    m.sech4 = scale * (right.sech4 + left.sech4);
  }
  if (kLevel == TanhLevel::kThermodynamics) {
    // E |x| = sigma E |z - c| = sigma (c erf(c / sqrt2) + 2 phi(c)).
    const double mean_abs = sigma * (c * erf_c + 2.0 * kInvSqrt2Pi * std::exp(-0.5 * c * c));
    m.log_2cosh = mean_abs + scale * (right.log1p + left.log1p);
    m.entropy = scale * (right.entropy + left.entropy);
  }
  return m;
}

// Adds weight g(x) for the functions g of TanhMoments, from e = exp(-2|x|) and inv = 1 / (1 + e)
// (accurate where tanh^2 -> 1). m.tanh accumulates tanh(x) - s0 for a fixed s0 in {-1, 0, 1} near
// tanh(x0): a sum of values near +-1 would lose a few ulps.
template <TanhLevel kLevel>
void add_tanh_values(double x, double e, double inv, double weight, double s0, TanhMoments& m) {
  const double t = std::copysign((1.0 - e) * inv, x), s2 = 4.0 * e * inv * inv;
  // tanh(x) - s0 = -2 s0 e / (1 + e) where sign(x) = s0, -2 s0 / (1 + e) where it is not.
  const double shifted = s0 == 0.0 ? t : -2.0 * s0 * ((x < 0) == (s0 < 0) ? e : 1.0) * inv;
  m.tanh += weight * shifted;
  m.tanh2 += weight * (t * t);
  m.sech2 += weight * s2;
  if (kLevel != TanhLevel::kMap) {
    m.sech2_tanh += weight * (s2 * t);
    m.sech4 += weight * (s2 * s2);
  }
  if (kLevel == TanhLevel::kThermodynamics) {
    // ln 2cosh x - s0 x = |x| - s0 x + ln(1 + e): small where sign(x) = s0, for the same reason.
    const double ax = std::fabs(x), log1p = std::log1p(e);
    const double abs_minus_s0x = s0 == 0.0 ? ax : (x < 0) == (s0 < 0) ? 0.0 : 2.0 * ax;
    m.log_2cosh += weight * (abs_minus_s0x + log1p);
    m.entropy += weight * (log1p + (e == 0.0 ? 0.0 : 2.0 * ax * e * inv));  // |x| = inf: e = 0
  }
}

// The largest Gauss-Hermite order used by tanh_moments.
constexpr int kMaxTanhHermiteOrder = 64;

template <TanhLevel kLevel>
TanhMoments tanh_moments_impl(double x0, double sigma) {
  TanhMoments m;
  sigma = std::fabs(sigma);
  // x0 and sigma both infinite: the kink position -x0 / sigma is undefined.
  if (std::isnan(x0) || std::isnan(sigma) || (std::isinf(x0) && std::isinf(sigma))) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m.tanh = m.tanh2 = m.sech2 = nan;
    if (kLevel != TanhLevel::kMap) m.sech2_tanh = m.sech4 = nan;
    if (kLevel == TanhLevel::kThermodynamics) m.log_2cosh = m.entropy = nan;
    return m;
  }
  if (sigma >= 0.5) return kink_moments<kLevel>(x0, sigma);
  // tanh(x0) rounded to -1, 0 or 1 (|tanh(0.55)| = 0.5).
  const double s0 = x0 > 0.55 ? 1.0 : x0 < -0.55 ? -1.0 : 0.0;
  if (sigma == 0.0) {
    const double e = std::exp(-2.0 * std::fabs(x0));
    add_tanh_values<kLevel>(x0, e, 1.0 / (1.0 + e), 1.0, s0, m);
    m.evaluations = 1;
  } else {
    // Orders for the strip half-width pi / (2 sigma): measured errors below 1e-16 from
    // sigma = 1/2 (64), 1/3 (40), 1/4.5 (32).
    const int n = sigma > 1.0 / 3.0 ? kMaxTanhHermiteOrder : sigma > 1.0 / 4.5 ? 40 : 32;
    const GaussHermiteRule& rule = gauss_hermite_rule(n);
    const double* z = rule.nodes.data();
    double e[kMaxTanhHermiteOrder], inv[kMaxTanhHermiteOrder];
    if (std::fabs(x0) + sigma * z[n - 1] <= 354.0) {  // nodes ascending: z[n - 1] = max |z|
      tanh_exponentials(z, n, x0, sigma, e, inv);
    } else {  // exp(-2|x|) may leave the range of exp_nonpositive
      for (int i = 0; i < n; ++i) {
        e[i] = std::exp(-2.0 * std::fabs(x0 + sigma * z[i]));
        inv[i] = 1.0 / (1.0 + e[i]);
      }
    }
    for (int i = 0; i < n; ++i)
      add_tanh_values<kLevel>(x0 + sigma * z[i], e[i], inv[i], rule.weights[i], s0, m);
    m.evaluations = n;
  }
  // The weights sum to 1, and E x = x0.
  m.tanh += s0;
  if (kLevel == TanhLevel::kThermodynamics) m.log_2cosh += s0 * x0;
  if (x0 == 0.0) m.tanh = m.sech2_tanh = 0.0;  // odd in x: exactly 0 (the sums leave ~1e-18)
  // The smaller of E tanh^2 and E sech^2 is summed, the other is 1 minus it (no lost ulps).
  if (m.sech2 < m.tanh2)
    m.tanh2 = 1.0 - m.sech2;
  else
    m.sech2 = 1.0 - m.tanh2;
  return m;
}

}  // namespace

void QuadratureOptions::validate() const {
  if (!(abs_tol >= 0.0) || !std::isfinite(abs_tol))
    bad_option("abs_tol", format_number(abs_tol), "a finite number >= 0");
  if (!(rel_tol >= 0.0) || !std::isfinite(rel_tol))
    bad_option("rel_tol", format_number(rel_tol), "a finite number >= 0");
  if (abs_tol == 0.0 && rel_tol == 0.0)
    bad_option("abs_tol", "0 with rel_tol = 0", "at least one of them > 0");
  if (!(cutoff > 0.0 && cutoff <= kMaxCutoff))
    bad_option("cutoff", format_number(cutoff),
               "0 < cutoff <= 40 (the Gaussian density underflows beyond 38.6)");
  if (max_panels < 1) bad_option("max_panels", std::to_string(max_panels), "an integer >= 1");
}

QuadratureResult gaussian_expectation(int k, FunctionRef<void(double, double*)> f,
                                      const std::vector<Feature>& features,
                                      const QuadratureOptions& options) {
  check_components(k);
  options.validate();
  const double L = options.cutoff;

  SmallVector<double, 64> points;
  for (int i = 0; i <= kUniformPanels; ++i) points.push_back(-L + 2.0 * L * i / kUniformPanels);
  for (const Feature& feature : features) {
    // Features are hints: one that cannot be placed (s = 0 gives an infinite width) is dropped.
    const double w = std::fabs(feature.width);
    if (!std::isfinite(feature.center) || !std::isfinite(w)) continue;
    for (const double offset : kFeatureOffsets) {
      for (const double z : {feature.center - offset * w, feature.center + offset * w}) {
        if (z > -L && z < L) points.push_back(z);
      }
    }
  }
  std::sort(points.begin(), points.end());
  {
    // Drop near-duplicates: slivers narrower than a few ulps of L cannot be bisected.
    const double min_gap = 16 * DBL_EPSILON * L;
    std::size_t kept = 1;
    double* p = points.begin();
    for (std::size_t i = 1; i < points.size(); ++i) {
      if (p[i] - p[kept - 1] > min_gap) p[kept++] = p[i];
    }
    p[kept - 1] = L;  // the last kept point is L or within min_gap of it
    points.resize_down(kept);
  }

  PanelEvaluator evaluate(k, f);
  SmallVector<Panel, 96> heap;
  Totals totals;
  bool finite = true;
  const auto add = [&](const Panel& panel) {
    finite = finite && std::isfinite(panel.error);
    for (int j = 0; j < k; ++j) totals.value[j] += panel.value[j];
    totals.error += panel.error;
    heap.push_back(panel);
    std::push_heap(heap.begin(), heap.end(), smaller_error);
  };
  for (std::size_t i = 0; i + 1 < points.size(); ++i) {
    Panel panel{};
    panel.a = points.begin()[i];
    panel.b = points.begin()[i + 1];
    evaluate(panel);
    add(panel);
  }

  bool converged = false;
  while (finite) {
    if (totals.error <= target_error(totals, k, options)) {
      totals = sum_panels(heap, k);  // the running sums drift; decide on exact ones
      if (totals.error <= target_error(totals, k, options)) {
        converged = true;
        break;
      }
    }
    if (static_cast<int>(heap.size()) >= options.max_panels) break;
    std::pop_heap(heap.begin(), heap.end(), smaller_error);
    const Panel worst = heap.back();
    const double mid = 0.5 * (worst.a + worst.b);
    if (!(mid > worst.a && mid < worst.b)) {  // at the resolution of doubles
      std::push_heap(heap.begin(), heap.end(), smaller_error);
      break;
    }
    heap.pop_back();
    for (int j = 0; j < k; ++j) totals.value[j] -= worst.value[j];
    totals.error -= worst.error;
    Panel left{}, right{};
    left.a = worst.a;
    left.b = mid;
    right.a = mid;
    right.b = worst.b;
    evaluate(left);
    evaluate(right);
    // Both rules can agree on a panel that hides a jump (their errors are equal for some jump
    // positions); the parent's 2n-point value then disagrees with the children's sum.
    double discrepancy = 0.0;
    for (int j = 0; j < k; ++j)
      discrepancy =
          std::max(discrepancy, std::fabs(left.value[j] + right.value[j] - worst.value[j]));
    left.error = std::max(left.error, 0.5 * discrepancy);
    right.error = std::max(right.error, 0.5 * discrepancy);
    add(left);
    add(right);
  }

  QuadratureResult result;
  if (!converged) totals = sum_panels(heap, k);
  result.value = totals.value;
  result.error = finite ? totals.error : kInfinity;
  result.evaluations = evaluate.evaluations();
  result.panels = static_cast<int>(heap.size());
  result.converged = converged;
  return result;
}

TanhMoments tanh_moments(double x0, double sigma) {
  return tanh_moments_impl<TanhLevel::kMap>(x0, sigma);
}

TanhMoments tanh_derivative_moments(double x0, double sigma) {
  return tanh_moments_impl<TanhLevel::kDerivatives>(x0, sigma);
}

TanhMoments tanh_thermodynamic_moments(double x0, double sigma) {
  return tanh_moments_impl<TanhLevel::kThermodynamics>(x0, sigma);
}

const GaussHermiteRule& gauss_hermite_rule(int n) {
  if (n < 1 || n > kMaxHermiteOrder)
    bad_option("n", std::to_string(n), "1 <= n <= " + std::to_string(kMaxHermiteOrder));
  HermiteCache& cache = hermite_cache();
  const bool published = static_cast<std::size_t>(n) < cache.published.size();
  if (published) {
    if (const GaussHermiteRule* rule = cache.published[n].load(std::memory_order_acquire))
      return *rule;
  }
  std::lock_guard<std::mutex> lock(cache.mutex);
  std::unique_ptr<GaussHermiteRule>& slot = cache.rules[n];
  if (!slot) slot = compute_gauss_hermite(n);
  if (published) cache.published[n].store(slot.get(), std::memory_order_release);
  return *slot;
}

QuadratureResult gauss_hermite_expectation(int k, FunctionRef<void(double, double*)> f, double tol,
                                           int n_min, int n_max) {
  check_components(k);
  check_hermite_orders(tol, n_min, n_max, kMaxHermiteOrder);
  return doubling(k, tol, n_min, n_max, [&](int n, Values& sum) {
    const GaussHermiteRule& rule = gauss_hermite_rule(n);
    double out[kMaxComponents];
    int evaluations = 0;
    for (int i = 0; i < n; ++i) {
      const double w = rule.weights[i];
      if (w == 0.0) continue;  // underflowed tail weight: f may not even be finite there
      f(rule.nodes[i], out);
      ++evaluations;
      for (int j = 0; j < k; ++j) sum[j] += w * out[j];
    }
    return evaluations;
  });
}

QuadratureResult correlated_expectation(int k, FunctionRef<void(double, double, double*)> f,
                                        double c11, double c12, double c22, double tol, int n_min,
                                        int n_max) {
  check_components(k);
  check_hermite_orders(tol, n_min, n_max, kMaxHermiteOrder);
  const bool finite = std::isfinite(c11) && std::isfinite(c12) && std::isfinite(c22);
  if (!finite || c11 < 0.0 || c22 < 0.0 || c12 * c12 > c11 * c22 * (1.0 + 1e-12)) {
    throw InputError("quadrature.not_psd", "covariance",
                     "[[c11, c12], [c12, c22]] = [[" + format_number(c11) + ", " +
                         format_number(c12) + "], [" + format_number(c12) + ", " +
                         format_number(c22) +
                         "]] is not positive semi-definite; expected c11 >= 0, c22 >= 0 and "
                         "c12^2 <= c11 c22");
  }
  // u = l11 z1, v = l21 z1 + l22 z2. l22^2 = det / c11 with det by Kahan's fma algorithm, so that
  // l22 stays accurate as |correlation| -> 1 instead of being pure rounding noise.
  const double l11 = std::sqrt(c11);
  const double l21 = c11 > 0.0 ? c12 / l11 : 0.0;
  double l22 = std::sqrt(c22);
  if (c11 > 0.0) {
    const double square = c12 * c12;
    const double det = std::fma(c11, c22, -square) - std::fma(c12, c12, -square);
    l22 = std::sqrt(std::max(0.0, det / c11));
  }

  double out[kMaxComponents];
  if (c11 == 0.0 && l22 == 0.0) {  // a point mass at the origin
    f(0.0, 0.0, out);
    QuadratureResult result;
    for (int j = 0; j < k; ++j) result.value[j] = out[j];
    result.evaluations = 1;
    result.panels = 1;
    result.converged = std::all_of(out, out + k, [](double x) { return std::isfinite(x); });
    result.error = result.converged ? 0.0 : kInfinity;
    return result;
  }
  // A rank-one covariance is a one-dimensional integral: n evaluations instead of n^2.
  if (c11 == 0.0 || l22 == 0.0) {
    const double su = l11, sv = c11 == 0.0 ? l22 : l21;
    const auto g = [&](double z, double* o) { f(su * z, sv * z, o); };
    return gauss_hermite_expectation(k, g, tol, n_min, n_max);
  }
  return doubling(k, tol, n_min, n_max, [&](int n, Values& sum) {
    const GaussHermiteRule& rule = gauss_hermite_rule(n);
    int evaluations = 0;
    for (int i = 0; i < n; ++i) {
      const double u = l11 * rule.nodes[i];
      const double v0 = l21 * rule.nodes[i];
      for (int m = 0; m < n; ++m) {
        const double w = rule.weights[i] * rule.weights[m];
        if (w == 0.0) continue;
        f(u, v0 + l22 * rule.nodes[m], out);
        ++evaluations;
        for (int j = 0; j < k; ++j) sum[j] += w * out[j];
      }
    }
    return evaluations;
  });
}

}  // namespace saddle
