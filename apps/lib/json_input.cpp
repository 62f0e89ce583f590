#include "json_input.hpp"

#include <algorithm>
#include <cmath>

#include "saddle/error.hpp"

namespace saddle {

using nlohmann::json;

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

std::string where_of(const std::string& source, const std::string& path) {
  if (source.empty()) return path;
  if (path.empty()) return source;
  return source + ": " + path;
}

std::string type_name(const json& v) {
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_null()) return "null";
  if (v.is_array()) return "array";
  return "object";
}

std::string describe_value(const json& v) {
  std::string s = v.dump();
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return type_name(v) + " " + s;
}

// Checks that every key of `obj` is in `allowed`.
void check_keys(const json& obj, const std::vector<std::string>& allowed, const std::string& source,
                const std::string& path, const std::string& what) {
  if (!obj.is_object())
    throw InputError("spec.wrong_type", where_of(source, path.empty() ? "/" : path),
                     "expected an object, got " + describe_value(obj));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      throw InputError("spec.unknown_key", where_of(source, path + "/" + it.key()),
                       "unknown " + what + " '" + it.key() + "'" + did_you_mean(it.key(), allowed) +
                           "; valid: " + join(allowed));
    }
  }
}

const json& require_object(const json& v, const std::string& source, const std::string& path) {
  if (!v.is_object())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected an object, got " + describe_value(v));
  return v;
}

double require_number(const json& v, const std::string& source, const std::string& path) {
  if (!v.is_number() || v.is_boolean())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected a number, got " + describe_value(v));
  const double d = v.get<double>();
  if (!std::isfinite(d))
    throw InputError("spec.not_finite", where_of(source, path),
                     "value " + format_number(d) + " is not a finite number");
  return d;
}

int require_int(const json& v, const std::string& source, const std::string& path) {
  const double d = require_number(v, source, path);
  if (d != std::floor(d) || std::fabs(d) > 2e9)
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected an integer, got " + format_number(d));
  return static_cast<int>(d);
}

bool require_bool(const json& v, const std::string& source, const std::string& path) {
  if (!v.is_boolean())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected true or false, got " + describe_value(v));
  return v.get<bool>();
}

std::string require_string(const json& v, const std::string& source, const std::string& path) {
  if (!v.is_string())
    throw InputError("spec.wrong_type", where_of(source, path),
                     "expected a string, got " + describe_value(v));
  return v.get<std::string>();
}

}  // namespace saddle
