"""Proposed levels drawn from the legal text: ND85 Art. 5-11 and ND331 Art. 8, 11-15."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from socctl.errors import InputError
from socctl.inventory.level import LevelResult, compute_level
from socctl.inventory.regime import load_regime
from socctl.inventory.system import System


def system(components: list[dict[str, Any]] | None = None, **classification: Any) -> System:
    return System.model_validate(
        {
            "id": "he-thong",
            "name": "Hệ thống thử",
            "owner": "UBND thành phố Hải Phòng",
            "operator": "Trung tâm Dữ liệu thành phố",
            "classification": classification,
            "components": components or [],
        }
    )


def level(regime: str, subject: System) -> LevelResult:
    return compute_level(subject, load_regime(regime))


def articles(result: LevelResult) -> set[str]:
    return {r.article for r in result.deciding()}


# --- one system per level and regime ----------------------------------------------------------


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_1_internal_public_information_only_nd85_art7_nd331_art11(regime: str) -> None:
    """An internal news board that only shows public information."""
    result = level(regime, system(serves="internal", information=["public"]))
    assert result.level == 1
    assert articles(result) == {"ND85 Điều 7" if regime == "nd85" else "ND331 Điều 11 khoản 1"}


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_2_internal_document_management_with_personal_data_nd85_art8_1(regime: str) -> None:
    """Hệ thống quản lý văn bản và điều hành: internal, private and personal information."""
    result = level(regime, system(serves="internal", information=["private", "personal"]))
    assert result.level == 2
    expected = "ND85 Điều 8 khoản 1" if regime == "nd85" else "ND331 Điều 12 khoản 1"
    assert articles(result) == {expected}


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_2_infrastructure_of_one_organisation_nd85_art8_3_nd331_art12_3(regime: str) -> None:
    result = level(
        regime, system(system_type="infrastructure", infrastructure_scope="organisation")
    )
    assert result.level == 2


def test_level_3_online_public_service_level_4_nd85_art9_2_a() -> None:
    portal = system(serves="citizens_and_businesses", online_public_service_level=4)
    result = level("nd85", portal)
    assert result.level == 3
    assert "ND85 Điều 9 khoản 2 điểm a" in articles(result)


def test_level_3_system_handling_administrative_procedures_nd331_art13_2_b() -> None:
    """ND331 adds 'system handling administrative procedures' (hệ thống giải quyết TTHC)."""
    one_stop = system(
        serves="internal",
        information=["private", "personal"],
        handles_administrative_procedures=True,
    )
    assert level("nd331", one_stop).level == 3
    assert "ND331 Điều 13 khoản 2 điểm b" in articles(level("nd331", one_stop))
    assert level("nd85", one_stop).level == 2  # ND85 has no such criterion


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
@pytest.mark.parametrize("grade", ["II", "III", "IV"])
def test_level_3_traffic_scada_of_grade_ii_to_iv_works_nd85_art9_4(regime: str, grade: str) -> None:
    scada = system(system_type="industrial_control", construction_grade=grade)
    assert level(regime, scada).level == 3


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_3_city_data_centre_network_nd85_art9_3_nd331_art13_3(regime: str) -> None:
    """A shared network and data centre for the agencies of one province."""
    network = system(system_type="infrastructure", infrastructure_scope="province")
    assert level(regime, network).level == 3


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_3_state_secret_harming_national_security_nd85_art9_1(regime: str) -> None:
    result = level(regime, system(information=["state_secret"], security_harm="harm"))
    assert result.level == 3


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_4_police_system_with_serious_harm_nd85_art10_1_nd331_art14_1(regime: str) -> None:
    police = system(information=["private", "state_secret"], security_harm="serious")
    result = level(regime, police)
    assert result.level == 4
    expected = "ND85 Điều 10 khoản 1" if regime == "nd85" else "ND331 Điều 14 khoản 1"
    assert articles(result) == {expected}


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_4_scada_of_grade_i_works_nd85_art10_4_nd331_art14_3(regime: str) -> None:
    port_scada = system(system_type="industrial_control", construction_grade="I")
    assert level(regime, port_scada).level == 4


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_4_nationwide_infrastructure_24x7_nd85_art10_3_nd331_art14_2(regime: str) -> None:
    national = system(
        system_type="infrastructure", infrastructure_scope="national", requires_24x7=True
    )
    assert level(regime, national).level == 4


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_nationwide_infrastructure_without_24x7_is_level_3_not_4(regime: str) -> None:
    national = system(system_type="infrastructure", infrastructure_scope="national")
    assert level(regime, national).level == 3


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_5_especially_serious_harm_nd85_art11_1_nd331_art15_1(regime: str) -> None:
    result = level(regime, system(information=["state_secret"], security_harm="especially_serious"))
    assert result.level == 5


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_5_international_gateway_nd85_art11_3_nd331_art15_3(regime: str) -> None:
    gateway = system(system_type="infrastructure", infrastructure_scope="international")
    assert level(regime, gateway).level == 5


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_5_national_data_store_nd85_art11_2_nd331_art15_2(regime: str) -> None:
    assert level(regime, system(national_important_data=True)).level == 5


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_level_5_designated_by_the_prime_minister_nd85_art11_5_nd331_art15_5(regime: str) -> None:
    result = level(regime, system(designated_level=5, risk_assessed_level=2))
    assert result.level == 5 and not result.warnings


# --- ND331 thresholds and dropped criteria -----------------------------------------------------


def online_service(basic: int, sensitive: int = 0) -> System:
    return system(
        serves="citizens_and_businesses",
        information=["public", "personal"],
        data_subjects={"basic": basic, "sensitive": sensitive},
    )


@pytest.mark.parametrize(
    ("basic", "sensitive", "nd85", "nd331"),
    [
        (9_999, 0, 2, 2),  # under every threshold
        (10_000, 0, 3, 2),  # ND85 Art. 9.2.c: from 10,000 users; ND331 Art. 12.2.b: < 100,000 basic
        (99_999, 9_999, 3, 2),
        (100_000, 0, 3, 3),  # ND331 Art. 13.2.c: from 100,000 basic data subjects
        (0, 10_000, 3, 3),  # ND331 Art. 13.2.c: from 10,000 sensitive data subjects
    ],
)
def test_data_subject_thresholds_nd85_art9_2_c_nd331_art13_2_c(
    basic: int, sensitive: int, nd85: int, nd331: int
) -> None:
    service = online_service(basic, sensitive)
    assert (level("nd85", service).level, level("nd331", service).level) == (nd85, nd331)


def test_nd331_drops_the_online_public_service_level_criterion() -> None:
    """ND85 Art. 9.2.a makes OPS level 3+ level 3; ND331 Art. 12-13 have no such criterion."""
    portal = system(
        serves="citizens_and_businesses", online_public_service_level=3, information=["public"]
    )
    assert level("nd85", portal).level == 3
    assert level("nd331", portal).level == 2


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_conditional_business_online_service_is_level_3(regime: str) -> None:
    """ND85 Art. 9.2.b, ND331 Art. 13.2.a; the not-conditional criterion of level 2 no longer fits."""
    result = level(regime, system(serves="citizens_and_businesses", conditional_business=True))
    assert result.level == 3
    assert all(r.level == 3 for r in result.reasons)


# --- how the criteria combine -------------------------------------------------------------------


def test_every_matching_criterion_is_listed_and_the_highest_wins() -> None:
    portal = system(
        serves="citizens_and_businesses",
        information=["public", "personal"],
        online_public_service_level=4,
        data_subjects={"basic": 300_000},
    )
    result = level("nd85", portal)
    assert result.level == 3
    assert {r.article for r in result.reasons} == {
        "ND85 Điều 8 khoản 2 điểm b",
        "ND85 Điều 9 khoản 2 điểm a",
        "ND85 Điều 9 khoản 2 điểm c",
    }
    assert [r.level for r in result.reasons] == sorted(
        (r.level for r in result.reasons), reverse=True
    )


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_a_system_takes_its_highest_component_level_nd85_art5_2(regime: str) -> None:
    """A port logistics platform (level 2 on its own) whose crane SCADA controls grade-I works."""
    platform = system(
        serves="citizens_and_businesses",
        information=["public"],
        components=[
            {"id": "web", "name": "Cổng", "kind": "web"},
            {
                "id": "crane-scada",
                "name": "SCADA cẩu bờ",
                "kind": "scada",
                "classification": {"system_type": "industrial_control", "construction_grade": "I"},
            },
        ],
    )
    result = level(regime, platform)
    assert result.level == 4
    (deciding,) = result.deciding()
    assert deciding.component == "crane-scada"
    assert any(r.component is None and r.level == 2 for r in result.reasons)
    # the component inherits the system's level-2 criterion: it is not listed twice
    assert len({r.criterion.id for r in result.reasons}) == len(result.reasons)


def test_json_has_exactly_the_shape_the_cli_prints() -> None:
    result = level("nd331", system(system_type="industrial_control", construction_grade="II"))
    data = result.to_json()
    assert set(data) == {"system", "regime", "level", "reasons"}
    assert (data["system"], data["regime"], data["level"]) == ("he-thong", "nd331", 3)
    assert data["reasons"] == [
        {
            "level": 3,
            "criterion": "industrial control system of construction works of grade II, III or IV",
            "article": "ND331 Điều 13 khoản 4",
        }
    ]


def test_designated_level_3_counts_under_nd331_art13_5_but_not_nd85() -> None:
    """ND331 lets the Prime Minister set levels 2-5; ND85 only level 5 (Art. 11.5)."""
    designated = system(serves="internal", information=["public"], designated_level=3)
    assert level("nd331", designated).level == 3
    under_nd85 = level("nd85", designated)
    assert under_nd85.level == 1
    assert "designated_level 3" in under_nd85.warnings[0]


def test_an_incomplete_classification_is_a_clear_error() -> None:
    """An industrial control system without its works' grade meets no criterion."""
    with pytest.raises(InputError, match="meets no level criterion of nd85") as err:
        level("nd85", system(system_type="industrial_control"))
    assert "construction_grade" in str(err.value)


