"""Dates, numbers and security levels as Vietnamese documents print them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from socctl.errors import InputError
from socctl.reports.formatting import date_long_vi, date_vi, datetime_vi, level_vi, number_vi


def test_dates_are_day_month_year_in_hai_phong_time() -> None:
    assert date_vi(date(2026, 11, 21)) == "21/11/2026"
    # 18:30 UTC is already the next morning in Hai Phong (UTC+7).
    assert date_vi(datetime(2026, 11, 20, 18, 30, tzinfo=UTC)) == "21/11/2026"
    assert datetime_vi(datetime(2026, 11, 20, 18, 30, tzinfo=UTC)) == "01:30 21/11/2026"
    assert date_vi("2026-03-05") == "05/03/2026"


def test_place_date_line_pads_small_days_and_months_one_and_two_only() -> None:
    assert date_long_vi(date(2026, 11, 21)) == "ngày 21 tháng 11 năm 2026"
    assert date_long_vi(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert date_long_vi(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"


def test_numbers_group_thousands_with_dots_and_decimals_with_a_comma() -> None:
    assert number_vi(1234567) == "1.234.567"
    assert number_vi(999) == "999"
    assert number_vi(1234.5, 1) == "1.234,5"
    assert number_vi(-20000) == "-20.000"


def test_security_levels() -> None:
    assert level_vi(3) == "Cấp độ 3"
    assert level_vi("5") == "Cấp độ 5"
    for bad in (0, 6, "ba", None):
        with pytest.raises(InputError, match="not a security level"):
            level_vi(bad)  # type: ignore[arg-type]


def test_a_bad_date_in_report_data_is_a_data_error() -> None:
    with pytest.raises(InputError, match="not a date"):
        date_vi("21/11/2026")
