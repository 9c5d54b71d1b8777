"""``socctl drill`` commands: running a drill (start, log, finding, checkpoint, close, verify, list)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, emit, err_console
from socctl.drills.journal import Entry, Impact, Outcome, Verdict, chain_path, verify_journal
from socctl.drills.playbook import engagement_ids, load_engagement, load_scenario, scenario_ids
from socctl.drills.run import DrillLog, start_drill
from socctl.drills.spec import drill_ids, load_spec
from socctl.errors import InputError
from socctl.timeutil import now_utc, parse_time
from socctl.workspace import Workspace

KEY_OPTION = typer.Option(..., "--key", "-k", help="Your private key (PEM) from 'socctl keys new'.")
AT_OPTION = typer.Option(
    ..., "--at", help="When it happened (ISO 8601; without an offset: Vietnam time)."
)
STEPS_OPTION = typer.Option(
    None, "--step", help="An attack step this concerns (repeat for several)."
)
EVIDENCE_OPTION = typer.Option(
    None, "--evidence", "-e", help="An evidence file; its SHA-256 is recorded (repeatable)."
)
DRILL_ARG = typer.Argument(..., metavar="ID", help="The drill's id, e.g. 2027-hp-01.")


def _at(text: str) -> datetime:
    return parse_time(text)


def _done(ws: Workspace, slug: str, entry: Entry) -> None:
    """One line saying what was written where."""
    path = chain_path(ws, entry.drill, slug)
    try:
        shown = path.relative_to(ws.root)
    except ValueError:
        shown = path
    err_console.print(
        f"logged {entry.kind} (seq {entry.seq}) in {shown}", markup=False, soft_wrap=True
    )


def _log(ctx: typer.Context, drill_id: str, key: Path) -> tuple[Workspace, DrillLog]:
    ws = state(ctx).workspace()
    return ws, DrillLog(ws, drill_id, key)


log_app = typer.Typer(
    help="Log to a drill's journal: attack (red team), detect, report, contain (defenders).",
    no_args_is_help=True,
)
finding_app = typer.Typer(
    help="Findings: add (red team), validate (controller).", no_args_is_help=True
)


@log_app.command("attack")
def log_attack(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    step: str = typer.Option(..., "--step", help="Your id for this action, e.g. s1-sqli."),
    technique: str = typer.Option(..., "--technique", "-t", help="ATT&CK id, e.g. T1190."),
    host: str = typer.Option(..., "--host", help="The target host (one of the drill's)."),
    at: str = AT_OPTION,
    outcome: Outcome = typer.Option(Outcome.success, "--outcome"),
    evidence: list[Path] | None = EVIDENCE_OPTION,
    scenario_step: str | None = typer.Option(
        None, "--scenario-step", help="The scenario step it carries out: SCENARIO/STEP."
    ),
    system: str | None = typer.Option(None, "--system", help="The host's system (checked)."),
    note: str = typer.Option("", "--note"),
) -> None:
    """Log an attack action on a target host (red team)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.attack(
        step_id=step, technique=technique, host=host, at=_at(at), outcome=outcome.value,
        evidence=evidence or [], scenario_step=scenario_step, system=system, note=note,
    )  # fmt: skip
    _done(ws, drill.author.slug, entry)


@log_app.command("detect")
def log_detect(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    at: str = AT_OPTION,
    host: str | None = typer.Option(None, "--host", help="The host it was seen on."),
    technique: str | None = typer.Option(None, "--technique", "-t", help="ATT&CK id seen."),
    step: str | None = typer.Option(None, "--step", help="The attack step, when known."),
    alert: str | None = typer.Option(None, "--alert", help="The socctl alert id behind it."),
    note: str = typer.Option("", "--note"),
) -> None:
    """Log a detection (defenders)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.detect(
        at=_at(at), host=host, technique=technique, step_id=step, alert_id=alert, note=note
    )
    _done(ws, drill.author.slug, entry)


@log_app.command("report")
def log_report(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    at: str = AT_OPTION,
    to: str = typer.Option(..., "--to", help="Who received it, e.g. 'Công an thành phố'."),
    incident: str = typer.Option(..., "--incident", help="The incident's reference."),
    steps: list[str] | None = STEPS_OPTION,
) -> None:
    """Log an incident report sent (defenders)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.report(at=_at(at), to=to, incident=incident, steps=steps or [])
    _done(ws, drill.author.slug, entry)


