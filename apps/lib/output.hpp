// Writing result directories: CSV tables and summary.json, each file written to a temporary name
// and renamed into place, so a reader never sees a half-written file.
#pragma once

#include <ostream>

#include "saddle/model.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace saddle {

// Creates `dir` (and parents) and checks it is writable; throws InputError("output.unwritable")
// naming the directory and the system's reason. Call before any work.
void prepare_output_dir(const std::string& dir);

// Writes `content` to dir/name atomically (temporary file + rename).
void write_file_atomic(const std::string& dir, const std::string& name, const std::string& content);

// A CSV table: header row, then rows; cells with commas or quotes are quoted.
std::string csv_table(const std::vector<std::string>& columns,
                      const std::vector<std::vector<std::string>>& rows);

// Shortest round-trip text of a double for tables ("0.05", "1e-12"; never "nan" silently:
// callers mark non-converged rows in a status column).
std::string csv_number(double v);

// The "parameters:" and "options:" blocks of `saddle describe` (fixed-point and ODE models alike),
// names padded to `width`.
void describe_parameters_and_options(const std::vector<ParameterInfo>& parameters,
                                     const std::vector<OptionInfo>& options, std::size_t width,
                                     std::ostream& out);

}  // namespace saddle
