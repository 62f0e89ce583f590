// CurveTracer on curves with exact forms.
#include <doctest/doctest.h>

#include <cmath>

#include "saddle/curve.hpp"
#include "saddle/error.hpp"

using namespace saddle;
using Eigen::VectorXd;

namespace {
VectorXd v2(double a, double b) {
  VectorXd v(2);
  v << a, b;
  return v;
}
}  // namespace

TEST_CASE("curve: a circle is traced round and closes on itself") {
  CurveProblem p;
  p.equations = 1;
  p.residual = [](const VectorXd& y, VectorXd& g) { g[0] = y[0] * y[0] + y[1] * y[1] - 1.0; };
  p.lower = v2(-2, -2);
  p.upper = v2(2, 2);
  CurveTracer::Options o;
  o.step = 0.05;
  o.max_step = 0.1;
  const auto r = CurveTracer(o).trace(p, v2(1, 0), v2(0, 1), true);
  CHECK(r.forward_end == CurveEnd::kClosedLoop);
  CHECK(r.points.size() > 60);  // circumference 2 pi at steps <= 0.1
  for (const auto& pt : r.points) CHECK(std::fabs(pt.y.norm() - 1.0) <= 1e-10);
}

TEST_CASE("curve: a parabola ends exactly on the box boundary in both directions") {
  CurveProblem p;
  p.equations = 1;
  p.residual = [](const VectorXd& y, VectorXd& g) { g[0] = y[1] - y[0] * y[0]; };
  p.lower = v2(-10, 0);
  p.upper = v2(10, 0.5);
  const auto r = CurveTracer().trace(p, v2(0, 0), v2(1, 0), true);
  CHECK(r.forward_end == CurveEnd::kLeftBox);
  CHECK(r.backward_end == CurveEnd::kLeftBox);
  const auto& a = r.points.front().y;
  const auto& b = r.points.back().y;
  CHECK(a[1] == 0.5);
  CHECK(b[1] == 0.5);
  CHECK(a[0] == doctest::Approx(-std::sqrt(0.5)).epsilon(1e-10));
  CHECK(b[0] == doctest::Approx(std::sqrt(0.5)).epsilon(1e-10));
  for (std::size_t i = 1; i < r.points.size(); ++i) CHECK(r.points[i].y[0] > r.points[i - 1].y[0]);
}

TEST_CASE("curve: the tracer goes round a fold of the curve in its first coordinate") {
  // x = 1 - (y - 1)^2 on y in [0, 2]: x has a maximum (a fold in x) at y = 1.
  CurveProblem p;
  p.equations = 1;
  p.residual = [](const VectorXd& y, VectorXd& g) { g[0] = y[0] - 1.0 + (y[1] - 1.0) * (y[1] - 1.0); };
  p.lower = v2(-1, 0);
  p.upper = v2(2, 2);
  const auto r = CurveTracer().trace(p, v2(0, 0), v2(0, 1), false);
  CHECK(r.forward_end == CurveEnd::kLeftBox);
  CHECK(r.points.back().y[1] == 2.0);
  CHECK(r.points.back().y[0] == doctest::Approx(0.0).scale(1.0).epsilon(1e-10));
}

TEST_CASE("curve: options are validated") {
  CurveTracer::Options o;
  o.min_step = 1.0;
  try {
    o.validate();
    FAIL("expected InputError");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "curve.min_step: min_step = 1 is out of range; expected 0 < min_step <= step");
  }
}
