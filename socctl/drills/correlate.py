"""Link the alerts of socctl's own detection to a drill's attack steps.

``correlate`` runs the workspace's rules over the drill's logs (files, or an index of the log
store) through the detection pipeline, then links each alert to the attack steps it shows:

- same place: the alert's host is the step's host (case-insensitive, short or fully qualified
  names), or both belong to the same system (the drill's targets, then the inventory). An alert
  without a host (web access logs carry none) takes the target host its source file is named
  after (``dvc-web01-access.log``, ``/var/log/remote/dvc-web01/…``);
- same technique: a rule's ATT&CK tag equals the step's technique, or one is the parent of the
  other (T1110 matches T1110.001); sibling sub-techniques do not match;
- in time: at or after the step, at most ``tolerance`` later (an alert before it is not counted).

Time to detect is that of the first linked alert. Steps no alert matched are missed detections,
listed with the rules of the library covering their technique and the log source those read.
The result is saved as ``drills/<id>/correlation.json`` (with the rule set's digest) so that
``drill score`` and ``drill report`` read the same alerts every time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from socctl.detection.alerts import Alert, build_alerts
from socctl.detection.rules import RuleSet, default_rule_paths, load_rules
from socctl.detection.runner import run_files
from socctl.drills.attack import load_attack
from socctl.drills.journal import AttackEntry, Journal
from socctl.drills.spec import DrillSpec, drill_dir
from socctl.errors import InputError, NotFoundError
from socctl.inventory.hosts import HostIndex
from socctl.storage import atomic_write
from socctl.workspace import Workspace

CORRELATION_NAME = "correlation.json"
#: How long after a step its alerts may come, unless the drill's correlation asks otherwise.
DEFAULT_TOLERANCE = timedelta(hours=1)
_HOST_IN_NAME = re.compile(r"[._-]")


@dataclass(frozen=True)
class LinkedAlert:
    alert_id: str
    rule_id: str
    rule_title: str
    level: str | None
    at: str
    host: str | None


@dataclass(frozen=True)
class CoveringRule:
    """A rule of the library whose ATT&CK tags cover a missed step, and the logs it reads."""

    rule_id: str
    title: str
    logsource: str


@dataclass(frozen=True)
class StepLink:
    step_id: str
    technique: str
    tactic: str
    host: str
    system: str
    at: str
    outcome: str
    team: str
    alerts: list[LinkedAlert] = field(default_factory=list)
    #: Minutes from the step to its first linked alert (None: missed).
    minutes_to_detect: float | None = None
    covering_rules: list[CoveringRule] = field(default_factory=list)

    @property
    def detected(self) -> bool:
        return bool(self.alerts)

    @property
    def first_alert_at(self) -> datetime | None:
        return datetime.fromisoformat(self.alerts[0].at) if self.alerts else None


@dataclass(frozen=True)
class Correlation:
    drill_id: str
    journal_digest: str
    ruleset_digest: str
    rules: int
    tolerance_minutes: float
    source: str
    alerts_total: int
    steps: list[StepLink]

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Correlation:
        steps = [
            StepLink(
                **{
                    **step,
                    "alerts": [LinkedAlert(**a) for a in step["alerts"]],
                    "covering_rules": [CoveringRule(**r) for r in step["covering_rules"]],
                }
            )
            for step in data["steps"]
        ]
        return cls(**{**data, "steps": steps})


def correlation_path(ws: Workspace, drill_id: str) -> Path:
    return drill_dir(ws, drill_id) / CORRELATION_NAME


def ruleset_digest(ruleset: RuleSet) -> str:
    """SHA-256 over the loaded rules' ids, files and file contents, in a stable order."""
    sha = hashlib.sha256()
    for path in sorted({rule.info.path or "" for rule in ruleset.rules}):
        sha.update(path.encode() + b"\0")
        if path and Path(path).is_file():
            sha.update(hashlib.sha256(Path(path).read_bytes()).digest())
    for rule_id in sorted(rule.info.id for rule in ruleset.rules):
        sha.update(rule_id.encode() + b"\0")
    return sha.hexdigest()


def technique_matches(rule_technique: str, step_technique: str) -> bool:
    """The same technique, or one is the parent of the other (sub-techniques of one parent
    do not match each other)."""
    attack = load_attack()
    return attack.covers(rule_technique, step_technique) or attack.covers(
        step_technique, rule_technique
    )


