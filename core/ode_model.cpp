// Helpers of the OdeModel interface (include/saddle/ode.hpp) derived from its declarations.
#include <algorithm>

#include "saddle/ode.hpp"

namespace saddle {

namespace {
int index_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}
}  // namespace

std::vector<std::string> OdeModel::parameter_names() const {
  std::vector<std::string> out;
  for (const auto& p : parameters()) out.push_back(p.name);
  return out;
}
std::vector<std::string> OdeModel::option_names() const {
  std::vector<std::string> out;
  for (const auto& o : options()) out.push_back(o.name);
  return out;
}
std::vector<std::string> OdeModel::observable_names(const Point& p) const {
  std::vector<std::string> out;
  for (const auto& o : observables(p)) out.push_back(o.name);
  return out;
}
int OdeModel::parameter_index(const std::string& name) const {
  return index_of(parameter_names(), name);
}
int OdeModel::option_index(const std::string& name) const {
  return index_of(option_names(), name);
}

Point OdeModel::default_point() const {
  const auto ps = parameters();
  Point p;
  p.params.resize(static_cast<Eigen::Index>(ps.size()));
  for (std::size_t i = 0; i < ps.size(); ++i)
    p.params[static_cast<Eigen::Index>(i)] = ps[i].default_value;
  for (const auto& o : options()) p.options.push_back(o.default_value);
  return p;
}

}  // namespace saddle
