"""The systems of a workspace: one validated ``systems/<id>.yaml`` per system."""

from __future__ import annotations

from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import SLUG, Status, System
from socctl.storage import atomic_write
from socctl.storage.yamlio import dump_yaml, load_model, parse_model, read_text
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from socctl.inventory.level import LevelResult

SUFFIX = ".yaml"


def check_id(system_id: str) -> str:
    """``system_id`` if it is a slug (so also a safe file name); else a clear error."""
    if not SLUG.match(system_id):
        raise InputError(
            f"'{system_id}' is not a system id",
            hint="use lower-case letters, digits and '-' (no '/', '..' or spaces), e.g. cong-dvc",
        )
    return system_id


def load_system_file(path: Path) -> System:
    """Load and validate a system file from anywhere (e.g. the file given to ``system add``)."""
    return load_model(path, System)


def parse_system(text: str, source: str) -> System:
    """Validate system YAML text (``source`` names it in errors)."""
    return parse_model(text, System, source)


def _plain(value: Any) -> Any:
    """Python-mode model data with enums as their values, so dates stay YAML dates."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value.value if isinstance(value, Enum) else value


def system_yaml(system: System) -> str:
    """A system as YAML, keeping only the fields its author set (or an update changed)."""
    return dump_yaml(_plain(system.model_dump(exclude_unset=True)))


class SystemStore:
    """List, read, add, replace and retire the systems of ``ws``; writers hold the workspace lock."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.root = ws.systems_dir

    def path_for(self, system_id: str) -> Path:
        return self.root / f"{check_id(system_id)}{SUFFIX}"

    def ids(self) -> list[str]:
        """Ids of the stored systems (file names), sorted."""
        if not self.root.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.root.glob(f"*{SUFFIX}"))

    def _load(self, path: Path) -> System:
        if path.is_symlink() or path.resolve().parent != self.root.resolve():
            raise InputError(
                "is a link out of the systems folder",
                path=path,
                hint="replace it by the system file itself",
            )
        system = load_system_file(path)
        if system.id != path.name[: -len(SUFFIX)]:
            raise InputError(
                f"field 'id': '{system.id}' does not match the file name",
                path=path,
                hint=f"set id: {path.name[: -len(SUFFIX)]}, or rename the file to {system.id}{SUFFIX}",
            )
        return system

    def exists(self, system_id: str) -> bool:
        return self.path_for(system_id).exists()

    def proposed_level(
        self, system: System, regime: str | None = None, today: date | None = None
    ) -> LevelResult:
        """The level ``system`` proposes under ``regime`` (default: the one that applies today)."""
        from socctl.inventory.level import compute_level  # regime data loads only when needed
        from socctl.inventory.regime import applicable_regime, load_regime

        if regime is not None:
            return compute_level(system, load_regime(regime))
        pinned = self.ws.settings.inventory.regime
        chosen = applicable_regime(system, pinned, today or date.today())
        return compute_level(system, chosen.regime)

    def level_or_none(self, system: System) -> int | None:
        """The proposed level, or None while the classification meets no criterion yet."""
        try:
            return self.proposed_level(system).level
        except InputError:
            return None

    def get(self, system_id: str) -> System:
        path = self.path_for(system_id)
        if not path.exists():
            raise NotFoundError(
                f"no system '{system_id}' in this workspace",
                path=self.root,
                hint="see 'socctl system list'",
            )
        return self._load(path)

    def list(self) -> list[System]:
        """Every stored system, sorted by id; the first invalid file stops with its error."""
        return [self._load(self.path_for(system_id)) for system_id in self.ids()]

    def read_text(self, system_id: str) -> str:
        """The stored YAML of a system as its author wrote it (comments included)."""
        self.get(system_id)
        return read_text(self.path_for(system_id))

    def add(self, system: System, text: str | None = None) -> Path:
        """Store a new system (``text``: its YAML as written, kept verbatim); refuse a duplicate id."""
        path = self.path_for(system.id)
        with self.ws.lock():
            if path.exists():
                raise InputError(
                    f"a system with id '{system.id}' already exists",
                    path=path,
                    hint="choose another id, or change it with 'socctl system edit'",
                )
            atomic_write(path, text if text is not None else system_yaml(system))
        return path

    def replace(self, system_id: str, text: str, source: str) -> System:
        """Replace a stored system by validated YAML ``text``; its id may not change."""
        system = parse_system(text, source)
        if system.id != system_id:
            raise InputError(
                f"field 'id': changed from '{system_id}' to '{system.id}'",
                path=source,
                hint=f"keep id: {system_id} (add the system under a new id with 'socctl system add')",
            )
        with self.ws.lock():
            self.get(system_id)
            atomic_write(self.path_for(system_id), text)
        return system

    def retire(self, system_id: str, on: date) -> System:
        """Mark a system retired on ``on``."""
        with self.ws.lock():
            system = self.get(system_id)
            if system.status is Status.retired:
                raise InputError(
                    f"system '{system_id}' is already retired",
                    path=self.path_for(system_id),
                    hint="nothing to do",
                )
            dates = system.dates.model_copy(update={"retired_on": on})
            retired = system.model_copy(update={"status": Status.retired, "dates": dates})
            atomic_write(self.path_for(system_id), system_yaml(retired))
        return retired
