"""Evaluating compiled rules over events, trying only the rules an event can match.

For each kind of event the candidate rules are narrowed in two steps before any rule runs:

1. *dispatch*: rules are indexed by the values their pipeline's logsource conditions require
   (Windows: ``Channel`` and ``EventID``), so a Sysmon process-creation event only meets
   process-creation rules;
2. *literals*: each rule has up to two sets of lower-cased strings, each of which must have a
   member in the event for it to match (from its condition tree): strings a field's value must
   hold (anchored to the value's start or end, or not) and keyword strings any value may hold.
   Each field value is written ``TAG value END`` (lower-cased); what it hits is remembered per
   field as rule bitmasks, so a value seen before (most values of real logs repeat) costs one
   dictionary look-up. The values of an event not seen before are searched together: one
   Aho-Corasick call for the values of fields that have literals of their own (each hit counts
   only for the value it lies in and for rules that want it in that value's field), one call of
   the keyword automaton for the other values.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
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
#: Field values whose hits are remembered, per kind of event; beyond, the memory starts afresh.
MAX_REMEMBERED_VALUES = 200_000
#: Sets of candidate rules whose fields to lower-case are remembered, per bucket.
MAX_CANDIDATE_SETS = 4096

#: Rule bitmasks (bucket-local positions): rules with one literal set, rules whose first set
#: and rules whose second set has a member in a value.
Masks = tuple[int, int, int]
_NOTHING: Masks = (0, 0, 0)
#: A value not seen before: the memory of its field, the field's name, the value as text.
_New = tuple[dict[str, Masks], str, str]
#: Characters of numbers, ids, GUIDs and times (values new in nearly every event): a value made
#: of these only is not searched by an automaton none of whose patterns is made of them only.
_PLAIN = "0123456789abcdefABCDEFtTxXzZ-:.{} "
_PLAIN_PATTERN = frozenset(_PLAIN.lower() + START + TAG + END)


@dataclass(slots=True)
class _Literals:
    """An automaton of literal patterns and, per pattern, the masks it sets when found in a
    value of each field (key None: a keyword, found in any field)."""

    automaton: AhoCorasick
    owners: tuple[dict[str | None, Masks], ...]
    #: No pattern can occur in a value made of :data:`_PLAIN` characters only.
    skips_plain: bool


@dataclass(slots=True)
class _Bucket:
    """The rules for one combination of dispatch values, in rule order.

    ``always``: bitmask of the rules without literal sets. ``owned``: the literals of fields
    some rule has literals for (keywords included); ``keywords``: the keyword literals alone,
    searched in the other fields (None: there are none, the other fields are not searched).
    ``seen``: per field, what its values met so far hit. ``reads``: per set of candidates met so
    far, the fields whose lower-cased form they read (None: any). ``plain_owned`` and
    ``plain_other``: whether values made of :data:`_PLAIN` characters only can hit a literal of
    ``owned`` and of ``keywords``.
    """

    rules: tuple[CompiledRule, ...]
    always: int
    owned: _Literals | None
    keywords: _Literals | None
    seen: dict[str, dict[str, Masks]]
    owned_fields: frozenset[str]
    reads: dict[int, tuple[str, ...] | None]
    plain_owned: bool
    plain_other: bool


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
        #: Buckets by the raw dispatch values and their types, of events met so far.
        self._by_raw: dict[tuple[Any, ...], _Bucket] = {}
        self._raw = _getter(dispatch)
        self._room = MAX_REMEMBERED_VALUES

    def bucket_of(self, fields: dict[str, Any]) -> _Bucket:
        """The bucket of an event's fields: one look-up by their raw dispatch values and their
        types once seen (``1``, ``1.0`` and ``True`` are equal keys but different buckets)."""
        raw = self._raw(fields)
        try:
            found = self._by_raw.get(raw)
        except TypeError:  # a list or dict value
            return self.bucket(self.key(fields))
        if found is None:
            found = self.bucket(self.key(fields))
            if len(self._by_raw) >= MAX_BUCKETS:
                self._by_raw.clear()
            self._by_raw[raw] = found
        return found

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
                self._by_raw.clear()
            found = self._buckets[key] = self._build(key)
        return found

    def _build(self, key: tuple[str | None, ...]) -> _Bucket:
        members: set[int] = set()
        for mask in range(1 << len(key)):
            probe = tuple(None if mask >> i & 1 else v for i, v in enumerate(key))
            members.update(self._by_key.get(probe, ()))
        rules = tuple(self.rules[p] for p in sorted(members))
        always = 0
        owners: dict[str, dict[str | None, list[int]]] = {}
        for local, rule in enumerate(rules):
            groups = rule.literals
            if groups is None:
                always |= 1 << local
                continue
            for number, group in enumerate(groups[:2]):
                slot = 0 if len(groups) == 1 else number + 1
                for field, literal in group:
                    by_field = owners.setdefault(_value_pattern(field, literal), {})
                    by_field.setdefault(field, [0, 0, 0])[slot] |= 1 << local
        owned = frozenset(f for by_field in owners.values() for f in by_field if f is not None)
        keywords: dict[str, dict[str | None, list[int]]] = {
            p: {None: by_field[None]} for p, by_field in owners.items() if None in by_field
        }
        of_fields = _literals(owners) if owned else None
        of_keywords = _literals(keywords) if keywords else None
        return _Bucket(
            rules,
            always,
            of_fields,
            of_keywords,
            {name: {} for name in owned},
            owned,
            {},
            of_fields is not None and not of_fields.skips_plain,
            of_keywords is not None and not of_keywords.skips_plain,
        )

    def candidates(self, fields: dict[str, Any], bucket: _Bucket) -> int:
        """Bitmask (bucket-local positions) of the rules worth running on an event."""
        single = first = second = 0
        seen_by_field = bucket.seen
        keywords = bucket.keywords
        owned_fields = bucket.owned_fields
        new_owned: list[_New] = []
        new_other: list[_New] = []
        for name, value in fields.items():
            seen = seen_by_field.get(name)
            if seen is None:
                if keywords is None:
                    continue
                seen = seen_by_field[name] = {}
            cls = value.__class__
            if cls is str:
                masks = seen.get(value)
            elif cls is int:
                if not bucket.plain_other and name not in owned_fields:
                    continue  # no keyword is made of digits
                value = str(value)
                masks = seen.get(value)
            elif value is None:
                continue
            elif cls is list or cls is tuple:
                owned = name in owned_fields
                masks = _items(seen, name, value, new_owned if owned else new_other)
            else:
                value = _text(value)
                masks = seen.get(value)
            if masks is None:
                if name in owned_fields:
                    if bucket.plain_owned or value.strip(_PLAIN):
                        new_owned.append((seen, name, value))
                elif bucket.plain_other or value.strip(_PLAIN):
                    new_other.append((seen, name, value))
            elif masks is not _NOTHING:
                single |= masks[0]
                first |= masks[1]
                second |= masks[2]
        if new_owned or new_other:
            masks = self._search(bucket, new_owned, new_other)
            single |= masks[0]
            first |= masks[1]
            second |= masks[2]
        return bucket.always | single | (first & second)

    def _search(self, bucket: _Bucket, owned: list[_New], other: list[_New]) -> Masks:
        """Search values not seen before and remember what each hits; what they hit together.

        Values of fields with literals of their own are searched in one call, the others in
        one call of the keyword automaton.
        """
        self._room -= len(owned) + len(other)
        if self._room < 0:
            for each in self._buckets.values():
                each.seen.clear()
                each.seen.update((field, {}) for field in each.owned_fields)
            self._room = MAX_REMEMBERED_VALUES
        single = first = second = 0
        for literals, group in ((bucket.owned, owned), (bucket.keywords, other)):
            if not group or literals is None:
                continue
            pieces = [f"{TAG}{text.lower()}{END}" for _, _, text in group]
            hits = literals.automaton.find_matches_as_indexes("".join(pieces), overlapping=True)
            if not hits:
                for seen, _, text in group:
                    seen[text] = _NOTHING
                continue
            found = _attribute(hits, literals.owners, group, pieces)
            for (seen, _, text), masks in zip(group, found, strict=True):
                seen[text] = masks
                single |= masks[0]
                first |= masks[1]
                second |= masks[2]
        return single, first, second


def _items(seen: dict[str, Masks], name: str, items: list[Any], new: list[_New]) -> Masks:
    """The masks of a list value's items seen before; the others are added to ``new``."""
    single = first = second = 0
    for item in items:
        text = item if item.__class__ is str else _text(item)
        masks = seen.get(text)
        if masks is None:
            new.append((seen, name, text))
        else:
            single |= masks[0]
            first |= masks[1]
            second |= masks[2]
    return (single, first, second) if single or first or second else _NOTHING


