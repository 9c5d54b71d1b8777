"""What the engine yields: a rule that matched one event, or a correlation over a window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from socctl.detection.event import Event


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """The parts of a Sigma rule an alert shows (light and picklable)."""

    id: str
    title: str
    level: str | None
    status: str | None
    tags: tuple[str, ...] = ()
    techniques: tuple[str, ...] = ()
    path: str | None = None


@dataclass(slots=True)
class Match:
    """One rule hit: ``events`` holds one event, or a correlation window's events."""

    rule: RuleInfo
    events: list[Event]
    group: dict[str, Any] = field(default_factory=dict)
    window: tuple[datetime, datetime] | None = None

    @property
    def is_correlation(self) -> bool:
        return self.window is not None
