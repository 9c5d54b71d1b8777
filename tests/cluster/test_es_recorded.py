"""The Elasticsearch client paths against recorded answers of Elasticsearch 8's REST API
(``tests/replay.py``, ``tests/recorded/elasticsearch/``): what socctl sends (point in time in the
body, ``_shard_doc`` tie-breaker, ``search_after`` of the last hit, version 8 of the API) and
what it does with the answers (alerts, pages, the point in time closed, retries with backoff,
401/403 and a server that is not Elasticsearch in one line). No OpenSearch node is needed."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path

import pytest
from replay import ReplayServer
from subprocess_cli import socctl

from socctl.config import ElasticsearchSettings
from socctl.detection.rules import load_rules
from socctl.store.cluster.client import open_client
from socctl.store.cluster.convert import convert
from socctl.store.cluster.ingest import LOG_INDEX_BODY
from socctl.store.cluster.retry import least_backoff
from socctl.store.cluster.search import run_queries

INDEX = "winlogbeat-2026.11"
RULES = """\
title: Failed logon
id: 7d0f7a46-6c43-4a5e-9a58-0b2d1a0c0001
status: test
logsource: {product: windows, service: security}
detection:
  sel:
    EventID: 4625
  condition: sel
level: medium
---
title: Logon of an admin account
id: 7d0f7a46-6c43-4a5e-9a58-0b2d1a0c0002
status: test
logsource: {product: windows, service: security}
detection:
  sel:
    EventID: 4624
    TargetUserName|re: 'adm.*'
  condition: sel
