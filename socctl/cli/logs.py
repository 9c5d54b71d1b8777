"""``socctl logs``: the embedded log store: ingest, indices."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(help="The embedded log store: ingest, indices.", no_args_is_help=False)
app.callback(invoke_without_command=True)(pending("logs"))
