// The registry of models that ship with saddle. Adding a model: one include, one line.
#include "saddle/model.hpp"

namespace saddle {

std::unique_ptr<FixedPointModel> make_sk_model();
std::unique_ptr<FixedPointModel> make_hopfield_model();
std::unique_ptr<FixedPointModel> make_wigner_model();
std::unique_ptr<FixedPointModel> make_wishart_model();
std::unique_ptr<FixedPointModel> make_free_sum_model();
std::unique_ptr<FixedPointModel> make_free_product_model();
std::unique_ptr<FixedPointModel> make_jacobian_spectrum_model();

void register_builtin_models(ModelRegistry& registry) {
  registry.add(make_sk_model());
  registry.add(make_hopfield_model());
  registry.add(make_wigner_model());
  registry.add(make_wishart_model());
  registry.add(make_free_sum_model());
  registry.add(make_free_product_model());
  registry.add(make_jacobian_spectrum_model());
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
