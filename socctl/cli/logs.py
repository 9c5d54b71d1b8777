"""``socctl logs``: ingest files into named indices and list the indices, of the embedded log
store or (``--cluster URL``) of an Elasticsearch or OpenSearch cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, err_console
from socctl.detection.alerts import iso_utc
from socctl.errors import InputError
from socctl.i18n import headers, t
from socctl.store import open_store
from socctl.store.base import display_text

app = typer.Typer(help="Log stores (embedded or a cluster): ingest, indices.", no_args_is_help=True)

#: Malformed records (and rejected documents) listed on stderr after an ingest (all are counted).
SHOWN_MALFORMED = 10

CLUSTER_OPTION = typer.Option(
    None,
    "--cluster",
    metavar="URL",
    help="An Elasticsearch or OpenSearch cluster (detected from GET /) instead of the embedded"
    " store; credentials and TLS from [elasticsearch] in socctl.toml.",
)


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Log files or folders (searched recursively)."),
    index: str = typer.Option(..., "--index", "-i", help="Index to load into (created if new)."),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Format of every file (default: detected from content)."
    ),
    cluster: str | None = CLUSTER_OPTION,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Load log files into an index; records already in it are not added again."""
    lang = state(ctx).terminal_lang()
    row: dict[str, Any] = {"index": index}
    if cluster is None:
        stats = open_store(state(ctx).workspace()).ingest(paths, index, input_format)
    else:
        from socctl.store.cluster.connect import cluster_errors
        from socctl.store.cluster.ingest import ingest as cluster_ingest

        client = _client(ctx, cluster)
        with cluster_errors(cluster), _progress(lang) as update:
            stats = cluster_ingest(client, paths, index, input_format, update)
        for doc_id, reason in stats.rejected_examples[:SHOWN_MALFORMED]:
            _warn(t("logs.rejected", lang, id=doc_id, reason=reason), lang)
        if stats.rejected > SHOWN_MALFORMED:
            _warn(t("logs.rejected_total", lang, n=stats.rejected), lang)
    for record in stats.malformed_examples[:SHOWN_MALFORMED]:
        _warn(display_text(str(record)), lang)
    if stats.malformed > SHOWN_MALFORMED:
        _warn(t("logs.malformed_total", lang, n=stats.malformed), lang)
    row |= {
        "files": stats.files,
        "read": stats.read,
        "added": stats.added,
        "duplicates": stats.duplicates,
        "malformed": stats.malformed,
    }
    if cluster is not None:
        row["rejected"] = getattr(stats, "rejected", 0)
    emit([row], fmt, output, headers=headers(lang))
    if stats.rejected_files:  # the other files were read and counted; the run is bad input
        for record in stats.rejected_files[1:SHOWN_MALFORMED]:
            _warn(display_text(str(record)), lang)
        first = stats.rejected_files[0]
        others = len(stats.rejected_files) - 1
        more = f"; {others} other file(s) not read either" if others else ""
        raise InputError(display_text(first.reason) + more, path=display_text(first.path))


def _warn(text: str, lang: str) -> None:
    err_console.print(t("warning", lang, text=text), markup=False, soft_wrap=True)


def _client(ctx: typer.Context, url: str) -> Any:
    """A client for the cluster at ``url``, with the workspace's (or default) settings."""
    from socctl.config import load_settings
    from socctl.store.cluster.connect import connect

    ws = state(ctx).optional_workspace()
    settings = ws.settings if ws is not None else load_settings(None)
    return connect(url, settings.elasticsearch)


@contextmanager
def _progress(lang: str) -> Iterator[Callable[[int], None]]:
    """A count of the documents sent, on stderr when it is a terminal."""
    if not err_console.is_terminal:
        yield lambda _done: None
        return
    from rich.progress import Progress, TextColumn, TimeElapsedColumn

    columns = [
        TextColumn(t("logs.progress", lang)),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("documents", total=None)
        yield lambda done: bar.update(task, completed=done)


@app.command("indices")
def indices(
    ctx: typer.Context,
    cluster: str | None = CLUSTER_OPTION,
    pattern: str = typer.Option("*", "--pattern", help="Index pattern (with --cluster)."),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """List the indices with their event counts and time ranges (and, on a cluster, the time
    field found in each mapping)."""
    app_state = state(ctx)
    if cluster is not None:
        _cluster_indices(ctx, cluster, pattern, fmt, output)
        return
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


def _cluster_indices(
    ctx: typer.Context, url: str, pattern: str, fmt: Format, output: Path | None
) -> None:
    from socctl.store.cluster.connect import cluster_errors
    from socctl.store.cluster.indices import list_indices

    client = _client(ctx, url)
    with cluster_errors(url):
        found = list_indices(client, pattern)
    rows = [
        {
            "index": info.name,
            "events": info.count,
            "time_field": info.time_field,
            "first": iso_utc(info.first),
            "last": iso_utc(info.last),
            "size_mb": round(info.size_bytes / 1e6, 1),
        }
        for info in found
    ]
    lang = state(ctx).terminal_lang()
    columns = ["index", "events", "time_field", "first", "last", "size_mb"]
    emit(rows, fmt, output, columns, title=t("logs.indices.title", lang), headers=headers(lang))
