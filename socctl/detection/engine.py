"""Evaluating compiled rules over events, trying only the rules an event can match.

For each kind of event the candidate rules are narrowed in two steps before any rule runs:

1. *dispatch*: rules are indexed by the values their pipeline's logsource conditions require
   (Windows: ``Channel`` and ``EventID``), so a Sysmon process-creation event only meets
   process-creation rules;
2. *literals*: each rule has a set of lower-cased strings of which one must occur in the event
   for it to match (from its condition tree); one Aho-Corasick automaton per dispatch bucket
   finds which of them occur, and only those rules (plus rules without such a set) run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ahocorasick_rs import AhoCorasick, MatchKind

from socctl.detection.compile import END, START, TAG, lower_view
from socctl.detection.correlation import CorrelationEngine
from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.detection.rules import CompiledRule, RuleSet

#: Dispatch buckets remembered per kind (events with ever-new EventIDs cannot grow memory).
MAX_BUCKETS = 4096


@dataclass(slots=True)
class _Bucket:
    """The rules for one combination of dispatch values.

    ``always``: rules without literal sets. For each automaton pattern, ``single`` lists the
    rules with one literal set containing it; ``first``/``second`` the rules with two sets
    whose first/second set contains it (such a rule runs when both sets were hit).
    """

    always: frozenset[int]
    automaton: AhoCorasick | None
    fields: tuple[str, ...] | None
    single: tuple[tuple[int, ...], ...]
    first: tuple[tuple[int, ...], ...]
    second: tuple[tuple[int, ...], ...]


class KindIndex:
    """The compiled rules for one kind of event, indexed for candidate selection."""

    def __init__(self, rules: list[CompiledRule], dispatch: tuple[str, ...]) -> None:
        self.rules = rules
        self.dispatch = dispatch
        self._by_key: dict[tuple[str | None, ...], list[int]] = {}
        for position, rule in enumerate(rules):
            for key in rule.keys:
                self._by_key.setdefault(key, []).append(position)
        self._buckets: dict[tuple[str | None, ...], _Bucket] = {}

    def key(self, fields: dict[str, Any]) -> tuple[str | None, ...]:
        out: list[str | None] = []
        for name in self.dispatch:
            value = fields.get(name)
            if value is None or value.__class__ is list or value.__class__ is dict:
                out.append(None)
            else:
                out.append(value.lower() if value.__class__ is str else str(value).lower())
        return tuple(out)

    def bucket(self, key: tuple[str | None, ...]) -> _Bucket:
        found = self._buckets.get(key)
        if found is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._buckets.clear()
            found = self._buckets[key] = self._build(key)
        return found

    def _build(self, key: tuple[str | None, ...]) -> _Bucket:
        members: set[int] = set()
        for mask in range(1 << len(key)):
            probe = tuple(None if mask >> i & 1 else v for i, v in enumerate(key))
            members.update(self._by_key.get(probe, ()))
        always: list[int] = []
        slots: dict[str, tuple[list[int], list[int], list[int]]] = {}
        fields: set[str | None] = set()
        for position in sorted(members):
            groups = self.rules[position].literals
            if groups is None:
                always.append(position)
                continue
            for number, group in enumerate(groups[:2]):
                for field, literal in group:
                    fields.add(field)
                    lists = slots.setdefault(literal, ([], [], []))
                    lists[0 if len(groups) == 1 else number + 1].append(position)
        automaton = AhoCorasick(list(slots), matchkind=MatchKind.Standard) if slots else None
        table = list(slots.values())
        return _Bucket(
            frozenset(always),
            automaton,
            None if None in fields else tuple(sorted(f for f in fields if f is not None)),
            tuple(tuple(t[0]) for t in table),
            tuple(tuple(t[1]) for t in table),
            tuple(tuple(t[2]) for t in table),
        )

    @staticmethod
    def candidates(lower: dict[str, Any], bucket: _Bucket) -> list[int]:
        """Positions of the rules worth running on an event, in rule order."""
        if bucket.automaton is None:
            return sorted(bucket.always)
        hits = bucket.automaton.find_matches_as_indexes(
            _haystack(lower, bucket.fields), overlapping=True
        )
        if not hits:
            return sorted(bucket.always)
        chosen = set(bucket.always)
        first: set[int] = set()
        second: set[int] = set()
        single, firsts, seconds = bucket.single, bucket.first, bucket.second
        for pattern in {hit[0] for hit in hits}:
            chosen.update(single[pattern])
            first.update(firsts[pattern])
            second.update(seconds[pattern])
        chosen |= first & second
        return sorted(chosen)


def _haystack(lower: dict[str, Any], fields: tuple[str, ...] | None) -> str:
    """The text literals are searched in: ``START field TAG value END`` per (lower-cased) value
    of ``fields`` (None: every field)."""
    parts: list[str] = []
    items = lower.items() if fields is None else ((f, lower.get(f)) for f in fields)
    for name, value in items:
        if value.__class__ is str:
            parts.append(f"{START}{name}{TAG}{value}{END}")
        elif value.__class__ is tuple:
            parts.extend(f"{START}{name}{TAG}{v}{END}" for v in value)
    return "".join(parts)


class Detector:
    """Runs a rule set over events; correlation state carries across :meth:`feed` calls."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._indexes: dict[str, KindIndex] = {}
        self.correlations = CorrelationEngine(ruleset.correlations, ruleset.detection_rules)
        self.events = 0

    def index(self, kind: str) -> KindIndex:
        """The compiled, indexed rules for ``kind`` (compiled on first use)."""
        found = self._indexes.get(kind)
        if found is None:
            rules, dispatch = self.ruleset.compiled(kind)
            found = self._indexes[kind] = KindIndex(rules, dispatch)
        return found

    @property
    def rules_run(self) -> int:
        """Rules compiled for the kinds of event met so far (correlations included)."""
        compiled = {r.rule.key for index in self._indexes.values() for r in index.rules}
        return len(compiled) + len(self.ruleset.correlations)

    def match_event(self, event: Event) -> list[CompiledRule]:
        """The rules ``event`` matches, in rule order."""
        index = self._indexes.get(event.kind) or self.index(event.kind)
        fields = event.fields
        bucket = index.bucket(index.key(fields))
        if not bucket.always and bucket.automaton is None:
            return []
        lower = lower_view(fields)
        rules = index.rules
        return [rules[p] for p in index.candidates(lower, bucket) if rules[p].match(fields, lower)]

    def feed(self, events: Iterable[Event]) -> Iterator[Match]:
        """Matches of every event, then any correlation windows they complete."""
        correlated = self.correlations.referenced
        silent = self.correlations.silent
        for event in events:
            self.events += 1
            for compiled in self.match_event(event):
                rule = compiled.rule
                if rule.key not in silent:
                    yield Match(rule.info, [event])
                if rule.key in correlated:
                    yield from self.correlations.add(rule, event)

    def flush(self) -> Iterator[Match]:
        """Correlation windows still open that satisfy their condition (end of input)."""
        yield from self.correlations.flush()
