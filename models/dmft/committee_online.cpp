// Online SGD of a soft committee machine student (K units) learning a teacher (M units): the
// order-parameter ODEs of Saad and Solla (Phys. Rev. Lett. 74, 4337 (1995); Phys. Rev. E 52, 4225
// (1995)), in the notation of Goldt, Advani, Saxe, Krzakala, Zdeborova (NeurIPS 2019, eqs.
// (5)-(7)).
//
// Input xi ~ N(0, I_N); student y = sum_i g(lambda_i), lambda_i = w_i.xi/sqrt(N); teacher
// y* = sum_n g(rho_n) + sqrt(noise) zeta, rho_n = w*_n.xi/sqrt(N); SGD on (y - y*)^2 / 2 with
// w_i += (eta/sqrt N) delta_i xi, delta_i = g'(lambda_i) (y* - y). With Q_ik = w_i.w_k/N,
// R_in = w_i.w*_n/N, T_nm = w*_n.w*_m/N and alpha = steps/N, as N -> infinity
//   dR_in/dalpha = eta E[delta_i rho_n]
//   dQ_ik/dalpha = eta E[delta_i lambda_k + delta_k lambda_i] + eta^2 E[delta_i delta_k]
//   eps_g = E[(y - y*_clean)^2] / 2
// with the expectations over (lambda, rho) ~ N(0, [[Q, R], [R^T, T]]). For g(x) = erf(x/sqrt 2)
// they are closed forms (Saad and Solla 1995, PRE appendix; u_a with covariance C):
//   I2(a,b)     = E g(u_a) g(u_b)         = (2/pi) asin(C_ab / sqrt((1 + C_aa)(1 + C_bb)))
//   I3(a,b,c)   = E g'(u_a) u_b g(u_c)     = (2/pi) (C_bc (1 + C_aa) - C_ab C_ac) / ((1 + C_aa)
//   sqrt(L3)) I4(a,b,c,d) = E g'(u_a) g'(u_b) g(u_c) g(u_d) = 4/(pi^2 sqrt(L4)) asin(L0 / sqrt(L1
//   L2)) J2(a,b)     = E g'(u_a) g'(u_b)       = (2/pi) / sqrt((1 + C_aa)(1 + C_bb) - C_ab^2)
// (L3, L4, L0, L1, L2 in the code). activation "linear" (g(x) = x) gives I2 = C_ab, I3 = C_bc,
// I4 = C_cd, J2 = 1.
//
// Known limits used by tests/dmft/committee_online_test.cpp (data/reference/committee_online.json):
//   K = M = 1, linear: eps_g(alpha) = eps_inf + (eps_0 - eps_inf) exp(-eta (2 - eta) alpha),
//   eps_inf = eta noise / (2 (2 - eta)) (closed form of the 2-d linear system); the erf integrals
//   against Monte Carlo; K = M = 2 erf from a nearly symmetric start: the symmetric plateau, at the
//   height of the fixed point of the ODEs restricted to the invariant symmetric subspace; online
//   SGD at finite N (apps/sim/) within error bars.
// Plateau detection (analyse()): the longest run of observed times where the relative rate
// |d eps_g/d alpha| / eps_g is below plateau_rate and after which eps_g later falls below half its
// value at the start of the run (so that the final approach to a noisy asymptote is not a plateau).
// Its start and end are resolved to the output grid.
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "saddle/error.hpp"
#include "saddle/ode.hpp"