# --- national systems, national-security works, risk assessment (ND85 Art. 10-11, ND331 Art. 10) --


@pytest.mark.parametrize(
    ("regime", "article"),
    [("nd85", "ND85 Điều 10 khoản 2"), ("nd331", "ND331 Điều 14 khoản 2")],
)
def test_level_4_national_e_government_system_running_24x7(regime: str, article: str) -> None:
    """Hệ thống thông tin quốc gia phục vụ phát triển Chính phủ điện tử, yêu cầu vận hành 24/7."""
    national = system(national_system=True, requires_24x7=True)
    result = level(regime, national)
    assert result.level == 4 and article in articles(result)


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_a_national_system_that_may_stop_is_not_level_4_by_that_criterion(regime: str) -> None:
    """ND85 Art. 10.2 / ND331 Art. 14.2 need both: a national system and 24/7 operation."""
    assert level(regime, system(national_system=True)).level == 1
    assert level(regime, system(requires_24x7=True)).level == 1


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_an_information_system_of_nationwide_scope_is_not_a_national_system(regime: str) -> None:
    """Infrastructure scope applies to infrastructure; a national system is stated as such."""
    nationwide = system(infrastructure_scope="national", requires_24x7=True)
    assert level(regime, nationwide).level == 1


@pytest.mark.parametrize(
    ("regime", "article"),
    [("nd85", "ND85 Điều 11 khoản 4"), ("nd331", "ND331 Điều 15 khoản 4")],
)
def test_level_5_control_of_works_important_to_national_security(regime: str, article: str) -> None:
    """An industrial control system of works important to national security is level 5 whatever
    the works' construction grade (công trình quan trọng liên quan đến an ninh quốc gia)."""
    works = system(
        system_type="industrial_control", construction_grade="III", national_security_works=True
    )
    result = level(regime, works)
    assert result.level == 5 and articles(result) == {article}


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_national_security_works_only_count_for_industrial_control(regime: str) -> None:
    """The criterion is about industrial control systems (ND85 Art. 11.4, ND331 Art. 15.4)."""
    office = system(serves="internal", information=["public"], national_security_works=True)
    assert level(regime, office).level == 1


