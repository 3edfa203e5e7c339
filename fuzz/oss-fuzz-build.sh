#!/usr/bin/env bash
# OSS-Fuzz style build: builds the libFuzzer entry points with the environment's
# $CC/$CXX/$CFLAGS/$CXXFLAGS/$LIB_FUZZING_ENGINE and copies them, with seed corpora
# made from traces/samples/, to $OUT. Runs unchanged on ClusterFuzz (build.sh calls it)
# and locally:
#   CC=clang CXX=clang++ OUT=/tmp/fuzz-out fuzz/oss-fuzz-build.sh
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$SRC_DIR/build-oss-fuzz/out}"
WORK="${WORK:-$SRC_DIR/build-oss-fuzz/work}"
export CC="${CC:-clang}" CXX="${CXX:-clang++}"
mkdir -p "$OUT" "$WORK"

cmake -S "$SRC_DIR" -B "$WORK" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DURINGSIM_LIBFUZZER=ON
cmake --build "$WORK" -j"$(nproc)" --target fuzz_model fuzz_parser

for t in model parser; do
  cp "$WORK/bin/fuzz_$t" "$OUT/uringsim_fuzz_$t"
done

# Seed corpora: the sample traces (the parser's inputs as they are; the model target
# reads bytes as generator choices, so any bytes are a start).
corpus="$(mktemp -d)"
cp "$SRC_DIR"/traces/samples/*.jsonl "$corpus"/
(cd "$corpus" && zip -q -j "$OUT/uringsim_fuzz_parser_seed_corpus.zip" ./*.jsonl)
(cd "$corpus" && zip -q -j "$OUT/uringsim_fuzz_model_seed_corpus.zip" ./*.jsonl)
rm -rf "$corpus"
echo "built: $OUT/uringsim_fuzz_model $OUT/uringsim_fuzz_parser"
