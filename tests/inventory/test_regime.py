"""Regime data (ND85/TT12, ND331): roles, deadlines, dossier, transition, and bad regime files."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from socctl.errors import InputError, NotFoundError
from socctl.inventory.regime import (
    StepName,
    applicable_regime,
    classification_facts,
    load_regime,
    load_regime_file,
    parse_condition,
    regime_path,
)
from socctl.inventory.system import Classification, System
from socctl.trust import Role

ARTICLE = re.compile(r"^(ND85|TT12|ND331) Điều \d+")


@pytest.mark.parametrize("name", ["nd85", "nd331"])
def test_every_rule_cites_an_article_of_its_texts(name: str) -> None:
    regime = load_regime(name)
    cited = [c.article for c in regime.criteria]
    cited += [s.article for p in regime.procedures for s in p.steps]
    cited += [s.deadline.article for p in regime.procedures for s in p.steps if s.deadline]
    cited += [p.article for p in regime.periodic_assessment]
    cited += [i.article for i in regime.dossier.items()]
    cited += [regime.annual_report.article, regime.component_rule]
    assert all(ARTICLE.match(a) for a in cited), [a for a in cited if not ARTICLE.match(a)]
    own = {"nd85": ("ND85", "TT12"), "nd331": ("ND331",)}[name]
    assert all(a.split()[0] in own for a in cited)


def test_nd331_is_marked_as_an_unverified_copy() -> None:
    assert load_regime("nd85").verified
    nd331 = load_regime("nd331")
    assert not nd331.verified
    assert not next(s for s in nd331.sources if s.id == "ND331").verified


def deadline(regime: str, level: int, step: str) -> tuple[int, str] | None:
    found = load_regime(regime).procedure(level).step(step)
    assert found is not None, f"{regime} has no {step} step at level {level}"
    return (found.deadline.amount, found.deadline.unit.value) if found.deadline else None


def test_nd85_deadlines_art16_2_calendar_days_and_art17_2_working_days() -> None:
    assert deadline("nd85", 3, "appraise") == (15, "calendar_days")
    assert deadline("nd85", 4, "appraise") == (30, "calendar_days")
    assert deadline("nd85", 5, "appraise") == (30, "calendar_days")
    assert deadline("nd85", 2, "appraise") is None
    for lvl in (1, 2, 3, 4, 5):
        assert deadline("nd85", lvl, "approve") == (7, "working_days")


def test_nd331_deadlines_art23_and_art24_in_working_days() -> None:
    for lvl in (1, 2, 3, 4, 5):
        assert deadline("nd331", lvl, "reply_incomplete") == (5, "working_days")
        assert deadline("nd331", lvl, "approve") == (7, "working_days")
    assert deadline("nd331", 3, "appraise") == (15, "working_days")
    assert deadline("nd331", 4, "appraise") == (25, "working_days")
    assert deadline("nd331", 5, "appraise") == (25, "working_days")


def test_a_deadline_gives_its_due_date() -> None:
    """A complete level-3 dossier received Friday 2/10/2026: 15 working days (ND331 Art. 23.3.a)."""
    step = load_regime("nd331").procedure(3).step("appraise")
    assert step is not None and step.deadline is not None
    assert step.deadline.due(date(2026, 10, 2)) == date(2026, 10, 23)


@pytest.mark.parametrize("name", ["nd85", "nd331"])
def test_who_appraises_and_approves_each_level(name: str) -> None:
    """ND85 Art. 12, 14 / ND331 Art. 18, 20, in the trust roles of the people who sign."""
    regime = load_regime(name)

    def roles(lvl: int, step: StepName) -> set[Role]:
        found = regime.procedure(lvl).step(step)
        return set(found.roles) if found else set()

    for lvl in (1, 2, 3):
        assert roles(lvl, StepName.submit) == {Role.it_officer}  # the operator files it
    for lvl in (1, 2):
        assert roles(lvl, StepName.appraise) == {Role.specialised_unit}
        assert roles(lvl, StepName.approve) == {Role.specialised_unit}
        assert regime.procedure(lvl).step(StepName.approve).report_to == Role.owner  # type: ignore[union-attr]
    assert roles(3, StepName.appraise) == {Role.specialised_unit}
    assert roles(3, StepName.approve) == {Role.owner}
    for lvl in (4, 5):
        assert roles(lvl, StepName.professional_opinion) == {Role.specialised_unit}
        assert roles(lvl, StepName.submit) == {Role.owner}
        # The Ministry of Public Security appraises; locally the city police sign for it.
        assert roles(lvl, StepName.appraise) == {Role.police}
        assert "Bộ Công an" in regime.procedure(lvl).step(StepName.appraise).authority  # type: ignore[union-attr]
        assert roles(lvl, StepName.approve) == {Role.owner}
    assert regime.procedure(5).step(StepName.approve).decides == "security_plan"  # type: ignore[union-attr]
    prime_minister = regime.procedure(5).step(StepName.approve_list)
    assert prime_minister is not None and prime_minister.authority == "Thủ tướng Chính phủ"
    assert prime_minister.roles == []  # decided outside socctl: nobody signs it here
    assert regime.procedure(4).step(StepName.approve_list) is None


@pytest.mark.parametrize("name", ["nd85", "nd331"])
def test_every_signing_role_of_a_regime_is_a_trust_role(name: str) -> None:
    """One vocabulary: the regime names the roles people hold in the workspace's trust store."""
    regime = load_regime(name)
    named = [r for p in regime.procedures for s in p.steps for r in s.roles]
    named += [r for s in regime.annual_report.submissions for r in (*s.by, s.to)]
    assert named and all(isinstance(r, Role) for r in named)


