"""From pySigma's parsed condition tree to a plain, cacheable form, and from that to Python code.

A rule goes through three forms:

1. pySigma's condition tree (after the processing pipeline) — :func:`condition_to_ir`;
2. the *IR*: nested tuples of str/int/bool only, so it can be cached with :mod:`marshal`::

       ("and", (node, ...)) | ("or", (node, ...)) | ("not", node) | ("const", bool)
       ("t", field | None, op, args)        # field None: a keyword (search every value)

   ``op`` is one of :data:`LOWER_OPS` (matched on the lower-cased value, so case-insensitive),
   their ``c``-prefixed cased twins, ``re`` (a user regex), ``wild`` (``*`` inside a
   value: its literal segments), ``wre``/``cwre`` (``?`` wildcards: a regex), ``cidr``, ``cmp``, ``null``, ``exists``, ``fieldref`` or ``bool``;
3. Python source for one function ``m(F, L)`` — :func:`ir_to_source` — where ``F`` holds the
   event's fields and ``L`` their lower-cased string forms (see :func:`lower_view`).

The pySigma imports happen inside :func:`condition_to_ir` only: a run served from the cache never
imports pySigma.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from datetime import datetime
from socket import AF_INET, inet_pton
from typing import Any

IR = tuple[Any, ...]

#: Operators that compare the lower-cased value with lower-cased strings.
LOWER_OPS = ("eq", "contains", "startswith", "endswith")
#: Operators whose arguments can be merged when several values of one field are OR-ed.
_MERGEABLE = {*LOWER_OPS, "wild", *("c" + op for op in (*LOWER_OPS, "wild"))}
_CASED_OPS = {"ceq", "ccontains", "cstartswith", "cendswith", "cwild", "cwre"}
_STRING_OPS = {*LOWER_OPS, *_CASED_OPS, "wild", "wre", "re"}


class CompileError(Exception):
    """A rule uses something the engine cannot evaluate; the message says what."""


# --------------------------------------------------------------------------- pySigma -> IR


def condition_to_ir(condition: Any) -> IR:
    """Convert one parsed pySigma condition (``SigmaCondition.parsed``) to IR."""
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
        ConditionValueExpression,
    )

    def walk(node: Any) -> IR:
        if isinstance(node, ConditionAND):
            return _and([walk(a) for a in node.args])
        if isinstance(node, ConditionOR):
            return _or([walk(a) for a in node.args])
        if isinstance(node, ConditionNOT):
            return ("not", walk(node.args[0]))
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return _value(node.field, node.value)
        if isinstance(node, ConditionValueExpression):
            return _value(None, node.value)
        raise CompileError(f"unsupported condition element {type(node).__name__}")

    return walk(condition)


def _value(field: str | None, value: Any) -> IR:
    from sigma.types import (
        SigmaBool,
        SigmaCasedString,
        SigmaCIDRExpression,
        SigmaCompareExpression,
        SigmaExists,
        SigmaExpansion,
        SigmaFieldReference,
        SigmaNull,
        SigmaNumber,
        SigmaRegularExpression,
        SigmaRegularExpressionFlag,
        SigmaString,
        SigmaTimestampPart,
    )

    if isinstance(value, SigmaExpansion):
        return _or([_value(field, v) for v in value.values])
    if isinstance(value, SigmaString):
        return _string(field, value, cased=isinstance(value, SigmaCasedString))
    if isinstance(value, SigmaTimestampPart):  # a SigmaNumber too: test it first
        return ("t", field, "timepart", (value.timestamp_part.name.lower(), int(value.number)))
    if isinstance(value, SigmaNumber):
        return ("t", field, "eq", (str(value.number).lower(),))
    if isinstance(value, SigmaRegularExpression):
        flags = "".join(
            letter
            for flag, letter in (
                (SigmaRegularExpressionFlag.IGNORECASE, "i"),
                (SigmaRegularExpressionFlag.MULTILINE, "m"),
                (SigmaRegularExpressionFlag.DOTALL, "s"),
            )
            if flag in value.flags
        )
        pattern = (f"(?{flags})" if flags else "") + value.regexp.to_plain()
        check_regex(pattern)
        return ("t", field, "re", (pattern,))
    if isinstance(value, SigmaCIDRExpression):
        return ("t", field, "cidr", (str(value.network),))
    if isinstance(value, SigmaCompareExpression):
        return ("t", field, "cmp", (value.op.name.lower(), value.number.number))
    if isinstance(value, SigmaNull):
        return ("t", field, "null", ())
    if isinstance(value, SigmaExists):
        return ("t", field, "exists", (bool(value.exists),))
    if isinstance(value, SigmaFieldReference):
        return ("t", field, "fieldref", (value.field, value.starts_with, value.ends_with))
    if isinstance(value, SigmaBool):
        return ("t", field, "bool", (value.boolean,))
    raise CompileError(f"unsupported value type {type(value).__name__} for field {field!r}")


def _string(field: str | None, value: Any, *, cased: bool) -> IR:
    from sigma.types import Placeholder, SpecialChars

    parts = list(value.s)
    for part in parts:
        if isinstance(part, Placeholder):
            raise CompileError(
                f"placeholder %{part.name}% has no value (give it one in a processing pipeline)"
            )
    multi = SpecialChars.WILDCARD_MULTI
    if field is None:  # a keyword is searched anywhere in a value, wildcards or not
        parts = [*([] if parts and parts[0] is multi else [multi]), *parts]
        parts += [] if len(parts) > 1 and parts[-1] is multi else [multi]
    lead = bool(parts) and parts[0] is multi
    trail = len(parts) > (1 if lead else 0) and parts[-1] is multi
    core = parts[int(lead) : len(parts) - int(trail)]
    prefix = "c" if cased else ""
    if all(isinstance(p, str) for p in core):
        text = "".join(core)
        if not cased:
            text = text.lower()
        op = {
            (False, False): "eq",
            (True, False): "endswith",
            (False, True): "startswith",
            (True, True): "contains",
        }[(lead, trail)]
        return ("t", field, prefix + op, (text,))
    if SpecialChars.WILDCARD_SINGLE not in parts:
        segments: list[str] = [""]
        for p in parts:
            if p is multi:
                segments.append("")
            else:
                segments[-1] += p if cased else p.lower()
        return ("t", field, prefix + "wild", (tuple(segments),))
    regex = "".join(
        ".*" if p is multi else "." if p is SpecialChars.WILDCARD_SINGLE else _re_escape(p)
        for p in parts
    )
    literals = [p for p in parts if isinstance(p, str)]
    longest = max(literals, key=len, default="")
    pattern = "(?s)^" + (regex if cased else regex.lower()) + "$"
    check_regex(pattern)
    return ("t", field, prefix + "wre", (pattern, longest if cased else longest.lower()))


def _re_escape(text: str) -> str:
    import re

    return re.escape(text)


def _and(children: list[IR]) -> IR:
    flat: list[IR] = []
    for child in children:
        if child[0] == "and":
            flat.extend(child[1])
        elif child == ("const", True):
            continue
        else:
            flat.append(child)
    if ("const", False) in flat:
        return ("const", False)
    if not flat:
        return ("const", True)
    return flat[0] if len(flat) == 1 else ("and", tuple(flat))


def _or(children: list[IR]) -> IR:
    flat: list[IR] = []
    for child in children:
        flat.extend(child[1] if child[0] == "or" else (child,))
    merged: list[Any] = []
    slots: dict[tuple[str | None, str], int] = {}
    for child in flat:
        if child == ("const", False):
            continue
        if child == ("const", True):
            return child
        if child[0] == "t" and child[2] in _MERGEABLE:
            key = (child[1], child[2])
            if key in slots:
                merged[slots[key]][3].update(dict.fromkeys(child[3]))
                continue
            slots[key] = len(merged)
            merged.append(["t", child[1], child[2], dict.fromkeys(child[3])])
            continue
        merged.append(child)
    out = [("t", c[1], c[2], tuple(c[3])) if isinstance(c, list) else c for c in merged]
    if not out:
        return ("const", False)
    return out[0] if len(out) == 1 else ("or", tuple(out))


def any_of(nodes: Iterable[IR]) -> IR:
    """OR several IR trees (a rule's several conditions, or its pipeline variants)."""
    return _or(list(nodes))


# --------------------------------------------------------------------------- regexes (RE2)


def check_regex(pattern: str) -> None:
    """Raise :class:`CompileError` when RE2 cannot compile ``pattern``."""
    compile_regex(pattern)


def compile_regex(pattern: str) -> Callable[[str], bool]:
    """A search function for ``pattern`` compiled with RE2.

    RE2 runs in linear time: no catastrophic backtracking on attacker-chosen log lines. The
    function calls RE2's matcher directly (a fifth of the cost of ``re2``'s ``search``, which
    also computes match positions we do not need).
    """
    import re2

    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise CompileError(
            f"regular expression {pattern!r} is not supported by RE2: {reason}"
        ) from None
    native = getattr(compiled, "_regexp", None)
    if native is None or not hasattr(native, "Match"):  # pragma: no cover - other re2 builds
        return lambda text: compiled.search(text) is not None
    match = native.Match
    unanchored = re2._re2.RE2.Anchor.UNANCHORED

    def search(text: str) -> bool:
        data = text.encode("utf-8", "surrogatepass")
        return bool(match(unanchored, data, 0, len(data))[0][0] >= 0)

    return search


# --------------------------------------------------------------------------- index hints


#: A literal: the field whose value holds it (None: any field) and its text in the haystack.
Literal = tuple[str | None, str]
#: How an event is written for the literal search: ``START field TAG value END`` per value, so
#: literals can be anchored to a field and to the start or end of its value.
START, TAG, END = "\x02", "\x01", "\x00"


def necessary_literals(
    node: IR, skip_fields: frozenset[str], common: tuple[str, ...] = ()
) -> frozenset[Literal] | None:
    """Literals of which at least one occurs in the event's haystack whenever ``node`` matches.

    None when no such set is known. Fields in ``skip_fields`` (the dispatch fields, already
    indexed exactly) are not used. Of the sets an AND offers, the one least likely to occur in
    every event is kept (see :func:`_strength`).
    """
    kind = node[0]
    if kind == "t":
        return _test_literals(node, skip_fields)
    if kind == "or":
        union: set[Literal] = set()
        for child in node[1]:
            found = necessary_literals(child, skip_fields, common)
            if found is None:
                return None
            union |= found
        return frozenset(union)
    if kind == "and":
        usable = [o for c in node[1] if (o := necessary_literals(c, skip_fields, common))]
        return max(usable, key=lambda s: _strength(s, common)) if usable else None
    return None


def literal_groups(
    node: IR, skip_fields: frozenset[str], common: tuple[str, ...] = (), most: int = 2
) -> tuple[frozenset[Literal], ...] | None:
    """Up to ``most`` literal sets that must *each* have a member in a matching event.

    From the conditions AND-ed at the top of the rule (each via :func:`necessary_literals`);
    requiring two sets instead of one rejects many more events before the rule runs.
    """
    kind = node[0]
    if kind == "or":  # e.g. pipeline variants: the i-th sets of all branches, united
        per_child = [literal_groups(c, skip_fields, common, most) for c in node[1]]
        if all(per_child):
            count = min(len(g) for g in per_child if g)
            return tuple(frozenset().union(*(g[i] for g in per_child if g)) for i in range(count))
    if kind == "and":
        sets = {
            found for child in node[1] if (found := necessary_literals(child, skip_fields, common))
        }
        if sets:
            ranked = sorted(sets, key=lambda s: _strength(s, common), reverse=True)
            return tuple(ranked[:most])
        return None
    single = necessary_literals(node, skip_fields, common)
    return (single,) if single else None


def _strength(literals: frozenset[Literal], common: tuple[str, ...]) -> tuple[Any, ...]:
    """How rarely a literal set is expected to occur: none of its values inside the ``common``
    texts, then its shortest value longer (an anchor to a value's start or end counts as a
    character), then fewer literals."""
    values = [_value_of(text) for _, text in literals]
    weak = any(value in sample for value, _ in values for sample in common)
    return (
        not weak,
        min(len(value) + anchors for value, anchors in values),
        -len(literals),
        min(value for value, _ in values),
    )


def _value_of(text: str) -> tuple[str, int]:
    """A literal's value without its field and anchors, and how many anchors it had."""
    anchors = 0
    if text.startswith(START) or text.startswith(TAG):
        text = text.split(TAG, 1)[1]
        anchors += 1
    if text.endswith(END):
        text = text[:-1]
        anchors += 1
    return text, anchors


def _test_literals(node: IR, skip_fields: frozenset[str]) -> frozenset[Literal] | None:
    field, op, args = node[1], node[2], node[3]
    if field in skip_fields:
        return None
    head = f"{START}{field}{TAG}" if field is not None else TAG
    base = op[1:] if op in _CASED_OPS else op
    # (text, anchored at the value's start, anchored at its end)
    pieces: list[tuple[str, bool, bool]]
    if base == "eq":
        pieces = [(a, True, True) for a in args]
    elif base == "startswith":
        pieces = [(a, True, False) for a in args]
    elif base == "endswith":
        pieces = [(a, False, True) for a in args]
    elif base == "contains":
        pieces = [(a, False, False) for a in args]
    elif base == "wild":
        pieces = []
        for segments in args:
            at = max(range(len(segments)), key=lambda i: len(segments[i]))
            pieces.append((segments[at], at == 0, at == len(segments) - 1))
    elif base == "wre":
        pieces = [(args[1], False, False)]
    elif op == "re":
        found = regex_literals(args[0])
        if found is None:
            return None
        pieces = [(text, False, False) for text in found]
    else:
        return None
    literals: set[Literal] = set()
    for text, starts, ends in pieces:
        if not text and not (starts and ends):
            return None
        literals.add((field, (head if starts else "") + text.lower() + (END if ends else "")))
    return frozenset(literals)


def regex_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased strings one of which occurs in any text the regex matches, or None."""
    import re._constants as sre_constants
    import re._parser as sre_parse
    import warnings

    try:
        with warnings.catch_warnings():
            # Python reads the POSIX class "[[:digit:]]" (RE2 and PCRE know it) as a set and a "]"
            # after it, and warns: no literals can be trusted from such a pattern.
            warnings.simplefilter("error", FutureWarning)
            parsed = sre_parse.parse(pattern)
    except (re_error(), RecursionError, OverflowError, FutureWarning):
        return None
    LITERAL, BRANCH, SUBPATTERN = (
        sre_constants.LITERAL,
        sre_constants.BRANCH,
        sre_constants.SUBPATTERN,
    )
    REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)

    def best(options: list[frozenset[str]]) -> frozenset[str] | None:
        options = [o for o in options if o and all(o)]
        return max(options, key=lambda s: (min(map(len, s)), -len(s))) if options else None

    def sequence(items: Any) -> frozenset[str] | None:
        options: list[frozenset[str]] = []
        run = ""
        for op, value in items:
            if op is LITERAL:
                run += chr(value)
                continue
            if run:
                options.append(frozenset({run.lower()}))
                run = ""
            if op is SUBPATTERN:
                found = sequence(value[-1])
            elif op is BRANCH:
                found = frozenset()
                for branch in value[1]:
                    alternative = sequence(branch)
                    if alternative is None:
                        found = None
                        break
                    found |= alternative
            elif op in REPEATS and value[0] >= 1:
                found = sequence(value[2])
            else:
                found = None
            if found:
                options.append(found)
        if run:
            options.append(frozenset({run.lower()}))
        return best(options)

    return sequence(parsed)


def re_error() -> type[Exception]:
    import re

    return re.error


def equality_values(node: IR, field: str) -> frozenset[str] | None:
    """Lower-cased values ``field`` must equal for ``node`` to match, or None when unconstrained."""
    kind = node[0]
    if kind == "t":
        return frozenset(node[3]) if node[1] == field and node[2] == "eq" else None
    if kind == "and":
        found = [equality_values(c, field) for c in node[1]]
        known = [f for f in found if f is not None]
        if not known:
            return None
        result = known[0]
        for other in known[1:]:
            result &= other
        return result
    if kind == "or":
        union: set[str] = set()
        for child in node[1]:
            values = equality_values(child, field)
            if values is None:
                return None
            union |= values
        return frozenset(union)
    if kind == "const" and node[1] is False:
        return frozenset()
    return None


def lowered_reads(node: IR) -> frozenset[str] | None:
    """The fields whose lower-cased form (``L``) the function of ``node`` reads; None when it
    may read any (a keyword: a string test without a field)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        kind = current[0]
        if kind in ("and", "or"):
            stack.extend(current[1])
        elif kind == "not":
            stack.append(current[1])
        elif kind != "const":
            field, op, args = current[1], current[2], current[3]
            if field is None:
                if op in _STRING_OPS and op not in _CASED_OPS and op != "re":
                    return None
                continue
            names.add(field)
            if op == "fieldref":
                names.add(args[0])
    return frozenset(names)


# --------------------------------------------------------------------------- IR -> Python


class _Writer:
    """Builds the source of one rule function; regexes and networks go into constant lists."""

    def __init__(self, empty_is_null: bool = False) -> None:
        self.empty_is_null = empty_is_null
        self.regexes: list[str] = []
        self.networks: list[str] = []

    def expr(self, node: IR) -> str:
        kind = node[0]
        if kind == "and":
            return "(" + " and ".join(self.expr(c) for c in node[1]) + ")"
        if kind == "or":
            return "(" + " or ".join(self.expr(c) for c in node[1]) + ")"
        if kind == "not":
            return "(not " + self.expr(node[1]) + ")"
        if kind == "const":
            return repr(bool(node[1]))
        return self.test(node[1], node[2], node[3])

    def _regex(self, pattern: str) -> str:
        self.regexes.append(pattern)
        return f"_R[{len(self.regexes) - 1}]"

    def test(self, field: str | None, op: str, args: tuple[Any, ...]) -> str:
        if op in _STRING_OPS:
            base = op[1:] if op in _CASED_OPS else op
            arg = self._regex(args[0]) if base in ("wre", "re") else repr(args)
            if op in _CASED_OPS or op == "re":
                source = f"F.get({field!r})" if field is not None else "F"
                return (
                    f"_raw({source}, {base!r}, {arg})"
                    if field is not None
                    else (f"_kw_raw(F, {base!r}, {arg})")
                )
            if field is None:
                return f"_kw(L, {base!r}, {arg})"
            body = self._string_expr(base, args, arg)
            return f"(({body}) if (x := L.get({field!r})).__class__ is str else _seq(x, {base!r}, {arg}))"
        if field is None:
            raise CompileError(f"modifier '{op}' needs a field")
        f = repr(field)
        if op == "cidr":
            self.networks.append(args[0])
            return f"_cidr(F.get({f}), _N[{len(self.networks) - 1}])"
        if op == "cmp":
            return f"_cmp(F.get({f}), {args[0]!r}, {args[1]!r})"
        if op == "timepart":
            return f"_timepart(F.get({f}), {args[0]!r}, {args[1]!r})"
        if op == "null":  # absent or null (and on Windows logs, empty)
            return f"(F.get({f}) in (None, ''))" if self.empty_is_null else f"(F.get({f}) is None)"
        if op == "exists":
            return f"({f} in F)" if args[0] else f"({f} not in F)"
        if op == "fieldref":
            return f"_ref(L.get({f}), L.get({args[0]!r}), {args[1]!r}, {args[2]!r})"
        if op == "bool":
            return f"(L.get({f}) == {str(args[0]).lower()!r})"
        raise CompileError(f"unknown operator {op}")

    @staticmethod
    def _string_expr(op: str, args: tuple[Any, ...], arg: str) -> str:
        if op == "eq":
            return f"x == {args[0]!r}" if len(args) == 1 else f"x in {set(args)!r}"
        if op == "contains":
            return " or ".join(f"{a!r} in x" for a in args)
        if op in ("startswith", "endswith"):
            return f"x.{op}({(args[0] if len(args) == 1 else args)!r})"
        if op == "wild":
            return f"_wild(x, {args!r})"
        return f"{arg}(x)"


def ir_to_source(
    node: IR, *, empty_is_null: bool = False
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Python source defining ``m(F, L)``, plus the regexes (``_R``) and networks (``_N``) it uses.

    ``empty_is_null``: a ``null`` test also holds for an empty string (Windows logs)."""
    writer = _Writer(empty_is_null)
    body = writer.expr(node)
    return f"def m(F, L):\n    return {body}\n", tuple(writer.regexes), tuple(writer.networks)


# --------------------------------------------------------------------------- runtime helpers


def lower_view(fields: dict[str, Any], names: Iterable[str] | None = None) -> dict[str, Any]:
    """The lower-cased string form of every field (lists become tuples); what ``L`` holds.

    ``names`` (if given) limits it to those fields (the ones the rules to run read)."""
    out: dict[str, Any] = {}
    items = fields.items() if names is None else [(n, fields[n]) for n in names if n in fields]
    for key, value in items:
        cls = value.__class__
        if cls is str:
            out[key] = value.lower()
        elif cls is int or cls is float:
            out[key] = str(value)
        elif cls is bool:
            out[key] = "true" if value else "false"
        elif value is None:
            out[key] = None
        elif cls is list or cls is tuple:
            out[key] = tuple(_lower_scalar(v) for v in value)
        else:
            out[key] = str(value).lower()
    return out


def _lower_scalar(value: Any) -> str:
    if value.__class__ is bool:
        return "true" if value else "false"
    return str(value).lower()


def _test(text: str, op: str, arg: Any) -> bool:
    """One string test (the slow path: list values and keywords)."""
    if op == "eq":
        return text in arg
    if op == "contains":
        return any(a in text for a in arg)
    if op == "startswith":
        return text.startswith(arg)
    if op == "endswith":
        return text.endswith(arg)
    if op == "wild":
        return _wild(text, arg)
    return bool(arg(text))


def _wild(text: str, patterns: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``text`` matches one of the ``*`` patterns, each given as its literal segments.

    Greedy leftmost matching of the middle segments is exact for ``*``-only patterns, and
    linear in the text: no regex, no backtracking.
    """
    for segments in patterns:
        first, last = segments[0], segments[-1]
        end = len(text) - len(last)
        if end < len(first) or not text.startswith(first) or not text.endswith(last):
            continue
        position = len(first)
        for segment in segments[1:-1]:
            found = text.find(segment, position, end)
            if found < 0:
                break
            position = found + len(segment)
        else:
            return True
    return False


def _seq(value: Any, op: str, arg: Any) -> bool:
    return value.__class__ is tuple and any(_test(v, op, arg) for v in value)


def _kw(lower: dict[str, Any], op: str, arg: Any) -> bool:
    for value in lower.values():
        if value.__class__ is str:
            if _test(value, op, arg):
                return True
        elif _seq(value, op, arg):
            return True
    return False


def _raw(value: Any, op: str, arg: Any) -> bool:
    if value is None:
        return False
    if value.__class__ is str:
        return _test(value, op, arg)
    if value.__class__ is list or value.__class__ is tuple:
        return any(_raw(v, op, arg) for v in value)
    if value.__class__ is bool:
        return _test("true" if value else "false", op, arg)
    return _test(str(value), op, arg)


def _kw_raw(fields: dict[str, Any], op: str, arg: Any) -> bool:
    return any(_raw(v, op, arg) for v in fields.values())


def _number(value: Any) -> float | None:
    if value is None or value.__class__ is bool:
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "lt": float.__lt__,
    "lte": float.__le__,
    "gt": float.__gt__,
    "gte": float.__ge__,
    "neq": float.__ne__,
}


def _timepart(value: Any, part: str, number: int) -> bool:
    """``|minute``, ``|hour``, ``|day``, ``|week``, ``|month``, ``|year``: that part of a time
    (ISO 8601 text as written, without changing its time zone; or a number since 1970, UTC)."""
    if value.__class__ is list or value.__class__ is tuple:
        return any(_timepart(v, part, number) for v in value)
    if value.__class__ is str:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return False
    elif value.__class__ is int or value.__class__ is float:
        from socctl.detection.inputs.timestamps import from_epoch  # rare: not at import

        epoch = from_epoch(value)
        if epoch is None:
            return False
        moment = epoch
    else:
        return False
    found = moment.isocalendar().week if part == "week" else getattr(moment, part)
    return bool(found == number)


def _cmp(value: Any, op: str, number: float) -> bool:
    if value.__class__ is list or value.__class__ is tuple:
        return any(_cmp(v, op, number) for v in value)
    found = _number(value)
    return found is not None and _COMPARE[op](found, float(number))


#: A network as ``(IP version, network address, netmask)``, the addresses as integers.
Network = tuple[int, int, int]


def _network(text: str) -> Network:
    network = ipaddress.ip_network(text)
    return network.version, int(network.network_address), int(network.netmask)


def _cidr(value: Any, network: Network) -> bool:
    if value.__class__ is list or value.__class__ is tuple:
        return any(_cidr(v, network) for v in value)
    if value is None:
        return False
    text = str(value).strip()
    try:  # IPv4 through the C parser: ~15 times faster than ipaddress, same strictness
        version, address = 4, int.from_bytes(inet_pton(AF_INET, text))
    except (OSError, ValueError):
        try:
            parsed = ipaddress.ip_address(text)
        except ValueError:
            return False
        version, address = parsed.version, int(parsed)
    return version == network[0] and address & network[2] == network[1]


def _ref(value: Any, other: Any, starts: bool, ends: bool) -> bool:
    if value is None or other is None:
        return False
    if value.__class__ is not str or other.__class__ is not str:
        return value == other
    if starts and ends:  # |fieldref|contains
        return other in value
    if starts:
        return value.startswith(other)
    if ends:
        return value.endswith(other)
    return value == other


#: The globals every rule function sees (with its own ``_R`` and ``_N``).
RUNTIME: dict[str, Any] = {
    "_seq": _seq,
    "_kw": _kw,
    "_raw": _raw,
    "_kw_raw": _kw_raw,
    "_cmp": _cmp,
    "_timepart": _timepart,
    "_cidr": _cidr,
    "_ref": _ref,
    "_wild": _wild,
}


def build_function(
    code: Any, regexes: tuple[str, ...], networks: tuple[str, ...]
) -> Callable[[dict[str, Any], dict[str, Any]], bool]:
    """Turn a compiled rule module (a code object) into its matching function."""
    namespace: dict[str, Any] = dict(RUNTIME)
    namespace["_R"] = [compile_regex(p) for p in regexes]
    namespace["_N"] = [_network(n) for n in networks]
    exec(code, namespace)
    function: Callable[[dict[str, Any], dict[str, Any]], bool] = namespace["m"]
    return function
