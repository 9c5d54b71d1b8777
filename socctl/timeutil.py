"""Times and dates: Asia/Ho_Chi_Minh unless an offset is given; dd/mm/yyyy in documents."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from socctl.errors import UsageError

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse ``30s``, ``5m``, ``24h``, ``7d`` or ``2w``."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(
            f"'{text}' is not a duration", hint="use a number and s, m, h, d or w: 5m, 24h"
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2).lower()])


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 date or time; without an offset it is local (Asia/Ho_Chi_Minh)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"'{text}' is not a date or time", hint="use ISO 8601: 2026-11-21 or 2026-11-21T08:30"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)


def now_utc() -> datetime:
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).astimezone(UTC)


def format_date_vi(value: date | datetime) -> str:
    """A date as documents print it: dd/mm/yyyy (local date for a time)."""
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ).date()
    return value.strftime("%d/%m/%Y")


def format_datetime_local(value: datetime) -> str:
    """A time as documents print it: HH:MM dd/mm/yyyy in Asia/Ho_Chi_Minh."""
    return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")
