"""``socctl system gate``: exit 0 only for a verified approval at the computed level, assessment
not overdue; otherwise exit 1 with one line saying why (deployment pipelines rely on both)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from office import SYSTEM, Office, approve_all, fill, make_office, ok, run


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


def gate(office: Office, *args: str) -> tuple[int, str]:
    result = run(office.ws, "system", "gate", SYSTEM, *args)
    return result.code, (result.out + result.error).strip()


def test_a_system_without_a_dossier_does_not_pass(office: Office) -> None:
    code, reason = gate(office)
    assert code == 1
    assert "no dossier" in reason and "\n" not in reason


def test_a_dossier_not_yet_approved_does_not_pass(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    fill(office)
    ok(office.ws, "dossier", "submit", SYSTEM, "--key", office.key("it_officer"))
    code, reason = gate(office)
    assert code == 1 and "submitted" in reason


def test_an_approved_system_passes_and_says_by_which_decision(office: Office) -> None:
    approve_all(office)
    code, reason = gate(office)
    assert code == 0
    assert "level 3" in reason and "125/QĐ-UBND" in reason


def test_json_output_for_pipelines(office: Office) -> None:
    approve_all(office)
    result = run(office.ws, "system", "gate", SYSTEM, "--format", "json")
    assert result.code == 0
    data = yaml.safe_load(result.out)
    assert data["passed"] is True and data["level"] == 3 and data["approved_level"] == 3


def test_a_system_whose_level_rose_after_approval_does_not_pass(office: Office) -> None:
    approve_all(office)
    system_file = office.ws / "systems" / f"{SYSTEM}.yaml"
    data = yaml.safe_load(system_file.read_text(encoding="utf-8"))
    # State secrets whose disclosure would seriously harm national security: level 4 (ND85 Art. 10,
    # ND331 Art. 14).
    data["classification"]["information"].append("state_secret")
    data["classification"]["security_harm"] = "serious"
    system_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    code, reason = gate(office)
    assert code == 1
    assert "approved at level 3" in reason and "level 4" in reason


def test_an_overdue_periodic_assessment_closes_the_gate(tmp_path: Path) -> None:
    """ND85 Art. 20.2.c: a level-3 system is assessed every year."""
    office = make_office(tmp_path)
    config = office.ws / "socctl.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('# regime = "auto"', 'regime = "nd85"'), "utf-8"
    )
    approve_all(office)
    approved = date.today() - timedelta(days=10)
    within = (approved + timedelta(days=300)).isoformat()
    after = (approved + timedelta(days=400)).isoformat()
    assert gate(office, "--as-of", within)[0] == 0
    code, reason = gate(office, "--as-of", after)
    assert code == 1
    assert "periodic assessment overdue" in reason and "ND85 Điều 20" in reason
