"""Linking alerts to attack steps: place (host, system, source file), ATT&CK technique (parent
and sub-techniques), time (after the step, within the tolerance), missed steps' covering rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from test_scoring import START, at, entry, spec

from socctl.detection.alerts import Alert
from socctl.detection.rules import RuleSet, default_rule_paths, load_rules
from socctl.drills.correlate import link_steps, technique_matches
from socctl.drills.journal import Journal
from socctl.inventory.store import SystemStore, load_system_file
from socctl.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = timedelta(hours=1)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = init_workspace(tmp_path / "ws")
    SystemStore(ws).add(load_system_file(REPO / "assessments/examples/cong-dvc.yaml"))
    return ws


def alert(
    minutes: float,
    techniques: list[str],
    host: str | None = "dvc-web01",
    path: str = "/logs/x.log",
    **extra: Any,
) -> Alert:
    moment = START + timedelta(hours=10, minutes=minutes)
    return Alert(
        alert_id=f"a{minutes}-{host}-{path}-{techniques}",
        rule={"id": "r", "title": "Rule", "level": "high", "techniques": techniques},
        timestamp=moment.isoformat(),
        host=host,
        user=None,
        source={"path": path},
        system=extra.get("system"),
        event={},
    )


def attack(technique: str = "T1110.001", host: str = "dvc-web01", system: str = "cong-dvc") -> Any:
    return entry(
        "attack",
        "red-1",
        step_id="s1",
        technique=technique,
        host=host,
        system=system,
        at=at(10),
        outcome="success",
    )


def linked(ws: Workspace, step: Any, alerts: list[Alert], ruleset: RuleSet | None = None) -> Any:
    links = link_steps(
        ws, spec(), Journal("2026-hp-09", [step]), alerts, ruleset or RuleSet(), TOLERANCE
    )
    return links[0]


@pytest.mark.parametrize(
    ("alert_host", "path", "expected"),
    [
        ("dvc-web01", "/l/a.log", True),
        ("DVC-WEB01.haiphong.gov.vn", "/l/a.log", True),  # case and fully qualified name
        ("dc01", "/l/a.log", False),  # a host of another drill system
        ("other-host", "/l/a.log", False),
        (None, "/logs/dvc-web01-access.log", True),  # no host: the file is named after it
        (None, "/var/log/remote/dvc-web01/access.log", True),
        (None, "/logs/dvc-web012-access.log", False),
        (None, "/logs/access.log", False),
        ("192.0.2.20", "/l/a.log", True),  # an address of cong-dvc in the inventory
    ],
)
def test_place(ws: Workspace, alert_host: str | None, path: str, expected: bool) -> None:
    link = linked(ws, attack(), [alert(5, ["T1110.001"], alert_host, path)])
    assert link.detected is expected


def test_same_system_other_host(ws: Workspace) -> None:
    step = attack(host="dc01", system="mang-ttdl")
    assert not linked(ws, step, [alert(5, ["T1110.001"], "dvc-web01")]).detected
    assert linked(ws, step, [alert(5, ["T1110.001"], "DC01")]).detected


@pytest.mark.parametrize(
    ("rule", "step", "expected"),
    [
        ("T1110", "T1110.001", True),  # a parent matches its sub-techniques
        ("T1110.001", "T1110", True),
        ("T1110.001", "T1110.001", True),
        ("T1110.003", "T1110.001", False),  # siblings do not
        ("T1190", "T1110.001", False),
    ],
)
def test_technique(ws: Workspace, rule: str, step: str, expected: bool) -> None:
    assert technique_matches(rule, step) is expected
    assert linked(ws, attack(step), [alert(5, [rule])]).detected is expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(-0.02, False), (0, True), (59.9, True), (60, True), (60.05, False)],
)
def test_time_after_the_step_within_tolerance(
    ws: Workspace, minutes: float, expected: bool
) -> None:
    assert linked(ws, attack(), [alert(minutes, ["T1110"])]).detected is expected


def test_time_to_detect_from_the_first_alert_after_the_step(ws: Workspace) -> None:
    alerts = [
        alert(-5, ["T1110"]),
        alert(42, ["T1110"]),
        alert(12, ["T1110"]),
        alert(30, ["T1190"]),
    ]
    link = linked(ws, attack(), alerts)
    assert [a.at for a in link.alerts] == [
        (START + timedelta(hours=10, minutes=m)).isoformat() for m in (12, 42)
    ]
    assert link.minutes_to_detect == 12.0
    assert link.covering_rules == []


def test_missed_step_lists_the_rules_covering_it(ws: Workspace, tmp_path: Path) -> None:
    ruleset = load_rules(default_rule_paths(None), cache_dir=tmp_path / "cache")
    link = linked(ws, attack("T1003.006", "dc01", "mang-ttdl"), [], ruleset)
    assert not link.detected
    assert any(
        "Directory Replication" in r.title and "service:security" in r.logsource
        for r in link.covering_rules
    )
    nothing = linked(ws, attack("T1048", "dc01", "mang-ttdl"), [], ruleset)
    assert nothing.covering_rules == []
