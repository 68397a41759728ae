#!/usr/bin/env bash
# Installs what building, running and testing need, and only what is missing: Debian 12
# packages through apt-get, test-only peers through npm from the committed lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev pkg-config git curl openssl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libssl-dev libsodium-dev libyaml-cpp-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql libexpected-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgoogle-perftools-dev nginx-light wrk python3-yaml
)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm peers: reinstall when the lock file is newer than what node_modules was built from.
installed=tests/node/node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ tests/node/package-lock.json -nt "$installed" ]; then
  echo "deps: npm ci in tests/node"
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi
