"""Sigma correlation rules over true sliding time windows, per group-by values.

Each group keeps the matching events of the last ``timespan`` seconds (relative to the newest
event, not to fixed buckets). The condition counts events (``event_count``, each event once),
distinct values of a field (``value_count``, null is no value, text without case), distinct
rules (``temporal``) or rules matched in their listed order (``temporal_ordered``); a range holds
two operators. A condition of ``gt``/``gte`` alone fires as soon as a window meets it; others
(``lt``, ``lte``, ``eq``, ``neq``, ranges) are judged when a window (starting at its first event)
closes, or at :meth:`CorrelationEngine.flush`. A window fires once: its events then leave the
group. Group-by values are compared without case; an event lacking one belongs to no group.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.detection.rules import CONDITION_OPERATORS, Correlation, LoadedRule

#: Conditions that, once met, stay met as a window gains events: judged at each event.
_RISING = frozenset({"gt", "gte"})

Item = tuple[float, int, str, Event]
#: Sigma field names as events of a kind may call them, for a base rule:
#: (kind, names, rule) -> {name: (event field names to try, in order)}.
FieldNames = Callable[[str, tuple[str, ...], LoadedRule], dict[str, tuple[str, ...]]]


def _holds(conditions: tuple[tuple[str, int], ...], value: int) -> bool:
    return all(CONDITION_OPERATORS[op](value, count) for op, count in conditions)


def _fold(value: Any) -> Any:
    """A value as group-by and value_count compare it: text without case, lists as tuples."""
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, list | tuple):
        return tuple(_fold(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), repr(_fold(v))) for k, v in value.items()))
    return value


@dataclass
class _Window:
    """Events of one group, sorted by time: (epoch seconds, sequence, rule key, event)."""

    items: list[Item] = field(default_factory=list)

    def add(self, item: Item) -> None:
        bisect.insort(self.items, item, key=lambda i: (i[0], i[1]))

    def drop_before(self, start: float) -> None:
        del self.items[: bisect.bisect_left([i[0] for i in self.items], start)]


class _Active:
    """One correlation rule and the open windows of its groups."""

    def __init__(
        self, rule: LoadedRule, bases: dict[str, tuple[str, LoadedRule]], names: FieldNames
    ) -> None:
        assert rule.correlation is not None
        self.rule = rule
        self.spec: Correlation = rule.correlation
        #: base rule key -> (the reference this correlation used: name or id, the rule)
        self.bases = bases
        self.rising = all(op in _RISING for op, _ in self.spec.conditions)
        self.windows: dict[tuple[Any, ...], _Window] = {}
        aliases = {alias: dict(mapping) for alias, mapping in self.spec.aliases}
        #: per base rule, the Sigma names of the group-by fields (aliases resolved), then the
        #: value_count field if there is one
        self._sigma_names = {
            key: (
                *(_resolve(aliases.get(name, {}), ref, base, name) for name in self.spec.group_by),
                *((self.spec.field,) if self.spec.field else ()),
            )
            for key, (ref, base) in bases.items()
        }
        self._names = names
        self._event_names: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {}

    def _fields_of(self, key: str, event: Event) -> tuple[tuple[str, ...], ...]:
        """The fields of :attr:`_sigma_names`, each as the names this event's kind may give it
        (one per pipeline variant)."""
        found = self._event_names.get((event.kind, key))
        if found is None:
            sigma = self._sigma_names[key]
            base = self.bases[key][1]
            # a referenced correlation's matches carry its group's Sigma names already
            mapped = self._names(event.kind, sigma, base) if base.correlation is None else {}
            found = tuple(mapped.get(n, (n,)) for n in sigma)
            self._event_names[event.kind, key] = found
        return found

    def _group_values(self, key: str, event: Event) -> tuple[Any, ...] | None:
        """The event's group-by values; None when one is missing: an event without the fields
        it is grouped by belongs to no group."""
        names = self._fields_of(key, event)[: len(self.spec.group_by)]
        values = tuple(_value(event, candidates) for candidates in names)
        return None if None in values else values

    def add(self, base: LoadedRule, event: Event, when: float, seq: int) -> Iterator[Match]:
        values = self._group_values(base.key, event)
        if values is None:
            return
        group = tuple(_fold(v) for v in values)
        window = self.windows.setdefault(group, _Window())
        if not self.rising:
            yield from self._close_expired(window, when)
        window.add((when, seq, base.key, event))
        if not self.rising:
            return
        window.drop_before(window.items[-1][0] - self.spec.timespan)
        if self._satisfied(window.items):
            yield self._match(self._chosen(window.items))
            del self.windows[group]

    def _close_expired(self, window: _Window, now: float) -> Iterator[Match]:
        """Judge the windows starting at each event more than a timespan ago; a window that fires
        takes its events with it (as with gt/gte), one that does not lets its first event go."""
        while window.items and window.items[0][0] + self.spec.timespan < now:
            start = window.items[0][0]
            inside = [i for i in window.items if i[0] <= start + self.spec.timespan]
            if self._satisfied(inside):
                yield self._match(self._chosen(inside))
                del window.items[: len(inside)]
            else:
                window.items.pop(0)

    def _satisfied(self, items: list[Item]) -> bool:
        return _holds(self.spec.conditions, self._measure(items))

    def _measure(self, items: list[Item]) -> int:
        """What the condition counts: events (each once, whatever rules it matched), distinct
        values of the field (null is no value), distinct rules, or rules matched in order."""
        spec = self.spec
        if spec.type == "event_count":
            return len(_distinct(items))
        if spec.type == "value_count":
            values = (_value(i[3], self._fields_of(i[2], i[3])[-1]) for i in items)
            return len({repr(_fold(v)) for v in values if v is not None})
        if spec.type == "temporal":
            return len({self.bases[i[2]][0] for i in items})
        return len(self._ordered(items))

    def _ordered(self, items: list[Item]) -> list[Item]:
        """The longest run of the listed rules matched in their order (earliest events first)."""
        chain: list[Item] = []
        position = 0
        for ref in self.spec.rules:
            while position < len(items) and self.bases[items[position][2]][0] != ref:
                position += 1
            if position == len(items):
                break
            chain.append(items[position])
            position += 1
        return chain

    def _chosen(self, items: list[Item]) -> list[Item]:
        if self.spec.type == "temporal_ordered":
            return self._ordered(items) or items
        return _distinct(items)

    def _match(self, items: list[Item]) -> Match:
        start = datetime.fromtimestamp(items[0][0], UTC)
        end = datetime.fromtimestamp(items[-1][0], UTC)
        values = self._group_values(items[0][2], items[0][3]) or ()
        return Match(
            self.rule.info,
            [i[3] for i in items],
            group=dict(zip(self.spec.group_by, values, strict=True)),
            window=(start, end),
        )

    def flush(self) -> Iterator[Match]:
        if not self.rising:
            for window in list(self.windows.values()):
                yield from self._close_expired(window, float("inf"))
        self.windows.clear()


def _value(event: Event, names: tuple[str, ...]) -> Any:
    """The value of the first of ``names`` the event has."""
    for name in names:
        value = event.fields.get(name)
        if value is not None:
            return value
    return None


def _resolve(mapping: dict[str, str], ref: str, base: LoadedRule, name: str) -> str:
    """An alias's field for a base rule, looked up by the reference used, its name or its id."""
    for key in (ref, base.name, base.info.id):
        if key in mapping:
            return mapping[key]
    return name


