"""``socctl alerts``: the workspace's alert store: list, show.

``alerts list`` streams: rows go from SQLite to the output a chunk at a time, so listing millions
of alerts as json, ndjson or csv takes little memory; a table shows the newest 1000 by default.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson
import typer

from socctl.cli.context import state
from socctl.cli.output import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    emit,
    emit_document,
    err_console,
    open_output,
    to_json,
)
from socctl.detection.alerts import SUMMARY_COLUMNS, parse_level, summary_row, table_row
from socctl.i18n import headers, t
from socctl.store import open_alert_store
from socctl.store.alerts import AlertFilter
from socctl.timeutil import now_utc, parse_duration, parse_time

app = typer.Typer(help="The workspace's alert store: list, show.", no_args_is_help=True)

#: Alerts a table shows unless ``--limit`` says otherwise.
TABLE_LIMIT = 1000
#: Alerts rendered per write when streaming.
CHUNK = 1000


def _since(text: str) -> datetime:
    """``24h``-style durations back from now, or an ISO date/time."""
    if text[:1].isdigit() and text[-1:].isalpha() and "-" not in text:
        return now_utc() - parse_duration(text)
    return parse_time(text)


@app.command("list")
def list_alerts(
    ctx: typer.Context,
    level: str | None = typer.Option(None, "--level", help="At or above this level."),
    rule: str | None = typer.Option(None, "--rule", help="Rule id."),
    host: str | None = typer.Option(None, "--host", help="Host name (any case)."),
    system: str | None = typer.Option(None, "--system", help="Inventory system id."),
    since: str | None = typer.Option(
        None, "--since", help="Events from this long ago (24h, 7d) or this date/time on."
    ),
    limit: int | None = typer.Option(
        None,
        "--limit",
        min=0,
        help=f"At most this many, newest first; 0 for all (default: {TABLE_LIMIT} in a table,"
        " all in other formats).",
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """List stored alerts, newest first."""
    app_state = state(ctx)
    store = open_alert_store(app_state.workspace())
    where = AlertFilter(
        level=parse_level(level) if level else None,
        rule=rule,
        host=host,
        system=system,
        since=_since(since) if since else None,
    )
    if fmt is not Format.table:
        _write_stream(store.stream(where, limit), fmt, output)
        return
    shown = TABLE_LIMIT if limit is None else limit
    rows = [table_row(orjson.loads(doc)) for doc in store.stream(where, shown)]
    lang = app_state.terminal_lang()
    title = t("alerts.list.title", lang)
    columns = [c for c in SUMMARY_COLUMNS if c != "count" or any(r["count"] > 1 for r in rows)]
    emit(rows, fmt, output, columns, title=title, headers=headers(lang, "alert"))
    if shown and len(rows) == shown and (total := store.count(where)) > shown:
        message = t("alerts.list.truncated", lang, shown=shown, total=total)
        err_console.print(message, markup=False)


def _write_stream(docs: Iterator[bytes], fmt: Format, output: Path | None) -> None:
    """Write stored alert documents as json, ndjson or csv (summaries), a chunk at a time."""
    with open_output(output) as out:
        if fmt is Format.csv:
            out.write(_csv_lines([SUMMARY_COLUMNS]))
        elif fmt is Format.json:
            out.write(b"[")
        separator = b"\n"
        empty = True
        while chunk := list(islice(docs, CHUNK)):
            empty = False
            if fmt is Format.ndjson:
                out.write(b"\n".join(chunk) + b"\n")
            elif fmt is Format.csv:
                summaries = (summary_row(orjson.loads(doc)) for doc in chunk)
                out.write(_csv_lines([row.get(c) for c in SUMMARY_COLUMNS] for row in summaries))
            else:
                for doc in chunk:
                    pretty = orjson.dumps(orjson.loads(doc), option=orjson.OPT_INDENT_2)
                    out.write(separator + b"  " + pretty.replace(b"\n", b"\n  "))
                    separator = b",\n"
        if fmt is Format.json:
            out.write(b"]\n" if empty else b"\n]\n")


def _csv_lines(rows: Any) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


@app.command("show")
def show(
    ctx: typer.Context,
    alert_id: str = typer.Argument(..., help="Alert id, or its first characters (6 or more)."),
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="Output format."),
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Show one alert in full, with its original event."""
    app_state = state(ctx)
    alert = open_alert_store(app_state.workspace()).get(alert_id)
    if fmt in (Format.json, Format.ndjson):
        emit_document(alert, fmt, output)
        return
    row = summary_row(alert)
    rows = [{"field": key, "value": value} for key, value in row.items()]
    rows.append({"field": "event", "value": to_json(alert["event"])})
    lang = app_state.terminal_lang()
    emit(rows, fmt, output, ["field", "value"], headers=headers(lang))
