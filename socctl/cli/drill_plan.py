"""``socctl drill`` commands: plan, calendar, due."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.days import AS_OF_OPTION, parse_day
from socctl.cli.output import FORMAT_OPTION, Format, emit
from socctl.drills import planning
from socctl.storage import atomic_write

YEAR_OPTION = typer.Option(..., "--year", min=2000, max=2100, help="The plan's year.")
INCLUDE_OPTION = typer.Option(
    [], "--include", help="Also plan this system (any level; repeatable)."
)


class DueFailOn(StrEnum):
    overdue = "overdue"


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``drill`` group."""
    app.command("plan")(plan)
    app.command("calendar")(calendar)
    app.command("due")(due)


def plan(
    ctx: typer.Context,
    year: int = YEAR_OPTION,
    include: list[str] = INCLUDE_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan, write nothing."),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the table here."),
) -> None:
    """Schedule one live-fire drill for every operating level 3+ system (and those named) in
    YEAR, within holidays, freeze windows, agency availability and red-team capacity, longest
    undrilled first; writes drills/YEAR/plan.yaml."""
    ws = state(ctx).workspace()
    result = planning.plan_year(ws, year, include)
    if not dry_run:
        path = planning.write_plan(ws, result)
        typer.echo(f"{path}: {len(result.drills)} drills ({result.solver_status})", err=True)
    emit([d.model_dump() for d in result.drills], fmt, output)


def calendar(
    ctx: typer.Context,
    year: int = YEAR_OPTION,
    ics: Path = typer.Option(..., "--ics", help="The iCalendar file to write."),
) -> None:
    """Export the plan of YEAR as an iCalendar (RFC 5545) file, one event per drill."""
    from socctl.drills.calendar import plan_calendar

    result = planning.load_plan(state(ctx).workspace(), year)
    atomic_write(ics, plan_calendar(result))
    typer.echo(f"{ics}: {len(result.drills)} events", err=True)


def due(
    ctx: typer.Context,
    as_of: str | None = AS_OF_OPTION,
    include: list[str] = INCLUDE_OPTION,
    fail_on: list[DueFailOn] = typer.Option(
        [], "--fail-on", help="Exit 1 when a system had no drill in the last 12 months."
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the list here."),
) -> None:
    """In-scope systems with no live-fire drill in the 12 months before --as-of (Directive
    18/CT-TTg: one a year for every level 3+ system), longest undrilled first."""
    rows = planning.due(state(ctx).workspace(), parse_day(as_of, "--as-of"), include)
    emit(
        [vars(row) for row in rows],
        fmt,
        output,
        ["system", "name", "level", "agency", "last_drill", "days_since"],
    )
    if rows and DueFailOn.overdue in fail_on:
        raise typer.Exit(1)
