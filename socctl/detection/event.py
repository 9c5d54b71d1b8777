"""The event every input produces and every store returns: the one currency of detection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

#: What kind of log an event is; chooses the pySigma processing pipeline and the logsources it
#: can belong to.
EventKind = Literal[
    "windows", "ecs", "wazuh", "linux", "auditd", "webserver", "firewall", "generic"
]


@dataclass(slots=True)
class Event:
    """One log record.

    ``fields`` is the flat view rules match against (Windows: System and EventData fields by their
    Sysmon names; JSON: dotted paths of nested objects; syslog/web: Sigma's field names).
    ``data`` is the original record as parsed, shown in alerts. ``source`` is a file path or an
    index name, ``ref`` the record number, byte offset or document id within it.
    """

    fields: dict[str, Any]
    data: dict[str, Any]
    source: str
    ref: str
    kind: EventKind
    timestamp: datetime | None = None


def display_text(text: str) -> str:
    """``text`` made valid UTF-8 for display: the undecodable bytes of a file name (held as
    surrogate escapes) shown as ``\\xff``."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")
