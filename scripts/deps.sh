#!/usr/bin/env bash
# Installs the Debian packages saddle needs, only those that are missing.
# Used by scripts/quickstart.sh and scripts/test.sh; safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  g++ cmake make            # compiler and build system
  libeigen3-dev             # Eigen: linear algebra (Anderson least squares, Newton, eigenvalues)
  libgsl-dev                # GSL: special functions, Gauss-Hermite/Legendre nodes, multiroot
  libboost-dev              # Boost.Odeint: ODE models
  nlohmann-json3-dev        # nlohmann/json: specs and outputs
  libcli11-dev              # CLI11: the command line
  doctest-dev               # doctest: the test suite
  gnuplot-nox               # gnuplot: `saddle plot` (PNG and SVG)
  python3-numpy             # numpy: the peers of two benchmarks (bench/nn_kernel_numpy.py, bench/mp_numpy.py); no test needs it
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "saddle: installing missing packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "saddle: need root (or sudo) to install: ${missing[*]}" >&2
    exit 2
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
