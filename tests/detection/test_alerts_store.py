"""The alert store: each alert kept once, filtered lists, lookup by id prefix, checkpoints."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from store_fixtures import T0, logon_failure, match, workspace

from socctl.detection.alerts import build_alert
from socctl.errors import NotFoundError, UsageError
from socctl.store.alerts import AlertStore


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
    assert [a["rule"]["id"] for a in store.query(level="high")] == ["r-crit", "r-high"]
    assert [a["rule"]["id"] for a in store.query(rule="r-low")] == ["r-low"]
    assert [a["rule"]["id"] for a in store.query(host="WEB01")] == ["r-high"]
    assert [a["rule"]["id"] for a in store.query(since=T0 + timedelta(minutes=30))] == ["r-crit"]


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
