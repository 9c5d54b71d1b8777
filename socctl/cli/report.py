"""``socctl report``: reports for reviewers (HTML and PDF, in Vietnamese unless --lang en)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.days import AS_OF_OPTION, parse_day
from socctl.cli.output import OUTPUT_OPTION, write_html_or_pdf
from socctl.inventory.posture import compute_posture, report_context
from socctl.reports import render_html

app = typer.Typer(
    help="Reports for reviewers (HTML and PDF, in Vietnamese unless --lang en).",
    no_args_is_help=True,
)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


@app.command("posture")
def posture(
    ctx: typer.Context,
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", "-f", help="html or pdf."),
    output: Path | None = OUTPUT_OPTION,
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """The city's security posture by level, dossier state, deadlines and 4-layer coverage."""
    app_state = state(ctx)
    ws = app_state.workspace()
    lang = app_state.document_lang()
    context = report_context(compute_posture(ws, parse_day(as_of, "--as-of")), lang)
    html = render_html("posture.html.j2", context, override_dir=ws.report_overrides, lang=lang)
    write_html_or_pdf(html, fmt is ReportFormat.pdf, output, app_state.terminal_lang())


@app.command("drill-plan")
def drill_plan(
    ctx: typer.Context,
    year: int = typer.Option(..., "--year", min=2000, max=2100, help="The plan's year."),
    fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", "-f", help="html or pdf."),
    output: Path | None = OUTPUT_OPTION,
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """The year's live-fire drill plan (drills/YEAR/plan.yaml) with a Gantt chart, in Vietnamese."""
    from socctl.drills.gantt import report_context as plan_context
    from socctl.drills.planning import load_plan

    app_state = state(ctx)
    ws = app_state.workspace()
    context = plan_context(load_plan(ws, year), parse_day(as_of, "--as-of"))
    html = render_html("drill-plan.html.j2", context, override_dir=ws.report_overrides, lang="vi")
    write_html_or_pdf(html, fmt is ReportFormat.pdf, output, app_state.terminal_lang())
