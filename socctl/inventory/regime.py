"""Security-level regimes as data (``assessments/regimes/<id>.yaml``) and which one applies.

A regime holds the level criteria as conditions over a system's ``Classification``, who appraises
and approves each level with the deadlines, the periodic assessments, the annual report, the
dossier's parts and contents and the transition rules, each with the article it comes from.

Conditions are a small language, validated when the regime is loaded::

    when: {information: {contains: state_secret}, security_harm: serious}   # all of these
    when: {any: [{conditional_business: true}, {data_subjects.total: {gte: 10000}}]}

A mapping is the conjunction of its entries; ``all``, ``any`` (lists) and ``not`` combine
conditions. A field is a ``Classification`` field (``data_subjects.basic``, ``.sensitive``, and
the derived ``data_subjects.total``); a scalar value tests equality, a mapping applies operators:
``eq ne in not_in`` (values), ``gt gte lt lte`` (numbers), ``contains contains_any excludes only``
(the ``information`` list).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, model_validator

from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import Classification, System
from socctl.inventory.workdays import DeadlineUnit, due_date
from socctl.resources import content_dir
from socctl.storage.yamlio import load_model
from socctl.trust.store import Role

LEVELS = (1, 2, 3, 4, 5)
REGIME_IDS = ("nd85", "nd331")

# --- the condition language ---------------------------------------------------------------------

FieldKind = Literal["choice", "choices", "int", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    """What a condition may say about one classification field."""

    kind: FieldKind
    choices: frozenset[str] = frozenset()
    nullable: bool = False


_OPERATORS: dict[FieldKind, frozenset[str]] = {
    "choice": frozenset({"eq", "ne", "in", "not_in"}),
    "choices": frozenset({"contains", "contains_any", "excludes", "only"}),
    "int": frozenset({"eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte"}),
    "bool": frozenset({"eq", "ne"}),
}


def _spec_of(annotation: Any) -> FieldSpec | None:
    """How conditions may test a field of this type; None for types they cannot test."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    nullable = typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) < len(
        typing.get_args(annotation)
    )
    inner = args[0] if nullable else annotation
    if typing.get_origin(inner) is list:
        (element,) = typing.get_args(inner)
        return FieldSpec("choices", frozenset(typing.get_args(element)))
    if typing.get_origin(inner) is Literal:
        return FieldSpec("choice", frozenset(typing.get_args(inner)), nullable)
    if inner is bool:
        return FieldSpec("bool", nullable=nullable)
    if inner is int:
        return FieldSpec("int", nullable=nullable)
    return None


@cache
def condition_fields() -> dict[str, FieldSpec]:
    """Every field a condition may name, derived from ``Classification``."""
    specs: dict[str, FieldSpec | None] = {}
    for name, info in Classification.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, sub_info in annotation.model_fields.items():
                specs[f"{name}.{sub}"] = _spec_of(sub_info.annotation)
        else:
            specs[name] = _spec_of(annotation)
    specs["data_subjects.total"] = FieldSpec("int")
    return {name: spec for name, spec in specs.items() if spec is not None}


def classification_facts(classification: Classification) -> dict[str, Any]:
    """The values conditions test, flattened (``data_subjects.basic``) with derived fields."""
    facts: dict[str, Any] = {}
    for name, value in classification.model_dump().items():
        if isinstance(value, dict):
            facts.update({f"{name}.{sub}": v for sub, v in value.items()})
        else:
            facts[name] = value
    facts["data_subjects.total"] = (
        classification.data_subjects.basic + classification.data_subjects.sensitive
    )
    return facts


