#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to the whole test suite: install, build, ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j "$(nproc)"
