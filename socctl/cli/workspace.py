"""``socctl init``: create a workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from socctl.cli.context import state
from socctl.cli.output import console
from socctl.i18n import t
from socctl.workspace import init_workspace


def init(
    ctx: typer.Context,
    directory: Path = typer.Argument(..., help="Directory to create the workspace in."),
) -> None:
    """Create a workspace: socctl.toml, systems/, drills/, trust/, rules/, playbooks/, .socctl/."""
    ws = init_workspace(directory)
    flag = state(ctx).lang
    lang = flag.value if flag is not None else ws.settings.lang  # the new workspace's setting
    console().print(t("init.done", lang, path=ws.root), markup=False)
