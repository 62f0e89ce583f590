#!/usr/bin/env bash
# Builds saddle and runs the whole default test suite (unit + validation tiers; the slow tier is
# opt-in: ctest --test-dir build -L slow). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -LE slow
