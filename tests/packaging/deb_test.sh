#!/usr/bin/env bash
# Installation and Debian package of a build tree (ctest label: packaging).
#   deb_test.sh CPACK BUILD_DIR SOURCE_DIR SCRATCH
# 1. `cmake --install` into a scratch prefix: the layout, RUNPATHs, the unit rewritten for
#    that prefix, and the installed binary finds the installed plugins.
# 2. `cpack -G DEB` on the same build tree (nothing is rebuilt): the package's files,
#    Depends, conffiles and maintainer scripts, inspected with dpkg-deb.
# 3. The package extracted into a scratch folder runs `sluice plugins` from there.
# 4. The Docker runtime stage installs every library package the .deb depends on.
# Both the installation and the package carry the plugin SDK (core/sdk): headers, the
# libsluice_core.so namelink and find_package(Sluice), which must work from the extracted
# package (tests/sdk builds and runs a plugin with it).
# Plugins this build does not have (SLUICE_ONLY_PLUGINS) are not required. Exit 77: skipped
# (dpkg-deb missing).
set -uo pipefail

cpack=$1 build=$2 src=$3 scratch=$4

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
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
# and all of those are found.
check_runs_from() { # check_runs_from ROOT_LABEL BIN PLUGIN_DIR
  local label=$1 bin=$2 plugin_dir=$3 out
  if ! out=$(cd "$scratch" && env -u SLUICE_PLUGIN_PATH -u LD_LIBRARY_PATH "$bin" plugins --json 2>"$scratch/plugins.err"); then
    fail "$label: sluice plugins failed: $(cat "$scratch/plugins.err")"
    return
  fi
  local paths
  paths=$(grep -o '"path": *"[^"]*"' <<<"$out" | sed 's/.*"\([^"]*\)"$/\1/' | sort -u)
  for p in "${built_plugins[@]}"; do
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
  if has_plugin kafka.so; then
    if (cd "$scratch" && env -u LD_LIBRARY_PATH "$bin" publish --help 2>&1) | grep -q -- '--connect-timeout'; then
      ok "$label: sluice publish --help reaches the Kafka tool"
    else
      fail "$label: sluice publish --help: $(cd "$scratch" && "$bin" publish --help 2>&1 | head -3)"
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

# Debian's documentation files (README, "Install and .deb"): the copyright file and the
# gzipped Debian changelog, 644 root:root, the changelog's entry for this very version.
check_debian_docs() { # check_debian_docs DEB
  local deb=$1 doc=usr/share/doc/sluice listing
  listing=$(dpkg-deb -c "$deb")
  for f in "$doc/copyright" "$doc/changelog.Debian.gz"; do
    if grep -Eq "^-rw-r--r-- root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$f\$" <<<"$listing"; then ok "$f, 644 root/root"; else
      fail "$f not in the package as a 644 root/root file: $(grep -F "$f" <<<"$listing" || echo missing)"
    fi
  done
  local docs=$scratch/docs
  rm -rf "$docs" && dpkg-deb -x "$deb" "$docs" || return
  grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$docs/$doc/copyright" 2>/dev/null ||
    fail "$doc/copyright is not machine-readable (no DEP-5 Format: line)"
  local gz=$docs/$doc/changelog.Debian.gz header first
  # gzip -9n: no file name (FLG 0) and no time stamp (MTIME 0), best compression (XFL 2).
  header=$(od -An -tx1 -N10 "$gz" 2>/dev/null | tr -d ' \n')
  [ "$header" = 1f8b0800000000000203 ] || fail "$doc/changelog.Debian.gz is not gzip -9n (header $header)"
  first=$(gzip -dc "$gz" 2>/dev/null | head -1)
  [ "$first" = "sluice ($(dpkg-deb -f "$deb" Version)) unstable; urgency=medium" ] ||
    fail "$doc/changelog.Debian.gz starts with '$first', not this package's version $(dpkg-deb -f "$deb" Version)"
  rm -rf "$docs"
}

# lintian (Debian 12: 2.116) on the package: every error fails the test; the warnings that
# remain are listed, with the reason each stays, in README "Install and .deb".
check_lintian() { # check_lintian DEB
  if ! command -v lintian >/dev/null; then
    fail "lintian not installed (apt-get install lintian; compose/packages.sh SLUICE_TEST_PACKAGES)"
    return
  fi
  # Exit status: 0 nothing at --fail-on (error), 2 errors found, anything else lintian failed.
  lintian --tag-display-limit 0 --fail-on error "$1" >"$scratch/lintian.log" 2>&1
  local status=$?
  cat "$scratch/lintian.log"
  if grep -q '^E: ' "$scratch/lintian.log"; then
    fail "lintian errors: $(grep '^E: ' "$scratch/lintian.log" | tr '\n' ';')"
  elif [ "$status" -ne 0 ]; then
    fail "lintian exited $status: $(tail -3 "$scratch/lintian.log")"
  else
    ok "lintian: no errors ($(lintian --version))"
  fi
}

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
  check_runs_from "installed" "$prefix/bin/sluice" "$prefix/lib/sluice/plugins"
else
  fail "cmake --install failed: $(tail -5 "$scratch/install.log")"
fi

# ---- 2. cpack -G DEB ----------------------------------------------------------------------------
# Plain `cpack` first builds the build tree's preinstall target (all of it), which would relink
# binaries other tests are running when sources changed since the last build. So the package
# is made from what is built: the same installation cpack does (prefix /usr into a DESTDIR,
# stripped: CPACK_SET_DESTDIR, CPACK_STRIP_FILES), then cpack packages that folder
# (CPACK_INSTALLED_DIRECTORIES) with every other setting of CPackConfig.cmake.
stage=$scratch/stage
if ! DESTDIR=$stage cmake --install "$build" --prefix /usr --strip >"$scratch/stage.log" 2>&1; then
  fail "cmake --install --prefix /usr into $stage failed: $(tail -5 "$scratch/stage.log")"
  echo "$failures failure(s)"
  exit 1
fi
if ! (cd "$scratch" && "$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$scratch/deb" \
        -D CPACK_INSTALL_CMAKE_PROJECTS= -D "CPACK_INSTALLED_DIRECTORIES=$stage;/") >"$scratch/cpack.log" 2>&1; then
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
deb=$scratch/deb/sluice_${version}_${arch}.deb
if [ ! -f "$deb" ]; then
  fail "expected $deb, got: $(ls "$scratch/deb")"
  echo "$failures failure(s)"
  exit 1
fi
ok "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' | sort)
need_file "$contents" usr/bin/sluice usr/share/sluice/web/index.html etc/sluice/pipeline.yaml \
  lib/systemd/system/sluice.service usr/share/man/man1/sluice.1.gz
need_file "$contents" usr/share/sluice/monitoring/alerts.yml usr/share/sluice/monitoring/grafana/dashboards/sluice.json
grep -q '^usr/lib/libsluice_core\.so\.' <<<"$contents" || fail "usr/lib/libsluice_core.so.* missing"
grep -q '^usr/share/sluice/sql/.*\.sql$' <<<"$contents" || fail "usr/share/sluice/sql/*.sql missing"
for p in "${built_plugins[@]}"; do need_file "$contents" "usr/lib/sluice/plugins/$p"; done
if has_plugin kafka.so; then need_file "$contents" "usr/$kafka_tool"; fi
need_file "$contents" "${sdk_files[@]/#/usr/}"
if grep -q '^usr/etc/' <<<"$contents"; then fail "files under usr/etc: $(grep '^usr/etc/' <<<"$contents")"; fi
if grep -q '^usr/local/' <<<"$contents"; then fail "files under usr/local"; fi

check_debian_docs "$deb"
check_lintian "$deb"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
if has_plugin kafka.so; then grep -q 'librdkafka' <<<"$depends" || fail "Depends does not mention librdkafka"; fi
if has_plugin postgres.so; then grep -q 'libpq5' <<<"$depends" || fail "Depends does not mention libpq5"; fi
if has_plugin rest.so; then grep -q 'libpistache' <<<"$depends" || fail "Depends does not mention libpistache"; fi
[ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || fail "Architecture is not $arch"

control=$scratch/control
dpkg-deb -e "$deb" "$control"
if grep -qxF /etc/sluice/pipeline.yaml "$control/conffiles" 2>/dev/null; then ok "conffile /etc/sluice/pipeline.yaml"; else
  fail "/etc/sluice/pipeline.yaml is not a conffile"
fi
for script in postinst prerm postrm; do
  if [ -x "$control/$script" ] && sh -n "$control/$script"; then ok "maintainer script $script"; else fail "$script missing or broken"; fi
done

# ---- 3. the package extracted somewhere runs from there -----------------------------------
root=$scratch/root
dpkg-deb -x "$deb" "$root"
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
check_runs_from "extracted .deb" "$root/usr/bin/sluice" "$root/usr/lib/sluice/plugins"

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
if has_plugin rest.so && has_plugin kafka.so && has_plugin postgres.so && has_plugin postgres_dead_letter.so &&
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

# ---- 4. the Docker runtime stage has the libraries the package depends on --------------------
runtime_stage=$(awk '/^FROM /{stage=""} {stage=stage $0 "\n"} END{printf "%s", stage}' "$src/compose/Dockerfile")
base_image_packages=" libc6 libstdc++6 libgcc-s1 "  # in debian:12 already (apt needs them)
IFS=',' read -ra alternatives <<<"$depends"
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
  [ "$satisfied" = 1 ] || fail "compose/Dockerfile runtime stage does not install ${names% } (a dependency of the .deb)"
done

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s); logs in $scratch"
  exit 1
fi
echo "all packaging checks passed"
rm -rf "$root" "$prefix" "$stage"
