"""``socctl system``: inventory of information systems: add, list, show, edit, retire, level, gate."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(
    help="Inventory of information systems: add, list, show, edit, retire, level, gate.",
    no_args_is_help=False,
)
app.callback(invoke_without_command=True)(pending("system"))