def test_a_regime_role_outside_the_trust_roles_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "        roles: [police]\n", "        roles: [mps]\n")
    with pytest.raises(InputError) as err:
        load_regime_file(path)
    assert "roles" in str(err.value) and "roles: [mps]" in error_line(path, err.value)


def test_periodic_assessment_nd85_art20_2_c() -> None:
    nd85 = load_regime("nd85")
    assert [nd85.periodic(lvl).every_months for lvl in (1, 2, 3, 4, 5)] == [24, 24, 12, 12, 6]
    assert nd85.periodic(1).scope == "organisation"
    assert [nd85.periodic(lvl).independent for lvl in (2, 3)] == [False, True]


def test_nd331_sets_no_fixed_assessment_period_art28_5() -> None:
    nd331 = load_regime("nd331")
    assert all(nd331.periodic(lvl).every_months is None for lvl in (1, 2, 3, 4, 5))
    assert nd331.periodic(5).independent and not nd331.periodic(3).independent


@pytest.mark.parametrize("name", ["nd85", "nd331"])
def test_annual_report_dates_tt12_art13_nd331_art35(name: str) -> None:
    report = load_regime(name).annual_report
    assert (report.period_from.in_year(2025), report.period_to.in_year(2026)) == (
        date(2025, 12, 15),
        date(2026, 12, 14),
    )
    units, owner = report.submissions
    assert (units.to, units.before.in_year(2026)) == (Role.owner, date(2026, 12, 20))
    assert (owner.to, owner.before.in_year(2026)) == (Role.police, date(2026, 12, 25))
    assert owner.to_authority == "Bộ Công an"  # ND331 Art. 35.4.b; TT12's ministry since 1/3/2025


@pytest.mark.parametrize("name", ["nd85", "nd331"])
def test_dossier_parts_depend_on_the_level(name: str) -> None:
    """ND85 Art. 15.5 / ND331 Art. 21.5: the specialised unit's opinion only for levels 4-5;
    TT12 Art. 8.5 / ND331 Art. 22.5: connected systems, threats, impact, 24/7 for levels 4-5."""
    regime = load_regime(name)
    level3 = {i.id for i in regime.dossier_items(3)}
    level4 = {i.id for i in regime.dossier_items(4)}
    assert {"part.overview", "part.design", "part.level-proposal", "part.security-plan"} <= level3
    assert "approval.security-regulation" in level3  # TT12 Art. 9.7 / ND331 Art. 30.7
    assert "approval.appraisal-opinion" in level3
    assert "approval.appraisal-opinion" not in {i.id for i in regime.dossier_items(2)}
    extra = level4 - level3
    assert {"part.specialised-unit-opinion", "proposal.threats", "proposal.24x7"} <= extra
    assert len(regime.dossier.security_plan) == 7  # ND85 Art. 19.2 / ND331 Art. 29.2, a-g


def test_nd331_adds_the_risk_assessment_report_for_levels_4_and_5() -> None:
    assert "proposal.risk-assessment-report" in {
        i.id for i in load_regime("nd331").dossier_items(4)
    }
    assert "proposal.risk-assessment-report" not in {
        i.id for i in load_regime("nd85").dossier_items(4)
    }


# --- which regime applies ----------------------------------------------------------------------


def system(regime: str = "auto", **dates: Any) -> System:
    return System.model_validate(
        {
            "id": "cong-dvc",
            "name": "Cổng dịch vụ công",
            "owner": "UBND thành phố",
            "operator": "Trung tâm Dữ liệu",
            "regime": regime,
            "dates": dates,
        }
    )


def test_before_nd331_takes_effect_nd85_applies() -> None:
    choice = applicable_regime(system(operating_since=date(2020, 1, 1)), "auto", date(2026, 8, 18))
    assert choice.regime.id == "nd85"


def test_an_operating_system_moves_to_nd331_when_it_takes_effect_art38() -> None:
    choice = applicable_regime(system(operating_since=date(2020, 1, 1)), "auto", date(2026, 8, 19))
    assert choice.regime.id == "nd331"


