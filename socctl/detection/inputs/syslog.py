"""Syslog lines: RFC 3164 (auth.log, sshd, sudo), RFC 5424, and FortiGate ``key=value`` logs.

Linux lines give ``host``, ``program``, ``pid``, ``message`` (the text after the tag, which
keyword rules search), ``facility`` and ``severity`` when a priority is present, and for sshd and
sudo the fields their rules use: sshd ``action`` (accepted/failed/invalid), ``auth_method``,
``user``, ``srcip``, ``srcport``; sudo ``user`` (who ran it), ``TTY``, ``PWD``, ``USER`` (as whom)
and ``COMMAND``. FortiGate lines give their own ``key=value`` pairs (``srcip``, ``dstip``,
``action``, ``user``...), kind ``firewall``. RFC 3164 times carry no year or zone: they are read
as Asia/Ho_Chi_Minh in the year of the reference time (the file's last change), or the year
before when that would put them more than a day after it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from socctl.detection.event import Event
from socctl.detection.inputs.timestamps import from_epoch, parse_iso
from socctl.timeutil import LOCAL_TZ

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_PRI = re.compile(r"<(\d{1,3})>")
_RFC5424 = re.compile(
    r"(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\\"]|\\.|\"(?:[^\"\\]|\\.)*\")*\])+)(?: (.*))?$",
    re.DOTALL,
)
_SD_ELEMENT = re.compile(r"\[([^\s\]=]+)((?:\s+[^\s=\]]+=\"(?:[^\"\\]|\\.)*\")*)\s*\]")
_SD_PARAM = re.compile(r"([^\s=\]]+)=\"((?:[^\"\\]|\\.)*)\"")
_RFC3164 = re.compile(
    r"(?:([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)|(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)) (\S+) "
    r"(?:([^\s:\[\]]+)(?:\[(\d+)\])?: )?(.*)$",
    re.DOTALL,
)
_KEY_VALUE = re.compile(r"([A-Za-z_][\w-]*)=(\"(?:[^\"\\]|\\.)*\"|\S*)")
_FORTIGATE_START = re.compile(r"(?:date|logver|devname|logid|eventtime|itime)=")
_SSHD = re.compile(
    r"(?:(Accepted|Failed) (\S+) for (?:(invalid) user )?(.*?)|(Invalid) user (.*?)) from (\S+)"
    r"(?: port (\d+))?"
)


class SyslogParser:
    """Parses syslog lines of one file; ``reference`` anchors RFC 3164's missing year."""

    def __init__(self, reference: datetime) -> None:
        self._latest = reference.astimezone(LOCAL_TZ) + timedelta(days=1)
        self._stamp = ""
        self._stamp_time: datetime | None = None

    def __call__(self, line: str, source: str, ref: str) -> Event | None:
        fields: dict[str, Any] = {}
        rest = line
        pri = _PRI.match(line)
        if pri:
            value = int(pri.group(1))
            if value < 192:
                fields["facility"] = FACILITIES[value >> 3]
                fields["severity"] = SEVERITIES[value & 7]
            rest = line[pri.end() :]
        if _FORTIGATE_START.match(rest):
            return _key_value_event(rest, fields, line, source, ref)
        timestamp: datetime | None
        if pri and rest[:1].isdigit() and (header := _RFC5424.match(rest)):
            timestamp = self._rfc5424(header, fields)
        elif header := _RFC3164.match(rest):
            timestamp = self._rfc3164(header, fields)
        else:
            return None
        message = fields["message"]
        if _FORTIGATE_START.match(message):
            return _key_value_event(message, fields, line, source, ref)
        program = fields.get("program")
        if program == "sshd":
            _sshd_fields(message, fields)
        elif program == "sudo":
            _sudo_fields(message, fields)
        return Event(fields, {"line": line}, source, ref, "linux", timestamp)

    def _rfc5424(self, header: re.Match[str], fields: dict[str, Any]) -> datetime | None:
        _version, stamp, host, app, procid, msgid, data, message = header.groups()
        for key, value in (("host", host), ("program", app), ("pid", procid), ("msgid", msgid)):
            if value != "-":
                fields[key] = value
        if data != "-":
            for element in _SD_ELEMENT.finditer(data):
                for name, value in _SD_PARAM.findall(element.group(2)):
                    fields[f"{element.group(1)}.{name}"] = _unescape(value)
        fields["message"] = (message or "").removeprefix("\ufeff")
        return parse_iso(stamp) if stamp != "-" else None

    def _rfc3164(self, header: re.Match[str], fields: dict[str, Any]) -> datetime | None:
        month, day, hour, minute, second, iso, host, program, pid, message = header.groups()
        fields["host"] = host
        if program:
            fields["program"] = program
        if pid:
            fields["pid"] = pid
        fields["message"] = message
        if iso:
            return parse_iso(iso)
        stamp = header.group(0)[:15]
        if stamp != self._stamp:
            self._stamp = stamp
            self._stamp_time = self._bsd_time(month, int(day), int(hour), int(minute), int(second))
        return self._stamp_time

    def _bsd_time(
        self, month: str, day: int, hour: int, minute: int, second: int
    ) -> datetime | None:
        number = MONTHS.get(month)
        if number is None:
            return None
        for year in (self._latest.year, self._latest.year - 1, self._latest.year - 2):
            try:
                local = datetime(year, number, day, hour, minute, second, tzinfo=LOCAL_TZ)
            except ValueError:  # 29 Feb outside a leap year, or an impossible date
                continue
            if local <= self._latest:
                return local.astimezone(UTC)
        return None


