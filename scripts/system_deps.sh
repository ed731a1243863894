#!/usr/bin/env bash
# Debian packages the test suite drives for real: PostgreSQL (store tests on a second backend),
# Chromium (browser tests of the web app), ffmpeg (a live RTSP/HTTP stream served on loopback).
# Installs only what is missing; needs root (CI runs as root) or passwordless sudo.
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
# A Hangul font, so the Korean web pages render in the browser tests' screenshots (not as boxes).
fc-list 2>/dev/null | grep -qi nanum || need+=(fonts-nanum)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root to install: ${need[*]}" >&2; exit 1; }
  SUDO="sudo -n"
fi
echo "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${need[@]}"
