#!/usr/bin/env bash
# Installs what the server and its tests need on a fresh Debian machine with Node 20:
# the Debian packages below (when missing) and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the runtime and the tests use: FFmpeg (publishers, stills, fallback), and for
# the media tests a real RTSP camera (GStreamer's RTSP server through Python) and an RTSP broker;
# Debian's Chromium for the browser tests (driven by playwright-core, never a downloaded browser);
# ShellCheck for the add-on packaging tests (s6 scripts, the Dockerfile's RUN steps, the workflow's
# run steps); AppArmor's parser for the add-on's profile (apparmor.txt, parsed only, never loaded);
# and jpegtran for the frame-check tests (progressive and restart-marker JPEGs, which FFmpeg does not write).
APT_NEEDS=(
  ffmpeg
  libjpeg-turbo-progs
  python3-gi gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad
  rtsp-server-perl
  fonts-dejavu-core
  chromium
  shellcheck
  apparmor
)

missing=()
for pkg in "${APT_NEEDS[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
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
