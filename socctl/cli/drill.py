"""``socctl drill``: live-fire cyber-defence drills: plan, run, score, report."""

from __future__ import annotations

import typer

from socctl.cli.pending import pending

app = typer.Typer(
    help="Live-fire cyber-defence drills: plan, run, score, report.", no_args_is_help=False
)
app.callback(invoke_without_command=True)(pending("drill"))
