"""Security-level dossiers (hồ sơ đề xuất cấp độ): the file, its lifecycle, its check, its signatures.

A dossier lives in the workspace as ``dossiers/<system id>.yaml``. The IT officer edits everything
except ``history``: the dossier parts (ND85 Art. 15 / ND331 Art. 21-22), the TT12 Art. 8 contents,
the status and evidence of every catalogue item, and the security regulation (TT12 Art. 9.7).
``history`` holds the signed steps (submit, appraise, approve, return). Each step signs the SHA-256
of the dossier's *content* (everything but ``history``), so an edit after a decision, a hand-edited
decision, an untrusted key or a key without the role all fail :func:`verify_dossier`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socctl.errors import InputError, NotFoundError
from socctl.i18n import labels, t
from socctl.inventory.catalog import load_catalog
from socctl.inventory.level import compute_level
from socctl.inventory.regime import Deadline, DossierItem, applicable_regime, load_regime
from socctl.inventory.regime import StepName as RegimeStep
from socctl.inventory.store import SystemStore, check_id
from socctl.inventory.system import Slug, System
from socctl.inventory.workdays import DeadlineUnit
from socctl.reports.document import Document, Issuer, Signer
from socctl.storage import atomic_write
from socctl.storage.yamlio import compose_node, dump_yaml, line_of, load_model, read_text
from socctl.timeutil import now_utc
from socctl.trust.keys import fingerprint, load_private_key
from socctl.trust.signing import Signature, canonical_bytes, sign
from socctl.trust.store import Role, SignatureError, TrustStore, load_trust
from socctl.workspace import Workspace

_Day = date  # for fields named ``date``
#: The regimes a dossier can follow.
RegimeName = Literal["nd85", "nd331"]

_HEADER = """\
# Hồ sơ đề xuất cấp độ (security-level dossier) of system '{system}', managed with socctl.
# Edit: the evidence of parts (ND85 Art. 15 / ND331 Art. 21), explanation (TT12 Art. 8 / ND331
#   Art. 22) and security_plan (ND85 Art. 19.2) as a list of '- file: path/in/workspace.pdf',
#   '- url: https://...' or '- note: text'; every catalogue item's status (met | partial | not_met |
#   not_applicable) with its evidence; security_regulation (issued, number, date: TT12 Art. 9.7).
# Do not edit 'history': its steps are signed over the content above; 'socctl dossier check {system}'
# lists what is missing, 'socctl dossier verify {system}' checks the signatures.
"""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass(frozen=True)
class Requirement:
    """Something the dossier must hold: a part, an explanation content, a catalogue item."""

    id: str
    title: str
    article: str


@dataclass(frozen=True)
class Rule:
    """Who takes a step and its deadline (from the previous step)."""

    roles: tuple[Role, ...]
    deadline: Deadline | None
    article: str


@dataclass(frozen=True)
class Reassessment:
    every_months: int
    article: str

    def due(self, start: date) -> date:
        month = start.month - 1 + self.every_months
        year, month = start.year + month // 12, month % 12 + 1
        for day in (start.day, 30, 29, 28):  # 31/1 + 1 month -> 28 or 29/2
            try:
                return date(year, month, day)
            except ValueError:
                continue
        raise AssertionError("unreachable")  # pragma: no cover


#: The dossier's sections that list the regime's items, in document order.
SECTIONS = ("parts", "explanation", "security_plan")
#: The regime's prerequisites of approval that socctl checks itself (others are shown, not checked).
REGULATION_ITEM = "approval.security-regulation"
APPRAISAL_ITEM = "approval.appraisal-opinion"


@dataclass(frozen=True)
class DossierRules:
    """What a regime asks of a dossier at one level: its items, who decides, the deadlines."""

    regime: str
    level: int
    sections: dict[str, tuple[Requirement, ...]]
    catalogue: tuple[Requirement, ...]
    prerequisites: tuple[Requirement, ...]
    steps: dict[str, Rule]
    reassessment: Reassessment | None
    level_article: str
    transition_article: str


def _requirements(items: list[DossierItem], level: int) -> tuple[Requirement, ...]:
    return tuple(Requirement(i.id, i.text, i.article) for i in items if level in i.levels)


@cache
def rules_for(regime_name: str, level: int) -> DossierRules:
    """The regime's requirements for a dossier proposing ``level``."""
    regime = load_regime(regime_name)
    procedure = regime.procedure(level)
    steps: dict[str, Rule] = {}
    for name in ("submit", "appraise", "approve"):
        step = procedure.step(RegimeStep(name))
        if step is not None:
            steps[name] = Rule(tuple(step.roles), step.deadline, step.article)
    periodic = regime.periodic(level)
    catalog = load_catalog(regime_name, level)
    catalogue = tuple(
        Requirement(
            item.id,
            item.text,
            f"{catalog.source} {item.ref}"
            + (f"; {catalog.standard} {item.tcvn}" if item.tcvn else ""),
        )
        for item in catalog.items
    )
    return DossierRules(
        regime=regime_name,
        level=level,
        sections={name: _requirements(getattr(regime.dossier, name), level) for name in SECTIONS},
        catalogue=catalogue,
        prerequisites=_requirements(regime.dossier.before_approval, level),
        steps=steps,
        reassessment=(
            Reassessment(periodic.every_months, periodic.article) if periodic.every_months else None
        ),
        level_article=regime.component_rule,
        transition_article=regime.transition.article if regime.transition else "",
    )


