"""The dossier file an IT officer edits, the deadlines it runs and who may decide on it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from socctl.errors import InputError
from socctl.inventory import dossier as core
from socctl.inventory.store import SystemStore, load_system_file
from socctl.trust.store import Role
from socctl.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assessments" / "examples" / "cong-dvc.yaml"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    ws = init_workspace(tmp_path / "ws")
    SystemStore(ws).add(load_system_file(EXAMPLE))
    return ws


def draft(ws: Workspace, regime: str = "nd85", level: int = 3) -> core.Dossier:
    system = SystemStore(ws).get("cong-dvc")
    dossier = core.new_dossier(system, regime, level, [])
    with ws.lock():
        core.save_dossier(ws, dossier)
    return dossier


def step(name: core.StepName, on: date, dossier: core.Dossier) -> core.Step:
    """A recorded step (unsigned: deadlines do not depend on signatures)."""
    return core.Step(
        step=name,
        at=datetime.now(UTC),
        date=on,
        level=dossier.proposed_level,
        content_sha256=dossier.content_sha256(),
        signer="x",
        organisation="x",
        role="x",
    )


def edit(ws: Workspace, text_change: tuple[str, str]) -> Path:
    path = core.dossier_path(ws, "cong-dvc")
    text = path.read_text(encoding="utf-8")
    assert text_change[0] in text
    path.write_text(text.replace(*text_change, 1), encoding="utf-8")
    return path


# --- the file --------------------------------------------------------------------------------


def test_a_new_dossier_lists_every_item_the_regime_requires_at_its_level(ws: Workspace) -> None:
    level3, level4 = (
        draft(ws, level=3),
        core.new_dossier(SystemStore(ws).get("cong-dvc"), "nd85", 4, []),
    )
    # ND85 Art. 15.5: the specialised unit's opinion only for levels 4-5; TT12 Art. 8.5 likewise.
    assert "part.specialised-unit-opinion" not in level3.parts
    assert "part.specialised-unit-opinion" in level4.parts
    assert len(level4.explanation) > len(level3.explanation)
    assert all(entry.status is core.ItemStatus.unassessed for entry in level3.catalogue.values())
    assert all(item_id.startswith("L3-") for item_id in level3.catalogue)
    assert core.load_dossier(ws, "cong-dvc") == level3  # what was written reads back the same


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("evidence: []", "evidence: [{note: a, url: 'https://x.vn'}]"), "parts"),
        (("evidence: []", "evidence: [{url: 'not a url'}]"), "parts"),
        (("issued: false", "issued: true"), "security_regulation"),
        (("proposed_level: 3", "proposed_level: 6"), "proposed_level"),
        (("status: unassessed", "status: done"), "catalogue"),
        (("system: cong-dvc", "system: cong-dvc\nsigned: true"), "signed"),
    ],
)
def test_a_bad_edit_names_file_line_and_field(
    ws: Workspace, change: tuple[str, str], field: str
) -> None:
    draft(ws)
    path = edit(ws, change)
    with pytest.raises(InputError) as caught:
        core.load_dossier(ws, "cong-dvc")
    assert caught.value.path == str(path)
    assert caught.value.line is not None
    assert field in caught.value.message


def test_an_impossible_date_is_named_not_a_traceback(ws: Workspace) -> None:
    draft(ws)
    path = edit(ws, ("issued: false", "issued: true\n  number: 1/QĐ\n  date: 2026-02-30"))
    with pytest.raises(InputError, match="day is out of range") as caught:
        core.load_dossier(ws, "cong-dvc")
    assert caught.value.path == str(path)


def test_a_dossier_for_another_system_is_refused(ws: Workspace) -> None:
    draft(ws)
    edit(ws, ("system: cong-dvc", "system: cong-ttdt"))
    with pytest.raises(InputError, match="does not match the file name"):
        core.load_dossier(ws, "cong-dvc")


def test_the_signed_content_ignores_layout_and_history_but_not_values(ws: Workspace) -> None:
    dossier = draft(ws)
    digest = dossier.content_sha256()
    dossier.history.append(step(core.StepName.submit, date(2026, 11, 2), dossier))
    assert dossier.content_sha256() == digest
    path = core.dossier_path(ws, "cong-dvc")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    reordered = dict(reversed(list(data.items())))
    path.write_text(yaml.safe_dump(reordered, allow_unicode=True), encoding="utf-8")
    assert core.load_dossier(ws, "cong-dvc").content_sha256() == digest
    first = next(iter(dossier.catalogue))
    dossier.catalogue[first].status = core.ItemStatus.met
    assert dossier.content_sha256() != digest


# --- check -----------------------------------------------------------------------------------


def test_check_reports_missing_evidence_files_and_the_security_regulation(ws: Workspace) -> None:
    dossier = draft(ws)
    (ws.root / "docs").mkdir()
    (ws.root / "docs" / "tong-quan.pdf").write_bytes(b"%PDF-1.4")
    dossier.parts["part.overview"].evidence = [core.Evidence(file="docs/tong-quan.pdf")]
    dossier.parts["part.design"].evidence = [core.Evidence(file="docs/thiet-ke.pdf")]
    system = SystemStore(ws).get("cong-dvc")
    result = core.check_dossier(ws.root, dossier, system, 3, "nd85", date(2026, 11, 21))
    problems = {f.ref: f.problem for f in result.findings}
    assert "part.overview" not in problems
    assert problems["part.design"] == "evidence file not found: docs/thiet-ke.pdf"
    assert problems["part.security-plan"] == "no evidence"
    regulation = [f for f in result.findings if f.kind == "prerequisite"]
    assert [f.blocks for f in regulation] == ["approve"]  # TT12 Art. 9.7
    assert "Điều 9 khoản 7" in regulation[0].article


def test_check_flags_a_level_below_the_computed_one_and_a_regime_that_no_longer_applies(
    ws: Workspace,
) -> None:
    dossier = draft(ws, "nd85", 2)
    system = SystemStore(ws).get("cong-dvc")
    result = core.check_dossier(ws.root, dossier, system, 3, "nd331", date(2026, 11, 21))
    kinds = {f.kind: f for f in result.findings}
    assert "below the computed level 3" in kinds["level"].problem
    assert "now falls under nd331" in kinds["regime"].problem
    assert kinds["level"].blocks == kinds["regime"].blocks == "submit"


def test_catalogue_statuses_not_met_and_partial_are_gaps_unassessed_is_missing(
    ws: Workspace,
) -> None:
    dossier = draft(ws)
    ids = list(dossier.catalogue)
    note = [core.Evidence(note="Biên bản kiểm tra")]
    dossier.catalogue[ids[0]] = core.CatalogueEntry(status=core.ItemStatus.not_met, evidence=note)
    dossier.catalogue[ids[1]] = core.CatalogueEntry(status=core.ItemStatus.partial, evidence=note)
    dossier.catalogue[ids[2]] = core.CatalogueEntry(status=core.ItemStatus.met)
    dossier.catalogue[ids[3]] = core.CatalogueEntry(status=core.ItemStatus.met, evidence=note)
    system = SystemStore(ws).get("cong-dvc")
    result = core.check_dossier(ws.root, dossier, system, 3, "nd85", date(2026, 11, 21))
    severity = {f.ref: f.severity for f in result.findings if f.kind == "catalogue"}
    assert severity[ids[0]] is core.Severity.gap
    assert severity[ids[1]] is core.Severity.gap
    assert severity[ids[2]] is core.Severity.missing  # met, but without evidence
    assert ids[3] not in severity
    assert severity[ids[4]] is core.Severity.missing  # not assessed


# --- deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "submitted", "due"),
    [
        # ND85 Art. 16.2.a: 15 days (calendar) for level 3.
        ("nd85", date(2026, 11, 2), date(2026, 11, 17)),
        # ND331 Art. 23-24: 15 working days for level 3 (no holiday in November).
        ("nd331", date(2026, 11, 2), date(2026, 11, 23)),
    ],
)
def test_the_appraisal_clock_runs_from_submission_in_the_regime_s_unit(
    ws: Workspace, regime: str, submitted: date, due: date
) -> None:
    dossier = draft(ws, regime)
    dossier.history.append(step(core.StepName.submit, submitted, dossier))
    system = SystemStore(ws).get("cong-dvc")
    on_time = core.clock(dossier, system, due)
    assert on_time is not None and on_time.awaiting == "appraisal"
    assert on_time.due == due and not on_time.overdue
    late = core.clock(dossier, system, date.fromordinal(due.toordinal() + 1))
    assert late is not None and late.overdue


def test_an_approval_falls_due_for_reassessment_after_the_periodic_interval(ws: Workspace) -> None:
    """ND85 Art. 20.2.c: level 3 every year; a later independent assessment restarts the clock."""
    dossier = draft(ws, "nd85")
    for name, on in (("submit", 1), ("appraise", 5), ("approve", 10)):
        dossier.history.append(step(core.StepName(name), date(2025, 3, on), dossier))
    system = SystemStore(ws).get("cong-dvc")
    layers = system.protection_layers.model_copy(update={"last_independent_assessment": None})
    system = system.model_copy(update={"protection_layers": layers})
    assert core.state_of(dossier, system, date(2026, 3, 10)) is core.State.approved
    assert core.state_of(dossier, system, date(2026, 3, 11)) is core.State.reassessment_due

    assessed = load_system_file(EXAMPLE)  # last independent assessment 18/03/2026
    running = core.clock(dossier, assessed, date(2026, 6, 1))
    assert running is not None and running.due == date(2027, 3, 18)


# --- who decides -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "submit", "appraise", "approve"),
    [
        # ND85 Art. 12.2: level 3 appraised by the specialised unit, approved by the owner.
        (3, Role.it_officer, Role.specialised_unit, Role.owner),
        # ND85 Art. 12.3 / Art. 14.1.d: level 4 filed by the owner, appraised by the Ministry of
        # Public Security (locally the city police).
        (4, Role.owner, Role.police, Role.owner),
    ],
)
def test_who_may_take_each_step_comes_from_the_regime(
    level: int, submit: Role, appraise: Role, approve: Role
) -> None:
    rules = core.rules_for("nd85", level)
    assert core.roles_for(core.StepName.submit, core.State.draft, rules) == (submit,)
    assert core.roles_for(core.StepName.appraise, core.State.submitted, rules) == (appraise,)
    assert core.roles_for(core.StepName.approve, core.State.appraised, rules) == (approve,)
    assert core.roles_for(core.StepName.return_, core.State.submitted, rules) == (appraise,)
    assert core.roles_for(core.StepName.return_, core.State.appraised, rules) == (approve,)
