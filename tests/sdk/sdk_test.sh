#!/usr/bin/env bash
# The plugin SDK from the outside (ctest label: sdk).
#   sdk_test.sh BUILD_DIR SOURCE_DIR SCRATCH CXX_COMPILER
# 1. `cmake --install` of the build into a scratch prefix: headers, namelink, CMake package;
#    the installed headers include nothing that is not installed (no core/src header).
# 2. tests/sdk/example built against that prefix with find_package(Sluice), installed into the
#    prefix's plugin folder; the INSTALLED sluice lists it, validates and runs a pipeline with it
#    (file source -> add_field -> file sink) and the output has the added field.
# 3. The example built again against a copy of the prefix whose version.hpp names another
#    version: the installed sluice refuses it, naming the file and both build ids.
# The example is built with the compiler of the build (the build id names it), through ccache
# when the build uses it.
set -uo pipefail

build=$1 src=$2 scratch=$3 cxx=$4
example=$src/tests/sdk/example

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
finish() {
  if [ "$failures" -ne 0 ]; then echo "$failures failure(s); logs in $scratch"; exit 1; fi
  echo "all sdk checks passed"
  rm -rf "$scratch"
  exit 0
}
run_logged() { # run_logged LOG CMD...: CMD's output in LOG, shown on failure
  local log=$1; shift
  if "$@" >"$log" 2>&1; then return 0; fi
  echo "--- $* failed; $log:" >&2
  tail -30 "$log" >&2
  return 1
}

rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd -P)
# The installed binary only: no plugin folders from the environment.
unset SLUICE_PLUGIN_PATH LD_LIBRARY_PATH

