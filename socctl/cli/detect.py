"""``socctl detect``: run Sigma detections over log files or an index."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(help="Run Sigma detections over log files or an index.", no_args_is_help=False)
app.callback(invoke_without_command=True)(pending("detect"))
