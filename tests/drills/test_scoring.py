"""The scoring model's arithmetic, by hand from the formulas documented in hp-default.yaml, and
bad models refused."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from socctl.drills.correlate import Correlation, LinkedAlert, StepLink
from socctl.drills.journal import ENTRY_ADAPTER, Entry, Journal
from socctl.drills.score import ScoreSheet, score_drill
from socctl.drills.scoring import ScoringModel, cvss_score, load_scoring
from socctl.drills.spec import DrillSpec
from socctl.errors import InputError
from socctl.workspace import init_workspace

START = datetime.fromisoformat("2026-11-20T08:00:00+07:00")
END = START + timedelta(days=5)  # window of 5 days
CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8 critical
MEDIUM = "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:N"  # 4.6 medium
_seq = count(1)


def spec() -> DrillSpec:
    return DrillSpec.model_validate(
        {
            "id": "2026-hp-09",
            "title": "Diễn tập",
            "year": 2026,
            "scenarios": ["portal"],
            "targets": [
                {"system": "cong-dvc", "hosts": ["dvc-web01"]},
                {"system": "mang-ttdl", "hosts": ["dc01"]},
            ],
            "teams": [
                {"id": "red-1", "name": "Đỏ 1", "role": "red", "members": ["r1"]},
                {"id": "red-2", "name": "Đỏ 2", "role": "red", "members": ["r2"]},
                {"id": "soc", "name": "SOC", "role": "blue", "members": ["b1"]},
                {"id": "onsite", "name": "Tại chỗ", "role": "blue", "members": ["b2"]},
                {"id": "btc", "name": "Ban tổ chức", "role": "controller", "members": ["c1"]},
            ],
            "window": {"start": START.isoformat(), "end": END.isoformat()},
            "engagement": "default",
            "scoring": "hp-default",
            "created_by": "c1",
            "created_at": START.isoformat(),
        }
    )


ROLES = {"red-1": "red", "red-2": "red", "soc": "blue", "onsite": "blue", "btc": "controller"}


def entry(kind: str, team: str, **fields: Any) -> Entry:
    n = next(_seq)
    return ENTRY_ADAPTER.validate_python(
        {
            "kind": kind,
            "drill": "2026-hp-09",
            "author": f"SHA256:{team}",
            "role": ROLES[team],
            "team": team,
            "seq": n,
            "prev": "0" * 64,
            "logged_at": (START + timedelta(seconds=n)).isoformat(),
            **fields,
        }
    )


def at(hours: float) -> str:
    return (START + timedelta(hours=hours)).isoformat()


def finding(team: str, fid: str, hours: float, vector: str = CRITICAL, **extra: Any) -> Entry:
    return entry(
        "finding",
        team,
        finding_id=fid,
        title=fid,
        cvss_vector=vector,
        criteria=extra.pop("criteria", {"resources": "high", "data": "high", "users": "low"}),
        evidence=[{"sha256": "a" * 64, "name": "proof.txt"}],
        host=extra.pop("host", "dvc-web01"),
        system=extra.pop("system", "cong-dvc"),
        at=at(hours),
    )


def validate(fid: str, verdict: str = "valid") -> Entry:
    return entry("validate", "btc", finding_id=fid, verdict=verdict, reason="xem bằng chứng")


def step(step_id: str, hours: float, ttd: float | None, **extra: Any) -> StepLink:
    """A correlated step; ``ttd`` minutes to its first alert (None: missed)."""
    moment = START + timedelta(hours=hours)
    alerts = []
    if ttd is not None:
        alert_at = (moment + timedelta(minutes=ttd)).isoformat()
        alerts = [LinkedAlert(f"a-{step_id}", "rule", "Rule", "high", alert_at, "dvc-web01")]
    return StepLink(
        step_id=step_id,
        technique=extra.get("technique", "T1190"),
        tactic=extra.get("tactic", "initial-access"),
        host=extra.get("host", "dvc-web01"),
        system=extra.get("system", "cong-dvc"),
        at=moment.isoformat(),
        outcome=extra.get("outcome", "success"),
        team="red-1",
        alerts=alerts,
        minutes_to_detect=ttd,
    )


def model() -> ScoringModel:
    return load_scoring(None, "hp-default")


def sheet(
    entries: list[Entry],
    steps: list[StepLink],
    m: ScoringModel | None = None,
    levels: dict[str, int | None] | None = None,
) -> ScoreSheet:
    corr = Correlation("2026-hp-09", "d", "r", 1, 60, "logs", len(steps), steps)
    return score_drill(
        spec(), Journal("2026-hp-09", entries), corr, m or model(), levels or {"cong-dvc": 3}
    )


def team(result: ScoreSheet, team_id: str) -> Any:
    return next(t for t in result.teams if t.team == team_id)


def with_(m: ScoringModel, section: str, **values: Any) -> ScoringModel:
    part = getattr(m, section)
    return m.model_copy(update={section: part.model_copy(update=values)})


# Red: 10 × 6 (critical) × (1 + 0.5 + 0.5 + 0.25) × 1.25 (level 3) × (1 + 0.5 × (1 − 0.25)),
# found 30 h into the 120 h window.
RED_DEFAULT = 10 * 6 * 2.25 * 1.25 * 1.375


def test_finding_points_follow_the_documented_formula() -> None:
    result = sheet([finding("red-1", "F1", 30), validate("F1")], [])
    assert team(result, "red-1").findings == pytest.approx(round(RED_DEFAULT, 2))
    row = result.finding_rows[0]
    assert (row.cvss, row.rating, row.status) == (9.8, "critical", "valid")


@pytest.mark.parametrize(
    ("section", "change", "expected"),
    [
        ("red", {"base": 20}, RED_DEFAULT * 2),
        ("red", {"early_bonus": 0.0}, 10 * 6 * 2.25 * 1.25),
        ("red", {"level": {"1": 1, "2": 1, "3": 3.0, "4": 1, "5": 1}}, RED_DEFAULT / 1.25 * 3),
    ],
)
def test_each_red_weight_counts(section: str, change: dict[str, Any], expected: float) -> None:
    m = with_(model(), section, **change)
    result = sheet([finding("red-1", "F1", 30), validate("F1")], [], m)
    assert team(result, "red-1").findings == pytest.approx(round(expected, 2))


def test_severity_and_criteria_weights_count() -> None:
    m = model()
    m = with_(m, "red", severity=m.red.severity.model_copy(update={"medium": 3.0}))
    m = with_(m, "red", criteria=m.red.criteria.model_copy(update={"low": 1.0}))
    entries = [
        finding(
            "red-1",
            "F1",
            30,
            MEDIUM,
            criteria={"resources": "low", "data": "none", "users": "none"},
        ),
        validate("F1"),
    ]
    # 10 × 3 (medium, changed) × (1 + 1.0 (low, changed)) × 1.25 × 1.375
    assert team(sheet(entries, [], m), "red-1").findings == pytest.approx(
        round(10 * 3 * 2 * 1.25 * 1.375, 2)
    )


def test_unknown_level_and_cvss_v4() -> None:
    vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert cvss_score(vector) == (9.3, "critical")
    result = sheet(
        [finding("red-1", "F1", 0, vector), validate("F1")], [], levels={"cong-dvc": None}
    )
    # unknown level factor 1.0; found at the start: timing 1.5
    assert team(result, "red-1").findings == pytest.approx(10 * 6 * 2.25 * 1.0 * 1.5)


def test_first_finder_only_and_verdicts() -> None:
    entries = [
        finding("red-2", "F2", 40),  # same system, host and vector, found later: a duplicate
        finding("red-1", "F1", 30),
        finding("red-1", "F3", 10, MEDIUM),  # rejected
        finding("red-2", "F4", 10, MEDIUM, host="dc01", system="mang-ttdl"),  # never validated
        validate("F1"),
        validate("F2"),
        validate("F3"),
        validate("F3", "rejected"),  # the controller's last verdict counts
    ]
    result = sheet(entries, [])
    status = {r.finding_id: (r.status, r.points) for r in result.finding_rows}
    assert status["F1"] == ("valid", round(RED_DEFAULT, 2))
    assert status["F2"] == ("duplicate", 0.0)
    assert status["F3"] == ("rejected", 0.0)
    assert status["F4"] == ("pending", 0.0)
    assert team(result, "red-2").findings == 0.0
    assert team(result, "red-1").findings_valid == 1


def test_cvss_vectors_that_are_not_refused() -> None:
    with pytest.raises(InputError, match="CVSS"):
        cvss_score("CVSS:3.1/AV:N/AC:L")
    with pytest.raises(InputError, match=r"start it with CVSS:3\.1/"):
        cvss_score("AV:N/AC:L/Au:N/C:P/I:P/A:P")


def blue_case() -> tuple[list[Entry], list[StepLink]]:
    steps = [
        step("s1", 10, 30),  # detected after 30 min, reported in time, contained
        step("s2", 20, 60),  # detected, reported 25 h after the alert: late
        step("s3", 30, 120),  # detected, never reported
        step("s4", 40, None),  # missed, successful: undetected compromise
        step("s5", 50, None, outcome="failure"),  # missed, failed: no penalty
    ]
    entries = [
        entry("detect", "soc", at=at(10.6), step_id="s1"),
        entry("report", "soc", at=at(12), to="Công an thành phố", incident="I1", step_ids=["s1"]),
        entry(
            "contain",
            "soc",
            at=at(13),
            host="dvc-web01",
            system="cong-dvc",
            step_ids=["s1"],
            action="chặn",
        ),
        entry("detect", "soc", at=at(21.5), alert_id="a-s2"),
        entry("report", "soc", at=at(20 + 1 + 25), to="Sở KH&CN", incident="I2", step_ids=["s2"]),
        entry("detect", "soc", at=at(32.5), host="DVC-WEB01", technique="T1190"),
        entry("detect", "onsite", at=at(41), step_id="s4"),  # a claim no alert backs: no points
    ]
    return entries, steps


def test_blue_points_decay_deadline_containment_and_penalties() -> None:
    entries, steps = blue_case()
    result = sheet(entries, steps)
    soc = team(result, "soc")
    # detect 10 × 0.5^(ttd/60) for s1, s2, s3
    assert soc.detect == pytest.approx(round(10 * (0.5**0.5 + 0.5**1 + 0.5**2), 2))
    assert soc.report == 5.0 and soc.contain == 5.0
    # late (3) for s2, missing (5) for s3, undetected compromise (10) for s4
    assert soc.penalties == 18.0
    onsite = team(result, "onsite")
    assert onsite.detect == 0.0 and onsite.penalties == 10.0
    # no impact step: both systems up the whole window → 20 + 20 readiness to each blue team
    assert soc.readiness == 40.0 == onsite.readiness
    assert soc.points == pytest.approx(round(soc.detect + 5 + 5 + 40 - 18, 2))
    assert (result.steps, result.detected, result.detection_rate) == (5, 3, 0.6)
    assert result.time_to_detect.mean == 70.0 and result.time_to_detect.median == 60.0
    assert result.time_to_report.count == 2  # s1: 120 min, s2: 26 h after the step
    assert result.time_to_report.mean == (120 + 26 * 60) / 2
    assert result.time_to_contain.median == 180.0
    rows = {r.step_id: r for r in result.step_rows}
    assert rows["s1"].reported_in_time is True and rows["s2"].reported_in_time is False
    assert rows["s4"].reported_in_time is None and rows["s4"].detected_by == ["onsite"]


@pytest.mark.parametrize(
    ("section", "change", "soc_points_delta"),
    [
        ("blue", {"report": 7.0}, 2.0),
        ("blue", {"contain": 1.0}, -4.0),
        ("penalties", {"late_report": 0.0}, 3.0),
        ("penalties", {"missing_report": 1.0}, 4.0),
        ("penalties", {"undetected_compromise": 0.0}, 10.0),
        ("readiness", {"points": 30.0}, 20.0),
        ("blue", {"report_deadline_hours": 26.0}, 3.0 + 5.0),  # s2 now in time: no penalty, +5
    ],
)
def test_each_blue_weight_counts(
    section: str, change: dict[str, Any], soc_points_delta: float
) -> None:
    entries, steps = blue_case()
    before = team(sheet(entries, steps), "soc").points
    after = team(sheet(entries, steps, with_(model(), section, **change)), "soc").points
    assert after - before == pytest.approx(soc_points_delta)


def test_detect_half_life_counts() -> None:
    entries, steps = blue_case()
    m = with_(model(), "blue", detect_half_life_minutes=30.0, detect=20.0)
    soc = team(sheet(entries, steps, m), "soc")
    assert soc.detect == pytest.approx(round(20 * (0.5**1 + 0.5**2 + 0.5**4), 2))


def test_uptime_from_impact_steps_until_contained() -> None:
    impact = step("s9", 12, 5, technique="T1491.002", tactic="impact")
    contained = entry(
        "contain",
        "onsite",
        at=at(24),
        host="dvc-web01",
        system="cong-dvc",
        step_ids=["s9"],
        action="khôi phục",
    )
    overlapping = step(
        "s10", 18, None, technique="T1485", tactic="impact"
    )  # down 18 h → window end
    result = sheet([contained], [impact])
    web = next(s for s in result.systems if s.key == "cong-dvc")
    assert web.uptime == pytest.approx(1 - 12 / 120)
    assert web.readiness == pytest.approx(round(20 * (1 - 12 / 120), 2))
    result = sheet([contained], [impact, overlapping])
    web = next(s for s in result.systems if s.key == "cong-dvc")
    assert web.uptime == pytest.approx(1 - (120 - 12) / 120)  # 12 h → end, overlaps counted once
    failed = step("s11", 12, None, technique="T1491.002", tactic="impact", outcome="blocked")
    assert next(s for s in sheet([], [failed]).systems if s.key == "cong-dvc").uptime == 1.0


def test_same_inputs_same_sheet() -> None:
    entries, steps = blue_case()
    entries += [finding("red-1", "F1", 30), validate("F1")]
    assert sheet(entries, steps).to_dict() == sheet(list(reversed(entries)), steps).to_dict()


def bad_model(tmp_path: Path, old: str, new: str) -> Path:
    ws = init_workspace(tmp_path / "ws")
    text = (Path(__file__).resolve().parents[2] / "playbooks/scoring/hp-default.yaml").read_text()
    assert old in text
    folder = ws.playbooks_dir / "scoring"
    folder.mkdir(parents=True)
    (folder / "hp-default.yaml").write_text(text.replace(old, new, 1))
    return ws.root


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  contain: 5\n", "  contain: -5\n", "hp-default.yaml:35: field 'blue.contain'"),
        ("  late_report: 3\n", "", "missing field 'penalties.late_report'"),
        ('"5": 2.0}', '"5": -2.0}', "level factors must be 0 or more"),
        ('"4": 1.5, ', "", "give a factor for each level 1 to 5"),
        ("  detect_half_life_minutes: 60\n", "  detect_half_life_minutes: 0\n", "greater than 0"),
        ("  points: 20\n", "  points: 20\n  bonus: 3\n", "bonus"),
    ],
)
def test_bad_models_refused_naming_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    from socctl.workspace import Workspace

    root = bad_model(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        load_scoring(Workspace(root), "hp-default")
    assert message in str(caught.value)
    assert "playbooks/scoring/hp-default.yaml:" in str(caught.value)


def test_version_fixed_by_the_drill_must_match() -> None:
    with pytest.raises(InputError, match=r"version 2025\.9"):
        load_scoring(None, "hp-default", "2025.9")
