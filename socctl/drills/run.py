"""Running a drill: ``drill start`` fixes and signs it, then every action is logged to the journal.

Each action is checked against the drill before anything is written: the author's key and team
role, the drill still open, the time inside the window, the host one of the drill's targets and
not excluded by the rules of engagement, the ATT&CK technique real and allowed, evidence files
present (copied to ``evidence/<sha256>`` and their digest recorded in the entry).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socctl.drills.attack import load_attack
from socctl.drills.journal import (
    ALLOWED_KINDS,
    CHAIN_SUFFIX,
    Entry,
    append_entry,
    journal_dir,
    read_head,
    spec_payload,
)
from socctl.drills.playbook import Engagement, load_engagement, load_scenario
from socctl.drills.scoring import cvss_score, load_scoring
from socctl.drills.spec import (
    EVIDENCE_DIR,
    SIGNATURE_NAME,
    SPEC_NAME,
    DrillDefinition,
    DrillSpec,
    Team,
    TeamRole,
    drill_dir,
    load_spec,
)
from socctl.errors import InputError, NotFoundError
from socctl.inventory.hosts import HostIndex
from socctl.inventory.store import SystemStore
from socctl.storage.atomic import atomic_write
from socctl.storage.yamlio import dump_yaml, load_model
from socctl.timeutil import now_utc
from socctl.trust.keys import fingerprint, load_private_key
from socctl.trust.signing import Signature
from socctl.trust.store import Role, load_trust
from socctl.workspace import Workspace

#: The trust roles a member of each team role must hold (``trust/<slug>.yaml``).
TRUST_ROLES: dict[TeamRole, frozenset[Role]] = {
    TeamRole.red: frozenset({Role.red_team}),
    TeamRole.blue: frozenset({Role.soc, Role.it_officer, Role.specialised_unit}),
    TeamRole.controller: frozenset({Role.drill_controller}),
}
#: What each kind of entry is called in messages.
KIND_NAMES = {
    "attack": "an attack action",
    "finding": "a finding",
    "detect": "a detection",
    "report": "an incident report",
    "contain": "a containment",
    "validate": "a finding's validation",
    "close": "the drill's close",
    "checkpoint": "a checkpoint",
}


@dataclass(frozen=True)
class Author:
    """Who logs: a trusted key, its team in the drill, and the private key that signs."""

    slug: str
    fingerprint: str
    team: Team
    key: Ed25519PrivateKey


def _check_members(ws: Workspace, definition: DrillDefinition, path: Path) -> None:
    trust = load_trust(ws)
    for team in definition.teams:
        for slug in team.members:
            try:
                entry = trust.get(slug).entry
            except NotFoundError:
                raise InputError(
                    f"team '{team.id}': key '{slug}' is not in trust/",
                    path=path,
                    hint="add the member's public key first (socctl keys new / keys import)",
                ) from None
            if not TRUST_ROLES[team.role] & set(entry.roles):
                wanted = " or ".join(sorted(TRUST_ROLES[team.role]))
                raise InputError(
                    f"team '{team.id}' is {team.role} but key '{slug}' holds "
                    f"{', '.join(entry.roles)}, not {wanted}",
                    path=path,
                    hint=f"put '{slug}' in a team of its role, or give the key the role {wanted}",
                )


def _check_targets(
    ws: Workspace, definition: DrillDefinition, engagement: Engagement, path: Path
) -> None:
    store = SystemStore(ws)
    hosts = HostIndex.from_workspace(ws)
    for target in definition.targets:
        store.get(target.system)  # NotFoundError names the system
        for host in target.hosts:
            refused = engagement.refuses_host(host)
            if refused:
                raise InputError(
                    f"target {target.system}: host {host}: {refused}",
                    path=path,
                    hint="remove the host from targets, or change the rules of engagement",
                )
            owner = hosts.lookup(host)
            if owner is not None and owner.id != target.system:
                raise InputError(
                    f"target {target.system}: host {host} belongs to system {owner.id} in the inventory",
                    path=path,
                    hint=f"list it under the target {owner.id}",
                )


def _log_path(ws: Workspace, path: Path) -> str:
    """A log path as the spec keeps it: relative to the workspace when inside it."""
    resolved = path.resolve()
    if not resolved.exists():
        raise InputError("no such log file or folder", path=path, hint="check the path")
    try:
        return str(resolved.relative_to(ws.root.resolve()))
    except ValueError:
        return str(resolved)


def start_drill(
    ws: Workspace,
    drill_id: str,
    definition_path: Path,
    key_path: Path,
    logs: Sequence[Path] = (),
) -> DrillSpec:
    """Check a drill definition against the inventory, trust and playbooks, then write
    ``drills/<id>/drill.yaml`` signed by the controller (``drill.sig.yaml``).

    ``logs`` replaces the definition's ``logs.paths`` (kept relative to the workspace)."""
    folder = drill_dir(ws, drill_id)
    definition = load_model(definition_path, DrillDefinition)
    key = load_private_key(key_path)
    controller = _trusted_slug(ws, key, key_path)
    team = next((t for t in definition.teams if controller in t.members), None)
    if team is None or team.role is not TeamRole.controller:
        raise InputError(
            f"key '{controller}' is not a member of the drill's controller team",
            path=definition_path,
            hint="the drill is started by a member of its controller team",
        )
    for scenario in definition.scenarios:
        load_scenario(ws, scenario)
    engagement = load_engagement(ws, definition.engagement)
    model = load_scoring(ws, definition.scoring, definition.scoring_version)
    _check_members(ws, definition, definition_path)
    _check_targets(ws, definition, engagement, definition_path)
    spec = DrillSpec.model_validate(
        {
            **definition.model_dump(mode="json"),
            "scoring_version": model.version,
            **({"logs": {"paths": [_log_path(ws, p) for p in logs]}} if logs else {}),
            "id": drill_id,
            "year": definition.window.start.year,
            "created_by": controller,
            "created_at": now_utc().isoformat(),
        }
    )
    payload = spec_payload(spec)
    signature = Signature(
        key_fingerprint=fingerprint(key.public_key()),
        signature_b64=base64.b64encode(key.sign(payload)).decode("ascii"),
    )
    ordered = {"id": spec.id, "year": spec.year, **spec.model_dump(mode="json")}
    with ws.lock(f"drill-{drill_id}"):
        if (folder / SPEC_NAME).exists():
            raise InputError(
                f"drill '{drill_id}' is already started",
                path=folder / SPEC_NAME,
                hint="choose another id; a started drill is never redefined",
            )
        (folder / "journal").mkdir(parents=True, exist_ok=True)
        atomic_write(folder / SIGNATURE_NAME, dump_yaml(signature.model_dump(mode="json")))
        atomic_write(folder / SPEC_NAME, dump_yaml(ordered))
    return spec


