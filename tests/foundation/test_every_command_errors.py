"""Every command of the app, walked from the typer app: a wrong argument exits 2 and a malformed
input file exits 3, each with a one-line message and never an internal error (exit 70).

The commands run in this process through the console entry point (``socctl.cli.main.run``), so the
walk costs well under a second per command; one subprocess run checks that the entry point behaves
the same from outside.
"""

from __future__ import annotations

import enum
import os
import subprocess
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from socctl.cli import main as cli

#: Path options that name a file written, not read.
OUTPUTS = {"output", "out", "ics", "navigator", "directory"}
#: Values for required options that pass their own checks (so a test's error is the one it means).
VALUES = {
    "--year": "2027",
    "--at": "2026-12-01T10:00:00+07:00",
    "--date": "2026-12-01",
    "--as-of": "2026-12-01",
    "--to": "2026-12-01T11:00:00+07:00",
    "--cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "--level": "3",
}
#: Commands whose findings are the bad files themselves: they list them and exit 1.
CHECKERS = {"rules check": 1}


def _commands() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield " ".join(path), command

    yield from walk(get_command(cli.app), [])


COMMANDS = dict(_commands())


def _kind(param: Any) -> Any:
    annotation = param.type_descriptor.annotation
    if typing.get_origin(annotation) is list:
        (annotation,) = typing.get_args(annotation)
    return annotation


def _is_input_file(param: Any) -> bool:
    return _kind(param) is Path and param.name not in OUTPUTS


def _value(param: Any, bad_file: Path) -> str:
    kind = _kind(param)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return str(next(iter(kind)).value)
    if kind is Path:
        return str(bad_file)
    return VALUES.get(param.opts[0], "2" if kind is int else "x")


def _args(command: Any, bad_file: Path, *, every_file: bool = False) -> list[str]:
    """Arguments filling the command's required parameters (and, with ``every_file``, every input
    file parameter with ``bad_file``)."""
    args: list[str] = []
    for param in command.params:
        wanted = param.required or (every_file and _is_input_file(param))
        if not wanted or param.name == "help":
            continue
        value = _value(param, bad_file)
        if param.param_type_name == "argument":
            args.append(value)
        elif not getattr(param, "is_flag", False):
            args += [param.opts[0], value]
    return args


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    """Exit code and the non-blank lines of stderr of ``socctl ARGS`` run in this process."""
    saved = sys.argv
    sys.argv = ["socctl", *args]
    capsys.readouterr()
    try:
        cli.run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = saved
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("every-command")
    result = subprocess.run(
        [sys.executable, "-m", "socctl", "init", str(root / "ws")],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")},
    )
    assert result.returncode == 0, result.stderr
    return root / "ws"


@pytest.fixture(scope="module")
def bad_file(workspace: Path) -> Path:
    """300 random bytes (fixed) under a name that promises a Windows event log."""
    path = workspace.parent / "x.evtx"
    path.write_bytes(bytes((index * 131 + 17) % 256 for index in range(300)))
    return path


def test_the_walk_finds_every_group() -> None:
    groups = {name.split()[0] for name in COMMANDS}
    assert groups == {*cli.GROUPS, *cli.COMMANDS}
    assert len(COMMANDS) > 40


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_wrong_argument_is_a_usage_error_in_one_line(
    name: str, workspace: Path, bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = COMMANDS[name]
    base = ["-w", str(workspace), *name.split()]
    code, lines = run(capsys, *base, *_args(command, bad_file), "--no-such-option")
    assert (code, len(lines)) == (2, 1), lines
    assert lines[0].startswith("error: No such option") and f"socctl {name} --help" in lines[0]
    choices = [
        p for p in command.params if isinstance(_kind(p), type) and issubclass(_kind(p), enum.Enum)
    ]
    numbers = [p for p in command.params if _kind(p) is int and p.param_type_name == "option"]
    for param in choices + numbers:
        code, lines = run(capsys, *base, *_args(command, bad_file), param.opts[0], "bogus")
        assert (code, len(lines)) == (2, 1), (param.name, lines)
        assert param.opts[0] in lines[0], lines


FILE_COMMANDS = sorted(
    name for name, command in COMMANDS.items() if any(map(_is_input_file, command.params))
)


@pytest.mark.parametrize("name", FILE_COMMANDS)
def test_a_malformed_input_file_is_bad_input_in_one_line(
    name: str, workspace: Path, bad_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _args(COMMANDS[name], bad_file, every_file=True)
    code, lines = run(capsys, "-w", str(workspace), *name.split(), *args)
    if name in CHECKERS:
        assert code == CHECKERS[name] and lines, lines
        return
    assert (code, len(lines)) == (3, 1), lines
    assert lines[0].startswith("error: ") and "internal error" not in lines[0]


def test_the_random_bytes_evtx_from_outside_the_process(bad_file: Path, workspace: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "socctl",
            "-w",
            str(workspace),
            "detect",
            "run",
            "--logs",
            str(bad_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {bad_file}: not a Windows event log (EVTX)")