def _literals(owners: dict[str, dict[str | None, list[int]]]) -> _Literals:
    return _Literals(
        AhoCorasick(list(owners), matchkind=MatchKind.Standard),
        tuple({f: (m[0], m[1], m[2]) for f, m in by_field.items()} for by_field in owners.values()),
        all(not _PLAIN_PATTERN.issuperset(pattern) for pattern in owners),
    )


def _attribute(
    hits: list[tuple[int, int, int]],
    owners: tuple[dict[str | None, Masks], ...],
    group: list[_New],
    pieces: list[str],
) -> list[Masks]:
    """Per value, the masks of the hits that lie inside it and count for its field."""
    if len(pieces) == 1:  # the common case: one new value
        name = group[0][1]
        single = first = second = 0
        for pattern, _, _ in hits:
            by_field = owners[pattern]
            for masks in (by_field.get(name), by_field.get(None)):
                if masks is not None:
                    single |= masks[0]
                    first |= masks[1]
                    second |= masks[2]
        return [(single, first, second) if single or first or second else _NOTHING]
    starts: list[int] = []
    position = 0
    for piece in pieces:
        starts.append(position)
        position += len(piece)
    out = [[0, 0, 0] for _ in pieces]
    for pattern, start, end in hits:
        by_field = owners[pattern]
        at = bisect_right(starts, start) - 1
        if end > starts[at] + len(pieces[at]):
            continue  # runs into the next value (control characters in a value)
        for masks in (by_field.get(group[at][1]), by_field.get(None)):
            if masks is not None:
                into = out[at]
                into[0] |= masks[0]
                into[1] |= masks[1]
                into[2] |= masks[2]
    return [(m[0], m[1], m[2]) if any(m) else _NOTHING for m in out]


