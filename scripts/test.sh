#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, differential against this
# host's Linux where it has io_uring, and end-to-end through `uringsim run`), then a
# short libFuzzer campaign of each fuzz target under ASan/UBSan
# (scripts/libfuzzer_campaign.sh; URINGSIM_LIBFUZZER_SECONDS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --tests
(cd build && ctest --output-on-failure -j2 --timeout 300)
bash scripts/libfuzzer_campaign.sh