namespace saddle {

namespace committee {

constexpr double kPi = 3.14159265358979323846;

// Expectations of the ODEs for one activation, over Gaussian fields with covariance C.
struct Integrals {
  const Eigen::MatrixXd& C;
  bool erf;
  double c(int a, int b) const { return C(a, b); }
  double I2(int a, int b) const {
    if (!erf) return c(a, b);
    return 2.0 / kPi * std::asin(c(a, b) / std::sqrt((1 + c(a, a)) * (1 + c(b, b))));
  }
  double I3(int a, int b, int cc) const {
    if (!erf) return c(b, cc);
    const double l3 = (1 + c(a, a)) * (1 + c(cc, cc)) - c(a, cc) * c(a, cc);
    return 2.0 / kPi / std::sqrt(l3) * (c(b, cc) * (1 + c(a, a)) - c(a, b) * c(a, cc)) /
           (1 + c(a, a));
  }
  double I4(int a, int b, int cc, int d) const {
    if (!erf) return c(cc, d);
    const double l4 = (1 + c(a, a)) * (1 + c(b, b)) - c(a, b) * c(a, b);
    const double l0 = l4 * c(cc, d) - c(b, cc) * c(b, d) * (1 + c(a, a)) -
                      c(a, cc) * c(a, d) * (1 + c(b, b)) + c(a, b) * c(a, cc) * c(b, d) +
                      c(a, b) * c(a, d) * c(b, cc);
    const double l1 = l4 * (1 + c(cc, cc)) - c(b, cc) * c(b, cc) * (1 + c(a, a)) -
                      c(a, cc) * c(a, cc) * (1 + c(b, b)) + 2 * c(a, b) * c(a, cc) * c(b, cc);
    const double l2 = l4 * (1 + c(d, d)) - c(b, d) * c(b, d) * (1 + c(a, a)) -
                      c(a, d) * c(a, d) * (1 + c(b, b)) + 2 * c(a, b) * c(a, d) * c(b, d);
    return 4.0 / (kPi * kPi * std::sqrt(l4)) * std::asin(l0 / std::sqrt(l1 * l2));
  }
  double J2(int a, int b) const {
    if (!erf) return 1.0;
    return 2.0 / kPi / std::sqrt((1 + c(a, a)) * (1 + c(b, b)) - c(a, b) * c(a, b));
  }
};

}  // namespace committee

namespace {

constexpr int kK = 0, kM = 1, kEta = 2, kNoise = 3, kTDiag = 4, kTOff = 5, kInitQ = 6, kInitR = 7,
              kSeed = 8, kPlateauRate = 9;

int units(const Point& p, int i) {
  return static_cast<int>(p[i]);
}

Eigen::MatrixXd teacher(const Point& p) {
  const int M = units(p, kM);
  Eigen::MatrixXd T = Eigen::MatrixXd::Constant(M, M, p[kTOff]);
  T.diagonal().setConstant(p[kTDiag]);
  return T;
}

// Uniform [0, 1) from the top 53 bits: the same numbers on every platform
// (std::uniform_real_distribution is not specified exactly).
double unit_uniform(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

class CommitteeOnlineModel final : public OdeModel {
 public:
  std::string id() const override { return "committee_online"; }
  std::string title() const override {
    return "Online SGD of a soft committee machine (Saad-Solla order-parameter ODEs)";
  }
  std::vector<Reference> references() const override {
    return {
        {"D. Saad and S. A. Solla, Phys. Rev. Lett. 74, 4337 (1995); Phys. Rev. E 52, 4225 (1995)",
         "ODEs for Q and R, erf integrals I2, I3, I4, the symmetric plateau"},
        {"M. Biehl and H. Schwarze, J. Phys. A 28, 643 (1995)",
         "online learning in committee machines"},
        {"S. Goldt, M. Advani, A. Saxe, F. Krzakala, L. Zdeborova, NeurIPS 2019 (arXiv:1906.08632)",
         "notation; output noise term eta^2 noise J2"}};
  }
  std::vector<ParameterInfo> parameters() const override {
    return {
        {"K", 2, 1, 50, false, false, "student hidden units (an integer)"},
        {"M", 2, 1, 50, false, false, "teacher hidden units (an integer)"},
        {"eta", 0.5, 0, kInf, true, false, "learning rate (SGD step eta/sqrt(N) on the weights)"},
        {"noise", 0, 0, kInf, false, false, "variance of the teacher's output noise"},
        {"T_diag", 1, 0, kInf, true, false, "teacher norms T_nn"},
        {"T_offdiag", 0, -kInf, kInf, false, false, "teacher overlaps T_nm, n != m"},
        {"init_Q", 0.5, 0, kInf, true, false, "initial student norms Q_ii (Q_ik = 0 for i != k)"},
        {"init_R", 1e-3, 0, kInf, false, false,
         "initial R_in = init_R u_in, u_in uniform in [0, 1) from seed"},
        {"seed", 1, 0, 4294967295.0, false, false, "seed of the initial R (an integer)"},
        {"plateau_rate", 1e-3, 0, kInf, true, false,
         "plateau detection: relative rate |d eps_g/d alpha| / eps_g below this"}};
  }
  std::vector<OptionInfo> options() const override {
    return {{"activation", {"erf", "linear"}, "erf", "g(x) = erf(x/sqrt 2), or linear g(x) = x"}};
  }
  std::string time_name() const override { return "alpha"; }

  std::vector<std::string> state_names(const Point& p) const override {
    const int K = units(p, kK), M = units(p, kM);
    const std::string sep =
        K > 9 || M > 9 ? "_" : "";  // Q_12 for small K, M; Q_1_12 beyond 9 units
    std::vector<std::string> out;
    for (int i = 0; i < K; ++i)
      for (int k = i; k < K; ++k)
        out.push_back("Q_" + std::to_string(i + 1) + sep + std::to_string(k + 1));
    for (int i = 0; i < K; ++i)
      for (int n = 0; n < M; ++n)
        out.push_back("R_" + std::to_string(i + 1) + sep + std::to_string(n + 1));
    return out;
  }
  std::vector<ObservableInfo> observables(const Point&) const override {
    return {{"eps_g", "generalisation error E (y - y*_clean)^2 / 2"}};
  }

  void validate(const Point& p) const override {
    for (int i : {kK, kM, kSeed})
      if (p[i] != std::floor(p[i])) {
        const std::string name = parameters()[static_cast<std::size_t>(i)].name;
        throw InputError(
            "param.out_of_range", "/params/" + name,
            name + " = " + format_number(p[i]) + " is not an integer; expected a whole number");
      }
    if (units(p, kM) > 1 && !(p[kTDiag] - p[kTOff] > 0 && p[kTDiag] + (p[kM] - 1) * p[kTOff] > 0))
      throw InputError(
          "param.out_of_range", "/params/T_offdiag",
          "T_offdiag = " + format_number(p[kTOff]) +
              " makes the teacher overlap matrix not positive definite; expected -T_diag/(M - 1) < "
              "T_offdiag < T_diag");
    // The initial overlaps must belong to actual weight vectors: Q - R T^-1 R^T positive definite.
    const Eigen::MatrixXd T = teacher(p);
    const Eigen::VectorXd x0 = initial_state(p);
    const Eigen::MatrixXd Q = q_matrix(x0, p), R = r_matrix(x0, p);
    const Eigen::MatrixXd S = Q - R * T.ldlt().solve(R.transpose());
    if (Eigen::LLT<Eigen::MatrixXd>(S).info() != Eigen::Success || S.diagonal().minCoeff() <= 0)
      throw InputError(
          "param.out_of_range", "/params/init_R",
          "init_R = " + format_number(p[kInitR]) +
              " is too large for init_Q = " + format_number(p[kInitQ]) +
              ": the initial overlaps belong to no weight vectors; expected init_R^2 M well below "
              "init_Q T_diag");
  }

  Eigen::VectorXd initial_state(const Point& p) const override {
    const int K = units(p, kK), M = units(p, kM);
    Eigen::VectorXd x(K * (K + 1) / 2 + K * M);
    int s = 0;
    for (int i = 0; i < K; ++i)
      for (int k = i; k < K; ++k) x[s++] = i == k ? p[kInitQ] : 0.0;
    std::mt19937_64 rng(static_cast<std::uint64_t>(p[kSeed]));
    for (int i = 0; i < K * M; ++i) x[s++] = p[kInitR] * unit_uniform(rng);
    return x;
  }

  static Eigen::MatrixXd q_matrix(const Eigen::VectorXd& x, const Point& p) {
    const int K = units(p, kK);
    Eigen::MatrixXd Q(K, K);
    int s = 0;
    for (int i = 0; i < K; ++i)
      for (int k = i; k < K; ++k) Q(i, k) = Q(k, i) = x[s++];
    return Q;
  }
  static Eigen::MatrixXd r_matrix(const Eigen::VectorXd& x, const Point& p) {
    const int K = units(p, kK), M = units(p, kM);
    Eigen::MatrixXd R(K, M);
    int s = K * (K + 1) / 2;
    for (int i = 0; i < K; ++i)
      for (int n = 0; n < M; ++n) R(i, n) = x[s++];
    return R;
  }
  static Eigen::MatrixXd covariance(const Eigen::VectorXd& x, const Point& p) {
    const int K = units(p, kK), M = units(p, kM);
    Eigen::MatrixXd C(K + M, K + M);
    C.topLeftCorner(K, K) = q_matrix(x, p);
    C.topRightCorner(K, M) = r_matrix(x, p);
    C.bottomLeftCorner(M, K) = C.topRightCorner(K, M).transpose();
    C.bottomRightCorner(M, M) = teacher(p);
    return C;
  }

  void rhs(const Eigen::VectorXd& x, Eigen::VectorXd& dxdt, double, const Point& p) const override {
    const int K = units(p, kK), M = units(p, kM);
    const double eta = p[kEta], noise = p[kNoise];
    const Eigen::MatrixXd C = covariance(x, p);
    const committee::Integrals I{C, p.options[0] == "erf"};
    // E[delta_i u_b] = sum_m I3(i, b, K+m) - sum_j I3(i, b, j)
    auto drift = [&](int i, int b) {
      double s = 0;
      for (int m = 0; m < M; ++m) s += I.I3(i, b, K + m);
      for (int j = 0; j < K; ++j) s -= I.I3(i, b, j);
      return s;
    };
    dxdt.resize(x.size());
    int s = 0;
    for (int i = 0; i < K; ++i)
      for (int k = i; k < K; ++k) {
        double dd = noise * I.J2(i, k);
        for (int n = 0; n < M; ++n)
          for (int m = 0; m < M; ++m) dd += I.I4(i, k, K + n, K + m);
        for (int j = 0; j < K; ++j)
          for (int n = 0; n < M; ++n) dd -= 2 * I.I4(i, k, j, K + n);
        for (int j = 0; j < K; ++j)
          for (int l = 0; l < K; ++l) dd += I.I4(i, k, j, l);
        dxdt[s++] = eta * (drift(i, k) + drift(k, i)) + eta * eta * dd;
      }
    for (int i = 0; i < K; ++i)
      for (int n = 0; n < M; ++n) dxdt[s++] = eta * drift(i, K + n);
  }

  static double eps_g(const Eigen::VectorXd& x, const Point& p) {
    const int K = units(p, kK), M = units(p, kM);
    const Eigen::MatrixXd C = covariance(x, p);
    const committee::Integrals I{C, p.options[0] == "erf"};
    double e = 0;
    for (int a = 0; a < K + M; ++a)
      for (int b = 0; b < K + M; ++b) e += ((a < K) == (b < K) ? 1.0 : -1.0) * I.I2(a, b);
    return 0.5 * e;
  }

  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, double,
                                    const Point& p) const override {
    return Eigen::VectorXd::Constant(1, eps_g(x, p));
  }

  // eps_g is a difference of O(1) arcsin terms and the state carries the integrator's absolute
  // error (abs_tol 1e-12 by default): below 1e-10 its digits are rounding (it can even turn
  // negative).
  std::string row_status(const Eigen::VectorXd& x, double, const Point& p) const override {
    return eps_g(x, p) < 1e-10 ? "below_precision" : "ok";
  }

  std::vector<TrajectoryResult> analyse(const std::vector<double>& times,
                                        const std::vector<Eigen::VectorXd>& states,
                                        const Point& p) const override {
    const std::size_t n = times.size();
    std::vector<double> eps(n), rate(n);
    Eigen::VectorXd f;
    for (std::size_t i = 0; i < n; ++i) {
      eps[i] = eps_g(states[i], p);
      // d eps/d alpha along the flow, by a central difference in the direction of the rhs
      rhs(states[i], f, times[i], p);
      const double h = 1e-6 / std::max(1e-12, f.cwiseAbs().maxCoeff());
      const double d = (eps_g(states[i] + h * f, p) - eps_g(states[i] - h * f, p)) / (2 * h);
      rate[i] = std::fabs(d) / std::max(eps[i], 1e-300);
    }
    std::size_t best_start = 0, best_end = 0;
    bool found = false;
    for (std::size_t i = 1; i < n;) {
      if (!(rate[i] < p[kPlateauRate])) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j + 1 < n && rate[j + 1] < p[kPlateauRate]) ++j;
      double later_min = eps[j];
      for (std::size_t k = j; k < n; ++k) later_min = std::min(later_min, eps[k]);
      if (later_min < 0.5 * eps[i] &&
          (!found || times[j] - times[i] > times[best_end] - times[best_start])) {
        best_start = i;
        best_end = j;
        found = true;
      }
      i = j + 1;
    }
    if (!found) {
      std::string why = "no plateau: no run of relative rate below plateau_rate = " +
                        format_number(p[kPlateauRate]) + " followed by a drop of eps_g by half";
      // a flat stretch that lasts to the end may be a plateau not yet left: say so
      std::size_t k = n - 1;
      while (k > 0 && rate[k] < p[kPlateauRate]) --k;
      if (k + 1 < n - 1)
        why += "; eps_g is flat from alpha = " + format_number(times[k + 1]) +
               " to the end (a plateau not yet left, or the asymptote): extend task.to to tell";
      return {{"plateau_height", 0, false, why},
              {"plateau_start", 0, false, why},
              {"plateau_end", 0, false, why},
              {"plateau_length", 0, false, why},
              {"final_eps_g", eps[n - 1], true, "eps_g at the last observed alpha"}};
    }
    std::size_t flattest = best_start;
    for (std::size_t k = best_start; k <= best_end; ++k)
      if (rate[k] < rate[flattest]) flattest = k;
    return {{"plateau_height", eps[flattest], true,
             "eps_g where its relative rate is smallest on the plateau"},
            {"plateau_start", times[best_start], true, "first observed alpha on the plateau"},
            {"plateau_end", times[best_end], true, "last observed alpha on the plateau"},
            {"plateau_length", times[best_end] - times[best_start], true,
             "plateau_end - plateau_start"},
            {"final_eps_g", eps[n - 1], true, "eps_g at the last observed alpha"}};
  }
};

}  // namespace

std::unique_ptr<OdeModel> make_committee_online_model() {
  return std::make_unique<CommitteeOnlineModel>();
}

}  // namespace saddle
