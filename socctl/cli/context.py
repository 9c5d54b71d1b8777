"""What every command shares: the global options and the workspace they point to."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from socctl.workspace import Workspace


class Lang(StrEnum):
    vi = "vi"
    en = "en"


@dataclass
class AppState:
    workspace_path: Path | None = None
    lang: Lang | None = None
    _workspace: Workspace | None = field(default=None, init=False)

    def workspace(self) -> Workspace:
        """The workspace the command works in; fails clearly when there is none."""
        from socctl.workspace import find_workspace, open_workspace

        if self._workspace is None:
            self._workspace = open_workspace(find_workspace(self.workspace_path))
            self._workspace.on_lock_wait = self._say_waiting
        return self._workspace

    def _say_waiting(self) -> None:
        from socctl.cli.output import err_console
        from socctl.i18n import t

        err_console.print(t("lock.waiting", self.terminal_lang()), markup=False)

    def optional_workspace(self) -> Workspace | None:
        """The workspace if one is found, else None (for commands that work without one)."""
        from socctl.workspace import find_workspace

        path = find_workspace(self.workspace_path)
        if path is None or not (path / "socctl.toml").is_file():
            return None
        return self.workspace()

    def terminal_lang(self) -> str:
        """Language of terminal output: --lang, else the workspace setting, else English."""
        if self.lang is not None:
            return self.lang.value
        ws = self.optional_workspace()
        if ws is not None:
            return ws.settings.lang
        from socctl.config import load_settings

        return load_settings(None).lang

    def document_lang(self) -> str:
        """Language of documents (dossiers, reports): --lang, else Vietnamese."""
        return self.lang.value if self.lang is not None else "vi"


def state(ctx: typer.Context) -> AppState:
    """The AppState of the running command."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj
