"""``socctl detect run --cluster`` against the real node: the same alerts as the embedded engine,
the queries sigma-cli gives, msearch batching and point-in-time paging counted, the alerts
index written once, alerts read back from the cluster, faults in one line."""

from __future__ import annotations

import json
import math
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from sigma_cli import sigma_convert
from subprocess_cli import socctl

from socctl.config import ElasticsearchSettings
from socctl.detection.rules import load_rules
from socctl.store.cluster.client import open_client
from socctl.store.cluster.convert import convert
from socctl.store.cluster.search import run_queries, search_body

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = ROOT / "samples" / "windows"
RULES = ROOT / "rules" / "windows"

UNCONVERTIBLE = """\
title: Same account as subject and target
id: 11111111-2222-3333-4444-555555555555
status: test
logsource: {product: windows, service: security}
detection:
  sel:
    TargetUserName|fieldref: SubjectUserName
  condition: sel
level: low
"""

REGEX = """\
title: comsvcs MiniDump of a process id, by a regular expression
id: 44444444-5555-6666-7777-888888888888
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|re: 'comsvcs\\.dll,\\s?MiniDump\\s\\d+'
  condition: sel
level: high
"""

UPPER_CASE = """\
title: comsvcs MiniDump written in capitals
id: 22222222-3333-4444-5555-666666666666
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains|all: ['COMSVCS.DLL', 'MINIDUMP']
  condition: sel
level: high
"""