class ItemStatus(StrEnum):
    unassessed = "unassessed"
    met = "met"
    partial = "partial"
    not_met = "not_met"
    not_applicable = "not_applicable"


class Evidence(_Model):
    """Where the proof is: a file (relative to the workspace), a URL, or a note."""

    file: str | None = None
    url: str | None = Field(None, pattern=r"^https?://\S+$")
    note: str | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Evidence:
        if sum(v is not None for v in (self.file, self.url, self.note)) != 1:
            raise ValueError("give exactly one of 'file', 'url' or 'note'")
        return self

    def describe(self) -> str:
        return self.file or self.url or self.note or ""


class Entry(_Model):
    """A dossier part or an Art. 8 content, with its evidence."""

    evidence: list[Evidence] = Field(default_factory=list)


class CatalogueEntry(_Model):
    status: ItemStatus = ItemStatus.unassessed
    evidence: list[Evidence] = Field(default_factory=list)


class SecurityRegulation(_Model):
    """The system's security regulation (quy chế bảo đảm ATTT), TT12 Art. 9.7."""

    issued: bool = False
    number: str | None = None
    date: _Day | None = None
    evidence: list[Evidence] = Field(default_factory=list)

    @model_validator(mode="after")
    def _issued_has_number_and_date(self) -> SecurityRegulation:
        if self.issued and (not self.number or self.date is None):
            raise ValueError("an issued regulation needs its 'number' and 'date'")
        return self


class LevelBasis(_Model):
    level: int = Field(ge=1, le=5)
    criterion: str
    article: str


class StepName(StrEnum):
    submit = "submit"
    appraise = "appraise"
    approve = "approve"
    return_ = "return"


class StepSignature(_Model):
    key: str = Field(description="fingerprint of the signing key")
    algorithm: Literal["ed25519"] = "ed25519"
    value: str = Field(description="base64 signature over the step's canonical payload")


class Step(_Model):
    """One signed step. Every field but ``signature`` is covered by the signature."""

    step: StepName
    at: datetime = Field(description="when the step was recorded (UTC)")
    date: date
    level: int = Field(ge=1, le=5)
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signer: str
    organisation: str
    role: str
    opinion: str | None = None
    decision_number: str | None = None
    reason: str | None = None
    signature: StepSignature | None = None


class Dossier(_Model):
    system: Slug
    regime: RegimeName
    proposed_level: int = Field(ge=1, le=5)
    level_basis: list[LevelBasis] = Field(default_factory=list)
    parts: dict[str, Entry] = Field(default_factory=dict)
    explanation: dict[str, Entry] = Field(default_factory=dict)
    security_plan: dict[str, Entry] = Field(default_factory=dict)
    catalogue: dict[str, CatalogueEntry] = Field(default_factory=dict)
    security_regulation: SecurityRegulation = SecurityRegulation()
    history: list[Step] = Field(default_factory=list)

    def content(self) -> dict[str, Any]:
        """What the steps sign: the dossier without its history."""
        return self.model_dump(mode="json", exclude={"history"})

    def content_sha256(self) -> str:
        return hashlib.sha256(canonical_bytes(self.content())).hexdigest()

    def cycle(self) -> list[Step]:
        """The steps since the last return (the decisions on the current submission)."""
        steps: list[Step] = []
        for step in self.history:
            steps = [] if step.step is StepName.return_ else [*steps, step]
        return steps


