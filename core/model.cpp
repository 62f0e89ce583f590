#include "saddle/model.hpp"

#include <algorithm>

#include "saddle/error.hpp"
#include "saddle/problem.hpp"

namespace saddle {

bool ParameterInfo::contains(double v) const {
  if (!std::isfinite(v)) return false;
  if (lower_open ? !(v > lower) : !(v >= lower)) return false;
  if (upper_open ? !(v < upper) : !(v <= upper)) return false;
  return true;
}

std::string ParameterInfo::range_text() const {
  const bool has_lower = std::isfinite(lower), has_upper = std::isfinite(upper);
  if (!has_lower && !has_upper) return "any finite number";
  if (has_lower && !has_upper)
    return name + (lower_open ? " > " : " >= ") + format_number(lower);
  if (!has_lower) return name + (upper_open ? " < " : " <= ") + format_number(upper);
  return format_number(lower) + (lower_open ? " < " : " <= ") + name + (upper_open ? " < " : " <= ") +
         format_number(upper);
}

std::string to_string(Objective o) {
  switch (o) {
    case Objective::kNone: return "none";
    case Objective::kMinimiseFreeEnergy: return "minimise_free_energy";
    case Objective::kMaximiseFreeEntropy: return "maximise_free_entropy";
  }
  return "none";
}

Domain FixedPointModel::domain(const Point& p) const {
  const auto ops = order_parameters();
  Domain d{Eigen::VectorXd(ops.size()), Eigen::VectorXd(ops.size())};
  for (std::size_t i = 0; i < ops.size(); ++i) {
    d.lower[static_cast<Eigen::Index>(i)] = ops[i].lower;
    d.upper[static_cast<Eigen::Index>(i)] = ops[i].upper;
  }
  return d;
}

namespace {
template <class Info>
std::vector<std::string> names_of(const std::vector<Info>& infos) {
  std::vector<std::string> out;
  out.reserve(infos.size());
  for (const auto& i : infos) out.push_back(i.name);
  return out;
}
int index_in(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}
}  // namespace

std::vector<std::string> FixedPointModel::parameter_names() const { return names_of(parameters()); }
std::vector<std::string> FixedPointModel::option_names() const { return names_of(options()); }
std::vector<std::string> FixedPointModel::order_parameter_names() const {
  return names_of(order_parameters());
}
std::vector<std::string> FixedPointModel::observable_names() const { return names_of(observables()); }
int FixedPointModel::parameter_index(const std::string& name) const {
  return index_in(parameter_names(), name);
}
int FixedPointModel::option_index(const std::string& name) const {
  return index_in(option_names(), name);
}
int FixedPointModel::order_parameter_index(const std::string& name) const {
  return index_in(order_parameter_names(), name);
}

Point FixedPointModel::default_point() const {
  const auto ps = parameters();
  const auto os = options();
  Point p;
  p.params.resize(static_cast<Eigen::Index>(ps.size()));
  for (std::size_t i = 0; i < ps.size(); ++i) p.params[static_cast<Eigen::Index>(i)] = ps[i].default_value;
  for (const auto& o : os) p.options.push_back(o.default_value);
  return p;
}

void ModelRegistry::add(std::unique_ptr<FixedPointModel> model) {
  const std::string id = model->id();
  if (models_.count(id)) throw InternalError("model id registered twice: " + id);
  models_.emplace(id, std::move(model));
}

const FixedPointModel& ModelRegistry::get(const std::string& id, const std::string& where) const {
  const auto it = models_.find(id);
  if (it == models_.end()) {
    throw InputError("model.unknown", where,
                     "unknown model '" + id + "'" + did_you_mean(id, ids()) +
                         "; `saddle models` lists the models");
  }
  return *it->second;
}

bool ModelRegistry::contains(const std::string& id) const { return models_.count(id) > 0; }

std::vector<std::string> ModelRegistry::ids() const {
  std::vector<std::string> out;
  for (const auto& kv : models_) out.push_back(kv.first);
  return out;
}

FixedPointProblem make_problem(const FixedPointModel& model, const Point& point) {
  FixedPointProblem problem;
  const Domain d = model.domain(point);
  problem.lower = d.lower;
  problem.upper = d.upper;
  problem.map = [&model, point](const Eigen::VectorXd& x, Eigen::VectorXd& fx) {
    model.map(x, point, fx);
  };
  problem.jacobian = [&model, point](const Eigen::VectorXd& x, Eigen::MatrixXd& jac) {
    return model.jacobian(x, point, jac);
  };
  return problem;
}

std::vector<std::string> FixedPointModel::branch_names(const Point& p) const {
  std::vector<std::string> names;
  for (const auto& seed : branches(p)) names.push_back(seed.name);
  return names;
}

}  // namespace saddle