def _distinct(items: list[Item]) -> list[Item]:
    """The items of distinct events (an event matching two referenced rules counts once)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item[3]) not in seen:
            seen.add(id(item[3]))
            out.append(item)
    return out


class CorrelationEngine:
    """Routes matches of base rules to the correlations that reference them, and the matches of
    a correlation to the correlations that reference it (chaining, as the specification allows).

    A correlation match goes on as one event of its group's values, at its window's end, whose
    data summarises the window. Like a base rule, a referenced correlation only alerts itself
    when a correlation referencing it says ``generate: true``.
    """

    def __init__(
        self, correlations: list[LoadedRule], base_rules: list[LoadedRule], names: FieldNames
    ) -> None:
        by_ref: dict[str, LoadedRule] = {}
        for rule in [*base_rules, *correlations]:
            by_ref.setdefault(rule.info.id, rule)
            if rule.name:
                by_ref.setdefault(rule.name, rule)
        actives: dict[str, _Active] = {}
        self._by_base: dict[str, list[_Active]] = {}
        generating: set[str] = set()
        for corr in correlations:
            assert corr.correlation is not None
            bases = {by_ref[r].key: (r, by_ref[r]) for r in corr.correlation.rules if r in by_ref}
            if len(bases) != len(corr.correlation.rules):
                continue  # unknown or repeated references: load errors (rules._check_correlations)
            actives[corr.key] = _Active(corr, bases, names)
            for key in bases:
                self._by_base.setdefault(key, []).append(actives[corr.key])
                if corr.correlation.generate:
                    generating.add(key)
        #: Correlations, each after those it references (flushed in this order).
        self._active = _dependencies_first(actives)
        #: Base rules whose matches feed correlations.
        self.referenced = frozenset(k for k in self._by_base if k not in actives)
        #: Base rules that only feed correlations (``generate: false``): no alert of their own.
        self.silent = frozenset(self.referenced - generating)
        self._silent_correlations = frozenset(
            k for k in self._by_base if k in actives and k not in generating
        )
        self._seq = 0
        #: Matches of referenced rules whose event has no time: they cannot be correlated.
        self.untimed = 0

    def add(self, base: LoadedRule, event: Event) -> Iterator[Match]:
        if event.timestamp is None:
            self.untimed += 1
            return
        when = event.timestamp.timestamp()
        for active in self._by_base.get(base.key, ()):
            self._seq += 1
            for match in active.add(base, event, when, self._seq):
                yield from self._emit(active, match)

    def flush(self) -> Iterator[Match]:
        for active in self._active:
            for match in active.flush():
                yield from self._emit(active, match)

    def _emit(self, active: _Active, match: Match) -> Iterator[Match]:
        """A correlation's match: reported (unless only referenced), and fed on."""
        if active.rule.key not in self._silent_correlations:
            yield match
        outers = self._by_base.get(active.rule.key, ())
        if outers:
            yield from self.add(active.rule, _as_event(match))


def _as_event(match: Match) -> Event:
    """A correlation match as one event for the correlations that reference it."""
    assert match.window is not None
    start, end = match.window
    summary = {
        "correlation": match.rule.title,
        "rule_id": match.rule.id,
        "group": match.group,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "count": len(match.events),
        "events": [event.data for event in match.events],
    }
    return Event(
        dict(match.group),
        summary,
        f"correlation {match.rule.title}",
        start.isoformat(),
        "generic",
        end,
    )


def _dependencies_first(actives: dict[str, _Active]) -> list[_Active]:
    ordered: list[_Active] = []
    placed: set[str] = set()

    def place(key: str) -> None:
        if key in placed:
            return
        placed.add(key)  # references form no cycle: refused at load
        for inner in actives[key].bases:
            if inner in actives:
                place(inner)
        ordered.append(actives[key])

    for key in actives:
        place(key)
    return ordered
