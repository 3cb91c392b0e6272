#!/usr/bin/env bash
# Installs what the server and its tests need on a fresh Debian machine with Node 20:
# the Debian packages below (when missing) and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests and the runtime use, as "command:package".
APT_NEEDS=()

missing=()
for pair in "${APT_NEEDS[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  npm ci --no-audit --no-fund
fi
