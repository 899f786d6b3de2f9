# shellcheck shell=bash
# shellcheck disable=SC2154  # scratch: set by deb_test.sh
# Checks of one built .deb, sourced by deb_test.sh (which defines fail, ok and $scratch).

# files_of DEB: the regular files and links DEB ships, one path a line (no leading ./, no folders).
files_of() {
  dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./||' | grep -v '/$' | sort
}

# elf_needed ROOT: every NEEDED entry of every ELF file under ROOT, as "file: library" lines.
elf_needed() {
  local f
  while IFS= read -r f; do
    readelf -d "$f" 2>/dev/null | sed -n "s|.*(NEEDED).*\[\(.*\)\].*|${f#"$1"/}: \1|p"
  done < <(find "$1" -type f -exec sh -c 'head -c4 "$1" | grep -q "ELF"' _ {} \; -print)
}

# Debian's documentation files (README, "Install and .deb"): the copyright file and the
# gzipped Debian changelog in /usr/share/doc/<package>, 644 root:root, the changelog's entry
# for this very package and version.
check_debian_docs() { # check_debian_docs DEB
  local deb=$1 package doc listing
  package=$(dpkg-deb -f "$deb" Package)
  doc=usr/share/doc/$package
  listing=$(dpkg-deb -c "$deb")
  for f in "$doc/copyright" "$doc/changelog.Debian.gz"; do
    if grep -Eq "^-rw-r--r-- root/root +[0-9]+ [0-9-]+ [0-9:]+ \./$f\$" <<<"$listing"; then ok "$f, 644 root/root"; else
      fail "$f not in $package as a 644 root/root file: $(grep -F "$f" <<<"$listing" || echo missing)"
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
  [ "$first" = "$package ($(dpkg-deb -f "$deb" Version)) unstable; urgency=medium" ] ||
    fail "$doc/changelog.Debian.gz starts with '$first', not $package's version $(dpkg-deb -f "$deb" Version)"
  rm -rf "$docs"
}

# lintian (Debian 12: 2.116) on a package: every error fails the test; the warnings that
# remain are listed, with the reason each stays, in README "Install and .deb".
check_lintian() { # check_lintian DEB
  if ! command -v lintian >/dev/null; then
    fail "lintian not installed (apt-get install lintian; compose/packages.sh SLUICE_TEST_PACKAGES)"
    return
  fi
  local log
  log=$scratch/lintian-$(basename "$1" .deb).log
  # Exit status: 0 nothing at --fail-on (error), 2 errors found, anything else lintian failed.
  lintian --tag-display-limit 0 --fail-on error "$1" >"$log" 2>&1
  local status=$?
  cat "$log"
  if grep -q '^E: ' "$log"; then
    fail "lintian errors in $(basename "$1"): $(grep '^E: ' "$log" | tr '\n' ';')"
  elif [ "$status" -ne 0 ]; then
    fail "lintian exited $status on $(basename "$1"): $(tail -3 "$log")"
  else
    ok "lintian $(basename "$1"): no errors ($(lintian --version))"
  fi
}

# check_control DEB OWNS_SYSTEM: only the package that owns /etc/sluice/pipeline.yaml and the unit
# (OWNS_SYSTEM=1) has conffiles, maintainer scripts and the ldconfig trigger; the others none.
check_control() {
  local deb=$1 owner=$2 control package
  package=$(dpkg-deb -f "$deb" Package)
  control=$scratch/control-$package
  rm -rf "$control" && dpkg-deb -e "$deb" "$control"
  if [ "$owner" = 1 ]; then
    if grep -qxF /etc/sluice/pipeline.yaml "$control/conffiles" 2>/dev/null; then ok "$package: conffile /etc/sluice/pipeline.yaml"; else
      fail "$package: /etc/sluice/pipeline.yaml is not a conffile"
    fi
    for script in postinst prerm postrm; do
      if [ -x "$control/$script" ] && sh -n "$control/$script"; then ok "$package: maintainer script $script"; else
        fail "$package: $script missing or broken"
      fi
    done
    grep -qx 'activate-noawait ldconfig' "$control/triggers" 2>/dev/null || fail "$package: no ldconfig trigger"
  else
    for f in conffiles postinst prerm postrm triggers shlibs; do
      [ ! -e "$control/$f" ] || fail "$package has control file $f (only sluice has one)"
    done
  fi
}
