// Shared base of the random-matrix models: a SpectralModel that is also a FixedPointModel, so
// that `saddle solve wigner x=0.5 eta=0.01` solves the Stieltjes equation at one z = x + i eta
// with the generic core. The complex unknowns u_k are declared as order parameters
// <name>_re, <name>_im; the spectral variable x and eta are the last two parameters.
#pragma once

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "saddle/model.hpp"
#include "saddle/spectral.hpp"

namespace saddle::rmt {

class RmtModel : public FixedPointModel, public SpectralModel {
 public:
  // Model parameters without x and eta.
  virtual std::vector<ParameterInfo> model_parameters() const = 0;
  // Names of the complex unknowns ("g", or "omega" for subordination functions).
  virtual std::vector<std::string> unknown_names() const { return {"g"}; }

  std::vector<ParameterInfo> parameters() const final;
  std::vector<OrderParameterInfo> order_parameters() const final;
  std::vector<ObservableInfo> observables() const override;
  std::vector<std::string> branch_notes() const override;
  std::vector<BranchSeed> branches(const Point& p) const override;
  void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const override;
  Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const override;
  std::optional<std::string> inadmissible(const Eigen::VectorXd& x, const Point& p) const override;

  // z = x + i eta of a point.
  cplx z_of(const Point& p) const;
};

// Helpers shared by the models.
// sqrt(z - a) sqrt(z - b): the branch with its cut on [a, b] and ~ z at infinity.
inline cplx sqrt_cut(cplx z, double a, double b) {
  return std::sqrt(z - a) * std::sqrt(z - b);
}
// Orthogonal N x N matrix, Haar-distributed (QR of a Gaussian matrix with the sign fix).
Eigen::MatrixXd haar_orthogonal(int n, std::mt19937_64& rng);
Eigen::MatrixXd gaussian_matrix(int rows, int cols, std::mt19937_64& rng);
// Eigenvalues of a symmetric matrix, ascending.
Eigen::VectorXd symmetric_eigenvalues(const Eigen::MatrixXd& a);
// n values distributed as a discrete measure: counts round(n w_i), adjusted to sum n.
Eigen::VectorXd measure_diagonal(const DiscreteMeasure& m, int n);

// Closed-form equations usable as free-convolution components.
std::shared_ptr<const StieltjesEquation> make_wigner_equation(double sigma);
std::shared_ptr<const StieltjesEquation> make_mp_equation(double gamma, double sigma2);

}  // namespace saddle::rmt
