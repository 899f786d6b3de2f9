#!/usr/bin/env bash
# Comments point at README sections, never at tracker numbers (README.md, "Architecture"): a reader
# of the source has the README, not the tracker, and a number says nothing once the thread is
# closed. Fails when a source file cites a tracker number ("issue" followed by a number), or cites a
# README section that does not exist: `README.md, "Title"` (also `README, "Title"`,
# `core/README.md, "Title"`, `plugins/<name>/README.md, "Title"`) must name a heading of that README
# (whole, or its words before ":" or " ("), or a bold paragraph title (**Title.**).
#
#   bash tests/docs/comment_citations.sh [SOURCE_DIR]     (default: this script's checkout)
#
# Only the tree's own sources count: build folders, node_modules and .git are skipped.
set -uo pipefail

root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root" || { echo "comment_citations: no source tree at $root" >&2; exit 1; }
[[ -f README.md ]] || { echo "comment_citations: $root has no README.md" >&2; exit 1; }

# The sources: what the compiler, CMake, the shell, the page and the database read.
sources() {
  find . \( -name .git -o -name node_modules -o -name 'build' -o -name 'build-*' -o -name '_deps' \) -prune -o \
    -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' -o -name '*.cc' \
    -o -name CMakeLists.txt -o -name '*.cmake' -o -name '*.in' -o -name '*.sh' -o -name '*.mjs' \
    -o -name '*.js' -o -name '*.yaml' -o -name '*.yml' -o -name '*.css' -o -name '*.html' \
    -o -name '*.sql' -o -name '*.conf' -o -name '*.service' -o -name Dockerfile \) -print0 | sort -z
}

failures=0
checked=0
mapfile -d '' files < <(sources)
# This script describes the citation syntax with placeholders: it is the one file not checked.
self=./tests/docs/comment_citations.sh
for i in "${!files[@]}"; do [[ ${files[$i]} == "$self" ]] && unset 'files[i]'; done
files=("${files[@]}")
((${#files[@]} > 100)) || { echo "comment_citations: only ${#files[@]} source files under $root" >&2; exit 1; }

# 1. Tracker numbers. The pattern is spelled in two pieces so this file does not match itself.
# Shipped migrations are frozen: the migrator keeps each one's checksum, and a changed file
# warns at every start of every deployment, so their text stays as it was applied.
word='iss''ue'
frozen='^sql/(postgres|postgres_dead_letter)/000[1-6]_[a-z_]+\.sql:'
if hits=$(grep -n -i -E "\\b${word}s?[[:space:]]*#?[0-9]+" "${files[@]}" | sed 's|^\./||' | grep -v -E "$frozen"); then
  echo "A comment cites a tracker number; point it at the README section that explains it instead:"
  echo "$hits"
  failures=$((failures + 1))
fi

# 2. README sections. Every heading and bold paragraph title of a README, one per line.
titles_of() {
  sed -n -E -e 's/^#+ +(.*[^ ]) *$/\1/p' -e 's/^(- )?\*\*([^*]+)\*\*.*/\2/p' "$1" | sed -E 's/[.:]$//'
}
declare -A titles  # README path -> its titles, read once
has_title() {  # README TITLE
  local readme=$1 title=$2 heading
  [[ -v titles[$readme] ]] || titles[$readme]=$(titles_of "$readme")
  while IFS= read -r heading; do
    [[ $heading == "$title" || $heading == "$title:"* || $heading == "$title ("* ]] && return 0
  done <<<"${titles[$readme]}"
  return 1
}
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  text=${rest#*:}
  # Each citation on the line: which README, then the first quoted title after it.
  while [[ $text =~ ((core/|plugins/[a-z_]+/)?README(\.md)?,?[[:space:]]+\\?\"([^\"\\]+)\\?\"(.*)) ]]; do
    prefix=${BASH_REMATCH[2]}
    title=${BASH_REMATCH[4]}
    text=${BASH_REMATCH[5]}
    readme=${prefix}README.md
    checked=$((checked + 1))
    if [[ ! -f $readme ]]; then
      echo "$file:$line: cites $readme, which does not exist"
      failures=$((failures + 1))
    elif ! has_title "$readme" "$title"; then
      echo "$file:$line: cites \"$title\" in $readme, which has no such heading or paragraph title"
      failures=$((failures + 1))
    fi
  done
done < <(grep -n -H -E 'README(\.md)?,?[[:space:]]+\\?"' "${files[@]}")

# A checker that finds nothing to check checks nothing (a changed quoting style, a moved tree).
((checked >= 20)) || { echo "comment_citations: only $checked README citations found; the pattern is stale" >&2; exit 1; }
if ((failures > 0)); then
  exit 1
fi
echo "comment_citations: ${#files[@]} files, $checked README citations, all found"
