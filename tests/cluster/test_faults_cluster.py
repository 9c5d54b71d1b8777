"""429, 503 and timeouts between socctl and the real OpenSearch node (``tests/faultproxy.py``
answers or holds chosen requests, forwards the rest): retried with growing waits, the run's
result the same as without the fault; past the retries, one line and exit 4, no alert kept."""

from __future__ import annotations

import json
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from faultproxy import Fault, FaultProxy
from subprocess_cli import socctl

from socctl.store.cluster.retry import least_backoff

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = ROOT / "samples" / "windows"
RULES = ROOT / "rules" / "windows"


def get(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def workspace(tmp_path: Path, timeout: int = 5) -> Path:
    """A workspace whose cluster requests time out after ``timeout`` s, retried twice, with
    alerts in an index of its own (``t-alerts-<workspace's directory>-<day>``)."""
    ws = tmp_path / "ws"
    assert socctl("init", ws, cwd=tmp_path).returncode == 0
    toml = ws / "socctl.toml"
    settings = (
        f"[elasticsearch]\nrequest_timeout = {timeout}\nmax_retries = 2\n"
        f'alerts_index = "{alerts_index(ws)}"\n'
    )
    toml.write_text(toml.read_text("utf-8").replace("[elasticsearch]\n", settings), "utf-8")
    return ws


@pytest.fixture(scope="module")
def index(opensearch_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Windows samples in a fresh index of the node."""
    name = f"t-faults-{uuid.uuid4().hex[:8]}"
    ws = tmp_path_factory.mktemp("load")
    result = socctl("logs", "ingest", WINDOWS, "--cluster", opensearch_url, "--index", name, cwd=ws)
    assert result.returncode == 0, result.stderr
    return name


def alerts_index(ws: Path) -> str:
    return f"t-alerts-{uuid.uuid5(uuid.NAMESPACE_URL, str(ws)).hex[:12]}"


def detect(ws: Path, url: str, index: str) -> Any:
    """``detect run --cluster`` of the shipped Windows rules over ``index``."""
    return socctl(
        "detect", "run", "--cluster", url, "--index", index, "--rules", RULES, "-f", "json",
        cwd=ws,
    )  # fmt: skip


def alert_ids(result: Any) -> list[str]:
    assert result.returncode in (0, 1), result.stderr
    return sorted(a["alert_id"] for a in json.loads(result.stdout))


def one_line_error(result: Any) -> str:
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("status", [429, 503])
def test_msearch_refused_twice_is_retried_with_growing_waits_and_finds_the_same_alerts(
    opensearch_url: str, index: str, tmp_path: Path, status: int
) -> None:
    ws = workspace(tmp_path)
    expected = alert_ids(detect(ws, opensearch_url, index))
    assert expected, "the shipped rules find the shipped samples' attacks"
    with FaultProxy(opensearch_url, [Fault(r"/_msearch", status=status, times=2)]) as proxy:
        found = alert_ids(detect(ws, proxy.url, index))
    assert found == expected
    first, second, third, *_ = proxy.times("POST", r"/_msearch")
    assert second - first >= least_backoff(1)
    assert third - second >= least_backoff(2)


def test_a_bulk_answered_503_is_resent_and_every_event_is_loaded_once(
    opensearch_url: str, tmp_path: Path
) -> None:
    ws = workspace(tmp_path)
    name = f"t-faults-bulk-{uuid.uuid4().hex[:8]}"
    with FaultProxy(opensearch_url, [Fault(r"/_bulk", status=503, times=1)]) as proxy:
        result = socctl(
            "logs", "ingest", WINDOWS, "--cluster", proxy.url, "--index", name, "-f", "json",
            cwd=ws,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    read = sum(row["read"] for row in rows)
    assert sum(row["added"] for row in rows) == read and read > 0
    assert sum(row["rejected"] for row in rows) == 0
    assert get(f"{opensearch_url}/{name}/_count")["count"] == read
    first, second, *_ = proxy.times("PUT", r"/_bulk") or proxy.times("POST", r"/_bulk")
    assert second - first >= least_backoff(1)


def test_a_search_that_times_out_once_is_sent_again(
    opensearch_url: str, index: str, tmp_path: Path
) -> None:
    ws = workspace(tmp_path, timeout=2)
    expected = alert_ids(detect(ws, opensearch_url, index))
    with FaultProxy(opensearch_url, [Fault(r"/_msearch", hang=4, times=1)]) as proxy:
        found = alert_ids(detect(ws, proxy.url, index))
    assert found == expected
    first, second, *_ = proxy.times("POST", r"/_msearch")
    assert second - first >= 2 + least_backoff(1), "the timeout, then the backoff"


@pytest.mark.parametrize(
    ("fault", "said"),
    [
        (Fault(r"/_msearch", status=503, times=None), "HTTP 503"),
        (Fault(r"/_msearch", hang=3, times=None), "did not answer within the request timeout"),
    ],
    ids=["503", "timeout"],
)
def test_a_node_failing_past_the_retries_ends_in_one_line_and_keeps_no_alert(
    opensearch_url: str, index: str, tmp_path: Path, fault: Fault, said: str
) -> None:
    ws = workspace(tmp_path, timeout=1)
    with FaultProxy(opensearch_url, [fault]) as proxy:
        line = one_line_error(detect(ws, proxy.url, index))
        assert len(proxy.times("POST", r"/_msearch")) == 3, "max_retries = 2: three attempts"
    assert proxy.url in line and said in line
    pattern = f"{alerts_index(ws)}*"
    indices = get(f"{opensearch_url}/_cat/indices/{pattern}?format=json&expand_wildcards=all")
    assert indices == [], "no alert written from a run that failed"
