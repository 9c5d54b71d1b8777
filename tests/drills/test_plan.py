"""``socctl drill plan``: one live-fire drill a year for every in-scope system, within holidays and
Tết, freeze windows, agency availability, red-team capacity and the parallel limit, longest
undrilled first; infeasible plans explained with exit 3 and nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from plan_helpers import holidays_in, make_workspace, ok, plan, run, write_planning


def days_of(drill: dict) -> set[date]:  # type: ignore[type-arg]
    first, last = drill["start"], drill["end"]
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def weeks_of(drill: dict) -> set[tuple[int, int]]:  # type: ignore[type-arg]
    return {tuple(d.isocalendar())[:2] for d in days_of(drill)}  # type: ignore[misc]


def test_scope_is_operating_level_3_and_up_plus_the_named(tmp_path: Path) -> None:
    ws = make_workspace(
        tmp_path,
        {
            "l3": {},
            "l5": {"classification": {"designated_level": 5}},
            "l2": {"classification": {"designated_level": 2}},
            "building": {"status": "building"},
            "named": {"classification": {"designated_level": 1}},
        },
    )
    write_planning(ws, {"include": ["named"]})
    assert set(plan(ws)) == {"l3", "l5", "named"}
    assert set(plan(ws, 2027, "--include", "l2")) == {"l3", "l5", "named", "l2"}


def test_a_drill_never_spans_tet_or_a_public_holiday(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"s": {}})
    # Free from 1 February 2027: Tết (4-10 February) falls three working days later.
    write_planning(
        ws,
        {
            "drill_days": 5,
            "systems": {"s": {"freeze": [{"start": "2027-01-01", "end": "2027-01-31"}]}},
        },
    )
    drill = plan(ws)["s"]
    assert holidays_in(drill["start"], drill["end"]) == []
    assert drill["start"] == date(2027, 2, 11)  # first five working days in a row after Tết
    assert drill["end"] == date(2027, 2, 17)


def test_freeze_windows_are_kept_clear(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"s": {}, "t": {}})
    freeze = [{"start": "2027-01-01", "end": "2027-06-30", "reason": "nâng cấp"}]
    write_planning(ws, {"systems": {"s": {"freeze": freeze}}})
    drills = plan(ws)
    assert drills["s"]["start"] > date(2027, 6, 30)
    assert drills["t"]["start"] == date(2027, 1, 4)  # the other system is not held back


def test_agency_unavailability_holds_all_its_systems(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"a1": {"owner": "Sở Y tế"}, "a2": {"owner": "Sở Y tế"}, "b": {}})
    write_planning(
        ws,
        {"agencies": {"Sở Y tế": {"unavailable": [{"start": "2027-01-01", "end": "2027-05-31"}]}}},
    )
    drills = plan(ws)
    assert all(drills[s]["start"] > date(2027, 5, 31) for s in ("a1", "a2"))
    assert drills["b"]["start"] == date(2027, 1, 4)


def test_red_team_capacity_per_week(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {f"s{n}": {} for n in range(4)})
    write_planning(ws, {"drill_days": 5, "max_parallel": 4, "red_team": {"drills_per_week": 1}})
    drills = list(plan(ws).values())
    for i, first in enumerate(drills):
        for second in drills[i + 1 :]:
            assert not weeks_of(first) & weeks_of(second), (first, second)


def test_parallel_limit(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {f"s{n}": {} for n in range(5)})
    write_planning(ws, {"drill_days": 5, "max_parallel": 2, "red_team": {"drills_per_week": 5}})
    drills = list(plan(ws).values())
    every_day = [day for d in drills for day in days_of(d)]
    assert max(every_day.count(day) for day in every_day) == 2


def test_longest_without_a_drill_goes_first(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"recent": {}, "old": {}, "never": {}})
    history = [
        {"system": "recent", "date": "2026-10-01"},
        {"system": "old", "date": "2025-06-01", "note": "diễn tập 2025"},
    ]
    write_planning(ws, {"max_parallel": 1, "history": history})
    drills = plan(ws)
    assert drills["never"]["start"] < drills["old"]["start"] < drills["recent"]["start"]
    assert drills["old"]["last_drill"] == date(2025, 6, 1)


def test_per_system_drill_length(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"s": {}})
    write_planning(ws, {"drill_days": 5, "systems": {"s": {"drill_days": 12}}})
    drill = plan(ws)["s"]
    assert drill["working_days"] == 12
    assert (drill["start"], drill["end"]) == (date(2027, 1, 4), date(2027, 1, 19))


def test_same_input_same_file_and_dry_run_writes_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {f"s{n}": {"owner": f"Cơ quan {n % 3}"} for n in range(12)})
    out = ok(ws, "drill", "plan", "--year", "2027", "--dry-run", "--format", "json")
    assert '"system"' in out and not (ws / "drills" / "2027").exists()
    plan(ws)
    first = (ws / "drills" / "2027" / "plan.yaml").read_bytes()
    plan(ws)
    assert (ws / "drills" / "2027" / "plan.yaml").read_bytes() == first
    assert b"&id" not in first


def test_freeze_covering_the_year_is_explained_and_nothing_written(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"s": {}, "t": {}})
    freeze = [{"start": "2027-01-01", "end": "2027-12-31"}]
    write_planning(ws, {"systems": {"s": {"freeze": freeze}}})
    result = run(ws, "drill", "plan", "--year", "2027")
    assert result.code == 3
    assert "planning.yaml" in result.error and "s: its freeze windows" in result.error
    assert "t:" not in result.error
    assert not (ws / "drills" / "2027").exists()


@pytest.mark.parametrize(
    ("settings", "binding"),
    [
        ({"drill_days": 12, "max_parallel": 1, "red_team": {"drills_per_week": 5}}, "max_parallel"),
        (
            {"drill_days": 10, "max_parallel": 10, "red_team": {"drills_per_week": 1}},
            "drills_per_week",
        ),
    ],
)
def test_too_little_capacity_names_the_limit_and_the_systems_left_out(
    tmp_path: Path,
    settings: dict,
    binding: str,  # type: ignore[type-arg]
) -> None:
    ws = make_workspace(tmp_path, {f"s{n:02}": {} for n in range(30)})
    write_planning(ws, settings)
    result = run(ws, "drill", "plan", "--year", "2027")
    assert result.code == 3
    assert "planning.yaml" in result.error and binding in result.error
    assert "left without a drill: " in result.error
    assert not (ws / "drills" / "2027").exists()


def test_bad_planning_file_and_unknown_system_are_refused(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"s": {}})
    write_planning(ws, {"drill_day": 5})
    result = run(ws, "drill", "plan", "--year", "2027")
    assert result.code == 3 and "planning.yaml" in result.error and "drill_day" in result.error
    write_planning(ws, {"drill_days": 20})
    assert run(ws, "drill", "plan", "--year", "2027").code == 3
    write_planning(ws, {})
    result = run(ws, "drill", "plan", "--year", "2027", "--include", "nope")
    assert result.code == 3 and "nope" in result.error
    assert not (ws / "drills" / "2027").exists()
