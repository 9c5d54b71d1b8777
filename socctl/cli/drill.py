"""``socctl drill``: live-fire cyber-defence drills: plan, run, correlate, score, report.

The commands live in three modules by stage: planning (``drill_plan``), running a drill and its
journal (``drill_run``), results (``drill_results``). A run imports only the stage of the
command it calls (``drill verify`` needs neither the planner nor the report stack).
"""

from __future__ import annotations

import importlib

import typer

#: The commands of each stage module.
STAGES: dict[str, tuple[str, ...]] = {
    "socctl.cli.drill_plan": ("plan", "calendar", "due"),
    "socctl.cli.drill_run": (
        "start",
        "log",
        "finding",
        "checkpoint",
        "close",
        "verify",
        "list",
        "scenarios",
        "engagements",
    ),
    "socctl.cli.drill_results": ("correlate", "score", "report"),
}


def create_app(wanted: str | None = None) -> typer.Typer:
    """The ``drill`` group; with ``wanted``, one of its commands, only that command's stage."""
    app = typer.Typer(
        help="Live-fire cyber-defence drills: plan, run, correlate, score, report.",
        no_args_is_help=True,
    )
    known = any(wanted in names for names in STAGES.values())
    for module, names in STAGES.items():
        if not known or wanted in names:
            importlib.import_module(module).register(app)
    return app


def __getattr__(name: str) -> typer.Typer:
    """``socctl.cli.drill.app``: the whole group, every stage imported."""
    if name == "app":
        return create_app()
    raise AttributeError(name)
