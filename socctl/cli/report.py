"""``socctl report``: reports for reviewers (HTML and PDF, in Vietnamese)."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(
    help="Reports for reviewers (HTML and PDF, in Vietnamese).", no_args_is_help=False
)
app.callback(invoke_without_command=True)(pending("report"))
