"""Fixtures shared across the test suite (keep this minimal)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cluster_node import NodeError, OpenSearchNode, wait_for

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


# --- The OpenSearch test node ------------------------------------------------------------------
# One node for the whole run: started in the background by the controlling process (under
# pytest-xdist the workers inherit its URL through SOCCTL_TEST_OPENSEARCH_URL), waited for by the
# first test that needs it, stopped by its pid when the run ends. Set SOCCTL_TEST_OPENSEARCH_URL
# yourself to use a node you started (``python tests/cluster_node.py``); SOCCTL_TEST_ES_URL adds an
# Elasticsearch cluster to the engines the ``cluster_url`` fixture runs each cluster test against.

_OPENSEARCH_ENV = "SOCCTL_TEST_OPENSEARCH_URL"
_node: OpenSearchNode | None = None
_node_error: str | None = None


def _wants_cluster(config: pytest.Config) -> bool:
    markexpr = config.getoption("markexpr", "") or ""
    return "not cluster" not in markexpr


def pytest_configure(config: pytest.Config) -> None:
    global _node, _node_error
    if (
        hasattr(config, "workerinput")
        or os.environ.get(_OPENSEARCH_ENV)
        or not _wants_cluster(config)
    ):
        return
    try:
        _node = OpenSearchNode.start()
    except NodeError as exc:
        _node_error = str(exc)
        return
    os.environ[_OPENSEARCH_ENV] = _node.url


def pytest_unconfigure(config: pytest.Config) -> None:
    if _node is not None:
        _node.stop()
        os.environ.pop(_OPENSEARCH_ENV, None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the OpenSearch test node: {reason}")
    pytest.skip(f"no OpenSearch test node ({reason}); it needs Java 17 and Maven")


@pytest.fixture(scope="session")
def opensearch_url() -> str:
    """The URL of the real OpenSearch node, once it answers."""
    if _node_error is not None:
        _unavailable(_node_error)
    url = os.environ.get(_OPENSEARCH_ENV)
    if not url:
        _unavailable("it was not started")
    if _node is not None:
        try:
            _node.wait()
        except NodeError as exc:
            pytest.fail(str(exc))
    else:
        wait_for(url)
    return url


@pytest.fixture(
    scope="session",
    params=["opensearch", *(["elasticsearch"] if os.environ.get("SOCCTL_TEST_ES_URL") else [])],
)
def cluster_url(request: pytest.FixtureRequest) -> str:
    """Each engine a cluster test runs against: the OpenSearch node, and Elasticsearch when
    SOCCTL_TEST_ES_URL names one."""
    if request.param == "elasticsearch":
        return os.environ["SOCCTL_TEST_ES_URL"]
    return str(request.getfixturevalue("opensearch_url"))
