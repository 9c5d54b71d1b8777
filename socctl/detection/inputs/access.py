"""Apache/Nginx access logs (common and combined formats) with Sigma's webserver field names.

``cs-uri-query`` holds the whole request target (path and query), as SigmaHQ's webserver rules
expect; ``cs-uri-stem`` the path alone. ``sc-status`` and ``sc-bytes`` are ints (``-`` bytes is 0).
``date`` and ``time`` are the request time in UTC, as in W3C logs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from socctl.detection.event import Event
from socctl.detection.inputs.syslog import MONTHS
from socctl.timeutil import LOCAL_TZ

_LINE = re.compile(
    r'(\S+) (\S+) (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-)'
    r'(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?'
)
#: ``10/Oct/2000:13:55:36 -0700``
_TIME = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d)(?: ([+-])(\d\d)(\d\d))?$")


class AccessLogParser:
    """Parses access-log lines; remembers the last time text (lines share seconds)."""

    def __init__(self) -> None:
        self._stamp = ""
        self._stamp_time: datetime | None = None
        self._stamp_fields: dict[str, str] = {}

    def __call__(self, line: str, source: str, ref: str) -> Event | None:
        match = _LINE.match(line)
        if match is None:
            return None
        client, _ident, user, stamp, request, status, size, referer, agent = match.groups()
        fields: dict[str, Any] = {"c-ip": client, "cs-username": user}
        _request_fields(request, fields)
        fields["sc-status"] = int(status) if status != "-" else None
        fields["sc-bytes"] = int(size) if size != "-" else 0
        if referer is not None:
            fields["cs-referer"] = referer
            fields["cs-user-agent"] = agent
        if stamp != self._stamp:
            self._stamp = stamp
            self._stamp_time = timestamp = _parse_time(stamp)
            self._stamp_fields = (
                {"date": f"{timestamp:%Y-%m-%d}", "time": f"{timestamp:%H:%M:%S}"}
                if timestamp
                else {}
            )
        fields.update(self._stamp_fields)
        return Event(fields, {"line": line}, source, ref, "webserver", self._stamp_time)


def looks_like_access(line: str) -> bool:
    match = _LINE.match(line)
    return match is not None and _TIME.match(match.group(4)) is not None


def _request_fields(request: str, fields: dict[str, Any]) -> None:
    """``GET /a/b?x=1 HTTP/1.1`` into method, target, stem and version; junk kept as the target."""
    parts = request.split(" ")
    if len(parts) >= 3 and parts[-1].startswith("HTTP/"):
        fields["cs-method"] = parts[0]
        target = " ".join(parts[1:-1])
        fields["cs-version"] = parts[-1]
    elif len(parts) == 2:
        fields["cs-method"], target = parts
    else:
        target = request
    fields["cs-uri-query"] = target
    fields["cs-uri-stem"] = target.partition("?")[0]


def _parse_time(text: str) -> datetime | None:
    match = _TIME.match(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    number = MONTHS.get(month)
    if number is None:
        return None
    zone: timezone | None = None
    try:
        if sign:
            offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
            zone = timezone(-offset if sign == "-" else offset)  # ValueError beyond ±24 h
        local = datetime(int(year), number, int(day), int(hour), int(minute), int(second))
        return local.replace(tzinfo=zone or LOCAL_TZ).astimezone(UTC)
    except (ValueError, OverflowError):  # an impossible date, offset, or year 1 moved before 1
        return None
