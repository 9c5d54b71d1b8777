"""The information system as an IT officer files it: ``systems/<id>.yaml``."""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

#: A system or component id: a slug that is also a safe file name.
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise PydanticCustomError(
            "slug",
            "'{value}' is not an id: use lower-case letters, digits and '-' (e.g. cong-dvc)",
            {"value": value},
        )
    return value


Slug = Annotated[
    str, AfterValidator(_slug), Field(description="lower-case letters, digits and '-'")
]


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


SecurityHarm = Literal["none", "harm", "serious", "especially_serious"]
InfrastructureScope = Literal["organisation", "sector", "province", "national", "international"]
Serves = Literal["internal", "citizens_and_businesses"]
SystemType = Literal["information", "infrastructure", "industrial_control"]
ConstructionGrade = Literal["special", "I", "II", "III", "IV"]

_STATE_SECRET_HARM = (
    "information includes state_secret but security_harm is none: set security_harm to the "
    "harm sabotage would do to national security, harm (level 3), serious (level 4) or "
    "especially_serious (level 5) (ND85 Art. 9.1, 10.1, 11.1; ND331 Art. 13.1, 14.1, 15.1)"
)


class Classification(_Model):
    """What the level criteria look at (ND85 Art. 6-11, ND331 Art. 9-15)."""

    information: list[InformationType] = ["public"]
    security_harm: SecurityHarm = Field(
        "none",
        validate_default=True,
        description="harm to national defence and security if a state-secret or "
        "defence/security system is sabotaged",
    )
    serves: Serves = "internal"
    system_type: SystemType = "information"
    online_public_service_level: int = Field(0, ge=0, le=4)
    conditional_business: bool = False
    handles_administrative_procedures: bool = False
    data_subjects: DataSubjects = DataSubjects()
    infrastructure_scope: InfrastructureScope = "organisation"
    requires_24x7: bool = False
    construction_grade: ConstructionGrade | None = None
    national_important_data: bool = False
    national_system: bool = Field(
        False,
        description="a national information system serving e-government (hệ thống thông tin "
        "quốc gia phục vụ phát triển Chính phủ điện tử; ND85 Art. 10.2, ND331 Art. 14.2)",
    )
    national_security_works: bool = Field(
        False,
        description="the industrial control system runs works important to national security "
        "(công trình quan trọng liên quan đến an ninh quốc gia; ND85 Art. 11.4, ND331 Art. 15.4)",
    )
    risk_assessed_level: int | None = Field(
        None,
        ge=1,
        le=5,
        description="the level the cybersecurity risk assessment under the risk-management "
        "framework calls for (ND331 Art. 10); a higher risk than the criteria give raises the "
        "level (Art. 10.5, 11.2, 12.4, 13.5, 14.4, 15.5)",
    )
    designated_level: int | None = Field(
        None, ge=1, le=5, description="a level set by a decision of the Prime Minister"
    )

    @field_validator("security_harm")
    @classmethod
    def _state_secret_states_harm(cls, value: str, info: ValidationInfo) -> str:
        if value == "none" and "state_secret" in info.data.get("information", ()):
            raise ValueError(_STATE_SECRET_HARM)
        return value


class ClassificationOverride(_Model):
    """A component's classification: only the fields that differ from the system's."""

    information: list[InformationType] | None = None
    security_harm: SecurityHarm | None = None
    serves: Serves | None = None
    system_type: SystemType | None = None
    online_public_service_level: int | None = Field(None, ge=0, le=4)
    conditional_business: bool | None = None
    handles_administrative_procedures: bool | None = None
    data_subjects: DataSubjects | None = None
    infrastructure_scope: InfrastructureScope | None = None
    requires_24x7: bool | None = None
    construction_grade: ConstructionGrade | None = None
    national_important_data: bool | None = None
    national_system: bool | None = None
    national_security_works: bool | None = None
    risk_assessed_level: int | None = Field(None, ge=1, le=5)
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
    def _valid_components(cls, value: list[Component], info: ValidationInfo) -> list[Component]:
        """Unique ids; a component that adds state secrets states their harm."""
        seen: set[str] = set()
        for component in value:
            if component.id in seen:
                raise ValueError(f"component id '{component.id}' appears twice")
            seen.add(component.id)
        base = info.data.get("classification")
        for component in value:
            if base is None or component.classification is None:
                continue
            merged = component.classification.apply(base)
            if merged.security_harm == "none" and "state_secret" in merged.information:
                raise ValueError(
                    f"component '{component.id}' (its classification with the system's): "
                    + _STATE_SECRET_HARM
                )
        return value

    def component_classifications(self) -> list[tuple[str | None, Classification]]:
        """The system's own classification and each component's, overrides applied."""
        out: list[tuple[str | None, Classification]] = [(None, self.classification)]
        for component in self.components:
            if component.classification is not None:
                out.append((component.id, component.classification.apply(self.classification)))
        return out
