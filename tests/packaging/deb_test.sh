#!/usr/bin/env bash
# Installation and Debian package of a build tree (ctest label: packaging).
#   deb_test.sh CPACK BUILD_DIR SOURCE_DIR SCRATCH
# 1. `cmake --install` into a scratch prefix: the layout, RUNPATHs, the unit rewritten for
#    that prefix, and the installed binary finds the installed plugins.
# 2. `cpack -G DEB` on the same build tree (nothing is rebuilt): the packages sluice,
#    sluice-kafka, sluice-postgres and sluice-dev (README, "Install and .deb"), each with lintian, its
#    files (none in two packages), Depends, docs and control files, inspected with dpkg-deb.
# 3. `sluice` extracted alone into a scratch root runs a file -> stdout pipeline, with no ELF
#    file of it linking librdkafka, SOCI or libpq; then with the other packages extracted
#    over it, `sluice plugins` finds every plugin and the packaged pipeline starts.
# 4. The Docker runtime stage installs every library package the .debs depend on.
# Both the installation and `sluice-dev` carry the plugin SDK (core/sdk): headers, the
# libsluice_core.so namelink and find_package(Sluice), which must work from the extracted
# packages (tests/sdk builds and runs a plugin with it).
# Plugins this build does not have (SLUICE_ONLY_PLUGINS) are not required. Exit 77: skipped
# (dpkg-deb missing).
set -uo pipefail

cpack=$1 build=$2 src=$3 scratch=$4
here=$(cd "$(dirname "$0")" && pwd)

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
# shellcheck source=tests/packaging/deb_checks.sh
. "$here/deb_checks.sh"
need_file() { # need_file LIST PATH...: each PATH is a line of LIST
  local list=$1; shift
  for p in "$@"; do
    if grep -qxF "$p" <<<"$list"; then ok "$p"; else fail "$p missing"; fi
  done
}

for tool in dpkg-deb readelf; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not installed (apt-get install dpkg-dev binutils)"
    exit 77
  fi
done

rm -rf "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)

# Plugins this configuration builds and installs (SLUICE_ONLY_PLUGINS may leave some out; stale
# files in the build folder do not count): the package must have all of them, and at least these.
mapfile -t built_plugins < <(grep -rho 'FILES "[^"]*/lib/sluice/plugins/[^"/]*\.so"' "$build/plugins" \
                               --include=cmake_install.cmake | sed 's|.*/||; s|"$||' | sort -u)
required_plugins=(file_source.so file_sink.so stdout.so)
for p in "${required_plugins[@]}" "${built_plugins[@]}"; do
  [ -f "$build/lib/sluice/plugins/$p" ] || fail "build tree has no $p (build the sluice_plugins target first)"
done
for p in "${required_plugins[@]}"; do
  printf '%s\n' "${built_plugins[@]}" | grep -qxF "$p" || fail "$p is not installed by this configuration"
done
has_plugin() { printf '%s\n' "${built_plugins[@]}" | grep -qxF "$1"; }
echo "plugins built: ${built_plugins[*]}"
# The Kafka tool (`sluice broker`, `sluice publish`: README, CLI) comes with the kafka plugin.
kafka_tool=lib/sluice/libexec/sluice-kafka
if has_plugin kafka.so; then
  [ -x "$build/$kafka_tool" ] || fail "build tree has no $kafka_tool (build the sluice_plugins target first)"
fi

# `sluice plugins --json` from an installed tree: every plugin found is one of DIR/*.so,
# and all the PLUGINs (file names) are found; the Kafka tool is reached when KAFKA_TOOL is 1.
check_runs_from() { # check_runs_from ROOT_LABEL BIN PLUGIN_DIR KAFKA_TOOL PLUGIN...
  local label=$1 bin=$2 plugin_dir=$3 kafka_tool_there=$4 out
  shift 4
  if ! out=$(cd "$scratch" && env -u SLUICE_PLUGIN_PATH -u LD_LIBRARY_PATH "$bin" plugins --json 2>"$scratch/plugins.err"); then
    fail "$label: sluice plugins failed: $(cat "$scratch/plugins.err")"
    return
  fi
  local paths
  paths=$(grep -o '"path": *"[^"]*"' <<<"$out" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
  for p in "$@"; do
    if grep -qxF "$plugin_dir/$p" <<<"$paths"; then ok "$label: sluice plugins finds $p"; else
      fail "$label: sluice plugins does not list $plugin_dir/$p (found: $(tr '\n' ' ' <<<"$paths"))"
    fi
  done
  while read -r p; do
    [ -z "$p" ] || [[ "$p" == "$plugin_dir/"* ]] || fail "$label: plugin loaded from outside the installation: $p"
  done <<<"$paths"
  if ldd "$bin" | grep -q "not found"; then fail "$label: unresolved libraries: $(ldd "$bin" | grep 'not found')"; fi
  # `sluice publish` runs the Kafka tool of the same tree; `sluice` itself never links librdkafka.
  if readelf -d "$bin" | grep -q 'NEEDED.*rdkafka'; then fail "$label: $bin links librdkafka"; fi
  if [ "$kafka_tool_there" = 1 ]; then
    if (cd "$scratch" && env -u LD_LIBRARY_PATH "$bin" publish --help 2>&1) | grep -q -- '--connect-timeout'; then
      ok "$label: sluice publish --help reaches the Kafka tool"
    else
      fail "$label: sluice publish --help: $(cd "$scratch" && "$bin" publish --help 2>&1 | head -3)"
    fi
  else
    # Exits 1 (which pipefail would make the pipeline's status): the output is captured first.
    local missing
    missing=$(cd "$scratch" && env -u LD_LIBRARY_PATH "$bin" publish --help 2>&1)
    if grep -q 'libexec/sluice-kafka is missing' <<<"$missing"; then ok "$label: sluice publish says the Kafka tool is missing"; else
      fail "$label: sluice publish without the Kafka tool: $(head -3 <<<"$missing")"
    fi
  fi
  local core
  core=$(ldd "$bin" | awk '/libsluice_core/ {print $3}')
  [[ "$(readlink -f "$core")" == "$(readlink -f "$(dirname "$bin")/../lib")/"* ]] ||
    fail "$label: libsluice_core resolved to $core, not ../lib next to the binary"
}

sdk_files=(include/sluice/plugin.hpp include/sluice/abi.h include/sluice/version.hpp lib/libsluice_core.so
           lib/cmake/Sluice/SluiceConfig.cmake lib/cmake/Sluice/SluiceConfigVersion.cmake
           lib/cmake/Sluice/SluiceTargets.cmake lib/cmake/Sluice/SluicePlugin.cmake)

# ---- 1. cmake --install into a scratch prefix ------------------------------------------------
prefix=$scratch/prefix
if cmake --install "$build" --prefix "$prefix" >"$scratch/install.log" 2>&1; then
  ok "cmake --install --prefix $prefix"
  installed=$(cd "$prefix" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
  need_file "$installed" bin/sluice etc/sluice/pipeline.yaml lib/systemd/system/sluice.service \
    share/sluice/web/index.html share/man/man1/sluice.1.gz
  need_file "$installed" share/sluice/monitoring/alerts.yml share/sluice/monitoring/alerts_test.yml \
    share/sluice/monitoring/prometheus.yml share/sluice/monitoring/grafana/dashboards/sluice.json
  grep -q '^lib/libsluice_core\.so\.' <<<"$installed" || fail "lib/libsluice_core.so.* missing"
  grep -q '^share/sluice/sql/.*\.sql$' <<<"$installed" || fail "share/sluice/sql/*.sql missing"
  for p in "${built_plugins[@]}"; do need_file "$installed" "lib/sluice/plugins/$p"; done
  if has_plugin kafka.so; then need_file "$installed" "$kafka_tool"; fi
  need_file "$installed" "${sdk_files[@]}"
  grep -qxF "ExecStart=$prefix/bin/sluice run $prefix/etc/sluice/pipeline.yaml" "$prefix/lib/systemd/system/sluice.service" ||
    fail "unit not rewritten for prefix $prefix: $(grep ExecStart "$prefix/lib/systemd/system/sluice.service")"
  default_pipeline=$(sed -n 's/^SLUICE_DEFAULT_PIPELINE:FILEPATH=//p' "$build/CMakeCache.txt")
  cmp -s "${default_pipeline:-$src/config/pipeline.yaml}" "$prefix/etc/sluice/pipeline.yaml" ||
    fail "etc/sluice/pipeline.yaml differs from ${default_pipeline:-$src/config/pipeline.yaml}"
  # RUNPATHs: relative to the files, never the build tree ($ORIGIN is literal here).
  runpath() { readelf -d "$1" | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p;s/.*(RPATH).*\[\(.*\)\].*/\1/p'; }
  # shellcheck disable=SC2016
  [ "$(runpath "$prefix/bin/sluice")" = '$ORIGIN/../lib' ] || fail "bin/sluice RUNPATH is '$(runpath "$prefix/bin/sluice")'"
  for p in "${built_plugins[@]}"; do
    # shellcheck disable=SC2016
    [ "$(runpath "$prefix/lib/sluice/plugins/$p")" = '$ORIGIN/../..' ] ||
      fail "$p RUNPATH is '$(runpath "$prefix/lib/sluice/plugins/$p")'"
  done
  if has_plugin kafka.so; then
    # shellcheck disable=SC2016
    [ "$(runpath "$prefix/$kafka_tool")" = '$ORIGIN/../..' ] || fail "$kafka_tool RUNPATH is '$(runpath "$prefix/$kafka_tool")'"
  fi
  check_runs_from "installed" "$prefix/bin/sluice" "$prefix/lib/sluice/plugins" "$(has_plugin kafka.so && echo 1)" \
    "${built_plugins[@]}"
else
  fail "cmake --install failed: $(tail -5 "$scratch/install.log")"
fi

# ---- 2. cpack -G DEB: one package per install component --------------------------------------
# Plain `cpack` first builds the build tree's preinstall target (all of it), which would relink
# binaries other tests are running when sources changed since the last build. The Ninja
# generator has no preinstall target: named as CPACK_CMAKE_GENERATOR, cpack only runs the build
# tree's install scripts (prefix /usr into a DESTDIR, stripped, one component at a time), with
# every other setting of CPackConfig.cmake, whatever generator the build tree uses.
if ! (cd "$scratch" && "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$scratch/deb" \
        -D CPACK_CMAKE_GENERATOR=Ninja) >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log" >&2
  fail "cpack -G DEB failed"
  echo "$failures failure(s)"
  exit 1
fi
grep -i "warning" "$scratch/cpack.log" >&2 || true
if grep -q "preinstall" "$scratch/cpack.log"; then fail "cpack built the preinstall target: $(grep preinstall "$scratch/cpack.log")"; fi
config_value() { sed -n "s/^set($1 \"\\(.*\\)\")$/\\1/p" "$build/CPackConfig.cmake"; }
version=$(config_value CPACK_PACKAGE_VERSION)-$(config_value CPACK_DEBIAN_PACKAGE_RELEASE)
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
deb_of() { echo "$scratch/deb/$1_${version}_${arch}.deb"; }
# sluice-postgres always: it holds the migrations (sql/) even in a build without its plugins.
packages=(sluice sluice-postgres sluice-dev)
if has_plugin kafka.so; then packages+=(sluice-kafka); fi
built_debs=$(find "$scratch/deb" -maxdepth 1 -name '*.deb' -printf '%f\n' | sort)
expected_debs=$(for p in "${packages[@]}"; do basename "$(deb_of "$p")"; done | sort)
if [ "$built_debs" = "$expected_debs" ]; then ok "built $(tr '\n' ' ' <<<"$built_debs")"; else
  fail "cpack built: $(tr '\n' ' ' <<<"$built_debs"); expected: $(tr '\n' ' ' <<<"$expected_debs")"
  echo "$failures failure(s)"
  exit 1
fi
core_deb=$(deb_of sluice)
declare -A files
for p in "${packages[@]}"; do files[$p]=$(files_of "$(deb_of "$p")"); done
# package_of PATH: the package(s) shipping PATH.
package_of() { for p in "${packages[@]}"; do if grep -qxF "$1" <<<"${files[$p]}"; then echo "$p"; fi; done; }
shipped_twice=$(for p in "${packages[@]}"; do echo "${files[$p]}"; done | sort | uniq -d)
[ -z "$shipped_twice" ] || fail "files shipped by two packages: $(tr '\n' ' ' <<<"$shipped_twice")"

# What `sluice` alone has: everything a file -> stdout pipeline needs, and the service.
need_file "${files[sluice]}" usr/bin/sluice usr/share/sluice/web/index.html etc/sluice/pipeline.yaml \
  lib/systemd/system/sluice.service usr/share/man/man1/sluice.1.gz usr/share/sluice/config/file-to-stdout.yaml \
  usr/lib/sluice/plugins/file_source.so usr/lib/sluice/plugins/file_sink.so usr/lib/sluice/plugins/stdout.so
need_file "${files[sluice]}" usr/share/sluice/monitoring/alerts.yml usr/share/sluice/monitoring/grafana/dashboards/sluice.json
grep -q '^usr/lib/libsluice_core\.so\.' <<<"${files[sluice]}" || fail "usr/lib/libsluice_core.so.* not in sluice"
# The SDK is sluice-dev's: headers, the namelink, the CMake package.
need_file "${files[sluice-dev]}" "${sdk_files[@]/#/usr/}"
if grep -q '^usr/include/\|^usr/lib/cmake/\|^usr/lib/libsluice_core\.so$' <<<"${files[sluice]}"; then
  fail "SDK files in sluice: $(grep '^usr/include/\|^usr/lib/cmake/\|^usr/lib/libsluice_core\.so$' <<<"${files[sluice]}" | head -3)"
fi
# Every plugin in exactly one package (no file is in two, checked above); Kafka's and PostgreSQL's
# where their client libraries are.
for p in "${built_plugins[@]}"; do
  owner=$(package_of "usr/lib/sluice/plugins/$p")
  case $p in
    kafka*) want=sluice-kafka ;;
    postgres*) want=sluice-postgres ;;
    *) want=${owner:-sluice} ;;
  esac
  if [ -n "$owner" ] && [ "$owner" = "$want" ]; then ok "$p in $owner"; else fail "$p is in '${owner:-no package}', not $want"; fi
