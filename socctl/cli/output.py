"""Data output in table, json, ndjson or csv, to stdout or atomically to --output."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from socctl.errors import UsageError
from socctl.storage import atomic_open, atomic_write


class Format(StrEnum):
    table = "table"
    json = "json"
    ndjson = "ndjson"
    csv = "csv"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")
OUTPUT_OPTION = typer.Option(
    None, "--output", "-o", help="Write to FILE instead of stdout ('-' is stdout)."
)

err_console = Console(stderr=True, highlight=False)

#: Console width for plain tables: wide enough that no column is ever wrapped or cut.
PLAIN_WIDTH = 100_000


def console() -> Console:
    """A console for stdout: rich on a terminal, plain when piped."""
    return Console(highlight=False, soft_wrap=False)


def _json_default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def json_records(rows: Sequence[Mapping[str, Any]], fmt: Format) -> bytes:
    """Records as UTF-8 JSON: one indented array (``json``) or one object a line (``ndjson``)."""
    if fmt is Format.json:
        return _json_bytes(list(rows), orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    return b"".join([_json_bytes(row, orjson.OPT_APPEND_NEWLINE) for row in rows])


def emit_ndjson(rows: Iterable[Mapping[str, Any]], output: Path | None = None) -> None:
    """Write records as JSON lines while they come (the same bytes as :func:`emit` with
    ``ndjson``): no list of every record's dict and no one buffer of the whole output."""
    with open_output(output) as out:
        lines: list[bytes] = []
        for row in rows:
            lines.append(_json_bytes(row, orjson.OPT_APPEND_NEWLINE))
            if len(lines) >= NDJSON_BATCH:
                out.write(b"".join(lines))
                lines.clear()
        out.write(b"".join(lines))


#: Records serialized before each write of :func:`emit_ndjson`.
NDJSON_BATCH = 256


def to_json(data: Any, *, pretty: bool = True) -> str:
    return _json_bytes(data, orjson.OPT_INDENT_2 if pretty else 0).decode("utf-8")


def _json_bytes(data: Any, option: int) -> bytes:
    return orjson.dumps(data, default=_json_default, option=orjson.OPT_NON_STR_KEYS | option)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return to_json(value, pretty=False)
    return str(value)


def render_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    plain: bool = False,
) -> str:
    """Render records as text in ``fmt``; ``columns`` picks and orders table/csv columns.

    A ``plain`` table has no borders and no wrapping: columns at their natural width, one record
    a line, for ``grep``, ``awk`` and files."""
    if fmt in (Format.json, Format.ndjson):
        return json_records(rows, fmt).decode()
    cols = list(columns) if columns else _columns(rows)
    if fmt is Format.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(cols)
        writer.writerows([_cell(row.get(c)) for c in cols] for row in rows)
        return buffer.getvalue()
    width = PLAIN_WIDTH if plain else max(80, console().width)
    capture = Console(file=io.StringIO(), width=width, highlight=False)
    capture.print(_table(rows, cols, None if plain else title, headers, plain=plain))
    text: str = capture.file.getvalue()  # type: ignore[attr-defined]
    if not plain:
        return text
    heading = f"{title}\n" if title else ""  # a plain title is one line, never wrapped
    return heading + "".join(line.rstrip() + "\n" for line in text.splitlines())


def _table(
    rows: Sequence[Mapping[str, Any]],
    cols: Sequence[str],
    title: str | None,
    headers: Mapping[str, str] | None,
    *,
    plain: bool = False,
) -> Table:
    table = Table(box=None, pad_edge=False) if plain else Table(title=title, header_style="bold")
    for col in cols:
        table.add_column((headers or {}).get(col, col), no_wrap=plain)
    for row in rows:
        table.add_row(*(Text(_cell(row.get(c))) for c in cols))  # cells are data, not markup
    return table


def _columns(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    cols: dict[str, None] = {}
    for row in rows:
        cols.update(dict.fromkeys(row))
    return list(cols)


def emit(
    rows: Sequence[Mapping[str, Any]],
    fmt: Format,
    output: Path | None = None,
    columns: Sequence[str] | None = None,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Write records to ``output`` (atomically) or print them to stdout.

    A table is drawn with rich on a terminal and is plain text otherwise (see
    :func:`render_rows`)."""
    output = None if is_stdout(output) else output
    if fmt is Format.table and output is None and sys.stdout.isatty():
        cols = list(columns) if columns else _columns(rows)
        console().print(_table(rows, cols, title, headers))
        return
    if fmt in (Format.json, Format.ndjson):  # bytes straight out: no text decoding and encoding
        with open_output(output) as out:
            out.write(json_records(rows, fmt))
        return
    text = render_rows(rows, fmt, columns, title=title, headers=headers, plain=True)
    write_text(text, output)


def document_bytes(data: Any, fmt: Format) -> bytes:
    """One JSON-able object as ``emit_document`` writes it, as UTF-8 bytes."""
    option = orjson.OPT_INDENT_2 if fmt is not Format.ndjson else 0
    return _json_bytes(data, option | orjson.OPT_APPEND_NEWLINE)


def emit_document(data: Any, fmt: Format, output: Path | None = None) -> None:
    """Write one JSON-able object (json/ndjson formats)."""
    write_text(to_json(data, pretty=fmt is not Format.ndjson) + "\n", output)


def is_stdout(output: Path | None) -> bool:
    """Whether ``--output`` means stdout: absent or ``-``."""
    return output is None or str(output) == "-"


def write_text(text: str, output: Path | None) -> None:
    """Write ``text`` atomically to ``output``, or to stdout when it is absent or ``-``."""
    if output is None or is_stdout(output):
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write(output, text)


@contextmanager
def open_output(output: Path | None) -> Iterator[BinaryIO]:
    """A binary stream to stdout (``output`` absent or ``-``) or atomically to ``output``."""
    if output is None or is_stdout(output):
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
    else:
        with atomic_open(output) as handle:
            yield handle


def write_html_or_pdf(html: str, pdf: bool, output: Path | None, lang: str) -> None:
    """A rendered document as HTML (stdout or ``output``) or as PDF (``output`` required)."""
    if not pdf:
        write_text(html, output)
        return
    from socctl.i18n import t
    from socctl.reports import write_pdf

    if output is None or is_stdout(output):
        raise UsageError("a PDF needs --output FILE", hint="e.g. --output report.pdf")
    write_pdf(html, output)
    typer.echo(t("wrote", lang, path=output))
