#!/usr/bin/env bash
# The unit and integration suite under AddressSanitizer + UndefinedBehaviorSanitizer: configures
# the `asan` preset (build/asan, Debug, -fsanitize=address,undefined, warnings as errors), builds
# everything, and runs ctest with every sanitizer halting on its first report. Every process a
# test starts (sluice run, sluice broker, ...) is the sanitized build too; their reports go to
# build/asan/sanitizer-logs/, and any file there fails the run even if the test itself passed.
# compose/test.sh runs it after the main ctest (CI), so the preset is tuned for build time: a
# unity build (as the ci preset: each target's sources compiled in batches, so the json/fmt
# templates most files use are instrumented once per batch, not once per file) and -g1 (line
# tables, all a report needs); together about 35% less than a plain Debug build on two cores.
# Tests run as many at a time as the machine has cores (at least 2), as in compose/test.sh.
#
#   bash compose/sanitize.sh                    # labels core|unit|integration|rest|postgres|kafka|security
#   bash compose/sanitize.sh -L core            # extra arguments go to ctest (the build is the same:
#                                               # the suites of SLUICE_SANITIZED_LABELS)
#   SLUICE_JOBS=1 bash compose/sanitize.sh      # build with one job (default 2)
#   SLUICE_SANITIZE_BUILD_DIR=/tmp/asan bash compose/sanitize.sh   # another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
source compose/packages.sh
source compose/stages.sh
ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_RUN_PACKAGES[@]}" "${SLUICE_TEST_PACKAGES[@]}"

build_dir=${SLUICE_SANITIZE_BUILD_DIR:-build/asan}
jobs=${SLUICE_JOBS:-2}
started=$(date +%s)
stage "sanitizer build"
echo "==> configuring ($build_dir, preset asan)"
cmake --preset asan -B "$build_dir" >/dev/null
echo "==> building the sanitized suites ($jobs jobs)"
cmake --build "$build_dir" -j"$jobs" --target sluice_sanitized_tests
built=$(date +%s)

logs="$(realpath -m "$build_dir")/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# halt_on_error/abort_on_error: the first report ends the process (a test then fails on its
# exit status); log_path: reports of child processes are kept even when a test only looks at
# their exit code. detect_leaks: LeakSanitizer runs at every normal exit.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/compose/lsan.supp:print_suppressions=0"

args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  # SLUICE_SANITIZED_LABELS (tests/CMakeLists.txt) as a ctest regex: what the target built.
  labels=$(sed -n 's/^SLUICE_SANITIZED_LABELS:STRING=//p' "$build_dir/CMakeCache.txt")
  args=(-L "${labels//;/|}")
fi
ctest_jobs=$(nproc)
[ "$ctest_jobs" -ge 2 ] || ctest_jobs=2
stage "sanitizer tests"
echo "==> running tests under ASan + UBSan, $ctest_jobs at a time (${args[*]})"
status=0
(cd "$build_dir" && ctest --output-on-failure --timeout 900 -j"$ctest_jobs" "${args[@]}") || status=$?
stage_end

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  echo "==> sanitizer reports:"
  for report in $reports; do
    echo "---- $report"
    head -n 60 "$report"
  done
  status=1
fi
finished=$(date +%s)
echo "==> sanitize: build $((built - started)) s, tests $((finished - built)) s, exit $status"
exit $status
