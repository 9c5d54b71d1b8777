#!/usr/bin/env bash
# Set up (scripts/setup.sh test) and run every check: ruff lint and format, mypy, the pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/pytest -n 2 "$@"
