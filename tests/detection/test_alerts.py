"""Alerts built from matches: stable ids, host/user/system, suppression, level order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from store_fixtures import T0, logon_failure, match, rule

from socctl.detection.alerts import LEVELS, build_alert, level_rank, parse_level, suppress
from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.errors import UsageError
from socctl.inventory.hosts import SystemRef

PORTAL = SystemRef("cong-dich-vu-cong", "Cổng dịch vụ công", "Sở KH&CN Hải Phòng", 3)


def test_an_alert_names_rule_time_host_user_source_and_event() -> None:
    event = logon_failure(5, user="nguyenvana")
    alert = build_alert(match(event), "file")
    data = alert.to_dict()
    assert data["rule"] == {
        "id": "r-1",
        "title": "Failed logon",
        "level": "high",
        "status": "test",
        "tags": ["attack.credential_access", "attack.t1110"],
        "techniques": ["T1110"],
    }
    assert data["timestamp"] == "2026-11-21T01:00:05Z"
    assert (data["host"], data["user"]) == ("dc01.haiphong.gov.vn", "nguyenvana")
    assert data["source"] == {"path": "/evidence/Security.evtx", "record": "5"}
    assert data["event"] == event.data
    assert data["system"] is None


def test_alert_id_is_stable_and_differs_by_rule_and_record() -> None:
    event = logon_failure(1)
    first = build_alert(match(event), "file").alert_id
    assert build_alert(match(logon_failure(1)), "file").alert_id == first
    assert build_alert(match(logon_failure(2)), "file").alert_id != first
    assert build_alert(match(event, rule_id="r-2"), "file").alert_id != first


def test_index_alerts_name_the_index_and_document() -> None:
    event = replace(logon_failure(1), source="winlog", ref="ab12")
    assert build_alert(match(event), "index").source == {"index": "winlog", "document_id": "ab12"}


def test_placeholder_users_are_skipped_for_the_next_field() -> None:
    event = logon_failure(1, user="-")
    event.fields["SubjectUserName"] = "svc_backup"
    assert build_alert(match(event), "file").user == "svc_backup"


def test_ecs_and_web_events_give_host_and_user() -> None:
    ecs = Event(
        fields={"host.name": "web01", "user.name": "root"},
        data={"host": {"name": "web01"}, "user": {"name": "root"}},
        source="beats.ndjson",
        ref="1",
        kind="ecs",
    )
    web = Event(
        fields={"c-ip": "203.0.113.7", "c-uri": "/index.php?id=1'--"},
        data={"c-ip": "203.0.113.7", "c-uri": "/index.php?id=1'--"},
        source="access.log",
        ref="0",
        kind="webserver",
    )
    assert (build_alert(match(ecs), "file").host, build_alert(match(ecs), "file").user) == (
        "web01",
        "root",
    )
    assert build_alert(match(web), "file").host is None  # the client is not the host
    assert build_alert(match(web), "file").timestamp is None


def test_system_is_found_by_host_or_else_by_a_server_ip_in_the_event() -> None:
    def by_host(name: str) -> SystemRef | None:
        return PORTAL if name == "dc01.haiphong.gov.vn" else None

    def by_ip(name: str) -> SystemRef | None:
        return PORTAL if name == "10.0.0.9" else None

    expected = {"id": PORTAL.id, "name": PORTAL.name, "owner": PORTAL.owner, "level": 3}
    assert build_alert(match(logon_failure(1)), "file", by_host).system == expected
    served = logon_failure(1)
    served.fields["host.ip"] = "10.0.0.9"
    assert build_alert(match(served), "file", by_ip).system == expected
    # IpAddress of a failed logon is the client's: it never names the system
    assert build_alert(match(logon_failure(1)), "file", by_ip).system is None
    assert build_alert(match(logon_failure(1)), "file", lambda _: None).system is None


def test_a_correlation_alert_lists_its_events_and_is_keyed_by_group_and_window() -> None:
    events = [logon_failure(n) for n in range(3)]
    window = (T0, T0 + timedelta(seconds=2))
    spray = Match(rule("critical", "spray"), events, {"Computer": "dc01"}, window)
    alert = build_alert(spray, "file")
    assert alert.correlation is not None
    assert alert.correlation["count"] == 3
    assert [e["event"] for e in alert.correlation["events"]] == [e.data for e in events]
    assert alert.timestamp == "2026-11-21T01:00:00Z"
    again = Match(rule("critical", "spray"), events[:2], {"Computer": "dc01"}, window)
    other = Match(rule("critical", "spray"), events, {"Computer": "dc02"}, window)
    assert build_alert(again, "file").alert_id == alert.alert_id
    assert build_alert(other, "file").alert_id != alert.alert_id


def test_suppress_groups_repeats_within_the_window_with_a_count() -> None:
    alerts = [
        build_alert(match(logon_failure(n * 60, user=user)), "file")
        for n, user in [(0, "a"), (1, "a"), (2, "b"), (9, "a"), (11, "a")]
    ]
    kept = suppress(alerts, ["host", "TargetUserName"], timedelta(minutes=10))
    summary = [(a.user, a.timestamp, a.count) for a in kept]
    assert summary == [
        ("a", "2026-11-21T01:00:00Z", 3),  # minutes 0, 1 and 9
        ("b", "2026-11-21T01:02:00Z", 1),
        ("a", "2026-11-21T01:11:00Z", 1),  # outside the first group's 10 minutes
    ]
    assert kept[0].to_dict()["last_timestamp"] == "2026-11-21T01:09:00Z"
    assert "count" not in kept[1].to_dict()


def test_suppress_keeps_different_rules_apart() -> None:
    alerts = [build_alert(match(logon_failure(1), rule_id=r), "file") for r in ("r-1", "r-2")]
    assert len(suppress(alerts, ["host"], timedelta(minutes=10))) == 2


def test_levels_are_ordered_and_validated() -> None:
    ranks = [level_rank(level) for level in LEVELS]
    assert ranks == sorted(ranks)
    assert level_rank("critical") > level_rank("high") > level_rank(None)
    assert parse_level("HIGH") == "high"
    with pytest.raises(UsageError, match="not a level"):
        parse_level("severe")
