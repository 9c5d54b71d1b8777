"""The information system as an IT officer files it: ``systems/<id>.yaml``."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: A system or component id: a slug that is also a safe file name.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")

Slug = Annotated[str, Field(pattern=SLUG.pattern, description="lower-case letters, digits and '-'")]


#: One DNS label: letters, digits and '-', not at either end.
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

HostSpec = (
    ipaddress.IPv4Address
    | ipaddress.IPv6Address
    | ipaddress.IPv4Network
    | ipaddress.IPv6Network
    | str
)


def parse_host(text: str) -> HostSpec:
    """A host as written in a component: an IP, a CIDR network or a DNS name (lower-case, no final dot)."""
    value = text.strip()
    if "/" in value:
        try:
            return ipaddress.ip_network(value)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a CIDR network ({exc})") from None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    name = value.lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(f"'{text}' is not a host name, IP address or CIDR network")
    if all(label.isdigit() for label in labels):
        raise ValueError(f"'{text}' is not a valid IP address")
    return name


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Status(StrEnum):
    planned = "planned"
    building = "building"
    operating = "operating"
    retired = "retired"


InformationType = Literal["public", "private", "personal", "state_secret"]


class DataSubjects(_Model):
    basic: int = Field(0, ge=0, description="data subjects with basic personal data")
    sensitive: int = Field(0, ge=0, description="data subjects with sensitive personal data")


class Classification(_Model):
    """What the level criteria look at (ND85 Art. 6-11, ND331 Art. 11-15)."""

    information: list[InformationType] = ["public"]
    security_harm: Literal["none", "harm", "serious", "especially_serious"] = "none"
    serves: Literal["internal", "citizens_and_businesses"] = "internal"
    system_type: Literal["information", "infrastructure", "industrial_control"] = "information"
    online_public_service_level: int = Field(0, ge=0, le=4)
    conditional_business: bool = False
    handles_administrative_procedures: bool = False
    data_subjects: DataSubjects = DataSubjects()
    infrastructure_scope: Literal[
        "organisation", "sector", "province", "national", "international"
    ] = "organisation"
    requires_24x7: bool = False
    construction_grade: Literal["special", "I", "II", "III", "IV"] | None = None
    national_important_data: bool = False
    designated_level: int | None = Field(None, ge=1, le=5)


class ClassificationOverride(_Model):
    """A component's classification: only the fields that differ from the system's."""

    information: list[InformationType] | None = None
    security_harm: Literal["none", "harm", "serious", "especially_serious"] | None = None
    serves: Literal["internal", "citizens_and_businesses"] | None = None
    system_type: Literal["information", "infrastructure", "industrial_control"] | None = None
    online_public_service_level: int | None = Field(None, ge=0, le=4)
    conditional_business: bool | None = None
    handles_administrative_procedures: bool | None = None
    data_subjects: DataSubjects | None = None
    infrastructure_scope: (
        Literal["organisation", "sector", "province", "national", "international"] | None
    ) = None
    requires_24x7: bool | None = None
    construction_grade: Literal["special", "I", "II", "III", "IV"] | None = None
    national_important_data: bool | None = None
    designated_level: int | None = Field(None, ge=1, le=5)

    def apply(self, base: Classification) -> Classification:
        return base.model_copy(update=self.model_dump(exclude_none=True))


class Component(_Model):
    id: Slug
    name: str
    kind: str = Field(description="e.g. web, database, network, scada, mail")
    hosts: list[str] = Field(default_factory=list, description="host names, IPs or CIDRs")
    classification: ClassificationOverride | None = None

    @field_validator("hosts")
    @classmethod
    def _valid_hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            parse_host(host)
        return value


class Assessment(_Model):
    date: date
    organisation: str


class MonitoringConnection(_Model):
    connected: bool = False
    since: date | None = None


class ProtectionLayers(_Model):
    """The 4-layer model (Directive 14/CT-TTg)."""

    on_site_team: str | None = None
    monitoring_provider: str | None = None
    last_independent_assessment: Assessment | None = None
    national_monitoring_connection: MonitoringConnection = MonitoringConnection()


class Contact(_Model):
    name: str
    role: str
    email: str | None = None
    phone: str | None = None


class Dates(_Model):
    """Dates that decide the applicable regime and the deadlines."""

    construction_started: date | None = None
    operating_since: date | None = None
    retired_on: date | None = None


class System(_Model):
    id: Slug
    name: str
    owner: str = Field(description="chủ quản")
    operator: str = Field(description="đơn vị vận hành")
    status: Status = Status.planned
    regime: Literal["auto", "nd85", "nd331"] = "auto"
    description: str | None = None
    dates: Dates = Dates()
    classification: Classification = Classification()
    components: list[Component] = Field(default_factory=list)
    protection_layers: ProtectionLayers = ProtectionLayers()
    contacts: list[Contact] = Field(default_factory=list)

    @field_validator("components")
    @classmethod
    def _unique_components(cls, value: list[Component]) -> list[Component]:
        seen: set[str] = set()
        for component in value:
            if component.id in seen:
                raise ValueError(f"component id '{component.id}' appears twice")
            seen.add(component.id)
        return value

    def component_classifications(self) -> list[tuple[str | None, Classification]]:
        """The system's own classification and each component's, overrides applied."""
        out: list[tuple[str | None, Classification]] = [(None, self.classification)]
        for component in self.components:
            if component.classification is not None:
                out.append((component.id, component.classification.apply(self.classification)))
        return out