def _reads(rules: tuple[CompiledRule, ...], chosen: int) -> tuple[str, ...] | None:
    """The fields whose lower-cased form the ``chosen`` rules read (None: any)."""
    names: set[str] = set()
    while chosen:
        lowest = chosen & -chosen
        read = rules[lowest.bit_length() - 1].reads
        if read is None:
            return None
        names |= read
        chosen ^= lowest
    return tuple(names)


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A function giving the values of ``names`` in a dict (None when absent), then their types."""
    if len(names) == 2:  # Channel and EventID: twice as fast as the general form

        def both(
            fields: dict[str, Any], one: str = names[0], two: str = names[1]
        ) -> tuple[Any, ...]:
            first, second = fields.get(one), fields.get(two)
            return first, second, first.__class__, second.__class__

        return both

    def values(fields: dict[str, Any]) -> tuple[Any, ...]:
        found = tuple(map(fields.get, names))
        return found + tuple(v.__class__ for v in found)

    return values


def _text(value: Any) -> str:
    """A value that is not a string as :func:`~socctl.detection.compile.lower_view` writes it
    (before lower-casing)."""
    if value.__class__ is bool:
        return "true" if value else "false"
    return str(value)


def _value_pattern(field: str | None, literal: str) -> str:
    """A literal as searched in a ``TAG value END`` text (without its ``START field``)."""
    head = f"{START}{field}{TAG}"
    return literal[len(head) - 1 :] if field is not None and literal.startswith(head) else literal


class Detector:
    """Runs a rule set over events; correlation state carries across :meth:`feed` calls."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self._indexes: dict[str, KindIndex] = {}
        self.correlations = CorrelationEngine(
            ruleset.correlations, ruleset.detection_rules, ruleset.event_field_names
        )
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
        bucket = index.bucket_of(fields)
        if not bucket.always and bucket.owned is None and bucket.keywords is None:
            return []
        chosen = index.candidates(fields, bucket)
        if not chosen:
            return []
        rules = bucket.rules
        reads = bucket.reads
        if chosen in reads:
            names = reads[chosen]
        else:
            if len(reads) >= MAX_CANDIDATE_SETS:
                reads.clear()
            names = reads[chosen] = _reads(rules, chosen)
        lower = lower_view(fields, names)
        matched: list[CompiledRule] = []
        while chosen:
            lowest = chosen & -chosen
            rule = rules[lowest.bit_length() - 1]
            if rule.match(fields, lower):
                matched.append(rule)
            chosen ^= lowest
        return matched

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
