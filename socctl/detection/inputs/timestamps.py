"""Event times from the values logs carry: ISO 8601 text or epoch numbers, always to UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socctl.timeutil import LOCAL_TZ

#: Keys that hold an event's time in flat JSON and CSV records, most specific first.
TIME_KEYS = (
    "@timestamp",
    "timestamp",
    "time",
    "TimeCreated",
    "SystemTime",
    "UtcTime",
    "EventTime",
    "datetime",
    "date",
    "ts",
)


def parse_iso(text: str) -> datetime | None:
    """ISO 8601 text as an aware UTC time; no offset means Asia/Ho_Chi_Minh; None if not a time."""
    try:
        value = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        return None
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        return None


def from_epoch(number: float) -> datetime | None:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, chosen by magnitude."""
    for scale in (1, 1e3, 1e6, 1e9):
        if abs(number) < 1e11 * scale:
            try:
                return datetime.fromtimestamp(number / scale, UTC)
            except (OverflowError, OSError, ValueError):
                return None
    return None


def coerce(value: Any) -> datetime | None:
    """A time from a JSON/CSV value: ISO text, epoch number or numeric text."""
    if isinstance(value, str):
        parsed = parse_iso(value)
        if parsed is None and value.replace(".", "", 1).isdigit():
            return from_epoch(float(value))
        return parsed
    if isinstance(value, int | float) and not isinstance(value, bool):
        return from_epoch(value)
    return None


def find_time(fields: dict[str, Any]) -> datetime | None:
    """The first usable time among the usual keys of a flat record."""
    for key in TIME_KEYS:
        value = fields.get(key)
        if value is not None:
            parsed = coerce(value)
            if parsed is not None:
                return parsed
    return None