@pytest.mark.parametrize(
    ("assessed", "article"),
    [
        (2, "ND331 Điều 12 khoản 4; Điều 10 khoản 5"),
        (3, "ND331 Điều 13 khoản 5; Điều 10 khoản 5"),
        (4, "ND331 Điều 14 khoản 4; Điều 10 khoản 5"),
        (5, "ND331 Điều 15 khoản 5; Điều 10 khoản 5"),
    ],
)
def test_a_higher_risk_raises_the_level_under_nd331_art10_5(assessed: int, article: str) -> None:
    """Art. 10.5: a risk higher than the level determined obliges the owner to propose the higher
    level; Art. 12.4-15.5 list the risk-assessed system among each level's criteria."""
    board = system(serves="internal", information=["public"], risk_assessed_level=assessed)
    result = level("nd331", board)
    assert result.level == assessed
    assert articles(result) == {article}
    assert not result.warnings


def test_a_lower_risk_does_not_lower_the_level_nd331_art8_2() -> None:
    """The risk assessment only raises (Art. 10.5); the highest criterion wins (Art. 8.2)."""
    portal = system(
        serves="citizens_and_businesses",
        handles_administrative_procedures=True,
        risk_assessed_level=1,
    )
    result = level("nd331", portal)
    assert result.level == 3
    assert "ND331 Điều 11 khoản 2" in {r.article for r in result.reasons}


