"""``socctl rules``: sigma rules: check, list, coverage."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(help="Sigma rules: check, list, coverage.", no_args_is_help=False)
app.callback(invoke_without_command=True)(pending("rules"))
