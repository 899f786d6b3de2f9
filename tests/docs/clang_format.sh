#!/usr/bin/env bash
# Every C and C++ source of the tree is as `clang-format` (Debian's, with the tree's
# .clang-format) writes it (README.md, "Tests"): a diff then shows what changed, never how it was
# typed. Fails naming each file and its first differing line; `clang-format -i FILE` mends it.
#
#   bash tests/docs/clang_format.sh [SOURCE_DIR]     (default: this script's checkout)
#
# Build folders and node_modules are skipped.
set -uo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root" || { echo "clang_format: no source tree at $root" >&2; exit 1; }
[[ -f .clang-format ]] || { echo "clang_format: $root has no .clang-format" >&2; exit 1; }
command -v clang-format >/dev/null || {
  echo "clang_format: clang-format is not installed (apt-get install clang-format; compose/packages.sh lists it)" >&2
  exit 1
}

mapfile -d '' files < <(find . \( -name .git -o -name node_modules -o -name 'build' -o -name 'build-*' \) -prune -o \
  -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' -o -name '*.cc' \) -print0 | sort -z)
[[ ${#files[@]} -gt 0 ]] || { echo "clang_format: no C or C++ sources under $root" >&2; exit 1; }

# --dry-run -Werror: one "error:" per place that would change, nothing written; any makes
# clang-format, and so xargs, fail.
report=$(printf '%s\0' "${files[@]}" | xargs -0 -n 50 -P 2 clang-format --dry-run -Werror 2>&1)
status=$?
if [[ $status -ne 0 ]]; then
  echo "not formatted as clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -n1) writes them:"
  # Each "error:" line reads FILE:LINE:COL: error: ...; the first one per file is named.
  firsts=$(sed -nE 's#^(\./[^:]+):([0-9]+):[0-9]+: error: .*#\1:\2#p' <<<"$report" | sort -t: -k1,1 -k2,2n | awk -F: '!seen[$1]++')
  if [[ -n $firsts ]]; then sed 's/^/  /' <<<"$firsts"; else head -n 20 <<<"$report"; fi
  echo "mend with: clang-format -i <file>..."
  exit 1
fi
echo "clang_format: ${#files[@]} files, all formatted"
