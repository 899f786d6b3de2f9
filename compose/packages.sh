# Debian packages Sluice needs, and a function that installs the missing ones.
# Sourced by compose/test.sh and compose/demo.sh.

SLUICE_BUILD_PACKAGES=(
  cmake g++ make pkg-config
  libboost-dev libboost-filesystem-dev librdkafka-dev libsoci-dev libpq-dev libyaml-cpp-dev
  libpistache-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsimdjson-dev libcpp-httplib-dev
  prometheus-cpp-dev
)
SLUICE_RUN_PACKAGES=(postgresql curl)
# dpkg-dev (dpkg-shlibdeps) and file: cpack -G DEB computes the .deb dependencies (tests/packaging).
# slowhttptest and wrk: hostile and loaded HTTP clients (tests/security).
# prometheus (with promtool): the alert rules and dashboard queries (tests/monitoring).
# ccache: rebuilds of unchanged sources are cache lookups (CMakeLists.txt, SLUICE_CCACHE).
# nginx-light and openssl: the TLS proxy recipe, compose/tls-proxy (tests/compose/tls_proxy_test.sh).
# lintian: Debian's policy checks on the built .deb (tests/packaging).
# clang-format: the formatting check of the fast tier (tests/docs/clang_format.sh).
SLUICE_TEST_PACKAGES=(libgtest-dev libgmock-dev kcat chromium dpkg-dev file ccache clang-format
  slowhttptest wrk prometheus nginx-light openssl lintian)
# Node.js for the browser test: Debian's nodejs + npm, unless a node with npm is installed
# already (e.g. NodeSource's nodejs, which bundles npm and conflicts with Debian's npm).
SLUICE_NODE_PACKAGES=(nodejs npm)
# clang and its libFuzzer/sanitizer runtimes: compose/fuzz.sh (the short run in compose/test.sh).
SLUICE_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# ensure_node: node and npm on PATH, from Debian when missing.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    ensure_packages "${SLUICE_NODE_PACKAGES[@]}"
  fi
}

# ensure_packages NAME... : apt-get installs those not installed yet (needs root).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}