@log_app.command("contain")
def log_contain(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    at: str = AT_OPTION,
    host: str = typer.Option(..., "--host", help="The host contained."),
    action: str = typer.Option(..., "--action", help="What was done, e.g. 'cô lập máy'."),
    steps: list[str] | None = STEPS_OPTION,
) -> None:
    """Log a containment action (defenders)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.contain(at=_at(at), host=host, action=action, steps=steps or [])
    _done(ws, drill.author.slug, entry)


@finding_app.command("add")
def finding_add(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    finding_id: str = typer.Option(..., "--id", help="Your id for the finding, e.g. F1."),
    title: str = typer.Option(..., "--title"),
    cvss: str = typer.Option(..., "--cvss", help="CVSS v3.1 or v4.0 vector."),
    resources: Impact = typer.Option(..., "--resources", help="Impact on system resources."),
    data: Impact = typer.Option(..., "--data", help="Impact on data."),
    users: Impact = typer.Option(..., "--users", help="Impact on users."),
    evidence: list[Path] | None = EVIDENCE_OPTION,
    host: str = typer.Option(..., "--host"),
    system: str | None = typer.Option(None, "--system", help="The host's system (checked)."),
    at: str = AT_OPTION,
    steps: list[str] | None = STEPS_OPTION,
    note: str = typer.Option("", "--note"),
) -> None:
    """Add a finding with its CVSS vector and evidence (red team)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.finding(
        finding_id=finding_id, title=title, cvss_vector=cvss,
        criteria={"resources": resources.value, "data": data.value, "users": users.value},
        evidence=evidence or [], host=host, system=system, at=_at(at), steps=steps or [],
        note=note,
    )  # fmt: skip
    _done(ws, drill.author.slug, entry)


@finding_app.command("validate")
def finding_validate(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    finding_id: str = typer.Argument(..., metavar="FINDING"),
    key: Path = KEY_OPTION,
    verdict: Verdict = typer.Option(..., "--verdict"),
    reason: str = typer.Option(..., "--reason"),
) -> None:
    """Validate or reject a finding (controller)."""
    ws, drill = _log(ctx, drill_id, key)
    entry = drill.validate(finding_id=finding_id, verdict=verdict.value, reason=reason)
    _done(ws, drill.author.slug, entry)


def start(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    definition: Path = typer.Option(
        ..., "--from", help="The drill definition (YAML: targets, teams, window, playbooks)."
    ),
    key: Path = KEY_OPTION,
    logs: list[Path] | None = typer.Option(
        None, "--logs", help="Log files or folders to correlate (replaces logs.paths)."
    ),
) -> None:
    """Fix the drill from its definition and sign it (controller)."""
    ws = state(ctx).workspace()
    spec = start_drill(ws, drill_id, definition, key, logs or [])
    err_console.print(
        f"started drill {spec.id}: {len(spec.targets)} system(s), {len(spec.teams)} team(s), "
        f"{spec.window.start.isoformat()} – {spec.window.end.isoformat()}",
        markup=False,
        soft_wrap=True,
    )


def checkpoint(ctx: typer.Context, drill_id: str = DRILL_ARG, key: Path = KEY_OPTION) -> None:
    """Record every chain's head in a signed checkpoint (controller)."""
    ws, drill = _log(ctx, drill_id, key)
    _done(ws, drill.author.slug, drill.checkpoint())


def close(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    key: Path = KEY_OPTION,
    at: str | None = typer.Option(None, "--at", help="When it closed (default: now)."),
) -> None:
    """Checkpoint every chain and close the drill (controller)."""
    ws, drill = _log(ctx, drill_id, key)
    _done(ws, drill.author.slug, drill.close(at=_at(at) if at else now_utc()))