def looks_like_syslog(line: str) -> bool:
    """Whether a line parses as syslog (for format detection)."""
    return SyslogParser(datetime.now(UTC))(line, "", "") is not None


def _unescape(value: str) -> str:
    return (
        value.replace('\\"', '"').replace("\\]", "]").replace("\\\\", "\\")
        if "\\" in value
        else value
    )


def _key_value_event(text: str, fields: dict[str, Any], line: str, source: str, ref: str) -> Event:
    """A FortiGate-style line: every ``key=value`` pair (quotes removed) is a field."""
    for key, value in _KEY_VALUE.findall(text):
        fields[key] = _unescape(value[1:-1]) if value[:1] == '"' else value
    return Event(fields, {"line": line}, source, ref, "firewall", _fortigate_time(fields))


def _fortigate_time(fields: dict[str, Any]) -> datetime | None:
    """``eventtime`` (epoch s/ms/µs/ns) if present, else ``date`` and ``time`` with ``tz``."""
    eventtime = fields.get("eventtime")
    if isinstance(eventtime, str) and eventtime.isdigit():
        return from_epoch(int(eventtime))
    date, clock = fields.get("date"), fields.get("time")
    if not (isinstance(date, str) and isinstance(clock, str)):
        return None
    try:
        zone = _utc_offset(fields.get("tz"))
        value = datetime.fromisoformat(f"{date}T{clock}")
        return value.replace(tzinfo=zone or LOCAL_TZ).astimezone(UTC)
    except (ValueError, OverflowError):  # an impossible date or offset, or one beyond year 1-9999
        return None


def _utc_offset(text: Any) -> timezone | None:
    if not isinstance(text, str) or len(text) != 5 or text[0] not in "+-" or not text[1:].isdigit():
        return None
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[3:5])))


def _sshd_fields(message: str, fields: dict[str, Any]) -> None:
    match = _SSHD.match(message)
    if match is None:
        return
    outcome, method, invalid, user, invalid_only, invalid_user, address, port = match.groups()
    if outcome:
        fields["action"] = outcome.lower()
        fields["auth_method"] = method
        fields["user"] = user
        if invalid:
            fields["invalid_user"] = True
    else:
        fields["action"] = invalid_only.lower()
        fields["user"] = invalid_user
    fields["srcip"] = address
    if port:
        fields["srcport"] = port


def _sudo_fields(message: str, fields: dict[str, Any]) -> None:
    """``alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id``."""
    user, separator, rest = message.partition(" : ")
    if not separator:
        return
    fields["user"] = user.strip()
    for part in rest.split(" ; "):
        key, equals, value = part.partition("=")
        if equals and key.isupper():
            fields[key] = value
