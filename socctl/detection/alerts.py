"""Alerts: what a detection reports, built from the engine's Matches, and their suppression.

An alert has a deterministic ``alert_id`` (rule id + the event's time and content, or for a correlation
rule id + group values + window start) so rerunning a detection over the same events gives the
same alerts, wherever the log was copied or rotated to, and the alert store keeps each once. On a
cluster, where only some fields of a document are fetched (which ones depends on the rules and
the pipeline), the event's index and document id stand for its content.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal

import orjson

from socctl.detection.event import Event, display_text
from socctl.detection.match import Match, RuleInfo
from socctl.errors import UsageError
from socctl.timeutil import LOCAL_TZ, to_utc

if TYPE_CHECKING:  # the inventory is only needed when a workspace names systems
    from socctl.inventory.hosts import SystemRef

#: Sigma levels, lowest first.
LEVELS = ("informational", "low", "medium", "high", "critical")

#: Where the server is, by input: Windows, Wazuh, ECS/Winlogbeat, syslog, FortiGate, web server
#: (IIS). Client fields (a web log's ``c-ip``) are not here: an attacker's address is no system
#: of ours.
HOST_FIELDS = (
    "Computer",
    "data.win.system.computer",
    "host.name",
    "host.hostname",
    "agent.hostname",
    "agent.name",
    "hostname",
    "host",
    "devname",
    "s-computername",
    "cs-host",
)
#: Where the user is: the account acted on first, then the one acting.
USER_FIELDS = (
    "TargetUserName",
    "SubjectUserName",
    "User",
    "data.win.eventdata.targetUserName",
    "data.win.eventdata.subjectUserName",
    "data.win.eventdata.user",
    "user.name",
    "user",
    "cs-username",
    "srcuser",
    "dstuser",
)
#: Server-side IP addresses that may place an event in a known system when its host name does
#: not (source and client addresses never do).
IP_FIELDS = (
    "host.ip",
    "s-ip",
    "destination.ip",
    "dstip",
    "dst",
)
#: Values that mean "no value" in Windows and web logs.
_EMPTY = {"", "-", "N/A", "n/a", "null", "None"}

#: Where events come from: log files, the embedded store, or a cluster (whose documents are
#: fetched with only some of their fields, so a cluster alert is identified by its document).
Origin = Literal["file", "index", "cluster"]
Lookup = Callable[[str], "SystemRef | None"]


def level_rank(level: str | None) -> int:
    """The position of a level in :data:`LEVELS` (-1 when unknown or absent)."""
    return LEVELS.index(level) if level in LEVELS else -1


def parse_level(text: str) -> str:
    """A level named by the user, or a :class:`UsageError` listing the valid ones."""
    if text.lower() not in LEVELS:
        raise UsageError(f"'{text}' is not a level", hint="use one of " + ", ".join(LEVELS))
    return text.lower()


@dataclass(slots=True)
class Alert:
    """One alert (see the module docstring); ``fields`` is the matched event's flat view."""

    alert_id: str
    rule: dict[str, Any]
    timestamp: str | None
    host: str | None
    user: str | None
    source: dict[str, Any]
    system: dict[str, Any] | None
    event: dict[str, Any]
    correlation: dict[str, Any] | None = None
    count: int = 1
    last_timestamp: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, repr=False)
    #: ``event`` as canonical JSON when it was serialized for ``alert_id`` (not serialized again).
    event_json: bytes | None = field(default=None, repr=False)

    def to_dict(self, *, for_orjson: bool = False) -> dict[str, Any]:
        """The alert as JSON-able data (without the flat ``fields``); ``for_orjson``: the event
        may be its canonical JSON already made (an ``orjson.Fragment``), for orjson to write."""
        data: dict[str, Any] = {
            "alert_id": self.alert_id,
            "rule": self.rule,
            "timestamp": self.timestamp,
            "host": self.host,
            "user": self.user,
            "source": self.source,
            "system": self.system,
            "event": self.event
            if self.event_json is None or not for_orjson
            else orjson.Fragment(self.event_json),
        }
        if self.correlation is not None:
            data["correlation"] = self.correlation
        if self.count > 1:
            data["count"] = self.count
            data["last_timestamp"] = self.last_timestamp
        return data

    @property
    def level(self) -> str | None:
        level: str | None = self.rule.get("level")
        return level


