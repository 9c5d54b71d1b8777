"""The city's security posture: systems by level and status, dossiers by state, overdue steps,
4-layer coverage (Directive 14/CT-TTg), systems operating without an approved level, and the
annual report dates (TT12 Art. 13-14 / ND331 Art. 35)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from socctl.i18n import labels, t
from socctl.inventory.dossier import (
    Clock,
    Reassessment,
    State,
    assess,
    clock,
    dossier_path,
    load_dossier,
    state_of,
    verify_dossier,
)
from socctl.inventory.regime import load_regime
from socctl.inventory.store import SystemStore
from socctl.inventory.system import Status, System
from socctl.reports.document import Document
from socctl.reports.svg import bar_chart, donut_chart, stacked_bar_chart
from socctl.timeutil import format_date_vi
from socctl.trust.store import TrustStore, load_trust
from socctl.workspace import Workspace

#: The four protection layers, in the order of Directive 14/CT-TTg (labels: ``layer.<name>``).
LAYERS = ("on_site_team", "monitoring", "independent_assessment", "national_monitoring")


@dataclass(frozen=True)
class SystemPosture:
    id: str
    name: str
    owner: str
    status: str
    regime: str
    level: int
    dossier: str  # a dossier State, or "none"
    approved_level: int | None
    problem: str | None  # why the dossier does not verify
    deadline: Clock | None
    layers: dict[str, bool]

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline.overdue

    @property
    def operating_without_approval(self) -> bool:
        return self.status == Status.operating.value and (
            self.approved_level is None or self.approved_level < self.level
        )

    def as_row(self) -> dict[str, Any]:
        return {
            "system": self.id,
            "name": self.name,
            "owner": self.owner,
            "status": self.status,
            "regime": self.regime,
            "level": self.level,
            "dossier": self.dossier,
            "approved_level": self.approved_level,
            "awaiting": self.deadline.awaiting if self.deadline else None,
            "due": self.deadline.due if self.deadline else None,
            "overdue": self.overdue,
            "without_approval": self.operating_without_approval,
            "layers": sum(self.layers.values()),
            "problem": self.problem,
        }


@dataclass(frozen=True)
class ReportDue:
    """One annual-report submission due in the reporting year that contains ``as_of``."""

    regime: str
    period_from: date
    period_to: date
    by: list[str]  # trust roles, for machines
    by_authority: str  # who the law names, for documents
    to: str
    to_authority: str
    before: date
    article: str


@dataclass(frozen=True)
class Posture:
    as_of: date
    systems: list[SystemPosture]
    annual_reports: list[ReportDue] = field(default_factory=list)

    def by_level_and_status(self) -> list[dict[str, Any]]:
        counts = Counter((s.level, s.status) for s in self.systems)
        statuses = [s.value for s in Status]
        return [
            {"level": level, **{status: counts[(level, status)] for status in statuses}}
            for level in range(1, 6)
        ]

    def dossiers_by_state(self) -> dict[str, int]:
        counts = Counter(s.dossier for s in self.systems)
        return {state: counts[state] for state in ["none", *(s.value for s in State)]}

    def overdue(self) -> list[SystemPosture]:
        return [s for s in self.systems if s.overdue]

    def without_approval(self) -> list[SystemPosture]:
        return [s for s in self.systems if s.operating_without_approval]

    def layer_coverage(self) -> dict[str, int]:
        active = [s for s in self.systems if s.status != Status.retired.value]
        return {layer: sum(s.layers[layer] for s in active) for layer in LAYERS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "systems": [s.as_row() for s in self.systems],
            "by_level_and_status": self.by_level_and_status(),
            "dossiers_by_state": self.dossiers_by_state(),
            "overdue": [s.as_row() for s in self.overdue()],
            "operating_without_approval": [s.id for s in self.without_approval()],
            "layer_coverage": {
                "active_systems": sum(s.status != Status.retired.value for s in self.systems),
                **self.layer_coverage(),
            },
            "annual_reports": [vars(r) for r in self.annual_reports],
        }


def _layers(system: System, level_interval_due: date | None, today: date) -> dict[str, bool]:
    layers = system.protection_layers
    connection = layers.national_monitoring_connection
    assessed = layers.last_independent_assessment is not None and (
        level_interval_due is None or today <= level_interval_due
    )
    return {
        "on_site_team": bool(layers.on_site_team),
        "monitoring": bool(layers.monitoring_provider),
        "independent_assessment": assessed,
        "national_monitoring": connection.connected,
    }


def _assessment_valid_until(system: System, regime: str, level: int) -> date | None:
    """When the system's last independent assessment lapses under the regime's period."""
    last = system.protection_layers.last_independent_assessment
    months = load_regime(regime).periodic(level).every_months
    if last is None or months is None:
        return None
    return Reassessment(months, "").due(last.date)


def system_posture(ws: Workspace, system: System, trust: TrustStore, today: date) -> SystemPosture:
    assessed = assess(ws, system, today)
    state, approved, problem, running = "none", None, None, None
    if dossier_path(ws, system.id).is_file():
        dossier = load_dossier(ws, system.id)
        verification = verify_dossier(dossier, trust)
        state = state_of(dossier, system, today).value
        running = clock(dossier, system, today)
        if verification.ok:
            approval = verification.approval()
            approved = approval.level if approval else None
        else:
            problem = verification.problems()[0]
    lapses = _assessment_valid_until(system, assessed.regime, assessed.level)
    return SystemPosture(
        system.id,
        system.name,
        system.owner,
        system.status.value,
        assessed.regime,
        assessed.level,
        state,
        approved,
        problem,
        running,
        _layers(system, lapses, today),
    )


def annual_reports(regimes: set[str], today: date) -> list[ReportDue]:
    """The submissions of the reporting year running on ``today``, for each regime in use."""
    dues: list[ReportDue] = []
    for name in sorted(regimes):
        report = load_regime(name).annual_report
        year = today.year
        if today >= report.period_to.in_year(year) and today > max(
            s.before.in_year(year) for s in report.submissions
        ):
            year += 1  # this year's reports are all past: show the next year's
        for submission in report.submissions:
            dues.append(
                ReportDue(
                    name,
                    report.period_from.in_year(year - 1),
                    report.period_to.in_year(year),
                    [r.value for r in submission.by],
                    submission.by_authority,
                    submission.to.value,
                    submission.to_authority,
                    submission.before.in_year(year),
                    submission.article,
                )
            )
    return dues


def compute_posture(ws: Workspace, today: date) -> Posture:
    """The posture of every system in the workspace on ``today``."""
    trust = load_trust(ws)
    systems = [system_posture(ws, s, trust, today) for s in SystemStore(ws).list()]
    in_use = {s.regime for s in systems if s.status != Status.retired.value}
    return Posture(today, systems, annual_reports(in_use, today))


def report_context(result: Posture, lang: str = "vi") -> dict[str, Any]:
    """What ``posture.html.j2`` prints in ``lang`` (vi or en): the posture, its charts and the
    ``labels`` of system statuses, dossier states and protection layers."""
    statuses = labels("system_status", Status, lang)
    dossier_states = labels("state", result.dossiers_by_state(), lang)
    layers = labels("layer", LAYERS, lang)
    coverage = result.layer_coverage()
    doc = Document(
        title=t("doc.posture.title", lang),
        lang=lang,
        issued=result.as_of,
        subject=t("doc.posture.subject", lang),
        metadata={
            t("doc.posture.system_count", lang): str(len(result.systems)),
            t("doc.posture.data_date", lang): format_date_vi(result.as_of),
        },
    )
    return {
        "doc": doc,
        "posture": result,
        "labels": {"system_status": statuses, "state": dossier_states, "layer": layers},
        "active": sum(s.status != Status.retired.value for s in result.systems),
        "coverage": coverage,
        "charts": {
            "levels": stacked_bar_chart(
                [
                    (t("level", lang, level=row["level"]), [row[s] for s in statuses])
                    for row in result.by_level_and_status()
                ],
                list(statuses.values()),
                title=t("doc.posture.chart_levels", lang),
                lang=lang,
            ),
            "dossiers": donut_chart(
                [(dossier_states[k], v) for k, v in result.dossiers_by_state().items() if v],
                title=t("doc.posture.chart_dossiers", lang),
                lang=lang,
            ),
            "layers": bar_chart(
                [(layers[k], v) for k, v in coverage.items()],
                title=t("doc.posture.chart_layers_title", lang),
                lang=lang,
            ),
        },
    }
