"""``socctl init``: create a workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from socctl.cli.output import console
from socctl.workspace import init_workspace


def init(
    directory: Path = typer.Argument(..., help="Directory to create the workspace in."),
) -> None:
    """Create a workspace: socctl.toml, systems/, drills/, trust/, rules/, playbooks/, .socctl/."""
    ws = init_workspace(directory)
    console().print(f"Initialised socctl workspace in {ws.root}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
