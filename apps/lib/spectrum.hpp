// The "spectrum" task: density table, edges, atoms, mass check and the sampling comparison.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "saddle/spec.hpp"

namespace saddle {

struct SpectrumJobOutcome {
  bool converged = true;  // every grid point converged
  std::string line;       // one-line report (plus warnings on further lines)
};

// Runs spec (task "spectrum"), writes spectrum.csv (and sample.csv) into dir, fills summary.
SpectrumJobOutcome run_spectrum_job(const Spec& spec, const std::string& source,
                                    const std::string& dir, nlohmann::json& summary);

// The sampling comparison alone (used by the task and by tests).
SampleComparison compare_with_samples(const SpectralModel& model, const Point& point,
                                      const SpectralInputs& inputs, const StieltjesEquation& eq,
                                      const SpectrumSolver& solver,
                                      const std::vector<SpectralAtom>& atoms, double lo, double hi,
                                      const SampleSettings& settings);

}  // namespace saddle