def test_system_under_construction_before_1_7_2026_finishes_under_nd85_art39_1() -> None:
    building = system(construction_started=date(2026, 3, 1))
    choice = applicable_regime(building, "auto", date(2026, 10, 1))
    assert choice.regime.id == "nd85"
    assert choice.article == "ND331 Điều 39 khoản 1"
    assert (choice.old_rules_until, choice.new_conditions_by) == (
        date(2027, 1, 1),
        date(2027, 7, 1),
    )
    assert "2027-01-01" in choice.reason


def test_the_transition_window_closes_six_months_after_1_7_2026() -> None:
    building = system(construction_started=date(2026, 3, 1))
    assert applicable_regime(building, "auto", date(2027, 1, 1)).regime.id == "nd85"
    after = applicable_regime(building, "auto", date(2027, 1, 2))
    assert after.regime.id == "nd331" and "over" in after.reason


def test_construction_started_after_1_7_2026_follows_nd331() -> None:
    choice = applicable_regime(
        system(construction_started=date(2026, 7, 1)), "auto", date(2026, 10, 1)
    )
    assert choice.regime.id == "nd331"


def test_a_system_already_operating_before_1_7_2026_is_not_in_the_transition() -> None:
    built = system(construction_started=date(2024, 1, 1), operating_since=date(2025, 6, 1))
    assert applicable_regime(built, "auto", date(2026, 10, 1)).regime.id == "nd331"


def test_workspace_pin_applies_and_the_system_pin_wins_over_it() -> None:
    auto = system(operating_since=date(2020, 1, 1))
    pinned = applicable_regime(auto, "nd85", date(2027, 3, 1))
    assert pinned.regime.id == "nd85" and "workspace" in pinned.reason
    own = applicable_regime(system("nd331"), "nd85", date(2027, 3, 1))
    assert own.regime.id == "nd331" and "system" in own.reason


# --- bad regime data -------------------------------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str, name: str = "nd85") -> Path:
    text = regime_path(name).read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old!r}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def error_line(path: Path, err: InputError) -> str:
    assert err.path == str(path) and err.line is not None, str(err)
    return path.read_text(encoding="utf-8").splitlines()[err.line - 1]


def test_a_misspelt_value_in_a_condition_names_file_line_and_field(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "      serves: internal\n", "      serves: internall\n")
    with pytest.raises(InputError) as err:
        load_regime_file(path)
    assert "'internall' is not a value of serves" in str(err.value)
    assert "criteria.0.when" in str(err.value)
    assert error_line(path, err.value).strip() == "when:"


def test_an_unknown_field_in_a_condition_is_refused(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "national_important_data: true", "national_data: true")
    with pytest.raises(InputError, match="unknown field 'national_data'"):
        load_regime_file(path)


def test_an_operator_that_does_not_fit_the_field_is_refused(tmp_path: Path) -> None:
    path = broken_copy(
        tmp_path,
        "online_public_service_level: {gte: 3}",
        "online_public_service_level: {contains: 3}",
    )
    with pytest.raises(InputError, match="operator 'contains' does not apply"):
        load_regime_file(path)


def test_an_unknown_deadline_unit_is_refused_with_its_line(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "unit: calendar_days", "unit: days")
    with pytest.raises(InputError) as err:
        load_regime_file(path)
    assert "deadline.unit" in str(err.value)
    assert "unit: days" in error_line(path, err.value)


def test_a_level_without_criteria_is_refused(tmp_path: Path) -> None:
    text = regime_path("nd85").read_text(encoding="utf-8")
    path = tmp_path / "nd85.yaml"
    path.write_text(re.sub(r"    level: 1\n", "    level: 2\n", text), encoding="utf-8")
    with pytest.raises(InputError, match=r"no criterion for level\(s\) \[1\]"):
        load_regime_file(path)


def test_a_regime_file_must_be_named_after_its_id(tmp_path: Path) -> None:
    path = tmp_path / "nd331.yaml"
    path.write_text(regime_path("nd85").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match="differs from the file name"):
        load_regime_file(path)


def test_an_unknown_regime_name_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="unknown regime 'nd99'"):
        load_regime("nd99")


def test_condition_language_combinators() -> None:
    """all/any/not, list operators and the derived data_subjects.total, as regime files use them."""
    condition = parse_condition(
        {
            "information": {"only": ["public", "personal"]},
            "not": {"serves": "internal"},
            "any": [{"data_subjects.total": {"gte": 10}}, {"designated_level": {"in": [4, 5]}}],
        }
    )

    def facts(**values: Any) -> dict[str, Any]:
        return classification_facts(Classification.model_validate(values))

    citizens = {"serves": "citizens_and_businesses", "information": ["personal"]}
    assert condition.matches(facts(**citizens, data_subjects={"basic": 6, "sensitive": 4}))
    assert not condition.matches(facts(**citizens, data_subjects={"basic": 6, "sensitive": 3}))
    assert condition.matches(facts(**citizens, designated_level=4))
    assert not condition.matches(
        facts(**{**citizens, "information": ["private"]}, designated_level=4)
    )
    assert not condition.matches(facts(serves="internal", designated_level=5))
    with pytest.raises(ValueError, match="needs a non-empty list"):
        parse_condition({"any": []})
