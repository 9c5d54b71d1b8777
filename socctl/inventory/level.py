"""The proposed security level of a system under a regime, with every criterion that matched.

One matching criterion suffices and the highest matching level wins (ND85 Art. 7-11, ND331
Art. 8.2); a system made of components takes the highest level over itself and its components
(ND85 Art. 5.2). A level the Prime Minister designated (``designated_level``) or a cybersecurity
risk assessment calls for (``risk_assessed_level``, ND331 Art. 10.5) counts where the regime has a
criterion for it; otherwise a warning says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socctl.errors import InputError
from socctl.inventory.regime import Criterion, Regime, classification_facts
from socctl.inventory.system import System

#: Classification fields that state a level outright (a decision, a risk assessment).
LEVEL_FIELDS = ("designated_level", "risk_assessed_level")


class NoCriterionMet(InputError):
    """The system's classification meets no level criterion of the regime (yet)."""


@dataclass(frozen=True)
class Reason:
    """A criterion that matched, on the system itself (``component`` None) or on a component."""

    criterion: Criterion
    component: str | None = None

    @property
    def level(self) -> int:
        return self.criterion.level

    @property
    def article(self) -> str:
        return self.criterion.article

    def describe(self) -> str:
        where = f" [component {self.component}]" if self.component else ""
        return self.criterion.summary + where


@dataclass(frozen=True)
class LevelResult:
    system: str
    regime: str
    level: int
    reasons: tuple[Reason, ...]
    warnings: tuple[str, ...] = ()

    def deciding(self) -> tuple[Reason, ...]:
        """The reasons at the resulting level."""
        return tuple(r for r in self.reasons if r.level == self.level)

    def to_json(self) -> dict[str, Any]:
        """The shape ``socctl system level --format json`` prints."""
        return {
            "system": self.system,
            "regime": self.regime,
            "level": self.level,
            "reasons": [
                {"level": r.level, "criterion": r.describe(), "article": r.article}
                for r in self.reasons
            ],
        }


def compute_level(system: System, regime: Regime) -> LevelResult:
    """Every criterion of ``regime`` that ``system`` or one of its components meets; highest wins.

    A component's reason is listed only when the system's own classification does not already
    meet that criterion. Raises ``NoCriterionMet`` when nothing matches (an incomplete classification).
    """
    reasons: list[Reason] = []
    on_system: set[str] = set()
    for component, classification in system.component_classifications():
        facts = classification_facts(classification)
        for criterion in regime.criteria:
            if criterion.id in on_system or not criterion.when.matches(facts):
                continue
            if component is None:
                on_system.add(criterion.id)
            reasons.append(Reason(criterion, component))
    if not reasons:
        raise NoCriterionMet(
            f"system '{system.id}' meets no level criterion of {regime.id}",
            hint="complete its classification (e.g. construction_grade for industrial control, "
            "infrastructure_scope for infrastructure)",
        )
    reasons.sort(key=lambda r: -r.level)
    level = reasons[0].level
    warnings = _unmatched_level_fields(system, regime, level)
    if regime.risk_assessment_required and system.classification.risk_assessed_level is None:
        warnings.append(
            f"no cybersecurity risk assessment recorded: {regime.risk_assessment_required} "
            "requires one when the level is determined (record its result as "
            "classification.risk_assessed_level)"
        )
    return LevelResult(system.id, regime.id, level, tuple(reasons), tuple(warnings))


def _unmatched_level_fields(system: System, regime: Regime, level: int) -> list[str]:
    """Warnings for a designated or risk-assessed level above ``level`` that no criterion took."""
    warnings = []
    for component, classification in system.component_classifications():
        for field in LEVEL_FIELDS:
            value = getattr(classification, field)
            inherited = component is not None and value == getattr(system.classification, field)
            if value is None or value <= level or inherited:
                continue
            where = f"component {component}" if component else "the system"
            warnings.append(
                f"{field} {value} of {where} is not a criterion of {regime.id}; "
                f"the proposed level stays {level} (check the decision and the regime)"
            )
    return warnings