# --- files -----------------------------------------------------------------------------------


def dossier_path(ws: Workspace, system_id: str) -> Path:
    return ws.dossiers_dir / f"{check_id(system_id)}.yaml"


def load_dossier(ws: Workspace, system_id: str) -> Dossier:
    """Load and validate ``dossiers/<id>.yaml``, including its ids against the regime's lists."""
    path = dossier_path(ws, system_id)
    if not path.is_file():
        raise NotFoundError(
            f"no dossier for system '{system_id}'",
            path=path,
            hint=f"run 'socctl dossier new {system_id}'",
        )
    dossier = load_model(path, Dossier)
    if dossier.system != system_id:
        raise InputError(
            f"field 'system': '{dossier.system}' does not match the file name",
            path=path,
            line=_line(path, ("system",)),
            hint=f"set it to '{system_id}' or rename the file",
        )
    _check_ids(dossier, path)
    return dossier


def _line(path: Path, loc: tuple[str, ...]) -> int | None:
    return line_of(compose_node(read_text(path), str(path)), loc)


def _check_ids(dossier: Dossier, path: Path) -> None:
    rules = rules_for(dossier.regime, dossier.proposed_level)
    known = {name: {r.id for r in reqs} for name, reqs in rules.sections.items()}
    known["catalogue"] = {i.id for i in rules.catalogue}
    for section, ids in known.items():
        for key in getattr(dossier, section):
            if key not in ids:
                raise InputError(
                    f"field '{section}.{key}': no such item for {dossier.regime} "
                    f"level {dossier.proposed_level}",
                    path=path,
                    line=_line(path, (section, key)),
                    hint="check the id against 'socctl dossier check', or remove it",
                )


def save_dossier(ws: Workspace, dossier: Dossier) -> Path:
    """Write the dossier atomically (the caller holds the workspace lock)."""
    path = dossier_path(ws, dossier.system)
    data = dossier.model_dump(mode="json", exclude_none=True)
    atomic_write(path, _HEADER.format(system=dossier.system) + dump_yaml(data))
    return path


def new_dossier(system: System, regime: str, level: int, basis: list[LevelBasis]) -> Dossier:
    """A draft dossier listing every part, content and catalogue item the regime requires."""
    rules = rules_for(regime, level)
    return Dossier.model_validate(
        {
            "system": system.id,
            "regime": regime,
            "proposed_level": level,
            "level_basis": basis,
            **{name: {r.id: Entry() for r in reqs} for name, reqs in rules.sections.items()},
            "catalogue": {i.id: CatalogueEntry() for i in rules.catalogue},
        }
    )


# --- state and deadlines ---------------------------------------------------------------------


class State(StrEnum):
    draft = "draft"
    submitted = "submitted"
    appraised = "appraised"
    approved = "approved"
    reassessment_due = "reassessment_due"


_STATE_AFTER = {
    StepName.submit: State.submitted,
    StepName.appraise: State.appraised,
    StepName.approve: State.approved,
    StepName.return_: State.draft,
}

#: Which steps each state allows.
_ALLOWED = {
    State.draft: {StepName.submit},
    State.submitted: {StepName.appraise, StepName.return_},
    State.appraised: {StepName.approve, StepName.return_},
    State.approved: set(),
    State.reassessment_due: set(),
}


def recorded_state(dossier: Dossier) -> State:
    """The state the history leaves the dossier in (before re-assessment dates are considered)."""
    return _STATE_AFTER[dossier.history[-1].step] if dossier.history else State.draft


#: What a running deadline awaits.
Awaiting = Literal["appraisal", "approval", "reassessment"]


@dataclass(frozen=True)
class Clock:
    """A running deadline: the step that is awaited, from when, until when."""

    awaiting: Awaiting
    since: date
    due: date
    article: str
    overdue: bool


def _step(dossier: Dossier, name: StepName) -> Step | None:
    return next((s for s in reversed(dossier.cycle()) if s.step is name), None)


