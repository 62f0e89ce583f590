#include "simulate.hpp"
#include "simulate_cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <thread>

#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/spec.hpp"

namespace saddle {

namespace fs = std::filesystem;

namespace {

// splitmix64: seeds and a small, fast, well-mixed generator (Steele, Lea, Flood 2014). Our own,
// so a seed gives the same numbers on every standard library.
struct Rng {
  std::uint64_t state;
  explicit Rng(std::uint64_t s) : state(s) {}
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::size_t below(std::size_t n) {
    return static_cast<std::size_t>(uniform() * static_cast<double>(n));
  }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
};

// An independent stream per (seed, point, sample, stream).
Rng stream(std::uint64_t seed, std::size_t point, std::size_t sample, std::uint64_t which) {
  Rng mix(seed);
  std::uint64_t s = mix.next();
  for (std::uint64_t v :
       {static_cast<std::uint64_t>(point), static_cast<std::uint64_t>(sample), which}) {
    Rng m2(s ^ (v * 0xd1342543de82ef95ULL + 0x632be59bd9b4e019ULL));
    s = m2.next();
  }
  return Rng(s);
}

void shuffle(std::vector<int>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

// Runs f(task) for task in [0, count) on `jobs` threads.
void parallel_for(std::size_t count, int jobs, const std::function<void(std::size_t)>& f) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next++; i < count; i = next++) f(i);
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

std::pair<double, double> mean_err(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m += x;
  m /= static_cast<double>(v.size());
  double s2 = 0;
  for (double x : v) s2 += (x - m) * (x - m);
  s2 /= static_cast<double>(v.size() - 1);
  return {m, std::sqrt(s2 / static_cast<double>(v.size()))};
}

std::vector<double> parse_values(const std::string& text, const std::string& flag) {
  std::vector<double> v;
  double from = 0, to = 0;
  int num = 0;
  char tail = 0;
  if (text.find(':') != std::string::npos) {
    if (std::sscanf(text.c_str(), "%lf:%lf:%d%c", &from, &to, &num, &tail) != 3 ||
        !std::isfinite(from) || !std::isfinite(to) || num < 1 || (num == 1 && from != to))
      throw InputError("simulate.bad_values", flag + " '" + text + "'",
                       "expected FROM:TO:NUM with NUM >= 2 (or a list a,b,c), e.g. 0.02:0.16:15");
    for (int i = 0; i < num; ++i) {
      // 12 significant digits, so 0.3 + 0.2 * 3 is written as 0.9 (the value that is simulated)
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.12g",
                    i == num - 1 ? to : from + (to - from) * i / std::max(1, num - 1));
      v.push_back(std::strtod(buf, nullptr));
    }
    return v;
  }
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    const double x = std::strtod(item.c_str(), &end);
    if (item.empty() || end != item.c_str() + item.size() || !std::isfinite(x))
      throw InputError(
          "simulate.bad_values", flag + " '" + text + "'",
          "'" + item + "' is not a finite number; expected a list a,b,c or FROM:TO:NUM");
    v.push_back(x);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Hopfield. Fields from the pattern overlaps M_mu = sum_j xi_j^mu s_j (integers):
// h_i = (1/N) [sum_mu xi_i^mu M_mu - p s_i] (the second term removes J_ii = p/N), so a spin costs
// O(p) and a sweep O(N p) = O(alpha N^2) without storing the N x N couplings.

struct HopfieldSample {
  double m = 0, q = 0, sweeps = 0;
  bool fixed_point = true;
};

HopfieldSample hopfield_sample(int n, int p, double t, int sweeps, int equilibration, Rng pat_rng,
                               Rng rng_a, Rng rng_b) {
  std::vector<signed char> xi(static_cast<std::size_t>(n) * p);  // [i][mu]
  for (auto& v : xi) v = (pat_rng.next() >> 63) ? 1 : -1;
  struct Replica {
    std::vector<int> s, M;
    Rng rng;
  };
  auto make = [&](Rng r) {
    Replica R{std::vector<int>(n), std::vector<int>(p, 0), r};
    for (int i = 0; i < n; ++i) R.s[i] = xi[static_cast<std::size_t>(i) * p];
    for (int i = 0; i < n; ++i)
      for (int mu = 0; mu < p; ++mu) R.M[mu] += xi[static_cast<std::size_t>(i) * p + mu] * R.s[i];
    return R;
  };
  Replica a = make(rng_a), b = make(rng_b);
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  auto field_times_n = [&](const Replica& R, int i) {
    const signed char* x = &xi[static_cast<std::size_t>(i) * p];
    long h = 0;
    for (int mu = 0; mu < p; ++mu) h += x[mu] * R.M[mu];
    return h - static_cast<long>(p) * R.s[i];
  };
  auto flip = [&](Replica& R, int i) {
    R.s[i] = -R.s[i];
    const signed char* x = &xi[static_cast<std::size_t>(i) * p];
    for (int mu = 0; mu < p; ++mu) R.M[mu] += 2 * x[mu] * R.s[i];
  };
  // one sweep in random sequential order; returns the number of flips
  auto sweep = [&](Replica& R) {
    shuffle(order, R.rng);
    int flips = 0;
    for (int i : order) {
      const long hn = field_times_n(R, i);
      int target = R.s[i];
      if (t == 0) {
        if (hn != 0) target = hn > 0 ? 1 : -1;
      } else {  // heat bath: P(s = +1) = 1 / (1 + exp(-2 beta h))
        const double h = static_cast<double>(hn) / n;
        target = R.rng.uniform() < 1.0 / (1.0 + std::exp(-2.0 * h / t)) ? 1 : -1;
      }
      if (target != R.s[i]) {
        flip(R, i);
        ++flips;
      }
    }
    return flips;
  };
  auto overlap = [&](const Replica& R) { return static_cast<double>(R.M[0]) / n; };
  auto q_ab = [&] {
    long s = 0;
    for (int i = 0; i < n; ++i) s += a.s[i] * b.s[i];
    return static_cast<double>(s) / n;
  };
  HopfieldSample out;
  if (t == 0) {
    int used_a = sweeps, used_b = sweeps;
    bool fa = false, fb = false;
    for (int k = 0; k < sweeps && !fa; ++k)
      if (sweep(a) == 0) fa = true, used_a = k + 1;
    for (int k = 0; k < sweeps && !fb; ++k)
      if (sweep(b) == 0) fb = true, used_b = k + 1;
    out.fixed_point = fa && fb;
    out.sweeps = 0.5 * (used_a + used_b);
    out.m = 0.5 * (overlap(a) + overlap(b));
    out.q = q_ab();
    return out;
  }
  for (int k = 0; k < equilibration; ++k) sweep(a), sweep(b);
  double m = 0, q = 0;
  for (int k = 0; k < sweeps; ++k) {
    sweep(a);
    sweep(b);
    m += 0.5 * (overlap(a) + overlap(b));
    q += q_ab();
  }
  out.m = m / sweeps;
  out.q = q / sweeps;
  out.sweeps = sweeps;
  return out;
}

// ---------------------------------------------------------------------------------------------
// SK with parallel tempering. Local fields h_i = sum_j J_ij s_j are kept up to date (O(N) per
// accepted flip); E = -(1/2) sum_i s_i h_i.

struct SkChain {
  std::vector<std::vector<int>> s;     // per temperature slot
  std::vector<std::vector<double>> h;  // local fields
  std::vector<double> energy;          // total energy per slot
  std::vector<int> at;                 // at[k]: configuration index held at temperature k
};

struct SkSample {
  std::vector<double> e, q_abs, q2, swap_rate;
};

SkSample sk_sample(int n, const std::vector<double>& temps, int sweeps, int equilibration, Rng jr,
                   Rng ra, Rng rb) {
  const std::size_t K = temps.size();
  std::vector<double> J(static_cast<std::size_t>(n) * n, 0.0);
  const double sd = 1.0 / std::sqrt(static_cast<double>(n));
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j)
      J[static_cast<std::size_t>(i) * n + j] = J[static_cast<std::size_t>(j) * n + i] =
          sd * jr.normal();
  auto init = [&](Rng& r) {
    SkChain c;
    c.s.assign(K, std::vector<int>(n));
    c.h.assign(K, std::vector<double>(n, 0.0));
    c.energy.assign(K, 0.0);
    c.at.resize(K);
    for (std::size_t k = 0; k < K; ++k) {
      c.at[k] = static_cast<int>(k);
      for (int i = 0; i < n; ++i) c.s[k][i] = (r.next() >> 63) ? 1 : -1;
      for (int i = 0; i < n; ++i) {
        double h = 0;
        for (int j = 0; j < n; ++j) h += J[static_cast<std::size_t>(i) * n + j] * c.s[k][j];
        c.h[k][i] = h;
      }
      double e = 0;
      for (int i = 0; i < n; ++i) e -= 0.5 * c.s[k][i] * c.h[k][i];
      c.energy[k] = e;
    }
    return c;
  };
  Rng rngs[2] = {ra, rb};
  SkChain chains[2] = {init(rngs[0]), init(rngs[1])};
  std::vector<long> swaps_tried(K, 0), swaps_done(K, 0);
  auto metropolis = [&](SkChain& c, Rng& r) {
    for (std::size_t k = 0; k < K; ++k) {
      const double beta = 1.0 / temps[k];
      const int cfg = c.at[k];
      auto& s = c.s[static_cast<std::size_t>(cfg)];
      auto& h = c.h[static_cast<std::size_t>(cfg)];
      for (int i = 0; i < n; ++i) {
        const double dE = 2.0 * s[i] * h[i];
        if (dE <= 0 || r.uniform() < std::exp(-beta * dE)) {
          s[i] = -s[i];
          const double* Ji = &J[static_cast<std::size_t>(i) * n];
          const double d = 2.0 * s[i];
          for (int j = 0; j < n; ++j) h[j] += d * Ji[j];
          c.energy[static_cast<std::size_t>(cfg)] += dE;
        }
      }
    }
    // neighbour swaps: accept with min(1, exp((beta_k - beta_k+1)(E_k - E_k+1)))
    for (std::size_t k = 0; k + 1 < K; ++k) {
      const double db = 1.0 / temps[k] - 1.0 / temps[k + 1];
      const double dE = c.energy[static_cast<std::size_t>(c.at[k])] -
                        c.energy[static_cast<std::size_t>(c.at[k + 1])];
      ++swaps_tried[k];
      if (db * dE >= 0 || r.uniform() < std::exp(db * dE)) {
        std::swap(c.at[k], c.at[k + 1]);
        ++swaps_done[k];
      }
    }
  };
  for (int k = 0; k < equilibration; ++k)
    for (int r = 0; r < 2; ++r) metropolis(chains[r], rngs[r]);
  SkSample out;
  out.e.assign(K, 0.0);
  out.q_abs.assign(K, 0.0);
  out.q2.assign(K, 0.0);
  std::fill(swaps_tried.begin(), swaps_tried.end(), 0);
  std::fill(swaps_done.begin(), swaps_done.end(), 0);
  for (int step = 0; step < sweeps; ++step) {
    for (int r = 0; r < 2; ++r) metropolis(chains[r], rngs[r]);
    for (std::size_t k = 0; k < K; ++k) {
      const auto& sa = chains[0].s[static_cast<std::size_t>(chains[0].at[k])];
      const auto& sb = chains[1].s[static_cast<std::size_t>(chains[1].at[k])];
      long ov = 0;
      for (int i = 0; i < n; ++i) ov += sa[i] * sb[i];
      const double q = static_cast<double>(ov) / n;
      out.q_abs[k] += std::fabs(q);
      out.q2[k] += q * q;
      out.e[k] += 0.5 *
                  (chains[0].energy[static_cast<std::size_t>(chains[0].at[k])] +
                   chains[1].energy[static_cast<std::size_t>(chains[1].at[k])]) /
                  n;
    }
  }
  out.swap_rate.assign(K, 0.0);
  for (std::size_t k = 0; k < K; ++k) {
    out.e[k] /= sweeps;
    out.q_abs[k] /= sweeps;
    out.q2[k] /= sweeps;
    // acceptance of swaps with the next colder/hotter neighbour (last slot: the one below it)
    const std::size_t j = k + 1 < K ? k : k - (K > 1 ? 1 : 0);
    out.swap_rate[k] = swaps_tried[j] ? static_cast<double>(swaps_done[j]) / swaps_tried[j] : 0.0;
  }
  return out;
}

int threads(int jobs) {
  return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

void SimulateOptions::validate() {
  if (model != "hopfield" && model != "sk")
    throw InputError("simulate.unknown_model", "simulate '" + model + "'",
                     "no simulator for this model" + did_you_mean(model, {"hopfield", "sk", "glm"}) +
                         "; expected hopfield, sk or glm");
  if (!assignments.empty())
    throw InputError("simulate.unexpected_argument", "simulate " + model + " '" + assignments.front() + "'",
                     "the " + model + " simulator takes flags only (--N, --alpha, --T, ...); NAME=VALUE "
                     "arguments are for glm");
  n.clear();
  for (double v : parse_values(n_text, "--N")) {
    if (!(v >= 2 && v <= 1e6 && v == std::floor(v)))
      throw InputError(
          "simulate.bad_values", "--N '" + n_text + "'",
          "N = " + format_number(v) + " is out of range; expected whole numbers 2 <= N <= 1000000");
    n.push_back(static_cast<int>(v));
  }
  t = parse_values(t_text, "--T");
  for (double v : t)
    if (model == "sk" ? !(v > 0) : !(v >= 0))
      throw InputError("simulate.bad_values", "--T '" + t_text + "'",
                       "T = " + format_number(v) + " is out of range; expected T " +
                           (model == "sk" ? "> 0" : ">= 0"));
  if (model == "hopfield") {
    if (alpha_text.empty())
      throw InputError("simulate.missing", "--alpha",
                       "missing; the hopfield simulator needs loads, e.g. --alpha 0.02:0.16:15");
    alpha = parse_values(alpha_text, "--alpha");
    for (double a : alpha)
      for (int nn : n)
        if (!(a > 0) || std::lround(a * nn) < 1)
          throw InputError("simulate.bad_values", "--alpha '" + alpha_text + "'",
                           "alpha = " + format_number(a) + " at N = " + std::to_string(nn) +
                               " stores no pattern; expected alpha > 0 with round(alpha N) >= 1");
  } else if (!alpha_text.empty()) {
    throw InputError("simulate.not_applicable", "--alpha",
                     "applies to hopfield only; the sk simulator takes --N and --T");
  }
  if (model == "sk") {
    std::vector<double> sorted = t;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
      throw InputError("simulate.bad_values", "--T '" + t_text + "'",
                       "repeats a temperature; expected distinct temperatures (they form one "
                       "parallel-tempering ladder)");
  }
  if (samples < 2)
    throw InputError("simulate.bad_samples", "--samples",
                     "value " + std::to_string(samples) +
                         " is out of range; expected >= 2 (error bars need two samples)");
  if (sweeps == 0 || sweeps < -1)
    throw InputError("simulate.bad_sweeps", "--sweeps",
                     "value " + std::to_string(sweeps) + " is out of range; expected >= 1");
  if (equilibration < -1)
    throw InputError("simulate.bad_sweeps", "--equilibration",
                     "value " + std::to_string(equilibration) + " is out of range; expected >= 0");
  if (jobs < 0)
    throw InputError("simulate.bad_jobs", "--jobs",
                     "value " + std::to_string(jobs) + " is out of range; expected >= 1");
  if (output.empty())
    throw InputError("simulate.missing", "-o",
                     "missing; expected the CSV file to write, e.g. -o data/sim/hopfield.csv");
  if (sweeps < 0) sweeps = model == "hopfield" ? (t.size() == 1 && t[0] == 0 ? 200 : 2000) : 2000;
  if (equilibration < 0) equilibration = sweeps;
}

SimTable simulate_hopfield(const SimulateOptions& o) {
  struct P {
    int n;
    double alpha, t;
  };
  std::vector<P> points;
  for (int n : o.n)
    for (double t : o.t)
      for (double a : o.alpha) points.push_back({n, a, t});
  const std::size_t S = static_cast<std::size_t>(o.samples);
  std::vector<HopfieldSample> res(points.size() * S);
  const auto t0 = std::chrono::steady_clock::now();
  // largest tasks first, so the pool ends together
  std::vector<std::size_t> order(res.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](auto x, auto y) {
    const P &a = points[x / S], &b = points[y / S];
    return a.n * a.n * a.alpha > b.n * b.n * b.alpha;
  });
  parallel_for(res.size(), threads(o.jobs), [&](std::size_t task) {
    const std::size_t idx = order[task], pt = idx / S, smp = idx % S;
    const P& p = points[pt];
    const int np = static_cast<int>(std::lround(p.alpha * p.n));
    res[idx] = hopfield_sample(p.n, np, p.t, o.sweeps, o.equilibration, stream(o.seed, pt, smp, 0),
                               stream(o.seed, pt, smp, 1), stream(o.seed, pt, smp, 2));
  });
  SimTable tab;
  tab.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  tab.columns = {"N",
                 "alpha",
                 "T",
                 "p",
                 "samples",
                 "m",
                 "m_err",
                 "q",
                 "q_err",
                 "sweeps",
                 "fixed_point_fraction"};
  for (std::size_t pt = 0; pt < points.size(); ++pt) {
    std::vector<double> m, q;
    double sw = 0, fixed = 0;
    for (std::size_t s = 0; s < S; ++s) {
      const auto& r = res[pt * S + s];
      m.push_back(r.m);
      q.push_back(r.q);
      sw += r.sweeps;
      fixed += r.fixed_point ? 1 : 0;
    }
    const auto [mm, me] = mean_err(m);
    const auto [qm, qe] = mean_err(q);
    const P& p = points[pt];
    tab.rows.push_back({double(p.n), p.alpha, p.t, double(std::lround(p.alpha * p.n)), double(S),
                        mm, me, qm, qe, sw / S, p.t == 0 ? fixed / S : 1.0});
  }
  return tab;
}

SimTable simulate_sk(const SimulateOptions& o) {
  std::vector<double> temps = o.t;
  std::sort(temps.begin(), temps.end());
  const std::size_t S = static_cast<std::size_t>(o.samples);
  std::vector<SkSample> res(o.n.size() * S);
  const auto t0 = std::chrono::steady_clock::now();
  parallel_for(res.size(), threads(o.jobs), [&](std::size_t idx) {
    const std::size_t pt = idx / S, smp = idx % S;
    res[idx] = sk_sample(o.n[pt], temps, o.sweeps, o.equilibration, stream(o.seed, pt, smp, 0),
                         stream(o.seed, pt, smp, 1), stream(o.seed, pt, smp, 2));
  });
  SimTable tab;
  tab.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  tab.columns = {"N", "T",     "h",  "samples", "energy",   "energy_err",
                 "q", "q_err", "q2", "q2_err",  "swap_rate"};
  for (std::size_t pt = 0; pt < o.n.size(); ++pt)
    for (std::size_t k = 0; k < temps.size(); ++k) {
      std::vector<double> e, qa, q2;
      double sr = 0;
      for (std::size_t s = 0; s < S; ++s) {
        const auto& r = res[pt * S + s];
        e.push_back(r.e[k]);
        qa.push_back(r.q_abs[k]);
        q2.push_back(r.q2[k]);
        sr += r.swap_rate[k];
      }
      const auto [em, ee] = mean_err(e);
      const auto [qm, qe] = mean_err(qa);
      const auto [q2m, q2e] = mean_err(q2);
      tab.rows.push_back(
          {double(o.n[pt]), temps[k], 0.0, double(S), em, ee, qm, qe, q2m, q2e, sr / S});
    }
  return tab;
}

int run_simulate(SimulateOptions& o, std::ostream& out) {
  if (o.model == "glm") return cmd_simulate(o.model, o.assignments, o.alpha_text, o.gamp, o.output, out);
  if (o.model.size() > 5 && o.model.compare(o.model.size() - 5, 5, ".json") == 0) {
    SimulateFlags f;
    f.output = o.output;
    f.sets = o.sets;
    f.runs = o.runs;
    f.seed = o.seed;
    char* end = nullptr;
    const long n = std::strtol(o.n_text.c_str(), &end, 10);
    if (end == o.n_text.c_str() || *end != '\0')
      throw InputError("simulate.bad_size", "--N",
                       "'" + o.n_text + "' is not one size; a spec's simulator takes one integer, e.g. --N 1000");
    f.N = static_cast<int>(n);
    return cmd_simulate_dynamics(o.model, f, out);
  }
  o.validate();
  const fs::path path(o.output);
  const std::string dir = path.has_parent_path() ? path.parent_path().string() : ".";
  prepare_output_dir(dir);
  const SimTable tab = o.model == "hopfield" ? simulate_hopfield(o) : simulate_sk(o);
  std::vector<std::vector<std::string>> rows;
  bool all_fixed = true;
  const int c_fixed = o.model == "hopfield" ? 10 : -1;
  for (const auto& r : tab.rows) {
    std::vector<std::string> cells;
    for (double v : r) cells.push_back(format_number(v));
    rows.push_back(cells);
    if (c_fixed >= 0 && r[static_cast<std::size_t>(c_fixed)] < 1) all_fixed = false;
  }
  write_file_atomic(dir, path.filename().string(), csv_table(tab.columns, rows));
  nlohmann::json side = {{"schema_version", kOutputSchemaVersion},
                         {"saddle_version", saddle_version()},
                         {"command", "simulate"},
                         {"model", o.model},
                         {"N", o.n},
                         {"T", o.t},
                         {"samples", o.samples},
                         {"seed", o.seed},
                         {"sweeps", o.sweeps},
                         {"equilibration", o.equilibration},
                         {"jobs", threads(o.jobs)},
                         {"seconds", tab.seconds},
                         {"table", path.filename().string()}};
  if (o.model == "hopfield") side["alpha"] = o.alpha;
  // the command that reproduces this table exactly (any --jobs)
  side["reproduce"] = "saddle simulate " + o.model + " --N " + o.n_text +
                      (o.model == "hopfield" ? " --alpha " + o.alpha_text : std::string()) +
                      " --T " + o.t_text + " --samples " + std::to_string(o.samples) + " --seed " +
                      std::to_string(o.seed) + " --sweeps " + std::to_string(o.sweeps) +
                      " --equilibration " + std::to_string(o.equilibration) + " -o " + o.output;
  write_file_atomic(dir, path.stem().string() + ".json", side.dump(2) + "\n");
  out << o.model << ": " << tab.rows.size() << " rows x " << o.samples << " samples, "
      << format_number(tab.seconds) << " s -> " << o.output << "\n";
  if (!all_fixed)
    out << "note: some T = 0 runs stopped at --sweeps " << o.sweeps
        << " before a fixed point (fixed_point_fraction < 1 in their rows)\n";
  return all_fixed ? 0 : static_cast<int>(ExitCode::kNotConverged);
}

CLI::App* add_simulate_subcommand(CLI::App& app, SimulateOptions& o) {
  auto* c = app.add_subcommand(
      "simulate",
      "simulation of a model (hopfield, sk: Monte Carlo; glm: GAMP; or a spec of kernel_regression, "
      "committee_online, scs_rnn) into a CSV for `saddle compare`");
  c->add_option("model", o.model, "hopfield | sk | glm | SPEC.json")->required();
  c->add_option("assignments", o.assignments, "glm: parameters and options as NAME=VALUE (not alpha)");
  c->add_option("--N", o.n_text, "system sizes: a list 500,1000 or FROM:TO:NUM (default 1000)");
  c->add_option("--alpha", o.alpha_text, "hopfield loads p/N: a list or FROM:TO:NUM");
  c->add_option("--T", o.t_text,
                "temperatures: a list or FROM:TO:NUM (hopfield default 0; sk: the PT ladder)");
  c->add_option("--samples", o.samples, "disorder samples per point (default 20)");
  c->add_option("--seed", o.seed, "random seed (default 1); equal seeds give equal tables");
  c->add_option("-j,--jobs", o.jobs, "threads (default: all cores)");
  c->add_option("--sweeps", o.sweeps,
                "measurement sweeps (hopfield T = 0: the most sweeps before a fixed point; default "
                "200, else 2000)");
  c->add_option("--equilibration", o.equilibration,
                "sweeps before measuring (default: as many as --sweeps)");
  c->add_option("-o,--output", o.output,
                "CSV file to write (a sidecar .json records the run); glm: a directory (DIR/sim.csv); "
                "a spec: a directory (default: the spec's output.dir + '-sim')");
  c->add_option("--set", o.sets, "a spec: override a field (repeatable)");
  c->add_option("--runs", o.runs, "a spec: independent runs (seeds seed, seed + 1, ...), >= 2 (default 20)");
  c->add_option("--n", o.gamp.n, "glm: dimension n (default 1000)");
  c->add_option("--seeds", o.gamp.seeds, "glm: instances per alpha (default 10)");
  c->add_option("--seed0", o.gamp.seed0, "glm: seed of the first instance (default 1)");
  c->add_option("--max-iter", o.gamp.max_iterations, "glm: GAMP iteration budget (default 500)");
  c->add_option("--tol", o.gamp.tol, "glm: convergence, mean squared change per component (default 1e-10)");
  c->add_option("--damping", o.gamp.damping, "glm: damping in [0, 1) (default 0.3)");
  return c;
}

}  // namespace saddle
