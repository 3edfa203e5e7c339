#!/usr/bin/env bash
# The main job on its embedded default: real liburing programs (built against Debian's
# liburing, which issues the io_uring syscalls inline) run unmodified under
# `uringsim run`, and the simulated Linux 6.18 answers every io_uring_setup/enter/register.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
B=build/bin
echo
echo "== uringsim run -- uring_cat /etc/os-release      (READV through the simulated kernel)"
$B/uringsim run -- $B/examples/uring_cat /etc/os-release
echo
echo "== uringsim run -- uring_nop_ping 1000"
$B/uringsim run -- $B/examples/uring_nop_ping 1000
echo
echo "== uringsim run --explain -- uring_copy_fixed    (registered buffers, every call explained)"
tmp=$(mktemp)
$B/uringsim run --explain --color never -- $B/examples/uring_copy_fixed /etc/os-release "$tmp"
cmp /etc/os-release "$tmp" && echo "copy is byte-identical"
rm -f "$tmp"
