"""The workspace: a git-friendly directory of systems, drills, trust and local content."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socctl.config import Settings, load_settings
from socctl.errors import InputError, NotFoundError, UsageError
from socctl.storage import atomic_write, workspace_lock

CONFIG_NAME = "socctl.toml"
STATE_DIR = ".socctl"

_CONFIG_TEMPLATE = """\
# socctl workspace configuration. Precedence: flags > SOCCTL_* environment > this file > defaults.
# Secrets never go here: use SOCCTL_ELASTICSEARCH__API_KEY or elasticsearch.api_key_file.

# lang = "en"                    # terminal language: en | vi (documents are Vietnamese)
# timezone = "Asia/Ho_Chi_Minh"

[detection]
# store = "embedded"             # embedded | elasticsearch
# rules = ["rules"]              # extra Sigma rule paths, added to the shipped rules
# cache = true
# workers = 0                    # 0 = one per core

[inventory]
# regime = "auto"                # auto | nd85 | nd331

[elasticsearch]
# hosts = ["https://es.soc.haiphong.gov.vn:9200"]
# api_key_file = "/etc/socctl/es-api-key"
# ca_certs = "/etc/socctl/ca.pem"
"""

_GITIGNORE = "# machine state: embedded log store, alert store, caches\n.socctl/\n"


@dataclass
class Workspace:
    """A workspace rooted at ``root``; settings resolved with the usual precedence."""

    root: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    #: Called once when a write has to wait for another command's lock (the CLI says so).
    on_lock_wait: Callable[[], None] | None = field(default=None, repr=False)
    _settings: Settings | None = field(default=None, init=False, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def systems_dir(self) -> Path:
        return self.root / "systems"

    @property
    def dossiers_dir(self) -> Path:
        return self.root / "dossiers"

    @property
    def drills_dir(self) -> Path:
        return self.root / "drills"

    @property
    def trust_dir(self) -> Path:
        return self.root / "trust"

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def playbooks_dir(self) -> Path:
        return self.root / "playbooks"

    @property
    def report_overrides(self) -> Path | None:
        """The workspace's ``reports/`` templates that override the shipped ones, if it has any."""
        folder = self.root / "reports"
        return folder if folder.is_dir() else None

    @property
    def state_dir(self) -> Path:
        """Machine state (git-ignored): log store, alert store, caches."""
        return self.root / STATE_DIR

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path, self.overrides)
        return self._settings

    @contextmanager
    def lock(self, name: str = "write") -> Iterator[None]:
        """Hold the workspace's writer lock."""
        with workspace_lock(self.state_dir, name, on_wait=self.on_lock_wait):
            yield


def find_workspace(explicit: Path | None = None, *, start: Path | None = None) -> Path | None:
    """``--workspace``, else ``SOCCTL_WORKSPACE``, else the nearest parent holding socctl.toml."""
    if explicit is not None:
        return explicit
    env = os.environ.get("SOCCTL_WORKSPACE")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    return None


def open_workspace(path: Path | None, overrides: dict[str, Any] | None = None) -> Workspace:
    """Open the workspace at ``path`` (as found by :func:`find_workspace`) or fail clearly."""
    if path is None:
        raise NotFoundError(
            "no socctl workspace here or in any parent directory",
            hint="run 'socctl init DIR', or pass --workspace / set SOCCTL_WORKSPACE",
        )
    if not (path / CONFIG_NAME).is_file():
        raise NotFoundError(
            f"not a socctl workspace (no {CONFIG_NAME})",
            path=path,
            hint="run 'socctl init DIR' first",
        )
    return Workspace(path.resolve(), overrides or {})


def init_workspace(path: Path) -> Workspace:
    """Create a workspace at ``path`` (an existing workspace is left as it is)."""
    if path.exists() and not path.is_dir():
        raise UsageError("exists and is not a directory", path=path, hint="choose another path")
    if (path / CONFIG_NAME).exists():
        raise UsageError("is already a socctl workspace", path=path)
    ws = Workspace(path.resolve())
    try:
        for directory in (
            ws.systems_dir,
            ws.dossiers_dir,
            ws.drills_dir,
            ws.trust_dir,
            ws.rules_dir,
            ws.playbooks_dir,
        ):
            directory.mkdir(parents=True, exist_ok=True)
            if not any(directory.iterdir()):
                (directory / ".gitkeep").touch()
        ws.state_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the workspace: {exc.strerror or exc}",
            path=exc.filename or path,
            hint="choose a writable place with free space",
        ) from None
    if not (ws.root / ".gitignore").exists():
        atomic_write(ws.root / ".gitignore", _GITIGNORE)
    if shutil.which("git") and not (ws.root / ".git").exists():
        subprocess.run(["git", "init", "-q", str(ws.root)], check=False, capture_output=True)
    # written last: a directory only counts as a workspace once everything else is in place
    atomic_write(ws.config_path, _CONFIG_TEMPLATE)
    return ws
