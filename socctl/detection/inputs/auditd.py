"""Linux audit log lines: ``type=SYSCALL msg=audit(1700000000.123:456): key=value ...``.

Fields: ``type``, ``serial`` (the event id shared by an event's records, which stay separate
events), ``node`` when present, and every ``key=value`` (quotes removed; the pairs inside a
quoted ``msg='...'`` too; ausearch's enriched upper-case pairs after ``\\x1d`` as well). Strings
the kernel hex-encodes (``proctitle``, ``exe``, ``comm``, ``name``, ``cwd``, EXECVE ``a0``...)
are decoded; ``proctitle`` and EXECVE arguments have their NUL separators shown as spaces.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from socctl.detection.event import Event

_HEADER = re.compile(r"(?:node=(\S+) )?type=(\S+) msg=audit\((\d+)(?:\.(\d+))?:(\d+)\):\s*")
_PAIR = re.compile(r"([\w-]+)=('[^']*'|\"[^\"]*\"|\S*)")
_EXECVE_ARGUMENT = re.compile(r"a\d+(?:\[\d+\])?")
#: Fields the kernel writes as hex when the value has spaces or unusual bytes.
_HEX_FIELDS = frozenset(
    {"proctitle", "exe", "comm", "name", "cwd", "cmd", "acct", "path", "data", "ocomm"}
)
_HEX_DIGITS = frozenset("0123456789ABCDEFabcdef")


def looks_like_auditd(line: str) -> bool:
    return _HEADER.match(line) is not None


def parse_auditd(line: str, source: str, ref: str) -> Event | None:
    header = _HEADER.match(line)
    if header is None:
        return None
    node, record_type, seconds, fraction, serial = header.groups()
    fields: dict[str, Any] = {"type": record_type, "serial": int(serial)}
    if node:
        fields["node"] = node
    body, _, enriched = line[header.end() :].partition("\x1d")
    execve = record_type == "EXECVE"
    _pairs(body, fields, execve)
    if enriched:
        _pairs(enriched, fields, execve)
    try:
        stamp = datetime.fromtimestamp(int(seconds), UTC)
    except (ValueError, OverflowError, OSError):  # a time beyond year 9999: not a real record
        return None
    if fraction:
        stamp = stamp.replace(microsecond=int(fraction[:6].ljust(6, "0")))
    return Event(fields, {"line": line}, source, ref, "auditd", stamp)


def _pairs(text: str, fields: dict[str, Any], execve: bool) -> None:
    for key, value in _PAIR.findall(text):
        quote = value[:1]
        if quote == "'":
            _pairs(value[1:-1], fields, execve)
        elif quote == '"':
            fields[key] = value[1:-1]
        elif (key in _HEX_FIELDS or (execve and _EXECVE_ARGUMENT.fullmatch(key))) and _is_hex(
            value
        ):
            decoded = bytes.fromhex(value).decode("utf-8", "replace")
            fields[key] = decoded.replace("\0", " ") if key == "proctitle" or execve else decoded
        else:
            fields[key] = value


def _is_hex(value: str) -> bool:
    return len(value) >= 2 and len(value) % 2 == 0 and _HEX_DIGITS.issuperset(value)
