#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, differential against this
# host's Linux where it has io_uring, and end-to-end through `uringsim run`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --tests
cd build
ctest --output-on-failure -j2 --timeout 300
