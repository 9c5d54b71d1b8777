"""``socctl report``: reports for reviewers (HTML and PDF, in Vietnamese unless --lang en)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from socctl.cli.context import state
from socctl.cli.dossier import AS_OF_OPTION, parse_day
from socctl.cli.output import OUTPUT_OPTION, write_text
from socctl.errors import UsageError
from socctl.i18n import t
from socctl.inventory.posture import Posture, compute_posture, report_context
from socctl.reports import render_html, write_pdf
from socctl.reports.svg import bar_chart, donut_chart, stacked_bar_chart
from socctl.timeutil import format_date_vi

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
    context = _in_language(report_context(compute_posture(ws, parse_day(as_of, "--as-of"))), lang)
    override = ws.root / "reports"
    html = render_html(
        "posture.html.j2",
        context,
        override_dir=override if override.is_dir() else None,
        lang=lang,
    )
    if fmt is ReportFormat.html:
        write_text(html, output)
        return
    if output is None:
        raise UsageError("a PDF needs --output FILE", hint="e.g. --output posture.pdf")
    write_pdf(html, output)
    typer.echo(t("wrote", app_state.terminal_lang(), path=output))


def _in_language(context: dict[str, Any], lang: str) -> dict[str, Any]:
    """The context with the report's frame and charts in ``lang``.

    The core builds them in Vietnamese; the labels in the body come from the template.
    """
    if lang == "vi":
        return context
    result: Posture = context["posture"]
    statuses = list(context["status_vi"])
    doc = context["doc"].model_copy(
        update={
            "lang": lang,
            "title": t("doc.posture.title", lang),
            "subject": t("doc.posture.subject", lang),
            "metadata": {
                t("doc.posture.system_count", lang): str(len(result.systems)),
                t("doc.posture.data_date", lang): format_date_vi(result.as_of),
            },
        }
    )
    charts = {
        "levels": stacked_bar_chart(
            [
                (t("level", lang, level=row["level"]), [row[s] for s in statuses])
                for row in result.by_level_and_status()
            ],
            [t(f"system_status.{s}", lang) for s in statuses],
            title=t("doc.posture.chart_levels", lang),
        ),
        "dossiers": donut_chart(
            [(t(f"state.{k}", lang), v) for k, v in result.dossiers_by_state().items() if v],
            title=t("doc.posture.chart_dossiers", lang),
        ),
        "layers": bar_chart(
            [(t(f"layer.{k}", lang), v) for k, v in context["coverage"].items()],
            title=t("doc.posture.chart_layers_title", lang),
        ),
    }
    return {**context, "doc": doc, "charts": charts}
