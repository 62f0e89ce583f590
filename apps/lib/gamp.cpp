#include "gamp.hpp"

#include <Eigen/Dense>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <sstream>

#include "output.hpp"
#include "saddle/error.hpp"
#include "saddle/model.hpp"
#include "saddle/spec.hpp"
#include "saddle/special.hpp"

namespace saddle {
namespace {

using Eigen::VectorXd;
using nlohmann::json;

// Posterior mean and variance of x ~ P0 given the scalar field exp(B x - A x^2 / 2).
void denoise(const std::string& prior, double rho, double B, double A, double& mean, double& var) {
  if (prior == "gaussian") {
    mean = B / (1.0 + A);
    var = 1.0 / (1.0 + A);
  } else if (prior == "rademacher") {
    mean = std::tanh(B);
    var = 1.0 - mean * mean;
  } else {  // gauss_bernoulli: weight of the Gaussian part by a logistic of its log-odds
    const double a =
        0.5 * B * B / (1.0 + A) + std::log(rho) - 0.5 * std::log1p(A) - std::log1p(-rho);
    const double w = a > 0 ? 1.0 / (1.0 + std::exp(-a)) : std::exp(a) / (1.0 + std::exp(a));
    const double m = B / (1.0 + A);
    mean = w * m;
    var = w * (1.0 / (1.0 + A) + m * m) - mean * mean;
  }
}

// g_out = d ln Z_out / d omega and its derivative, Z_out(y, omega, V) of the channel.
void channel_out(const std::string& channel, double Delta, double y, double omega, double V,
                 double& g, double& dg) {
  const double v = std::max(V + Delta, 1e-300);
  if (channel == "linear") {
    g = (y - omega) / v;
    dg = -1.0 / v;
  } else {  // sign: Z_out = H(-y omega / sqrt v)
    const double s = std::sqrt(v), u = -y * omega / s, m = mills(u);
    g = y * m / s;
    dg = -m * (m - u) / v;
  }
}

std::vector<double> parse_grid(const std::string& text) {
  const std::string where = "--alpha";
  std::vector<double> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ':')) {
    try {
      std::size_t used = 0;
      parts.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError("simulate.bad_grid", where,
                       "'" + text + "' is not FROM:TO:NUM or a single value (e.g. 0.2:3:15)");
    }
  }
  if (parts.size() == 1) parts = {parts[0], parts[0], 1};
  if (parts.size() != 3 || !(parts[0] > 0) || !(parts[1] >= parts[0]) || parts[2] < 1 ||
      parts[2] != std::floor(parts[2]) || (parts[2] == 1 && parts[1] != parts[0]))
    throw InputError("simulate.bad_grid", where,
                     "'" + text +
                         "' is not a grid FROM:TO:NUM with 0 < FROM <= TO and NUM >= 1 "
                         "(NUM = 1 only when FROM = TO)");
  std::vector<double> values;
  const int num = static_cast<int>(parts[2]);
  for (int i = 0; i < num; ++i)
    values.push_back(num == 1 ? parts[0] : parts[0] + (parts[1] - parts[0]) * i / (num - 1));
  return values;
}

}  // namespace

void GampOptions::validate() const {
  if (n < 10) throw InputError("simulate.bad_option", "--n", std::to_string(n) + " is not >= 10");
  if (seeds < 1)
    throw InputError("simulate.bad_option", "--seeds", std::to_string(seeds) + " is not >= 1");
  if (max_iterations < 1)
    throw InputError("simulate.bad_option", "--max-iter",
                     std::to_string(max_iterations) + " is not >= 1");
  if (!(tol > 0 && tol < 1))
    throw InputError("simulate.bad_option", "--tol", format_number(tol) + " is not in (0, 1)");
  if (!(damping >= 0 && damping < 1))
    throw InputError("simulate.bad_option", "--damping",
                     format_number(damping) + " is not in [0, 1)");
}

