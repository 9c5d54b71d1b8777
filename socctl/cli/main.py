"""The ``socctl`` command: global options, command groups, and errors turned into exit codes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from socctl import __version__
from socctl.cli import (
    alerts,
    detect,
    dossier,
    drill,
    keys,
    logs,
    posture,
    report,
    rules,
    system,
)
from socctl.cli import workspace as workspace_cli
from socctl.cli.context import AppState, Lang
from socctl.cli.output import err_console
from socctl.errors import SocctlError

app = typer.Typer(
    name="socctl",
    help="Security operations for Hai Phong: inventory and dossiers, Sigma detection, live-fire drills.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

#: Exit code for an unexpected internal error (a bug, not bad input).
EXIT_INTERNAL = 70


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socctl {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None,
        "--workspace",
        "-w",
        help="Workspace directory (default: SOCCTL_WORKSPACE or a parent with socctl.toml).",
    ),
    lang: Lang | None = typer.Option(
        None, "--lang", help="Language of human-readable output (terminal: en, documents: vi)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    ctx.obj = AppState(workspace_path=workspace, lang=lang)


workspace_cli.register(app)
app.command("posture")(posture.posture)
for _name, _group in (
    ("system", system),
    ("dossier", dossier),
    ("rules", rules),
    ("logs", logs),
    ("detect", detect),
    ("alerts", alerts),
    ("drill", drill),
    ("report", report),
    ("keys", keys),
):
    app.add_typer(_group.app, name=_name)


def _fail(message: str, code: int) -> None:
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    sys.exit(code)


def run() -> None:
    """Console-script entry point: no traceback reaches the user for bad input."""
    try:
        app()  # standalone: usage errors exit 2 with typer's own message
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except SocctlError as exc:
        _fail(str(exc), exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("SOCCTL_DEBUG"):
            raise
        _fail(
            f"internal error: {type(exc).__name__}: {exc} (please report it; SOCCTL_DEBUG=1 shows the traceback)",
            EXIT_INTERNAL,
        )