done
if has_plugin kafka.so; then need_file "${files[sluice-kafka]}" "usr/$kafka_tool"; fi
grep -q '^usr/share/sluice/sql/.*\.sql$' <<<"${files[sluice-postgres]}" || fail "usr/share/sluice/sql/*.sql not in sluice-postgres"
for p in "${packages[@]}"; do
  if grep -q '^usr/etc/\|^usr/local/' <<<"${files[$p]}"; then fail "$p: files under usr/etc or usr/local"; fi
done

# Dependencies: `sluice` names no Kafka or PostgreSQL client library; the plugin packages name
# theirs and exactly this build's `sluice` (plugins must match its build id).
declare -A depends
for p in "${packages[@]}"; do
  depends[$p]=$(dpkg-deb -f "$(deb_of "$p")" Depends)
  echo "$p Depends: ${depends[$p]}"
  [ "$(dpkg-deb -f "$(deb_of "$p")" Architecture)" = "$arch" ] || fail "$p: Architecture is not $arch"
done
for lib in librdkafka libsoci libpq; do
  if grep -q "$lib" <<<"${depends[sluice]}"; then fail "sluice depends on $lib: ${depends[sluice]}"; else ok "sluice: no $lib"; fi
done
if has_plugin rest.so; then grep -q 'libpistache' <<<"${depends[sluice]}" || fail "sluice Depends does not mention libpistache"; fi
if has_plugin kafka.so; then
  grep -q 'librdkafka' <<<"${depends[sluice-kafka]}" || fail "sluice-kafka Depends does not mention librdkafka"
