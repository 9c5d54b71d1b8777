"""``socctl alerts``: the workspace's alert store: list, show."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, emit_document, to_json
from socctl.detection.alerts import SUMMARY_COLUMNS, parse_level, summary_row
from socctl.i18n import headers, t
from socctl.store.alerts import AlertStore
from socctl.timeutil import now_utc, parse_duration, parse_time

app = typer.Typer(help="The workspace's alert store: list, show.", no_args_is_help=True)


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
        None, "--limit", min=1, help="At most this many, newest first."
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """List stored alerts, newest first."""
    app_state = state(ctx)
    found = AlertStore(app_state.workspace()).query(
        level=parse_level(level) if level else None,
        rule=rule,
        host=host,
        system=system,
        since=_since(since) if since else None,
        limit=limit,
    )
    if fmt in (Format.json, Format.ndjson):
        emit(found, fmt, output)
    else:
        lang = app_state.terminal_lang()
        rows = [summary_row(a) for a in found]
        title = t("alerts.list.title", lang)
        emit(rows, fmt, output, SUMMARY_COLUMNS, title=title, headers=headers(lang, "alert"))


@app.command("show")
def show(
    ctx: typer.Context,
    alert_id: str = typer.Argument(..., help="Alert id, or its first characters (6 or more)."),
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="Output format."),
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Show one alert in full, with its original event."""
    app_state = state(ctx)
    alert = AlertStore(app_state.workspace()).get(alert_id)
    if fmt in (Format.json, Format.ndjson):
        emit_document(alert, fmt, output)
        return
    row = summary_row(alert)
    rows = [{"field": key, "value": value} for key, value in row.items()]
    rows.append({"field": "event", "value": to_json(alert["event"])})
    lang = app_state.terminal_lang()
    emit(rows, fmt, output, ["field", "value"], headers=headers(lang))
