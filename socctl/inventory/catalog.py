"""The requirement catalogue per level (TT12 Annexes I-V) as data: ``assessments/catalog/<name>/``.

One file per level, ``level-<N>.yaml``; every item has a stable id (``L3-QL-01``) that dossiers
reference, its place in the annex, its Vietnamese text, its group and sub-group and its
TCVN 11930:2017 clause where the annex gives one.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from socctl.errors import InputError, NotFoundError
from socctl.inventory.regime import LEVELS, load_regime
from socctl.resources import content_dir
from socctl.storage.yamlio import load_model

Group = Literal["management", "technical_design", "technical_configuration"]

#: Sub-groups of each group, in annex order (TT12 Art. 9.3-9.4 and the annex tables).
SUBGROUPS: dict[Group, tuple[str, ...]] = {
    "management": (
        "policy",
        "organisation",
        "human_resources",
        "design_build",
        "operations",
        "risk_management",
        "end_of_life",
    ),
    "technical_design": ("network_zones", "design_measures"),
    "technical_configuration": ("network", "server", "application", "data"),
}

#: The id prefix of each sub-group's items: QL quản lý, VM vùng mạng, TK thiết kế, CH cấu hình.
ID_PREFIX = {
    **dict.fromkeys(SUBGROUPS["management"], "QL"),
    "network_zones": "VM",
    "design_measures": "TK",
    **dict.fromkeys(SUBGROUPS["technical_configuration"], "CH"),
}

_TCVN = r"^\d+(\.\d+)+$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Subgroup(_Model):
    id: str
    group: Group
    ref: str = Field(description="place in the annex, e.g. 'I 1.5' or 'II.1.b'")
    text: str = Field(description="heading in Vietnamese")
    title: str = Field(description="heading in English")
    tcvn: str | None = Field(None, pattern=_TCVN)


class Item(_Model):
    id: str = Field(pattern=r"^L[1-5]-(QL|VM|TK|CH)-\d{2}$")
    group: Group
    subgroup: str
    ref: str = Field(description="place in the annex, e.g. 'I 1.5.2' or 'II.1.b.xvi'")
    text: str = Field(min_length=3, description="the requirement in Vietnamese")
    tcvn: str | None = Field(None, pattern=_TCVN, description="TCVN 11930:2017 clause")


class Catalog(_Model):
    catalog: str
    level: int = Field(ge=1, le=5)
    annex: Literal["I", "II", "III", "IV", "V"]
    title: str
    source: str
    standard: str
    subgroups: list[Subgroup]
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Catalog:
        known = {s.id: s for s in self.subgroups}
        seen: set[str] = set()
        for index, item in enumerate(self.items):
            subgroup = known.get(item.subgroup)
            if subgroup is None or subgroup.group != item.group:
                raise ValueError(
                    f"items[{index}] ({item.id}): sub-group '{item.subgroup}' is not a "
                    f"sub-group of {item.group}"
                )
            if item.subgroup not in SUBGROUPS[item.group]:
                raise ValueError(f"items[{index}] ({item.id}): unknown sub-group {item.subgroup}")
            expected = f"L{self.level}-{ID_PREFIX[item.subgroup]}-"
            if not item.id.startswith(expected):
                raise ValueError(f"items[{index}]: id '{item.id}' must start with {expected}")
            if item.id in seen:
                raise ValueError(f"items[{index}]: id '{item.id}' appears twice")
            seen.add(item.id)
        return self

    def item(self, item_id: str) -> Item:
        """The item ``item_id``; a clear error for an id the catalogue does not have."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise NotFoundError(
            f"'{item_id}' is not an item of the level-{self.level} catalogue ({self.source})",
            hint=f"use an id such as L{self.level}-QL-01; 'socctl dossier check' lists them",
        )

    def by_group(self, group: Group) -> list[Item]:
        return [i for i in self.items if i.group == group]

    def by_subgroup(self, subgroup: str) -> list[Item]:
        return [i for i in self.items if i.subgroup == subgroup]

    def counts(self) -> dict[str, int]:
        """Items per group, and per sub-group for the technical design (zones, measures)."""
        out: Counter[str] = Counter(i.group for i in self.items)
        out.update(i.subgroup for i in self.by_group("technical_design"))
        return dict(out)


def catalog_path(name: str, level: int) -> Path:
    return content_dir("assessments") / "catalog" / name / f"level-{level}.yaml"


def load_catalog_file(path: Path) -> Catalog:
    """Load and validate one catalogue file (errors name the file, line and field)."""
    catalog = load_model(path, Catalog)
    match = re.fullmatch(r"level-([1-5])", path.stem)
    if match is None or int(match.group(1)) != catalog.level:
        raise InputError(
            f"catalogue for level {catalog.level} is in a file named {path.name}",
            path=path,
            hint=f"name it level-{catalog.level}.yaml",
        )
    if path.parent.name != catalog.catalog:
        raise InputError(
            f"catalogue '{catalog.catalog}' is in folder {path.parent.name}/",
            path=path,
            hint=f"move it to {catalog.catalog}/ or correct 'catalog'",
        )
    return catalog


@cache
def load_catalog(regime_name: str, level: int) -> Catalog:
    """The requirement catalogue that ``regime_name`` uses at ``level``."""
    if level not in LEVELS:
        raise NotFoundError(f"there is no level {level}", hint="levels are 1 to 5")
    return load_catalog_file(catalog_path(load_regime(regime_name).catalog, level))