def _hash(*parts: str | bytes) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _canonical(data: dict[str, Any]) -> bytes:
    """An event's content as one UTF-8 text that does not depend on key order."""
    option = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(data, option=option, default=str)


def iso_utc(value: datetime | None) -> str | None:
    """A time as UTC ISO 8601 with a ``Z``."""
    if value is None:
        return None
    return to_utc(value).isoformat().replace("+00:00", "Z")


def _first_value(fields: dict[str, Any], names: Sequence[str]) -> str | None:
    for name in names:
        value = fields.get(name)
        if value is not None and not isinstance(value, dict | list):
            text = str(value).strip()
            if text not in _EMPTY:
                return text
    return None


def _source(event: Event, origin: Origin) -> dict[str, Any]:
    if origin != "file":
        return {"index": event.source, "document_id": event.ref}
    return {"path": display_text(event.source), "record": event.ref}


def _system(
    host: str | None, fields: dict[str, Any], lookup: Lookup | None
) -> dict[str, Any] | None:
    if lookup is None:
        return None
    candidates = [host] if host else []
    candidates += [str(fields[name]) for name in IP_FIELDS if fields.get(name)]
    for candidate in candidates:
        ref = lookup(candidate)
        if ref is not None:
            return {"id": ref.id, "name": ref.name, "owner": ref.owner, "level": ref.level}
    return None


def build_alert(match: Match, origin: Origin, lookup: Lookup | None = None) -> Alert:
    """The alert for one Match; ``lookup`` maps a host or IP to its system."""
    return next(build_alerts([match], origin, lookup))


def build_alerts(
    matches: Iterable[Match], origin: Origin, lookup: Lookup | None = None
) -> Iterator[Alert]:
    """The alerts of Matches in order; what depends only on the event (its canonical text, time,
    host, user, source, system) is worked out once for the matches of one event in a row."""
    parts: _EventParts | None = None
    described: dict[RuleInfo, dict[str, Any]] = {}
    for match in matches:
        rule = match.rule
        about = described.get(rule)
        if about is None:
            about = described[rule] = {
                "id": rule.id,
                "title": rule.title,
                "level": rule.level,
                "status": rule.status,
                "tags": list(rule.tags),
                "techniques": list(rule.techniques),
            }
        first = match.events[0]
        if parts is None or parts.event is not first:
            parts = _EventParts.of(first, origin, lookup)
        correlation = None
        event_json = None
        if match.window is not None:
            start, end = match.window
            timestamp = iso_utc(start)
            alert_id = _hash(rule.id, _canonical(match.group), timestamp or "")
            correlation = {
                "group": match.group,
                "window_start": timestamp,
                "window_end": iso_utc(end),
                "count": len(match.events),
                "events": [{"source": _source(e, origin), "event": e.data} for e in match.events],
            }
        else:
            timestamp = parts.timestamp
            event_json = parts.canonical()
            identity = f"{first.source}\0{first.ref}" if origin == "cluster" else event_json
            alert_id = _hash(rule.id, timestamp or "", identity)
        yield Alert(
            alert_id=alert_id,
            rule=about,  # one dict per rule, shared by its alerts
            timestamp=timestamp,
            host=parts.host,
            user=parts.user,
            source=parts.source,
            system=parts.system,
            event=first.data,
            correlation=correlation,
            fields=first.fields,
            event_json=event_json,
        )


@dataclass(slots=True)
class _EventParts:
    """What an alert takes from its (first) event."""

    event: Event
    timestamp: str | None
    host: str | None
    user: str | None
    source: dict[str, Any]
    system: dict[str, Any] | None
    text: bytes | None = None

    @classmethod
    def of(cls, event: Event, origin: Origin, lookup: Lookup | None) -> _EventParts:
        fields = event.fields
        host = _first_value(fields, HOST_FIELDS)
        return cls(
            event,
            iso_utc(event.timestamp),
            host,
            _first_value(fields, USER_FIELDS),
            _source(event, origin),
            _system(host, fields, lookup),
        )

    def canonical(self) -> bytes:
        if self.text is None:
            self.text = _canonical(self.event.data)
        return self.text


