"""Fixtures shared across the test suite (keep this minimal)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from socctl.errors import ServiceError
from socctl.reports.pdf import find_chromium


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Headless Chromium; skipped when absent on a developer machine, a failure under CI."""
    try:
        return find_chromium()
    except ServiceError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Chromium for the browser tests: {exc}")
        pytest.skip(f"Chromium not installed ({exc}); scripts/setup.sh test installs it")
