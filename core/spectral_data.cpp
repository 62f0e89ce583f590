// Data types of the spectral API (include/saddle/spectral.hpp) shared by models and solvers:
// discrete measures, measure files and free-convolution components.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "saddle/error.hpp"
#include "saddle/spectral.hpp"

namespace saddle {

void DiscreteMeasure::validate_and_normalise(const std::string& where) {
  if (atoms.empty())
    throw InputError("spectrum.bad_measure", where, "no atoms; expected at least one value");
  if (weights.empty()) weights.assign(atoms.size(), 1.0);
  if (weights.size() != atoms.size())
    throw InputError("spectrum.bad_measure", where,
                     std::to_string(atoms.size()) + " atoms but " + std::to_string(weights.size()) +
                         " weights; expected one weight per atom");
  double sum = 0.0;
  for (std::size_t i = 0; i < atoms.size(); ++i) {
    if (!std::isfinite(atoms[i]))
      throw InputError("spectrum.bad_measure", where,
                       "atom " + std::to_string(i) + " is " + format_number(atoms[i]) +
                           "; expected a finite number");
    if (!(weights[i] > 0.0) || !std::isfinite(weights[i]))
      throw InputError("spectrum.bad_measure", where,
                       "weight " + std::to_string(i) + " is " + format_number(weights[i]) +
                           "; expected a finite number > 0");
    sum += weights[i];
  }
  for (double& w : weights) w /= sum;
}

double DiscreteMeasure::mean() const {
  double m = 0.0;
  for (std::size_t i = 0; i < atoms.size(); ++i) m += weights[i] * atoms[i];
  return m;
}

cplx DiscreteMeasure::stieltjes(cplx z) const {
  cplx g = 0.0;
  for (std::size_t i = 0; i < atoms.size(); ++i) g += weights[i] / (atoms[i] - z);
  return g;
}

DiscreteMeasure read_measure_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("file.missing", path, "cannot open the spectrum file for reading");
  DiscreteMeasure m;
  std::string line;
  int lineno = 0, columns = -1;
  while (std::getline(in, line)) {
    ++lineno;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    for (char& c : line)
      if (c == ',') c = ' ';
    std::istringstream ss(line);
    std::vector<double> vals;
    std::string tok;
    while (ss >> tok) {
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      if (*end != '\0' || !std::isfinite(v))
        throw InputError("spectrum.bad_file", path + ":" + std::to_string(lineno),
                         "'" + tok + "' is not a finite number; expected lines 'value [weight]'");
      vals.push_back(v);
    }
    if (vals.empty()) continue;
    if (vals.size() > 2 || (columns >= 0 && static_cast<int>(vals.size()) != columns))
      throw InputError(
          "spectrum.bad_file", path + ":" + std::to_string(lineno),
          std::to_string(vals.size()) +
              " numbers; expected the same 1 (value) or 2 (value weight) on every line");
    columns = static_cast<int>(vals.size());
    m.atoms.push_back(vals[0]);
    if (vals.size() == 2) m.weights.push_back(vals[1]);
  }
  if (m.atoms.empty())
    throw InputError("spectrum.bad_file", path, "no values; expected lines 'value [weight]'");
  m.validate_and_normalise(path);
  return m;
}

cplx SpectralComponent::stieltjes(cplx z) const {
  if (atoms) return atoms->stieltjes(z);
  if (equation) {
    if (auto g = equation->closed_form(z)) return *g;
  }
  throw InternalError("spectral component '" + name + "' has no closed-form Stieltjes transform");
}

double SpectralComponent::mean() const {
  if (atoms) return atoms->mean();
  // -lim z (z g(z) + 1) = mean; evaluate far away.
  const cplx z(0.0, 1e6 * std::max(1.0, support_bounds().second - support_bounds().first));
  const cplx g = stieltjes(z);
  return std::real(-z * (z * g + 1.0));
}

std::pair<double, double> SpectralComponent::support_bounds() const {
  if (atoms) {
    const auto [lo, hi] = std::minmax_element(atoms->atoms.begin(), atoms->atoms.end());
    return {*lo, *hi};
  }
  return equation->support_bounds();
}

}  // namespace saddle
