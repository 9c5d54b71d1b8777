"""``socctl dossier``: security-level dossiers: new, show, check, submit, appraise, approve, return,
render, verify."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.days import AS_OF_OPTION, parse_day, today
from socctl.cli.output import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    emit,
    emit_document,
    write_html_or_pdf,
    write_text,
)
from socctl.errors import InputError
from socctl.i18n import headers, t
from socctl.inventory import dossier as core
from socctl.inventory.store import SystemStore
from socctl.reports import render_html, render_markdown
from socctl.trust.store import load_trust
from socctl.workspace import Workspace

app = typer.Typer(
    help="Security-level dossiers: new, show, check, submit, appraise, approve, return, render, verify.",
    no_args_is_help=True,
)

KEY_OPTION = typer.Option(
    ..., "--key", "-k", help="Your private key (PEM) from 'socctl keys new'.", exists=False
)


class FailOn(StrEnum):
    missing = "missing"
    overdue = "overdue"
    gap = "gap"


class DocFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    md = "md"


@app.command("new")
def new(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
    level: int | None = typer.Option(
        None, "--level", min=1, max=5, help="Propose this level (default: the computed level)."
    ),
) -> None:
    """Start a draft dossier, pre-filled from the system, its level and the regime's catalogue."""
    ws = state(ctx).workspace()
    path = core.dossier_path(ws, system_id)
    with ws.lock():
        system = SystemStore(ws).get(system_id)
        assessed = core.assess(ws, system, today())
        if level is not None and level < assessed.level:
            raise InputError(
                f"level {level} is below the computed level {assessed.level}",
                hint="a system may not be proposed below the level its criteria give",
            )
        if path.exists():
            raise InputError(
                "a dossier for this system already exists",
                path=path,
                hint=f"edit it, or see 'socctl dossier check {system_id}'",
            )
        dossier = core.new_dossier(system, assessed.regime, level or assessed.level, assessed.basis)
        core.save_dossier(ws, dossier)
    lang = state(ctx).terminal_lang()
    counts = ", ".join(
        f"{len(getattr(dossier, name))} {t(f'section.{name}', lang)}" for name in core.SECTIONS
    )
    created = t(
        "dossier.created",
        lang,
        path=path.relative_to(ws.root),
        regime=assessed.regime,
        level=dossier.proposed_level,
        reason=assessed.regime_reason,
        counts=counts,
        items=len(dossier.catalogue),
    )
    typer.echo(created)