fi
if has_plugin postgres_orders.so; then
  grep -q 'libpq5' <<<"${depends[sluice-postgres]}" || fail "sluice-postgres Depends does not mention libpq5"
  grep -q 'libsoci-postgresql' <<<"${depends[sluice-postgres]}" || fail "sluice-postgres Depends does not mention SOCI"
fi
for p in "${packages[@]}"; do
  [ "$p" = sluice ] && continue
  grep -qF "sluice (= $version)" <<<"${depends[$p]}" || fail "$p does not depend on sluice (= $version)"
  # Files that were in the single `sluice` package of earlier versions: taken over on upgrade.
  for field in Replaces Breaks; do
    [ "$(dpkg-deb -f "$(deb_of "$p")" "$field")" = "sluice (<< $version)" ] || fail "$p: $field is not sluice (<< $version)"
  done
done
recommends=$(dpkg-deb -f "$core_deb" Recommends)
for p in sluice-kafka sluice-postgres; do
  grep -qF "$p (= $version)" <<<"$recommends" || fail "sluice does not recommend $p (= $version): '$recommends'"
done

for p in "${packages[@]}"; do
  check_debian_docs "$(deb_of "$p")"
  check_lintian "$(deb_of "$p")"
  check_control "$(deb_of "$p")" "$([ "$p" = sluice ] && echo 1)"