def _suppress_value(alert: Alert, name: str) -> Any:
    if name in {"host", "user"}:
        return getattr(alert, name)
    if name == "system":
        return alert.system["id"] if alert.system else None
    value = alert.fields.get(name)
    return orjson.dumps(value, default=str) if isinstance(value, dict | list) else value


#: Fields every alert can be suppressed by, besides the fields of its event.
ALERT_FIELDS = ("host", "user", "system")
#: Event fields named in the error for an unknown suppression field.
SHOWN_FIELDS = 30


def _check_suppress_fields(alerts: Sequence[Alert], fields: Sequence[str]) -> None:
    """Refuse a field no alert has: it would merge alerts that differ (all its values None)."""
    known = {name for alert in alerts for name in alert.fields}
    for name in fields:
        if name not in ALERT_FIELDS and name not in known:
            names = sorted(known)
            more = ", ..." if len(names) > SHOWN_FIELDS else ""
            raise UsageError(
                f"--suppress {name}: no alert has this field",
                hint="use " + ", ".join([*ALERT_FIELDS, *names[:SHOWN_FIELDS]]) + more,
            )


def suppress(alerts: Iterable[Alert], fields: Sequence[str], window: timedelta) -> list[Alert]:
    """Group repeats of a rule with the same values of ``fields`` within ``window`` of the
    group's first alert into that first alert, counting them (``count``, ``last_timestamp``).
    A field no alert has is a :class:`UsageError`."""
    ordered = sorted(alerts, key=lambda a: (a.timestamp or "", a.alert_id))
    if ordered:
        _check_suppress_fields(ordered, fields)
    open_groups: dict[tuple[Any, ...], tuple[datetime | None, Alert]] = {}
    kept: list[Alert] = []
    for alert in ordered:
        key = (alert.rule["id"], *(_suppress_value(alert, name) for name in fields))
        at = datetime.fromisoformat(alert.timestamp) if alert.timestamp else None
        current = open_groups.get(key)
        if current is not None:
            started, head = current
            if at is None or started is None or at < started + window:
                head.count += 1
                head.last_timestamp = alert.timestamp
                continue
        open_groups[key] = (at, alert)
        kept.append(alert)
    return kept


#: Columns of an alert's one-line summary (tables and CSV).
SUMMARY_COLUMNS = (
    "alert_id",
    "timestamp",
    "level",
    "rule",
    "host",
    "user",
    "system",
    "source",
    "count",
)


def summary_row(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert (as :meth:`Alert.to_dict` gives it) flattened to one line for tables and CSV; an
    alert from an index also names the original file and record of its document."""
    source = alert["source"]
    where = f"{source['path']}#{source['record']}" if "path" in source else None
    if "index" in source:
        document = f"{source['index']}/{source['document_id']}"
        where = f"{document} ({where})" if where else document
    system = alert.get("system")
    return {
        "alert_id": alert["alert_id"],
        "timestamp": alert.get("timestamp"),
        "level": alert["rule"].get("level"),
        "rule": alert["rule"].get("title"),
        "rule_id": alert["rule"].get("id"),
        "host": alert.get("host"),
        "user": alert.get("user"),
        "system": system["id"] if system else None,
        "source": where,
        "count": alert.get("count", 1),
    }


#: Characters of an alert id shown in tables: enough to tell alerts apart and to ``alerts show``.
SHORT_ID = 12


def table_row(alert: dict[str, Any]) -> dict[str, Any]:
    """:func:`summary_row` for a person reading a table: short id, local time (Asia/Ho_Chi_Minh),
    file name and record instead of the full path."""
    row = summary_row(alert)
    row["alert_id"] = alert["alert_id"][:SHORT_ID]
    stamp = alert.get("timestamp")
    if stamp:
        row["timestamp"] = f"{datetime.fromisoformat(stamp).astimezone(LOCAL_TZ):%Y-%m-%d %H:%M:%S}"
    source = alert["source"]
    if "path" in source and "index" not in source:
        row["source"] = f"{PurePath(source['path']).name}#{source['record']}"
    return row
