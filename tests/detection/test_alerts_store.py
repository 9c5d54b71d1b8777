"""The alert store: each alert kept once, filtered lists, lookup by id prefix, checkpoints."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from store_fixtures import T0, logon_failure, match, rule, workspace

from socctl.detection.alerts import build_alert
from socctl.detection.match import Match
from socctl.errors import NotFoundError, UsageError
from socctl.store import EmbeddedStore
from socctl.store.alerts import AlertFilter, AlertStore


def test_adding_the_same_alerts_again_adds_nothing(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    alerts = [build_alert(match(logon_failure(n)), "file") for n in range(5)]
    assert len(store.add(alerts)) == 5
    assert store.add(alerts) == []
    assert len(store.query()) == 5


def test_query_filters_by_level_rule_host_and_time(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    store.add(
        [
            build_alert(match(logon_failure(1), "low", "r-low"), "file"),
            build_alert(match(logon_failure(2, host="web01"), "high", "r-high"), "file"),
            build_alert(match(logon_failure(3600), "critical", "r-crit"), "file"),
        ]
    )
    assert [a["rule"]["id"] for a in store.query(AlertFilter(level="high"))] == ["r-crit", "r-high"]
    assert [a["rule"]["id"] for a in store.query(AlertFilter(rule="r-low"))] == ["r-low"]
    assert [a["rule"]["id"] for a in store.query(AlertFilter(host="WEB01"))] == ["r-high"]
    assert [
        a["rule"]["id"] for a in store.query(AlertFilter(since=T0 + timedelta(minutes=30)))
    ] == ["r-crit"]


def test_get_finds_an_alert_by_id_or_unique_prefix(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    alert = build_alert(match(logon_failure(1)), "file")
    store.add([alert])
    assert store.get(alert.alert_id)["alert_id"] == alert.alert_id
    assert store.get(alert.alert_id[:8].upper())["alert_id"] == alert.alert_id
    with pytest.raises(NotFoundError):
        store.get("ffffffffffff" if not alert.alert_id.startswith("ff") else "000000000")
    with pytest.raises(UsageError, match="too short"):
        store.get(alert.alert_id[:3])


def test_checkpoints_are_kept_per_index_and_rule(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    assert store.checkpoints("winlog") == {}
    store.add([], index="winlog", checkpoints={"r-1": "0005", "r-2": "0005"})
    store.add([], index="winlog", checkpoints={"r-1": "0009"})
    store.add([], index="web", checkpoints={"r-1": "0001"})
    assert store.checkpoints("winlog") == {"r-1": "0009", "r-2": "0005"}


def test_alerts_from_an_index_name_their_documents_file_and_record(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    EmbeddedStore(ws).ingest_events("winlog", [logon_failure(n) for n in range(3)])
    events = list(EmbeddedStore(ws).search("winlog"))
    single = build_alert(match(events[0]), "index")
    spray = build_alert(
        Match(
            rule("critical", "r-spray"),
            events,
            {"Computer": "dc01"},
            (T0, T0 + timedelta(minutes=10)),
        ),
        "index",
    )
    AlertStore(ws).add([single, spray])
    stored = AlertStore(ws).get(single.alert_id)["source"]
    assert stored == {
        "index": "winlog",
        "document_id": events[0].ref,
        "path": "/evidence/Security.evtx",
        "record": "0",
    }
    correlated = AlertStore(ws).get(spray.alert_id)["correlation"]["events"]
    assert [e["source"]["record"] for e in correlated] == ["0", "1", "2"]


def test_a_file_name_that_is_not_utf8_is_stored_escaped_under_the_same_id(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    event = replace(logon_failure(1), source=os.fsdecode(b"/evidence/bad\xffname.evtx"))
    alert = build_alert(match(event), "file")
    alert_id = alert.alert_id
    assert len(store.add([alert])) == 1
    assert store.get(alert_id)["source"]["path"] == "/evidence/bad\\xffname.evtx"
    assert store.add([build_alert(match(event), "file")]) == []  # the same alert again


def test_stream_and_count_apply_the_filters_and_the_limit(tmp_path: Path) -> None:
    store = AlertStore(workspace(tmp_path))
    store.add(
        [
            build_alert(match(logon_failure(n), "low" if n % 2 else "high"), "file")
            for n in range(10)
        ]
    )
    assert store.count() == 10
    assert store.count(AlertFilter(level="high")) == 5
    high = [orjson.loads(doc) for doc in store.stream(AlertFilter(level="high"), limit=3)]
    assert [a["timestamp"][-3:] for a in high] == ["08Z", "06Z", "04Z"]
    assert len(list(store.stream())) == len(list(store.stream(limit=0))) == 10
