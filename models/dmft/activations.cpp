// Activations and their dual kernels T(K) = E phi(u) phi(v), Tdot(K) = E phi'(u) phi'(v) for
// (u, v) ~ N(0, [[K11, K12], [K12, K22]]); see include/saddle/nn_kernel.hpp.
//
// Closed forms, with s = sqrt(K11 K22), c = K12 / s, theta = arccos c:
//   abrelu(a, b) = a x + (b - a) relu(x) (relu: a = 0, b = 1; leaky: a = alpha, b = 1; abs: a = -1,
//   b = 1):
//     T    = a b K12 + (b - a)^2 s (sin theta + (pi - theta) c) / (2 pi)     (Cho and Saul 2009,
//     Tdot = a b + (b - a)^2 (pi - theta) / (2 pi)                             arc-cosine kernels n
//     = 1, 0) using E[u relu(v)] = K12 / 2 (Stein) for the cross terms.
//   erf: T = (2/pi) arcsin(2 K12 / sqrt((1 + 2 K11)(1 + 2 K22)))              (Williams 1997)
//        Tdot = (4/pi) / sqrt((1 + 2 K11)(1 + 2 K22) - 4 K12^2)
//   sign: T = (2/pi) arcsin(c); Tdot infinite (phi' = 2 delta).
//   identity: T = K12, Tdot = 1.
// Near c = 1 theta is computed as 2 asin(sqrt((1 - c)/2)), accurate to relative rounding where
// arccos loses half the digits, and c is clamped to [-1, 1] (rounded inputs give c = 1 + 1e-16).
//
// Quadrature: u = sqrt(K11) z1, v = sqrt(K22) (c z1 + r z2), r = sqrt(1 - c^2). The inner integral
// over z2 is split where v crosses a kink of phi (z2 = (kink / sqrt(K22) - c z1) / r), the outer
// one at the kinks of phi(u); every piece is covered by 16-point Gauss-Legendre panels at most 1
// wide on [-10, 10] (neglected Gaussian mass 1.5e-23). Near |c| = 1 the inner integral is a kink
// smoothed over r / |c| in z1, and the outer mesh is graded geometrically around it. Tests compare
// closed forms with it at 1e-10.
#include <gsl/gsl_integration.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

#include "saddle/error.hpp"
#include "saddle/gaussian.hpp"
#include "saddle/model.hpp"
#include "saddle/nn_kernel.hpp"

namespace saddle {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kCutoff = 10.0;
constexpr int kPanelOrder = 16;
constexpr double kPanelWidth = 1.0;

struct NameEntry {
  const char* name;
  ActivationKind kind;
};
const NameEntry kNames[] = {
    {"identity", ActivationKind::kIdentity},
    {"relu", ActivationKind::kRelu},
    {"leaky_relu", ActivationKind::kLeakyRelu},
    {"abrelu", ActivationKind::kAbRelu},
    {"abs", ActivationKind::kAbs},
    {"erf", ActivationKind::kErf},
    {"sign", ActivationKind::kSign},
    {"tanh", ActivationKind::kTanh},
    {"sigmoid", ActivationKind::kSigmoid},
    {"softplus", ActivationKind::kSoftplus},
    {"gelu", ActivationKind::kGelu},
    {"swish", ActivationKind::kSwish},
    {"silu", ActivationKind::kSwish},
    {"elu", ActivationKind::kElu},
    {"sin", ActivationKind::kSin},
    {"cos", ActivationKind::kCos},
};

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}


// Angle between the two inputs, accurate near c = +-1.
double angle(double c) {
  c = std::clamp(c, -1.0, 1.0);
  if (c > 0.5) return 2.0 * std::asin(std::sqrt(0.5 * (1.0 - c)));
  if (c < -0.5) return kPi - 2.0 * std::asin(std::sqrt(0.5 * (1.0 + c)));
  return std::acos(c);
}

// 16-point Gauss-Legendre nodes and weights on [-1, 1].
struct LegendreRule {
  double x[kPanelOrder];
  double w[kPanelOrder];
};
const LegendreRule& legendre16() {
  static const LegendreRule rule = [] {
    LegendreRule r{};
    gsl_integration_glfixed_table* t = gsl_integration_glfixed_table_alloc(kPanelOrder);
    for (int i = 0; i < kPanelOrder; ++i)
      gsl_integration_glfixed_point(-1.0, 1.0, static_cast<std::size_t>(i), &r.x[i], &r.w[i], t);
    gsl_integration_glfixed_table_free(t);
    return r;
  }();
  return rule;
}

