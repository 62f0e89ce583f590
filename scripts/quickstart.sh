#!/usr/bin/env bash
# Quick start: install what is missing, build in Release, and run the main example: the phase
# diagram of the Hopfield network in the (alpha, T) plane (AGS 1987, Fig. 1), traced by
# continuation, with its plot; then one point (alpha = 0.05, T = 0.5) with every branch.
# Leaves out/hopfield-phase-diagram/ (boundary_*.csv, summary.json, plot.png/svg) and
# out/hopfield-point/ (solutions.csv, summary.json).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
build/bin/saddle run data/specs/hopfield-phase-diagram.json -o out/hopfield-phase-diagram
build/bin/saddle plot out/hopfield-phase-diagram
build/bin/saddle run data/specs/hopfield-point.json -o out/hopfield-point
echo
column -s, -t < out/hopfield-point/solutions.csv | cut -c1-200
