"""``socctl system``: inventory of information systems: add, list, show, edit, retire, level, lookup."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

import typer

from socctl.cli.context import state
from socctl.cli.days import AS_OF_OPTION, parse_day, today
from socctl.cli.output import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    console,
    emit,
    emit_document,
    err_console,
    write_text,
)
from socctl.errors import InputError, UsageError
from socctl.i18n import headers, t
from socctl.inventory.gate import check_gate
from socctl.inventory.hosts import HostIndex
from socctl.inventory.store import SystemStore, check_id, parse_system
from socctl.inventory.system import Classification, InformationType, Status, System
from socctl.storage.yamlio import read_text, validate

app = typer.Typer(
    help="Inventory of information systems: add, list, show, edit, retire, level, lookup.",
    no_args_is_help=True,
)


class ShowFormat(StrEnum):
    """``system show`` prints one document: the YAML as filed, or JSON."""

    table = "table"
    json = "json"


class Regime(StrEnum):
    nd85 = "nd85"
    nd331 = "nd331"


def _store(ctx: typer.Context) -> SystemStore:
    return SystemStore(state(ctx).workspace())


def _one_of(options: list[str]) -> Callable[[str], str]:
    """A prompt check accepting one of ``options``."""

    def check(value: str) -> str:
        if value.strip() not in options:
            raise typer.BadParameter(f"use one of: {', '.join(options)}")
        return value.strip()

    return check


def _choice(text: str, options: list[str], default: str | None = None) -> str:
    return str(
        typer.prompt(f"{text} ({', '.join(options)})", default=default, value_proc=_one_of(options))
    )


def _field_choice(
    text: str, field: str, default: str | None = None, excluding: tuple[str, ...] = ()
) -> str:
    """Ask for a classification field whose values are a Literal (less those ``excluding``)."""
    annotation = Classification.model_fields[field].annotation
    literals = [v for arg in get_args(annotation) or (annotation,) for v in get_args(arg) or (arg,)]
    return _choice(
        text, [v for v in literals if isinstance(v, str) and v not in excluding], default
    )


def _count(text: str, low: int = 0, high: int | None = None) -> int:
    def check(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise typer.BadParameter("enter a whole number") from None
        if number < low or (high is not None and number > high):
            raise typer.BadParameter(f"enter a number from {low}" + (f" to {high}" if high else ""))
        return number

    return int(typer.prompt(text, default="0", value_proc=check))


def _optional_level(text: str) -> int | None:
    """A security level 1-5, or None when the answer is empty."""

    def check(value: str) -> int | None:
        if not value.strip():
            return None
        if value.strip() not in {"1", "2", "3", "4", "5"}:
            raise typer.BadParameter("enter a level from 1 to 5, or nothing")
        return int(value)

    level: int | None = typer.prompt(text, default="", value_proc=check, show_default=False)
    return level


def stdin_is_terminal() -> bool:
    """Whether socctl may ask questions (a pipe or /dev/null would answer them with nothing)."""
    return sys.stdin.isatty()


def _prompt_id(store: SystemStore) -> str:
    def check(value: str) -> str:
        try:
            check_id(value)
        except InputError as exc:
            raise typer.BadParameter(f"{exc.message} ({exc.hint})") from None
        if store.exists(value):
            raise typer.BadParameter(f"a system with id '{value}' already exists")
        return value

    return str(typer.prompt("Id (slug, e.g. cong-dvc)", value_proc=check))


def _prompt_list(text: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    def split(value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        wrong = [item for item in items if allowed is not None and item not in allowed]
        if wrong:
            raise typer.BadParameter(f"{', '.join(wrong)}: use {', '.join(allowed or ())}")
        return items

    result: list[str] = typer.prompt(text, default="", value_proc=split, show_default=False)
    return result


def _prompt_system(store: SystemStore) -> dict[str, Any]:
    """Ask for the fields every system needs; the rest can be added with 'system edit'."""
    data: dict[str, Any] = {
        "id": _prompt_id(store),
        "name": typer.prompt("Name"),
        "owner": typer.prompt("Owner (chủ quản)"),
        "operator": typer.prompt("Operator (đơn vị vận hành)"),
        "status": _choice("Status", list(Status), Status.planned.value),
    }
    info_types = get_args(InformationType)
    info = _prompt_list(f"Information ({', '.join(info_types)}; comma-separated)", info_types)
    c: dict[str, Any] = {"information": info or ["public"]}
    if "state_secret" in c["information"]:  # a state secret always does some harm
        c["security_harm"] = _field_choice(
            "Harm to national security if sabotaged", "security_harm", excluding=("none",)
        )
    c["serves"] = _field_choice("Serves", "serves", "internal")
    if c["serves"] == "citizens_and_businesses":
        c["online_public_service_level"] = _count("Online public service level (0-4)", 0, 4)
        c["handles_administrative_procedures"] = typer.confirm(
            "Handles administrative procedures?", default=False
        )
        c["conditional_business"] = typer.confirm(
            "Online service in a conditional business line?", default=False
        )
    c["data_subjects"] = {
        "basic": _count("Data subjects with basic personal data"),
        "sensitive": _count("Data subjects with sensitive personal data"),
    }
    c["system_type"] = _field_choice("System type", "system_type", "information")
    if c["system_type"] == "information":
        c["national_system"] = typer.confirm(
            "National information system serving e-government (hệ thống thông tin quốc gia)?",
            default=False,
        )
    if c["system_type"] == "infrastructure":
        c["infrastructure_scope"] = _field_choice("Infrastructure serves", "infrastructure_scope")
    if c["system_type"] == "infrastructure" or c.get("national_system"):
        c["requires_24x7"] = typer.confirm("Must run 24/7 with no unplanned stop?", default=False)
    if c["system_type"] == "industrial_control":
        c["construction_grade"] = _field_choice(
            "Grade of the construction works it controls", "construction_grade"
        )
        c["national_security_works"] = typer.confirm(
            "Are those works important to national security?", default=False
        )
    c["risk_assessed_level"] = _optional_level(
        "Level the cybersecurity risk assessment calls for (1-5; empty if not assessed)"
    )
    data["classification"] = c
    hosts = _prompt_list("Hosts (host names, IPs or CIDRs; comma-separated, empty for none)")
    if hosts:
        data["components"] = [
            {"id": "main", "name": data["name"], "kind": "application", "hosts": hosts}
        ]
    return data


@app.command("add")
def add(
    ctx: typer.Context,
    file: Path | None = typer.Argument(
        None, help="A system YAML file; without it, socctl asks for the essential fields."
    ),
) -> None:
    """Add a system: validate it and store it as systems/<id>.yaml (an existing id is refused)."""
    store = _store(ctx)
    if file is not None:
        text = read_text(file)
        system = parse_system(text, str(file))
        path = store.add(system, text)
    else:
        if not stdin_is_terminal():
            raise UsageError(
                "no FILE given and stdin is not a terminal, so socctl cannot ask",
                hint="give a FILE or run in a terminal",
            )
        system = validate(System, _prompt_system(store), "<prompts>")
        path = store.add(system)
    console().print(
        t("system.added", state(ctx).terminal_lang(), id=system.id, path=path), markup=False
    )


@app.command("list")
def list_systems(
    ctx: typer.Context,
    status: list[Status] = typer.Option([], "--status", help="Only this status (repeatable)."),
    owner: str | None = typer.Option(
        None, "--owner", help="Only owners containing this text (case-insensitive)."
    ),
    level: list[int] = typer.Option([], "--level", help="Only this proposed level (repeatable)."),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """The workspace's systems with status, owner and proposed level."""
    store = _store(ctx)
    rows = []
    for system in store.list():
        if status and system.status not in status:
            continue
        if owner and owner.casefold() not in system.owner.casefold():
            continue
        proposed = store.level_or_none(system)
        if level and proposed not in level:
            continue
        rows.append(
            {
                "id": system.id,
                "name": system.name,
                "owner": system.owner,
                "status": system.status.value,
                "level": proposed,
                "hosts": sum(len(c.hosts) for c in system.components),
            }
        )
    lang = state(ctx).terminal_lang()
    columns = ["id", "name", "owner", "status", "level", "hosts"]
    emit(rows, fmt, output, columns, title=t("system.list.title", lang), headers=headers(lang))