// E_z f(z) over [-kCutoff, kCutoff] split at `breaks` (any order, outside points ignored).
template <class F>
void gauss_panels(std::vector<double> breaks, int k, double* out, F&& f) {
  const LegendreRule& rule = legendre16();
  breaks.push_back(-kCutoff);
  breaks.push_back(kCutoff);
  std::sort(breaks.begin(), breaks.end());
  for (int j = 0; j < k; ++j) out[j] = 0.0;
  double vals[4];
  for (std::size_t s = 0; s + 1 < breaks.size(); ++s) {
    const double lo = std::max(breaks[s], -kCutoff), hi = std::min(breaks[s + 1], kCutoff);
    if (!(hi > lo)) continue;
    const int panels = static_cast<int>(std::ceil((hi - lo) / kPanelWidth));
    const double h = (hi - lo) / panels;
    for (int p = 0; p < panels; ++p) {
      const double mid = lo + (p + 0.5) * h, half = 0.5 * h;
      for (int i = 0; i < kPanelOrder; ++i) {
        const double z = mid + half * rule.x[i];
        const double w = half * rule.w[i] * kInvSqrt2Pi * std::exp(-0.5 * z * z);
        f(z, vals);
        for (int j = 0; j < k; ++j) out[j] += w * vals[j];
      }
    }
  }
}

// Non-finite inputs (a diverging solver iterate) give non-finite outputs, which solvers treat as
// failure; a negative variance is a bug.
bool usable_covariance(double k11, double k12, double k22) {
  if (!std::isfinite(k11) || !std::isfinite(k22) || !std::isfinite(k12)) return false;
  if (k11 < 0 || k22 < 0)
    throw InternalError("dual kernel: negative variance (" + format_number(k11) + ", " +
                        format_number(k12) + ", " + format_number(k22) + ")");
  return true;
}
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
}  // namespace

// Slopes (a, b) of the relu family as a x + (b - a) relu(x).
bool relu_slopes(const Activation& act, double& a, double& b) {
  switch (act.kind) {
    case ActivationKind::kRelu:
      a = 0, b = 1;
      return true;
    case ActivationKind::kLeakyRelu:
      a = act.a, b = 1;
      return true;
    case ActivationKind::kAbRelu:
      a = act.a, b = act.b;
      return true;
    case ActivationKind::kAbs:
      a = -1, b = 1;
      return true;
    default:
      return false;
  }
}

std::string to_string(ActivationKind k) {
  for (const auto& e : kNames)
    if (e.kind == k) return e.name;
  return "relu";
}

std::vector<std::string> activation_names() {
  std::vector<std::string> out;
  for (const auto& e : kNames) out.push_back(e.name);
  return out;
}

ActivationKind activation_from_string(const std::string& name, const std::string& where) {
  for (const auto& e : kNames)
    if (name == e.name) return e.kind;
  const auto names = activation_names();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError("activation.unknown", where,
                   "unknown activation '" + name + "'" + did_you_mean(name, names) +
                       "; expected one of " + list);
}

Activation Activation::make(ActivationKind kind) {
  Activation act;
  act.kind = kind;
  if (kind == ActivationKind::kLeakyRelu) act.a = 0.01;
  if (kind == ActivationKind::kElu) act.a = 1.0;
  if (kind == ActivationKind::kAbRelu) act.a = 0.0, act.b = 1.0;
  return act;
}

std::string Activation::name() const {
  const std::string base = to_string(kind);
  if (kind == ActivationKind::kLeakyRelu || kind == ActivationKind::kElu)
    return base + "(alpha=" + format_number(a) + ")";
  if (kind == ActivationKind::kAbRelu)
    return base + "(a=" + format_number(a) + ",b=" + format_number(b) + ")";
  return base;
}

double Activation::value(double x) const {
  switch (kind) {
    case ActivationKind::kIdentity:
      return x;
    case ActivationKind::kRelu:
      return x > 0 ? x : 0.0;
    case ActivationKind::kLeakyRelu:
      return x > 0 ? x : a * x;
    case ActivationKind::kAbRelu:
      return x > 0 ? b * x : a * x;
    case ActivationKind::kAbs:
      return std::fabs(x);
    case ActivationKind::kErf:
      return std::erf(x);
    case ActivationKind::kSign:
      return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
    case ActivationKind::kTanh:
      return std::tanh(x);
    case ActivationKind::kSigmoid:
      return sigmoid(x);
    case ActivationKind::kSoftplus:
      return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case ActivationKind::kGelu:
      return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
    case ActivationKind::kSwish:
      return x * sigmoid(x);
    case ActivationKind::kElu:
      return x > 0 ? x : a * std::expm1(x);
    case ActivationKind::kSin:
      return std::sin(x);
    case ActivationKind::kCos:
      return std::cos(x);
  }
  return 0.0;
}

double Activation::derivative(double x) const {
  switch (kind) {
    case ActivationKind::kIdentity:
      return 1.0;
    case ActivationKind::kRelu:
      return x > 0 ? 1.0 : 0.0;
    case ActivationKind::kLeakyRelu:
      return x > 0 ? 1.0 : a;
    case ActivationKind::kAbRelu:
      return x > 0 ? b : a;
    case ActivationKind::kAbs:
      return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
    case ActivationKind::kErf:
      return 2.0 / std::sqrt(kPi) * std::exp(-x * x);
    case ActivationKind::kSign:
      return 0.0;
    case ActivationKind::kTanh: {
      const double t = std::tanh(x);
      return 1.0 - t * t;
    }
    case ActivationKind::kSigmoid: {
      const double s = sigmoid(x);
      return s * (1.0 - s);
    }
    case ActivationKind::kSoftplus:
      return sigmoid(x);
    case ActivationKind::kGelu:
      return 0.5 * std::erfc(-x / std::sqrt(2.0)) + x * kInvSqrt2Pi * std::exp(-0.5 * x * x);
    case ActivationKind::kSwish: {
      const double s = sigmoid(x);
      return s + x * s * (1.0 - s);
    }
    case ActivationKind::kElu:
      return x > 0 ? 1.0 : a * std::exp(x);
    case ActivationKind::kSin:
      return std::cos(x);
    case ActivationKind::kCos:
      return -std::sin(x);
  }
  return 0.0;
}

bool Activation::has_closed_form() const {
  double aa, bb;
  return relu_slopes(*this, aa, bb) || kind == ActivationKind::kErf ||
         kind == ActivationKind::kIdentity || kind == ActivationKind::kSign;
}

bool Activation::ntk_defined() const {
  return kind != ActivationKind::kSign;
}

bool Activation::homogeneous() const {
  double aa, bb;
  return relu_slopes(*this, aa, bb) || kind == ActivationKind::kIdentity;
}

std::vector<double> Activation::kinks() const {
  double aa, bb;
  if (relu_slopes(*this, aa, bb) || kind == ActivationKind::kSign || kind == ActivationKind::kElu)
    return {0.0};
  return {};
}

DualValues dual_closed_form(const Activation& act, double k11, double k12, double k22) {
  if (!usable_covariance(k11, k12, k22)) return {kNan, kNan};
  double a = 0, b = 0;
  const double s = std::sqrt(k11 * k22);
  if (relu_slopes(act, a, b)) {
    if (s == 0.0) return {a * b * k12, a * b + (b - a) * (b - a) * 0.5};
    const double c = std::clamp(k12 / s, -1.0, 1.0);
    const double theta = angle(c);
    // sin(theta) = sqrt((1 - c)(1 + c)) keeps its relative accuracy near c = +-1.
    const double sin_t = std::sqrt((1.0 - c) * (1.0 + c));
    const double d2 = (b - a) * (b - a);
    return {a * b * c * s + d2 * s * (sin_t + (kPi - theta) * c) / (2.0 * kPi),
            a * b + d2 * (kPi - theta) / (2.0 * kPi)};
  }
  switch (act.kind) {
    case ActivationKind::kIdentity:
      return {k12, 1.0};
    case ActivationKind::kErf: {
      const double p = (1.0 + 2.0 * k11) * (1.0 + 2.0 * k22);
      const double arg = std::clamp(2.0 * k12 / std::sqrt(p), -1.0, 1.0);
      const double det = std::max(p - 4.0 * k12 * k12, 0.0);
      return {2.0 / kPi * std::asin(arg), 4.0 / kPi / std::sqrt(det)};
    }
    case ActivationKind::kSign: {
      if (s == 0.0) return {0.0, kInf};
      const double c = std::clamp(k12 / s, -1.0, 1.0);
      return {2.0 / kPi * std::asin(c), kInf};
    }
    default:
      break;
  }
  throw InternalError("dual_closed_form: no closed form for " + act.name());
}

