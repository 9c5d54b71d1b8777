"""``socctl dossier``: security-level dossiers: new, check, submit, appraise, approve, return, render, verify."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(
    help="Security-level dossiers: new, check, submit, appraise, approve, return, render, verify.",
    no_args_is_help=False,
)
app.callback(invoke_without_command=True)(pending("dossier"))
