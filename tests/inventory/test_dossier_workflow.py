"""The dossier lifecycle end to end through the CLI (the office is in ``tests/office.py``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from office import (
    SYSTEM,
    Office,
    appraise,
    approve_all,
    days_ago,
    fill,
    make_office,
    ok,
    resign_last_step,
    rewrite,
    run,
    submit,
)


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


# --- the lifecycle ---------------------------------------------------------------------------


def test_new_check_submit_appraise_approve_verify_gate(office: Office) -> None:
    ws = office.ws
    ok(ws, "dossier", "new", SYSTEM)
    assert office.dossier.is_file()
    assert run(ws, "dossier", "check", SYSTEM, "--fail-on", "missing").code == 1

    fill(office)
    assert run(ws, "dossier", "check", SYSTEM, "--fail-on", "missing").code == 0
    assert run(ws, "dossier", "check", SYSTEM, "--fail-on", "gap").code == 1  # the partial items

    approve_all_steps = [
        ("submit", "--key", office.key("it_officer"), "--date", days_ago(30)),
        (
            "appraise",
            "--key",
            office.key("specialised_unit"),
            "--organisation",
            "Phòng ATTT",
            "--opinion",
            "Đủ điều kiện",
            "--date",
            days_ago(20),
        ),
        (
            "approve",
            "--key",
            office.key("owner"),
            "--decision-number",
            "125/QĐ-UBND",
            "--date",
            days_ago(10),
        ),
    ]
    for step in approve_all_steps:
        ok(ws, "dossier", step[0], SYSTEM, *step[1:])

    assert "approved" in ok(ws, "dossier", "show", SYSTEM, "--format", "json")
    ok(ws, "dossier", "verify", SYSTEM)
    gate = run(ws, "system", "gate", SYSTEM)
    assert gate.code == 0, gate.error or gate.out
    assert "125/QĐ-UBND" in gate.out


def test_a_return_sends_the_dossier_back_to_draft_with_its_reason(office: Office) -> None:
    ws = office.ws
    ok(ws, "dossier", "new", SYSTEM)
    fill(office, regulation=False)
    ok(ws, "dossier", "submit", SYSTEM, "--key", office.key("it_officer"), "--date", days_ago(9))
    appraise(office, 8)
    refused = run(
        ws,
        "dossier",
        "approve",
        SYSTEM,
        "--key",
        office.key("owner"),
        "--decision-number",
        "1/QĐ",
        "--date",
        days_ago(7),
    )
    assert refused.code == 3 and "security-regulation" in refused.error

    ok(
        ws,
        "dossier",
        "return",
        SYSTEM,
        "--key",
        office.key("owner"),
        "--reason",
        "Chưa ban hành quy chế",
        "--date",
        days_ago(7),
    )
    shown = ok(ws, "dossier", "show", SYSTEM, "--format", "json")
    assert '"state": "draft"' in shown and "Chưa ban hành quy chế" in shown

    fill(office)  # the regulation is now issued: a new cycle starts
    ok(ws, "dossier", "submit", SYSTEM, "--key", office.key("it_officer"), "--date", days_ago(6))
    ok(ws, "dossier", "verify", SYSTEM)  # the earlier cycle's signatures still verify


# --- refused steps write nothing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ("approve", "--key", "key:owner", "--decision-number", "1/QĐ", "--date", "TODAY"),
            3,
            "it is draft",
        ),
        (
            ("appraise", "--key", "key:specialised_unit", "--organisation", "X", "--opinion", "Y"),
            3,
            "it is draft",
        ),
        (("submit", "--key", "key:owner"), 3, "may not submit"),
        (("submit", "--key", "key:untrusted"), 3, "does not trust"),
        (("submit", "--key", "key:it_officer", "--date", "2999-01-01"), 3, "in the future"),
    ],
)
def test_a_step_out_of_order_or_by_the_wrong_role_is_refused_and_nothing_written(
    office: Office, args: tuple[str, ...], code: int, message: str
) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    fill(office)
    before = office.dossier.read_bytes()
    today = date.today().isoformat()
    argv = [
        office.key(a[4:]) if a.startswith("key:") else today if a == "TODAY" else a for a in args
    ]
    result = run(office.ws, "dossier", argv[0], SYSTEM, *argv[1:])
    assert result.code == code
    assert message in result.error
    assert "\n" not in result.error.strip()
    assert office.dossier.read_bytes() == before


def test_an_incomplete_dossier_cannot_be_submitted(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    before = office.dossier.read_bytes()
    result = run(office.ws, "dossier", "submit", SYSTEM, "--key", office.key("it_officer"))
    assert result.code == 3 and "no evidence" in result.error
    assert office.dossier.read_bytes() == before


def test_a_dossier_below_the_computed_level_cannot_be_started_or_submitted(
    office: Office,
) -> None:
    """ND331 Art. 8: no proposal below the level the criteria give."""
    refused = run(office.ws, "dossier", "new", SYSTEM, "--level", "2")
    assert refused.code == 3 and "below the computed level 3" in refused.error
    assert not office.dossier.exists()

    ok(office.ws, "dossier", "new", SYSTEM)
    fill(office)
    system_file = office.ws / "systems" / f"{SYSTEM}.yaml"
    data = yaml.safe_load(system_file.read_text(encoding="utf-8"))
    data["classification"]["information"].append("state_secret")
    data["classification"]["security_harm"] = "serious"  # level 4 (ND85 Art. 10, ND331 Art. 14)
    system_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    result = run(office.ws, "dossier", "submit", SYSTEM, "--key", office.key("it_officer"))
    assert result.code == 3 and "below the computed level 4" in result.error


def test_appraisal_is_refused_when_the_dossier_changed_after_submission(office: Office) -> None:
    submit(office, 3)
    rewrite(office, lambda d: d["parts"]["part.overview"]["evidence"].append({"note": "thêm"}))
    result = run(
        office.ws,
        "dossier",
        "appraise",
        SYSTEM,
        "--key",
        office.key("specialised_unit"),
        "--organisation",
        "X",
        "--opinion",
        "Y",
    )
    assert result.code == 3 and "changed after it was submitted" in result.error


# --- forged approvals ------------------------------------------------------------------------


def _forge_decision(office: Office) -> None:
    rewrite(office, lambda d: d["history"][-1].update(decision_number="999/QĐ-UBND"))


def _forge_content(office: Office) -> None:
    rewrite(
        office, lambda d: d["catalogue"][next(iter(d["catalogue"]))].update(status="not_applicable")
    )


def _forge_level(office: Office) -> None:
    rewrite(office, lambda d: d["history"][-1].update(level=4))


FORGERIES = {
    "approval edited by hand": (_forge_decision, "does not match the signed content"),
    "dossier edited after approval": (_forge_content, "changed after this step was signed"),
    "approved level raised by hand": (_forge_level, "does not match the signed content"),
    "signed by an untrusted key": (
        lambda o: resign_last_step(o, o.keys["untrusted"]),
        "does not trust",
    ),
    "signed by a key without the role": (
        lambda o: resign_last_step(o, o.keys["police"]),
        "may not approve",
    ),
}


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_approval_fails_verify_and_gate(office: Office, forgery: str) -> None:
    approve_all(office)
    forge, reason = FORGERIES[forgery]
    forge(office)

    verified = run(office.ws, "dossier", "verify", SYSTEM)
    assert verified.code == 3
    assert reason in verified.error
    assert "\n" not in verified.error.strip()

    gate = run(office.ws, "system", "gate", SYSTEM)
    assert gate.code == 1
    assert reason in gate.out + gate.error


def test_a_hand_edited_dossier_with_an_unknown_catalogue_item_names_file_line_and_field(
    office: Office,
) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    rewrite(office, lambda d: d["catalogue"].update({"L3-QL-99": {"status": "met"}}))
    result = run(office.ws, "dossier", "check", SYSTEM)
    assert result.code == 3
    assert str(office.dossier) in result.error
    assert "catalogue.L3-QL-99" in result.error
    line = int(result.error.split(str(office.dossier) + ":")[1].split(":")[0])
    assert "L3-QL-99" in office.dossier.read_text(encoding="utf-8").splitlines()[line - 1]
