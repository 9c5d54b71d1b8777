"""Scoring models of drills (``playbooks/scoring/<id>.yaml``) and the arithmetic they define.

Red: a validated finding, first finder only, scores
``base × severity[CVSS rating] × (1 + Σ criteria[grade]) × level[target level] × (1 + early_bonus × (1 − elapsed))``
with ``elapsed`` the share of the window gone when it was found. Blue: per attack step an alert
matched, ``detect × 0.5 ^ (time to detect / half_life)``, plus ``report`` within the deadline and
``contain``; penalties for late or missing reports and for successful steps no alert matched.
Readiness: ``points × uptime`` per target system. Every weight is data; none has a code default.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from socctl.drills.playbook import playbook_path
from socctl.errors import InputError
from socctl.storage.yamlio import load_model
from socctl.workspace import Workspace

SCORING_DIR = "scoring"
NonNegative = Field(ge=0)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Model):
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Severity(_Model):
    """Weight per CVSS qualitative rating (v3.1 and v4.0 share the scale)."""

    none: float = NonNegative
    low: float = NonNegative
    medium: float = NonNegative
    high: float = NonNegative
    critical: float = NonNegative


class CriteriaWeights(_Model):
    """Added to the factor ``1 + Σ`` per Vietnamese impact criterion, by its grade."""

    none: float = NonNegative
    low: float = NonNegative
    high: float = NonNegative


class RedWeights(_Model):
    base: float = NonNegative
    severity: Severity
    criteria: CriteriaWeights
    #: Factor by the target system's security level, "1" to "5".
    level: dict[str, float]
    #: Factor for a system whose level the inventory cannot compute.
    unknown_level: float = NonNegative
    early_bonus: float = NonNegative

    @field_validator("level")
    @classmethod
    def _five_levels(cls, value: dict[str, float]) -> dict[str, float]:
        wanted = [str(n) for n in range(1, 6)]
        if sorted(value) != wanted:
            raise ValueError(
                'give a factor for each level 1 to 5, e.g. level: {"1": 1.0, …, "5": 2.0}'
            )
        if any(factor < 0 for factor in value.values()):
            raise ValueError("level factors must be 0 or more")
        return value


class BlueWeights(_Model):
    detect: float = NonNegative
    detect_half_life_minutes: float = Field(gt=0)
    report: float = NonNegative
    report_deadline_hours: float = Field(gt=0)
    contain: float = NonNegative


class Readiness(_Model):
    points: float = NonNegative


class Penalties(_Model):
    late_report: float = NonNegative
    missing_report: float = NonNegative
    undetected_compromise: float = NonNegative


class ScoringModel(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str = Field(min_length=1)
    title: Title
    sources: list[str] = Field(min_length=1)
    red: RedWeights
    blue: BlueWeights
    readiness: Readiness
    penalties: Penalties

    def finding_points(
        self,
        rating: str,
        grades: tuple[str, str, str],
        level: int | None,
        elapsed: float,
    ) -> float:
        """Red points of one validated, first-found finding (see the module docstring)."""
        red = self.red
        severity = getattr(red.severity, rating)
        criteria = 1 + sum(getattr(red.criteria, grade) for grade in grades)
        by_level = red.level[str(level)] if level is not None else red.unknown_level
        timing = 1 + red.early_bonus * (1 - min(max(elapsed, 0.0), 1.0))
        return red.base * severity * criteria * by_level * timing

    def detect_points(self, minutes_to_detect: float) -> float:
        """Blue points of one detected step, halved every ``detect_half_life_minutes``."""
        half_life = self.blue.detect_half_life_minutes
        return self.blue.detect * 0.5 ** (max(minutes_to_detect, 0.0) / half_life)


def cvss_score(vector: str) -> tuple[float, str]:
    """Base score and qualitative rating (lower case) of a CVSS v3.1 or v4.0 vector."""
    try:
        if vector.startswith("CVSS:4.0/"):
            v4 = CVSS4(vector)
            return float(v4.base_score), str(v4.severity).lower()
        if vector.startswith(("CVSS:3.1/", "CVSS:3.0/")):
            v3 = CVSS3(vector)
            return float(v3.scores()[0]), str(v3.severities()[0]).lower()
    except CVSSError as exc:
        raise InputError(
            f"CVSS vector '{vector}' is not valid: {exc}",
            hint="give a full base vector, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ) from None
    raise InputError(
        f"'{vector}' is not a CVSS v3.1 or v4.0 vector",
        hint="start it with CVSS:3.1/ or CVSS:4.0/",
    )


def model_path(ws: Workspace | None, model_id: str) -> Path:
    """The workspace's ``playbooks/scoring/<id>.yaml`` if there is one, else the shipped one."""
    return playbook_path(ws, SCORING_DIR, model_id, "scoring model")


def load_scoring(ws: Workspace | None, model_id: str, version: str | None = None) -> ScoringModel:
    """Load and validate a scoring model; ``version`` (the one a drill fixed) must match."""
    path = model_path(ws, model_id)
    model = load_model(path, ScoringModel)
    if model.id != model_id:
        raise InputError(
            f"field 'id': '{model.id}' does not match the file name",
            path=path,
            hint=f"set id: {model_id}",
        )
    if version is not None and model.version != version:
        raise InputError(
            f"the drill was started with version {version} of '{model_id}', the file holds {model.version}",
            path=path,
            hint="score with the version the drill fixed (restore it), or restart the drill",
        )
    return model


def elapsed_share(moment: datetime, start: datetime, end: datetime) -> float:
    """How much of the window [start, end] had gone at ``moment``, from 0 to 1."""
    return (moment - start).total_seconds() / (end - start).total_seconds()
