// The `saddle` command line, callable in-process (tests) or from main().
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace saddle {

// Runs the command line with the given arguments (args[0] is the program name). Normal output
// goes to `out`, messages and errors to `err`. Returns the exit code (0, 1 not converged, 2 bad
// input).
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace saddle