def verify(
    ctx: typer.Context,
    drill_id: str = DRILL_ARG,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    every_signature: bool = typer.Option(
        False,
        "--all-signatures",
        help="Check each entry's signature, not only the last of each linked chain.",
    ),
) -> None:
    """Check the drill's signature and every journal entry; name anything edited, removed,
    reordered, replayed or forged (exit 3). Nothing is ever repaired."""
    check = verify_journal(state(ctx).workspace(), drill_id, every_signature=every_signature)
    rows = [
        {"kind": p.kind, "where": f"{p.path}:{p.line}" if p.line else p.path, "problem": p.message}
        for p in check.problems
    ]
    if rows or fmt is not Format.table:  # a script reading json or csv gets [] or a header
        emit(rows, fmt, output, ["kind", "where", "problem"], title=f"Drill {drill_id}")
    if rows:
        raise InputError(
            f"drill {drill_id}: the journal fails verification ({len(rows)} problem(s))",
            hint="a journal is never repaired: restore the chains from a trusted copy",
        )
    err_console.print(
        f"drill {drill_id}: {len(check.entries)} entries in {check.chains} chain(s), all signed "
        f"and in order ({check.signatures} signature(s) checked)",
        markup=False,
        soft_wrap=True,
    )


def list_drills(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The drills started in this workspace."""
    ws = state(ctx).workspace()
    rows = []
    for drill_id in drill_ids(ws):
        spec = load_spec(ws, drill_id)
        rows.append(
            {
                "id": spec.id,
                "title": spec.title,
                "status": spec.status,
                "start": spec.window.start.isoformat(),
                "end": spec.window.end.isoformat(),
                "systems": ", ".join(t.system for t in spec.targets),
            }
        )
    emit(rows, fmt, None, ["id", "title", "status", "start", "end", "systems"])


def scenarios(
    ctx: typer.Context,
    scenario_id: str | None = typer.Argument(None, metavar="[ID]", help="One scenario's steps."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The drill scenarios (shipped and the workspace's), or one scenario's steps."""
    ws = state(ctx).workspace()
    if scenario_id is None:
        rows: list[dict[str, object]] = []
        for item in scenario_ids(ws):
            scenario = load_scenario(ws, item)
            techniques = ", ".join(step.technique for step in scenario.steps)
            rows.append({"id": scenario.id, "version": scenario.version,
                         "title": scenario.title, "steps": len(scenario.steps),
                         "techniques": techniques})  # fmt: skip
        emit(rows, fmt, None, ["id", "version", "title", "steps", "techniques"])
        return
    scenario = load_scenario(ws, scenario_id)
    steps = [
        {"step": step.id, "tactic": step.tactic, "technique": step.technique,
         "target_kind": step.target_kind, "severity": step.severity, "title": step.title,
         "expected_detections": ", ".join(step.expected_detections)}
        for step in scenario.steps
    ]  # fmt: skip
    emit(steps, fmt, None, title=f"{scenario.id} {scenario.version}: {scenario.title}")


def engagements(ctx: typer.Context, fmt: Format = FORMAT_OPTION) -> None:
    """The rules of engagement (shipped and the workspace's)."""
    ws = state(ctx).workspace()
    rows = []
    for item in engagement_ids(ws):
        rules = load_engagement(ws, item)
        rows.append(
            {
                "id": rules.id,
                "version": rules.version,
                "title": rules.title,
                "max_depth": rules.max_depth,
                "excluded_techniques": ", ".join(rules.excluded_techniques),
                "out_of_scope_hosts": ", ".join(rules.out_of_scope_hosts),
            }
        )
    emit(rows, fmt, None)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the ``drill`` group."""
    app.command("start")(start)
    app.add_typer(log_app, name="log")
    app.add_typer(finding_app, name="finding")
    app.command("checkpoint")(checkpoint)
    app.command("close")(close)
    app.command("verify")(verify)
    app.command("list")(list_drills)
    app.command("scenarios")(scenarios)
    app.command("engagements")(engagements)