level: low
"""
LOG = [
    {"timestamp": "2026-03-01T08:00:00Z", "user": {"name": "an"}, "action": "login"},
    {"timestamp": "2026-03-01T08:00:01Z", "user": "binh", "action": "login"},
    {"timestamp": "2026-03-01T08:00:02Z", "user": {"name": "chi"}, "action": "logout"},
]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace with short timeouts, two retries, the two rules and a three-line log."""
    ws = tmp_path / "ws"
    assert socctl("init", ws, cwd=tmp_path).returncode == 0
    toml = ws / "socctl.toml"
    toml.write_text(
        toml.read_text("utf-8").replace(
            "[elasticsearch]\n", "[elasticsearch]\nrequest_timeout = 2\nmax_retries = 2\n"
        ),
        "utf-8",
    )
    (ws / "r.yml").write_text(RULES, "utf-8")
    (ws / "app.jsonl").write_text("".join(json.dumps(x) + "\n" for x in LOG), "utf-8")
    return ws


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed (exit 4, no traceback)."""
    assert result.returncode == 4, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def asked_version_8(server: ReplayServer) -> None:
    """Every request was answered from the recording and asked for version 8 of the API."""
    assert not server.unmatched, [(r.method, r.path) for r in server.unmatched]
    for request in server.received:
        for name in ("accept", "content-type"):
            found = re.findall(r"compatible-with=(\d+)", request.headers.get(name, ""))
            assert set(found) <= {"8"}, (request.path, name, request.headers.get(name))


def test_detect_run_searches_one_point_in_time_and_closes_its_latest_id(ws: Path) -> None:
    with ReplayServer("detect") as es:
        result = socctl(
            "detect", "run", "--cluster", es.url, "--index", INDEX, "--rules", "r.yml", "-f",
            "json", cwd=ws,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    asked_version_8(es)
    assert len(es.requests("GET", "/")) == 1
    (opened,) = es.requests("POST", f"/{INDEX}/_pit")
    assert opened.query["keep_alive"] == ["2m"]
    (pit,) = (body["id"] for body in es.recorded("POST", f"/{INDEX}/_pit"))
    (msearch,) = es.requests("POST", "/_msearch")
    lines = msearch.ndjson()
    headers, bodies = lines[0::2], lines[1::2]
    assert headers == [{}, {}], "no index beside a point in time"
    for body in bodies:
        assert body["pit"] == {"id": pit, "keep_alive": "2m"}
        assert body["sort"] == [{"@timestamp": "asc"}, {"_shard_doc": "asc"}]
        assert body["size"] == 1000 and "search_after" not in body
    assert "event.code:4625" in bodies[0]["query"]["bool"]["must"][0]["query_string"]["query"]
    # The search answered with a newer id: that one is closed.
    newest = es.recorded("POST", "/_msearch")[0]["responses"][0]["pit_id"]
    assert newest != pit
    assert [r.json() for r in es.requests("DELETE", "/_pit")] == [{"id": newest}]

    alerts = json.loads(result.stdout)
    assert [(a["timestamp"], a["host"], a["source"]["document_id"]) for a in alerts] == [
        ("2026-11-20T01:00:00Z", "ws01", "evt-1"),
        ("2026-11-20T01:00:05Z", "ws01", "evt-2"),
        ("2026-11-21T09:30:00Z", "ws02", "evt-3"),
    ]
    assert {a["rule"]["title"] for a in alerts} == {"Failed logon"}
    assert "r.yml [7d0f7a46-6c43-4a5e-9a58-0b2d1a0c0002]" in result.stderr
    assert "Determinizing automaton" in result.stderr and "1 failed" in result.stderr
    assert "new in alert store 3" in result.stderr
    (bulk,) = es.requests("PUT", "/_bulk")
    actions = bulk.ndjson()[0::2]
    assert actions == [
        {"create": {"_index": f"socctl-alerts-{a['timestamp'][:10].replace('-', '.')}",
                    "_id": a["alert_id"]}}
        for a in alerts
    ]  # fmt: skip
    assert bulk.query["refresh"] == ["wait_for"]


def test_pages_go_on_after_the_last_hit_under_the_newest_point_in_time(ws: Path) -> None:
    ruleset = load_rules([ws / "r.yml"], cache_dir=None, use_cache=False)
    queries = convert(ruleset, "ecs_windows").queries
    with ReplayServer("paging") as es:
        client = open_client(ElasticsearchSettings(request_timeout=2, max_retries=0), es.url)
        hits = [
            (item[0].rule.info.title, item[1].ref)  # type: ignore[index]
            for item in run_queries(
                client, INDEX, queries, (None, None), time_field="@timestamp", batch=2, page=2
            )
        ]
    asked_version_8(es)
    assert client.product == "elasticsearch"
    assert hits == [
        ("Failed logon", "evt-1"),
        ("Failed logon", "evt-2"),
        ("Logon of an admin account", "evt-4"),
        ("Failed logon", "evt-3"),
    ]
    first, second = (r.ndjson()[1::2] for r in es.requests("POST", "/_msearch"))
    pits = es.recorded("POST", "/_msearch")
    assert len(first) == 2 and all("search_after" not in body for body in first)
    (follow,) = second  # only the rule whose page was full
    assert follow["query"] == first[0]["query"]
    assert follow["search_after"] == [1795136400000, 9], "the last hit's sort values"
    assert follow["pit"]["id"] == pits[0]["responses"][0]["pit_id"]
    assert [r.json()["id"] for r in es.requests("DELETE", "/_pit")] == [
        pits[1]["responses"][0]["pit_id"]
    ]
    assert client.requests == {"pit": 1, "msearch": 2}


def test_ingest_counts_created_conflicting_and_refused_documents(ws: Path) -> None:
    with ReplayServer("ingest") as es:
        result = socctl(
            "logs", "ingest", "app.jsonl", "--cluster", es.url, "--index", "logs-app", "-f",
            "json", cwd=ws,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    asked_version_8(es)
    (row,) = json.loads(result.stdout)
    assert (row["read"], row["added"], row["duplicates"], row["rejected"]) == (3, 1, 1, 1)
    (warning,) = [line for line in result.stderr.splitlines() if "rejected" in line]
    assert "document_parsing_exception" in warning and "field [user]" in warning
    (create,) = es.requests("PUT", "/logs-app")
    assert create.json() == LOG_INDEX_BODY
    (bulk,) = es.requests("PUT", "/_bulk")
    actions, sources = bulk.ndjson()[0::2], bulk.ndjson()[1::2]
    assert [list(a) for a in actions] == [["create"]] * 3
    assert {a["create"]["_index"] for a in actions} == {"logs-app"}
    ids = [a["create"]["_id"] for a in actions]
    assert len(set(ids)) == 3 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert [s["@timestamp"][:19] for s in sources] == [x["timestamp"][:19] for x in LOG]
    assert len(es.requests("POST", "/logs-app/_refresh")) == 1


def test_ingest_retries_a_refused_bulk_and_then_the_refused_document_with_backoff(
    ws: Path,
) -> None:
    with ReplayServer("ingest_rejected") as es:
        result = socctl(
            "logs", "ingest", "app.jsonl", "--cluster", es.url, "--index", "logs-app", "-f",
            "json", cwd=ws,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["added"], row["rejected"]) == (3, 0)
    first, again, rest = es.requests("PUT", "/_bulk")
    # The transport resent the refused request after its backoff...
    assert again.body == first.body
    assert again.at - first.at >= least_backoff(1)
    # ...and the bulk helper resent only the document answered 429, 2 s later (its first wait).
    assert rest.ndjson() == first.ndjson()[2:4]
    assert rest.at - again.at >= 2.0


def test_indices_answered_503_are_retried_with_growing_waits(ws: Path) -> None:
    with ReplayServer("indices_unavailable") as es:
        result = socctl("logs", "indices", "--cluster", es.url, "-f", "json", cwd=ws)
    assert result.returncode == 0, result.stderr
    asked_version_8(es)
    assert json.loads(result.stdout) == [
        {
            "index": INDEX,
            "events": 3,
            "time_field": "@timestamp",
            "first": "2026-11-20T01:00:00Z",
            "last": "2026-11-21T09:30:00Z",
            "size_mb": 0.0,
        }
    ]
    times = [r.at for r in es.requests("GET", "/_cat/indices/*")]
    assert len(times) == 3
    assert times[1] - times[0] >= least_backoff(1)
    assert times[2] - times[1] >= least_backoff(2)


def test_a_cluster_unavailable_past_the_retries_is_one_line_with_exit_4(ws: Path) -> None:
    with ReplayServer("always_unavailable") as es:
        line = one_line_error(socctl("logs", "indices", "--cluster", es.url, cwd=ws))
        # max_retries = 2: three attempts, then the last answer.
        assert len(es.requests("GET", "/_cat/indices/*")) == 3
    assert es.url in line and "HTTP 503" in line and "master_not_discovered_exception" in line


def test_a_server_without_the_elastic_product_header_is_refused_in_one_line(ws: Path) -> None:
    with ReplayServer("no_product") as es:
        line = one_line_error(socctl("logs", "indices", "--cluster", es.url, cwd=ws))
    assert es.url in line and "neither Elasticsearch nor OpenSearch" in line
    assert "X-Elastic-Product" in line
    assert [r.path for r in es.received] == ["/"], "nothing sent after GET /"


def test_a_web_page_at_the_url_is_refused_as_no_cluster_in_one_line(ws: Path) -> None:
    with ReplayServer("html_page") as es:
        line = one_line_error(socctl("logs", "indices", "--cluster", es.url, cwd=ws))
    assert es.url in line and "neither Elasticsearch nor OpenSearch" in line


def test_a_403_to_the_first_request_names_the_privilege(ws: Path) -> None:
    with ReplayServer("root_forbidden") as es:
        line = one_line_error(socctl("detect", "run", "--cluster", es.url, "--index", INDEX,
                                     "--rules", "r.yml", cwd=ws))  # fmt: skip
    assert "HTTP 403" in line and "cluster:monitor/main" in line and "privilege" in line


@pytest.mark.parametrize("url", ["ftp://127.0.0.1:9200", "es.example:9200", "http://"])
def test_an_address_that_is_not_http_is_refused_at_once(ws: Path, url: str) -> None:
    result = socctl("logs", "indices", "--cluster", url, cwd=ws, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "not the HTTP address of a cluster node" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("logs", "indices"),
        ("logs", "ingest", "app.jsonl", "--index", "logs-app"),
        ("detect", "run", "--index", INDEX, "--rules", "r.yml"),
    ],
)
def test_a_401_names_the_url_without_the_password_and_hints_at_credentials(
    ws: Path, command: tuple[str, ...]
) -> None:
    with ReplayServer("unauthorized") as es:
        url = es.url.replace("http://", "http://elastic:s3cret-pw@")
        result = socctl(*command, "--cluster", url, cwd=ws)
    line = one_line_error(result)
    assert es.url in line and "401" in line and "user/password" in line
    assert "s3cret" not in result.stdout + result.stderr
    sent = base64.b64encode(b"elastic:s3cret-pw").decode()
    assert {r.headers.get("authorization") for r in es.received} == {f"Basic {sent}"}


@pytest.mark.parametrize(
    ("command", "action"),
    [
        (("detect", "run", "--index", INDEX, "--rules", "r.yml"), "open_point_in_time"),
        (("logs", "ingest", "app.jsonl", "--index", "logs-app"), "indices:admin/create"),
    ],
)
def test_a_403_names_the_missing_privilege_in_one_line_without_the_api_key(
    ws: Path, command: tuple[str, ...], action: str
) -> None:
    key = "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"
    with ReplayServer("forbidden") as es:
        result = socctl(
            *command, "--cluster", es.url, cwd=ws, env={"SOCCTL_ELASTICSEARCH__API_KEY": key}
        )
    line = one_line_error(result)
    assert es.url in line and "HTTP 403" in line and action in line and "privilege" in line
    assert key not in result.stdout + result.stderr
    assert "ui2lp2axTNmsyakw9tvNnw" not in result.stdout + result.stderr
    assert {r.headers.get("authorization") for r in es.received} == {f"ApiKey {key}"}