def reassessment_due(
    dossier: Dossier, system: System, rules: DossierRules, today: date
) -> Clock | None:
    """When the approved system's next periodic assessment is due (None if the regime sets no
    period); it runs from the approval or from a later independent assessment."""
    approval = _step(dossier, StepName.approve)
    if approval is None or rules.reassessment is None:
        return None
    start = approval.date
    last = system.protection_layers.last_independent_assessment
    if last is not None and last.date > start:
        start = last.date
    due = rules.reassessment.due(start)
    return Clock("reassessment", start, due, rules.reassessment.article, today > due)


def clock(dossier: Dossier, system: System, today: date) -> Clock | None:
    """The deadline running now: appraisal after submission, approval after appraisal,
    re-assessment after approval; ``overdue`` when today is past it."""
    rules = rules_for(dossier.regime, dossier.proposed_level)
    state = recorded_state(dossier)
    pending: tuple[Awaiting, StepName, Deadline | None]
    if state is State.submitted:
        pending = ("appraisal", StepName.submit, _deadline(rules, "appraise"))
    elif state is State.appraised:
        pending = ("approval", StepName.appraise, _deadline(rules, "approve"))
    elif state is State.approved:
        return reassessment_due(dossier, system, rules, today)
    else:
        return None
    awaiting, previous, deadline = pending
    step = _step(dossier, previous)
    if deadline is None or step is None:
        return None
    due = deadline.due(step.date)
    return Clock(awaiting, step.date, due, deadline.article, today > due)


def _deadline(rules: DossierRules, step: str) -> Deadline | None:
    rule = rules.steps.get(step)
    return rule.deadline if rule else None


def state_of(dossier: Dossier, system: System, today: date) -> State:
    """The dossier's state today: an approval past its periodic assessment is due again."""
    state = recorded_state(dossier)
    if state is State.approved:
        running = clock(dossier, system, today)
        if running is not None and running.overdue:
            return State.reassessment_due
    return state


# --- check -----------------------------------------------------------------------------------


class Severity(StrEnum):
    missing = "missing"  # blocks the next step
    gap = "gap"  # a requirement not (fully) met: the security plan must address it
    overdue = "overdue"


@dataclass(frozen=True)
class Finding:
    kind: str  # part | content | catalogue | regulation | level | regime | deadline
    ref: str
    title: str
    problem: str
    article: str
    severity: Severity
    blocks: str | None = None  # the step this finding blocks: submit | approve

    def as_row(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "kind": self.kind,
            "ref": self.ref,
            "problem": self.problem,
            "title": self.title,
            "article": self.article,
            "blocks": self.blocks,
        }


@dataclass(frozen=True)
class CheckResult:
    system: str
    regime: str
    level: int
    state: State
    findings: list[Finding] = field(default_factory=list)
    clock: Clock | None = None

    def blocking(self, step: str) -> list[Finding]:
        return [f for f in self.findings if f.blocks == step]

    def has(self, severity: Severity) -> bool:
        return any(f.severity is severity for f in self.findings)


def _evidence_problem(ws_root: Path, evidence: list[Evidence]) -> str | None:
    if not evidence:
        return "no evidence"
    for item in evidence:
        if item.file is not None:
            target = Path(item.file) if Path(item.file).is_absolute() else ws_root / item.file
            if not target.is_file():
                return f"evidence file not found: {item.file}"
    return None


def check_dossier(
    ws_root: Path,
    dossier: Dossier,
    system: System,
    computed_level: int,
    applicable_regime: str,
    today: date,
) -> CheckResult:
    """Everything missing for the dossier's regime and level, every gap, every overdue step."""
    rules = rules_for(dossier.regime, dossier.proposed_level)
    findings: list[Finding] = []
    if dossier.proposed_level < computed_level:
        findings.append(
            Finding(
                "level",
                "proposed_level",
                "Cấp độ đề xuất",
                f"proposed level {dossier.proposed_level} is below the computed level "
                f"{computed_level}",
                rules.level_article,
                Severity.missing,
                "submit",
            )
        )
    if applicable_regime != dossier.regime:
        findings.append(
            Finding(
                "regime",
                "regime",
                "Chế độ áp dụng",
                f"the dossier follows {dossier.regime}, the system now falls under "
                f"{applicable_regime}",
                rules.transition_article,
                Severity.missing,
                "submit",
            )
        )
    for section, requirements in rules.sections.items():
        entries: dict[str, Entry] = getattr(dossier, section)
        for req in requirements:
            entry = entries.get(req.id)
            problem = (
                "not in the dossier"
                if entry is None
                else _evidence_problem(ws_root, entry.evidence)
            )
            if problem:
                findings.append(
                    Finding(
                        section, req.id, req.title, problem, req.article, Severity.missing, "submit"
                    )
                )
    for item in rules.catalogue:
        c_entry = dossier.catalogue.get(item.id, CatalogueEntry())
        finding = _catalogue_finding(ws_root, item.id, item.title, item.article, c_entry)
        if finding is not None:
            findings.append(finding)
    findings.extend(_prerequisite_findings(dossier, rules))
    running = clock(dossier, system, today)
    if running is not None and running.overdue:
        findings.append(
            Finding(
                "deadline",
                running.awaiting,
                f"Thời hạn {running.awaiting}",
                f"{running.awaiting} was due on {running.due.isoformat()}",
                running.article,
                Severity.overdue,
            )
        )
    return CheckResult(
        dossier.system,
        dossier.regime,
        dossier.proposed_level,
        state_of(dossier, system, today),
        findings,
        running,
    )


def _prerequisite_findings(dossier: Dossier, rules: DossierRules) -> list[Finding]:
    """What must hold before approval. The security regulation (TT12 Art. 9.7) must be issued;
    the appraisal opinion is the signed appraisal step, which the lifecycle itself requires."""
    findings = []
    for req in rules.prerequisites:
        if req.id == APPRAISAL_ITEM or (
            req.id == REGULATION_ITEM and dossier.security_regulation.issued
        ):
            continue
        if req.id == REGULATION_ITEM:
            problem = "not issued: give its number and date under security_regulation"
            severity, blocks = Severity.missing, "approve"
        else:
            problem, severity, blocks = "confirm it before approval", Severity.gap, None
        findings.append(
            Finding("prerequisite", req.id, req.title, problem, req.article, severity, blocks)
        )
    return findings


def _catalogue_finding(
    ws_root: Path, item_id: str, title: str, article: str, entry: CatalogueEntry
) -> Finding | None:
    def found(problem: str, severity: Severity, blocks: str | None) -> Finding:
        return Finding("catalogue", item_id, title, problem, article, severity, blocks)

    if entry.status is ItemStatus.unassessed:
        return found("not assessed: set its status", Severity.missing, "submit")
    problem = _evidence_problem(ws_root, entry.evidence)
    if problem:
        return found(f"{entry.status.value}, {problem}", Severity.missing, "submit")
    if entry.status in (ItemStatus.not_met, ItemStatus.partial):
        return found(entry.status.value.replace("_", " "), Severity.gap, None)
    return None


# --- signed steps ----------------------------------------------------------------------------

#: The signed payload's type tag: a signature over a step can never be replayed as something else.
PAYLOAD_TYPE = "socctl.dossier-step/1"


def step_payload(system_id: str, step: Step) -> bytes:
    """The exact bytes a step's signature covers: the step (minus its signature) and the system."""
    body = step.model_dump(mode="json", exclude={"signature"})
    return canonical_bytes({"type": PAYLOAD_TYPE, "system": system_id, **body})


def _signature_of(signed: StepSignature) -> Signature:
    return Signature(key_fingerprint=signed.key, signature_b64=signed.value)


def roles_for(step: StepName, state_before: State, rules: DossierRules) -> tuple[Role, ...]:
    """Who may take ``step`` from ``state_before``: a return is made by whoever decides next."""
    if step is StepName.submit:
        name = "submit"
    elif step is StepName.appraise or (
        step is StepName.return_ and state_before is State.submitted
    ):
        name = "appraise"
    else:
        name = "approve"
    rule = rules.steps.get(name)
    return rule.roles if rule else ()


def _signer_role(
    trust: TrustStore, key_fingerprint: str, allowed: tuple[Role, ...], what: str
) -> Role:
    """The role, among ``allowed``, held by the key; a clear error when it holds none."""
    try:
        key = trust.get(key_fingerprint)
    except NotFoundError:
        raise SignatureError(
            f"signed by key {key_fingerprint}, which this workspace does not trust",
            hint="the signer's public key must be in trust/ (socctl keys new)",
        ) from None
    if not allowed:
        raise InputError(
            f"no role of the trust store may {what} (see the regime's procedure)",
            hint="that authority signs outside socctl",
        )
    held = [r for r in allowed if r in key.entry.roles]
    if not held:
        raise SignatureError(
            f"{key.entry.person} ({key.slug}) may not {what}: that needs the role "
            f"{' or '.join(allowed)} (holds: {', '.join(key.entry.roles)})",
            path=key.path,
            hint="use the key of a person holding that role",
        )
    return held[0]


