"""Sigma correlation rules over true sliding time windows, per group-by values.

Each group keeps the matching events of the last ``timespan`` seconds (relative to the newest
event, not to fixed buckets). ``event_count``/``value_count`` with ``gt``/``gte``/``eq`` fire as
soon as the window satisfies the condition; ``lt``/``lte``/``neq`` are judged when a window
(starting at its first event) closes, or at :meth:`CorrelationEngine.flush`. ``temporal``
fires when every referenced rule matched within the window, ``temporal_ordered`` when they
matched in the listed order. A window fires once: its events then leave the group.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.detection.rules import Correlation, LoadedRule

_RISING = {"gt", "gte", "eq"}


def _holds(op: str | None, value: int, count: int | None) -> bool:
    if op is None or count is None:
        return True
    return {
        "gt": value > count,
        "gte": value >= count,
        "lt": value < count,
        "lte": value <= count,
        "eq": value == count,
        "neq": value != count,
    }[op]


@dataclass
class _Window:
    """Events of one group, sorted by time: (epoch seconds, sequence, rule key, event)."""

    items: list[tuple[float, int, str, Event]] = field(default_factory=list)

    def add(self, item: tuple[float, int, str, Event]) -> None:
        bisect.insort(self.items, item, key=lambda i: (i[0], i[1]))

    def drop_before(self, start: float) -> list[tuple[float, int, str, Event]]:
        cut = bisect.bisect_left([i[0] for i in self.items], start)
        dropped, self.items = self.items[:cut], self.items[cut:]
        return dropped


class _Active:
    """One correlation rule and the open windows of its groups."""

    def __init__(self, rule: LoadedRule, refs: dict[str, str]) -> None:
        assert rule.correlation is not None
        self.rule = rule
        self.spec: Correlation = rule.correlation
        self.refs = refs  # base rule key -> the reference (name or id) this correlation used
        self.aliases = {alias: dict(mapping) for alias, mapping in self.spec.aliases}
        self.windows: dict[tuple[Any, ...], _Window] = {}

    def group_of(self, base: LoadedRule, event: Event) -> tuple[Any, ...]:
        ref = self.refs[base.key]
        values = []
        for name in self.spec.group_by:
            mapping = self.aliases.get(name)
            field_name = mapping.get(ref, mapping.get(base.info.id, name)) if mapping else name
            value = event.fields.get(field_name)
            values.append(tuple(value) if isinstance(value, list) else value)
        return tuple(values)

    def add(self, base: LoadedRule, event: Event, when: float, seq: int) -> Iterator[Match]:
        group = self.group_of(base, event)
        window = self.windows.setdefault(group, _Window())
        spec = self.spec
        if spec.type in ("event_count", "value_count") and spec.op not in _RISING:
            yield from self._close_expired(group, window, when)
        window.add((when, seq, base.key, event))
        newest = window.items[-1][0]
        if spec.type in ("event_count", "value_count") and spec.op not in _RISING:
            return
        window.drop_before(newest - spec.timespan)
        if self._satisfied(window.items):
            yield self._match(group, self._chosen(window.items))
            del self.windows[group]

    def _close_expired(
        self, group: tuple[Any, ...], window: _Window, now: float
    ) -> Iterator[Match]:
        while window.items and window.items[0][0] + self.spec.timespan < now:
            start = window.items[0][0]
            inside = [i for i in window.items if i[0] <= start + self.spec.timespan]
            if self._satisfied(inside):
                yield self._match(group, inside)
            window.items.pop(0)

    def _satisfied(self, items: list[tuple[float, int, str, Event]]) -> bool:
        spec = self.spec
        if spec.type == "event_count":
            return _holds(spec.op, len(items), spec.count)
        if spec.type == "value_count":
            distinct = {
                repr(i[3].fields.get(spec.field or "")) for i in items if spec.field in i[3].fields
            }
            return _holds(spec.op, len(distinct), spec.count)
        if spec.type == "temporal":
            return {self.refs[i[2]] for i in items} >= set(spec.rules)
        if spec.type == "temporal_ordered":
            return self._ordered(items) is not None
        return False

    def _ordered(self, items: list[tuple[float, int, str, Event]]) -> list[Any] | None:
        chain: list[tuple[float, int, str, Event]] = []
        position = 0
        for ref in self.spec.rules:
            while position < len(items) and self.refs[items[position][2]] != ref:
                position += 1
            if position == len(items):
                return None
            chain.append(items[position])
            position += 1
        return chain

    def _chosen(self, items: list[tuple[float, int, str, Event]]) -> list[Any]:
        if self.spec.type == "temporal_ordered":
            return self._ordered(items) or items
        return items

    def _match(self, group: tuple[Any, ...], items: list[tuple[float, int, str, Event]]) -> Match:
        start = datetime.fromtimestamp(items[0][0], UTC)
        end = datetime.fromtimestamp(items[-1][0], UTC)
        return Match(
            self.rule.info,
            [i[3] for i in items],
            group=dict(zip(self.spec.group_by, group, strict=True)),
            window=(start, end),
        )

    def flush(self) -> Iterator[Match]:
        if self.spec.type in ("event_count", "value_count") and self.spec.op not in _RISING:
            for group, window in list(self.windows.items()):
                yield from self._close_expired(group, window, float("inf"))
        self.windows.clear()


class CorrelationEngine:
    """Routes matches of base rules to the correlations that reference them."""

    def __init__(self, correlations: list[LoadedRule], base_rules: list[LoadedRule]) -> None:
        by_ref: dict[str, LoadedRule] = {}
        for rule in base_rules:
            by_ref.setdefault(rule.info.id, rule)
            if rule.name:
                by_ref.setdefault(rule.name, rule)
        self._active: list[_Active] = []
        self._by_base: dict[str, list[_Active]] = {}
        generating: set[str] = set()
        for corr in correlations:
            assert corr.correlation is not None
            refs = {by_ref[r].key: r for r in corr.correlation.rules if r in by_ref}
            if len(refs) != len(corr.correlation.rules):
                continue  # refers to another correlation: not supported, reported at load
            active = _Active(corr, refs)
            self._active.append(active)
            for key in refs:
                self._by_base.setdefault(key, []).append(active)
                if corr.correlation.generate:
                    generating.add(key)
        #: Base rules whose matches feed correlations.
        self.referenced = frozenset(self._by_base)
        #: Base rules that only feed correlations (``generate: false``): no alert of their own.
        self.silent = frozenset(self.referenced - generating)
        self._seq = 0

    def add(self, base: LoadedRule, event: Event) -> Iterator[Match]:
        if event.timestamp is None:
            return
        when = event.timestamp.timestamp()
        for active in self._by_base.get(base.key, ()):
            self._seq += 1
            yield from active.add(base, event, when, self._seq)

    def flush(self) -> Iterator[Match]:
        for active in self._active:
            yield from active.flush()