@dataclass(frozen=True)
class FieldTest:
    field: str
    op: str
    value: Any

    def matches(self, facts: Mapping[str, Any]) -> bool:
        actual = facts[self.field]
        value = self.value
        if self.op == "eq":
            return bool(actual == value)
        if self.op == "ne":
            return bool(actual != value)
        if self.op == "in":
            return actual in value
        if self.op == "not_in":
            return actual not in value
        if self.op == "contains":
            return set(value) <= set(actual)
        if self.op == "contains_any":
            return bool(set(value) & set(actual))
        if self.op == "excludes":
            return not set(value) & set(actual)
        if self.op == "only":
            return set(actual) <= set(value)
        if actual is None:
            return False
        comparisons = {
            "gt": actual > value,
            "gte": actual >= value,
            "lt": actual < value,
            "lte": actual <= value,
        }
        return comparisons[self.op]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return all(part.matches(facts) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return any(part.matches(facts) for part in self.parts)


@dataclass(frozen=True)
class Not:
    part: Condition

    def matches(self, facts: Mapping[str, Any]) -> bool:
        return not self.part.matches(facts)


Condition = FieldTest | AllOf | AnyOf | Not


def _check_value(field: str, spec: FieldSpec, op: str, value: Any, where: str) -> Any:
    """Validate one operand; lists for set operators, a member of the field's choices, etc."""
    listy = op in {"in", "not_in", "contains", "contains_any", "excludes", "only"}
    if listy:
        if spec.kind == "choices" and op in {"contains", "excludes"} and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value:
            raise ValueError(f"{where}: '{op}' needs a non-empty list")
        return tuple(_check_value(field, spec, "eq", v, where) for v in value)
    if value is None and spec.nullable and op in {"eq", "ne"}:
        return None
    if spec.kind in {"choice", "choices"}:
        if value not in spec.choices:
            allowed = ", ".join(sorted(spec.choices))
            raise ValueError(f"{where}: '{value}' is not a value of {field} ({allowed})")
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{where}: {field} is true or false, not {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where}: {field} is compared with a whole number, not {value!r}")
    return value


def _parse_field(field: str, raw: Any, where: str) -> Condition:
    spec = condition_fields().get(field)
    if spec is None:
        known = ", ".join(sorted(condition_fields()))
        raise ValueError(f"{where}: unknown field '{field}' (known: {known}; or all/any/not)")
    if not isinstance(raw, dict):
        if spec.kind == "choices":
            raise ValueError(
                f"{where}: test the list {field} with contains, contains_any, excludes or only"
            )
        return FieldTest(field, "eq", _check_value(field, spec, "eq", raw, where))
    if not raw:
        raise ValueError(f"{where}: empty operator mapping for {field}")
    tests: list[Condition] = []
    for op, value in raw.items():
        if op not in _OPERATORS[spec.kind]:
            allowed = ", ".join(sorted(_OPERATORS[spec.kind]))
            raise ValueError(f"{where}: operator '{op}' does not apply to {field} (use {allowed})")
        tests.append(FieldTest(field, op, _check_value(field, spec, op, value, f"{where}.{op}")))
    return tests[0] if len(tests) == 1 else AllOf(tuple(tests))


def parse_condition(raw: Any, where: str = "when") -> Condition:
    """Compile a condition written in YAML; a ``ValueError`` names the place and the problem."""
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{where}: a condition is a non-empty mapping of fields or all/any/not")
    parts: list[Condition] = []
    for key, value in raw.items():
        here = f"{where}.{key}"
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ValueError(f"{here}: needs a non-empty list of conditions")
            subs = tuple(parse_condition(v, f"{here}[{i}]") for i, v in enumerate(value))
            parts.append(AllOf(subs) if key == "all" else AnyOf(subs))
        elif key == "not":
            parts.append(Not(parse_condition(value, here)))
        else:
            parts.append(_parse_field(str(key), value, here))
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _as_condition(raw: Any) -> Condition:
    if isinstance(raw, FieldTest | AllOf | AnyOf | Not):
        return raw
    return parse_condition(raw)


# --- the regime data ------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


Level = Annotated[int, Field(ge=1, le=5)]
Article = Annotated[str, Field(min_length=3, description='e.g. "ND85 Điều 9 khoản 1"')]
Authority = Annotated[
    str, Field(min_length=3, description="the body the law names, in Vietnamese, for documents")
]


class StepName(StrEnum):
    submit = "submit"  # the operator files the dossier
    reply_incomplete = "reply_incomplete"  # the receiver answers an incomplete dossier
    professional_opinion = "professional_opinion"  # specialised unit's opinion (levels 4-5)
    appraise = "appraise"
    approve = "approve"
    approve_list = "approve_list"  # the Prime Minister's list of level-5 systems


class Source(_Model):
    id: str = Field(description="short name used in articles, e.g. ND85")
    title: str
    effective: date
    file: str | None = Field(None, description="the text under ../shared/reference/legal/")
    verified: bool = True
    note: str | None = None


class Criterion(_Model):
    id: str
    level: Level
    article: Article
    summary: str = Field(description="one line in English")
    text: str = Field(description="the criterion in Vietnamese, as the text says it")
    when: Annotated[Condition, PlainValidator(_as_condition)]
    note: str | None = None


class Deadline(_Model):
    amount: int = Field(gt=0, le=366)
    unit: DeadlineUnit
    starts: Literal["dossier_received", "complete_dossier"]
    article: Article

    def due(self, start: date) -> date:
        return due_date(start, self.amount, self.unit)


class Step(_Model):
    step: StepName
    roles: list[Role] = Field(
        description="the trust roles whose signature takes it (any one); empty when the "
        "authority decides outside socctl (the Prime Minister's list)"
    )
    authority: Authority
    decides: Literal["level_dossier", "security_plan", "level5_list"] | None = None
    deadline: Deadline | None = None
    report_to: Role | None = None
    article: Article
    note: str | None = None


class Procedure(_Model):
    levels: list[Level] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_steps(self) -> Procedure:
        names = [s.step for s in self.steps]
        if len(names) != len(set(names)):
            raise ValueError(f"a step appears twice for levels {self.levels}")
        return self

    def step(self, name: StepName | str) -> Step | None:
        return next((s for s in self.steps if s.step == name), None)


class PeriodicAssessment(_Model):
    levels: list[Level] = Field(min_length=1)
    every_months: int | None = Field(None, gt=0, description="null: the text sets no period")
    scope: Literal["system", "organisation"] = "system"
    independent: bool = Field(description="done by a licensed or designated organisation")
    article: Article
    note: str | None = None


class MonthDay(_Model):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _real_day(self) -> MonthDay:
        date(2024, self.month, self.day)  # a leap year accepts every real day
        return self

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)