DualValues dual_diag_closed_form(const Activation& act, double k) {
  if (!usable_covariance(k, k, k)) return {kNan, kNan};
  double a = 0, b = 0;
  if (relu_slopes(act, a, b)) return {0.5 * (a * a + b * b) * k, 0.5 * (a * a + b * b)};
  switch (act.kind) {
    case ActivationKind::kIdentity:
      return {k, 1.0};
    case ActivationKind::kErf:
      return {2.0 / kPi * std::asin(2.0 * k / (1.0 + 2.0 * k)),
              4.0 / kPi / std::sqrt(1.0 + 4.0 * k)};
    case ActivationKind::kSign:
      return {k > 0 ? 1.0 : 0.0, kInf};
    default:
      break;
  }
  throw InternalError("dual_diag_closed_form: no closed form for " + act.name());
}

DualValues dual_quadrature(const Activation& act, double k11, double k12, double k22) {
  if (!usable_covariance(k11, k12, k22)) return {kNan, kNan};
  const double s = std::sqrt(k11 * k22);
  if (s == 0.0 || std::fabs(k12) >= s) {
    // Degenerate: v = +-sqrt(K22/K11) u (or one of them is 0); a one-dimensional integral.
    const double su = std::sqrt(k11), sv = std::sqrt(k22);
    const double sign = k12 < 0 ? -1.0 : 1.0;
    std::vector<double> br;
    for (double kk : act.kinks()) {
      if (su > 0) br.push_back(kk / su);
      if (sv > 0) br.push_back(sign * kk / sv);
    }
    double out[2];
    gauss_panels(br, 2, out, [&](double z, double* v) {
      const double u = su * z, w = sign * sv * z;
      v[0] = act.value(u) * act.value(w);
      v[1] = act.derivative(u) * act.derivative(w);
    });
    return {out[0], out[1]};
  }
  const double c = k12 / s, r = std::sqrt((1.0 - c) * (1.0 + c));
  const double su = std::sqrt(k11), sv = std::sqrt(k22);
  const std::vector<double> kinks = act.kinks();
  std::vector<double> outer_breaks;
  for (double kk : kinks) {
    outer_breaks.push_back(kk / su);
    // Near |c| = 1 the inner integral is a kink smoothed over a width r / |c| in z1, around the z1
    // where v's kink crosses the middle of the inner Gaussian: grade the outer mesh there.
    const double width = std::fabs(c) > 0 ? r / std::fabs(c) : kInf;
    if (width < 0.5) {
      const double centre = kk / (sv * c);
      outer_breaks.push_back(centre);
      for (double m = 0.5; m * width < 1.0; m *= 2) {
        outer_breaks.push_back(centre - m * width);
        outer_breaks.push_back(centre + m * width);
      }
    }
  }
  double out[2];
  gauss_panels(outer_breaks, 2, out, [&](double z1, double* v) {
    const double u = su * z1;
    std::vector<double> inner_breaks;
    for (double kk : kinks) inner_breaks.push_back((kk / sv - c * z1) / r);
    double in[2];
    gauss_panels(inner_breaks, 2, in, [&](double z2, double* w) {
      const double vv = sv * (c * z1 + r * z2);
      w[0] = act.value(vv);
      w[1] = act.derivative(vv);
    });
    v[0] = act.value(u) * in[0];
    v[1] = act.derivative(u) * in[1];
  });
  return {out[0], out[1]};
}

DualValues dual_diag_quadrature(const Activation& act, double k) {
  if (!usable_covariance(k, k, k)) return {kNan, kNan};
  const double su = std::sqrt(k);
  std::vector<double> br;
  if (su > 0)
    for (double kk : act.kinks()) br.push_back(kk / su);
  double out[2];
  gauss_panels(br, 2, out, [&](double z, double* v) {
    const double p = act.value(su * z), d = act.derivative(su * z);
    v[0] = p * p;
    v[1] = d * d;
  });
  return {out[0], out[1]};
}