GampRun run_gamp(const std::string& prior, const std::string& channel, double alpha, double Delta,
                 double rho, std::uint64_t seed, const GampOptions& o) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const int n = o.n;
  const int m = std::max(1, static_cast<int>(std::lround(alpha * n)));
  const double second_moment = prior == "gauss_bernoulli" ? rho : 1.0;

  VectorXd x0(n);
  for (int i = 0; i < n; ++i) {
    if (prior == "gaussian")
      x0[i] = normal(rng);
    else if (prior == "rademacher")
      x0[i] = uniform(rng) < 0.5 ? -1.0 : 1.0;
    else
      x0[i] = uniform(rng) < rho ? normal(rng) : 0.0;
  }
  Eigen::MatrixXd F(m, n);  // entries N(0, 1/n)
  const double scale = 1.0 / std::sqrt(static_cast<double>(n));
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) F(i, j) = scale * normal(rng);
  const VectorXd z = F * x0;
  VectorXd y(m);
  for (int i = 0; i < m; ++i) {
    const double noisy = z[i] + std::sqrt(Delta) * normal(rng);
    y[i] = channel == "linear" ? noisy : (noisy >= 0 ? 1.0 : -1.0);
  }

  // Scalar-variance GAMP: sum_i F_ui^2 -> 1 and sum_u F_ui^2 -> alpha replace the squared matrix.
  const double alpha_eff = static_cast<double>(m) / n;
  VectorXd x = VectorXd::Zero(n), g = VectorXd::Zero(m), dg(m), R(n);
  double vx = second_moment;
  GampRun run;
  for (int t = 1; t <= o.max_iterations; ++t) {
    const double V = vx;
    const VectorXd omega = F * x - V * g;
    for (int i = 0; i < m; ++i) channel_out(channel, Delta, y[i], omega[i], V, g[i], dg[i]);
    const double lambda = std::max(-alpha_eff * dg.mean(), 1e-300);
    R = x + (F.transpose() * g) / lambda;
    VectorXd x_new(n);
    double var_sum = 0.0;
    for (int i = 0; i < n; ++i) {
      double mean, var;
      denoise(prior, rho, lambda * R[i], lambda, mean, var);
      x_new[i] = mean;
      var_sum += var;
    }
    const double change = (x_new - x).squaredNorm() / n;
    x = (1.0 - o.damping) * x_new + o.damping * x;
    vx = (1.0 - o.damping) * var_sum / n + o.damping * vx;
    run.iterations = t;
    if (!std::isfinite(change)) break;
    if (change < o.tol) {
      run.converged = true;
      break;
    }
  }
  run.q = x.dot(x0) / n;
  run.mse = (x - x0).squaredNorm() / n;
  if (channel == "sign") {
    const double nx = x.norm(), n0 = x0.norm();
    const double c = nx > 0 && n0 > 0 ? std::max(-1.0, std::min(1.0, x.dot(x0) / (nx * n0))) : 0.0;
    run.eg_bayes = std::acos(c) / kPi;
  } else {
    run.eg_bayes = run.mse;
  }
  return run;
}

