"""Drill scenarios (``playbooks/scenarios/<id>.yaml``) and rules of engagement
(``playbooks/engagement/<id>.yaml``), validated against ATT&CK and the shipped Sigma rules.

A scenario is an ordered list of attack steps, each an ATT&CK technique under one of its tactics, on a
kind of target, with the detections a defending team is expected to raise (Sigma rule ids of the
shipped ``rules/`` folder, or ``attack.*`` tags). Rules of engagement say which tactics and
techniques a drill may use, how deep it may go, which hosts it must not touch, how data is handled,
when to stop and whom to call. A workspace file of the same name overrides the shipped one.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from socctl.drills.attack import Attack, Technique, load_attack
from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import SLUG, Slug
from socctl.resources import content_dir
from socctl.storage.yamlio import compose_node, load_model, read_text
from socctl.workspace import Workspace

SCENARIO_DIR = "scenarios"
ENGAGEMENT_DIR = "engagement"

Severity = Literal["low", "medium", "high", "critical"]
Depth = Literal["recon", "initial-access", "foothold", "lateral-movement", "objectives"]
#: How deep a drill may go, shallowest first.
DEPTHS: tuple[Depth, ...] = (
    "recon",
    "initial-access",
    "foothold",
    "lateral-movement",
    "objectives",
)
#: The depth each ATT&CK Enterprise tactic reaches.
TACTIC_DEPTH: dict[str, Depth] = {
    "reconnaissance": "recon",
    "resource-development": "recon",
    "initial-access": "initial-access",
    "execution": "foothold",
    "persistence": "foothold",
    "privilege-escalation": "foothold",
    "defense-evasion": "foothold",
    "credential-access": "foothold",
    "discovery": "foothold",
    "lateral-movement": "lateral-movement",
    "collection": "objectives",
    "command-and-control": "objectives",
    "exfiltration": "objectives",
    "impact": "objectives",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_TECHNIQUE_TAG = re.compile(r"^attack\.(t\d{4}(?:\.\d{3})?)$", re.I)
_TACTIC_TAG = re.compile(r"^attack\.([a-z][a-z_-]*)$", re.I)
_NON_EMPTY = Field(min_length=1)
_DUPLICATE = "is used by an earlier step"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _technique(value: str) -> Technique:
    """The technique of an id, or a ``ValueError`` (a validation error at the field's line)."""
    try:
        return load_attack().check(value)
    except InputError as exc:
        raise ValueError(str(exc)) from None


def _tactic(value: str) -> str:
    tactic = value.strip().lower().replace("_", "-")
    known = load_attack().tactics
    if tactic not in known:
        raise ValueError(
            f"'{value}' is not an ATT&CK Enterprise tactic (one of {', '.join(sorted(known))})"
        )
    return tactic


@cache
def shipped_rule_ids() -> frozenset[str]:
    """The ids of the Sigma rules (and correlation rules) in the shipped ``rules/`` folder."""
    root = content_dir("rules")
    ids: set[str] = set()
    for path in sorted(root.rglob("*.y*ml")):
        if "pipelines" in path.relative_to(root).parts:
            continue
        try:
            docs = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (OSError, yaml.YAMLError):  # the rule loader reports broken rule files
            continue
        for doc in docs:
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                ids.add(doc["id"].lower())
    return frozenset(ids)


def _detection(value: str) -> str:
    text = value.strip()
    if _UUID.match(text):
        if text.lower() not in shipped_rule_ids():
            raise ValueError(
                f"no rule with id {text} in the shipped rules/ folder "
                "(give the id of a shipped rule, or a tag such as attack.t1190)"
            )
        return text.lower()
    technique = _TECHNIQUE_TAG.match(text)
    if technique:
        return f"attack.{_technique(technique.group(1)).id.lower()}"
    tactic = _TACTIC_TAG.match(text)
    if tactic:
        return f"attack.{_tactic(tactic.group(1))}"
    raise ValueError(
        f"'{value}' is neither a Sigma rule id (UUID) nor an ATT&CK tag such as attack.t1190"
    )


def _host_pattern(value: str) -> str:
    pattern = value.strip().lower().rstrip(".")
    if not pattern:
        raise ValueError("an out-of-scope host is empty")
    if "/" in pattern and _network(pattern) is None:
        raise ValueError(f"'{value}' is not a CIDR block (e.g. 10.10.4.96/28)")
    return pattern


#: An ATT&CK technique id of the packaged dataset, upper case.
TechniqueId = Annotated[str, AfterValidator(lambda v: _technique(v).id)]
#: An ATT&CK tactic short name (``initial-access``).
TacticName = Annotated[str, AfterValidator(_tactic)]
#: A shipped Sigma rule id or an ``attack.*`` tag, lower case.
DetectionRef = Annotated[str, AfterValidator(_detection)]
#: A host name, fnmatch glob, IP address or CIDR block, lower case.
HostPattern = Annotated[str, AfterValidator(_host_pattern)]


class ScenarioStep(_Model):
    id: Slug
    title: str = _NON_EMPTY
    #: ATT&CK technique id, checked against the packaged ATT&CK Enterprise dataset.
    technique: TechniqueId
    #: ATT&CK tactic short name (``initial-access``); one of the technique's tactics.
    tactic: str
    #: The kind of system the step acts on (web-server, domain-controller, database, ...).
    target_kind: Slug
    #: Sigma rule ids of the shipped rules, or ``attack.*`` tags.
    expected_detections: list[DetectionRef] = Field(default_factory=list)
    severity: Severity
    description: str = _NON_EMPTY

    @field_validator("tactic")
    @classmethod
    def _tactic_of_technique(cls, value: str, info: ValidationInfo) -> str:
        tactic = _tactic(value)
        technique = info.data.get("technique")
        if technique is not None:
            found = load_attack().techniques[technique]
            if tactic not in found.tactics:
                raise ValueError(
                    f"{found.id} ({found.name}) is not a technique of the tactic '{tactic}'; "
                    f"its tactics: {', '.join(found.tactics)}"
                )
        return tactic


class Scenario(_Model):
    id: Slug
    title: str = _NON_EMPTY
    title_en: str = _NON_EMPTY
    version: str = _NON_EMPTY
    #: Where the scenario draws from (ATT&CK groups, CISA advisories, NCSC VN, ...).
    source: list[str] = Field(min_length=1)
    objectives: list[str] = Field(min_length=1)
    steps: list[ScenarioStep] = Field(min_length=1)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("steps")
    @classmethod
    def _unique_steps(cls, value: list[ScenarioStep]) -> list[ScenarioStep]:
        seen: set[str] = set()
        for number, step in enumerate(value, 1):
            if step.id in seen:
                raise ValueError(f"step {number}: id '{step.id}' {_DUPLICATE}")
            seen.add(step.id)
        return value

    def step(self, step_id: str) -> ScenarioStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


class Contact(_Model):
    name: str = _NON_EMPTY
    phone: str = _NON_EMPTY
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _network(pattern: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return None


class Engagement(_Model):
    id: Slug
    title: str = _NON_EMPTY
    version: str = _NON_EMPTY
    #: The law and practice the rules follow (Directive 60/CT-BTTTT, Directive 18/CT-TTg, ...).
    source: list[str] = Field(min_length=1)
    allowed_tactics: list[TacticName] = Field(min_length=1)
    #: How deep the attack chain may go; a tactic deeper than this is not allowed.
    max_depth: Depth
    #: Empty: every technique of the allowed tactics. A parent id covers its sub-techniques.
    allowed_techniques: list[TechniqueId] = Field(default_factory=list)
    #: Never allowed, whatever the tactics say. A parent id covers its sub-techniques.
    excluded_techniques: list[TechniqueId] = Field(default_factory=list)
    #: Host names, fnmatch globs (``*.dr.haiphong.gov.vn``), IP addresses or CIDR blocks.
    out_of_scope_hosts: list[HostPattern] = Field(default_factory=list)
    denial_of_service: Literal[False] = False
    data_handling: str = _NON_EMPTY
    stop_conditions: list[str] = Field(min_length=1)
    emergency_contact: Contact

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_more(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("allowed_techniques")
    @classmethod
    def _within_tactics(cls, value: list[str], info: ValidationInfo) -> list[str]:
        tactics, depth = info.data.get("allowed_tactics"), info.data.get("max_depth")
        if tactics is None or depth is None:
            return value
        reachable = set(_reachable(tactics, depth))
        for technique in value:
            found = load_attack().techniques[technique]
            if not set(found.tactics) & reachable:
                raise ValueError(
                    f"{found.id} ({found.name}) belongs to no allowed tactic within max_depth "
                    f"{depth} (its tactics: {', '.join(found.tactics)})"
                )
        return value

    @field_validator("excluded_techniques")
    @classmethod
    def _not_allowed(cls, value: list[str], info: ValidationInfo) -> list[str]:
        both = [t for t in value if t in (info.data.get("allowed_techniques") or ())]
        if both:
            raise ValueError(f"{', '.join(both)} both allowed and excluded; keep one")
        return value

    def _reachable_tactics(self) -> list[str]:
        return _reachable(self.allowed_tactics, self.max_depth)

    def refuses_technique(self, technique: str) -> str | None:
        """Why the rules refuse ``technique`` (one sentence), or None when it is allowed."""
        attack = load_attack()
        found = attack.get(technique)
        if found is None:
            return f"'{technique}' is not a technique of ATT&CK Enterprise v{attack.version}"
        for excluded in self.excluded_techniques:
            if _covers(attack, excluded, found.id):
                how = "is excluded" if excluded == found.id else f"falls under excluded {excluded}"
                return f"{found.id} ({found.name}) {how} by the rules of engagement '{self.id}'"
        if self.allowed_techniques and not any(
            _covers(attack, allowed, found.id) for allowed in self.allowed_techniques
        ):
            return (
                f"{found.id} ({found.name}) is not among the allowed techniques of the rules of "
                f"engagement '{self.id}'"
            )
        tactics = [t for t in found.tactics if t in self.allowed_tactics]
        if not tactics:
            return (
                f"{found.id} ({found.name}) belongs to {', '.join(found.tactics)}, none of the "
                f"allowed tactics of the rules of engagement '{self.id}'"
            )
        if not set(tactics) & set(self._reachable_tactics()):
            return (
                f"{found.id} ({found.name}) goes deeper ({', '.join(tactics)}) than max_depth "
                f"{self.max_depth} of the rules of engagement '{self.id}'"
            )
        return None

    def refuses_host(self, host: str) -> str | None:
        """Why ``host`` is out of scope (one sentence), or None. Names compare without case; an
        IP address matches the CIDR blocks it falls in, a CIDR target any block it overlaps; a
        short name matches the same first label in any domain."""
        name = host.strip().lower().rstrip(".")
        target = _network(name)
        for pattern in self.out_of_scope_hosts:
            if _host_matches(name, target, pattern):
                shown = "" if pattern == name else f" (matches {pattern})"
                return f"host {host} is out of scope of the rules of engagement '{self.id}'{shown}"
        return None


def _reachable(tactics: list[str], depth: Depth) -> list[str]:
    """The tactics of ``tactics`` no deeper than ``depth``."""
    limit = DEPTHS.index(depth)
    return [t for t in tactics if DEPTHS.index(TACTIC_DEPTH.get(t, "objectives")) <= limit]


def _covers(attack: Attack, listed: str, technique: str) -> bool:
    """A listed technique covers itself and, when a parent, its sub-techniques."""
    return listed == technique or attack.covers(listed, technique)


def _host_matches(
    name: str,
    target: ipaddress.IPv4Network | ipaddress.IPv6Network | None,
    pattern: str,
) -> bool:
    block = _network(pattern)
    if block is not None:
        return target is not None and target.version == block.version and target.overlaps(block)
    if any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(name, pattern)
    if target is not None:
        return False
    if name == pattern:
        return True
    if "." not in pattern:
        return name.split(".")[0] == pattern
    return "." not in name and pattern.split(".")[0] == name


def _available(ws: Workspace | None, folder: str) -> list[str]:
    dirs = [content_dir("playbooks") / folder]
    if ws is not None:
        dirs.append(ws.playbooks_dir / folder)
    return sorted({p.stem for d in dirs if d.is_dir() for p in d.glob("*.yaml")})


def playbook_path(ws: Workspace | None, folder: str, item_id: str, what: str) -> Path:
    """``playbooks/<folder>/<id>.yaml`` of the workspace if there is one, else the shipped one.

    The id must be a slug, so it can only name a file of that folder.
    """
    if not SLUG.match(item_id):
        raise InputError(
            f"'{item_id}' is not a {what} id",
            hint=f"use the file name of playbooks/{folder}/<id>.yaml: lower-case letters, digits and '-'",
        )
    name = f"{item_id}.yaml"
    if ws is not None:
        local = ws.playbooks_dir / folder / name
        if local.is_file():
            return local
    shipped = content_dir("playbooks") / folder / name
    if not shipped.is_file():
        available = ", ".join(_available(ws, folder)) or "none"
        raise NotFoundError(
            f"no {what} '{item_id}' (available: {available})",
            path=shipped,
            hint=f"see playbooks/{folder}/, or add yours to the workspace's playbooks/{folder}/",
        )
    return shipped


def scenario_path(ws: Workspace | None, scenario_id: str) -> Path:
    """The workspace's ``playbooks/scenarios/<id>.yaml`` if there is one, else the shipped one."""
    return playbook_path(ws, SCENARIO_DIR, scenario_id, "scenario")


def engagement_path(ws: Workspace | None, engagement_id: str) -> Path:
    """The workspace's ``playbooks/engagement/<id>.yaml`` if there is one, else the shipped one."""
    return playbook_path(ws, ENGAGEMENT_DIR, engagement_id, "rules of engagement")


def _check_id(path: Path, found: str, wanted: str) -> None:
    if found != wanted:
        raise InputError(
            f"field 'id': '{found}' does not match the file name",
            path=path,
            line=_id_line(path),
            hint=f"set id: {wanted}",
        )


def _id_line(path: Path) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("id:"):
            return number
    return None


def _duplicate_step_line(path: Path) -> int | None:
    """The line of the first step whose id an earlier step already has."""
    root = compose_node(read_text(path), str(path))
    steps = next(
        (v for k, v in getattr(root, "value", ()) if getattr(k, "value", None) == "steps"), None
    )
    seen: set[str] = set()
    for step in getattr(steps, "value", ()):
        for key, value in getattr(step, "value", ()):
            if getattr(key, "value", None) == "id" and isinstance(value, yaml.ScalarNode):
                if value.value in seen:
                    return int(key.start_mark.line) + 1
                seen.add(value.value)
    return None


def load_scenario(ws: Workspace | None, scenario_id: str) -> Scenario:
    """Load and validate a scenario (the workspace's file of that id first, else the shipped one)."""
    path = scenario_path(ws, scenario_id)
    try:
        scenario = load_model(path, Scenario)
    except InputError as exc:
        if _DUPLICATE in exc.message:  # name the line of the second step, not of ``steps:``
            exc.line = _duplicate_step_line(path) or exc.line
        raise
    _check_id(path, scenario.id, scenario_id)
    return scenario


def load_engagement(ws: Workspace | None, engagement_id: str) -> Engagement:
    """Load and validate rules of engagement (the workspace's file first, else the shipped one)."""
    path = engagement_path(ws, engagement_id)
    engagement = load_model(path, Engagement)
    _check_id(path, engagement.id, engagement_id)
    return engagement


def scenario_ids(ws: Workspace | None) -> list[str]:
    """The ids of the shipped scenarios and the workspace's, sorted."""
    return _available(ws, SCENARIO_DIR)


def engagement_ids(ws: Workspace | None) -> list[str]:
    """The ids of the shipped rules of engagement and the workspace's, sorted."""
    return _available(ws, ENGAGEMENT_DIR)
