"""The drill journal: one signed, hash-chained, append-only chain per author.

``drills/<id>/journal/<key-slug>.jsonl`` holds one entry per line, written by that key only.
Each line is the canonical JSON of an entry (sorted keys, compact, UTF-8); the entry's
``signature`` is its author's Ed25519 signature over the same JSON without the signature, and
its hash (SHA-256 of those bytes) is the next entry's ``prev``. The controller's chain also
carries checkpoints: the (seq, hash) head of every chain at that moment, so that removing the
last entries of a chain is found too. Different authors never write the same file, so copies
of a workspace synced with git merge without conflicts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from socctl.drills.spec import JOURNAL_DIR, AwareDatetime, DrillSpec, TeamRole, drill_dir
from socctl.workspace import Workspace

#: ``prev`` of the first entry of a chain.
GENESIS = "0" * 64
#: Entry kinds each team role may log.
ALLOWED_KINDS: dict[TeamRole, frozenset[str]] = {
    TeamRole.red: frozenset({"attack", "finding"}),
    TeamRole.blue: frozenset({"detect", "report", "contain"}),
    TeamRole.controller: frozenset({"validate", "close", "checkpoint"}),
}


class Outcome(StrEnum):
    success = "success"
    failure = "failure"
    blocked = "blocked"


class Impact(StrEnum):
    """One of the three Vietnamese impact criteria, graded."""

    none = "none"
    low = "low"
    high = "high"


class Verdict(StrEnum):
    valid = "valid"
    rejected = "rejected"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Model):
    """An evidence file, copied to ``drills/<id>/evidence/<sha256>``."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1)


class Criteria(_Model):
    """Impact on system resources, on data, on users (tài nguyên hệ thống, dữ liệu, người dùng)."""

    resources: Impact
    data: Impact
    users: Impact


class Head(_Model):
    seq: int = Field(ge=1)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class _Entry(_Model):
    """Fields every entry has: who wrote it, where it sits in its chain, its signature."""

    drill: str
    author: str = Field(description="the author's key fingerprint, SHA256:…")
    role: TeamRole
    team: str
    seq: int = Field(ge=1)
    prev: str = Field(pattern=r"^[0-9a-f]{64}$")
    logged_at: AwareDatetime
    signature: str = ""


class AttackEntry(_Entry):
    kind: Literal["attack"] = "attack"
    step_id: str = Field(min_length=1)
    #: The scenario step this action carries out, as ``scenario-id/step-id``.
    scenario_step: str | None = None
    technique: str
    host: str
    system: str
    at: AwareDatetime
    outcome: Outcome
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""


class FindingEntry(_Entry):
    kind: Literal["finding"] = "finding"
    finding_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    cvss_vector: str
    criteria: Criteria
    evidence: list[Evidence] = Field(min_length=1)
    steps: list[str] = Field(default_factory=list)
    host: str
    system: str
    at: AwareDatetime
    note: str = ""


class DetectEntry(_Entry):
    kind: Literal["detect"] = "detect"
    at: AwareDatetime
    host: str | None = None
    system: str | None = None
    technique: str | None = None
    step_id: str | None = None
    alert_id: str | None = None
    note: str = ""


class ReportEntry(_Entry):
    kind: Literal["report"] = "report"
    at: AwareDatetime
    #: To whom, e.g. "Công an thành phố", "Sở KH&CN".
    to: str = Field(min_length=1)
    incident: str = Field(min_length=1)
    step_ids: list[str] = Field(default_factory=list)
    note: str = ""


class ContainEntry(_Entry):
    kind: Literal["contain"] = "contain"
    at: AwareDatetime
    host: str
    system: str
    step_ids: list[str] = Field(default_factory=list)
    action: str = Field(min_length=1)


class ValidateEntry(_Entry):
    kind: Literal["validate"] = "validate"
    finding_id: str
    verdict: Verdict
    reason: str = Field(min_length=1)


class CloseEntry(_Entry):
    kind: Literal["close"] = "close"
    at: AwareDatetime


class CheckpointEntry(_Entry):
    kind: Literal["checkpoint"] = "checkpoint"
    #: Head of every chain at the checkpoint, by author fingerprint.
    heads: dict[str, Head]


Entry = Annotated[
    AttackEntry
    | FindingEntry
    | DetectEntry
    | ReportEntry
    | ContainEntry
    | ValidateEntry
    | CloseEntry
    | CheckpointEntry,
    Field(discriminator="kind"),
]
ENTRY_ADAPTER: TypeAdapter[Entry] = TypeAdapter(Entry)
E = TypeVar("E", bound=_Entry)


def journal_dir(ws: Workspace, drill_id: str) -> Path:
    return drill_dir(ws, drill_id) / JOURNAL_DIR


def entry_hash(payload: bytes) -> str:
    """The hash of an entry: SHA-256 hex of its canonical JSON without the signature."""
    return hashlib.sha256(payload).hexdigest()


def find_close(ws: Workspace, spec: DrillSpec) -> datetime | None:
    """When the drill was closed, from the controllers' chains (unverified: a quick status)."""
    controllers = [m for t in spec.teams if t.role is TeamRole.controller for m in t.members]
    folder = journal_dir(ws, spec.id)
    for slug in controllers:
        path = folder / f"{slug}.jsonl"
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            for line in handle:
                if b'"kind":"close"' in line:
                    entry = ENTRY_ADAPTER.validate_json(line)
                    if isinstance(entry, CloseEntry):
                        return entry.at
    return None


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journal, where it is: ``file:line`` and author+seq."""

    kind: Literal[
        "edited",
        "removed",
        "reordered",
        "replayed",
        "forged",
        "unknown-key",
        "wrong-role",
        "broken-chain",
        "malformed",
        "spec",
    ]
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class JournalCheck:
    """What ``verify_journal`` found: the problems (none when intact), entries and chain heads."""

    drill_id: str
    problems: list[Problem]
    entries: list[Entry]
    heads: dict[str, Head]
    chains: int

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Journal:
    """A verified journal: its entries in time order (``logged_at``, author, seq)."""

    drill_id: str
    entries: list[Entry]
    heads: dict[str, Head] = field(default_factory=dict)

    def _of(self, kind: type[E]) -> list[E]:
        return [entry for entry in self.entries if isinstance(entry, kind)]

    @property
    def attacks(self) -> list[AttackEntry]:
        return self._of(AttackEntry)

    @property
    def findings(self) -> list[FindingEntry]:
        return self._of(FindingEntry)

    @property
    def detections(self) -> list[DetectEntry]:
        return self._of(DetectEntry)

    @property
    def reports(self) -> list[ReportEntry]:
        return self._of(ReportEntry)

    @property
    def containments(self) -> list[ContainEntry]:
        return self._of(ContainEntry)

    @property
    def validations(self) -> list[ValidateEntry]:
        return self._of(ValidateEntry)

    @property
    def closed_at(self) -> datetime | None:
        closes = self._of(CloseEntry)
        return closes[0].at if closes else None

    @property
    def digest(self) -> str:
        """SHA-256 hex over every chain's head (author fingerprint, seq, hash), sorted: the same
        journal always gives the same digest, any change to any chain changes it."""
        text = "".join(f"{a}\t{h.seq}\t{h.hash}\n" for a, h in sorted(self.heads.items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