class ReportSubmission(_Model):
    by: list[Role] = Field(min_length=1)
    by_authority: Authority
    to: Role
    to_authority: Authority
    before: MonthDay = Field(description="strictly before this day of every year")
    article: Article


class AnnualReport(_Model):
    period_from: MonthDay = Field(description="data from this day of the previous year")
    period_to: MonthDay = Field(description="to this day of the report's year")
    submissions: list[ReportSubmission] = Field(min_length=1)
    article: Article


class DossierItem(_Model):
    id: str
    text: str = Field(description="Vietnamese, as the text says it")
    summary: str = Field(description="one line in English")
    article: Article
    levels: list[Level] = Field(default_factory=lambda: list(LEVELS))
    note: str | None = None


class Dossier(_Model):
    parts: list[DossierItem] = Field(min_length=1, description="ND85 Art. 15 / ND331 Art. 21")
    explanation: list[DossierItem] = Field(min_length=1, description="TT12 Art. 8 / ND331 Art. 22")
    security_plan: list[DossierItem] = Field(min_length=1, description="ND85 Art. 19.2")
    before_approval: list[DossierItem] = Field(description="TT12 Art. 9.7, approval dossier")

    def items(self) -> list[DossierItem]:
        return [*self.parts, *self.explanation, *self.security_plan, *self.before_approval]


class Transition(_Model):
    """Systems already being built when a regime starts keep the old rules for a while."""

    article: Article
    regime: str = Field(description="the old regime that still applies")
    construction_before: date
    old_rules_until: date = Field(description="appraisal and approval under the old regime by")
    new_conditions_by: date = Field(description="the new regime's measures in place by")
    note: str | None = None


class Regime(_Model):
    id: Literal["nd85", "nd331"]
    title: str
    verified: bool = Field(description="false when the only text is an unverified copy")
    note: str | None = None
    sources: list[Source] = Field(min_length=1)
    effective_from: date
    catalog: str = Field(pattern=r"^[a-z0-9-]+$", description="assessments/catalog/<catalog>/")
    catalog_note: str | None = None
    criteria: list[Criterion] = Field(min_length=5)
    component_rule: Article = Field(description="a system takes its highest component's level")
    risk_assessment_required: Article | None = Field(
        None,
        description="the article requiring a cybersecurity risk assessment when the level is "
        "determined; a system without risk_assessed_level then gets a warning",
    )
    procedures: list[Procedure]
    periodic_assessment: list[PeriodicAssessment]
    annual_report: AnnualReport
    dossier: Dossier
    transition: Transition | None = None

    @model_validator(mode="after")
    def _complete(self) -> Regime:
        ids = [c.id for c in self.criteria]
        if len(ids) != len(set(ids)):
            raise ValueError("two criteria share an id")
        missing = set(LEVELS) - {c.level for c in self.criteria}
        if missing:
            raise ValueError(f"no criterion for level(s) {sorted(missing)}")
        for name, covered in (
            ("procedures", [lvl for p in self.procedures for lvl in p.levels]),
            ("periodic_assessment", [lvl for p in self.periodic_assessment for lvl in p.levels]),
        ):
            if sorted(covered) != list(LEVELS):
                raise ValueError(f"{name} must cover each level 1-5 exactly once, got {covered}")
        item_ids = [i.id for i in self.dossier.items()]
        if len(item_ids) != len(set(item_ids)):
            raise ValueError("two dossier items share an id")
        return self

    def procedure(self, level: int) -> Procedure:
        return next(p for p in self.procedures if level in p.levels)

    def periodic(self, level: int) -> PeriodicAssessment:
        return next(p for p in self.periodic_assessment if level in p.levels)

    def dossier_items(self, level: int) -> list[DossierItem]:
        """Every dossier part, explanation content and prerequisite required at ``level``."""
        return [i for i in self.dossier.items() if level in i.levels]


