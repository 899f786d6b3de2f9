#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for SECONDS
# (default 60) from its corpus in tests/fuzz/corpus. Exits non-zero on a crash; the
# crashing input is left in build/fuzz/artifacts/.
#
#   bash compose/fuzz.sh          # one minute per target
#   bash compose/fuzz.sh 600      # the documented ten-minute run
set -euo pipefail
cd "$(dirname "$0")/.."
source compose/packages.sh
ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_TEST_PACKAGES[@]}" "${SLUICE_FUZZ_PACKAGES[@]}"

seconds=${1:-60}
build_dir=build/fuzz
# Only what the targets load: the pipeline-file target plans against the file, stdout and
# order_validate plugins and the test fixtures; the rest would double the build for nothing.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_FUZZ=ON \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DSLUICE_ONLY_PLUGINS="file;stdout;order_validate" -DSLUICE_ONLY_TESTS="fuzz" >/dev/null
targets=$(cd tests/fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
cmake --build "$build_dir" -j2 --target $targets
mkdir -p "$build_dir/artifacts"
for target in $targets; do
  corpus=tests/fuzz/corpus/${target#fuzz_}
  work="$build_dir/corpus/${target#fuzz_}"
  mkdir -p "$work"
  echo "==> $target for ${seconds}s (corpus $corpus)"
  "$build_dir/tests/fuzz/$target" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$build_dir/artifacts/${target}-" "$work" "$corpus" 2>&1 | tail -n 12
done