done
control=$scratch/control-sluice

# ---- 3. the packages extracted somewhere run from there -----------------------------------
# `sluice` alone: no ELF file of it links a Kafka or PostgreSQL client, and a file -> stdout
# pipeline runs (config/file-to-stdout.yaml, as installed).
root=$scratch/root
rm -rf "$root"
dpkg-deb -x "$core_deb" "$root"
core_links=$(elf_needed "$root")
[ -n "$core_links" ] || fail "no NEEDED entries found in the sluice package (readelf?)"
if grep -E 'rdkafka|soci|libpq' <<<"$core_links"; then fail "an ELF file of sluice links librdkafka, SOCI or libpq"; else
  ok "sluice: no ELF file links librdkafka, SOCI or libpq"
fi
mapfile -t core_plugins < <(grep '^usr/lib/sluice/plugins/' <<<"${files[sluice]}" | sed 's|.*/||')
check_runs_from "sluice alone" "$root/usr/bin/sluice" "$root/usr/lib/sluice/plugins" 0 "${core_plugins[@]}"
printf '%s\n' '{"order_id":"deb-1"}' '{"order_id":"deb-2"}' >"$scratch/replay.ndjson"
if (cd "$scratch" && env -u SLUICE_PLUGIN_PATH -u LD_LIBRARY_PATH REPLAY_FILE="$scratch/replay.ndjson" \
      timeout 60 "$root/usr/bin/sluice" run "$root/usr/share/sluice/config/file-to-stdout.yaml") \
      >"$scratch/replay.out" 2>"$scratch/replay.err" &&
   grep -q 'deb-1' "$scratch/replay.out" && grep -q 'deb-2' "$scratch/replay.out"; then
  ok "sluice alone runs file -> stdout"
else
  fail "sluice alone, file -> stdout: $(tail -3 "$scratch/replay.err") / $(head -3 "$scratch/replay.out")"
fi

# The unit and the service's secrets (the rest of this section) with every package extracted.
for p in "${packages[@]}"; do [ "$p" = sluice ] || dpkg-deb -x "$(deb_of "$p")" "$root"; done
unit=$root/lib/systemd/system/sluice.service
grep -qxF "ExecStart=/usr/bin/sluice run /etc/sluice/pipeline.yaml" "$unit" || fail "unit ExecStart: $(grep ExecStart "$unit")"
grep -qxF "EnvironmentFile=-/etc/sluice/sluice.env" "$unit" || fail "unit has no EnvironmentFile=-/etc/sluice/sluice.env"
grep -qx "Restart=on-failure" "$unit" || fail "unit has no Restart=on-failure"
grep -Eqx "DynamicUser=(yes|true)|User=.+" "$unit" || fail "unit runs as root"
if command -v systemd-analyze >/dev/null; then
  # Checks the syntax; ExecStart's binary is only in the extracted tree, so a warning about it is expected.
  systemd-analyze verify "$unit" >"$scratch/verify.log" 2>&1
  if grep -v "/usr/bin/sluice" "$scratch/verify.log" | grep -i "unknown\|invalid\|failed to parse\|ignoring"; then
    fail "systemd-analyze verify: $(cat "$scratch/verify.log")"
  else
    ok "systemd-analyze verify"
  fi
