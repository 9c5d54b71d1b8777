"""Bulk-load local log files into an Elasticsearch or OpenSearch index, ECS-mapped.

Every input format the embedded engine reads is read with the same readers
(:mod:`socctl.detection.inputs`). A Windows event becomes a document the way Winlogbeat writes
it: ``@timestamp``, ``event.code``, ``host.name``, ``winlog.channel`` / ``provider_name`` /
``computer_name`` / ``event_id`` / ``record_id``, every EventData field under
``winlog.event_data.*`` (the original names, kept), plus the ECS fields pySigma's ``ecs_windows``
pipeline maps Sigma's field names to (``process.executable``, ``process.command_line``,
``file.path``...), derived from that pipeline itself so the converted rules find them. Other
events keep their fields (dotted names become objects) and get ``@timestamp``.

A new index is created with :data:`LOG_INDEX_BODY`: strings and numbers (logs write the same
field as ``888`` in one record and ``0x378`` in the next) are ``keyword`` with a lowercase normalizer (plus a ``.caseless`` sub-field, which the ECS pipeline
names for some fields), so Sigma's case-insensitive matching holds for term and wildcard
queries; ``@timestamp`` is a ``date``; date and number detection are off so a string never
turns a field into a date.

Document ids are the embedded store's (:func:`~socctl.store.embedded.document_id`, hex), sent
with ``op_type=create``: ingesting the same file twice adds nothing (the second pass counts
409 conflicts as duplicates). Rejected documents (mapping conflicts, values the cluster
refuses) are counted with their reasons; 429 responses are retried with exponential backoff by
the bulk helper, 5xx and timeouts by the client's transport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from socctl.detection.event import Event
from socctl.store.base import IngestStats, validate_index_name
from socctl.store.embedded import document_id

#: Documents per bulk request, and the retries (with backoff from 2 s up to 60 s) of a chunk
#: the cluster answered 429 for.
CHUNK = 2_000
RETRIES = 5
MAX_BACKOFF = 60
#: Rejected documents kept as examples (all are counted).
REJECTED_EXAMPLES = 20
#: Longest string indexed as a keyword (Lucene's term limit is 32766 bytes; 4 bytes a char).
IGNORE_ABOVE = 8191

_KEYWORD = {
    "type": "keyword",
    "normalizer": "socctl_lowercase",
    "ignore_above": IGNORE_ABOVE,
    "fields": {
        "caseless": {
            "type": "keyword",
            "normalizer": "socctl_lowercase",
            "ignore_above": IGNORE_ABOVE,
        }
    },
}

#: Settings and mappings of an index ``logs ingest`` creates.
LOG_INDEX_BODY: dict[str, Any] = {
    "settings": {
        "index": {"mapping": {"total_fields": {"limit": 10_000}}},
        "analysis": {
            "normalizer": {"socctl_lowercase": {"type": "custom", "filter": ["lowercase"]}}
        },
    },
    "mappings": {
        "date_detection": False,
        "numeric_detection": False,
        "dynamic_templates": [
            {"event_data": {"path_match": "winlog.event_data.*", "mapping": _KEYWORD}},
            {"strings": {"match_mapping_type": "string", "mapping": _KEYWORD}},
            {"longs": {"match_mapping_type": "long", "mapping": _KEYWORD}},
            {"doubles": {"match_mapping_type": "double", "mapping": _KEYWORD}},
        ],
        "properties": {"@timestamp": {"type": "date"}},
    },
}

#: Windows System fields (the reader's flat names) and where Winlogbeat puts them.
_SYSTEM_FIELDS = {
    "EventID": "winlog.event_id",
    "Channel": "winlog.channel",
    "Provider_Name": "winlog.provider_name",
    "Provider_Guid": "winlog.provider_guid",
    "Computer": "winlog.computer_name",
    "EventRecordID": "winlog.record_id",
    "Version": "winlog.version",
    "Level": "winlog.level",
    "Task": "winlog.task",
    "Opcode": "winlog.opcode",
    "Keywords": "winlog.keywords",
    "ProcessID": "winlog.process.pid",
    "ThreadID": "winlog.process.thread.id",
    "UserID": "winlog.user.identifier",
    "SystemTime": None,
    "Correlation": None,
}


@dataclass(slots=True)
class ClusterIngestStats(IngestStats):
    """:class:`IngestStats` plus the documents the cluster rejected, with reasons."""

    rejected: int = 0
    rejected_examples: list[tuple[str, str]] = field(default_factory=list)

    def reject(self, doc_id: str, reason: str) -> None:
        """Count a rejected document, keeping the first few as examples."""
        self.rejected += 1
        if len(self.rejected_examples) < REJECTED_EXAMPLES:
            self.rejected_examples.append((doc_id, reason))


@cache
def _ecs_windows_mapping() -> dict[str, tuple[str, ...]]:
    """Sigma field name → the ECS fields pySigma's ``ecs_windows`` pipeline maps it to."""
    from sigma.pipelines.elasticsearch.windows import ecs_windows
    from sigma.processing.transformations import FieldMappingTransformation

    mapping: dict[str, list[str]] = {}
    for item in ecs_windows().items:
        transformation = item.transformation
        if not isinstance(transformation, FieldMappingTransformation):
            continue
        for source, targets in transformation.mapping.items():
            names = mapping.setdefault(str(source), [])
            for target in [targets] if isinstance(targets, str) else targets:
                name = target.removesuffix(".caseless")  # a sub-field the index mapping adds
                if name not in names:
                    names.append(name)
    return {source: tuple(names) for source, names in mapping.items()}