def test_nd85_has_no_risk_assessment_criterion_and_says_so() -> None:
    board = system(serves="internal", information=["public"], risk_assessed_level=3)
    result = level("nd85", board)
    assert result.level == 1
    assert any("risk_assessed_level 3" in w and "nd85" in w for w in result.warnings)


def test_nd331_warns_when_no_risk_assessment_is_recorded_art10_2_a() -> None:
    """Art. 10.2.a: the owner assesses cybersecurity risk when the level is first determined."""
    unassessed = level("nd331", system(serves="internal", information=["public"]))
    assert any("ND331 Điều 10 khoản 2 điểm a" in w for w in unassessed.warnings)
    assert not level("nd85", system(serves="internal", information=["public"])).warnings


def test_a_level_a_component_inherits_is_warned_about_once() -> None:
    """The system's designation is reported on the system, not again on each component."""
    designated = system(
        [{"id": "web", "name": "Web", "kind": "web", "classification": {"serves": "internal"}}],
        serves="internal",
        information=["public"],
        designated_level=3,
    )
    assert len(level("nd85", designated).warnings) == 1


@pytest.mark.parametrize("regime", ["nd85", "nd331"])
def test_a_component_of_works_important_to_national_security_lifts_the_system(regime: str) -> None:
    """ND85 Art. 5.2 / ND331 Art. 8.2 with a component stating the new field."""
    scada = system(
        [
            {
                "id": "cong-ngan-trieu",
                "name": "Điều khiển cống ngăn triều",
                "kind": "scada",
                "classification": {"national_security_works": True},
            }
        ],
        system_type="industrial_control",
        construction_grade="II",
    )
    result = level(regime, scada)
    assert result.level == 5
    assert [r.component for r in result.deciding()] == ["cong-ngan-trieu"]


def test_a_state_secret_system_must_state_the_harm_of_its_sabotage() -> None:
    """ND85 Art. 9.1-11.1 / ND331 Art. 13.1-15.1 grade state-secret systems by that harm."""
    with pytest.raises(ValidationError, match="security_harm"):
        system(information=["state_secret"])
    components = [{"id": "db", "name": "CSDL", "kind": "database"}]
    secret_db = [{**components[0], "classification": {"information": ["state_secret"]}}]
    with pytest.raises(ValidationError, match="component 'db'"):
        system(secret_db, information=["personal"])
    # A component adding state secrets may take the harm from the system's classification.
    stated = system(secret_db, information=["personal"], security_harm="serious")
    assert level("nd85", stated).level == 4
