"""Running converted rules in the cluster: batched ``_msearch``, point in time, ``search_after``.

All rules of a run search one point in time of the index pattern, so their pages are consistent.
The first page of every rule goes out in ``ceil(rules / batch)`` msearch requests; a rule with a
full page gets its next page (``search_after`` its last hit's sort values) in the next round,
batched likewise: never ``from``/``size`` paging. Each search is bounded by the window on the
time field and fetches in ``_source`` only what the alert needs: the time, host, user and
address fields alerts show, the event's code and kind, and the fields the query names (the whole
document for rules a correlation references, whose group-by fields are read from it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from socctl.detection.alerts import HOST_FIELDS, IP_FIELDS, USER_FIELDS
from socctl.detection.event import Event
from socctl.detection.rules import RuleLoadError
from socctl.errors import ServiceError
from socctl.store.cluster.client import KEEP_ALIVE, ClusterClient
from socctl.store.cluster.convert import RuleQuery
from socctl.timeutil import parse_time

#: Hits per page of one rule.
PAGE = 1_000
#: Fields fetched with every hit, beside the time field and the ones the query names (the log
#: file's path places an alert without a host, e.g. of a web access log, on its host).
ALERT_FIELDS = (
    *HOST_FIELDS, *USER_FIELDS, *IP_FIELDS, "event.code", "event.kind", "message", "log.file.path"
)  # fmt: skip


@dataclass
class _Pending:
    query: RuleQuery
    after: list[Any] | None = None


def search_body(
    query: RuleQuery,
    time_field: str,
    start: datetime | None,
    end: datetime | None,
    *,
    whole: bool = False,
) -> dict[str, Any]:
    """The search of one rule without its point in time and page position: the backend's query
    unchanged, the window on ``time_field`` as a filter, oldest hits first."""
    window: dict[str, str] = {}
    if start is not None:
        window["gte"] = start.isoformat()
    if end is not None:
        window["lt"] = end.isoformat()
    body: dict[str, Any] = {
        "query": {
            "bool": {
                "must": [{"query_string": {"query": query.query, "analyze_wildcard": True}}],
                "filter": [{"range": {time_field: window}}] if window else [],
            }
        },
        "track_total_hits": False,
    }
    if not whole:
        body["_source"] = {
            "includes": list(dict.fromkeys((time_field, *ALERT_FIELDS, *query.fields)))
        }
    return body


def run_queries(
    client: ClusterClient,
    index: str,
    queries: Sequence[RuleQuery],
    window: tuple[datetime | None, datetime | None],
    *,
    time_field: str,
    batch: int,
    whole: frozenset[str] = frozenset(),
    page: int = PAGE,
    on_batch: Callable[[int, int], None] | None = None,
    starts: Mapping[str, datetime | None] | None = None,
    on_done: Callable[[list[str]], None] | None = None,
) -> Iterator[tuple[RuleQuery, Event] | RuleLoadError]:
    """Every hit of every query in the window, as (query, event), rule after rule as their pages
    arrive; a rule the cluster refuses (a query it cannot parse) comes as a
    :class:`RuleLoadError` and the others go on. ``whole`` holds the keys of rules whose hits
    keep their whole document. ``on_batch(done, total)`` follows the first round. ``starts``
    gives some rules (by key) their own start of the window. ``on_done(keys)`` is called after
    each msearch with the keys of the rules whose every hit has been yielded."""
    start, end = window
    own = starts or {}
    bodies = {
        q.rule.key: search_body(
            q, time_field, own.get(q.rule.key, start), end, whole=q.rule.key in whole
        )
        for q in queries
    }
    sort = [{time_field: "asc"}, client.tiebreak]
    with client.point_in_time(index) as pit:
        pending = [_Pending(q) for q in queries]
        first_round, done = len(pending), 0
        while pending:
            following: list[_Pending] = []
            for at in range(0, len(pending), batch):
                chunk = pending[at : at + batch]
                searches = []
                for item in chunk:
                    body = {**bodies[item.query.rule.key], "size": page, "sort": sort}
                    body["pit"] = {"id": pit.id, "keep_alive": KEEP_ALIVE}
                    if item.after is not None:
                        body["search_after"] = item.after
                    searches.append(body)
                finished: list[str] = []
                for item, answer in zip(chunk, client.msearch(searches), strict=True):
                    if "error" in answer:
                        yield _refused(item.query, answer["error"], client.url)
                        continue
                    pit.id = answer.get("pit_id", pit.id)
                    hits = answer["hits"]["hits"]
                    for hit in hits:
                        yield item.query, to_event(hit, time_field)
                    if len(hits) == page:
                        following.append(_Pending(item.query, hits[-1]["sort"]))
                    else:
                        finished.append(item.query.rule.key)
                if on_done is not None:
                    on_done(finished)
                if first_round:
                    done += len(chunk)
                    if on_batch is not None:
                        on_batch(min(done, first_round), first_round)
            first_round = 0
            pending = following


def _refused(query: RuleQuery, error: Any, url: str) -> RuleLoadError:
    """The error of a rule whose search failed; a failure of the cluster itself stops the run."""
    reason = error.get("reason") if isinstance(error, dict) else str(error)
    causes = error.get("root_cause") or [] if isinstance(error, dict) else []
    if causes and isinstance(causes[0], dict):
        reason = causes[0].get("reason") or reason
    kind = error.get("type", "") if isinstance(error, dict) else ""
    if kind in {
        "search_phase_execution_exception",
        "query_shard_exception",
        "parse_exception",
    } or "query" in str(reason):
        return RuleLoadError(
            query.rule.info.path or query.rule.key,
            query.rule.info.id,
            f"the cluster refused the query: {reason}",
        )
    raise ServiceError(f"the cluster at {url} failed a search: {reason}")


def flatten(source: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A document's fields by dotted name (objects flattened, lists kept)."""
    flat: dict[str, Any] = {}
    for key, value in source.items():
        name = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def to_event(hit: dict[str, Any], time_field: str) -> Event:
    """The event of a hit: ``source`` its index, ``ref`` its id, fields flattened."""
    source = hit.get("_source") or {}
    fields = flatten(source)
    value = fields.get(time_field)
    timestamp = parse_time(value) if isinstance(value, str) else None
    return Event(fields, source, hit["_index"], hit["_id"], "ecs", timestamp)
