// The model interface. A model states its equations as a fixed-point map x = F(x; p) over named
// order parameters; it holds no solver code and no state (all methods are const and thread-safe).
// Adding a model means writing one class and one line in models/builtin.cpp; no solver changes.
#pragma once

#include <Eigen/Dense>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace saddle {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// A real parameter with its default and its valid range. Open ends exclude the bound
// (alpha > 0 is lower = 0, lower_open = true).
struct ParameterInfo {
  std::string name;
  double default_value = 0.0;
  double lower = -kInf;
  double upper = kInf;
  bool lower_open = false;
  bool upper_open = false;
  std::string description;

  bool contains(double v) const;
  // "alpha > 0", "0 <= q <= 1", "any real number"
  std::string range_text() const;
};

// A discrete model option (prior, channel, activation, weights).
struct OptionInfo {
  std::string name;
  std::vector<std::string> choices;
  std::string default_value;
  std::string description;
};

// An order parameter: a component of the fixed-point vector, with the domain its iterates are
// kept in. Complex unknowns are declared as two real ones (g_re, g_im).
struct OrderParameterInfo {
  std::string name;
  double lower = -kInf;
  double upper = kInf;
  std::string description;
};

struct ObservableInfo {
  std::string name;
  std::string description;
};

// A named starting point ("retrieval", "spin_glass", "paramagnet").
struct BranchSeed {
  std::string name;
  Eigen::VectorXd x0;
};

struct Reference {
  std::string citation;  // "Amit, Gutfreund, Sompolinsky, Ann. Phys. 173, 30 (1987)"
  std::string used_for;  // "RS equations (3.10)-(3.12), free energy (3.9)"
};

// Whether the physical branch is the one of lowest free energy or of highest free entropy.
enum class Objective { kNone, kMinimiseFreeEnergy, kMaximiseFreeEntropy };
std::string to_string(Objective o);

// A parameter point: values in the order of FixedPointModel::parameters(), option values in the
// order of FixedPointModel::options().
struct Point {
  Eigen::VectorXd params;
  std::vector<std::string> options;
  double operator[](int i) const { return params[i]; }
};

// Box domain of the order parameters at one parameter point; iterates are projected into it.
struct Domain {
  Eigen::VectorXd lower;
  Eigen::VectorXd upper;
};

class FixedPointModel {
 public:
  virtual ~FixedPointModel() = default;

  virtual std::string id() const = 0;
  virtual std::string title() const = 0;
  virtual std::vector<Reference> references() const = 0;
  virtual std::vector<ParameterInfo> parameters() const = 0;
  virtual std::vector<OptionInfo> options() const { return {}; }
  virtual std::vector<OrderParameterInfo> order_parameters() const = 0;
  virtual std::vector<ObservableInfo> observables() const { return {}; }
  // One line per default branch for `saddle describe`: "retrieval: m = 1, q = 1, r = 1".
  virtual std::vector<std::string> branch_notes() const { return {}; }

  // Cross-parameter checks beyond the declared ranges; throws InputError naming the parameter.
  virtual void validate(const Point& p) const {}

  // Default starting points at p, one per branch that exists there.
  virtual std::vector<BranchSeed> branches(const Point& p) const = 0;
  // The names of branches(p), in the same order. Override when seeds cost real work (a scan asks
  // for the names at every grid point but for seeds only at cold starts).
  virtual std::vector<std::string> branch_names(const Point& p) const;

  // Domain at p. Default: the declared order-parameter bounds.
  virtual Domain domain(const Point& p) const;

  // The map F(x; p). x lies in domain(p). fx has the size of x.
  virtual void map(const Eigen::VectorXd& x, const Point& p, Eigen::VectorXd& fx) const = 0;

  // Optional analytic Jacobian dF/dx. Return false when not provided (finite differences are used).
  virtual bool jacobian(const Eigen::VectorXd& x, const Point& p, Eigen::MatrixXd& jac) const {
    return false;
  }

  virtual Objective objective() const { return Objective::kNone; }
  // Free energy (or free entropy, per objective()) per degree of freedom at a solution.
  virtual std::optional<double> free_energy(const Eigen::VectorXd& x, const Point& p) const {
    return std::nullopt;
  }
  // Values in the order of observables().
  virtual Eigen::VectorXd observable_values(const Eigen::VectorXd& x, const Point& p) const {
    return Eigen::VectorXd();
  }
  // Phase label of a solution ("retrieval", "spin_glass", "paramagnet"), "" if the model has none.
  virtual std::string phase(const Eigen::VectorXd& x, const Point& p) const { return ""; }
  // Whether x is an admissible solution beyond the box domain (e.g. 1 - beta (1 - q) > 0 in the
  // Hopfield model); returns an explanation when it is not.
  virtual std::optional<std::string> inadmissible(const Eigen::VectorXd& x, const Point& p) const {
    return std::nullopt;
  }

  // Helpers derived from the declarations above.
  int parameter_index(const std::string& name) const;  // -1 if absent
  int option_index(const std::string& name) const;     // -1 if absent
  int order_parameter_index(const std::string& name) const;
  std::vector<std::string> parameter_names() const;
  std::vector<std::string> option_names() const;
  std::vector<std::string> order_parameter_names() const;
  std::vector<std::string> observable_names() const;
  // Point with every parameter and option at its default.
  Point default_point() const;
};

using ModelFactory = std::unique_ptr<FixedPointModel> (*)();

// Models by id. apps/ fills one with register_builtin_models() (models/builtin.cpp).
class ModelRegistry {
 public:
  void add(std::unique_ptr<FixedPointModel> model);
  // Throws InputError("model.unknown", where, ...) naming the closest id.
  const FixedPointModel& get(const std::string& id, const std::string& where = "model") const;
  bool contains(const std::string& id) const;
  std::vector<std::string> ids() const;  // sorted

 private:
  std::map<std::string, std::unique_ptr<FixedPointModel>> models_;
};

// Every model that ships with saddle (defined in models/builtin.cpp).
void register_builtin_models(ModelRegistry& registry);
const ModelRegistry& builtin_registry();

}  // namespace saddle
