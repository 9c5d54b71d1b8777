"""``socctl keys``: signing keys for appraisals and approvals."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(help="Signing keys for appraisals and approvals.", no_args_is_help=False)
app.callback(invoke_without_command=True)(pending("keys"))