double dual_diag_slope(const Activation& act, double k) {
  if (!usable_covariance(k, k, k)) return kNan;
  if (act.kind == ActivationKind::kSign) return 0.0;  // E sign^2 = 1 for every k > 0
  const double su = std::sqrt(k);
  if (su == 0.0) {
    const double d = act.derivative(0.0);
    return d * d;  // E[phi phi' z]/sqrt(k) -> phi'(0)^2 as k -> 0 for phi(0) = 0
  }
  std::vector<double> br;
  for (double kk : act.kinks()) br.push_back(kk / su);
  double out[1];
  gauss_panels(br, 1, out,
               [&](double z, double* v) { v[0] = act.value(su * z) * act.derivative(su * z) * z; });
  return out[0] / su;
}

DualValues dual_elu(const Activation& act, double k11, double k12, double k22) {
  if (!usable_covariance(k11, k12, k22)) return {kNan, kNan};
  const double s = std::sqrt(k11 * k22);
  const double c = s > 0 ? std::clamp(k12 / s, -1.0, 1.0) : 0.0;
  const double r = std::sqrt((1.0 - c) * (1.0 + c));
  const double su = std::sqrt(k11), sv = std::sqrt(k22);
  const double alpha = act.a;
  // Inner expectations over z2 of elu(m + t z2) and elu'(m + t z2), m = sv c z1, t = sv r:
  //   E elu  = m Phi(m/t) + t phi(m/t) + alpha (e^(m + t^2/2) Phi(-m/t - t) - Phi(-m/t))
  //   E elu' = Phi(m/t) + alpha e^(m + t^2/2) Phi(-m/t - t)
  // (t = 0: the values at m). The outer integral over z1 is the piecewise rule.
  const double t = sv * r;
  auto Phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  std::vector<double> breaks = {0.0};
  const double width = std::fabs(c) > 0 ? r / std::fabs(c) : kInf;
  if (width < 0.5)
    for (double m = 0.5; m * width < 1.0; m *= 2) {
      breaks.push_back(-m * width);
      breaks.push_back(m * width);
    }
  double out[2];
  gauss_panels(breaks, 2, out, [&](double z1, double* v) {
    const double m = sv * c * z1;
    double e, ed;
    if (t > 0) {
      const double a = m / t;
      const double tail = alpha * std::exp(m + 0.5 * t * t) * Phi(-a - t);
      e = m * Phi(a) + t * kInvSqrt2Pi * std::exp(-0.5 * a * a) + tail - alpha * Phi(-a);
      ed = Phi(a) + tail;
    } else {
      e = act.value(m);
      ed = act.derivative(m);
    }
    const double u = su * z1;
    v[0] = act.value(u) * e;
    v[1] = act.derivative(u) * ed;
  });
  return {out[0], out[1]};
}

DualValues dual(const Activation& act, double k11, double k12, double k22) {
  if (act.has_closed_form()) return dual_closed_form(act, k11, k12, k22);
  if (act.kind == ActivationKind::kElu) return dual_elu(act, k11, k12, k22);
  return dual_quadrature(act, k11, k12, k22);
}

DualValues dual_diag(const Activation& act, double k) {
  return act.has_closed_form() ? dual_diag_closed_form(act, k) : dual_diag_quadrature(act, k);
}

DualValues dual_gauss_hermite(const Activation& act, double k11, double k12, double k22, int n) {
  const GaussHermiteRule& rule = gauss_hermite_rule(n);
  const double s = std::sqrt(k11 * k22);
  const double c = s > 0 ? std::clamp(k12 / s, -1.0, 1.0) : 0.0;
  const double r = std::sqrt((1.0 - c) * (1.0 + c));
  const double su = std::sqrt(k11), sv = std::sqrt(k22);
  DualValues out;
  for (int i = 0; i < n; ++i) {
    const double z1 = rule.nodes[static_cast<std::size_t>(i)];
    double t = 0, td = 0;
    for (int j = 0; j < n; ++j) {
      const double v = sv * (c * z1 + r * rule.nodes[static_cast<std::size_t>(j)]);
      const double w = rule.weights[static_cast<std::size_t>(j)];
      t += w * act.value(v);
      td += w * act.derivative(v);
    }
    const double wi = rule.weights[static_cast<std::size_t>(i)];
    out.t += wi * act.value(su * z1) * t;
    out.tdot += wi * act.derivative(su * z1) * td;
  }
  return out;
}

}  // namespace saddle