int cmd_simulate(const std::string& model_id, const std::vector<std::string>& assignments,
                 const std::string& alpha_grid, const GampOptions& options,
                 const std::string& out_dir, std::ostream& out) {
  const FixedPointModel& model = builtin_registry().get(model_id, "simulate");
  if (model.id() != "glm")
    throw InputError("simulate.unsupported_model", "simulate",
                     "no simulator for model " + model.id() + "; expected glm");
  json params = json::object(), opts = json::object();
  for (const auto& a : assignments) {
    const auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
      throw InputError("cli.bad_assignment", "'" + a + "'",
                       "expected NAME=VALUE, e.g. prior=rademacher or Delta=0.1");
    const std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    if (key == "alpha")
      throw InputError("simulate.alpha_assignment", "'" + a + "'",
                       "alpha is the simulation grid: give it as --alpha FROM:TO:NUM");
    if (model.option_index(key) >= 0) {
      opts[key] = text;
    } else {
      json holder = json::object();
      apply_set(holder, "v=" + text);
      params[key] = holder["v"];
    }
  }
  const std::vector<double> alphas = parse_grid(alpha_grid);
  options.validate();
  // Checks names, ranges and the model's cross-checks (e.g. linear needs Delta > 0) before work.
  Point point = resolve_point(model, params, opts, "", "", "");
  const std::string prior = point.options[static_cast<std::size_t>(model.option_index("prior"))];
  const std::string channel =
      point.options[static_cast<std::size_t>(model.option_index("channel"))];
  const double Delta = point.params[model.parameter_index("Delta")];
  const double rho = point.params[model.parameter_index("rho")];
  if (out_dir.empty())
    throw InputError("simulate.no_output", "-o", "an output directory is required (-o DIR)");

  const auto t0 = std::chrono::steady_clock::now();
  std::ostringstream csv;
  csv << "alpha,q,q_err,mse,mse_err,eg_bayes,eg_bayes_err,n,seeds,converged,iterations_mean\n";
  long failures = 0;
  for (double alpha : alphas) {
    std::vector<GampRun> runs;
    for (int k = 0; k < options.seeds; ++k)
      runs.push_back(run_gamp(prior, channel, alpha, Delta, rho,
                              options.seed0 + static_cast<std::uint64_t>(k), options));
    auto stat = [&](double GampRun::*field, double& mean, double& err) {
      mean = 0;
      for (const auto& r : runs) mean += r.*field;
      mean /= runs.size();
      double ss = 0;
      for (const auto& r : runs) ss += (r.*field - mean) * (r.*field - mean);
      // Standard error of the mean; with one seed there is no error bar (written as nan, and
      // the summary says so).
      err = runs.size() > 1 ? std::sqrt(ss / (runs.size() - 1) / runs.size()) : NAN;
    };
    double q, qe, mse, msee, eg, ege, iters = 0;
    int converged = 0;
    stat(&GampRun::q, q, qe);
    stat(&GampRun::mse, mse, msee);
    stat(&GampRun::eg_bayes, eg, ege);
    for (const auto& r : runs) {
      converged += r.converged;
      iters += r.iterations;
    }
    failures += options.seeds - converged;
    csv << format_number(alpha) << "," << format_number(q) << "," << format_number(qe) << ","
        << format_number(mse) << "," << format_number(msee) << "," << format_number(eg) << ","
        << format_number(ege) << "," << options.n << "," << options.seeds << "," << converged << ","
        << format_number(iters / options.seeds) << "\n";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  json summary = {{"saddle_version", saddle_version()},
                  {"schema", kOutputSchemaVersion},
                  {"simulation", "GAMP (Bayes-optimal, scalar variances) on teacher-student data"},
                  {"model", model.id()},
                  {"params", params_to_json(model, point)},
                  {"options", options_to_json(model, point)},
                  {"alpha", alphas},
                  {"n", options.n},
                  {"seeds", options.seeds},
                  {"seed0", options.seed0},
                  {"max_iterations", options.max_iterations},
                  {"tol", options.tol},
                  {"damping", options.damping},
                  {"non_converged_instances", failures},
                  {"error_bars", options.seeds > 1 ? "standard error of the mean over seeds"
                                                   : "none (one seed): *_err columns are nan"},
                  {"seconds", seconds}};
  std::filesystem::create_directories(out_dir);
  write_file_atomic(out_dir, "sim.csv", csv.str());
  write_file_atomic(out_dir, "summary.json", summary.dump(2) + "\n");
  out << "glm GAMP simulation, " << alphas.size() << " alphas x " << options.seeds
      << " seeds, n = " << options.n << ", " << failures << " non-converged instances, "
      << format_number(seconds) << " s -> " << out_dir << "\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace saddle
