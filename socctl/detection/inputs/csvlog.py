"""CSV logs with a header row: one event per row, the header's names as fields."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from socctl.detection.event import Event
from socctl.detection.inputs.jsonlog import generic_event
from socctl.detection.inputs.malformed import Reporter
from socctl.detection.inputs.textlines import iter_text

DELIMITERS = ",;\t|"


def guess_delimiter(header: str) -> str | None:
    """The delimiter the header line uses most, or None when it has none."""
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    delimiter = max(counts, key=counts.__getitem__)
    return delimiter if counts[delimiter] else None


def read_csv(path: Path, report: Reporter) -> Iterator[Event]:
    """Rows as flat events (kind ``generic``, or ``windows`` for exported Windows events)."""
    offsets: list[int] = []

    def lines() -> Iterator[str]:
        for pos, text in iter_text(path, report):
            offsets.append(pos)
            yield text + "\n"

    source = str(path)
    stream = lines()
    first = next(stream, None)
    if first is None:
        return
    delimiter = guess_delimiter(first) or ","
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        report.malformed(f"byte {offsets[0]}", f"bad CSV header ({exc}); file skipped")
        return
    rows = csv.reader(stream, delimiter=delimiter)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            report.malformed(f"byte {offsets[-1]}", f"bad CSV ({exc})")
            continue
        where = offsets[-1]
        if len(row) != len(header):
            report.malformed(f"byte {where}", f"{len(row)} values for {len(header)} columns")
            continue
        yield generic_event(dict(zip(header, row, strict=True)), source, str(where))
