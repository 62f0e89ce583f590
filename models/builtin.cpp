// The registry of models that ship with saddle. Adding a model: one include, one line.
#include "saddle/model.hpp"
#include "saddle/ode.hpp"

namespace saddle {

std::unique_ptr<FixedPointModel> make_sk_model();
std::unique_ptr<FixedPointModel> make_hopfield_model();
std::unique_ptr<FixedPointModel> make_glm_model();
std::unique_ptr<FixedPointModel> make_perceptron_storage_model();
std::unique_ptr<FixedPointModel> make_signal_propagation_model();
std::unique_ptr<FixedPointModel> make_kernel_regression_model();
std::unique_ptr<FixedPointModel> make_scs_rnn_model();
std::unique_ptr<FixedPointModel> make_wigner_model();
std::unique_ptr<FixedPointModel> make_wishart_model();
std::unique_ptr<FixedPointModel> make_free_sum_model();
std::unique_ptr<FixedPointModel> make_free_product_model();
std::unique_ptr<FixedPointModel> make_jacobian_spectrum_model();

void register_builtin_models(ModelRegistry& registry) {
  registry.add(make_sk_model());
  registry.add(make_hopfield_model());
  registry.add(make_glm_model());
  registry.add(make_perceptron_storage_model());
  registry.add(make_signal_propagation_model());
  registry.add(make_kernel_regression_model());
  registry.add(make_scs_rnn_model());
  registry.add(make_wigner_model());
  registry.add(make_wishart_model());
  registry.add(make_free_sum_model());
  registry.add(make_free_product_model());
  registry.add(make_jacobian_spectrum_model());
}

// ODE models (include/saddle/ode.hpp), run by the "trajectory" task.
std::unique_ptr<OdeModel> make_committee_online_model();
std::unique_ptr<OdeModel> make_scs_rnn_ode_model();

namespace {
const std::vector<std::unique_ptr<OdeModel>>& ode_models() {
  static const std::vector<std::unique_ptr<OdeModel>> models = [] {
    std::vector<std::unique_ptr<OdeModel>> m;
    m.push_back(make_committee_online_model());
    m.push_back(make_scs_rnn_ode_model());
    return m;
  }();
  return models;
}
}  // namespace

std::vector<std::string> builtin_ode_model_ids() {
  std::vector<std::string> ids;
  for (const auto& m : ode_models()) ids.push_back(m->id());
  return ids;
}

const OdeModel* find_builtin_ode_model(const std::string& id) {
  for (const auto& m : ode_models())
    if (m->id() == id) return m.get();
  return nullptr;
}

const ModelRegistry& builtin_registry() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    register_builtin_models(r);
    return r;
  }();
  return registry;
}

}  // namespace saddle
