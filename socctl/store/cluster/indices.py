"""The cluster's indices as ``logs indices --cluster`` lists them: documents, size, time field
and time range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Date fields preferred as an index's time field, in this order; otherwise the first date
#: field of the mapping (by name).
TIME_FIELDS = ("@timestamp", "timestamp", "event.created", "event.ingested")


@dataclass(frozen=True, slots=True)
class ClusterIndex:
    """One index of the cluster."""

    name: str
    count: int
    size_bytes: int
    time_field: str | None
    first: datetime | None
    last: datetime | None


def fields_of_type(properties: dict[str, Any], types: set[str], prefix: str = "") -> list[str]:
    """The dotted names of the fields of a mapping's ``properties`` whose type is in ``types``."""
    found = []
    for name, spec in properties.items():
        path = prefix + name
        if spec.get("type") in types:
            found.append(path)
        if isinstance(spec.get("properties"), dict):
            found.extend(fields_of_type(spec["properties"], types, path + "."))
    return found


def ip_fields(mapping: dict[str, Any]) -> frozenset[str]:
    """The ``ip`` fields of the mappings of one or more indices (``GET index/_mapping``)."""
    return frozenset(
        name
        for spec in mapping.values()
        for name in fields_of_type(spec.get("mappings", {}).get("properties", {}), {"ip"})
    )


def time_field(mapping: dict[str, Any]) -> str | None:
    """The time field of an index mapping (see :data:`TIME_FIELDS`)."""
    fields = fields_of_type(
        mapping.get("mappings", {}).get("properties", {}), {"date", "date_nanos"}
    )
    for name in TIME_FIELDS:
        if name in fields:
            return name
    return min(fields) if fields else None


def list_indices(client: Any, pattern: str = "*") -> list[ClusterIndex]:
    """The indices matching ``pattern`` (hidden ones left out), by name."""
    rows = client.cat.indices(
        index=pattern, format="json", bytes="b", h="index,docs.count,store.size"
    )
    names = sorted(row["index"] for row in rows if not row["index"].startswith("."))
    if not names:
        return []
    mappings = client.indices.get_mapping(index=",".join(names))
    sizes = {row["index"]: row for row in rows}
    result = []
    for name in names:
        field = time_field(mappings.get(name, {}))
        first = last = None
        if field is not None:
            body = {
                "size": 0,
                "aggs": {"first": {"min": {"field": field}}, "last": {"max": {"field": field}}},
            }
            aggs = client.search(index=name, body=body)["aggregations"]
            first, last = (_date(aggs[key]) for key in ("first", "last"))
        row = sizes[name]
        result.append(
            ClusterIndex(
                name=name,
                count=int(row.get("docs.count") or 0),
                size_bytes=int(row.get("store.size") or 0),
                time_field=field,
                first=first,
                last=last,
            )
        )
    return result


def _date(agg: dict[str, Any]) -> datetime | None:
    value = agg.get("value")
    return None if value is None else datetime.fromtimestamp(value / 1000, UTC)
