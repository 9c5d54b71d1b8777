"""Windows event XML (Event Viewer "Save as XML", ``wevtutil qe /f:xml``, ``Get-WinEvent`` exports).

Each ``<Event>`` element becomes the object the EVTX reader gives (``System`` values, attributes
under ``#attributes``, ``<Data Name="X">`` as ``X``), so it flattens to the same field names.
Values are the XML text: System numbers (``EventID``, ``EventRecordID``...) become ints as in EVTX.
Parsing stops at the first XML error; the events before it are kept and the error is reported.
A document type declaration (entities) is refused: event exports never have one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from socctl.detection.event import Event
from socctl.detection.inputs.lines import Truncated, iter_blocks
from socctl.detection.inputs.malformed import Reporter
from socctl.detection.inputs.windows import windows_event

#: Elements nested deeper than this inside one event make it malformed.
MAX_DEPTH = 32


class _TooDeep(Exception):
    pass


def _local(tag: str) -> str:
    """A tag without its ``{namespace}``."""
    return tag.rpartition("}")[2]


def _value(element: Element, depth: int) -> Any:
    """An element as the EVTX reader's JSON shows it: text, or an object of children."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    attributes = {
        _local(key): value for key, value in element.attrib.items() if not key.startswith("xmlns")
    }
    text = (element.text or "").strip()
    if not len(element) and not attributes:
        return int(text) if depth == 3 and text.isdigit() and text.isascii() else text or None
    node: dict[str, Any] = {"#attributes": attributes} if attributes else {}
    for child in element:
        name = _local(child.tag)
        if name == "Data" and "Name" in child.attrib:
            node[child.attrib["Name"]] = (child.text or "").strip() or None
        else:
            node[name] = _value(child, depth + 1)
    if text:
        node["#text"] = text
    return node


def _event(element: Element) -> dict[str, Any]:
    return {
        _local(child.tag): _value(child, 2)
        for child in element
        if _local(child.tag) != "RenderingInfo"
    }


def read_xml(path: Path, report: Reporter) -> Iterator[Event]:
    """The ``<Event>`` elements of a Windows event XML file, in order."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    source = str(path)
    root: Element | None = None
    count = 0
    offset = 0
    try:
        for block in iter_blocks(path):
            if not count and b"<!DOCTYPE" in block:
                report.malformed("start of file", "a document type declaration; file skipped")
                return
            parser.feed(block)
            offset += len(block)
            for item in parser.read_events():
                kind, element = cast(tuple[str, Element], item)
                if kind == "start":
                    root = element if root is None else root
                    continue
                if _local(element.tag) != "Event":
                    continue
                count += 1
                try:
                    event = windows_event({"Event": _event(element)}, source, str(count))
                except _TooDeep:
                    report.malformed(f"event {count}", f"nested more than {MAX_DEPTH} levels")
                    event = None
                if event is not None:
                    yield event
                if root is not None and element is not root:
                    root.clear()
        parser.close()
    except ParseError as exc:
        line, column = exc.position
        reason = str(exc).partition(": line")[0]
        report.malformed(
            f"line {line}, column {column}", f"invalid XML ({reason}); the rest is skipped"
        )
        return
    except LookupError as exc:  # an XML declaration naming an encoding that does not exist
        report.malformed("start of file", f"invalid XML ({exc}); file skipped")
        return
    except Truncated as exc:
        report.malformed(f"after byte {offset}", str(exc))
        return
    if not count:
        report.malformed("start of file", "no Windows <Event> element in this XML")
