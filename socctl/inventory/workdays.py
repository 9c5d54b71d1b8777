"""The deadline clock: calendar days and working days under the Vietnamese public-holiday calendar.

Holidays (New Year, Tết, Hùng Kings, 30/4, 1/5, 2/9 and the Government's swapped days, including
weekend days turned into working days) come from ``holidays.country_holidays("VN")``; Saturday and
Sunday are off. Counting follows the Civil Code 2015 (Bộ luật Dân sự, Art. 147-148): the day a
period starts from is not counted, and a period in calendar days whose last day is a weekend or a
holiday ends at the end of the next working day.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import cache

import holidays

from socctl.errors import InputError

#: Longest deadline accepted, in days of either unit (a typo guard: no legal deadline is longer).
MAX_AMOUNT = 3660


class DeadlineUnit(StrEnum):
    calendar_days = "calendar_days"
    working_days = "working_days"


@cache
def _calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("VN")


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day in Vietnam (not a weekend unless swapped, not a holiday)."""
    return bool(_calendar().is_working_day(day))


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(start: date, amount: int, unit: DeadlineUnit | str) -> date:
    """The last day of a period of ``amount`` days of ``unit`` counted from ``start``.

    ``start`` itself is not counted. Working days: the ``amount``-th working day after ``start``.
    Calendar days: ``start + amount`` days, moved to the next working day if that is a day off.
    """
    try:
        unit = DeadlineUnit(unit)
    except ValueError:
        raise InputError(
            f"unknown deadline unit '{unit}'", hint="use calendar_days or working_days"
        ) from None
    if not 0 <= amount <= MAX_AMOUNT:
        raise InputError(
            f"deadline of {amount} days is out of range", hint=f"use 0 to {MAX_AMOUNT} days"
        )
    if unit is DeadlineUnit.calendar_days:
        return next_working_day(start + timedelta(days=amount))
    day = start
    counted = 0
    while counted < amount:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def is_overdue(
    start: date,
    amount: int,
    unit: DeadlineUnit | str,
    *,
    today: date,
    done: date | None = None,
) -> bool:
    """Whether a step that started on ``start`` missed its deadline.

    A step done on ``done`` is overdue if it was done after the due date; a step not yet done is
    overdue once ``today`` is past the due date.
    """
    due = due_date(start, amount, unit)
    return (done or today) > due
