#!/usr/bin/env bash
# A short libFuzzer campaign of each fuzz target under ASan + UBSan (docs/fuzzing.md),
# as scripts/test.sh runs it after ctest: builds fuzz_model and fuzz_parser with clang 14
# in their own build directory (nothing else is built there), seeds both from
# traces/samples/, runs them side by side for a fixed time, and fails on any crash, leak
# or UBSan report, printing the reproducer and how to re-run it.
#
#   URINGSIM_LIBFUZZER_SECONDS  seconds per target (default 45; 0 skips everything)
#   URINGSIM_LIBFUZZER_DIR      build directory (default build/libfuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${URINGSIM_LIBFUZZER_SECONDS:-45}"
lf="${URINGSIM_LIBFUZZER_DIR:-build/libfuzzer}"
if [ "$seconds" = "0" ]; then
  echo "libfuzzer: skipped (URINGSIM_LIBFUZZER_SECONDS=0)"
  exit 0
fi
start=$(date +%s)
mkdir -p "$lf"
if [ ! -f "$lf/CMakeCache.txt" ]; then
  # -O1 with line tables only: what libFuzzer builds usually use, and much quicker to
  # compile under ASan than -O2 -g (asserts stay on).
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$lf" -DURINGSIM_LIBFUZZER=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" -DCMAKE_C_FLAGS_DEBUG="-O1 -gline-tables-only" \
    > "$lf/configure.log" 2>&1 || { cat "$lf/configure.log"; exit 1; }
fi
cmake --build "$lf" -j"$(nproc)" --target fuzz_model fuzz_parser > "$lf/build.log" 2>&1 ||
  { tail -n 60 "$lf/build.log"; echo "libfuzzer: the clang build failed (log: $lf/build.log)"; exit 1; }
built=$(date +%s)
echo "libfuzzer: fuzz_model and fuzz_parser built in $((built - start)) s"

rm -rf "$lf/campaign"
pids=()
for t in model parser; do
  dir="$lf/campaign/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  cp traces/samples/*.jsonl "$dir/corpus/"
  "$lf/bin/fuzz_$t" "$dir/corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/artifacts/" > "$dir/log" 2>&1 &
  pids+=($!)
done
failed=0
i=0
for t in model parser; do
  dir="$lf/campaign/$t"
  if wait "${pids[$i]}"; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$dir/log" | grep -o '[0-9]*$' || echo "?")
    echo "libfuzzer: fuzz_$t: ${seconds} s, $runs inputs, no crash, leak or UBSan report"
  else
    failed=1
    echo "libfuzzer: fuzz_$t FAILED; the end of $dir/log:"
    tail -n 40 "$dir/log"
    for a in "$dir"/artifacts/*; do
      if [ -e "$a" ]; then echo "libfuzzer: reproducer: $a (re-run: $lf/bin/fuzz_$t $a)"; fi
    done
  fi
  i=$((i + 1))
done
echo "libfuzzer: $(($(date +%s) - start)) s in all"
exit "$failed"
