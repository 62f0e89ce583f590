// Running the saddle command line in-process from tests, and reading what it wrote.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"

namespace saddle::test {

struct CliResult {
  int code;
  std::string out;
  std::string err;
};

// run_cli with "saddle" prepended; stdout and stderr captured.
inline CliResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), "saddle");
  std::ostringstream out, err;
  const int code = saddle::run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace saddle::test
