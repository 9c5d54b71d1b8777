"""``socctl logs``: the embedded log store: ingest files into named indices, list the indices."""

from __future__ import annotations

from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, err_console
from socctl.detection.alerts import iso_utc
from socctl.i18n import headers, t
from socctl.store import open_store
from socctl.store.base import display_text

app = typer.Typer(help="The embedded log store: ingest, indices.", no_args_is_help=True)

#: Malformed records listed on stderr after an ingest (all are counted).
SHOWN_MALFORMED = 10


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Log files or folders (searched recursively)."),
    index: str = typer.Option(..., "--index", "-i", help="Index to load into (created if new)."),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Format of every file (default: detected from content)."
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Load log files into an index; records already in it are not added again."""
    store = open_store(state(ctx).workspace())
    stats = store.ingest(paths, index, input_format)
    lang = state(ctx).terminal_lang()
    for record in stats.malformed_examples[:SHOWN_MALFORMED]:
        text = t("warning", lang, text=display_text(str(record)))
        err_console.print(text, markup=False, soft_wrap=True)
    if stats.malformed > SHOWN_MALFORMED:
        total = t("logs.malformed_total", lang, n=stats.malformed)
        err_console.print(t("warning", lang, text=total), markup=False)
    row = {
        "index": index,
        "files": stats.files,
        "read": stats.read,
        "added": stats.added,
        "duplicates": stats.duplicates,
        "malformed": stats.malformed,
    }
    emit([row], fmt, output, headers=headers(lang))


@app.command("indices")
def indices(
    ctx: typer.Context, fmt: Format = FORMAT_OPTION, output: Path | None = OUTPUT_OPTION
) -> None:
    """List the indices with their event counts and time ranges."""
    app_state = state(ctx)
    store = open_store(app_state.workspace())
    rows = [
        {
            "index": info.name,
            "events": info.count,
            "first": iso_utc(info.first),
            "last": iso_utc(info.last),
            "size_mb": round(info.size_bytes / 1e6, 1),
        }
        for info in store.indices()
    ]
    lang = app_state.terminal_lang()
    columns = ["index", "events", "first", "last", "size_mb"]
    emit(rows, fmt, output, columns, title=t("logs.indices.title", lang), headers=headers(lang))
