#!/usr/bin/env bash
# The README's test command: installs what is missing, builds with warnings as errors, and
# runs every test (ctest). Tests start their own PostgreSQL clusters, brokers and sluice
# processes on free ports and stop them by pid. Exits non-zero on any failure.
#
#   bash compose/test.sh            # everything
#   bash compose/test.sh -L core    # extra arguments go to ctest (here: one label)
#
# A full run (no arguments) also fuzzes every libFuzzer target for SLUICE_FUZZ_SECONDS
# (default 10) each with compose/fuzz.sh (clang, ASan + UBSan); SLUICE_FUZZ_SECONDS=0 skips it.
# After ctest it runs the unit and integration suites again under ASan + UBSan with
# compose/sanitize.sh (its own build in build/asan, about 8 minutes on two cores);
# SLUICE_SANITIZE=0 skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
source compose/packages.sh

ensure_packages "${SLUICE_BUILD_PACKAGES[@]}" "${SLUICE_RUN_PACKAGES[@]}" "${SLUICE_TEST_PACKAGES[@]}"
ensure_node

build_dir=${SLUICE_BUILD_DIR:-build/test}
echo "==> configuring ($build_dir)"
# The `ci` preset (CMakePresets.json): RelWithDebInfo, warnings as errors, tests; the asan
# preset of sanitize.sh inherits it.
cmake --preset ci -B "$build_dir" >/dev/null
echo "==> building (2 jobs)"
cmake --build "$build_dir" -j2

if [ -f tests/e2e/package-lock.json ] && [ ! -d tests/e2e/node_modules ]; then
  echo "==> installing browser test tools (npm ci)"
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ -f tests/openapi/package-lock.json ] && [ ! -d tests/openapi/node_modules ]; then
  echo "==> installing the OpenAPI test's validators (npm ci)"
  (cd tests/openapi && npm ci --no-audit --no-fund --loglevel=error)
fi

# Before ctest, so that ctest's summary is the last thing printed.
fuzz_seconds=${SLUICE_FUZZ_SECONDS:-10}
if [ $# -eq 0 ] && [ "$fuzz_seconds" -gt 0 ]; then
  echo "==> fuzzing each target for ${fuzz_seconds}s (compose/fuzz.sh)"
  bash compose/fuzz.sh "$fuzz_seconds"
fi

echo "==> running tests"
ctest_log="$build_dir/ctest-output.log"
status=0
(cd "$build_dir" && ctest --output-on-failure --timeout 600 "$@") 2>&1 | tee "$ctest_log" || status=$?

if [ $# -eq 0 ] && [ "${SLUICE_SANITIZE:-1}" != 0 ]; then
  # Runs even when ctest failed: one CI run reports both.
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