def get(url: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def loaded(cluster_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """The Windows samples in a fresh index of the cluster and in a workspace's embedded store:
    (url, index, workspace)."""
    ws = tmp_path_factory.mktemp("ws")
    assert socctl("init", ws, cwd=ws).returncode == 0
    index = f"t-detect-{uuid.uuid4().hex[:8]}"
    for args in (("--cluster", cluster_url, "--index", index), ("--index", "win")):
        result = socctl("logs", "ingest", WINDOWS, *args, cwd=ws)
        assert result.returncode == 0, result.stderr
    return cluster_url, index, ws


def detect(ws: Path, *args: str | Path, env: dict[str, str] | None = None) -> tuple[Any, str]:
    result = socctl("detect", "run", *args, "-f", "json", cwd=ws, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def test_the_cluster_finds_the_alerts_the_embedded_engine_finds(
    loaded: tuple[str, str, Path],
) -> None:
    url, index, ws = loaded
    embedded, _ = detect(ws, "--index", "win")
    cluster, stderr = detect(ws, "--cluster", url, "--index", index)

    def key(alert: dict[str, Any]) -> tuple[str, str, str]:
        return alert["rule"]["id"], alert["timestamp"], alert["host"]

    assert len(embedded) >= 10
    assert sorted(map(key, cluster)) == sorted(map(key, embedded))
    correlations = [a for a in cluster if a.get("correlation")]
    assert correlations, "the samples hold correlation alerts"
    assert {a["source"]["index"] for a in cluster if not a.get("correlation")} == {index}
    assert "1 msearch requests" in stderr and "correlation rules run by socctl" in stderr


def test_a_rerun_over_the_same_window_adds_no_alert_to_the_alerts_index(
    loaded: tuple[str, str, Path],
) -> None:
    url, index, ws = loaded
    first, _ = detect(ws, "--cluster", url, "--index", index, "--from", "2026-11-20")
    wanted = [a["alert_id"] for a in first]
    query = {"size": 1000, "query": {"terms": {"alert_id": wanted}}}
    stored = get(f"{url}/socctl-alerts-*/_search", query)
    ids = {hit["_id"] for hit in stored["hits"]["hits"]}
    assert ids == set(wanted)
    days = {hit["_index"] for hit in stored["hits"]["hits"]}
    assert days == {f"socctl-alerts-{a['timestamp'][:10].replace('-', '.')}" for a in first}

    second, stderr = detect(ws, "--cluster", url, "--index", index, "--from", "2026-11-20")
    assert [a["alert_id"] for a in second] == [a["alert_id"] for a in first]
    assert "new in alert store 0" in stderr
    assert get(f"{url}/socctl-alerts-*/_search", query)["hits"]["total"]["value"] == len(ids)


def test_alerts_list_and_show_read_the_cluster_when_it_is_the_store(
    loaded: tuple[str, str, Path],
) -> None:
    url, index, ws = loaded
    env = {"SOCCTL_DETECTION__STORE": "elasticsearch", "SOCCTL_ELASTICSEARCH__HOSTS": f'["{url}"]'}
    alerts, _ = detect(ws, "--index", index, env=env)  # the cluster from [elasticsearch]
    listed = socctl("alerts", "list", "--level", "critical", "-f", "json", cwd=ws, env=env)
    assert listed.returncode == 0, listed.stderr
    critical = {a["alert_id"] for a in alerts if a["rule"]["level"] == "critical"}
    assert critical and critical <= {a["alert_id"] for a in json.loads(listed.stdout)}
    wanted = next(iter(critical))
    shown = socctl("alerts", "show", wanted[:12], cwd=ws, env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["alert_id"] == wanted


@pytest.mark.parametrize("target", ["lucene", "opensearch_lucene"])
@pytest.mark.parametrize(
    ("pipeline", "pipelines"),
    [("winlogbeat", ["sysmon", "ecs_windows"]), ("ecs_windows", ["ecs_windows"])],
)
def test_each_query_is_what_sigma_cli_converts_the_rule_to(
    tmp_path: Path, pipeline: str, pipelines: list[str], target: str
) -> None:
    """For Elasticsearch's Lucene backend and OpenSearch's (whose queries are the same)."""
    ruleset = load_rules([RULES], cache_dir=None, use_cache=False)
    conversion = convert(ruleset, pipeline)
    assert len(conversion.queries) >= 10 and not conversion.failed
    expected = sigma_convert(ruleset, conversion.queries, tmp_path, *pipelines, target=target)
    assert any(":/.*(" in line for line in expected), "the shipped rules hold a regex"
    sent = [search_body(q, "@timestamp", None, None)["query"] for q in conversion.queries]
    assert sent == [
        {
            "bool": {
                "must": [{"query_string": {"query": query, "analyze_wildcard": True}}],
                "filter": [],
            }
        }
        for query in expected
    ]


def test_n_rules_cost_ceil_n_over_batch_msearch_requests_plus_their_pages(
    loaded: tuple[str, str, Path],
) -> None:
    url, index, _ = loaded
    ruleset = load_rules([RULES], cache_dir=None, use_cache=False)
    queries = convert(ruleset, "winlogbeat").queries
    client = open_client(ElasticsearchSettings(), url)
    batch, page = 4, 2
    hits: dict[str, list[str]] = {}
    for item in run_queries(
        client, index, queries, (None, None), time_field="@timestamp", batch=batch, page=page
    ):
        assert not hasattr(item, "reason"), item
        query, event = item  # type: ignore[misc]
        hits.setdefault(query.rule.key, []).append(event.ref)
    # Round r sends the rules that still had a full page after round r - 1.
    rounds = [len(queries)]
    while True:
        left = sum(1 for ids in hits.values() if len(ids) >= page * len(rounds))
        if not left:
            break
        rounds.append(left)
    assert client.requests == {"pit": 1, "msearch": sum(math.ceil(n / batch) for n in rounds)}
    assert len(rounds) > 1, "some rule needed a second page"
    for ids in hits.values():
        assert len(ids) == len(set(ids)), "no hit twice across pages"


def test_keyword_values_match_whatever_their_case(
    loaded: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, index, ws = loaded
    rule = tmp_path / "upper.yml"
    rule.write_text(UPPER_CASE, encoding="utf-8")
    alerts, _ = detect(ws, "--cluster", url, "--index", index, "--rules", rule)
    assert len(alerts) == 1
    assert "minidump" in json.dumps(alerts[0]["event"]).lower()


def test_a_rule_the_backend_cannot_convert_is_listed_with_the_reason(
    loaded: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, index, ws = loaded
    (tmp_path / "fieldref.yml").write_text(UNCONVERTIBLE, encoding="utf-8")
    (tmp_path / "upper.yml").write_text(UPPER_CASE, encoding="utf-8")
    alerts, stderr = detect(ws, "--cluster", url, "--index", index, "--rules", tmp_path)
    assert len(alerts) == 1
    assert "fieldref.yml [11111111-2222-3333-4444-555555555555]" in stderr
    assert "can't handle field references" in stderr
    assert "1 failed" in stderr


@pytest.mark.parametrize(
    ("target", "reason"),
    [("http://127.0.0.1:9", "Connection refused"), ("https://{host}", "TLS failure")],
)
def test_an_unreachable_cluster_or_a_tls_failure_is_one_line_with_exit_4(
    loaded: tuple[str, str, Path], target: str, reason: str
) -> None:
    url, index, ws = loaded
    target = target.format(host=url.split("://", 1)[1])
    result = socctl("detect", "run", "--cluster", target, "--index", index, cwd=ws)
    assert result.returncode == 4
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 2 and "Traceback" not in result.stderr
    assert target.split("//", 1)[1] in lines[0] and reason in lines[0]


def test_a_cidr_filter_on_keyword_fields_keeps_the_embedded_engines_alerts(
    cluster_url: str, tmp_path: Path
) -> None:
    """``c-ip|cidr`` on a web log: the index maps ``c-ip`` as a keyword, which a CIDR query
    cannot match, so the internal addresses are filtered by prefix wildcards instead."""
    rule = ROOT / "rules" / "web" / "web_admin_path_success_external.yml"
    ws = tmp_path / "ws"
    assert socctl("init", ws, cwd=tmp_path).returncode == 0
    index = f"t-cidr-{uuid.uuid4().hex[:8]}"
    loaded = socctl("logs", "ingest", ROOT / "samples" / "web", "--cluster", cluster_url,
                    "--index", index, cwd=ws)  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    embedded, _ = detect(ws, "--logs", ROOT / "samples" / "web", "--rules", rule)
    on_cluster, _ = detect(ws, "--cluster", cluster_url, "--index", index, "--rules", rule)
    assert embedded, "the samples hold requests from outside the city network"

    def key(alert: dict[str, Any]) -> tuple[str, str]:
        return alert["rule"]["id"], alert["timestamp"]

    assert sorted(map(key, on_cluster)) == sorted(map(key, embedded))


def test_a_regular_expression_matches_anywhere_in_the_value_as_in_sigma(
    loaded: tuple[str, str, Path], tmp_path: Path
) -> None:
    url, index, ws = loaded
    rule = tmp_path / "regex.yml"
    rule.write_text(REGEX, encoding="utf-8")
    embedded, _ = detect(ws, "--index", "win", "--rules", rule)
    on_cluster, _ = detect(ws, "--cluster", url, "--index", index, "--rules", rule)
    assert embedded, "the samples hold the MiniDump command line"
    assert sorted(a["timestamp"] for a in on_cluster) == sorted(a["timestamp"] for a in embedded)


@pytest.mark.parametrize("pattern", ["t-nothing-here", "t-nothing-here-*"])
def test_an_index_nothing_matches_is_named_with_exit_2(
    cluster_url: str, tmp_path: Path, pattern: str
) -> None:
    ws = tmp_path / "ws"
    assert socctl("init", ws, cwd=tmp_path).returncode == 0
    result = socctl("detect", "run", "--cluster", cluster_url, "--index", pattern, cwd=ws)
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"no index matches '{pattern}'" in line and "logs indices --cluster" in line


def test_a_rerun_with_another_pipeline_adds_no_alert_for_the_same_documents(
    loaded: tuple[str, str, Path], tmp_path: Path
) -> None:
    """The fields fetched depend on the pipeline's query; the alert of a document does not."""
    url, index, ws = loaded
    rule = tmp_path / "regex.yml"
    rule.write_text(REGEX, encoding="utf-8")
    env = {"SOCCTL_ELASTICSEARCH__ALERTS_INDEX": f"t-rerun-{uuid.uuid4().hex[:8]}"}
    args = ("--cluster", url, "--index", index, "--rules", rule)
    first, _ = detect(ws, *args, "--pipeline", "winlogbeat", env=env)
    again, stderr = detect(ws, *args, "--pipeline", "ecs_windows", env=env)
    assert first and sorted(a["alert_id"] for a in again) == sorted(a["alert_id"] for a in first)
    assert "new in alert store 0" in stderr