@dataclass(frozen=True)
class StepInput:
    """What the person taking a step provides."""

    step: StepName
    key: Path
    on: date
    organisation: str | None = None
    opinion: str | None = None
    decision_number: str | None = None
    reason: str | None = None


def take_step(ws: Workspace, system_id: str, request: StepInput, today: date) -> Step:
    """Check, sign and record one step; on any refusal nothing is written."""
    with ws.lock():
        dossier = load_dossier(ws, system_id)
        system = SystemStore(ws).get(system_id)
        rules = rules_for(dossier.regime, dossier.proposed_level)
        state = recorded_state(dossier)
        _check_allowed(dossier, state, request, today)
        if request.step is StepName.submit or request.step is StepName.approve:
            _check_complete(ws, dossier, system, request.step, today)
        trust = load_trust(ws)
        what = f"{request.step.value} a level-{dossier.proposed_level} dossier"
        unsigned = Step(
            step=request.step,
            at=now_utc().replace(microsecond=0),
            date=request.on,
            level=dossier.proposed_level,
            content_sha256=dossier.content_sha256(),
            signer="",
            organisation="",
            role="",
            opinion=request.opinion,
            decision_number=request.decision_number,
            reason=request.reason,
        )
        key_fingerprint = fingerprint(load_private_key(request.key).public_key())
        role = _signer_role(trust, key_fingerprint, roles_for(request.step, state, rules), what)
        entry = trust.get(key_fingerprint).entry
        step = unsigned.model_copy(
            update={
                "signer": entry.person,
                "organisation": request.organisation or entry.organisation,
                "role": role.value,
            }
        )
        signature = sign(request.key, step_payload(system_id, step))
        trust.verify(signature, step_payload(system_id, step), role)
        step = step.model_copy(
            update={
                "signature": StepSignature(
                    key=signature.key_fingerprint, value=signature.signature_b64
                )
            }
        )
        dossier.history.append(step)
        save_dossier(ws, dossier)
    return step


#: The text each step must carry (an empty decision number or opinion decides nothing).
_REQUIRED_TEXT: dict[StepName, tuple[tuple[str, str], ...]] = {
    StepName.appraise: (("organisation", "--organisation"), ("opinion", "--opinion")),
    StepName.approve: (("decision_number", "--decision-number"),),
    StepName.return_: (("reason", "--reason"),),
}


def _check_text(request: StepInput) -> None:
    for name, option in _REQUIRED_TEXT.get(request.step, ()):
        value = getattr(request, name)
        if value is None or not value.strip():
            raise InputError(
                f"{option} is empty: a {request.step.value} must state it",
                hint=f"give {option} with the text of the signed decision",
            )


def _check_allowed(dossier: Dossier, state: State, request: StepInput, today: date) -> None:
    _check_text(request)
    allowed = _ALLOWED[state]
    if request.step not in allowed:
        nxt = " or ".join(sorted(s.value for s in allowed)) or "nothing (the dossier is approved)"
        raise InputError(
            f"cannot {request.step.value} dossier '{dossier.system}': it is {state.value}",
            hint=f"the next step can be: {nxt}",
        )
    if request.on > today:
        raise InputError(
            f"the {request.step.value} date {request.on.isoformat()} is in the future",
            hint="give the date the decision was taken",
        )
    cycle = dossier.cycle()
    if cycle and request.on < cycle[-1].date:
        raise InputError(
            f"the {request.step.value} date {request.on.isoformat()} is before the previous step "
            f"({cycle[-1].step.value} on {cycle[-1].date.isoformat()})",
            hint="give the date the decision was taken",
        )
    if cycle and cycle[0].content_sha256 != dossier.content_sha256():
        raise InputError(
            f"dossier '{dossier.system}' changed after it was submitted on "
            f"{cycle[0].date.isoformat()}",
            hint="undo the edit, or return the dossier so that it is submitted again",
        )


