// Bridges a model at one parameter point to the generic solver core.
#pragma once

#include "saddle/model.hpp"
#include "saddle/solvers.hpp"

namespace saddle {

// The fixed-point problem x = F(x; p) of `model` at `point`, with the model's domain at p.
// The model must outlive the problem.
FixedPointProblem make_problem(const FixedPointModel& model, const Point& point);

}  // namespace saddle