def _put(doc: dict[str, Any], dotted: str, value: Any, *, replace: bool = True) -> None:
    """Set ``doc[a][b][c] = value`` for ``dotted`` = ``a.b.c``; a path through a non-object
    keeps the remaining name flat (the cluster then decides)."""
    parts = dotted.split(".")
    node = doc
    for i, part in enumerate(parts[:-1]):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            node[".".join(parts[i:])] = value
            return
        node = child
    if replace or parts[-1] not in node:
        node[parts[-1]] = value


def to_document(event: Event) -> dict[str, Any]:
    """The cluster document of ``event`` (see the module docstring)."""
    doc: dict[str, Any] = {}
    if event.timestamp is not None:
        doc["@timestamp"] = event.timestamp.isoformat()
    if event.kind == "windows":
        _windows(doc, event.fields)
    elif event.kind == "ecs":
        for key, value in event.data.items():
            if key != "@timestamp":
                _put(doc, key, value)
    else:
        for key, value in event.fields.items():
            _put(doc, key, value)
    _put(doc, "log.file.path", event.source, replace=False)
    doc["socctl"] = {"kind": event.kind, "ref": event.ref}
    return doc


def _windows(doc: dict[str, Any], fields: dict[str, Any]) -> None:
    event_data: dict[str, Any] = {}
    for key, value in fields.items():
        if key in _SYSTEM_FIELDS:
            target = _SYSTEM_FIELDS[key]
            if target is not None and value is not None:
                _put(doc, target, str(value) if key == "EventID" else value)
        else:
            event_data[key] = value
    doc.setdefault("winlog", {})["event_data"] = event_data
    if "EventID" in fields:
        _put(doc, "event.code", str(fields["EventID"]))
    if "Computer" in fields:
        _put(doc, "host.name", fields["Computer"])
    for key, value in event_data.items():
        for target in _ecs_windows_mapping().get(key, ()):
            _put(doc, target, value, replace=False)


def actions(index: str, events: Iterable[Event]) -> Iterator[dict[str, Any]]:
    """Bulk ``create`` actions for ``events``, with the embedded store's document ids."""
    for event in events:
        yield {
            "_op_type": "create",
            "_index": index,
            "_id": document_id(event).hex(),
            "_source": to_document(event),
        }


def ensure_index(client: Any, index: str) -> None:
    """Create ``index`` with :data:`LOG_INDEX_BODY` unless it exists."""
    if not client.indices.exists(index=index):
        client.indices.create(index=index, body=LOG_INDEX_BODY)


def ingest(
    client: Any,
    paths: Iterable[Path],
    index: str,
    fmt: str | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ClusterIngestStats:
    """Read log files into ``index`` of the cluster ``client`` (an ``Elasticsearch`` or
    ``OpenSearch`` client); documents already there are counted as duplicates."""
    from socctl.detection.inputs import iter_paths, read_events

    validate_index_name(index)
    stats = ClusterIngestStats()
    files = list(iter_paths([Path(p).resolve() for p in paths]))  # a missing path fails here

    def events() -> Iterator[Event]:
        for path in files:
            stats.files += 1
            yield from read_events(path, fmt, on_malformed=stats.report)

    ensure_index(client, index)
    for ok, item in _streaming_bulk(client)(
        client,
        actions(index, events()),
        chunk_size=CHUNK,
        max_retries=RETRIES,
        max_backoff=MAX_BACKOFF,
        raise_on_error=False,
        raise_on_exception=True,
    ):
        result = item.get("create", item)
        stats.read += 1
        if ok:
            stats.added += 1
        elif result.get("status") == 409:
            stats.duplicates += 1
        else:
            stats.reject(str(result.get("_id", "")), _reason(result.get("error")))
        if on_progress is not None and stats.read % CHUNK == 0:
            on_progress(stats.read)
    client.indices.refresh(index=index)
    return stats


def _streaming_bulk(client: Any) -> Callable[..., Iterable[tuple[bool, dict[str, Any]]]]:
    """The streaming bulk helper of the client's own library."""
    if type(client).__module__.startswith("opensearchpy"):
        from opensearchpy.helpers import streaming_bulk as opensearch_bulk

        return opensearch_bulk
    from elasticsearch.helpers import streaming_bulk

    return streaming_bulk


def _reason(error: Any) -> str:
    """One line from a bulk item's error object."""
    if isinstance(error, dict):
        reason = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        if isinstance(cause, dict) and cause.get("reason"):
            reason += f" ({cause['reason']})"
        return reason
    return str(error)
