#!/usr/bin/env bash
# The main job on its embedded default: a real liburing program (Debian's liburing,
# which issues io_uring syscalls inline) runs unmodified under `uringsim run`, and the
# simulated Linux 6.18 answers every io_uring_setup/enter/register it makes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
echo "== uringsim run -- build/examples/uring_cat README.md (first lines)"
build/bin/uringsim run -- build/examples/uring_cat README.md | head -n 5
echo "== uringsim run -- build/examples/uring_nop_ping 1000"
build/bin/uringsim run -- build/examples/uring_nop_ping 1000
