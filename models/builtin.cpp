#include "saddle/model.hpp"
namespace saddle {
void register_builtin_models(ModelRegistry& registry) {}
}  // namespace saddle