launcher=$(sed -n 's/^CMAKE_CXX_COMPILER_LAUNCHER:[A-Z]*=//p' "$build/CMakeCache.txt")
build_example() { # build_example PREFIX BUILD_DIR
  run_logged "$2.configure.log" cmake -S "$example" -B "$2" -DCMAKE_PREFIX_PATH="$1" \
    -DCMAKE_CXX_COMPILER="$cxx" ${launcher:+-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher"} \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
    run_logged "$2.build.log" cmake --build "$2"
}

# ---- 1. the SDK in an installation ------------------------------------------------------------
prefix=$scratch/prefix
if ! run_logged "$scratch/install.log" cmake --install "$build" --prefix "$prefix"; then
  fail "cmake --install $build"
  finish
fi
for f in include/sluice/plugin.hpp include/sluice/abi.h include/sluice/version.hpp lib/libsluice_core.so \
         lib/cmake/Sluice/SluiceConfig.cmake lib/cmake/Sluice/SluiceConfigVersion.cmake \
         lib/cmake/Sluice/SluiceTargets.cmake lib/cmake/Sluice/SluicePlugin.cmake; do
  if [ -e "$prefix/$f" ]; then ok "installed $f"; else fail "$f not installed"; fi
done
grep -q 'define SLUICE_BUILD_ID' "$prefix/include/sluice/version.hpp" || fail "installed version.hpp has no SLUICE_BUILD_ID"
# Every quoted include of an installed header is an installed header: nothing from core/src.
while IFS=: read -r header included; do
  [ -f "$prefix/include/$included" ] || fail "$(basename "$header") includes \"$included\", which is not installed"
done < <(grep -o '#include "[^"]*"' "$prefix"/include/sluice/* | sed 's/#include "\(.*\)"$/\1/')
ok "installed headers include only installed headers"

# ---- 2. an outside plugin, built, installed, listed, validated and run ------------------------
if build_example "$prefix" "$scratch/example-build"; then
  ok "example built against $prefix"
  used=$(sed -n 's/^Sluice_DIR:PATH=//p' "$scratch/example-build/CMakeCache.txt")
  [ "$used" = "$prefix/lib/cmake/Sluice" ] || fail "the example found Sluice in '$used', not in $prefix"
  run_logged "$scratch/example-install.log" cmake --install "$scratch/example-build" --prefix "$prefix" ||
    fail "cmake --install of the example"
else
  fail "the example does not build against the installed SDK"
  finish
fi
plugin=$prefix/lib/sluice/plugins/add_field.so
[ -f "$plugin" ] || fail "the example's install did not put add_field.so in $prefix/lib/sluice/plugins"
sluice=$prefix/bin/sluice

listing=$(cd "$scratch" && "$sluice" plugins --json 2>"$scratch/plugins.err")
if grep -q "\"path\": *\"$plugin\"" <<<"$listing" && grep -q '"name": *"add_field"' <<<"$listing"; then
  ok "sluice plugins lists $plugin"
else
  fail "sluice plugins does not list add_field at $plugin: $(cat "$scratch/plugins.err")"
fi
[ -s "$scratch/plugins.err" ] && fail "sluice plugins warned: $(cat "$scratch/plugins.err")"

work=$scratch/run
mkdir -p "$work"
printf '%s\n' '{"id":1,"item":"tea"}' '{"id":2,"item":"cake"}' >"$work/input.ndjson"
pipeline() { # pipeline ADD_FIELD_CONFIG
  cat <<YAML
name: sdk-example
source:
  plugin: file
  config: { path: $work/input.ndjson }
transforms:
  - id: stamp
    plugin: add_field
    config: $1
sinks:
  - id: out
    plugin: file
    config: { path: $work/output.ndjson, fsync: false }
YAML
}
pipeline '{ field: via, value: sdk }' >"$work/pipeline.yaml"
pipeline '{ field: via }' >"$work/no-value.yaml"

if (cd "$work" && "$sluice" validate pipeline.yaml) >"$work/validate.log" 2>&1; then
  ok "sluice validate accepts a pipeline with add_field"
else
  fail "sluice validate refuses the pipeline: $(cat "$work/validate.log")"
fi
# The plugin's declared keys reach the host: a missing required key is refused before it runs.
if (cd "$work" && "$sluice" validate no-value.yaml) >"$work/no-value.log" 2>&1; then
  fail "sluice validate accepts add_field without its required key value"
elif grep -q "value" "$work/no-value.log"; then
  ok "sluice validate refuses add_field without value: $(head -1 "$work/no-value.log")"
else
  fail "the refusal does not name the key: $(cat "$work/no-value.log")"
fi

if (cd "$work" && timeout 30 "$sluice" run pipeline.yaml) >"$work/run.log" 2>&1; then
  expected=$(printf '%s\n' '{"id":1,"item":"tea","via":"sdk"}' '{"id":2,"item":"cake","via":"sdk"}')
  if [ "$(cat "$work/output.ndjson" 2>/dev/null)" = "$expected" ]; then
    ok "sluice run: file -> add_field -> file wrote the records with the field"
  else
    fail "output.ndjson is '$(cat "$work/output.ndjson" 2>/dev/null)', expected '$expected'"
  fi
else
  fail "sluice run failed (exit $?): $(tail -5 "$work/run.log")"
fi

# ---- 3. a plugin built against another Sluice version is refused ------------------------------
other=$scratch/other-prefix
# Hard links are enough: sed -i replaces version.hpp instead of writing through the link.
cp -al "$prefix" "$other" 2>/dev/null || cp -a "$prefix" "$other"
sed -i 's/^#define SLUICE_VERSION_STRING ".*"$/#define SLUICE_VERSION_STRING "0.0.0-other"/' "$other/include/sluice/version.hpp"
grep -q '"0.0.0-other"' "$other/include/sluice/version.hpp" || fail "could not change the copy's version.hpp"
if build_example "$other" "$scratch/other-build"; then
  # What an upgrade that forgot to rebuild a plugin leaves behind: the stale module in the folder.
  run_logged "$scratch/other-install.log" cmake --install "$scratch/other-build" --prefix "$prefix" ||
    fail "cmake --install of the other build"
  host_id=$("$sluice" --version | sed -n "s/^sluice [^(]*(plugin ABI [0-9]*, \(.*\))$/\1/p")
  (cd "$work" && "$sluice" validate pipeline.yaml) >"$work/stale.log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    fail "sluice validate accepts a plugin built against another version"
  elif grep -qF "$plugin: plugin built as '0.0.0-other " "$work/stale.log" &&
       grep -qF "but this sluice is '$host_id'" "$work/stale.log"; then
    ok "the stale plugin is refused (exit $status): $(grep -F "$plugin" "$work/stale.log" | head -1)"
  else
    fail "the refusal does not name $plugin and both builds ('$host_id'): $(cat "$work/stale.log")"
  fi
else
  fail "the example does not build against the changed copy"
fi

finish
