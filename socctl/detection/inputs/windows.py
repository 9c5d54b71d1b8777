"""Windows events: EVTX files (the ``evtx`` package) and their evtx_dump JSON form, flattened.

The flat names follow Zircolite and Chainsaw so SigmaHQ's Windows rules match them: System
values by their element name (``EventID``, ``Channel``, ``Computer``, ``EventRecordID``...),
System attributes by theirs (``SystemTime``, ``ProcessID``, ``ThreadID``, ``UserID``,
``Qualifiers``) except the provider's (``Provider_Name``, ``Provider_Guid``), and every
``EventData``/``UserData`` value by its leaf name. Values stay strings or ints as in the source.

Two rules make SigmaHQ's Windows rules mean what their authors meant (see the README):

- an empty element (``<Data Name="StartModule"></Data>``, ``null`` in evtx_dump JSON) is the
  empty string, as Windows renders it and as exports write it;
- a data name written with spaces (Defender's ``Source Name``, ``Threat Name``) is also there
  with the spaces removed (``SourceName``), as SigmaHQ's regression checker reads it, unless the
  event has a field of that name already (then each keeps its own value).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from evtx import PyEvtxParser

from socctl.detection.event import Event
from socctl.detection.inputs.lines import is_gzip, read_all
from socctl.detection.inputs.malformed import Reporter
from socctl.detection.inputs.timestamps import parse_iso

#: Provider attributes keep the element's name as a prefix: ``Provider_Name``, ``Provider_Guid``.
_PROVIDER_NAMES = {name: f"Provider_{name}" for name in ("Name", "Guid", "EventSourceName")}
#: Value types of an EventData section that can be copied as it is.
_SCALARS = frozenset({str, int, float, bool, type(None)})
#: Give up on a file after this many unreadable records in a row (a wrecked file).
_MAX_CONSECUTIVE_ERRORS = 100
#: EVTX layout: a file header (its size at byte 40, the number of chunks at 42), then chunks.
_EVTX_HEADER = struct.Struct("<HH")
_EVTX_HEADER_AT = 40
_EVTX_CHUNK = 64 << 10
#: In a chunk's header: the free-space offset and the records' CRC32 at byte 48, its own at 124.
_CHUNK_SUMS = struct.Struct("<II")
_CRC = struct.Struct("<I")


def flatten_windows(event: dict[str, Any]) -> tuple[dict[str, Any], datetime | None]:
    """The flat field view of one ``Event`` object, and its ``SystemTime`` as UTC."""
    fields: dict[str, Any] = {}
    system = event.get("System")
    if type(system) is dict:
        for key, value in system.items():
            if type(value) is not dict:
                fields[key] = value
                continue
            attributes = value.get("#attributes")
            if type(attributes) is dict:
                if key == "Provider":
                    for name, attribute in attributes.items():
                        fields[_PROVIDER_NAMES.get(name) or f"Provider_{name}"] = attribute
                else:
                    fields.update(attributes)
            if "#text" in value:
                fields[key] = value["#text"]
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if type(data) is dict:
            if (
                "#text" in data
                or "#attributes" in data
                or not _SCALARS.issuperset(map(type, data.values()))
            ):
                _leaves(data, section, fields)
                despace(fields)
            else:
                fields.update(data)
                if None in data.values():
                    for key, value in data.items():
                        if value is None:
                            fields[key] = ""
                if " " in "".join(data):
                    despace(fields)
    system_time = fields.get("SystemTime")
    return fields, parse_iso(system_time) if type(system_time) is str else None


def _leaves(node: dict[str, Any], name: str, fields: dict[str, Any]) -> None:
    """Every leaf of an EventData/UserData tree under its own name (``#text`` under its parent's)."""
    for key, value in node.items():
        kind = type(value)
        if key == "#attributes":
            if kind is dict:
                for attribute, text in value.items():
                    if not attribute.startswith("xmlns"):
                        fields[attribute] = text
        elif key == "#text":
            fields[name] = "" if value is None else value
        elif kind is dict:
            _leaves(value, key, fields)
        elif kind is list and value and all(type(item) is dict for item in value):
            _named_items(value, key, fields)
        else:
            fields[key] = "" if value is None else value


def despace(fields: dict[str, Any]) -> None:
    """Add each field whose name has spaces under that name without them, unless taken."""
    for key in [k for k in fields if " " in k]:
        fields.setdefault(key.replace(" ", ""), fields[key])


def _named_items(items: list[dict[str, Any]], name: str, fields: dict[str, Any]) -> None:
    """``[{"@Name": "User", "#text": "x"}, ...]`` (XML-to-JSON converters) as ``User: x``."""
    for item in items:
        label = item.get("@Name", item.get("Name"))
        if type(label) is str:
            text = item.get("#text")
            fields[label] = "" if text is None else text
        else:
            _leaves(item, name, fields)


def windows_event(record: dict[str, Any], source: str, ref: str) -> Event | None:
    """An Event from ``{"Event": {...}}``; None when the record has no Event object."""
    event = record.get("Event")
    if type(event) is not dict:
        return None
    fields, timestamp = flatten_windows(event)
    return Event(fields, record, source, ref, "windows", timestamp)


def _check_complete(target: str | io.BytesIO, report: Reporter) -> str | io.BytesIO:
    """Report an EVTX file shorter than its header says, and chunks whose checksums fail.

    A cut file's last records are lost and the EVTX reader says nothing of them: it is reported
    at its byte, and a file cut inside a chunk comes back padded with zeros to the chunk's end,
    so the EVTX reader reads the chunk's records before the cut. A chunk whose header or records
    checksum does not match is reported at its byte; its records are still read for themselves
    (a damaged one is reported as unreadable), the rest may be altered."""
    with _opened(target) as handle:
        head = handle.read(_EVTX_HEADER_AT + _EVTX_HEADER.size)
        if not head.startswith(b"ElfFile\0") or len(head) < _EVTX_HEADER_AT + _EVTX_HEADER.size:
            return target  # not EVTX: the reader reports it
        header_size, chunks = _EVTX_HEADER.unpack_from(head, _EVTX_HEADER_AT)
        handle.seek(header_size)
        offset = header_size
        while len(chunk := handle.read(_EVTX_CHUNK)) == _EVTX_CHUNK:
            _check_chunk(chunk, offset, (offset - header_size) // _EVTX_CHUNK, report)
            offset += _EVTX_CHUNK
        size = handle.seek(0, io.SEEK_END)
    expected = header_size + chunks * _EVTX_CHUNK
    if size < expected or chunk:
        report.malformed(
            f"byte {size}",
            f"the EVTX file is cut short ({size} bytes, {max(expected, size)} or more expected):"
            " any records in the missing part are lost",
        )
    if not chunk:
        return target
    with _opened(target) as handle:
        return io.BytesIO(handle.read() + bytes(_EVTX_CHUNK - len(chunk)))


def _opened(target: str | io.BytesIO) -> AbstractContextManager[BinaryIO]:
    if isinstance(target, io.BytesIO):
        target.seek(0)
        return nullcontext(target)
    return open(target, "rb")


def _check_chunk(chunk: bytes, offset: int, number: int, report: Reporter) -> None:
    """Report a chunk whose header or records checksum (CRC32) does not match."""
    if not chunk.startswith(b"ElfChnk\0"):
        return  # unused space or a wrecked chunk: the reader reports its records
    free, records_sum = _CHUNK_SUMS.unpack_from(chunk, 48)
    (header_sum,) = _CRC.unpack_from(chunk, 124)
    if zlib.crc32(chunk[128:512], zlib.crc32(chunk[:120])) != header_sum:
        damaged = "header"
    elif not 512 <= free <= _EVTX_CHUNK or zlib.crc32(chunk[512:free]) != records_sum:
        damaged = "records"
    else:
        return
    report.malformed(
        f"byte {offset}",
        f"EVTX chunk {number} fails its {damaged} checksum: its readable records are kept,"
        " but may have been altered",
    )


def read_evtx(path: Path, report: Reporter) -> Iterator[Event]:
    """Events of an EVTX file (gzip-compressed allowed); unreadable records are reported."""
    target: str | io.BytesIO = io.BytesIO(read_all(path, report)) if is_gzip(path) else str(path)
    target = _check_complete(target, report)
    try:
        records = iter(PyEvtxParser(target).records_json())
    except (RuntimeError, OSError, ValueError) as exc:
        report.malformed("file header", f"not a readable EVTX file ({exc})")
        return
    source = str(path)
    last = 0
    errors = 0
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except (RuntimeError, OSError, ValueError) as exc:
            report.malformed(f"record after {last}", f"unreadable EVTX record ({exc})")
            errors += 1
            if errors >= _MAX_CONSECUTIVE_ERRORS:
                report.malformed(
                    f"record after {last}", "too many unreadable records; rest skipped"
                )
                return
            continue
        if record is None:
            continue
        errors = 0
        last = record["event_record_id"]
        try:
            parsed = orjson.loads(record["data"])
        except orjson.JSONDecodeError as exc:
            report.malformed(f"record {last}", f"unreadable EVTX record ({exc})")
            continue
        event = windows_event(parsed, source, str(last))
        if event is None:
            report.malformed(f"record {last}", "EVTX record without an Event element")
        else:
            yield event