@app.command("check")
def check(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: list[FailOn] = typer.Option(
        [], "--fail-on", help="Exit 1 when a finding of this kind exists (repeatable)."
    ),
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """What is missing for the regime and level, every requirement not met, overdue steps."""
    ws = state(ctx).workspace()
    day = parse_day(as_of, "--as-of")
    result = _check(ws, system_id, day)
    lang = state(ctx).terminal_lang()
    title = _title(lang, result.system, result.regime, result.level, result.state.value)
    if result.clock:
        title += ", " + _due(lang, result.clock)
    title += " — " + t("dossier.findings", lang, n=len(result.findings))
    rows = [f.as_row() for f in result.findings]
    if fmt is Format.json:
        emit_document(
            {
                "system": result.system,
                "regime": result.regime,
                "level": result.level,
                "state": result.state.value,
                "clock": result.clock,
                "findings": rows,
            },
            fmt,
            output,
        )
    else:
        columns = ["severity", "kind", "ref", "problem", "article", "blocks"]
        emit(rows, fmt, output, columns, title=title, headers=headers(lang))
    if any(result.has(core.Severity(kind.value)) for kind in fail_on):
        raise typer.Exit(1)


def _title(lang: str, system: str, regime: str, level: int, current: str) -> str:
    """``ID: REGIME level N, STATE``: the first words of a dossier's table title."""
    return t("dossier.title", lang, system=system, regime=regime, level=level, state=current)


def _due(lang: str, running: core.Clock) -> str:
    awaiting = t(f"awaiting.{running.awaiting}", lang).lower()
    return t("dossier.due", lang, awaiting=awaiting, due=running.due.isoformat())


def _check(ws: Workspace, system_id: str, day: date) -> core.CheckResult:
    dossier = core.load_dossier(ws, system_id)
    system = SystemStore(ws).get(system_id)
    assessed = core.assess(ws, system, day)
    return core.check_dossier(ws.root, dossier, system, assessed.level, assessed.regime, day)


@app.command("show")
def show(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """The dossier's state, running deadline (flagged when overdue) and signed history."""
    ws = state(ctx).workspace()
    day = parse_day(as_of, "--as-of")
    dossier = core.load_dossier(ws, system_id)
    system = SystemStore(ws).get(system_id)
    current = core.state_of(dossier, system, day)
    running = core.clock(dossier, system, day)
    history = [
        {
            "step": s.step.value,
            "date": s.date,
            "signer": s.signer,
            "organisation": s.organisation,
            "role": s.role,
            "detail": s.decision_number or s.opinion or s.reason,
        }
        for s in dossier.history
    ]
    if fmt in (Format.json, Format.ndjson):
        emit_document(
            {
                "system": system_id,
                "regime": dossier.regime,
                "level": dossier.proposed_level,
                "state": current.value,
                "clock": running,
                "history": history,
            },
            fmt,
            output,
        )
        return
    lang = state(ctx).terminal_lang()
    title = _title(lang, system_id, dossier.regime, dossier.proposed_level, current.value)
    if running is not None:
        title += f"; {_due(lang, running)} ({running.article})"
        title += " — " + t("dossier.overdue", lang) if running.overdue else ""
    columns = ["step", "date", "signer", "organisation", "role", "detail"]
    emit(history, fmt, output, columns, title=title, headers=headers(lang))


def _step(ctx: typer.Context, system_id: str, request: core.StepInput) -> None:
    ws = state(ctx).workspace()
    step = core.take_step(ws, system_id, request, today())
    done = t(
        f"dossier.done.{request.step.value}",
        state(ctx).terminal_lang(),
        system=system_id,
        day=step.date.isoformat(),
        signer=step.signer,
        role=step.role,
        organisation=step.organisation,
    )
    typer.echo(done)


@app.command("submit")
def submit(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    key: Path = KEY_OPTION,
    on: str | None = typer.Option(None, "--date", help="Submission date (default: today)."),
) -> None:
    """Submit the complete dossier for appraisal (signed)."""
    request = core.StepInput(core.StepName.submit, key, parse_day(on, "--date"))
    _step(ctx, system_id, request)


@app.command("appraise")
def appraise(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    key: Path = KEY_OPTION,
    organisation: str = typer.Option(..., "--organisation", help="The appraising body."),
    opinion: str = typer.Option(..., "--opinion", help="The appraisal opinion."),
    on: str | None = typer.Option(None, "--date", help="Appraisal date (default: today)."),
) -> None:
    """Record a favourable appraisal (signed); an unfavourable one is a 'return'."""
    request = core.StepInput(
        core.StepName.appraise,
        key,
        parse_day(on, "--date"),
        organisation=organisation,
        opinion=opinion,
    )
    _step(ctx, system_id, request)


@app.command("approve")
def approve(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    key: Path = KEY_OPTION,
    decision_number: str = typer.Option(
        ..., "--decision-number", help="Number of the approval decision, e.g. 125/QĐ-UBND."
    ),
    on: str = typer.Option(..., "--date", help="Date of the approval decision."),
) -> None:
    """Approve the level (signed decision)."""
    request = core.StepInput(
        core.StepName.approve, key, parse_day(on, "--date"), decision_number=decision_number
    )
    _step(ctx, system_id, request)


@app.command("return")
def return_(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    key: Path = KEY_OPTION,
    reason: str = typer.Option(..., "--reason", help="What must be completed or corrected."),
    on: str | None = typer.Option(None, "--date", help="Date of the return (default: today)."),
) -> None:
    """Return the dossier to draft with the reasons (signed)."""
    request = core.StepInput(core.StepName.return_, key, parse_day(on, "--date"), reason=reason)
    _step(ctx, system_id, request)


@app.command("verify")
def verify(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Check every signature, every signer's role and that the signed content is the current
    dossier; exit 3 with the reason when any fails."""
    ws = state(ctx).workspace()
    dossier = core.load_dossier(ws, system_id)
    result = core.verify_dossier(dossier, load_trust(ws))
    rows = [s.as_row() for s in result.steps]
    if fmt is Format.json:
        emit_document(
            {"system": system_id, "state": result.state.value, "ok": result.ok, "steps": rows},
            fmt,
            output,
        )
    else:
        columns = ["step", "date", "signer", "role", "current", "ok", "problem"]
        lang = state(ctx).terminal_lang()
        title = t(
            "dossier.verify.title", lang, system=system_id, state=result.state.value, n=len(rows)
        )
        emit(rows, fmt, output, columns, title=title, headers=headers(lang))
    if not result.ok:
        problems = result.problems()
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"dossier does not verify: {problems[0]}{more}",
            path=core.dossier_path(ws, system_id),
            hint="restore the signed content, or return the dossier and take the steps again",
        )


@app.command("render")
def render(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID"),
    fmt: DocFormat = typer.Option(DocFormat.html, "--format", "-f", help="html, pdf or md."),
    output: Path | None = OUTPUT_OPTION,
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """The dossier as a document in HTML, PDF or Markdown; Vietnamese unless --lang en.

    Structured as ND85 Art. 15 / ND331 Art. 21-22 and TT12 Art. 8."""
    app_state = state(ctx)
    ws = app_state.workspace()
    lang = app_state.document_lang()
    context = core.document_context(ws, system_id, parse_day(as_of, "--as-of"), lang)
    override_dir = ws.report_overrides
    if fmt is DocFormat.md:
        markdown = render_markdown("dossier.md.j2", context, override_dir=override_dir, lang=lang)
        write_text(markdown, output)
        return
    html = render_html("dossier.html.j2", context, override_dir=override_dir, lang=lang)
    write_html_or_pdf(html, fmt is DocFormat.pdf, output, app_state.terminal_lang())
