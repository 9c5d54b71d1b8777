"""``socctl alerts``: the workspace's alert store: list, show."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(help="The workspace's alert store: list, show.", no_args_is_help=False)
app.callback(invoke_without_command=True)(pending("alerts"))