@app.command("show")
def show(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
    fmt: ShowFormat = typer.Option(
        ShowFormat.table, "--format", "-f", help="table (the YAML as filed) or json."
    ),
) -> None:
    """A system as filed (YAML, comments kept) or as validated JSON."""
    store = _store(ctx)
    if fmt is ShowFormat.json:
        emit_document(store.get(system_id).model_dump(mode="json"), Format.json)
    else:
        typer.echo(store.read_text(system_id), nl=False)


def _run_editor(path: Path) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        code = subprocess.call([*shlex.split(editor), str(path)])
    except OSError as exc:
        raise UsageError(
            f"cannot start the editor '{editor}': {exc.strerror}",
            hint="set EDITOR (or VISUAL) to an installed editor",
        ) from None
    if code != 0:
        raise UsageError(f"the editor '{editor}' exited with {code}; nothing changed")


@app.command("edit")
def edit(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
) -> None:
    """Edit a system in $EDITOR; the result is validated before it replaces the stored file."""
    store = _store(ctx)
    original = store.read_text(system_id)
    handle, name = tempfile.mkstemp(prefix=f"socctl-{system_id}-", suffix=".yaml")
    os.close(handle)
    temp = Path(name)
    temp.write_text(original, encoding="utf-8")
    _run_editor(temp)
    edited = read_text(temp)
    if edited == original:
        temp.unlink()
        console().print(
            t("system.unchanged", state(ctx).terminal_lang(), id=system_id), markup=False
        )
        return
    try:
        store.replace(system_id, edited, str(temp))
    except InputError as exc:
        raise InputError(
            exc.message,
            path=exc.path,
            line=exc.line,
            hint=f"{exc.hint or 'fix it'}; {store.path_for(system_id)} is unchanged, "
            f"your edit is kept in {temp}",
        ) from None
    temp.unlink()
    saved = t(
        "system.saved", state(ctx).terminal_lang(), id=system_id, path=store.path_for(system_id)
    )
    console().print(saved, markup=False)