def regimes_dir() -> Path:
    return content_dir("assessments") / "regimes"


def regime_path(name: str) -> Path:
    return regimes_dir() / f"{name}.yaml"


def load_regime_file(path: Path) -> Regime:
    """Load and validate one regime file (errors name the file, line and field)."""
    regime = load_model(path, Regime)
    if regime.id != path.stem:
        raise InputError(
            f"regime id '{regime.id}' differs from the file name",
            path=path,
            hint=f"name the file {regime.id}.yaml",
        )
    return regime


@cache
def load_regime(name: str) -> Regime:
    """The shipped regime ``nd85`` or ``nd331``."""
    if name not in REGIME_IDS:
        raise NotFoundError(f"unknown regime '{name}'", hint=f"use one of: {', '.join(REGIME_IDS)}")
    return load_regime_file(regime_path(name))


# --- which regime applies -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegimeChoice:
    """The regime that applies to a system, and why."""

    regime: Regime = dataclasses.field(repr=False)
    reason: str
    article: str | None = None
    #: Under a transition: the old rules apply until this day, the new measures are due by the other.
    old_rules_until: date | None = None
    new_conditions_by: date | None = None


def applicable_regime(system: System, pinned: str, today: date) -> RegimeChoice:
    """The regime for ``system`` on ``today``.

    Precedence: the system's own ``regime`` field, then the workspace's ``pinned`` setting
    (``settings.inventory.regime``), then ``auto``: the newest regime in force on ``today``, except
    that a system being built before a regime's transition date keeps the old regime until the
    transition's deadline (ND331 Art. 39.1).
    """
    if system.regime != "auto":
        return RegimeChoice(load_regime(system.regime), f"pinned by the system ({system.id})")
    if pinned != "auto":
        return RegimeChoice(load_regime(pinned), "pinned by the workspace (inventory.regime)")
    in_force = [r for r in map(load_regime, REGIME_IDS) if r.effective_from <= today]
    if not in_force:
        raise InputError(
            f"no regime is in force on {today.isoformat()}", hint="check the date or pin a regime"
        )
    newest = max(in_force, key=lambda r: r.effective_from)
    transition = newest.transition
    if transition is None:
        return RegimeChoice(newest, f"in force since {newest.effective_from.isoformat()}")
    started = system.dates.construction_started
    operating = system.dates.operating_since
    building_at_cutover = (
        started is not None
        and started < transition.construction_before
        and (operating is None or operating >= transition.construction_before)
    )
    cutover = transition.construction_before.isoformat()
    if not building_at_cutover:
        why = (
            f"{newest.id} in force since {newest.effective_from.isoformat()}; "
            f"not under construction before {cutover}"
        )
        return RegimeChoice(newest, why, transition.article)
    if today <= transition.old_rules_until:
        why = (
            f"under construction before {cutover}: appraisal and approval under "
            f"{transition.regime} until {transition.old_rules_until.isoformat()}, "
            f"{newest.id} measures by {transition.new_conditions_by.isoformat()}"
        )
        return RegimeChoice(
            load_regime(transition.regime),
            why,
            transition.article,
            transition.old_rules_until,
            transition.new_conditions_by,
        )
    why = (
        f"under construction before {cutover} but the transition to "
        f"{transition.old_rules_until.isoformat()} is over"
    )
    return RegimeChoice(newest, why, transition.article, None, transition.new_conditions_by)