class _Places:
    """Which system a host belongs to: the drill's targets first, then the inventory."""

    def __init__(self, ws: Workspace, spec: DrillSpec) -> None:
        self.spec = spec
        self.index = HostIndex.from_workspace(ws)
        self.target_hosts = sorted(
            {h.lower() for t in spec.targets for h in t.hosts}, key=len, reverse=True
        )

    def system_of(self, host: str) -> str | None:
        target = self.spec.target_of(host) or self.spec.target_of(_short(host))
        if target is not None:
            return target.system
        ref = self.index.lookup(host)
        return ref.id if ref else None

    def host_of(self, alert: Alert) -> str | None:
        """The alert's host, else the target host its source file is named after."""
        if alert.host:
            return alert.host
        path = str(alert.source.get("path") or _file_path(alert.event) or "").lower()
        parts = Path(path).parts
        for host in self.target_hosts:
            for part in parts:
                if part == host or (
                    part.startswith(host) and _HOST_IN_NAME.match(part[len(host) :])
                ):
                    return host
        return None

    def same_place(
        self, alert_host: str | None, alert_system: str | None, step: AttackEntry
    ) -> bool:
        if alert_host is not None:
            wanted = step.host.lower()
            got = alert_host.lower()
            if got == wanted or _short(got) == _short(wanted):
                return True
            alert_system = alert_system or self.system_of(alert_host)
        return alert_system is not None and alert_system == step.system


def _short(host: str) -> str:
    lowered = host.lower()
    if lowered.replace(".", "").isdigit():  # an IPv4 address stays whole
        return lowered
    return lowered.split(".", 1)[0]


def link_steps(
    ws: Workspace,
    spec: DrillSpec,
    journal: Journal,
    alerts: list[Alert],
    ruleset: RuleSet,
    tolerance: timedelta,
) -> list[StepLink]:
    """Each attack step of the journal with the alerts linked to it (rules above)."""
    attack = load_attack()
    places = _Places(ws, spec)
    timed = []
    for alert in alerts:
        if alert.timestamp is None:
            continue
        moment = datetime.fromisoformat(alert.timestamp.replace("Z", "+00:00"))
        host = places.host_of(alert)
        system = (alert.system or {}).get("id") if alert.system else None
        timed.append((moment, alert, host, system))
    timed.sort(key=lambda item: (item[0], item[1].alert_id))
    links = []
    covering: dict[str, list[CoveringRule]] = {}  # by technique: steps repeat them
    for step in sorted(journal.attacks, key=lambda s: (s.at, s.step_id)):
        known = attack.get(step.technique)
        tactic = known.tactics[0] if known and known.tactics else ""
        linked = [
            LinkedAlert(
                alert.alert_id,
                alert.rule.get("id", ""),
                alert.rule.get("title", ""),
                alert.rule.get("level"),
                moment.isoformat(),
                host,
            )
            for moment, alert, host, system in timed
            if step.at <= moment <= step.at + tolerance
            and any(technique_matches(t, step.technique) for t in alert.rule.get("techniques", []))
            and places.same_place(host, system, step)
        ]
        minutes = (
            (datetime.fromisoformat(linked[0].at) - step.at).total_seconds() / 60
            if linked
            else None
        )
        links.append(
            StepLink(
                step_id=step.step_id,
                technique=step.technique,
                tactic=tactic,
                host=step.host,
                system=step.system,
                at=step.at.isoformat(),
                outcome=step.outcome.value,
                team=step.team,
                alerts=linked,
                minutes_to_detect=minutes,
                covering_rules=[] if linked else _covering(covering, ruleset, step.technique),
            )
        )
    return links


def _covering(
    memo: dict[str, list[CoveringRule]], ruleset: RuleSet, technique: str
) -> list[CoveringRule]:
    if technique not in memo:
        memo[technique] = covering_rules(ruleset, technique)
    return memo[technique]


def covering_rules(ruleset: RuleSet, technique: str) -> list[CoveringRule]:
    """The rules of ``ruleset`` tagged with ``technique`` (or its parent or sub-techniques)."""
    found = {}
    for rule in ruleset.rules:
        if any(technique_matches(t, technique) for t in rule.info.techniques):
            source = "/".join(
                f"{k}:{v}" for k, v in sorted(rule.logsource.items()) if v and k != "definition"
            )
            found[rule.info.id] = CoveringRule(rule.info.id, rule.info.title, source)
    return sorted(found.values(), key=lambda r: (r.title, r.rule_id))


