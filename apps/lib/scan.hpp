// Task "scan": a Cartesian grid of parameter points, each line along the "along" axis solved as a
// natural-parameter continuation with secant-predicted warm starts, for every branch. Lines are
// independent and run in parallel; results are in grid order whatever the number of jobs.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "runner.hpp"
#include "saddle/spec.hpp"

namespace saddle {

struct ScanOptions {
  int jobs = 1;                // worker threads (>= 1)
  bool progress = false;       // progress line on `progress_out` for runs longer than a second
  std::size_t shard_index = 1; // this part, 1-based
  std::size_t shard_count = 1; // number of deterministic parts of the grid (contiguous line blocks)
};

struct ScanPoint {
  Point point;
  std::vector<SolutionRecord> records;  // one per branch offered at this point
};

struct ScanResult {
  std::size_t first_line = 0, end_line = 0, total_lines = 0;
  std::vector<ScanPoint> points;  // grid order: lines in order, along-axis values in order
  long map_evaluations = 0;
  long branch_solves = 0;
  long converged = 0;
  long cold_restarts = 0;        // warm start failed and the branch seed was used instead
  double seconds = 0.0;
};

// Checks what can only be checked against the model across the grid (branch names exist
// somewhere on the grid); throws InputError. Call before creating output.
void preflight_scan(const Spec& spec);

ScanResult run_scan(const Spec& spec, const ScanOptions& options, std::ostream& progress_out);

// scan.csv: one row per (point, branch); phases.csv: one row per point with the selected branch.
std::string scan_table_csv(const Spec& spec, const ScanResult& result);
std::string phases_table_csv(const Spec& spec, const ScanResult& result);

}  // namespace saddle
