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
  # Chromium renders and prints the reports; pdftotext reads the PDFs back; Liberation 2 carries
  # every Vietnamese letter (Liberation 1.x lacks ạ, ờ, ệ …).
  if ! { command -v chromium && command -v pdftotext && fc-list | grep -qi liberation2; } >/dev/null 2>&1; then
    apt_install chromium poppler-utils fonts-dejavu-core fonts-liberation2
  fi
  # Java 17 and Maven build the OpenSearch node the cluster tests run against (tests/cluster_node.py).
  if ! { command -v javac && command -v mvn; } >/dev/null 2>&1; then
    apt_install openjdk-17-jdk-headless maven
  fi
fi
.venv/bin/python -m pip install -qq --disable-pip-version-check -e ".${extras}"
