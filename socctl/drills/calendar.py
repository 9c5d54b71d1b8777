"""The drill plan as an RFC 5545 calendar (``icalendar``): one VEVENT per planned drill."""

from __future__ import annotations

from datetime import datetime, time

import icalendar

from socctl.drills.planning import Plan
from socctl.timeutil import LOCAL_TZ, now_utc

#: Working hours of a drill day in Asia/Ho_Chi_Minh (start of the first day, end of the last).
DAY_START = time(8, 0)
DAY_END = time(17, 30)


def plan_calendar(plan: Plan) -> bytes:
    """An iCalendar file of ``plan``; each event's UID is stable (year and system id)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//socctl//drill plan//VI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Kế hoạch diễn tập thực chiến {plan.year}")
    stamp = now_utc()
    for drill in plan.drills:
        event = icalendar.Event()
        event.add("uid", f"drill-plan-{plan.year}-{drill.system}@socctl")
        event.add("dtstamp", stamp)
        event.add("dtstart", datetime.combine(drill.start, DAY_START, LOCAL_TZ))
        event.add("dtend", datetime.combine(drill.end, DAY_END, LOCAL_TZ))
        event.add("summary", f"Diễn tập thực chiến: {drill.name}")
        level = f"cấp độ {drill.level}" if drill.level is not None else "chưa xác định cấp độ"
        event.add(
            "description",
            f"Hệ thống: {drill.name} ({drill.system})\nCấp độ: {level}\n"
            f"Cơ quan phòng thủ: {drill.agency}\n"
            f"Thời lượng: {drill.working_days} ngày làm việc",
        )
        event.add("categories", ["diễn tập thực chiến"])
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
