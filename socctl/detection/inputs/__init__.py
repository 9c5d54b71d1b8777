"""Log inputs for detection: format detection, readers, gzip, folders, byte ranges.

``read_events(path)`` yields :class:`~socctl.detection.event.Event` objects from any supported
file (see :data:`FORMATS`), detecting the format from content unless ``fmt`` is given.
Malformed records go to ``on_malformed`` and are skipped; reading never stops on bad content.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from socctl.detection.event import Event
from socctl.detection.inputs.access import AccessLogParser
from socctl.detection.inputs.auditd import parse_auditd
from socctl.detection.inputs.csvlog import read_csv
from socctl.detection.inputs.detect import FORMATS, LINE_FORMATS, detect_format
from socctl.detection.inputs.jsonlog import LINE_CONVERTERS, read_json_document, read_json_lines
from socctl.detection.inputs.lines import is_gzip
from socctl.detection.inputs.malformed import Malformed, OnMalformed, Reporter, rejected_file
from socctl.detection.inputs.paths import iter_paths
from socctl.detection.inputs.syslog import SyslogParser
from socctl.detection.inputs.textlines import read_text_lines
from socctl.detection.inputs.windows import read_evtx
from socctl.detection.inputs.xmllog import read_xml
from socctl.errors import InputError, NotFoundError, UsageError

__all__ = [
    "FORMATS",
    "LINE_FORMATS",
    "Malformed",
    "OnMalformed",
    "detect_format",
    "iter_paths",
    "read_events",
    "rejected_file",
    "split_ranges",
]

#: split_ranges never cuts pieces smaller than this.
MIN_RANGE_BYTES = 1 << 20


def read_events(
    path: str | Path,
    fmt: str | None = None,
    *,
    start: int = 0,
    end: int | None = None,
    on_malformed: OnMalformed | None = None,
) -> Iterator[Event]:
    """Events of one file. ``start``/``end`` (byte offsets) apply to line formats only.

    A file whose format cannot be recognised (or contradicts its extension) is reported through
    ``on_malformed`` as a whole-file record and yields nothing. Raises NotFoundError for a missing file, UsageError for an unknown format or a
    byte range on a format that is not read by lines.
    """
    path = Path(path)
    report = Reporter(str(path), on_malformed)
    if fmt is None:
        try:
            fmt = detect_format(path)
        except NotFoundError:
            raise
        except InputError as exc:
            report.rejected(exc)
            return
    elif fmt not in FORMATS:
        raise UsageError(f"unknown input format '{fmt}'", hint="use one of: " + ", ".join(FORMATS))
    if (start or end is not None) and fmt not in LINE_FORMATS:
        raise UsageError(
            f"byte ranges need a line format, not '{fmt}'", path=path, hint="read the whole file"
        )
    yield from _reader(path, fmt, report, start, end)
    report.finish()


def _reader(path: Path, fmt: str, report: Reporter, start: int, end: int | None) -> Iterator[Event]:
    if fmt == "evtx":
        return read_evtx(path, report)
    if fmt in LINE_CONVERTERS:
        return read_json_lines(path, report, LINE_CONVERTERS[fmt], start, end)
    if fmt == "json":
        return read_json_document(path, report)
    if fmt == "csv":
        return read_csv(path, report)
    if fmt == "xml":
        return read_xml(path, report)
    if fmt == "syslog":
        parser = SyslogParser(_modified(path))
        return read_text_lines(path, report, parser, "a syslog line", start, end)
    if fmt == "auditd":
        return read_text_lines(path, report, parse_auditd, "an audit record", start, end)
    return read_text_lines(path, report, AccessLogParser(), "an access-log line", start, end)


def _modified(path: Path) -> datetime:
    """When the file last changed (not after now): the year anchor of RFC 3164 times."""
    now = datetime.now(UTC)
    try:
        changed = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return now
    return min(changed, now)


def split_ranges(path: str | Path, n: int, fmt: str | None = None) -> list[tuple[int, int | None]]:
    """Up to ``n`` byte ranges that tile the file, for parallel ``read_events`` calls.

    A file that cannot be read in pieces (not a line format, or gzip-compressed) gets one range.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    size = path.stat().st_size
    pieces = min(n, size // MIN_RANGE_BYTES)
    if pieces <= 1 or fmt not in LINE_FORMATS or is_gzip(path):
        return [(0, None)]
    cuts = [size * index // pieces for index in range(1, pieces)]
    return list(zip([0, *cuts], [*cuts, None], strict=True))
