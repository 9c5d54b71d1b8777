"""A drill as fixed by ``drill start``: ``drills/<id>/drill.yaml``, signed by the controller.

The spec names the targets (inventory systems and their hosts), the teams and their members'
keys, the window, the rules of engagement, the scoring model and where the logs are.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import Slug
from socctl.workspace import Workspace

SPEC_NAME = "drill.yaml"
SIGNATURE_NAME = "drill.sig.yaml"
JOURNAL_DIR = "journal"
EVIDENCE_DIR = "evidence"
#: Drill ids: a year, then lower-case letters, digits and '-' (e.g. 2026-hp-01).
DRILL_ID = re.compile(r"^(19|20)\d\d-[a-z0-9](?:[a-z0-9-]{0,40}[a-z0-9])?$")


class TeamRole(StrEnum):
    """What a team does in a drill; it limits what its members may log."""

    red = "red"  # đội tấn công
    blue = "blue"  # đội phòng thủ (on-site team, city SOC)
    controller = "controller"  # ban tổ chức / trọng tài


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-11-20T08:00:00+07:00")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Model):
    """An inventory system under attack and the hosts of it that are in scope."""

    system: Slug
    hosts: list[str] = Field(min_length=1)


class Team(_Model):
    id: Slug
    name: str = Field(min_length=1)
    role: TeamRole
    agency: str | None = None
    #: Trust key slugs (``trust/<slug>.yaml``) of the team's members.
    members: list[Slug] = Field(min_length=1)


class Window(_Model):
    start: AwareDatetime
    end: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError("the window must end after it starts")
        return self

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment <= self.end


class LogSources(_Model):
    """What ``drill correlate`` runs the detections over: log files, or a store index."""

    paths: list[str] = Field(default_factory=list)
    index: str | None = None


class DrillDefinition(_Model):
    """What the controller fixes for a drill (the file given to ``drill start``)."""

    title: str = Field(min_length=1)
    scenarios: list[Slug] = Field(min_length=1)
    targets: list[Target] = Field(min_length=1)
    teams: list[Team] = Field(min_length=1)
    window: Window
    engagement: Slug
    scoring: Slug
    scoring_version: str | None = None
    logs: LogSources = Field(default_factory=LogSources)
    report_deadline_hours: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _consistent(self) -> DrillDefinition:
        team_ids = [team.id for team in self.teams]
        if len(set(team_ids)) != len(team_ids):
            raise ValueError("two teams have the same id")
        members = [member for team in self.teams for member in team.members]
        doubled = sorted({m for m in members if members.count(m) > 1})
        if doubled:
            raise ValueError(f"key {doubled[0]} is in more than one team; a key has one role")
        if not any(team.role is TeamRole.controller for team in self.teams):
            raise ValueError("a drill needs a controller team")
        systems = [target.system for target in self.targets]
        if len(set(systems)) != len(systems):
            raise ValueError("a system is named twice in targets")
        return self


class DrillSpec(DrillDefinition):
    """A started drill: its definition, id and year, and who fixed it when."""

    id: str = Field(pattern=DRILL_ID.pattern)
    year: int = Field(ge=2000, le=2100)
    #: Who fixed the drill (controller key slug) and when.
    created_by: Slug
    created_at: AwareDatetime

    _closed_at: datetime | None = PrivateAttr(default=None)

    @property
    def status(self) -> Literal["open", "closed"]:
        """``closed`` once the controller's journal holds a close entry (as ``load_spec`` read it)."""
        return "closed" if self._closed_at is not None else "open"

    @property
    def closed_at(self) -> datetime | None:
        return self._closed_at

    def team_of(self, key_slug: str) -> Team | None:
        """The team a key belongs to, if any."""
        return next((team for team in self.teams if key_slug in team.members), None)

    def target_of(self, host: str) -> Target | None:
        """The target whose hosts include ``host`` (case-insensitive), if any."""
        wanted = host.strip().lower()
        return next(
            (t for t in self.targets if any(h.lower() == wanted for h in t.hosts)),
            None,
        )


def check_drill_id(drill_id: str) -> str:
    if not DRILL_ID.match(drill_id):
        raise InputError(
            f"'{drill_id}' is not a drill id",
            hint="use the year, then letters, digits and '-', e.g. 2026-hp-01",
        )
    return drill_id


def drill_dir(ws: Workspace, drill_id: str) -> Path:
    """``drills/<id>/`` of the workspace (the id checked to be a safe name)."""
    return ws.drills_dir / check_drill_id(drill_id)


def drill_ids(ws: Workspace) -> list[str]:
    """Ids of the drills started in the workspace (folders holding a drill.yaml), sorted."""
    if not ws.drills_dir.is_dir():
        return []
    return sorted(
        path.name
        for path in ws.drills_dir.iterdir()
        if DRILL_ID.match(path.name) and (path / SPEC_NAME).is_file()
    )


def load_spec(ws: Workspace, drill_id: str) -> DrillSpec:
    """Read ``drills/<id>/drill.yaml``; its status comes from the journal's close entry.

    The controller's signature over the spec is checked by ``drill verify``
    (:func:`socctl.drills.journal.verify_journal`), not here.
    """
    from socctl.drills.journal import find_close  # the journal module imports this one
    from socctl.storage.yamlio import load_model

    path = drill_dir(ws, drill_id) / SPEC_NAME
    if not path.is_file():
        raise NotFoundError(
            f"no drill '{drill_id}'", path=path, hint="see 'socctl drill list' or start it first"
        )
    spec = load_model(path, DrillSpec)
    if spec.id != drill_id:
        raise InputError(
            f"field 'id': '{spec.id}' does not match the folder name",
            path=path,
            hint=f"set id: {drill_id}",
        )
    spec._closed_at = find_close(ws, spec)
    return spec