fi
check_runs_from "all packages" "$root/usr/bin/sluice" "$root/usr/lib/sluice/plugins" "$(has_plugin kafka.so && echo 1)" \
  "${built_plugins[@]}"

# Secrets under DynamicUser (README.md, "Install and .deb"): root's mode-600 files handed over as
# credentials, never world-readable copies; reload, a system call filter, no view of others.
for line in "LoadCredential=tokens:/etc/sluice/tokens" "Environment=SLUICE_TOKENS_FILE=%d/tokens" \
            "ExecReload=/bin/kill -HUP \$MAINPID" "SystemCallFilter=@system-service" "ProtectProc=invisible" \
            "RuntimeDirectory=sluice"; do
  if grep -qxF "$line" "$unit"; then ok "unit: $line"; else fail "unit has no $line"; fi
done
grep -q 'tokens_file: "${SLUICE_TOKENS_FILE:-}"' "$root/etc/sluice/pipeline.yaml" ||
  fail "the packaged pipeline does not read the tokens credential (SLUICE_TOKENS_FILE)"

# postinst makes /etc/sluice/sluice.env and /etc/sluice/tokens mode 600 under $DPKG_ROOT, and
# leaves existing ones alone.
if DPKG_ROOT=$root sh "$control/postinst" configure "" >"$scratch/postinst.log" 2>&1; then
  for secret in etc/sluice/sluice.env etc/sluice/tokens; do
    mode=$(stat -c %a "$root/$secret" 2>/dev/null)
    if [ "$mode" = 600 ]; then ok "postinst: $secret mode 600"; else fail "postinst: $secret mode '${mode:-missing}', not 600"; fi
  done
  grep -q '^#DATABASE_URL=' "$root/etc/sluice/sluice.env" || fail "sluice.env has no commented DATABASE_URL example"
  printf 'DATABASE_URL=postgresql://kept\n' >"$root/etc/sluice/sluice.env"
  chmod 640 "$root/etc/sluice/sluice.env"
  DPKG_ROOT=$root sh "$control/postinst" configure 0.1 >>"$scratch/postinst.log" 2>&1 || fail "postinst on upgrade failed"
  if [ "$(cat "$root/etc/sluice/sluice.env")" = "DATABASE_URL=postgresql://kept" ] &&
     [ "$(stat -c %a "$root/etc/sluice/sluice.env")" = 640 ]; then
    ok "postinst leaves an existing sluice.env alone"
  else
    fail "postinst changed an existing sluice.env"
  fi
else
  fail "postinst configure failed: $(cat "$scratch/postinst.log")"
fi

# The packaged pipeline, started as the service would be: without DATABASE_URL it stops with a
# message naming it (no fallback to a known password); with it but without a read token, with
# the message saying how to give one.
run_packaged() { # run_packaged LOG VAR=VALUE...: exit status of `sluice run` on the packaged pipeline
  local log=$1; shift
  (cd "$scratch" && env -u DATABASE_URL -u SLUICE_API_TOKENS -u READ_AUTH -u SLUICE_PLUGIN_PATH -u LD_LIBRARY_PATH \
     KAFKA_BROKERS=127.0.0.1:1 HTTP_LISTEN=127.0.0.1:0 "$@" \
     timeout 60 "$root/usr/bin/sluice" run "$root/etc/sluice/pipeline.yaml") >"$log" 2>&1
}
run_packaged "$scratch/no-dsn.log"
status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "environment variable 'DATABASE_URL' is not set: set DATABASE_URL" "$scratch/no-dsn.log"; then
  ok "packaged pipeline without DATABASE_URL: refused ($(grep -m1 DATABASE_URL "$scratch/no-dsn.log"))"
