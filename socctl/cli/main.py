"""The ``socctl`` command: global options, command groups, and errors turned into exit codes."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer.exceptions import Abort

from socctl import __version__
from socctl.cli.context import AppState, Lang
from socctl.cli.output import err_console
from socctl.errors import SocctlError

#: Exit code for an unexpected internal error (a bug, not bad input).
EXIT_INTERNAL = 70


def _version(value: bool) -> None:
    if value:
        typer.echo(f"socctl {__version__}")
        raise typer.Exit()


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


#: Command groups: the module that implements each, and its one-line help. A run imports only
#: the group it calls (start-up time matters: detection is timed as a whole process).
GROUPS: dict[str, tuple[str, str]] = {
    "system": (
        "socctl.cli.system",
        "Inventory of information systems: add, list, show, edit, retire, level, lookup, gate.",
    ),
    "dossier": (
        "socctl.cli.dossier",
        "Security-level dossiers: new, check, show, submit, appraise, approve, return, verify, render.",
    ),
    "rules": ("socctl.cli.rules", "Sigma rules: check, list, coverage."),
    "logs": ("socctl.cli.logs", "The embedded log store: ingest, indices."),
    "detect": ("socctl.cli.detect", "Run Sigma detections over log files or an index."),
    "alerts": ("socctl.cli.alerts", "The workspace's alert store: list, show."),
    "drill": ("socctl.cli.drill", "Live-fire cyber-defence drills: plan, run, score, report."),
    "report": ("socctl.cli.report", "Reports for reviewers (HTML and PDF, in Vietnamese)."),
    "keys": ("socctl.cli.keys", "Signing keys for appraisals and approvals."),
}
#: Top-level commands: module, function name, one-line help.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("socctl.cli.workspace", "init", "Create a workspace."),
    "posture": (
        "socctl.cli.posture",
        "posture",
        "Systems by level and status, dossiers by state, overdue steps, 4-layer coverage.",
    ),
}
_VALUE_OPTIONS = {"--workspace", "-w", "--lang"}


def _requested(argv: Sequence[str]) -> tuple[str | None, str | None]:
    """The command or group named on the command line, and the word after it, if any."""
    args, words = list(argv), list[str | None]()
    while args and len(words) < 2:
        arg = args.pop(0)
        if arg in _VALUE_OPTIONS and not words:
            args[:1] = []
        elif not arg.startswith("-"):
            words.append(arg)
    words += [None, None]
    return words[0], words[1]


def _placeholder() -> None:
    """Stands in, in the top-level listing, for a command that this run does not call."""


def create_app(
    wanted: str | None = None, *, everything: bool = True, then: str | None = None
) -> typer.Typer:
    """The socctl app; with ``everything=False`` only the command ``wanted`` is imported (for a
    group with a ``create_app``, only what its command ``then`` needs)."""
    app = typer.Typer(
        name="socctl",
        help="Security operations for Hai Phong: inventory and dossiers, Sigma detection, live-fire drills.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.callback()(main)
    for name, (module, function, text) in COMMANDS.items():
        if everything or name == wanted:
            app.command(name)(getattr(importlib.import_module(module), function))
        else:
            app.command(name, help=text)(_placeholder)
    for name, (module, text) in GROUPS.items():
        if everything or name == wanted:
            found = importlib.import_module(module)
            lazy = getattr(found, "create_app", None)
            group = lazy(None if everything else then) if lazy else found.app
        else:
            group = typer.Typer(help=text)
        app.add_typer(group, name=name, help=text)
    return app


def __getattr__(name: str) -> typer.Typer:
    """``socctl.cli.main.app``: the whole app, every command imported (tests, completion)."""
    if name == "app":
        return create_app()
    raise AttributeError(name)


def _fail(message: str, code: int) -> None:
    err_console.print(f"error: {message}", markup=False, soft_wrap=True)
    sys.exit(code)


def run() -> None:
    """Console-script entry point: no traceback reaches the user for bad input."""
    wanted, then = _requested(sys.argv[1:])
    completing = any(key.startswith("_SOCCTL") for key in os.environ)
    everything = completing or wanted not in {*GROUPS, *COMMANDS}
    app = create_app(wanted, everything=everything, then=then)
    try:
        code = app(standalone_mode=False)  # returns Exit's code; usage errors raised, not printed
    except NoArgsIsHelpError as exc:
        exc.show()  # the group's help, as asked for with no arguments
        sys.exit(exc.exit_code)
    except ClickException as exc:  # a wrong option or value: one line and the help to read
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "socctl"
        message = " ".join(exc.format_message().split())
        _fail(f"{message} (see '{command} --help')", exc.exit_code)
    except Abort:
        _fail("aborted", 1)
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
    sys.exit(code if type(code) is int else 0)
