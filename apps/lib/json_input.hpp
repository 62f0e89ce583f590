// Reading JSON input (specs and task objects) with errors that name the file, the JSON path, the
// value and what was expected (InputError, exit code 2). Shared by every task's parser.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace saddle {

// "a, b, c"
std::string join(const std::vector<std::string>& items, const char* sep = ", ");
// "<source>: <path>" (either part may be empty).
std::string where_of(const std::string& source, const std::string& path);
// "number", "string", "boolean", "null", "array" or "object".
std::string type_name(const nlohmann::json& v);
// The type and (up to 40 characters of) the value: 'string "abc"'.
std::string describe_value(const nlohmann::json& v);

// Every key of `obj` must be in `allowed`; an unknown one is named with its path and the closest
// valid key ("spec.unknown_key").
void check_keys(const nlohmann::json& obj, const std::vector<std::string>& allowed,
                const std::string& source, const std::string& path, const std::string& what = "key");

// Typed reads ("spec.wrong_type"; non-finite numbers "spec.not_finite").
const nlohmann::json& require_object(const nlohmann::json& v, const std::string& source,
                                     const std::string& path);
double require_number(const nlohmann::json& v, const std::string& source, const std::string& path);
int require_int(const nlohmann::json& v, const std::string& source, const std::string& path);
bool require_bool(const nlohmann::json& v, const std::string& source, const std::string& path);
std::string require_string(const nlohmann::json& v, const std::string& source,
                           const std::string& path);

}  // namespace saddle
