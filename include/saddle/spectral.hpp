// Spectral densities from Stieltjes-transform equations (models/rmt/, solvers/spectral.cpp).
//
// Convention: g(z) = integral rho(t) / (t - z) dt, so Im g > 0 for Im z > 0, g ~ -1/z at
// infinity, and rho(x) = lim_{eta -> 0+} Im g(x + i eta) / pi. An atom of mass c at a gives
// g ~ c / (a - z), i.e. c = lim eta Im g(a + i eta).
//
// A spectral model states, for one parameter point (and optional data such as a population
// spectrum), a fixed-point equation u = F(u; z) in n complex unknowns u (the Stieltjes
// transform itself, or subordination functions), and how g is read off a solution. The toolkit
// (SpectrumSolver) solves it on a grid of x with continuation in x (Newton of the generic core,
// warm-started from the neighbour, complex unknowns split into real and imaginary parts),
// selects the root with Im g > 0, handles eta -> 0+ (solve at a small eta_c, then polish at
// eta = 0 exactly where the root stays off the real axis), locates support edges as the double
// roots F(u; x) = u, det(I - dF/du) = 0, measures atoms at the model's candidate locations and
// checks the total mass by Gauss-Chebyshev quadrature between edges.
#pragma once

#include <Eigen/Dense>
#include <complex>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "saddle/model.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

using cplx = std::complex<double>;
using CVector = Eigen::VectorXcd;

// A discrete probability measure: atoms t_i with weights w_i (> 0, normalised to sum 1).
struct DiscreteMeasure {
  std::vector<double> atoms;
  std::vector<double> weights;
  // Throws InputError(where) unless sizes match, >= 1 atom, weights > 0; then normalises.
  void validate_and_normalise(const std::string& where);
  double mean() const;
  // sum_i w_i / (t_i - z)
  cplx stieltjes(cplx z) const;
};

// Reads "t w" pairs (or one t per line, equal weights) from a text file; '#' starts a comment.
// Throws InputError naming the file and line.
DiscreteMeasure read_measure_file(const std::string& path);

// The equation u = F(u; z) of one spectral model at one parameter point.
class StieltjesEquation {
 public:
  virtual ~StieltjesEquation() = default;
  // Number of complex unknowns.
  virtual int dimension() const { return 1; }
  // F(u; z). Must be defined (finite) for real z and real u off the poles.
  virtual void map(const CVector& u, cplx z, CVector& fu) const = 0;
  // Optional analytic dF/du (n x n); return false to use finite differences.
  virtual bool jacobian(const CVector& u, cplx z, Eigen::MatrixXcd& j) const { return false; }
  // The Stieltjes transform g(z) at a solution u.
  virtual cplx stieltjes(const CVector& u, cplx z) const { return u[0]; }
  // A starting point valid for Im z large (the unique root with Im g > 0 attracts it).
  virtual CVector seed(cplx z) const = 0;
  // Closed-form g(z) where one exists (used by tests, free convolutions and the polish check).
  virtual std::optional<cplx> closed_form(cplx z) const { return std::nullopt; }
  // An interval that contains the support (for the default grid): [lo, hi].
  virtual std::pair<double, double> support_bounds() const = 0;
  // Where atoms may sit, and the mass theory predicts there (0 if none).
  virtual std::vector<std::pair<double, double>> atom_candidates() const { return {}; }
};

// Data a spectral task may pass to a model beyond its scalar parameters.
struct SpectralComponent;
struct SpectralInputs {
  std::optional<DiscreteMeasure> population;  // wishart: population spectrum
  std::vector<SpectralComponent> components;  // free_sum, free_product: "a" and "b"
};

// A component of a free convolution: a discrete measure or a model at a point.
struct SpectralComponent {
  std::string name;  // "a", "b"
  std::optional<DiscreteMeasure> atoms;
  std::shared_ptr<const StieltjesEquation> equation;  // when given by a model
  std::string description;                            // "wigner(sigma=1)" or "atoms(3)"
  // Draws the eigenvalues of one n x n matrix of the component (for sampling checks).
  std::function<Eigen::VectorXd(int n, std::mt19937_64& rng)> sampler;
  // g(z) of the component (closed form or atoms). Throws InternalError if neither is available.
  cplx stieltjes(cplx z) const;
  double mean() const;
  std::pair<double, double> support_bounds() const;
};

// Implemented by the models of models/rmt/ (alongside FixedPointModel).
class SpectralModel {
 public:
  virtual ~SpectralModel() = default;
  // Names of the data keys the model accepts in a spectrum task ("population", "a", "b").
  virtual std::vector<std::string> spectral_inputs() const { return {}; }
  // The equation at p. Throws InputError for inconsistent inputs.
  virtual std::unique_ptr<StieltjesEquation> equation(const Point& p,
                                                      const SpectralInputs& in) const = 0;
  // Draws one random matrix of size n from the ensemble and returns its eigenvalues (or
  // squared singular values), if the model can sample. Deterministic given rng.
  virtual bool can_sample() const { return false; }
  virtual Eigen::VectorXd sample(const Point& p, const SpectralInputs& in, int n,
                                 std::mt19937_64& rng) const {
    return Eigen::VectorXd();
  }
};

// Status of one grid point.
enum class SpectralPointStatus {
  kConverged,     // solved; rho from eta = 0+ (polished) or eta_c (see eta_used)
  kAtom,          // x sits on an atom; the continuous density is not defined there
  kNotConverged,  // every attempt failed; the row holds the best iterate
};
std::string to_string(SpectralPointStatus s);

