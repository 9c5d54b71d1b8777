"""``socctl posture``: the city's security posture at a glance."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.days import AS_OF_OPTION, parse_day
from socctl.cli.output import FORMAT_OPTION, OUTPUT_OPTION, Format, render_rows, to_json, write_text
from socctl.i18n import headers, t
from socctl.inventory.posture import Posture, compute_posture


class PostureFailOn(StrEnum):
    overdue = "overdue"
    unapproved = "unapproved"


def posture(
    ctx: typer.Context,
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
    fail_on: list[PostureFailOn] = typer.Option(
        [],
        "--fail-on",
        help="Exit 1 when a step is overdue, or a system operates without an approved level.",
    ),
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """Systems by level and status, dossiers by state, overdue steps, 4-layer coverage, systems
    operating without an approved level, annual report dates."""
    result = compute_posture(state(ctx).workspace(), parse_day(as_of, "--as-of"))
    if fmt is Format.json:
        write_text(to_json(result.as_dict()) + "\n", output)
    elif fmt in (Format.csv, Format.ndjson):
        write_text(render_rows([s.as_row() for s in result.systems], fmt), output)
    else:
        write_text(_tables(result, state(ctx).terminal_lang()), output)
    failing = {
        PostureFailOn.overdue: bool(result.overdue()),
        PostureFailOn.unapproved: bool(result.without_approval()),
    }
    if any(failing[kind] for kind in fail_on):
        raise typer.Exit(1)


def _tables(result: Posture, lang: str) -> str:
    """The posture as a series of terminal tables in ``lang``."""
    coverage = result.layer_coverage()
    active = sum(s.status != "retired" for s in result.systems)
    plain = not sys.stdout.isatty()
    sections = [
        (t("posture.by_level", lang, day=result.as_of), result.by_level_and_status(), None),
        (
            t("posture.dossiers", lang),
            [{"state": k, "systems": v} for k, v in result.dossiers_by_state().items()],
            None,
        ),
        (
            t("posture.overdue", lang),
            [s.as_row() for s in result.overdue()],
            ["system", "level", "dossier", "awaiting", "due"],
        ),
        (
            t("posture.without_approval", lang),
            [s.as_row() for s in result.without_approval()],
            ["system", "name", "level", "dossier", "approved_level", "problem"],
        ),
        (
            t("posture.coverage", lang, active=active),
            [{"layer": t(f"layer.{k}", lang), "systems": v} for k, v in coverage.items()],
            None,
        ),
        (t("posture.annual", lang), [vars(r) for r in result.annual_reports], None),
    ]
    return "".join(
        render_rows(rows, Format.table, columns, title=title, headers=headers(lang), plain=plain)
        if rows
        else t("none", lang, title=title) + "\n"
        for title, rows, columns in sections
    )
