#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, and
# runs the tests with ctest, as many at a time as the machine has cores (at least 2). Tests
# start their own PostgreSQL clusters, brokers and sluice processes on free ports and stop them
# by pid. Exits non-zero on any failure. README.md, "Tests", explains the tiers.
#
#   bash compose/test.sh                        # everything (what CI runs)
#   bash compose/test.sh --fast                 # the fast tier: builds only what it needs
#   bash compose/test.sh --repeat 3 -L slow     # each test up to 3 times, until one fails
#   bash compose/test.sh -L core                # other arguments go to ctest (here: one label)
#
# A full run (no arguments) also fuzzes every libFuzzer target for SLUICE_FUZZ_SECONDS
# (default 10) each with compose/fuzz.sh (clang, ASan + UBSan); SLUICE_FUZZ_SECONDS=0 skips it.
# After ctest it runs the unit and integration suites again under ASan + UBSan with
# compose/sanitize.sh (its own build in build/asan); SLUICE_SANITIZE=0 skips it. At its end a
# run prints the time of each stage and the 15 slowest tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source compose/packages.sh
source compose/stages.sh

fast=0
repeat=""
ctest_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --fast) fast=1 ;;
    --repeat)
      [ $# -ge 2 ] || { echo "--repeat needs a count" >&2; exit 2; }
      repeat=$2
      shift ;;
    *) ctest_args+=("$1") ;;
  esac
  shift
done
# Only a plain run (nothing to narrow it) adds the fuzz and sanitizer stages.
full_run=0
if [ $fast -eq 0 ] && [ -z "$repeat" ] && [ ${#ctest_args[@]} -eq 0 ]; then full_run=1; fi

build_dir=${SLUICE_BUILD_DIR:-build/test}
mkdir -p "$build_dir"
export SLUICE_STAGE_LOG
SLUICE_STAGE_LOG="$(realpath "$build_dir")/stage-times.tsv"
: >"$SLUICE_STAGE_LOG"
ctest_log="$build_dir/ctest-output.log"
: >"$ctest_log"
report() {
  set +e  # a report that fails halfway must not hide the rest, nor change the exit status
  stage_end
  slowest_tests "$ctest_log" 15
  stages_report
}
trap report EXIT

stage packages
ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_RUN_PACKAGES[@]}" "${SLUICE_TEST_PACKAGES[@]}"
ensure_node

stage build
echo "==> configuring ($build_dir)"
# The `ci` preset (CMakePresets.json): Release (-O3) with -g, unity build, warnings as errors, tests;
# the asan preset of sanitize.sh inherits it.
cmake --preset ci -B "$build_dir" >/dev/null
if [ $fast -eq 1 ]; then
  echo "==> building the fast tier (2 jobs)"
  cmake --build "$build_dir" -j2 --target sluice_fast_tests
  ctest_args+=(-L fast)
else
  echo "==> building (2 jobs)"
  cmake --build "$build_dir" -j2
fi

if [ $fast -eq 0 ]; then
  stage npm
  for dir in tests/e2e tests/openapi; do
    if [ -f $dir/package-lock.json ] && [ ! -d $dir/node_modules ]; then
      echo "==> installing the Node.js test tools of $dir (npm ci)"
      (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
    fi
  done
fi

# Before ctest, so that ctest's summary comes last but for the timings.
fuzz_seconds=${SLUICE_FUZZ_SECONDS:-10}
if [ $full_run -eq 1 ] && [ "$fuzz_seconds" -gt 0 ]; then
  stage fuzz
  echo "==> fuzzing each target for ${fuzz_seconds}s (compose/fuzz.sh)"
  bash compose/fuzz.sh "$fuzz_seconds"
fi

jobs=$(nproc)
[ "$jobs" -ge 2 ] || jobs=2
if [ -n "$repeat" ]; then ctest_args+=(--repeat "until-fail:$repeat"); fi
stage ctest
echo "==> running tests ($jobs at a time${ctest_args[*]:+: ${ctest_args[*]}})"
status=0
(cd "$build_dir" && ctest --output-on-failure --timeout 600 -j"$jobs" "${ctest_args[@]}") 2>&1 | tee "$ctest_log" ||
  status=$?

if [ $full_run -eq 1 ] && [ "${SLUICE_SANITIZE:-1}" != 0 ]; then
  # Runs even when ctest failed: one CI run reports both. sanitize.sh records its own stages.
  stage_end
  echo "==> unit and integration suites under ASan + UBSan (compose/sanitize.sh)"
  sanitize_status=0
  bash compose/sanitize.sh || sanitize_status=$?
  # The sanitized run printed its own summary; repeat the main one so both end the output.
  echo "==> main run (ctest in $build_dir):"
  sed -n '/tests passed, /,$p' "$ctest_log"
  echo "==> ctest exit $status, sanitize exit $sanitize_status"
  if [ "$status" -eq 0 ]; then status=$sanitize_status; fi
fi
exit $status
