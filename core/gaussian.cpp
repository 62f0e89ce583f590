#include "saddle/gaussian.hpp"

#include <gsl/gsl_integration.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
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
