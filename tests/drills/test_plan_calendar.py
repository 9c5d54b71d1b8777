"""``drill calendar --ics`` parsed back with icalendar, and ``drill due`` with its exit codes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import icalendar
from plan_helpers import make_workspace, ok, plan, run, write_planning


def test_ics_has_one_event_per_drill_with_stable_uids_and_local_times(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": {}, "b": {"owner": "Sở Y tế"}})
    drills = plan(ws)
    ics = tmp_path / "plan.ics"
    ok(ws, "drill", "calendar", "--year", "2027", "--ics", str(ics))
    cal = icalendar.Calendar.from_ical(ics.read_bytes())
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"drill-plan-2027-a@socctl", "drill-plan-2027-b@socctl"}
    event = events["drill-plan-2027-b@socctl"]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh" and start.date() == drills["b"]["start"]
    assert event.decoded("dtend").date() == drills["b"]["end"]
    assert "Sở Y tế" in str(event["description"]) and "cấp độ 3" in str(event["description"])
    assert cal.walk("VTIMEZONE")
    ok(ws, "drill", "calendar", "--year", "2027", "--ics", str(tmp_path / "again.ics"))
    again = icalendar.Calendar.from_ical((tmp_path / "again.ics").read_bytes())
    assert sorted(str(e["uid"]) for e in again.walk("VEVENT")) == sorted(events)


def test_calendar_without_a_plan_says_how_to_make_one(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws", {"a": {}})
    result = run(ws, "drill", "calendar", "--year", "2027", "--ics", str(tmp_path / "x.ics"))
    assert result.code == 3 and "drill plan --year 2027" in result.error
    assert not (tmp_path / "x.ics").exists()


def test_due_lists_systems_without_a_drill_in_twelve_months(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path, {"recent": {}, "old": {}, "never": {}})
    history = [
        {"system": "recent", "date": "2026-03-01"},
        {"system": "old", "date": "2025-11-30"},
    ]
    write_planning(ws, {"history": history})
    out = ok(ws, "drill", "due", "--as-of", "2026-12-01", "--format", "csv")
    rows = out.strip().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["never", "old"]
    assert run(ws, "drill", "due", "--as-of", "2026-12-01", "--fail-on", "overdue").code == 1
    write_planning(
        ws, {"history": [{"system": s, "date": "2026-06-01"} for s in ("recent", "old", "never")]}
    )
    assert run(ws, "drill", "due", "--as-of", "2026-12-01", "--fail-on", "overdue").code == 0
    assert (
        run(ws, "drill", "due", "--as-of", str(date(2027, 6, 1)), "--fail-on", "overdue").code == 1
    )
