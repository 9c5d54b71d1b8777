"""``socctl drill`` commands: results (correlate, score, report)."""

from __future__ import annotations

from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.output import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    document_bytes,
    emit,
    err_console,
    open_output,
)
from socctl.cli.report import ReportFormat
from socctl.drills.correlate import DEFAULT_TOLERANCE, correlate, load_correlation, save_correlation
from socctl.drills.journal import collector_paused, load_journal, verify_journal
from socctl.drills.score import ScoreSheet, score_drill
from socctl.drills.scoring import load_scoring
from socctl.drills.spec import DrillSpec, load_spec
from socctl.errors import NotFoundError
from socctl.inventory.store import SystemStore
from socctl.timeutil import parse_duration
from socctl.workspace import Workspace

#: Columns of the score table and CSV (one row per team, system and tactic).
SCORE_COLUMNS = [
    "kind",
    "id",
    "points",
    "steps",
    "detected",
    "detection_rate",
    "ttd_mean_min",
    "ttd_median_min",
    "uptime",
    "model",
    "journal",
]


def _levels(ws: Workspace, spec: DrillSpec) -> dict[str, int | None]:
    store = SystemStore(ws)
    levels: dict[str, int | None] = {}
    for target in spec.targets:
        try:
            levels[target.system] = store.level_or_none(store.get(target.system))
        except NotFoundError:
            levels[target.system] = None
    return levels


def sheet_of(ws: Workspace, drill_id: str) -> ScoreSheet:
    """The score of a drill from its verified journal and saved correlation."""
    spec = load_spec(ws, drill_id)
    with collector_paused():
        journal = load_journal(ws, drill_id)
        correlation = load_correlation(ws, spec, journal)
        model = load_scoring(ws, spec.scoring, spec.scoring_version)
        return score_drill(spec, journal, correlation, model, _levels(ws, spec))


def score_rows(sheet: ScoreSheet) -> list[dict[str, object]]:
    """The scoreboard as rows: teams, then systems, then ATT&CK tactics."""
    common = {"model": f"{sheet.model_id} {sheet.model_version}", "journal": sheet.journal_digest}
    rows: list[dict[str, object]] = [
        {
            "kind": f"team-{t.role}",
            "id": t.team,
            "points": t.points,
            "steps": t.steps_handled,
            **common,
        }
        for t in sheet.teams
    ]
    rows.append(
        {
            "kind": "drill",
            "id": sheet.drill_id,
            "steps": sheet.steps,
            "detected": sheet.detected,
            "detection_rate": sheet.detection_rate,
            "ttd_mean_min": sheet.time_to_detect.mean,
            "ttd_median_min": sheet.time_to_detect.median,
            **common,
        }
    )
    for kind, groups in (("system", sheet.systems), ("tactic", sheet.tactics)):
        for g in groups:
            rows.append(
                {
                    "kind": kind,
                    "id": g.key,
                    "points": g.readiness if kind == "system" else None,
                    "steps": g.steps,
                    "detected": g.detected,
                    "detection_rate": g.rate,
                    "ttd_mean_min": g.time_to_detect.mean,
                    "ttd_median_min": g.time_to_detect.median,
                    "uptime": g.uptime,
                    **common,
                }
            )
    return rows


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``drill`` group."""

    @app.command("correlate")
    def correlate_cmd(
        ctx: typer.Context,
        drill_id: str = typer.Argument(..., metavar="ID"),
        tolerance: str = typer.Option(
            "1h", "--tolerance", help="How long after a step its alerts may come (30m, 2h…)."
        ),
        rules: list[Path] | None = typer.Option(
            None, "--rules", help="Rule files or folders (default: the workspace's rules)."
        ),
    ) -> None:
        """Run the detections over the drill's logs and link the alerts to its attack steps."""
        ws = state(ctx).workspace()
        spec = load_spec(ws, drill_id)
        journal = load_journal(ws, drill_id)
        window = parse_duration(tolerance) if tolerance else DEFAULT_TOLERANCE
        result = correlate(ws, spec, journal, tolerance=window, rule_paths=rules or None)
        path = save_correlation(ws, result)
        missed = [s for s in result.steps if not s.detected]
        for step in missed:
            rules_text = (
                ", ".join(r.title for r in step.covering_rules[:3]) or "none in the library"
            )
            err_console.print(
                f"missed: {step.step_id} {step.technique} on {step.host} (rules covering it: {rules_text})",
                markup=False,
                soft_wrap=True,
            )
        err_console.print(
            f"{len(result.steps) - len(missed)} of {len(result.steps)} steps detected by "
            f"{result.alerts_total} alerts of {result.rules} rules; wrote {path}",
            markup=False,
            soft_wrap=True,
        )

    @app.command("score")
    def score_cmd(
        ctx: typer.Context,
        drill_id: str = typer.Argument(..., metavar="ID"),
        fmt: Format = FORMAT_OPTION,
        output: Path | None = OUTPUT_OPTION,
    ) -> None:
        """Score the drill: teams, systems, ATT&CK tactics, detection rate and times."""
        sheet = sheet_of(state(ctx).workspace(), drill_id)
        if fmt is Format.json:
            # orjson writes the dataclasses as to_dict gives them, tens of MB: bytes straight out
            with open_output(output) as handle:
                handle.write(document_bytes(sheet, fmt))
            return
        title = (
            f"Drill {sheet.drill_id} · model {sheet.model_id} {sheet.model_version} · "
            f"journal {sheet.journal_digest}"
        )
        # The table names the model and digest in its title; CSV rows carry them.
        columns = SCORE_COLUMNS if fmt is Format.csv else SCORE_COLUMNS[:-2]
        emit(score_rows(sheet), fmt, output, columns, title=title)

    @app.command("report")
    def report_cmd(
        ctx: typer.Context,
        drill_id: str = typer.Argument(..., metavar="ID"),
        fmt: ReportFormat = typer.Option(ReportFormat.html, "--format", "-f", help="html or pdf."),
        output: Path | None = OUTPUT_OPTION,
    ) -> None:
        """The drill's results report for the police and DOST (Vietnamese), HTML or PDF."""
        from socctl.cli.output import write_html_or_pdf
        from socctl.drills.report import report_context
        from socctl.reports import render_html

        app_state = state(ctx)
        ws = app_state.workspace()
        sheet = sheet_of(ws, drill_id)
        check = verify_journal(ws, drill_id, every_signature=True)
        context = report_context(load_spec(ws, drill_id), sheet, check)
        html = render_html(
            "drill-report.html.j2", context, override_dir=ws.report_overrides, lang="vi"
        )
        write_html_or_pdf(html, fmt is ReportFormat.pdf, output, app_state.terminal_lang())
