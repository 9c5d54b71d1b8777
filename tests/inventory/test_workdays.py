"""The deadline clock: working days under the Vietnamese holiday calendar, calendar days."""

from __future__ import annotations

from datetime import date

import pytest

from socctl.errors import InputError
from socctl.inventory.workdays import due_date, is_overdue, is_working_day


@pytest.mark.parametrize(
    ("day", "what"),
    [
        (date(2027, 1, 1), "New Year"),
        (date(2027, 2, 8), "Tết (3rd day of the lunar year)"),
        (date(2027, 4, 16), "Hùng Kings' day (10/3 lunar)"),
        (date(2027, 4, 30), "Reunification day"),
        (date(2026, 5, 1), "Labour day"),
        (date(2027, 9, 2), "National day"),
    ],
)
def test_public_holidays_are_not_working_days(day: date, what: str) -> None:
    assert day.weekday() < 5, "pick a weekday so only the holiday makes it a day off"
    assert not is_working_day(day), what


def test_weekends_are_off_and_weekdays_work() -> None:
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 22))  # Sunday
    assert is_working_day(date(2026, 11, 23))  # Monday


def test_five_working_days_over_tet_2027_skip_the_whole_break() -> None:
    """ND331 Art. 23.2: reply to an incomplete dossier within 5 working days.

    Received Wednesday 3/2/2027; Tết runs Thursday 4/2 to Wednesday 10/2 (with the weekend), so
    the five working days are 11, 12, 15, 16 and 17 February.
    """
    assert due_date(date(2027, 2, 3), 5, "working_days") == date(2027, 2, 17)


def test_working_days_over_national_day_2027() -> None:
    """2/9/2027 is a Thursday; the day after is also off; then the weekend."""
    assert due_date(date(2027, 9, 1), 3, "working_days") == date(2027, 9, 8)


def test_approval_deadline_of_seven_working_days_counts_from_the_next_day() -> None:
    """ND85 Art. 17.2 / ND331 Art. 24.2: 7 working days; the start day is not counted."""
    assert due_date(date(2026, 11, 2), 7, "working_days") == date(2026, 11, 11)  # Mon -> Wed


def test_one_working_day_from_friday_is_monday() -> None:
    assert due_date(date(2026, 11, 20), 1, "working_days") == date(2026, 11, 23)


def test_calendar_days_count_weekends_and_holidays() -> None:
    """ND85 Art. 16.2.a: 15 days (calendar) for a level-3 appraisal."""
    assert due_date(date(2026, 11, 2), 15, "calendar_days") == date(2026, 11, 17)


def test_calendar_deadline_ending_on_a_holiday_moves_to_the_next_working_day() -> None:
    """Civil Code 2015 Art. 148: 22/1/2027 + 15 days is Saturday 6/2/2027, in Tết."""
    assert due_date(date(2027, 1, 22), 15, "calendar_days") == date(2027, 2, 11)


def test_a_step_done_on_its_due_day_is_not_overdue() -> None:
    start = date(2027, 2, 3)
    assert not is_overdue(start, 5, "working_days", today=date(2027, 3, 1), done=date(2027, 2, 17))
    assert is_overdue(start, 5, "working_days", today=date(2027, 3, 1), done=date(2027, 2, 18))


def test_an_open_step_becomes_overdue_the_day_after_its_due_date() -> None:
    start = date(2027, 2, 3)
    assert not is_overdue(start, 5, "working_days", today=date(2027, 2, 17))
    assert is_overdue(start, 5, "working_days", today=date(2027, 2, 18))


def test_unknown_unit_is_a_clear_input_error() -> None:
    with pytest.raises(InputError, match="unknown deadline unit 'weeks'"):
        due_date(date(2026, 11, 2), 2, "weeks")


def test_negative_amount_is_refused() -> None:
    with pytest.raises(InputError, match="out of range"):
        due_date(date(2026, 11, 2), -1, "calendar_days")
