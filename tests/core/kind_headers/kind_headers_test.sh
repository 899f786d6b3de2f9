#!/usr/bin/env bash
# Each kind's header is enough for a plugin of that kind, and pulls in none of the opt-in
# headers (README.md, "Write your own plugin"): a transform must not compile the admin, dead
# letter, store or replay types.
#   kind_headers_test.sh CXX SOURCE_INCLUDE BUILD_INCLUDE
# Compiles each *_only.cpp next to this script (syntax only) and reads the headers it used.
set -uo pipefail
cxx=$1 include=$2 generated=$3
here=$(cd "$(dirname "$0")" && pwd)
failures=0
# Opt-in headers no kind header may include.
optional='sluice/(admin|dead_letters|store|change_feed|replay|position_store)\.hpp'
for kind in transform source sink api; do
  tu=$here/${kind}_only.cpp
  if ! used=$("$cxx" -std=c++20 -fsyntax-only -H -I"$include" -I"$generated" "$tu" 2>&1 >/dev/null); then
    echo "FAIL: $kind: ${kind}_only.cpp does not compile with only sluice/$kind.hpp:" >&2
    echo "$used" | grep -v '^\.' >&2
    failures=$((failures + 1))
    continue
  fi
  pulled=$(grep -E '^\.+ ' <<<"$used" | grep -oE "$optional" | sort -u)
  if [ -n "$pulled" ]; then
    echo "FAIL: sluice/$kind.hpp pulls in $(echo $pulled)" >&2
    failures=$((failures + 1))
  else
    echo "ok: sluice/$kind.hpp compiles a $kind alone, without the opt-in headers"
  fi
done
[ "$failures" -eq 0 ]
