"""The go-live gate: may this system operate? ("security by design", city strategy part III.7).

A system passes only with a verified approval of its current dossier at least at the level it
computes to today, and with its periodic assessment not overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from socctl.inventory.dossier import (
    Dossier,
    assess,
    dossier_path,
    load_dossier,
    reassessment_due,
    recorded_state,
    rules_for,
    verify_dossier,
)
from socctl.inventory.store import SystemStore
from socctl.trust.store import load_trust
from socctl.workspace import Workspace


@dataclass(frozen=True)
class GateResult:
    system: str
    passed: bool
    reason: str
    level: int
    approved_level: int | None = None
    reassessment_due: date | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "system": self.system,
            "passed": self.passed,
            "reason": self.reason,
            "level": self.level,
            "approved_level": self.approved_level,
            "reassessment_due": self.reassessment_due,
        }


def as_of(dossier: Dossier, day: date) -> Dossier:
    """The dossier as it stood on ``day``: steps dated after it had not been taken yet."""
    taken = [step for step in dossier.history if step.date <= day]
    return dossier.model_copy(update={"history": taken})


def check_gate(ws: Workspace, system_id: str, today: date) -> GateResult:
    """Whether ``system_id`` may go live (or keep operating) on ``today``, and why; only the
    steps taken by ``today`` count."""
    system = SystemStore(ws).get(system_id)
    level = assess(ws, system, today).level

    def fail(reason: str, approved: int | None = None) -> GateResult:
        return GateResult(system_id, False, reason, level, approved)

    if not dossier_path(ws, system_id).is_file():
        return fail(f"no dossier: level {level} has never been proposed or approved")
    dossier = as_of(load_dossier(ws, system_id), today)
    verification = verify_dossier(dossier, load_trust(ws))
    if not verification.ok:
        return fail(f"the dossier does not verify: {verification.problems()[0]}")
    approval = verification.approval()
    if approval is None:
        state = recorded_state(dossier).value
        return fail(f"no approval: the dossier is {state}")
    if approval.level < level:
        return fail(
            f"approved at level {approval.level}, but the system now computes to level {level}",
            approval.level,
        )
    rules = rules_for(dossier.regime, dossier.proposed_level)
    running = reassessment_due(dossier, system, rules, today)
    if running is not None and running.overdue:
        return GateResult(
            system_id,
            False,
            f"periodic assessment overdue since {running.due.isoformat()} ({running.article})",
            level,
            approval.level,
            running.due,
        )
    decision = approval.decision_number or "?"
    return GateResult(
        system_id,
        True,
        f"approved at level {approval.level} (decision {decision} of {approval.date.isoformat()})",
        level,
        approval.level,
        running.due if running else None,
    )