def _trusted_slug(ws: Workspace, key: Ed25519PrivateKey, key_path: Path) -> str:
    key_print = fingerprint(key.public_key())
    try:
        return load_trust(ws).get(key_print).slug
    except NotFoundError:
        raise InputError(
            f"this key ({key_print}) is not in the workspace's trust/",
            path=key_path,
            hint="use your key made by 'socctl keys new' in this workspace",
        ) from None


@dataclass(frozen=True)
class Logged:
    """Steps and findings already in this copy of the journal (any author), unverified."""

    steps: dict[str, str]
    findings: dict[str, str]


def logged(ws: Workspace, drill_id: str) -> Logged:
    """What the local chains hold: attack step ids and finding ids, each with its chain."""
    steps: dict[str, str] = {}
    findings: dict[str, str] = {}
    folder = journal_dir(ws, drill_id)
    for path in sorted(folder.glob(f"*{CHAIN_SUFFIX}")) if folder.is_dir() else []:
        author = path.name[: -len(CHAIN_SUFFIX)]
        with path.open("rb") as handle:
            for line in handle:
                if b'"kind":"attack"' not in line and b'"kind":"finding"' not in line:
                    continue
                try:
                    fields = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue
                if fields.get("kind") == "attack":
                    steps.setdefault(str(fields.get("step_id")), author)
                elif fields.get("kind") == "finding":
                    findings.setdefault(str(fields.get("finding_id")), author)
    return Logged(steps, findings)


