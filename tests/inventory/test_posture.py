"""``socctl posture``: what reviewers read first: levels, dossier states, overdue steps, the four
protection layers, systems operating without an approved level, the annual report dates."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from office import (
    EXAMPLES,
    SYSTEM,
    Office,
    approve_all,
    office_with_examples,
    ok,
    run,
    submit,
)


@pytest.fixture
def office(tmp_path: Path) -> Office:
    office = office_with_examples(tmp_path)
    return office


def posture(office: Office, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(office.ws, "posture", "--format", "json", *args))


def test_every_system_is_counted_once_by_level_and_status(office: Office) -> None:
    data = posture(office)
    systems = {s["system"]: s for s in data["systems"]}
    assert set(systems) == {p.stem for p in EXAMPLES}
    counted = sum(
        sum(v for k, v in row.items() if k != "level") for row in data["by_level_and_status"]
    )
    assert counted == len(EXAMPLES)
    for row in data["by_level_and_status"]:
        at_level = [s for s in systems.values() if s["level"] == row["level"]]
        assert row["operating"] == sum(s["status"] == "operating" for s in at_level)


def test_operating_systems_without_an_approved_level_are_listed_until_approved(
    office: Office,
) -> None:
    operating = {
        p.stem for p in EXAMPLES if yaml.safe_load(p.read_text("utf-8"))["status"] == "operating"
    }
    assert SYSTEM in operating
    assert set(posture(office)["operating_without_approval"]) == operating
    approve_all(office)
    data = posture(office)
    assert set(data["operating_without_approval"]) == operating - {SYSTEM}
    assert data["dossiers_by_state"]["approved"] == 1
    assert data["dossiers_by_state"]["none"] == len(EXAMPLES) - 1


def test_an_overdue_appraisal_is_flagged_and_fails_with_fail_on_overdue(office: Office) -> None:
    submit(office, 2)
    assert run(office.ws, "posture", "--fail-on", "overdue").code == 0

    later = (date.today() + timedelta(days=88)).isoformat()  # past any appraisal deadline
    data = posture(office, "--as-of", later)
    assert [s["system"] for s in data["overdue"]] == [SYSTEM]
    assert data["overdue"][0]["awaiting"] == "appraisal"
    assert run(office.ws, "posture", "--as-of", later, "--fail-on", "overdue").code == 1
    shown = run(office.ws, "dossier", "show", SYSTEM, "--as-of", later, "--format", "json")
    assert json.loads(shown.out)["clock"]["overdue"] is True
    checked = run(office.ws, "dossier", "check", SYSTEM, "--as-of", later, "--fail-on", "overdue")
    assert checked.code == 1


def test_layer_coverage_counts_each_layer_over_active_systems(office: Office) -> None:
    data = posture(office)
    coverage = data["layer_coverage"]
    active = [p for p in EXAMPLES if yaml.safe_load(p.read_text("utf-8"))["status"] != "retired"]
    assert coverage["active_systems"] == len(active)
    connected = sum(
        bool(
            (yaml.safe_load(p.read_text("utf-8")).get("protection_layers") or {})
            .get("national_monitoring_connection", {})
            .get("connected")
        )
        for p in active
    )
    assert coverage["national_monitoring"] == connected
    assert all(0 <= coverage[k] <= len(active) for k in coverage)


@pytest.mark.parametrize(
    ("as_of", "year"),
    [("2026-11-22", 2026), ("2026-12-24", 2026), ("2026-12-26", 2027), ("2027-03-01", 2027)],
)
def test_annual_report_dates_follow_the_reporting_year(
    office: Office, as_of: str, year: int
) -> None:
    """TT12 Art. 13 / ND331 Art. 35: data from 15/12 to 14/12; units before 20/12, owners 25/12."""
    reports = posture(office, "--as-of", as_of)["annual_reports"]
    assert reports
    befores = sorted({r["before"] for r in reports})
    assert befores == [f"{year}-12-20", f"{year}-12-25"]
    assert {(r["period_from"], r["period_to"]) for r in reports} == {
        (f"{year - 1}-12-15", f"{year}-12-14")
    }


def test_table_output_names_every_section(office: Office) -> None:
    out = ok(office.ws, "posture")
    for title in (
        "Systems by level",
        "Dossiers by state",
        "Overdue steps",
        "4-layer coverage",
        "Operating without an approved level",
        "Annual reports",
    ):
        assert title in out


def test_annual_reports_carry_the_authority_beside_the_signing_role(office: Office) -> None:
    """JSON keeps the trust roles for machines and the law's authority for documents."""
    reports = posture(office, "--as-of", "2026-11-22")["annual_reports"]
    to_ministry = [r for r in reports if r["by"] == ["owner"]]
    assert to_ministry
    for report in to_ministry:
        assert (report["to"], report["to_authority"]) == ("police", "Bộ Công an")
        assert report["by_authority"] == "Chủ quản hệ thống thông tin"
