"""Line-oriented text logs: decoded lines in, one Event per line out, bad lines reported."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from socctl.detection.event import Event
from socctl.detection.inputs.lines import iter_lines
from socctl.detection.inputs.malformed import Reporter

#: Parses one line (text, source, ref) into an Event, or None when the line is not of the format.
LineParser = Callable[[str, str, str], Event | None]


def iter_text(
    path: Path, report: Reporter, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, str]]:
    """Non-blank lines as text; invalid UTF-8 is replaced (and counted), a BOM dropped."""
    for pos, raw in iter_lines(path, report, start, end):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            report.invalid_utf8(f"byte {pos}")
            text = raw.decode("utf-8", "replace")
        if text.endswith("\r"):
            text = text[:-1]
        if pos == 0 and text.startswith("\ufeff"):
            text = text[1:]
        if text and not text.isspace():
            yield pos, text


def read_text_lines(
    path: Path,
    report: Reporter,
    parse: LineParser,
    what: str,
    start: int = 0,
    end: int | None = None,
) -> Iterator[Event]:
    """Events of a line format; a line ``parse`` refuses is reported as "not <what>"."""
    source = str(path)
    for pos, text in iter_text(path, report, start, end):
        event = parse(text, source, str(pos))
        if event is None:
            report.malformed(f"byte {pos}", f"not {what}: {text[:80]!r}")
        else:
            yield event
