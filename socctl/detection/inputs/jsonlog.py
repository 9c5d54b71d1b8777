"""JSON logs: JSON lines (evtx_dump, ECS/Winlogbeat, flat or other) and JSON documents.

Nested objects flatten to dotted paths (``process.executable``, ``winlog.event_data.CommandLine``);
lists stay lists. A record that is already flat is used as is, not copied.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from socctl.detection.event import Event, EventKind
from socctl.detection.inputs.lines import UTF8_BOM, iter_lines, read_all
from socctl.detection.inputs.malformed import Reporter
from socctl.detection.inputs.timestamps import find_time, parse_iso
from socctl.detection.inputs.windows import despace, windows_event

#: Turns one parsed JSON object into an Event (None: not the expected shape).
Converter = Callable[[dict[str, Any], str, str], Event | None]

#: Records nested deeper than this are malformed: no log nests so deep, and deeper values
#: could not be flattened, matched or written out without exhausting the stack.
MAX_DEPTH = 64
_DEEP = "JSON nested more than 64 levels deep"

#: Top-level objects that mark an Elastic Common Schema document (with ``@timestamp``).
_ECS_OBJECTS = ("ecs", "winlog", "agent", "event", "host", "log")
#: Where Winlogbeat puts a Windows event's data values.
_WINLOG_DATA = ("winlog.event_data.", "winlog.user_data.")


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """Dotted paths of a nested object; the object itself when nothing is nested."""
    if dict not in map(type, record.values()):
        return record
    fields: dict[str, Any] = {}
    _flatten_into(record, _ROOT, fields)
    return fields


class _Paths:
    """Dotted names already built below one prefix, shared by every record (no new strings)."""

    __slots__ = ("children", "names", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.names: dict[str, str] = {}
        self.children: dict[str, _Paths] = {}


_ROOT = _Paths("")
#: Keys remembered per level; records with ever-new keys (ids as keys) stop growing the cache.
_MAX_CACHED_KEYS = 4096


def _flatten_into(node: dict[str, Any], paths: _Paths, fields: dict[str, Any]) -> None:
    names = paths.names
    for key, value in node.items():
        if type(value) is dict:
            child = paths.children.get(key)
            if child is None:
                child = _Paths(f"{paths.prefix}{key}.")
                if len(paths.children) < _MAX_CACHED_KEYS:
                    paths.children[key] = child
            _flatten_into(value, child, fields)
        else:
            name = names.get(key)
            if name is None:
                name = paths.prefix + key
                if len(names) < _MAX_CACHED_KEYS:
                    names[key] = name
            fields[name] = value


def too_deep(value: Any) -> bool:
    """Whether objects or arrays in ``value`` nest more than :data:`MAX_DEPTH` levels."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        kind = type(node)
        if kind is dict:
            stack.extend((child, depth + 1) for child in node.values())
        elif kind is list:
            stack.extend((child, depth + 1) for child in node)
    return False


def is_evtx_json(record: dict[str, Any]) -> bool:
    event = record.get("Event")
    return type(event) is dict and "System" in event


def is_ecs(record: dict[str, Any]) -> bool:
    return "@timestamp" in record and any(type(record.get(key)) is dict for key in _ECS_OBJECTS)


def ecs_event(record: dict[str, Any], source: str, ref: str) -> Event:
    stamp = record.get("@timestamp")
    timestamp = parse_iso(stamp) if type(stamp) is str else None
    fields = flatten(record)
    if " " in "".join(fields):  # winlog.event_data.Source Name: also ...SourceName
        despace(fields)
    if None in fields.values():  # an empty event data element is '', as in EVTX
        for key, value in fields.items():
            if value is None and key.startswith(_WINLOG_DATA):
                fields[key] = ""
    return Event(fields, record, source, ref, "ecs", timestamp)


def generic_event(record: dict[str, Any], source: str, ref: str) -> Event:
    """A flat or other JSON record; already-flat Windows events (Channel, EventID) stay Windows."""
    fields = flatten(record)
    kind: EventKind = "windows" if "Channel" in fields and "EventID" in fields else "generic"
    return Event(fields, record, source, ref, kind, find_time(fields))


