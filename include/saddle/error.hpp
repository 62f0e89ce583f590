// Errors that users see. Bad input is an InputError thrown before any work starts; the command
// line prints its message on one line and exits with code 2 (design.md, "Exit codes").
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace saddle {

// Exit codes of the `saddle` program.
// kInternalError: a failure inside saddle or a tool it runs (gnuplot), not the user's input.
enum class ExitCode : int { kSuccess = 0, kNotConverged = 1, kBadInput = 2, kInternalError = 3 };

// Bad input: a spec, a flag, a file or a parameter out of range. `id` is stable
// ("spec.unknown_key", "param.out_of_range", ...) so that scripts and tests can match on it;
// `where` names the JSON path, flag or file ("/params/alpha", "--set", "spec.json").
// what() is the full one-line message: "<where>: <message>".
class InputError : public std::runtime_error {
 public:
  InputError(std::string id, std::string where, const std::string& message);
  const std::string& id() const { return id_; }
  const std::string& where() const { return where_; }

 private:
  std::string id_;
  std::string where_;
};

// A bug or a numerical failure inside saddle (not the user's fault).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Damerau-Levenshtein-style edit distance, used to suggest the closest valid key.
std::size_t edit_distance(const std::string& a, const std::string& b);

// The candidate closest to `word` (by edit distance), or "" when none is close enough
// (distance above max(2, word.size()/2)).
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" when a close candidate exists, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// Formats a double the way messages show values: shortest round-trip form ("0.05", "1e-12",
// "nan", "inf").
std::string format_number(double v);

}  // namespace saddle
