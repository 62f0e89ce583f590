#!/usr/bin/env bash
# Quick start: install what is missing, build in Release, and run the main example
# (Hopfield network at alpha = 0.05, T = 0.5: retrieval and spin-glass branches), leaving its
# tables in out/hopfield-point/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
build/bin/saddle run data/specs/hopfield-point.json -o out/hopfield-point
echo
column -s, -t < out/hopfield-point/solutions.csv | cut -c1-200
