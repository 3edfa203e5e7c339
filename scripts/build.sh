#!/usr/bin/env bash
# Installs the dependencies (Debian packages, idempotent) and builds everything into build/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh "$@"
cmake -S . -B build -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" > build-cmake.log 2>&1 || { cat build-cmake.log; exit 1; }
rm -f build-cmake.log
cmake --build build -j"$(nproc)"
