"""A drill's score: the scoring model applied to the verified journal and the saved correlation.

Pure arithmetic over its inputs: the same journal, correlation and model always give the same
sheet. Rules beyond the model's formulas (see :mod:`socctl.drills.scoring`):

- a blue team handles a step when one of its detect entries names the step (``step_id``), one
  of the step's linked alerts (``alert_id``) or its host and technique at or after it, or one of
  its report/contain entries lists the step; detection points need a linked alert (claims
  alone score nothing); the report deadline runs from the first linked alert;
- time to detect runs from the step to its first alert; times to report and to contain run from
  the step to the earliest report/containment listing it, any team;
- findings: the controller's last verdict counts; among valid findings on the same system and
  host with the same CVSS vector, the first found (``at``, then logged) scores, the others are
  duplicates; the level is the inventory's for the target system;
- readiness and the undetected-compromise penalty go to every blue team (they defend together).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socctl.drills.correlate import Correlation, StepLink, technique_matches
from socctl.drills.journal import ContainEntry, FindingEntry, Journal, ReportEntry, Verdict
from socctl.drills.scoring import ScoringModel, cvss_score, elapsed_share
from socctl.drills.spec import DrillSpec, TeamRole

IMPACT_TACTIC = "impact"


@dataclass(frozen=True)
class Times:
    """Minutes: mean and median of a set of durations (None when there are none)."""

    count: int
    mean: float | None
    median: float | None

    @classmethod
    def of(cls, minutes: Iterable[float]) -> Times:
        values = sorted(minutes)
        if not values:
            return cls(0, None, None)
        return cls(
            len(values), round(statistics.fmean(values), 2), round(statistics.median(values), 2)
        )


@dataclass
class TeamScore:
    team: str
    name: str
    role: str
    points: float = 0.0
    detect: float = 0.0
    report: float = 0.0
    contain: float = 0.0
    readiness: float = 0.0
    findings: float = 0.0
    penalties: float = 0.0
    steps_handled: int = 0
    findings_valid: int = 0


@dataclass(frozen=True)
class StepScore:
    step_id: str
    technique: str
    tactic: str
    host: str
    system: str
    at: str
    outcome: str
    detected: bool
    alert_rules: list[str]
    minutes_to_detect: float | None
    detected_by: list[str]
    reported_at: str | None
    reported_in_time: bool | None
    contained_at: str | None


@dataclass(frozen=True)
class FindingScore:
    finding_id: str
    team: str
    title: str
    system: str
    host: str
    at: str
    cvss_vector: str
    cvss: float
    rating: str
    criteria: dict[str, str]
    status: str  # valid | duplicate | rejected | pending
    points: float


@dataclass(frozen=True)
class GroupScore:
    """Steps of one system or ATT&CK tactic: detection rate and times."""

    key: str
    steps: int
    detected: int
    rate: float
    time_to_detect: Times
    red_points: float = 0.0
    uptime: float | None = None
    readiness: float | None = None


@dataclass(frozen=True)
class ScoreSheet:
    drill_id: str
    model_id: str
    model_version: str
    journal_digest: str
    ruleset_digest: str
    steps: int
    detected: int
    detection_rate: float
    time_to_detect: Times
    time_to_report: Times
    time_to_contain: Times
    teams: list[TeamScore]
    systems: list[GroupScore]
    tactics: list[GroupScore]
    step_rows: list[StepScore]
    finding_rows: list[FindingScore]
    missed: list[StepLink] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def _rate(detected: int, steps: int) -> float:
    return round(detected / steps, 4) if steps else 0.0


class _Scorer:
    def __init__(
        self,
        spec: DrillSpec,
        journal: Journal,
        correlation: Correlation,
        model: ScoringModel,
        levels: dict[str, int | None],
    ) -> None:
        self.spec, self.journal, self.corr, self.model = spec, journal, correlation, model
        self.levels = levels
        self.deadline = timedelta(
            hours=spec.report_deadline_hours or model.blue.report_deadline_hours
        )
        self.steps = {s.step_id: s for s in correlation.steps}
        self.blue = [t.id for t in spec.teams if t.role is TeamRole.blue]
        self.teams = {t.id: TeamScore(t.id, t.name, t.role.value) for t in spec.teams}

    def handled(self) -> dict[str, set[str]]:
        """Step ids each blue team handled (see the module docstring)."""
        by_alert = {a.alert_id: s.step_id for s in self.steps.values() for a in s.alerts}
        by_host: dict[str, list[StepLink]] = defaultdict(list)
        for step in self.steps.values():
            by_host[step.host.lower()].append(step)
        handled: dict[str, set[str]] = defaultdict(set)
        for d in self.journal.detections:
            if d.step_id in self.steps:
                handled[d.team].add(d.step_id)
            elif d.alert_id in by_alert:
                handled[d.team].add(by_alert[d.alert_id])
            elif d.host and d.technique:
                for step in by_host.get(d.host.lower(), []):
                    if datetime.fromisoformat(step.at) <= d.at and technique_matches(
                        d.technique, step.technique
                    ):
                        handled[d.team].add(step.step_id)
        listed: list[ReportEntry | ContainEntry] = [
            *self.journal.reports,
            *self.journal.containments,
        ]
        for entry in listed:
            handled[entry.team].update(s for s in entry.step_ids if s in self.steps)
        return handled

    def first_by_step(self, entries: Iterable[Any]) -> dict[tuple[str, str], datetime]:
        """The earliest time of ``entries`` listing each step, by (team, step); ("", step) for any."""
        first: dict[tuple[str, str], datetime] = {}
        for entry in entries:
            for step_id in entry.step_ids:
                for key in ((entry.team, step_id), ("", step_id)):
                    if key not in first or entry.at < first[key]:
                        first[key] = entry.at
        return first

    def blue_points(
        self,
        handled: dict[str, set[str]],
        reports: dict[tuple[str, str], datetime],
        contains: dict[tuple[str, str], datetime],
    ) -> None:
        blue, penalties = self.model.blue, self.model.penalties
        for team_id in self.blue:
            team = self.teams[team_id]
            team.steps_handled = len(handled.get(team_id, set()))
            for step_id in sorted(handled.get(team_id, set())):
                step = self.steps[step_id]
                first_alert = step.first_alert_at
                if first_alert is None or step.minutes_to_detect is None:
                    continue
                team.detect += self.model.detect_points(step.minutes_to_detect)
                reported = reports.get((team_id, step_id))
                if reported is None:
                    team.penalties += penalties.missing_report
                elif reported - first_alert <= self.deadline:
                    team.report += blue.report
                else:
                    team.penalties += penalties.late_report
                if (team_id, step_id) in contains:
                    team.contain += blue.contain
            missed = sum(
                1 for s in self.steps.values() if not s.detected and s.outcome == "success"
            )
            team.penalties += missed * penalties.undetected_compromise

    def findings(self) -> list[FindingScore]:
        verdicts: dict[str, Verdict] = {}
        for v in sorted(self.journal.validations, key=lambda e: (e.logged_at, e.seq)):
            verdicts[v.finding_id] = v.verdict
        first_of: dict[tuple[str, str, str], str] = {}
        ordered = sorted(self.journal.findings, key=lambda f: (f.at, f.logged_at, f.author, f.seq))
        rows = []
        window = self.spec.window
        for f in ordered:
            score, rating = cvss_score(f.cvss_vector)
            verdict = verdicts.get(f.finding_id)
            key = (f.system, f.host.lower(), f.cvss_vector)
            points = 0.0
            if verdict is Verdict.valid and key in first_of:
                status = "duplicate"
            elif verdict is Verdict.valid:
                first_of[key] = f.finding_id
                status = "valid"
                points = self._finding_points(
                    f, rating, elapsed_share(f.at, window.start, window.end)
                )
            else:
                status = "rejected" if verdict is Verdict.rejected else "pending"
            rows.append(
                FindingScore(
                    f.finding_id,
                    f.team,
                    f.title,
                    f.system,
                    f.host,
                    f.at.isoformat(),
                    f.cvss_vector,
                    score,
                    rating,
                    f.criteria.model_dump(mode="json"),
                    status,
                    round(points, 2),
                )
            )
        return rows

    def _finding_points(self, f: FindingEntry, rating: str, elapsed: float) -> float:
        grades = (f.criteria.resources.value, f.criteria.data.value, f.criteria.users.value)
        return self.model.finding_points(rating, grades, self.levels.get(f.system), elapsed)

    def uptime(self, system: str, contains: dict[tuple[str, str], datetime]) -> float:
        """Share of the window the system was up: down from each successful impact step until
        its first containment (or the window's end); overlapping outages count once."""
        start, end = self.spec.window.start, self.spec.window.end
        outages = sorted(
            (datetime.fromisoformat(s.at), contains.get(("", s.step_id), end))
            for s in self.steps.values()
            if s.system == system and s.tactic == IMPACT_TACTIC and s.outcome == "success"
        )
        down = timedelta()
        cursor = start
        for begin, finish in outages:
            begin, finish = max(begin, cursor), min(finish, end)
            if finish > begin:
                down += finish - begin
                cursor = finish
        return round(1 - down / (end - start), 6)


def score_drill(
    spec: DrillSpec,
    journal: Journal,
    correlation: Correlation,
    model: ScoringModel,
    levels: dict[str, int | None],
) -> ScoreSheet:
    """The score sheet of a drill; ``levels`` maps target systems to their security level."""
    scorer = _Scorer(spec, journal, correlation, model, levels)
    steps = list(scorer.steps.values())
    reports = scorer.first_by_step(journal.reports)
    contains = scorer.first_by_step(journal.containments)
    handled = scorer.handled()
    scorer.blue_points(handled, reports, contains)
    finding_rows = scorer.findings()
    for row in finding_rows:
        if row.team in scorer.teams:
            team = scorer.teams[row.team]
            team.findings += row.points
            team.findings_valid += row.status == "valid"
    systems = []
    for target in spec.targets:
        mine = [s for s in steps if s.system == target.system]
        uptime = scorer.uptime(target.system, contains)
        systems.append(
            _group(
                target.system,
                mine,
                red_points=sum(r.points for r in finding_rows if r.system == target.system),
                uptime=uptime,
                readiness=round(model.readiness.points * uptime, 2),
            )
        )
    readiness = sum(s.readiness or 0.0 for s in systems)
    for team_id in scorer.blue:
        scorer.teams[team_id].readiness = readiness
    for team in scorer.teams.values():
        if team.role == TeamRole.red.value:
            team.steps_handled = sum(s.team == team.team for s in steps)
        team.points = round(
            team.detect
            + team.report
            + team.contain
            + team.readiness
            + team.findings
            - team.penalties,
            2,
        )
        for name in ("detect", "report", "contain", "readiness", "findings", "penalties"):
            setattr(team, name, round(getattr(team, name), 2))
    tactics = sorted({s.tactic for s in steps})
    step_rows = [_step_row(s, handled, reports, contains, scorer.deadline) for s in steps]
    detected = sum(s.detected for s in steps)
    return ScoreSheet(
        drill_id=spec.id,
        model_id=model.id,
        model_version=model.version,
        journal_digest=journal.digest,
        ruleset_digest=correlation.ruleset_digest,
        steps=len(steps),
        detected=detected,
        detection_rate=_rate(detected, len(steps)),
        time_to_detect=Times.of(
            s.minutes_to_detect for s in steps if s.minutes_to_detect is not None
        ),
        time_to_report=Times.of(
            _minutes(reports[("", s.step_id)], datetime.fromisoformat(s.at))
            for s in steps
            if ("", s.step_id) in reports
        ),
        time_to_contain=Times.of(
            _minutes(contains[("", s.step_id)], datetime.fromisoformat(s.at))
            for s in steps
            if ("", s.step_id) in contains
        ),
        teams=sorted(scorer.teams.values(), key=lambda t: (t.role, -t.points, t.team)),
        systems=systems,
        tactics=[_group(t, [s for s in steps if s.tactic == t]) for t in tactics],
        step_rows=step_rows,
        finding_rows=finding_rows,
        missed=[s for s in steps if not s.detected],
    )


def _group(key: str, steps: list[StepLink], **extra: Any) -> GroupScore:
    detected = sum(s.detected for s in steps)
    return GroupScore(
        key,
        len(steps),
        detected,
        _rate(detected, len(steps)),
        Times.of(s.minutes_to_detect for s in steps if s.minutes_to_detect is not None),
        **extra,
    )


def _step_row(
    step: StepLink,
    handled: dict[str, set[str]],
    reports: dict[tuple[str, str], datetime],
    contains: dict[tuple[str, str], datetime],
    deadline: timedelta,
) -> StepScore:
    reported = reports.get(("", step.step_id))
    first_alert = step.first_alert_at
    in_time = None
    if first_alert is not None:
        in_time = reported is not None and reported - first_alert <= deadline
    contained = contains.get(("", step.step_id))
    return StepScore(
        step_id=step.step_id,
        technique=step.technique,
        tactic=step.tactic,
        host=step.host,
        system=step.system,
        at=step.at,
        outcome=step.outcome,
        detected=step.detected,
        alert_rules=sorted({a.rule_title for a in step.alerts}),
        minutes_to_detect=None
        if step.minutes_to_detect is None
        else round(step.minutes_to_detect, 2),
        detected_by=sorted(team for team, ids in handled.items() if step.step_id in ids),
        reported_at=reported.isoformat() if reported else None,
        reported_in_time=in_time,
        contained_at=contained.isoformat() if contained else None,
    )