def any_event(record: dict[str, Any], source: str, ref: str) -> Event | None:
    """Whichever of the three shapes the record has."""
    if is_evtx_json(record):
        return windows_event(record, source, ref)
    if is_ecs(record):
        return ecs_event(record, source, ref)
    return generic_event(record, source, ref)


#: The converter of each JSON-lines format.
LINE_CONVERTERS: dict[str, Converter] = {
    "evtx-json": windows_event,
    "ecs": ecs_event,
    "jsonl": generic_event,
}


def read_json_lines(
    path: Path, report: Reporter, convert: Converter, start: int = 0, end: int | None = None
) -> Iterator[Event]:
    """One JSON object per line; blank lines are skipped, bad ones reported."""
    loads = orjson.loads
    source = str(path)
    for pos, line in iter_lines(path, report, start, end):
        try:
            record = loads(line)
        except orjson.JSONDecodeError as exc:
            record = _retry_line(line, pos, exc, report)
            if record is None:
                continue
        if type(record) is not dict:
            report.malformed(f"byte {pos}", "the line is JSON but not an object")
            continue
        if line.count(b"{") + line.count(b"[") > MAX_DEPTH and too_deep(record):
            report.malformed(f"byte {pos}", _DEEP)
            continue
        event = convert(record, source, str(pos))
        if event is None:
            report.malformed(f"byte {pos}", 'not an evtx_dump record (no "Event" object)')
            continue
        yield event


def _retry_line(line: bytes, pos: int, error: Exception, report: Reporter) -> Any:
    """A line orjson refused: blank (skip), BOM or invalid UTF-8 (repair and retry), or bad."""
    if not line.strip():
        return None
    repaired: bytes | str = line[len(UTF8_BOM) :] if line.startswith(UTF8_BOM) else line
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        report.invalid_utf8(f"byte {pos}")
        repaired = line.decode("utf-8", "replace")
    if repaired is not line:
        try:
            return orjson.loads(repaired)
        except orjson.JSONDecodeError as exc:
            error = exc
    report.malformed(f"byte {pos}", f"invalid JSON ({error})")
    return None


def read_json_document(path: Path, report: Reporter) -> Iterator[Event]:
    """A JSON array of objects, one object, or objects one after another (pretty-printed)."""
    content = read_all(path, report)
    try:
        document = orjson.loads(content)
    except orjson.JSONDecodeError:
        items: Iterator[tuple[int, Any]] = _salvage(_decode(content, report), report)
    else:
        items = enumerate(document if type(document) is list else [document])
    source = str(path)
    deep = content.count(b"{") + content.count(b"[") > MAX_DEPTH
    for index, item in items:
        if type(item) is not dict:
            report.malformed(f"item {index}", "not a JSON object")
            continue
        if deep and too_deep(item):
            report.malformed(f"item {index}", _DEEP)
            continue
        event = any_event(item, source, str(index))
        if event is not None:
            yield event


def _decode(content: bytes, report: Reporter) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.invalid_utf8(f"byte {exc.start}")
        return content.decode("utf-8", "replace")


def _int64(text: str) -> int | str:
    """An integer as orjson reads them, or its text when it does not fit 64 bits."""
    try:
        value = int(text)
    except ValueError:  # more digits than Python converts
        return text
    return value if -(2**63) <= value < 2**64 else text


def _salvage(text: str, report: Reporter) -> Iterator[tuple[int, Any]]:
    """Values one by one (array items or concatenated objects), stopping at the first bad one.

    ``Record N`` lines between objects (evtx_dump's default output) are skipped.
    """
    decoder = json.JSONDecoder(parse_int=_int64)
    index = 0
    pos = 0
    size = len(text)
    while pos < size:
        char = text[pos]
        if char in " \t\r\n,[]\ufeff":
            pos += 1
        elif text.startswith("Record ", pos):
            newline = text.find("\n", pos)
            pos = size if newline < 0 else newline + 1
        else:
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                report.malformed(f"item {index}", f"invalid JSON at character {exc.pos}: {exc.msg}")
                return
            except RecursionError:
                report.malformed(f"item {index}", _DEEP)
                return
            yield index, value
            index += 1