def _check_complete(
    ws: Workspace, dossier: Dossier, system: System, step: StepName, today: date
) -> None:
    assessed = assess(ws, system, today)
    result = check_dossier(ws.root, dossier, system, assessed.level, assessed.regime, today)
    blocking = result.blocking(step.value)
    if blocking:
        first = blocking[0]
        more = f" and {len(blocking) - 1} more" if len(blocking) > 1 else ""
        raise InputError(
            f"cannot {step.value} dossier '{dossier.system}': {first.kind} '{first.ref}' "
            f"{first.problem}{more}",
            hint=f"see 'socctl dossier check {dossier.system}'",
        )


# --- verification ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StepCheck:
    index: int
    step: Step
    ok: bool
    problem: str | None
    current: bool  # part of the decisions on the current content (not superseded by a return)

    def as_row(self) -> dict[str, Any]:
        return {
            "step": self.step.step.value,
            "date": self.step.date.isoformat(),
            "signer": self.step.signer,
            "organisation": self.step.organisation,
            "role": self.step.role,
            "key": self.step.signature.key if self.step.signature else None,
            "current": self.current,
            "ok": self.ok,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Verification:
    system: str
    state: State
    steps: list[StepCheck]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    def problems(self) -> list[str]:
        return [
            f"step {s.index + 1} ({s.step.step.value}): {s.problem}"
            for s in self.steps
            if s.problem
        ]

    def approval(self) -> Step | None:
        """The verified approval of the current content, if there is one."""
        current = [s.step for s in self.steps if s.current and s.ok]
        if self.ok and current and current[-1].step is StepName.approve:
            return current[-1]
        return None


def verify_dossier(dossier: Dossier, trust: TrustStore) -> Verification:
    """Check every step: order, signature, signer's role, and that the current decisions sign
    exactly the current content at the proposed level."""
    rules = rules_for(dossier.regime, dossier.proposed_level)
    content = dossier.content_sha256()
    last_return = max(
        (i for i, s in enumerate(dossier.history) if s.step is StepName.return_), default=-1
    )
    checks: list[StepCheck] = []
    state = State.draft
    for index, step in enumerate(dossier.history):
        current = index > last_return
        problem = _step_problem(dossier, step, state, rules, trust, content if current else None)
        if problem is None and index and step.date < dossier.history[index - 1].date:
            problem = "dated before the previous step"
        checks.append(StepCheck(index, step, problem is None, problem, current))
        state = _STATE_AFTER[step.step]
    return Verification(dossier.system, recorded_state(dossier), checks)


def _step_problem(
    dossier: Dossier,
    step: Step,
    state: State,
    rules: DossierRules,
    trust: TrustStore,
    content: str | None,
) -> str | None:
    if step.step not in _ALLOWED[state]:
        return f"a {step.step.value} cannot follow a {state.value} dossier"
    if step.signature is None:
        return "not signed"
    payload = step_payload(dossier.system, step)
    allowed = roles_for(step.step, state, rules)
    try:
        role = _signer_role(trust, step.signature.key, allowed, f"{step.step.value} this dossier")
        trust.verify(_signature_of(step.signature), payload, role)
    except SignatureError as exc:
        return exc.message
    if content is not None and step.content_sha256 != content:
        return "the dossier changed after this step was signed (its content is not what was signed)"
    if content is not None and step.level != dossier.proposed_level:
        return f"signed for level {step.level}, the dossier proposes {dossier.proposed_level}"
    return None


# --- the system's level today ----------------------------------------------------------------


@dataclass(frozen=True)
class Assessed:
    """A system's applicable regime and computed level on a day, with the reasons."""

    regime: str
    regime_reason: str
    level: int
    basis: list[LevelBasis]


def assess(ws: Workspace, system: System, today: date) -> Assessed:
    """Which regime applies to ``system`` on ``today`` and the level it computes to."""
    choice = applicable_regime(system, ws.settings.inventory.regime, today)
    result = compute_level(system, choice.regime)
    basis = [
        LevelBasis(
            level=r.level,
            criterion=r.criterion.text + (f" (thành phần {r.component})" if r.component else ""),
            article=r.article,
        )
        for r in result.reasons
    ]
    return Assessed(choice.regime.id, choice.reason, result.level, basis)


# --- the document ----------------------------------------------------------------------------


def document_labels(lang: str) -> dict[str, dict[str, str]]:
    """The vocabularies a dossier document names, labelled in ``lang`` from the message catalogue."""
    return {
        "state": labels("state", State, lang),
        "step": labels("step", [*StepName, *RegimeStep], lang),
        "deadline_unit": labels("deadline_unit", DeadlineUnit, lang),
        "deadline_start": labels(
            "deadline_start", get_args(Deadline.model_fields["starts"].annotation), lang
        ),
        "status": labels("item_status", ItemStatus, lang),
        "role": labels("role", Role, lang),
        "regime": labels("regime", get_args(RegimeName), lang),
        "awaiting": labels("awaiting", get_args(Awaiting), lang),
    }


def _rows(requirements: tuple[Requirement, ...], entries: dict[str, Entry]) -> list[dict[str, Any]]:
    return [
        {
            "id": req.id,
            "title": req.title,
            "article": req.article,
            "evidence": [e.describe() for e in entries.get(req.id, Entry()).evidence],
        }
        for req in requirements
    ]


def _procedure(regime: str, level: int) -> list[dict[str, Any]]:
    """The regime's steps at ``level``: the authority the law names, the roles that sign for it
    in socctl (none: it decides outside socctl), the deadline and the article."""
    return [
        {
            "step": step.step.value,
            "authority": step.authority,
            "roles": [role.value for role in step.roles],
            "deadline": step.deadline,
            "article": step.article,
        }
        for step in load_regime(regime).procedure(level).steps
    ]


def _authority_of_roles(procedure: list[dict[str, Any]]) -> dict[str, str]:
    """The authority each signing role acts for at this level (a role acts for one authority)."""
    authorities: dict[str, str] = {}
    for step in procedure:
        for role in step["roles"]:
            authorities.setdefault(role, step["authority"])
    return authorities


def document_context(
    ws: Workspace, system_id: str, today: date, lang: str = "vi"
) -> dict[str, Any]:
    """Everything ``dossier.html.j2`` / ``dossier.md.j2`` print in ``lang`` (vi or en),
    verification results included."""
    dossier = load_dossier(ws, system_id)
    system = SystemStore(ws).get(system_id)
    rules = rules_for(dossier.regime, dossier.proposed_level)
    verification = verify_dossier(dossier, load_trust(ws))
    current = state_of(dossier, system, today)
    submission = _step(dossier, StepName.submit)
    doc = Document(
        title=t("doc.dossier.title", lang),
        kind="official",
        lang=lang,
        issued=today,
        issuer=Issuer(name=system.operator, parent=system.owner),
        subject=t("doc.dossier.subject", lang, name=system.name, level=dossier.proposed_level),
        metadata={
            t("doc.dossier.system_id", lang): system.id,
            t("doc.dossier.regime", lang): t(f"regime.{dossier.regime}", lang),
            t("doc.dossier.state", lang): t(f"state.{current}", lang),
            t("doc.dossier.content_hash", lang): dossier.content_sha256()[:16],
        },
        signer=(
            Signer(title=t("doc.dossier.signer", lang), name=submission.signer)
            if submission is not None
            else None
        ),
    )
    sections = {name: _rows(reqs, getattr(dossier, name)) for name, reqs in rules.sections.items()}
    catalogue = [
        {
            "id": item.id,
            "title": item.title,
            "article": item.article,
            "status": dossier.catalogue.get(item.id, CatalogueEntry()).status.value,
            "evidence": [
                e.describe() for e in dossier.catalogue.get(item.id, CatalogueEntry()).evidence
            ],
        }
        for item in rules.catalogue
    ]
    procedure = _procedure(dossier.regime, dossier.proposed_level)
    acts_for = _authority_of_roles(procedure)
    return {
        "doc": doc,
        "labels": document_labels(lang),
        "system": system.model_dump(mode="json"),
        "dossier": {
            "regime": dossier.regime,
            "level": dossier.proposed_level,
            "state": current.value,
            "basis": [b.model_dump() for b in dossier.level_basis],
            "regulation": dossier.security_regulation.model_dump(mode="json"),
            "content_sha256": dossier.content_sha256(),
        },
        "sections": sections,
        "catalogue": catalogue,
        "catalogue_counts": Counter(row["status"] for row in catalogue),
        "clock": clock(dossier, system, today),
        "procedure": procedure,
        "verification": {
            "ok": verification.ok,
            "steps": [
                {**s.as_row(), "authority": acts_for.get(s.step.role)} for s in verification.steps
            ],
        },
    }
