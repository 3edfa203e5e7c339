#!/usr/bin/env bash
# Installs uringsim's build and test dependencies from Debian's packages.
# Idempotent: packages already present are not fetched again, and apt's lists are
# refreshed only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake g++ pkg-config
  libboost-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  liburing-dev fio
)
# `--tests`: what only the test suite needs (the HTML report is checked in a real
# headless Chromium; scripts/test.sh builds the libFuzzer targets with clang 14 and
# its sanitizer/libFuzzer runtimes).
if [ "${1:-}" = "--tests" ]; then
  packages+=(chromium clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
