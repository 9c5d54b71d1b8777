"""Continuous detection over an index pattern of the cluster, with per-rule checkpoints.

A checkpoint is, for one index pattern and one rule, the end of the last window the rule ran
over completely: its alerts are in the alerts index. A cycle ends its window at the time it
starts, and starts each rule ``lookback`` before its checkpoint (a correlation and the rules it
references: ``lookback`` or the correlation's timespan, whichever is longer, before the earliest
of their checkpoints), so events that became searchable late, up to ``lookback`` after their
time, are read; the overlap adds no alert, since alert ids are the documents' ``_id`` in the
alerts index and an alert already there is not reported again. A rule without a checkpoint
starts at the first start given (``--since``/``--from``), else reads the whole index.

The alerts of a msearch's rules are written as soon as those rules' hits are read, then their
checkpoints (correlations and the rules they reference: at the end of the cycle). A run cut off
anywhere resumes from the checkpoints kept: a rule whose alerts were written but whose checkpoint
was not runs again and its alerts, already there, are not written twice.

Checkpoints live in the cluster, in the index ``<alerts_index>.checkpoints`` (one document per
index pattern and rule, its ``_id`` a hash of both), read with ``_mget`` (real time: no refresh
needed).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from socctl.detection.alerts import Alert, Lookup
from socctl.detection.rules import LoadedRule, RuleSet
from socctl.store.cluster.alerts import ClusterAlertStore
from socctl.store.cluster.client import ClusterClient
from socctl.store.cluster.connect import cluster_errors
from socctl.store.cluster.store import ClusterRun, detect
from socctl.timeutil import now_utc, parse_time

_KEYWORD = {"type": "keyword"}


def checkpoint_id(index: str, rule_id: str) -> str:
    """The ``_id`` of the checkpoint of ``rule_id`` over ``index``."""
    return hashlib.sha256(f"{index}\0{rule_id}".encode()).hexdigest()[:40]


class Checkpoints:
    """Per-rule checkpoints kept in the cluster's ``<prefix>.checkpoints`` index."""

    def __init__(self, client: ClusterClient, prefix: str = "socctl-alerts") -> None:
        self.client = client
        self.name = f"{prefix}.checkpoints"
        self._ready = False

    def _ensure(self) -> None:
        if self._ready:
            return
        raw = self.client.raw
        with cluster_errors(self.client.url):
            if not raw.indices.exists(index=self.name):
                mappings = {
                    "dynamic": False,
                    "properties": {
                        "index": _KEYWORD,
                        "rule_id": _KEYWORD,
                        "until": {"type": "date"},
                    },
                }
                self._create(mappings)
        self._ready = True

    def _create(self, mappings: dict[str, Any]) -> None:
        import elasticsearch
        import opensearchpy

        try:
            self.client.raw.indices.create(index=self.name, body={"mappings": mappings})
        except (elasticsearch.BadRequestError, opensearchpy.RequestError) as exc:
            if "resource_already_exists" not in str(exc):  # created meanwhile by another run
                raise

    def load(self, index: str, rule_ids: Iterable[str]) -> dict[str, datetime]:
        """Rule id to the checkpoint over ``index`` of the rules that have one."""
        self._ensure()
        ids = {checkpoint_id(index, r): r for r in rule_ids}
        if not ids:
            return {}
        with cluster_errors(self.client.url):
            answer = self.client.raw.mget(index=self.name, body={"ids": list(ids)})
        found: dict[str, datetime] = {}
        for doc in answer["docs"]:
            if doc.get("found"):
                found[ids[doc["_id"]]] = parse_time(doc["_source"]["until"])
        return found

    def save(self, index: str, rule_ids: Iterable[str], until: datetime) -> None:
        """Set the checkpoint of ``rule_ids`` over ``index`` to ``until``."""
        lines: list[dict[str, Any]] = []
        for rule_id in sorted(set(rule_ids)):
            lines += [
                {"index": {"_index": self.name, "_id": checkpoint_id(index, rule_id)}},
                {"index": index, "rule_id": rule_id, "until": until.isoformat()},
            ]
        if not lines:
            return
        self._ensure()
        with cluster_errors(self.client.url):
            answer = self.client.raw.bulk(body=lines)
        if answer.get("errors"):
            from socctl.errors import ServiceError

            first = next(i["index"] for i in answer["items"] if i["index"].get("error"))
            raise ServiceError(
                f"the cluster at {self.client.url} refused a checkpoint: "
                f"{first['error'].get('reason')}"
            )


@dataclass
class Cycle:
    """What one cycle did: its run, and the alerts new to the alerts index, as committed."""

    run: ClusterRun
    new: list[Alert] = field(default_factory=list)
    until: datetime | None = None


@dataclass
class ClusterDetection:
    """Continuous detection of ``ruleset`` over ``index`` of the cluster behind ``alerts``."""

    client: ClusterClient
    index: str
    ruleset: RuleSet
    alerts: ClusterAlertStore
    pipeline: str | None = None
    batch: int | None = None
    lookup: Lookup | None = None
    #: Called with the alerts new to the alerts index as soon as they are written.
    on_new: Callable[[list[Alert]], None] = lambda _alerts: None
    progress: Callable[[int, int], None] | None = None

    def __post_init__(self) -> None:
        self.checkpoints = Checkpoints(self.client, self.alerts.prefix)

    def starts(
        self, first_start: datetime | None, lookback: timedelta
    ) -> dict[str, datetime | None]:
        """Rule key to where the next cycle starts it (see the module docstring)."""
        rules: list[LoadedRule] = [*self.ruleset.detection_rules, *self.ruleset.correlations]
        saved = self.checkpoints.load(self.index, {r.info.id for r in rules})
        starts: dict[str, datetime | None] = {}
        for rule in rules:
            checkpoint = saved.get(rule.info.id)
            if checkpoint is None:
                starts[rule.key] = first_start
                continue
            back = lookback
            if rule.correlation is not None:
                back = max(back, timedelta(seconds=rule.correlation.timespan))
            starts[rule.key] = checkpoint - back
        return starts

    def cycle(
        self,
        first_start: datetime | None,
        lookback: timedelta,
        stop: Callable[[], bool] = lambda: False,
    ) -> Cycle:
        """One cycle up to now; raises :class:`~socctl.detection.continuous.Interrupted` when
        ``stop()`` turns true between two commits (what was committed stays)."""
        until = now_utc()
        starts = self.starts(first_start, lookback)
        new: list[Alert] = []

        def commit(alerts: list[Alert], rules: list[LoadedRule]) -> None:
            added = self.alerts.add(alerts) if alerts else []
            if added:
                new.extend(added)
                self.on_new(added)
            self.checkpoints.save(self.index, (r.info.id for r in rules), until)

        run = detect(
            self.client,
            self.index,
            self.ruleset,
            (first_start, until),
            pipeline=self.pipeline,
            batch=self.batch,
            lookup=self.lookup,
            progress=self.progress,
            starts=starts,
            commit=commit,
            stop=stop,
        )
        return Cycle(run, new, until)