@app.command("retire")
def retire(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
    on: str | None = typer.Option(None, "--on", help="Retirement date (default: today)."),
) -> None:
    """Mark a system retired (status retired, dates.retired_on)."""
    day = parse_day(on, "--on")
    system = _store(ctx).retire(system_id, day, today())
    done = t("system.retired", state(ctx).terminal_lang(), id=system.id, day=day.isoformat())
    console().print(done, markup=False)


@app.command("level")
def level(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
    regime: Regime | None = typer.Option(
        None, "--regime", help="Regime to apply (default: the one that applies to the system)."
    ),
    fmt: Format = typer.Option(
        Format.table,
        "--format",
        "-f",
        help="table or csv (the reasons), json or ndjson (the level with its reasons).",
    ),
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """The proposed security level with every criterion that matched and its article."""
    store = _store(ctx)
    result = store.proposed_level(store.get(system_id), regime.value if regime else None)
    lang = state(ctx).terminal_lang()
    for warning in result.warnings:
        err_console.print(t("warning", lang, text=warning), markup=False)
    data = result.to_json()
    if fmt in (Format.json, Format.ndjson):
        emit_document(data, fmt, output)
        return
    title = t(
        "system.level.title",
        lang,
        system=data["system"],
        level=data["level"],
        regime=data["regime"],
    )
    columns = ["level", "criterion", "article"]
    emit(data["reasons"], fmt, output, columns, title=title, headers=headers(lang))


@app.command("lookup")
def lookup(
    ctx: typer.Context,
    hosts: list[str] = typer.Argument(..., metavar="HOST...", help="Host names or IP addresses."),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Which system, owner and level each host belongs to (names, IPs, CIDRs: most specific wins)."""
    index = HostIndex.from_workspace(state(ctx).workspace())
    rows = []
    for host in hosts:
        ref = index.lookup(host)
        rows.append(
            {
                "host": host,
                "system": ref.id if ref else None,
                "name": ref.name if ref else None,
                "owner": ref.owner if ref else None,
                "level": ref.level if ref else None,
                "component": ref.component if ref else None,
            }
        )
    lang = state(ctx).terminal_lang()
    emit(rows, fmt, output, title=t("system.lookup.title", lang), headers=headers(lang))


@app.command("gate")
def gate(
    ctx: typer.Context,
    system_id: str = typer.Argument(..., metavar="ID", help="The system's id."),
    fmt: Format = typer.Option(
        Format.table, "--format", "-f", help="table (one line), json, ndjson or csv."
    ),
    output: Path | None = OUTPUT_OPTION,
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """Go-live gate for deployment pipelines: exit 0 only with a verified approval at least at the
    computed level and the periodic assessment not overdue; otherwise exit 1 with the reason."""
    result = check_gate(state(ctx).workspace(), system_id, parse_day(as_of, "--as-of"))
    if fmt in (Format.json, Format.ndjson):
        emit_document(result.as_dict(), fmt, output)
    elif fmt is Format.csv:
        emit([result.as_dict()], fmt, output)
    else:
        line = f"{'pass' if result.passed else 'fail'}: {system_id}: {result.reason}\n"
        write_text(line, output)
    if not result.passed:
        raise typer.Exit(1)
