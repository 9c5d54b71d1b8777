"""Vietnamese document formatting: dates, numbers and security levels as reviewers read them."""

from __future__ import annotations

from datetime import date, datetime

from socctl.errors import InputError, UsageError
from socctl.i18n import number, t
from socctl.timeutil import LOCAL_TZ, format_date_vi, format_datetime_local, parse_time

#: Security levels of information systems under Vietnamese law: 1 (lowest) to 5.
SECURITY_LEVELS = range(1, 6)

DateLike = date | datetime | str


def as_local_date(value: DateLike) -> date:
    """A date, a time (its local date in Asia/Ho_Chi_Minh) or an ISO 8601 string as a date."""
    if isinstance(value, str):
        value = _parse_time(value)
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).date()
    return value


def date_vi(value: DateLike) -> str:
    """``21/11/2026``."""
    return format_date_vi(as_local_date(value))


def datetime_vi(value: datetime | str) -> str:
    """``08:30 21/11/2026`` in Asia/Ho_Chi_Minh."""
    return format_datetime_local(_parse_time(value) if isinstance(value, str) else value)


def date_long_vi(value: DateLike) -> str:
    """``ngày 05 tháng 3 năm 2026`` as on the place/date line of an official document.

    Decree 30/2020/ND-CP, Appendix I: a day below 10 and the months 1 and 2 take a leading zero.
    """
    day = as_local_date(value)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def number_vi(value: float, digits: int = 0) -> str:
    """``1.234.567`` and ``1.234,5``: dots group thousands, a comma marks decimals."""
    return number(value, "vi", digits)


def level_vi(value: int | str) -> str:
    """``Cấp độ 3`` for a security level from 1 to 5."""
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if level not in SECURITY_LEVELS:
        raise InputError(f"'{value}' is not a security level", hint="use a level from 1 to 5")
    return t("level", "vi", level=level)


def _parse_time(text: str) -> datetime:
    """An ISO 8601 time from report data; a bad one is a data error (exit 3), not a usage error."""
    try:
        return parse_time(text)
    except UsageError as exc:
        raise InputError(exc.message, hint=exc.hint) from None
