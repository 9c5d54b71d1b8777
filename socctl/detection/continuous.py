"""Detection over an index: one run over a time range, or continuous cycles with checkpoints.

A continuous cycle reads the documents ingested since the rules' checkpoints (cursors of the
log store, so late documents with old timestamps are not missed), plus, for correlation
windows that span cycles, the documents already seen within ``lookback`` of them. Alerts and
the new checkpoints are saved in one transaction, and alerts already stored are not reported
again: no gap and no duplicate across cycles and restarts. An interrupted cycle saves nothing,
so the next one starts from the same checkpoints.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from socctl.detection.alerts import Alert, Lookup, build_alerts
from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.rules import RuleSet
from socctl.store.alerts import AlertStore
from socctl.store.base import LogStore

#: How many events pass between two looks at the stop flag.
STOP_CHECK_EVERY = 1000
_MICROSECOND = timedelta(microseconds=1)
_OLDEST = datetime.min.replace(tzinfo=UTC)


class Interrupted(Exception):
    """A stop was requested during a cycle; nothing of the cycle was saved."""


@dataclass
class IndexRun:
    """What one run or cycle found: every alert, the ones not stored before, events read."""

    alerts: list[Alert] = field(default_factory=list)
    new: list[Alert] = field(default_factory=list)
    events: int = 0
    #: Rules compiled for the kinds of event read (correlations included).
    rules: int = 0
    cursor: str | None = None


@dataclass
class IndexDetection:
    """Runs ``ruleset`` over ``index`` of ``store``; keeps alerts in ``alerts`` when given."""

    store: LogStore
    index: str
    ruleset: RuleSet
    alerts: AlertStore | None = None
    lookup: Lookup | None = None
    #: Called with the number of events read so far, every thousand events.
    progress: Callable[[int], None] | None = None

    def run(self, start: datetime | None = None, end: datetime | None = None) -> IndexRun:
        """One run over the documents with ``start <= timestamp < end``."""
        result = self._detect(self.store.search(self.index, start, end), lambda: False)
        if self.alerts is not None:
            result.new = self.alerts.add(result.alerts)
        return result

    def cycle(
        self,
        first_start: datetime | None,
        lookback: timedelta,
        stop: Callable[[], bool] = lambda: False,
    ) -> IndexRun:
        """One continuous cycle (see the module docstring). ``first_start`` bounds what rules
        without a checkpoint read; raises :class:`Interrupted` when ``stop()`` turns true."""
        if self.alerts is None:
            raise ValueError("continuous detection needs an alert store for its checkpoints")
        until = self.store.cursor(self.index)
        saved = self.alerts.checkpoints(self.index)
        rule_ids = {rule.info.id for rule in self.ruleset.rules}
        if not rule_ids:
            return IndexRun(cursor=until)
        if rule_ids - saved.keys():
            events: Iterable[Event] = self.store.search(self.index, first_start, until=until)
        else:
            events = self._with_context(min(saved[r] for r in rule_ids), until, lookback)
        result = self._detect(events, stop)
        failed = {error.rule_id for error in self.ruleset.errors}
        checkpoints = {rule: until for rule in rule_ids - failed}
        result.new = self.alerts.add(result.alerts, index=self.index, checkpoints=checkpoints)
        result.cursor = until
        return result

    def _with_context(self, after: str, until: str, lookback: timedelta) -> Iterator[Event]:
        """The documents after ``after``, merged in time order with the ones already seen
        from ``lookback`` before the earliest of them to the latest."""
        new = list(self.store.search(self.index, after=after, until=until))
        timed = [e.timestamp for e in new if e.timestamp is not None]
        if not timed:
            return iter(new)
        context = self.store.search(
            self.index, min(timed) - lookback, max(timed) + _MICROSECOND, until=after
        )
        return heapq.merge(context, new, key=lambda e: e.timestamp or _OLDEST)

    def _detect(self, events: Iterable[Event], stop: Callable[[], bool]) -> IndexRun:
        result = IndexRun()
        detector = Detector(self.ruleset)

        def counted() -> Iterator[Event]:
            for event in events:
                result.events += 1
                if result.events % STOP_CHECK_EVERY == 0:
                    if stop():
                        raise Interrupted
                    if self.progress is not None:
                        self.progress(result.events)
                yield event

        for matches in (detector.feed(counted()), detector.flush()):
            result.alerts.extend(build_alerts(matches, "index", self.lookup))
        if stop():
            raise Interrupted
        result.rules = detector.rules_run
        return result
