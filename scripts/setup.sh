#!/usr/bin/env bash
# Set up socctl in ./.venv (created if missing). Usage: scripts/setup.sh [test]
#   test: also install the test tools and Debian's Chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "setup: please install $* (Debian: sudo apt-get install $*)" >&2
    return 1
  fi
}

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv 2>/dev/null || { rm -rf .venv; apt_install python3-venv && python3 -m venv .venv; }
fi

extras=""
if [ "${1:-}" = "test" ]; then
  extras="[test]"
  command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