def _file_path(event: dict[str, Any]) -> str | None:
    """The ``log.file.path`` of a cluster document (nested as ingested, or dotted)."""
    nested = ((event.get("log") or {}).get("file") or {}).get("path")
    return nested or event.get("log.file.path")


def _detect(
    ws: Workspace, spec: DrillSpec, ruleset: RuleSet, end: datetime
) -> tuple[list[Alert], str]:
    """The alerts of the drill's logs over the window (the end stretched by the tolerance)."""
    lookup = HostIndex.from_workspace(ws).lookup
    if spec.logs.index and ws.settings.detection.store == "elasticsearch":
        from socctl.store.cluster.client import open_client
        from socctl.store.cluster.store import detect

        settings = ws.settings.elasticsearch
        found = detect(
            open_client(settings),
            spec.logs.index,
            ruleset,
            (spec.window.start, end),
            batch=settings.batch_size,
            lookup=lookup,
        )
        ruleset.errors.extend(found.failed)
        return found.alerts, f"cluster index {spec.logs.index}"
    if spec.logs.index:
        from socctl.detection.continuous import IndexDetection
        from socctl.store import open_store

        store = open_store(ws)
        run = IndexDetection(store, spec.logs.index, ruleset, None, lookup).run(
            spec.window.start, end
        )
        return run.alerts, f"index {spec.logs.index}"
    if not spec.logs.paths:
        raise InputError(
            "the drill names no logs to run the detections over",
            path=drill_dir(ws, spec.id) / "drill.yaml",
            hint="set logs.paths (log files or folders) or logs.index when starting the drill",
        )
    paths = [(ws.root / p).resolve() for p in spec.logs.paths]
    for path in paths:
        if not path.exists():
            raise NotFoundError(
                f"log path '{path}' of the drill does not exist",
                path=drill_dir(ws, spec.id) / "drill.yaml",
                hint="restore the logs, or correct logs.paths",
            )
    alerts = list(build_alerts(run_files(ruleset, paths), "file", lookup))
    start, stop = spec.window.start, end
    kept = [
        a
        for a in alerts
        if a.timestamp is not None
        and start <= datetime.fromisoformat(a.timestamp.replace("Z", "+00:00")) <= stop
    ]
    return kept, "logs " + ", ".join(spec.logs.paths)


def correlate(
    ws: Workspace,
    spec: DrillSpec,
    journal: Journal,
    *,
    tolerance: timedelta = DEFAULT_TOLERANCE,
    rule_paths: list[Path] | None = None,
) -> Correlation:
    """Run the detections over the drill's logs and link the alerts to its attack steps."""
    paths = rule_paths or default_rule_paths(ws)
    ruleset = load_rules(paths, cache_dir=ws.cache_dir)
    alerts, source = _detect(ws, spec, ruleset, spec.window.end + tolerance)
    return Correlation(
        drill_id=spec.id,
        journal_digest=journal.digest,
        ruleset_digest=ruleset_digest(ruleset),
        rules=len(ruleset.rules),
        tolerance_minutes=tolerance.total_seconds() / 60,
        source=source,
        alerts_total=len(alerts),
        steps=link_steps(ws, spec, journal, alerts, ruleset, tolerance),
    )


def save_correlation(ws: Workspace, correlation: Correlation) -> Path:
    path = correlation_path(ws, correlation.drill_id)
    with ws.lock():
        atomic_write(path, correlation.to_json())
    return path


def load_correlation(ws: Workspace, spec: DrillSpec, journal: Journal) -> Correlation:
    """The saved correlation; refused when the journal changed since (correlate again)."""
    path = correlation_path(ws, spec.id)
    if not path.is_file():
        raise NotFoundError(
            f"drill '{spec.id}' has not been correlated",
            path=path,
            hint=f"run 'socctl drill correlate {spec.id}' first",
        )
    try:
        correlation = Correlation.from_dict(orjson.loads(path.read_bytes()))
    except (orjson.JSONDecodeError, TypeError, KeyError) as exc:
        raise InputError(
            f"not a correlation socctl wrote ({exc})",
            path=path,
            hint=f"run 'socctl drill correlate {spec.id}' again",
        ) from None
    if correlation.journal_digest != journal.digest:
        raise InputError(
            "the journal changed since the correlation was made",
            path=path,
            hint=f"run 'socctl drill correlate {spec.id}' again",
        )
    return correlation
