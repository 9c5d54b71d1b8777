"""The systems of a workspace: one validated ``systems/<id>.yaml`` per system."""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import SLUG, Status, System
from socctl.storage import atomic_write
from socctl.storage.yamlio import compose_node, dump_yaml, parse_model, read_text
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from socctl.inventory.level import LevelResult

SUFFIX = ".yaml"
#: How a system id must be written, in words (errors name this, not the regular expression).
SLUG_RULE = "use lower-case letters, digits and '-', e.g. cong-dvc"


def check_id(system_id: str, path: Path | None = None) -> str:
    """``system_id`` if it is a slug (so also a safe file name); else a clear error."""
    if not SLUG.match(system_id):
        raise InputError(f"'{system_id}' is not a system id", path=path, hint=SLUG_RULE)
    return system_id


def load_system_file(path: Path) -> System:
    """Load and validate a system file from anywhere (e.g. the file given to ``system add``)."""
    return parse_system(read_text(path), str(path))


def parse_system(text: str, source: str) -> System:
    """Validate system YAML text (``source`` names it in errors)."""
    if compose_node(text, source) is None:
        raise InputError(
            "the file is empty: it should hold one system as a YAML mapping",
            path=source,
            hint="see assessments/examples/ for complete systems",
        )
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
        """Ids of the stored systems (file names), sorted; a file that cannot be a system file
        (wrong extension, a name that is not an id) is refused, so no system silently vanishes."""
        if not self.root.is_dir():
            return []
        ids = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix == ".yml":
                raise InputError(
                    "a system file must end in .yaml",
                    path=path,
                    hint=f"rename it to {path.with_suffix(SUFFIX).name}",
                )
            if path.suffix == SUFFIX:
                system_id = path.name[: -len(SUFFIX)]
                check_id(system_id, path)
                ids.append(system_id)
        return ids

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
        """The proposed level, or None while the classification meets no criterion yet (any
        other error, e.g. a broken configuration or regime, is raised)."""
        from socctl.inventory.level import NoCriterionMet

        try:
            return self.proposed_level(system).level
        except NoCriterionMet:
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

    def retire(self, system_id: str, on: date, today: date) -> System:
        """Mark a system retired on ``on`` by editing only its ``status`` and
        ``dates.retired_on`` lines: the rest of the file (comments included) stays as written."""
        with self.ws.lock():
            system = self.get(system_id)
            path = self.path_for(system_id)
            if system.status is Status.retired:
                raise InputError(
                    f"system '{system_id}' is already retired", path=path, hint="nothing to do"
                )
            _check_retirement_day(system, on, today)
            text = retired_text(read_text(path), on, path)
            retired = parse_system(text, str(path))
            dates = system.dates.model_copy(update={"retired_on": on})
            expected = system.model_copy(update={"status": Status.retired, "dates": dates})
            if retired.model_dump() != expected.model_dump():
                raise InputError(
                    "cannot mark the system retired by editing status and dates.retired_on",
                    path=path,
                    hint=f"set them with 'socctl system edit {system_id}'",
                )
            atomic_write(path, text)
        return retired


def _check_retirement_day(system: System, on: date, today: date) -> None:
    """Refuse a retirement in the future or before the system was built or operating."""
    if on > today:
        raise InputError(
            f"--on {on.isoformat()} is in the future",
            hint="retire a system on the day it stopped operating (today or earlier)",
        )
    for field in ("operating_since", "construction_started"):
        since = getattr(system.dates, field)
        if since is not None and on < since:
            raise InputError(
                f"--on {on.isoformat()} is before dates.{field} ({since.isoformat()})",
                hint=f"give a day on or after {since.isoformat()}",
            )


_STATUS_LINE = re.compile(r"^status:[^\n]*$", re.M)
_DATES_LINE = re.compile(r"^dates:[ \t]*(?:#[^\n]*)?$", re.M)
_DATES_ANY = re.compile(r"^dates:", re.M)


def _comment(line: str) -> str:
    """The trailing ``# comment`` of a simple ``key: value`` line, with its spacing."""
    found = re.search(r"[ \t]+#.*$", line)
    return found.group(0) if found else ""


def retired_text(text: str, on: date, path: Path) -> str:
    """``text`` with ``status: retired`` and ``dates.retired_on: on``; every other line kept."""
    if text and not text.endswith("\n"):
        text += "\n"
    status = _STATUS_LINE.search(text)
    if status:
        line = "status: retired" + _comment(status.group(0))
        text = text[: status.start()] + line + text[status.end() :]
    else:
        text += "status: retired\n"
    day = on.isoformat()
    dates = _DATES_LINE.search(text)
    if dates is None:
        if _DATES_ANY.search(text):  # e.g. a flow mapping: not edited by hand here
            raise InputError(
                "dates is not a block mapping, so socctl cannot add retired_on to it",
                path=path,
                hint="write dates as one key per line, or use 'socctl system edit'",
            )
        return text + f"dates:\n  retired_on: {day}\n"
    block = re.compile(r"\n((?:[ \t]*(?:#[^\n]*)?\n|[ \t]+[^\n]*\n)*)").match(text, dates.end())
    body = block.group(1) if block else ""
    body_start = dates.end() + 1
    existing = re.search(r"^([ \t]+)retired_on:[^\n]*$", body, re.M)
    if existing:
        line = f"{existing.group(1)}retired_on: {day}" + _comment(existing.group(0))
        start, end = body_start + existing.start(), body_start + existing.end()
        return text[:start] + line + text[end:]
    indent = re.search(r"^([ \t]+)[^\s#]", body, re.M)
    line = f"{indent.group(1) if indent else '  '}retired_on: {day}\n"
    return text[:body_start] + line + text[body_start:]
