#!/usr/bin/env bash
# Headless Chromium for the browser journeys, from Debian's packages (Playwright's own
# browser download needs the internet). Skips quietly when Chromium is already there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi
echo "[artguard] installing Chromium from Debian's packages for the browser tests"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null; }; then
  echo "[artguard] could not install Chromium; browser tests will be skipped" >&2
fi
