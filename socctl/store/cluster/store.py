"""Detection over an index pattern of the cluster: the same rule set, alert model, correlation
engine and alert ids as the embedded store, with the matching done by the cluster.

Base rules run in the cluster as Lucene queries (:mod:`.convert`, :mod:`.search`); correlation
rules run in socctl's correlation engine over their rules' hits, fetched page by page in time
order (the cluster's query languages are not used for them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from socctl.detection.alerts import Alert, Lookup, build_alerts
from socctl.detection.continuous import Interrupted
from socctl.detection.correlation import CorrelationEngine
from socctl.detection.event import Event, EventKind
from socctl.detection.match import Match
from socctl.detection.rules import LoadedRule, RuleLoadError, RuleSet
from socctl.errors import UsageError
from socctl.store.cluster.client import ClusterClient
from socctl.store.cluster.convert import Reason, convert, pipeline_for_mapping
from socctl.store.cluster.indices import ip_fields, time_field
from socctl.store.cluster.search import run_queries

#: Searches of one msearch per search the cluster runs at once (the rest wait in its queue),
#: and the most in one request (its body stays far below ``http.max_content_length``).
SEARCHES_PER_SLOT = 16
MAX_BATCH = 200
_OLDEST = datetime.min.replace(tzinfo=UTC)
#: The kind of event a hit is, by pipeline: correlations find their group-by fields by it.
_KINDS: dict[str, EventKind] = {"wazuh": "wazuh"}


@dataclass
class ClusterRun:
    """What a run over the cluster did."""

    alerts: list[Alert] = field(default_factory=list)
    new: list[Alert] = field(default_factory=list)
    #: Hits fetched (an event matched by two rules is fetched twice).
    hits: int = 0
    rules: int = 0
    failed: list[RuleLoadError] = field(default_factory=list)
    pipeline: str = "none"
    #: Why that pipeline: ``--pipeline`` or what the index mapping holds.
    pipeline_reason: Reason = "given"
    time_field: str = "@timestamp"
    batch: int = 0
    #: Correlation rules run by socctl's engine over hits fetched from the cluster.
    correlations: int = 0
    requests: dict[str, int] = field(default_factory=dict)


def default_batch(client: ClusterClient) -> int:
    """Rules per msearch when the settings give none (see :data:`SEARCHES_PER_SLOT`)."""
    return min(MAX_BATCH, client.max_concurrent_searches() * SEARCHES_PER_SLOT)


def index_time_field(mapping: dict[str, Any], index: str) -> str:
    """The time field of the indices of ``mapping`` (the first that has one)."""
    for name in sorted(mapping):
        found = time_field(mapping[name])
        if found is not None:
            return found
    raise UsageError(
        f"no index matching '{index}' has a date field to bound the searches by",
        hint="give an index pattern of log indices ('socctl logs indices --cluster URL')",
    )


#: Called with the alerts of rules whose every hit has been read, and those rules: the alerts
#: are kept, then the rules' checkpoints.
Commit = Callable[[list[Alert], list[LoadedRule]], None]


def group_starts(
    starts: Mapping[str, datetime | None], together: Iterable[str]
) -> dict[str, datetime | None]:
    """``starts`` with every key of ``together`` given the earliest start among them (a missing
    or ``None`` start means the whole index)."""
    keys = list(together)
    if not keys:
        return dict(starts)
    values = [starts.get(k) for k in keys]
    earliest = None if any(v is None for v in values) else min(v for v in values if v)
    return {**starts, **dict.fromkeys(keys, earliest)}


def detect(
    client: ClusterClient,
    index: str,
    ruleset: RuleSet,
    window: tuple[datetime | None, datetime | None],
    *,
    pipeline: str | None = None,
    batch: int | None = None,
    lookup: Lookup | None = None,
    progress: Callable[[int, int], None] | None = None,
    starts: Mapping[str, datetime | None] | None = None,
    commit: Commit | None = None,
    stop: Callable[[], bool] | None = None,
) -> ClusterRun:
    """Run ``ruleset`` over ``index`` (a name or pattern) in ``window``; the alerts in time
    order. Rules the backend or the cluster cannot run are in ``failed``, with the reason.

    ``starts`` (rule key to start) overrides the window's start rule by rule; the rules a
    correlation references and the correlations take the earliest start among them, so the
    correlation engine sees their events in one stretch. With ``commit``, the alerts of each
    msearch's finished rules are committed as soon as their hits are read (the correlations and
    their rules at the end), and ``stop()`` is looked at between two commits (it raises
    :class:`~socctl.detection.continuous.Interrupted`; what was committed stays)."""
    mapping = client.mapping(index)
    if not mapping:
        raise UsageError(
            f"no index matches '{index}'", hint="see 'socctl logs indices --cluster URL'"
        )
    run = ClusterRun(time_field=index_time_field(mapping, index))
    if pipeline is None:
        run.pipeline, run.pipeline_reason = pipeline_for_mapping(mapping, index)
    else:
        run.pipeline = pipeline
    run.batch = batch or default_batch(client)
    conversion = convert(ruleset, run.pipeline, ip_fields(mapping))
    run.failed.extend(conversion.failed)
    engine = CorrelationEngine(
        ruleset.correlations, ruleset.detection_rules, ruleset.event_field_names
    )
    run.correlations = len(ruleset.correlations)
    if starts is not None:
        together = [*engine.referenced, *(c.key for c in ruleset.correlations)]
        starts = group_starts(starts, together)
    rules = {q.rule.key: q.rule for q in conversion.queries}
    pending: dict[str, list[Match]] = {}
    correlated: list[tuple[LoadedRule, Event]] = []

    def done(keys: list[str]) -> None:
        if commit is None:
            return
        ready = [k for k in keys if k not in engine.referenced]
        alerts = list(
            build_alerts((m for k in ready for m in pending.pop(k, [])), "cluster", lookup)
        )
        run.alerts.extend(alerts)
        commit(alerts, [rules[k] for k in ready])
        if stop is not None and stop():
            raise Interrupted

    for item in run_queries(
        client,
        index,
        conversion.queries,
        window,
        time_field=run.time_field,
        batch=run.batch,
        whole=engine.referenced,
        on_batch=progress,
        starts=starts,
        on_done=done,
    ):
        if isinstance(item, RuleLoadError):
            run.failed.append(item)
            continue
        query, event = item
        event.kind = _KINDS.get(run.pipeline, "ecs")
        run.hits += 1
        key = query.rule.key
        if key not in engine.silent:
            pending.setdefault(key, []).append(Match(query.rule.info, [event]))
        if key in engine.referenced:
            correlated.append((query.rule, event))
    correlated.sort(key=lambda pair: pair[1].timestamp or _OLDEST)
    matches = [m for ms in pending.values() for m in ms]
    for rule, event in correlated:
        matches.extend(engine.add(rule, event))
    matches.extend(engine.flush())
    rest = list(build_alerts(matches, "cluster", lookup))
    run.alerts.extend(rest)
    if commit is not None:
        # The correlations are complete only when every rule they reference ran.
        refused = {e.rule_id for e in run.failed}
        last = [rules[k] for k in engine.referenced if k in rules]
        whole = len(last) == len(engine.referenced) and not refused & {r.info.id for r in last}
        last += [c for c in ruleset.correlations if c.key not in ruleset.failed_keys]
        commit(rest, last if whole else [])
    refused_count = len(run.failed) - len(conversion.failed)
    run.rules = len(conversion.queries) - refused_count + run.correlations
    run.requests = dict(client.requests)
    return run
