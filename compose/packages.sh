# Debian packages Sluice needs, and a function that installs the missing ones.
# Sourced by compose/test.sh and compose/demo.sh.

SLUICE_BUILD_PACKAGES=(
  cmake g++ make pkg-config
  libboost-dev libboost-filesystem-dev librdkafka-dev libsoci-dev libpq-dev libyaml-cpp-dev
  libpistache-dev nlohmann-json3-dev libspdlog-dev libcli11-dev libsimdjson-dev
)
SLUICE_RUN_PACKAGES=(postgresql curl)
SLUICE_TEST_PACKAGES=(libgtest-dev libgmock-dev libcpp-httplib-dev kcat chromium nodejs npm)

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
