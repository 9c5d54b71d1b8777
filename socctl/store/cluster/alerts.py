"""Alerts kept in the cluster: ``<prefix>-<yyyy.mm.dd>`` indices (by the alert's time, UTC),
``_id`` = ``alert_id`` written with ``op_type=create``, so a rerun over the same window adds
nothing. The index template (installed on first use) maps the ECS fields Kibana and OpenSearch
Dashboards read (``@timestamp``, ``event.kind: alert``, ``rule.*``, ``host.name``,
``user.name``) and socctl's own (``socctl.system.*``, level rank); the alert as socctl shows
it is kept whole, unindexed, under ``socctl.alert``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from socctl.detection.alerts import Alert, level_rank
from socctl.errors import NotFoundError, UsageError
from socctl.store.alerts import MIN_PREFIX, AlertFilter
from socctl.store.cluster.client import ClusterClient
from socctl.store.cluster.connect import cluster_errors

_KEYWORD = {"type": "keyword"}
#: Alerts per bulk request.
CHUNK = 1_000


def template_body(prefix: str) -> dict[str, Any]:
    """The index template of the alerts indices."""
    return {
        "index_patterns": [f"{prefix}-*"],
        "template": {
            "settings": {
                "analysis": {
                    "normalizer": {"socctl_lowercase": {"type": "custom", "filter": ["lowercase"]}}
                }
            },
            "mappings": {
                "dynamic": False,
                "properties": {
                    "@timestamp": {"type": "date"},
                    "alert_id": _KEYWORD,
                    "event": {"properties": {"kind": _KEYWORD, "severity": {"type": "integer"}}},
                    "rule": {
                        "properties": {
                            "id": _KEYWORD,
                            "name": {"type": "text"},
                            "level": _KEYWORD,
                            "tags": _KEYWORD,
                        }
                    },
                    "host": {
                        "properties": {
                            "name": {"type": "keyword", "normalizer": "socctl_lowercase"}
                        }
                    },
                    "user": {"properties": {"name": _KEYWORD}},
                    "socctl": {
                        "properties": {
                            "system": {
                                "properties": {
                                    "id": _KEYWORD,
                                    "owner": _KEYWORD,
                                    "level": {"type": "integer"},
                                }
                            },
                            "alert": {"type": "object", "enabled": False},
                        }
                    },
                },
            },
        },
    }


def to_document(alert: Alert) -> dict[str, Any]:
    """The alerts-index document of ``alert``."""
    data = orjson.loads(orjson.dumps(alert.to_dict(for_orjson=True), default=str))
    system = alert.system or {}
    return {
        "@timestamp": alert.timestamp,
        "alert_id": alert.alert_id,
        "event": {"kind": "alert", "severity": level_rank(alert.level)},
        "rule": {
            "id": alert.rule["id"],
            "name": alert.rule["title"],
            "level": alert.level,
            "tags": alert.rule.get("tags", []),
        },
        "host": {"name": alert.host},
        "user": {"name": alert.user},
        "socctl": {
            "system": {k: system.get(k) for k in ("id", "owner", "level")},
            "alert": data,
        },
    }


class ClusterAlertStore:
    """The alerts of the cluster behind ``client``, in indices named ``prefix-<day>``."""

    def __init__(self, client: ClusterClient, prefix: str = "socctl-alerts") -> None:
        self.client = client
        self.prefix = prefix
        self._template = False

    def _ensure_template(self) -> None:
        if self._template:
            return
        with cluster_errors(self.client.url):
            self.client.raw.indices.put_index_template(
                name=self.prefix, body=template_body(self.prefix)
            )
        self._template = True

    def index_of(self, alert: Alert) -> str:
        when = datetime.fromisoformat(alert.timestamp) if alert.timestamp else datetime.now(UTC)
        return f"{self.prefix}-{when.astimezone(UTC):%Y.%m.%d}"

    def add(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Write ``alerts`` not yet in the cluster; the ones added (those already there are
        answered 409 and left alone)."""
        self._ensure_template()
        new: list[Alert] = []
        for at in range(0, len(alerts), CHUNK):
            chunk = alerts[at : at + CHUNK]
            lines: list[dict[str, Any]] = []
            for alert in chunk:
                lines += [
                    {"create": {"_index": self.index_of(alert), "_id": alert.alert_id}},
                    to_document(alert),
                ]
            with cluster_errors(self.client.url):
                answer = self.client.raw.bulk(body=lines, refresh="wait_for")
            for alert, item in zip(chunk, answer["items"], strict=True):
                status = item["create"]["status"]
                if status in (200, 201):
                    new.append(alert)
                elif status != 409:
                    reason = item["create"].get("error", {}).get("reason")
                    raise UsageError(f"the cluster refused alert {alert.alert_id}: {reason}")
        return new

    def _query(self, where: AlertFilter) -> dict[str, Any]:
        filters: list[dict[str, Any]] = []
        if where.level:
            filters.append({"range": {"event.severity": {"gte": level_rank(where.level)}}})
        if where.rule:
            filters.append({"term": {"rule.id": where.rule}})
        if where.host:
            filters.append({"term": {"host.name": where.host.lower()}})
        if where.system:
            filters.append({"term": {"socctl.system.id": where.system}})
        if where.since:
            filters.append({"range": {"@timestamp": {"gte": where.since.isoformat()}}})
        return {"bool": {"filter": filters}}

    def stream(
        self, where: AlertFilter = AlertFilter(), limit: int | None = None
    ) -> Iterator[bytes]:
        """Alerts matching ``where`` as JSON documents, newest first (``search_after`` pages)."""
        left = limit or None
        after: list[Any] | None = None
        while left is None or left > 0:
            size = min(CHUNK, left) if left else CHUNK
            body: dict[str, Any] = {
                "query": self._query(where),
                "size": size,
                "sort": [
                    {"@timestamp": {"order": "desc", "missing": "_last"}},
                    {"alert_id": "asc"},
                ],
                "_source": ["socctl.alert"],
            }
            if after is not None:
                body["search_after"] = after
            hits = self._search(body)
            for hit in hits:
                yield orjson.dumps(hit["_source"]["socctl"]["alert"])
            if len(hits) < size:
                return
            after = hits[-1]["sort"]
            if left is not None:
                left -= len(hits)

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        with cluster_errors(self.client.url):
            answer = self.client.raw.search(
                index=f"{self.prefix}-*", body=body, ignore_unavailable=True, allow_no_indices=True
            )
        hits: list[dict[str, Any]] = answer["hits"]["hits"]
        return hits

    def count(self, where: AlertFilter = AlertFilter()) -> int:
        with cluster_errors(self.client.url):
            answer = self.client.raw.count(
                index=f"{self.prefix}-*",
                body={"query": self._query(where)},
                ignore_unavailable=True,
                allow_no_indices=True,
            )
        return int(answer["count"])

    def get(self, alert_id: str) -> dict[str, Any]:
        """The alert with this id or unique id prefix (at least 6 characters)."""
        prefix = alert_id.strip().lower()
        if len(prefix) < MIN_PREFIX:
            raise UsageError(
                f"alert id '{alert_id}' is too short",
                hint=f"give at least {MIN_PREFIX} characters of the id",
            )
        hits = self._search(
            {"query": {"prefix": {"alert_id": prefix}}, "size": 2, "_source": ["socctl.alert"]}
        )
        if not hits:
            raise NotFoundError(f"no alert '{alert_id}'", hint="see 'socctl alerts list'")
        if len(hits) > 1:
            raise UsageError(
                f"alert id prefix '{alert_id}' matches several alerts", hint="give more characters"
            )
        result: dict[str, Any] = hits[0]["_source"]["socctl"]["alert"]
        return result