struct SpectralPoint {
  double x = 0.0;
  cplx g;                 // Stieltjes transform at x + i eta_used
  double rho = 0.0;       // Im g / pi
  double eta_used = 0.0;  // 0 when polished at eta = 0 exactly
  SpectralPointStatus status = SpectralPointStatus::kConverged;
  int iterations = 0;     // Newton iterations spent at this point (all attempts)
  double residual = 0.0;  // max |F(u) - u| at the reported solution
  std::string how;        // "continuation", "conjugate", "eta_ladder"
};

struct SpectralEdge {
  double x = 0.0;
  std::string side;          // "lower" (density starts to the right) or "upper"
  bool located = false;      // the double-root (fold) Newton converged
  std::string method;        // "fold_newton" or "bisection" (then uncertainty is the bracket)
  double residual = 0.0;     // of the double-root system
  double uncertainty = 0.0;  // |x - grid bracket| bound when not located
};

struct SpectralAtom {
  double x = 0.0;
  double mass = 0.0;         // measured: eta Im g(x + i eta) extrapolated to eta -> 0
  double expected = 0.0;     // the model's prediction
  double uncertainty = 0.0;  // |last two Richardson levels|
};

struct SpectrumResult {
  std::vector<SpectralPoint> points;
  std::vector<SpectralEdge> edges;
  std::vector<SpectralAtom> atoms;
  double continuous_mass = 0.0;  // Gauss-Chebyshev between located edges
  double atom_mass = 0.0;
  double total_mass = 0.0;
  double grid_mass = 0.0;        // trapezoid on the grid (coarse cross-check)
  bool mass_ok = false;          // |total_mass - 1| <= mass_tol
  bool support_clipped = false;  // density > 0 at an end of the grid
  int map_evaluations = 0;
  int newton_iterations = 0;
  int converged = 0;
  int not_converged = 0;
  int polished = 0;  // points solved at eta = 0 exactly
  double seconds = 0.0;
};

class SpectrumSolver {
 public:
  struct Options {
    // Residual tolerance of every Newton solve (max |F(u) - u|). Range (0, 1e-3].
    double tol = 1e-12;
    // Newton iteration cap per attempt. Range >= 1.
    int max_iterations = 100;
    // eta = 0 asks for the limit eta -> 0+ (solve at eta_c, polish at 0); eta > 0 reports
    // g(x + i eta) itself. Range >= 0.
    double eta = 0.0;
    // The small eta of the continuation when eta = 0, relative to the support width. Range
    // (0, 1e-3]. The polish at eta = 0 removes its effect wherever the root is off the axis.
    double eta_c = 1e-10;
    // Locate edges and atoms, and check the mass.
    bool special_points = true;
    // Gauss-Chebyshev nodes per support interval for the mass check. Range >= 8.
    int mass_nodes = 96;
    // Tolerance on |total mass - 1|. Range (0, 1).
    double mass_tol = 1e-6;
    void validate() const;
  };
  SpectrumSolver() = default;
  explicit SpectrumSolver(Options o) : options_(o) {}

  SpectrumResult run(const StieltjesEquation& eq, const std::vector<double>& xs) const;

  // One solve at z = x + i eta from a warm start (empty: a fresh ladder from large eta).
  // Returns the point; `u` receives the unknowns.
  SpectralPoint solve_at(const StieltjesEquation& eq, double x, double eta, CVector& u,
                         bool warm) const;

  // The limit density at x (eta -> 0+): solve at eta_c then polish; u is warm start/result.
  SpectralPoint density_at(const StieltjesEquation& eq, double x, CVector& u, bool warm) const;

 private:
  Options options_;
};

// Histogram of sampled eigenvalues against the theory.
struct SampleComparison {
  int n = 0, trials = 0, bins = 0;
  unsigned long long seed = 0;
  std::vector<double> edges;      // bins + 1 bin edges
  std::vector<double> empirical;  // density per bin (mean over trials)
  std::vector<double> error;      // its standard error
  std::vector<double> theory;     // bin-averaged theory density (atoms included)
  std::vector<double> z;          // (empirical - theory) / error (0 where error = 0)
  double max_abs_z = 0.0;
  double chi2_per_bin = 0.0;
  double ks_distance = 0.0;  // sup |F_emp - F_theory| at the sampled eigenvalues
  double seconds = 0.0;
};

// Bin-averaged theory density on [edges[k], edges[k+1]] (Gauss-Legendre in each bin, atoms
// added as mass / width), using density_at.
std::vector<double> bin_average_density(const SpectrumSolver& solver, const StieltjesEquation& eq,
                                        const std::vector<double>& edges,
                                        const std::vector<SpectralAtom>& atoms);

}  // namespace saddle

namespace saddle {

// Sampling check of a spectrum task: "sample": {"n": 1000, "trials": 1, "seed": 1, "bins": 40}.
struct SampleSettings {
  bool enabled = false;
  int n = 1000;    // matrix size (p for wishart)
  int trials = 1;  // independent matrices; >= 2 gives error bars from their spread
  unsigned long long seed = 1;
  int bins = 40;
};

// task "spectrum" (see apps/lib/spectrum.cpp and README "Spectral densities").
struct SpectrumTask {
  std::vector<double> xs;
  SpectrumSolver::Options options;
  SpectralInputs inputs;
  SampleSettings sample;
  nlohmann::json resolved;  // the task with defaults filled in
};

}  // namespace saddle
