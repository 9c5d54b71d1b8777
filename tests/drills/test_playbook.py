"""Scenarios and rules of engagement: the shipped ones load; bad files are refused with file and
line; the rules refuse excluded techniques, techniques beyond their tactics or depth, and hosts out
of scope."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from socctl.drills.attack import load_attack
from socctl.drills.playbook import (
    Engagement,
    engagement_ids,
    load_engagement,
    load_scenario,
    scenario_ids,
    shipped_rule_ids,
)
from socctl.errors import InputError, NotFoundError
from socctl.resources import content_dir
from socctl.workspace import Workspace

SCENARIOS = {"portal-web-attack", "phishing-ad", "ransomware-precursors", "vpn-credential-stuffing"}
#: What tests/drills/scripted_drill.py logs under the default rules of engagement.
SCRIPTED_TECHNIQUES = ["T1190", "T1505.003", "T1110", "T1003.006", "T1048", "T1491.002"]
SCRIPTED_HOSTS = [
    "dvc-web01",
    "dvc-app02.haiphong.gov.vn",
    "dvc-db01.haiphong.gov.vn",
    "FGT-HP-CORE01",
    "dc01.haiphong.gov.vn",
]


def shipped(kind: str, item_id: str) -> str:
    return (content_dir("playbooks") / kind / f"{item_id}.yaml").read_text(encoding="utf-8")


def override(tmp_path: Path, kind: str, item_id: str, text: str) -> Workspace:
    folder = tmp_path / "playbooks" / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{item_id}.yaml").write_text(text, encoding="utf-8")
    return Workspace(tmp_path)


def line_with(text: str, needle: str, start: int = 0) -> int:
    """The 1-based number of the first line at or after ``start`` containing ``needle``."""
    lines = text.splitlines()
    return next(n for n in range(start, len(lines)) if needle in lines[n]) + 1


def refused(ws: Workspace, loader: str, item_id: str) -> InputError:
    with pytest.raises(InputError) as caught:
        if loader == "scenarios":
            load_scenario(ws, item_id)
        else:
            load_engagement(ws, item_id)
    error = caught.value
    assert error.path == str(ws.playbooks_dir / loader / f"{item_id}.yaml")
    return error


def test_every_shipped_scenario_and_engagement_loads() -> None:
    assert set(scenario_ids(None)) >= SCENARIOS
    assert "default" in engagement_ids(None)
    attack = load_attack()
    rules = shipped_rule_ids()
    for scenario_id in scenario_ids(None):
        scenario = load_scenario(None, scenario_id)
        assert scenario.id == scenario_id and scenario.source and scenario.objectives
        for step in scenario.steps:
            assert step.tactic in attack.techniques[step.technique].tactics
            assert step.expected_detections, f"{scenario_id}/{step.id} expects no detection"
            for detection in step.expected_detections:
                assert detection in rules or detection.startswith("attack.")
    for engagement_id in engagement_ids(None):
        assert load_engagement(None, engagement_id).id == engagement_id


def test_scenarios_reference_shipped_rules_where_one_covers_the_technique() -> None:
    """Every scenario names at least one real rule id, not only tags."""
    rules = shipped_rule_ids()
    for scenario_id in SCENARIOS:
        ids = [d for s in load_scenario(None, scenario_id).steps for d in s.expected_detections]
        assert any(d in rules for d in ids), scenario_id


def test_default_allows_the_scripted_drill() -> None:
    default = load_engagement(None, "default")
    for technique in SCRIPTED_TECHNIQUES:
        assert default.refuses_technique(technique) is None, technique
    for host in SCRIPTED_HOSTS:
        assert default.refuses_host(host) is None, host
    for step in load_scenario(None, "portal-web-attack").steps:
        assert default.refuses_technique(step.technique) is None, step.id
    assert default.denial_of_service is False
    assert "ví dụ" in default.emergency_contact.phone  # a placeholder, said so


def test_default_refuses_destruction_encryption_and_denial_of_service() -> None:
    default = load_engagement(None, "default")
    for technique in ["T1485", "T1486", "T1489", "T1498", "T1499", "T1490"]:
        reason = default.refuses_technique(technique)
        assert reason is not None and technique in reason and "excluded" in reason
    for host in ["thanhtoan.dvc.haiphong.gov.vn", "portal.dr.haiphong.gov.vn", "10.10.4.100"]:
        assert default.refuses_host(host) is not None, host


def test_workspace_file_overrides_the_shipped_one(tmp_path: Path) -> None:
    text = shipped("scenarios", "portal-web-attack").replace(
        'version: "2026.1"', "version: local-1"
    )
    ws = override(tmp_path, "scenarios", "portal-web-attack", text)
    assert load_scenario(ws, "portal-web-attack").version == "local-1"
    assert load_scenario(None, "portal-web-attack").version == "2026.1"
    override(
        tmp_path,
        "scenarios",
        "own-scenario",
        text.replace("id: portal-web-attack", "id: own-scenario"),
    )
    assert "own-scenario" in scenario_ids(ws) and "own-scenario" not in scenario_ids(None)


def test_unknown_ids_name_the_path_and_the_available_ones(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(NotFoundError) as caught:
        load_scenario(ws, "no-such")
    assert "no-such.yaml" in str(caught.value) and "portal-web-attack" in str(caught.value)
    with pytest.raises(NotFoundError) as caught:
        load_engagement(ws, "no-such")
    assert "no-such.yaml" in str(caught.value) and "default" in str(caught.value)


def test_an_id_cannot_reach_a_file_outside_its_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    (tmp_path / "outside.yaml").write_text(shipped("scenarios", "portal-web-attack"), "utf-8")
    (ws.playbooks_dir / "scenarios").mkdir(parents=True)
    with pytest.raises(InputError) as caught:
        load_scenario(ws, "../../outside")
    assert "is not a scenario id" in str(caught.value)
    with pytest.raises(InputError, match="is not a rules of engagement id"):
        load_engagement(ws, "../outside")


def test_unknown_technique_is_refused_at_its_line(tmp_path: Path) -> None:
    text = shipped("scenarios", "portal-web-attack").replace(
        "technique: T1505.003", "technique: T1999"
    )
    error = refused(
        override(tmp_path, "scenarios", "portal-web-attack", text), "scenarios", "portal-web-attack"
    )
    assert "T1999" in error.message and "steps.2.technique" in error.message
    assert error.line == line_with(text, "technique: T1999")


def test_tactic_not_of_the_technique_is_refused(tmp_path: Path) -> None:
    original = shipped("scenarios", "portal-web-attack")
    start = line_with(original, "technique: T1190")
    lines = original.splitlines()
    lines[start] = lines[start].replace("tactic: initial-access", "tactic: exfiltration")
    text = "\n".join(lines) + "\n"
    error = refused(
        override(tmp_path, "scenarios", "portal-web-attack", text), "scenarios", "portal-web-attack"
    )
    assert "T1190" in error.message and "exfiltration" in error.message
    assert error.line == start + 1


def test_unknown_rule_id_is_refused(tmp_path: Path) -> None:
    bad = "00000000-0000-4000-8000-000000000000"
    text = shipped("scenarios", "phishing-ad").replace("8a0a6801-3893-4898-9b2b-550e9cc5a8e7", bad)
    error = refused(
        override(tmp_path, "scenarios", "phishing-ad", text), "scenarios", "phishing-ad"
    )
    assert bad in error.message and "rules/" in error.message
    assert error.line == line_with(text, bad)


def test_neither_rule_id_nor_tag_is_refused(tmp_path: Path) -> None:
    text = shipped("scenarios", "phishing-ad").replace("- attack.t1566.001", "- sigma rule 12")
    error = refused(
        override(tmp_path, "scenarios", "phishing-ad", text), "scenarios", "phishing-ad"
    )
    assert "sigma rule 12" in error.message and error.line == line_with(text, "sigma rule 12")


def test_duplicate_step_ids_are_refused(tmp_path: Path) -> None:
    text = shipped("scenarios", "portal-web-attack").replace("- id: webshell", "- id: exploit")
    error = refused(
        override(tmp_path, "scenarios", "portal-web-attack", text), "scenarios", "portal-web-attack"
    )
    assert "'exploit'" in error.message and "earlier step" in error.message
    assert error.line == line_with(text, "- id: exploit", line_with(text, "- id: exploit"))


def test_missing_field_and_bad_values_are_refused(tmp_path: Path) -> None:
    text = shipped("scenarios", "vpn-credential-stuffing").replace("    severity: medium\n", "", 1)
    error = refused(
        override(tmp_path, "scenarios", "vpn-credential-stuffing", text),
        "scenarios",
        "vpn-credential-stuffing",
    )
    assert "missing field 'steps.3.severity'" in error.message
    assert error.line == line_with(text, "- id: service-scan")

    text = shipped("scenarios", "vpn-credential-stuffing").replace(
        "severity: medium", "severity: severe"
    )
    error = refused(
        override(tmp_path, "scenarios", "vpn-credential-stuffing", text),
        "scenarios",
        "vpn-credential-stuffing",
    )
    assert "steps.3.severity" in error.message and error.line == line_with(text, "severity: severe")

    text = shipped("engagement", "default").replace(
        "denial_of_service: false", "denial_of_service: true"
    )
    error = refused(override(tmp_path, "engagement", "default", text), "engagement", "default")
    assert "denial_of_service" in error.message
    assert error.line == line_with(text, "denial_of_service: true")

    text = shipped("engagement", "default").replace("  - 10.20.0.0/16", "  - 10.20.0.0/99")
    error = refused(override(tmp_path, "engagement", "default", text), "engagement", "default")
    assert "10.20.0.0/99" in error.message and error.line == line_with(text, "10.20.0.0/99")

    text = shipped("engagement", "default").replace("  - T1489 ", "  - T1489.999 ")
    error = refused(override(tmp_path, "engagement", "default", text), "engagement", "default")
    assert "T1489.999" in error.message and error.line == line_with(text, "T1489.999")

    text = shipped("engagement", "default").replace("id: default", "id: other")
    error = refused(override(tmp_path, "engagement", "default", text), "engagement", "default")
    assert "does not match the file name" in error.message and error.line == line_with(
        text, "id: other"
    )


def engagement(**changes: object) -> Engagement:
    data = yaml.safe_load(shipped("engagement", "default"))
    data.update(changes)
    return Engagement.model_validate(data)


def test_refuses_technique() -> None:
    rules = engagement(excluded_techniques=["T1059", "T1486"])
    assert "excluded" in (rules.refuses_technique("T1486") or "")
    reason = rules.refuses_technique("T1059.001")
    assert reason is not None and "T1059.001" in reason and "excluded T1059" in reason
    assert rules.refuses_technique("T1190") is None
    assert "not a technique" in (rules.refuses_technique("T9999") or "")

    narrow = engagement(
        allowed_tactics=["reconnaissance", "initial-access"], excluded_techniques=[]
    )
    assert narrow.refuses_technique("T1190") is None
    reason = narrow.refuses_technique("T1003.006")
    assert reason is not None and "credential-access" in reason and "allowed tactics" in reason

    listed = engagement(allowed_techniques=["T1110", "T1190"], excluded_techniques=["T1110.004"])
    assert listed.refuses_technique("T1110.003") is None  # the parent is listed
    assert "excluded" in (listed.refuses_technique("T1110.004") or "")
    assert "allowed techniques" in (listed.refuses_technique("T1048") or "")

    shallow = engagement(max_depth="foothold", excluded_techniques=[])
    assert shallow.refuses_technique("T1003.006") is None
    assert "max_depth" in (shallow.refuses_technique("T1021.002") or "")
    assert "max_depth" in (shallow.refuses_technique("T1048") or "")
    # T1078 is also initial-access: within the depth through that tactic.
    assert shallow.refuses_technique("T1078") is None


def test_an_allowed_technique_outside_the_allowed_tactics_is_refused(tmp_path: Path) -> None:
    text = (
        shipped("engagement", "default")
        .replace("allowed_techniques: []", "allowed_techniques: [T1190, T1048]")
        .replace("max_depth: objectives", "max_depth: foothold")
    )
    error = refused(override(tmp_path, "engagement", "default", text), "engagement", "default")
    assert "T1048" in error.message and "max_depth foothold" in error.message
    assert error.line == line_with(text, "allowed_techniques:")
    with pytest.raises(ValueError, match="both allowed and excluded"):
        engagement(allowed_techniques=["T1190"], excluded_techniques=["T1190"])


def test_refuses_host() -> None:
    rules = engagement(
        out_of_scope_hosts=[
            "*.dr.haiphong.gov.vn",
            "10.10.4.96/28",
            "pay01.haiphong.gov.vn",
            "bank-gw",
        ]
    )
    assert "*.dr.haiphong.gov.vn" in (rules.refuses_host("Web01.DR.haiphong.gov.vn") or "")
    assert rules.refuses_host("dr.haiphong.gov.vn") is None
    assert "10.10.4.96/28" in (rules.refuses_host("10.10.4.100") or "")
    assert rules.refuses_host("10.10.4.95") is None
    assert rules.refuses_host("10.10.4.0/24") is not None  # a target block overlapping
    assert rules.refuses_host("10.10.5.0/24") is None
    assert rules.refuses_host("PAY01.haiphong.gov.vn.") is not None
    assert rules.refuses_host("pay01") is not None  # the short name of an excluded host
    assert rules.refuses_host("pay011.haiphong.gov.vn") is None
    assert rules.refuses_host("bank-gw.haiphong.gov.vn") is not None
    assert rules.refuses_host("dvc-web01") is None
    globbed = engagement(out_of_scope_hosts=["10.10.9.*"])
    assert globbed.refuses_host("10.10.9.7") is not None
    assert globbed.refuses_host("10.10.19.7") is None