else
  fail "packaged pipeline without DATABASE_URL: exit $status, $(tail -3 "$scratch/no-dsn.log")"
fi
if has_plugin rest.so && has_plugin kafka.so && has_plugin postgres_orders.so && has_plugin postgres_dead_letter.so &&
   has_plugin memory_cache.so && has_plugin order_validate.so; then
  run_packaged "$scratch/no-token.log" DATABASE_URL=postgresql://u:p@127.0.0.1:1/db SLUICE_TOKENS_FILE="$root/etc/sluice/tokens"
  status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne 124 ] && grep -q "read_auth is token (the default) but no token is configured" "$scratch/no-token.log"; then
    ok "packaged pipeline without a read token: refused"
  else
    fail "packaged pipeline without a read token: exit $status, $(tail -3 "$scratch/no-token.log")"
  fi
else
  echo "skipped: the packaged pipeline without a read token (this build lacks some of its plugins)"
fi
# The package's CMake files point into the package, never into the tree it was built from.
if grep -rlF -e "$build" -e "$src" "$root/usr/lib/cmake/Sluice" >/dev/null; then
  fail "lib/cmake/Sluice names the build or source tree: $(grep -rlF -e "$build" -e "$src" "$root/usr/lib/cmake/Sluice")"
fi
# find_package(Sluice) from the extracted package (configure only; tests/sdk builds and runs).
if cmake -S "$src/tests/sdk/example" -B "$scratch/sdk-example" -DCMAKE_PREFIX_PATH="$root/usr" \
     >"$scratch/sdk-example.log" 2>&1 &&
   grep -qxF "Sluice_DIR:PATH=$root/usr/lib/cmake/Sluice" "$scratch/sdk-example/CMakeCache.txt"; then
  ok "extracted .deb: find_package(Sluice) configures tests/sdk/example"
else
  fail "extracted .deb: tests/sdk/example does not configure against it: $(tail -5 "$scratch/sdk-example.log")"
fi

# ---- 4. the Docker runtime stage has the libraries the packages depend on --------------------
# (the image runs the build, the files of every package but the SDK's: compose/Dockerfile)
runtime_stage=$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' "$src/compose/Dockerfile")
base_image_packages=" libc6 libstdc++6 libgcc-s1 "  # in debian:12 already (apt needs them)
all_depends=$(for p in "${packages[@]}"; do [ "$p" = sluice-dev ] || echo "${depends[$p]}"; done | tr ',' '\n' | grep -v '^ *sluice\b' | paste -sd,)
IFS=',' read -ra alternatives <<<"$all_depends"
for alt in "${alternatives[@]}"; do
  satisfied=0 names=""
  IFS='|' read -ra choices <<<"$alt"
  for choice in "${choices[@]}"; do
    name=$(sed 's/(.*)//; s/:any//; s/[[:space:]]//g' <<<"$choice")
    names+="$name "
    # The package itself, or (for a virtual name such as libspdlog1.10-fmt9) one providing it.
    for pkg in "$name" $(dpkg-query -W -f='${Package} ${Provides}\n' 2>/dev/null |
                         awk -v n="$name" '{for (i = 2; i <= NF; i++) {gsub(/[,(].*/, "", $i); if ($i == n) print $1}}'); do
      if [[ "$base_image_packages" == *" $pkg "* ]] || grep -Eq "(^|[[:space:]])${pkg//+/\\+}([[:space:]]|$)" <<<"$runtime_stage"; then
        satisfied=1
      fi
    done
  done
  [ "$satisfied" = 1 ] || fail "compose/Dockerfile runtime stage does not install ${names% } (a dependency of the .debs)"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s); logs in $scratch"
  exit 1
fi
echo "all packaging checks passed"
rm -rf "$root" "$prefix"
