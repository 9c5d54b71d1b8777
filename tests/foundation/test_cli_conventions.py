"""CLI conventions: exit codes, one-line errors, workspace discovery."""

from __future__ import annotations

import os
from pathlib import Path

from subprocess_cli import socctl

from socctl import __version__


def test_version() -> None:
    result = socctl("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"socctl {__version__}"


def test_unknown_command_is_a_usage_error() -> None:
    result = socctl("frobnicate")
    assert result.returncode == 2 and "No such command" in result.stderr


def test_init_creates_a_git_ignored_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert socctl("init", str(ws)).returncode == 0
    for name in (
        "socctl.toml",
        "systems",
        "dossiers",
        "drills",
        "trust",
        "rules",
        "playbooks",
        ".socctl",
    ):
        assert (ws / name).exists(), name
    assert ".socctl/" in (ws / ".gitignore").read_text()
    again = socctl("init", str(ws))
    assert again.returncode == 2
    assert again.stderr.strip() == f"error: {ws}: is already a socctl workspace"


def test_workspace_discovery_flag_over_environment_over_parents(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    socctl("init", str(ws))
    from socctl.workspace import find_workspace

    os.environ.pop("SOCCTL_WORKSPACE", None)
    assert find_workspace(start=ws / "systems") == ws
    os.environ["SOCCTL_WORKSPACE"] = str(tmp_path / "other")
    try:
        assert find_workspace(start=ws / "systems") == tmp_path / "other"
        assert find_workspace(Path("/explicit")) == Path("/explicit")
    finally:
        del os.environ["SOCCTL_WORKSPACE"]


def test_no_workspace_gives_a_clear_error_and_exit_3(tmp_path: Path) -> None:
    from socctl.errors import NotFoundError
    from socctl.workspace import open_workspace

    try:
        open_workspace(tmp_path)
    except NotFoundError as exc:
        assert exc.exit_code == 3 and "socctl init" in str(exc)
    else:
        raise AssertionError("expected NotFoundError")
