#!/usr/bin/env bash
# Redis for the production-profile tests (tests/e2e/prodstack.py), from Debian's packages.
# Skips quietly when redis-server is already there. Only the binary is used: the tests start
# their own server on a free loopback port; the system service is neither needed nor started.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo -n"; fi
echo "[artguard] installing redis-server from Debian's packages for the production-profile tests"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null; }; then
  echo "[artguard] could not install redis-server; the production profile's Redis tests will be SKIPPED (loudly)" >&2
fi
