"""``socctl drill``: live-fire cyber-defence drills: plan, run, correlate, score, report.

The commands live in three modules by stage: planning (``drill_plan``), running a drill and its
journal (``drill_run``), results (``drill_results``).
"""

from __future__ import annotations

import typer

from socctl.cli import drill_plan, drill_results, drill_run

app = typer.Typer(
    help="Live-fire cyber-defence drills: plan, run, correlate, score, report.",
    no_args_is_help=True,
)
for _stage in (drill_plan, drill_run, drill_results):
    _stage.register(app)