class DrillLog:
    """An open drill and the author logging to it; each method checks, then appends one entry."""

    def __init__(self, ws: Workspace, drill_id: str, key_path: Path) -> None:
        self.ws = ws
        self.spec = load_spec(ws, drill_id)
        key = load_private_key(key_path)
        slug = _trusted_slug(ws, key, key_path)
        team = self.spec.team_of(slug)
        if team is None:
            raise InputError(
                f"key '{slug}' is not a member of any team of drill {drill_id}",
                path=key_path,
                hint="the drill's teams are fixed at 'drill start'",
            )
        self.author = Author(slug, fingerprint(key.public_key()), team, key)
        self.engagement = load_engagement(ws, self.spec.engagement)

    # Checks -------------------------------------------------------------------------------

    def _allowed(self, kind: str) -> None:
        team = self.author.team
        if kind not in ALLOWED_KINDS[team.role]:
            raise InputError(
                f"{self.author.slug} is in the {team.role} team '{team.id}', which cannot log "
                f"{KIND_NAMES[kind]}",
                hint=f"{KIND_NAMES[kind]} is logged by a {_role_for(kind)} key",
            )
        if self.spec.closed_at is not None:
            raise InputError(
                f"drill {self.spec.id} was closed at {self.spec.closed_at.isoformat()}",
                path=drill_dir(self.ws, self.spec.id) / SPEC_NAME,
                hint="a closed drill's journal takes no more entries",
            )

    def _in_window(self, at: datetime) -> str:
        window = self.spec.window
        if at not in window:
            raise InputError(
                f"{at.isoformat()} is outside the drill window "
                f"{window.start.isoformat()} – {window.end.isoformat()}",
                hint="give --at a time inside the window (ISO 8601, e.g. 2026-11-21T09:30)",
            )
        return at.isoformat()

    def _target(self, host: str, system: str | None = None) -> str:
        refused = self.engagement.refuses_host(host)
        if refused:
            raise InputError(
                f"host {host}: {refused}",
                hint=f"the rules of engagement '{self.engagement.id}' exclude it",
            )
        target = self.spec.target_of(host)
        if target is None:
            hosts = ", ".join(h for t in self.spec.targets for h in t.hosts)
            raise InputError(
                f"host {host} is not a target of drill {self.spec.id}",
                hint=f"targets: {hosts}",
            )
        if system is not None and system != target.system:
            raise InputError(
                f"host {host} is a target of system {target.system}, not {system}",
                hint=f"give --system {target.system} or leave it out",
            )
        return target.system

    def _technique(self, technique: str) -> str:
        found = load_attack().check(technique)
        refused = self.engagement.refuses_technique(found.id)
        if refused:
            raise InputError(
                f"technique {found.id} ({found.name}): {refused}",
                hint=f"the rules of engagement '{self.engagement.id}' do not allow it",
            )
        return found.id

    def _evidence(self, files: Sequence[Path]) -> list[tuple[str, str, bytes]]:
        read: list[tuple[str, str, bytes]] = []
        for path in files:
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(
                    f"cannot read the evidence file: {exc.strerror}",
                    path=path,
                    hint="give the path of an existing file",
                ) from None
            read.append((hashlib.sha256(data).hexdigest(), path.name, data))
        return read

    def _steps(self, steps: Iterable[str]) -> list[str]:
        known = logged(self.ws, self.spec.id).steps
        chosen = list(dict.fromkeys(steps))
        for step in chosen:
            if step not in known:
                raise InputError(
                    f"step '{step}' is not logged in drill {self.spec.id}",
                    hint="log the attack step first (drill log attack), or sync the journal",
                )
        return chosen

    # Writing ------------------------------------------------------------------------------

    def _append(
        self, kind: str, fields: dict[str, Any], evidence: Sequence[tuple[str, str, bytes]] = ()
    ) -> Entry:
        folder = drill_dir(self.ws, self.spec.id) / EVIDENCE_DIR
        for digest, _, data in evidence:
            target = folder / digest
            if not target.exists():
                folder.mkdir(parents=True, exist_ok=True)
                atomic_write(target, data)
        if evidence:
            fields["evidence"] = [{"sha256": d, "name": n} for d, n, _ in evidence]
        team = self.author.team
        return append_entry(
            self.ws,
            self.author.slug,
            self.author.key,
            {
                "kind": kind,
                "drill": self.spec.id,
                "author": self.author.fingerprint,
                "role": team.role.value,
                "team": team.id,
                **fields,
            },
        )

    def attack(
        self,
        *,
        step_id: str,
        technique: str,
        host: str,
        at: datetime,
        outcome: str,
        evidence: Sequence[Path] = (),
        scenario_step: str | None = None,
        system: str | None = None,
        note: str = "",
    ) -> Entry:
        """A red-team action on a target host."""
        self._allowed("attack")
        fields: dict[str, Any] = {
            "step_id": step_id,
            "technique": self._technique(technique),
            "system": self._target(host, system),
            "host": host,
            "at": self._in_window(at),
            "outcome": outcome,
            "note": note,
        }
        if scenario_step is not None:
            fields["scenario_step"] = self._scenario_step(scenario_step)
        previous = logged(self.ws, self.spec.id).steps.get(step_id)
        if previous is not None:
            raise InputError(
                f"step '{step_id}' is already logged (by {previous})",
                hint="give each attack action its own --step id",
            )
        return self._append("attack", fields, self._evidence(evidence))

    def _scenario_step(self, reference: str) -> str:
        scenario_id, _, step_id = reference.partition("/")
        if scenario_id not in self.spec.scenarios:
            raise InputError(
                f"scenario '{scenario_id}' is not one of drill {self.spec.id}'s",
                hint=f"the drill's scenarios: {', '.join(self.spec.scenarios)}",
            )
        steps = [step.id for step in load_scenario(self.ws, scenario_id).steps]
        if step_id not in steps:
            raise InputError(
                f"scenario '{scenario_id}' has no step '{step_id}'",
                hint=f"its steps: {', '.join(steps)}",
            )
        return reference

    def finding(
        self,
        *,
        finding_id: str,
        title: str,
        cvss_vector: str,
        criteria: dict[str, str],
        evidence: Sequence[Path],
        host: str,
        at: datetime,
        steps: Sequence[str] = (),
        system: str | None = None,
        note: str = "",
    ) -> Entry:
        """A red-team finding (a vulnerability shown with evidence), to be validated."""
        self._allowed("finding")
        if not evidence:
            raise InputError(
                f"finding {finding_id} has no evidence",
                hint="give --evidence FILE (a screenshot, a tool's output, a capture)",
            )
        cvss_score(cvss_vector)
        fields: dict[str, Any] = {
            "finding_id": finding_id,
            "title": title,
            "cvss_vector": cvss_vector,
            "criteria": criteria,
            "system": self._target(host, system),
            "host": host,
            "at": self._in_window(at),
            "steps": self._steps(steps),
            "note": note,
        }
        previous = logged(self.ws, self.spec.id).findings.get(finding_id)
        if previous is not None:
            raise InputError(
                f"finding '{finding_id}' is already logged (by {previous})",
                hint="give each finding its own --id",
            )
        return self._append("finding", fields, self._evidence(evidence))

    def detect(
        self,
        *,
        at: datetime,
        host: str | None = None,
        technique: str | None = None,
        step_id: str | None = None,
        alert_id: str | None = None,
        note: str = "",
    ) -> Entry:
        """A defender's detection of an attack step (what they saw, when)."""
        self._allowed("detect")
        fields: dict[str, Any] = {"at": self._in_window(at), "note": note}
        if host is not None:
            fields["host"] = host
            fields["system"] = self._target(host)
        if technique is not None:
            fields["technique"] = load_attack().check(technique).id
        if step_id is not None:
            fields["step_id"] = step_id
        if alert_id is not None:
            fields["alert_id"] = alert_id
        return self._append("detect", fields)

    def report(self, *, at: datetime, to: str, incident: str, steps: Sequence[str] = ()) -> Entry:
        """An incident report sent by the defenders (to whom, when)."""
        self._allowed("report")
        fields = {
            "at": self._in_window(at),
            "to": to,
            "incident": incident,
            "step_ids": list(steps),
        }
        return self._append("report", fields)

    def contain(self, *, at: datetime, host: str, action: str, steps: Sequence[str] = ()) -> Entry:
        """A containment action on a target host."""
        self._allowed("contain")
        fields = {
            "at": self._in_window(at),
            "system": self._target(host),
            "host": host,
            "action": action,
            "step_ids": list(steps),
        }
        return self._append("contain", fields)

    def validate(self, *, finding_id: str, verdict: str, reason: str) -> Entry:
        """The controller's verdict on a finding."""
        self._allowed("validate")
        if finding_id not in logged(self.ws, self.spec.id).findings:
            raise InputError(
                f"finding '{finding_id}' is not logged in drill {self.spec.id}",
                hint="see the findings with 'socctl drill show', or sync the journal",
            )
        return self._append(
            "validate", {"finding_id": finding_id, "verdict": verdict, "reason": reason}
        )

    def checkpoint(self) -> Entry:
        """The controller's signed record of every chain's head in this copy of the journal."""
        self._allowed("checkpoint")
        trust = load_trust(self.ws)
        heads: dict[str, Any] = {}
        folder = journal_dir(self.ws, self.spec.id)
        for path in sorted(folder.glob(f"*{CHAIN_SUFFIX}")):
            slug = path.name[: -len(CHAIN_SUFFIX)]
            if slug == self.author.slug:
                continue
            head = read_head(path)
            if head is not None:
                heads[trust.get(slug).entry.fingerprint] = head.model_dump()
        return self._append("checkpoint", {"heads": heads})

    def close(self, *, at: datetime) -> Entry:
        """Checkpoint every chain, then close the drill (no more entries after)."""
        self._allowed("close")
        if at < self.spec.window.start:
            raise InputError(
                f"{at.isoformat()} is before the drill window opens "
                f"({self.spec.window.start.isoformat()})",
                hint="close the drill at the end of its window or later",
            )
        self.checkpoint()
        return self._append("close", {"at": at.isoformat()})


def _role_for(kind: str) -> str:
    return next(role.value for role, kinds in ALLOWED_KINDS.items() if kind in kinds)
