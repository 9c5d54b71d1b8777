"""Loading Sigma rules: files and trees, parsed and validated by pySigma, compiled per pipeline.

:func:`load_rules` reads every rule file, and takes what it can from the cache (keyed by the
file's content hash); only files not in the cache are parsed with pySigma. Compilation for a
pipeline happens on demand (:meth:`RuleSet.compiled`), once per pipeline, again from the
cache when possible. A rule that cannot load is a :class:`RuleLoadError` (path, id, reason)
in ``RuleSet.errors``; it never stops the others.
"""

from __future__ import annotations

import hashlib
import itertools
import marshal
import multiprocessing
import operator
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from socctl.detection import logsources
from socctl.detection.cache import ENGINE_VERSION, RuleCache, default_cache_dir
from socctl.detection.compile import (
    CompileError,
    Literal,
    any_of,
    build_function,
    condition_to_ir,
    equality_values,
    ir_to_source,
    literal_groups,
    lowered_reads,
)
from socctl.detection.match import RuleInfo
from socctl.errors import InputError
from socctl.resources import content_dir

if TYPE_CHECKING:
    from socctl.workspace import Workspace

RULE_SUFFIXES = (".yml", ".yaml")
#: Largest rule file read (a rule is a few KB; this only bounds accidents).
MAX_RULE_BYTES = 4 << 20

Matcher = Callable[[dict[str, Any], dict[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class RuleLoadError:
    """A rule (or rule file) that could not be loaded, and why."""

    path: str
    rule_id: str | None
    reason: str

    def __str__(self) -> str:
        ident = f" [{self.rule_id}]" if self.rule_id else ""
        return f"{self.path}{ident}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Correlation:
    """A Sigma correlation rule in the form the correlation engine uses."""

    type: str
    rules: tuple[str, ...]
    group_by: tuple[str, ...]
    timespan: float
    #: (operator, number) pairs that must all hold: one, or two for a range (gt: 1, lte: 3).
    conditions: tuple[tuple[str, int], ...]
    field: str | None
    aliases: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    generate: bool


@dataclass(frozen=True, slots=True)
class LoadedRule:
    """One rule that parsed: what alerts show, its logsource, and how correlations name it."""

    info: RuleInfo
    logsource: dict[str, str | None]
    name: str | None
    key: str
    correlation: Correlation | None = None


@dataclass(slots=True)
class CompiledRule:
    """A rule ready to evaluate for one pipeline; ``match(fields, lowered)`` tells whether an
    event matches (its function is built on first use: most rules never meet a candidate)."""

    rule: LoadedRule
    match: Matcher
    keys: frozenset[tuple[str | None, ...]]
    #: Literal sets that must each have a member in the event (None: the rule always runs).
    literals: tuple[frozenset[Literal], ...] | None
    #: Fields whose lower-cased form the rule reads (None: any field, a keyword search).
    reads: frozenset[str] | None


@dataclass
class RuleSet:
    """The loaded rules: metadata for all, compiled forms per pipeline on demand."""

    rules: list[LoadedRule] = field(default_factory=list)
    errors: list[RuleLoadError] = field(default_factory=list)
    files: int = 0
    _docs: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: RuleCache = field(default_factory=lambda: RuleCache(None), repr=False)
    _compiled: dict[tuple[str | None, str], list[CompiledRule]] = field(
        default_factory=dict, repr=False
    )
    failed_keys: set[str] = field(default_factory=set, repr=False)
    pipeline: str | None = None
    workers: int = 0

    @property
    def infos(self) -> list[RuleInfo]:
        return [r.info for r in self.rules]

    def document(self, rule: LoadedRule) -> Any:
        """The YAML document ``rule`` was loaded from."""
        doc = self._docs[rule.key]
        return doc.load() if isinstance(doc, _LazyDoc) else doc

    @property
    def detection_rules(self) -> list[LoadedRule]:
        return [r for r in self.rules if r.correlation is None]

    @property
    def correlations(self) -> list[LoadedRule]:
        return [r for r in self.rules if r.correlation is not None]

    def compiled(self, kind: str) -> tuple[list[CompiledRule], tuple[str, ...]]:
        """The rules events of ``kind`` can match, compiled, and the pipeline's dispatch fields."""
        name, spec = logsources.resolve(self.pipeline, kind)
        selectors = logsources.logsource_selectors(kind, self.pipeline)
        slot = (name, repr(selectors))
        if slot not in self._compiled:
            wanted = [
                r
                for r in self.detection_rules
                if logsources.logsource_matches(r.logsource, selectors)
            ]
            self._compiled[slot] = self._compile(wanted, name, spec)
            self._cache.save()
        return self._compiled[slot], spec.dispatch

    def event_field_names(
        self, kind: str, names: tuple[str, ...], base: LoadedRule
    ) -> dict[str, tuple[str, ...]]:
        """Sigma field names as events of ``kind`` may call them, for a rule with ``base``'s
        logsource (one name per pipeline variant, in order): a correlation's group-by field
        ``TargetUserName`` is ``winlog.event_data.TargetUserName`` in a Winlogbeat document,
        ``Image`` is ``Image`` in Sysmon and ``NewProcessName`` in Security 4688 (cached)."""
        name, spec = logsources.resolve(self.pipeline, kind)
        digest = hashlib.blake2b(repr((names, base.logsource)).encode(), digest_size=12)
        key = f"f:{logsources.fingerprint(name, spec)}:{digest.hexdigest()}"
        found: dict[str, tuple[str, ...]] | None = self._cache.get(key)
        if found is None:
            found = _mapped_fields(names, base.logsource, spec)
            self._cache.put(key, found)
            self._cache.save()
        return found

    def _compile(
        self, rules: list[LoadedRule], name: str, spec: logsources.PipelineSpec
    ) -> list[CompiledRule]:
        fingerprint = logsources.fingerprint(name, spec)
        rules = [r for r in rules if r.key not in self.failed_keys]
        entries = {r.key: self._cache.get(f"c:{fingerprint}:{r.key}") for r in rules}
        missing = [r for r in rules if entries[r.key] is None]
        fresh = _compile_many(
            [(self._docs[r.key], r.info.path or "") for r in missing], spec, self.workers
        )
        for rule, entry in zip(missing, fresh, strict=True):
            entries[rule.key] = entry
            self._cache.put(f"c:{fingerprint}:{rule.key}", entry)
        out: list[CompiledRule] = []
        for rule in rules:
            entry = entries[rule.key]
            if entry[0] == "err":
                self.failed_keys.add(rule.key)
                self.errors.append(RuleLoadError(rule.info.path or "", rule.info.id, entry[1]))
                continue
            _, code, regexes, networks, keys, literals, reads = entry
            compiled = CompiledRule(
                rule,
                _never,
                frozenset(tuple(k) for k in keys),
                tuple(frozenset(g) for g in literals) if literals is not None else None,
                frozenset(reads) if reads is not None else None,
            )
            compiled.match = _Deferred(compiled, code, regexes, networks)
            out.append(compiled)
        return out


def _mapped_fields(
    names: tuple[str, ...], logsource: dict[str, str | None], spec: logsources.PipelineSpec
) -> dict[str, tuple[str, ...]]:
    """What each pipeline variant renames each field to in a rule of ``logsource`` (distinct
    names, in variant order; the name itself when a variant cannot say)."""
    source = {k: v for k, v in logsource.items() if v is not None} or {"product": "any"}
    out: dict[str, tuple[str, ...]] = {}
    for field_name in names:
        found: dict[str, None] = {}
        for variant in spec.variants:
            found[_mapped_field(field_name, source, variant.pipelines)] = None
        out[field_name] = tuple(found)
    return out


def _mapped_field(name: str, logsource: dict[str, str], pipelines: tuple[str, ...]) -> str:
    from sigma.rule import SigmaDetectionItem, SigmaRule

    detection = {"sel": {name: "x"}, "condition": "sel"}
    try:
        rule = SigmaRule.from_dict({"title": "x", "logsource": logsource, "detection": detection})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logsources.build_pipeline(pipelines).apply(rule)
    except Exception:  # a name pySigma cannot take as a field: used as written
        return name
    stack: list[Any] = [rule.detection.detections["sel"]]
    while stack:  # the first field the (possibly nested) detection item has now
        node = stack.pop(0)
        if isinstance(node, SigmaDetectionItem):
            return node.field or name
        stack.extend(getattr(node, "detection_items", []))
    return name


def _never(_fields: dict[str, Any], _lowered: dict[str, Any]) -> bool:
    return False


class _Deferred:
    """A rule's matching function until its first call, which builds it (unmarshals the code,
    compiles the regexes) and puts it in the rule's place."""

    __slots__ = ("code", "networks", "owner", "regexes")

    def __init__(
        self, owner: CompiledRule, code: bytes, regexes: tuple[str, ...], networks: tuple[str, ...]
    ) -> None:
        self.owner, self.code, self.regexes, self.networks = owner, code, regexes, networks

    def __call__(self, fields: dict[str, Any], lowered: dict[str, Any]) -> bool:
        function = build_function(marshal.loads(self.code), self.regexes, self.networks)
        self.owner.match = function
        return function(fields, lowered)


def default_rule_paths(workspace: Workspace | None) -> list[Path]:
    """The shipped ``rules/`` (without ``rules/pipelines/``) plus the workspace's own rules."""
    shipped = content_dir("rules")
    paths = (
        sorted(p for p in shipped.iterdir() if p.name != "pipelines" and not p.name.startswith("."))
        if shipped.is_dir()
        else []
    )
    if workspace is not None:
        if workspace.rules_dir.is_dir():
            paths.append(workspace.rules_dir)
        for extra in workspace.settings.detection.rules:
            path = extra if extra.is_absolute() else workspace.root / extra
            if path.resolve() != workspace.rules_dir.resolve():
                paths.append(path)
    return paths


def rule_files(paths: Sequence[Path]) -> list[Path]:
    """Every rule file under ``paths`` (files as given, folders recursively, skipping hidden
    ones and the shipped ``rules/pipelines/``), in a stable order."""
    return [Path(name) for name in _rule_file_names(paths)]


def _rule_file_names(paths: Sequence[Path]) -> list[str]:
    """:func:`rule_files` as strings (thousands of ``Path`` objects cost a warm run ~40 ms)."""
    found: dict[str, str] = {}  # absolute path -> the path as given (shown in messages)
    pipelines = str(logsources.pipelines_dir().resolve())
    for path in paths:
        if path.is_dir():
            names = sorted(_tree_rule_files(path, pipelines))
        elif path.is_file():
            names = [str(path)]
        else:
            raise InputError(
                "no such rule file or folder", path=path, hint="check the --rules path"
            )
        for name in names:  # a file reached twice (relative and absolute paths) loads once
            found.setdefault(os.path.abspath(name), name)
    return list(found.values())


def _tree_rule_files(root: Path, pipelines: str) -> list[str]:
    """Rule files below ``root``: not hidden, not under ``pipelines`` (a resolved path), not
    through symbolic links to folders. One ``scandir`` per folder, no per-file resolving."""
    out: list[str] = []
    stack = [(str(root), str(root.resolve()))]
    while stack:
        folder, real = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                inner = os.path.join(real, name)
                if inner != pipelines:
                    stack.append((entry.path, inner))
            elif name.endswith(RULE_SUFFIXES) and entry.is_file():
                if entry.is_symlink() and _under(Path(entry.path).resolve(), pipelines):
                    continue
                out.append(entry.path)
    return out


def _under(path: Path, folder: str) -> bool:
    return any(str(parent) == folder for parent in path.parents)


def load_rules(
    paths: Sequence[Path],
    *,
    cache_dir: Path | None,
    use_cache: bool = True,
    pipeline: str | None = None,
    workers: int = 0,
) -> RuleSet:
    """Load the Sigma rules under ``paths``; bad rules are listed in ``errors`` with the reason.

    ``cache_dir`` None means ``~/.cache/socctl``; ``use_cache=False`` neither reads nor writes it.
    ``pipeline`` forces one processing pipeline for every event (``--pipeline``). ``workers``
    bounds the processes compiling rules the cache does not hold (0: one per core).
    """
    if pipeline is not None:
        logsources.resolve(pipeline, "generic")  # fail early on an unknown name
    cache = RuleCache((cache_dir or default_cache_dir()) if use_cache else None)
    ruleset = RuleSet(_cache=cache, pipeline=pipeline, workers=workers)
    for path in _rule_file_names(paths):
        ruleset.files += 1
        _load_file(path, ruleset, cache)
    _check_correlations(ruleset)
    cache.save()
    return ruleset


def _load_file(path: str, ruleset: RuleSet, cache: RuleCache) -> None:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RULE_BYTES + 1)
        if len(data) > MAX_RULE_BYTES:
            raise OSError(f"file larger than {MAX_RULE_BYTES} bytes")
    except OSError as exc:
        ruleset.errors.append(RuleLoadError(path, None, f"cannot read: {exc}"))
        return
    digest = hashlib.blake2b(data + ENGINE_VERSION.encode(), digest_size=16).hexdigest()
    meta_key = f"m:{digest}"
    metas = cache.get(meta_key)
    docs: list[Any] | None = None
    if metas is None:
        docs, metas = _parse_file(data, path)
        cache.put(meta_key, metas)
    for index, meta in enumerate(metas):
        if meta[0] == "err":
            ruleset.errors.append(RuleLoadError(path, meta[1], meta[2]))
            continue
        key = f"{digest}:{index}"
        rule = _loaded_rule(meta, path, key)
        ruleset.rules.append(rule)
        if docs is not None:
            ruleset._docs[key] = docs[index]
        else:
            ruleset._docs[key] = _LazyDoc(data, index)


class _LazyDoc:
    """The YAML document of a cached rule, parsed only if it has to be compiled again."""

    def __init__(self, data: bytes, index: int) -> None:
        self.data = data
        self.index = index

    def load(self) -> Any:
        return _yaml_documents(self.data)[self.index]


def _yaml_documents(data: bytes) -> list[Any]:
    from socctl.storage.yamlio import load_all_checked

    return load_all_checked(data.decode("utf-8"))


def _parse_file(data: bytes, path: str) -> tuple[list[Any], tuple[Any, ...]]:
    """Parse a rule file: its YAML documents, and per document a metadata tuple or an error."""
    import yaml

    try:
        docs = [d for d in _yaml_documents(data) if d is not None]
    except UnicodeDecodeError as exc:
        return [], (("err", None, f"not UTF-8 text (byte {exc.start})"),)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        return [], (("err", None, f"not valid YAML{where}: {problem}"),)
    if not docs:
        return [], (("err", None, "empty file: no Sigma rule"),)
    return docs, tuple(_parse_doc(doc) for doc in docs)


def _parse_doc(doc: Any) -> tuple[Any, ...]:
    """The cacheable metadata tuple of one YAML document, or an error tuple.

    A detection rule is only checked for shape here; pySigma validates it fully when it is
    compiled (:func:`_compile_entry`), where the work can run in parallel. A correlation rule
    is validated by pySigma here (correlations are few and are not compiled).
    """
    if not isinstance(doc, dict):
        return ("err", None, "not a Sigma rule (expected a mapping)")
    rule_id = str(doc["id"]) if doc.get("id") is not None else None
    if doc.get("action") is not None:
        return ("err", rule_id, "legacy Sigma 'action' collections are not supported")
    correlation = None
    logsource: tuple[str | None, ...] = (None, None, None)
    if "correlation" in doc:
        from sigma.correlations import SigmaCorrelationRule

        try:
            doc, extra = split_range_condition(doc)
            correlation = _correlation(SigmaCorrelationRule.from_dict(doc), extra)
        except Exception as exc:  # pySigma raises SigmaError, and plain errors on odd input
            return ("err", rule_id, _reason(exc))
    else:
        source, detection = doc.get("logsource"), doc.get("detection")
        if not isinstance(source, dict):
            return ("err", rule_id, "no 'logsource' mapping")
        if not isinstance(detection, dict) or "condition" not in detection:
            return ("err", rule_id, "no 'detection' mapping with a 'condition'")
        logsource = tuple(
            str(source[k]).lower() if source.get(k) is not None else None
            for k in ("product", "category", "service")
        )
    tags = tuple(str(t) for t in (doc.get("tags") or ()) if isinstance(t, str))
    techniques = tuple(
        t.split(".", 1)[1].upper()
        for t in tags
        if t.lower().startswith("attack.t") and t[8:9].isdigit()
    )
    return (
        "ok",
        rule_id,
        str(doc.get("title") or ""),
        _word(doc.get("level")),
        _word(doc.get("status")),
        tags,
        techniques,
        logsource,
        str(doc["name"]) if doc.get("name") else None,
        correlation,
    )


def _word(value: Any) -> str | None:
    return str(value).lower() if value is not None else None


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text.split("\n", 1)[0] or type(exc).__name__


#: The correlation types of the Sigma specification (pySigma also parses value_sum and others).
_CORRELATION_TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")
#: The operators of a correlation condition.
CONDITION_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "neq": operator.ne,
}


def split_range_condition(
    doc: dict[str, Any],
) -> tuple[dict[str, Any], tuple[tuple[str, int], ...]]:
    """A correlation whose condition is a range (``gt: 1`` and ``lte: 3``, which the specification
    allows and pySigma refuses): the document with the first operator, and the others."""
    body = doc.get("correlation")
    if not isinstance(body, dict) or not isinstance(body.get("condition"), dict):
        return doc, ()
    condition: dict[str, Any] = body["condition"]
    operators = [key for key in condition if key in CONDITION_OPERATORS]
    if len(operators) < 2:
        return doc, ()
    extra = []
    for key in operators[1:]:
        value = condition[key]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"correlation condition {key}: {value!r} is not a whole number")
        extra.append((key, value))
    kept = {k: v for k, v in condition.items() if k not in operators[1:]}
    return {**doc, "correlation": {**body, "condition": kept}}, tuple(extra)


def _correlation(rule: Any, extra: tuple[tuple[str, int], ...] = ()) -> tuple[Any, ...]:
    kind = rule.type.name.lower()
    if kind not in _CORRELATION_TYPES:
        raise ValueError(f"correlation type '{kind}' is not in the Sigma specification")
    condition = rule.condition
    if not hasattr(condition, "op"):
        raise ValueError("only a count condition (gt, gte, lt, lte, eq, neq) is supported")
    for name in (*(rule.group_by or ()), condition.fieldref or ""):
        if "|" in str(name):
            raise ValueError(f"field '{name}' of a correlation cannot carry modifiers ('|')")
    aliases = tuple(
        (alias.alias, tuple((ref.reference, str(f)) for ref, f in alias.mapping.items()))
        for alias in rule.aliases.aliases.values()
    )
    return (
        kind,
        tuple(ref.reference for ref in rule.rules or ()),
        tuple(rule.group_by or ()),
        float(rule.timespan.seconds),
        ((condition.op.name.lower(), int(condition.count)), *extra),
        condition.fieldref,
        aliases,
        bool(rule.generate),
    )


def _loaded_rule(meta: tuple[Any, ...], path: str, key: str) -> LoadedRule:
    _, rule_id, title, level, status, tags, techniques, source, name, correlation = meta
    info = RuleInfo(
        id=rule_id or key,
        title=title,
        level=level,
        status=status,
        tags=tuple(tags),
        techniques=tuple(techniques),
        path=path,
    )
    return LoadedRule(
        info=info,
        logsource={"product": source[0], "category": source[1], "service": source[2]},
        name=name,
        key=key,
        correlation=Correlation(*correlation) if correlation is not None else None,
    )


def _check_correlations(ruleset: RuleSet) -> None:
    """Correlations referring to missing rules, to one rule twice, or (through other
    correlations) to themselves are load errors; so are those referring to a refused one."""
    while True:
        rules = ruleset.rules
        known = {r.info.id: r for r in rules} | {r.name: r for r in rules if r.name}
        kept = []
        for rule in rules:
            problem = _correlation_problem(rule, known) if rule.correlation else None
            if problem:
                ruleset.errors.append(RuleLoadError(rule.info.path or "", rule.info.id, problem))
            else:
                kept.append(rule)
        ruleset.rules = kept
        if len(kept) == len(rules):
            return


def _correlation_problem(rule: LoadedRule, known: dict[str, LoadedRule]) -> str | None:
    assert rule.correlation is not None
    refs = rule.correlation.rules
    missing = [ref for ref in refs if ref not in known]
    if missing:
        return f"correlation refers to unknown rule(s): {', '.join(missing)}"
    if len({known[ref].key for ref in refs}) < len(refs):
        return "correlation lists one rule twice (by name and id, or repeated)"
    seen: set[str] = set()
    stack = [known[ref] for ref in refs]
    while stack:  # the correlations it references, and theirs
        inner = stack.pop()
        if inner.key == rule.key:
            return "correlation refers to itself through the correlations it references"
        if inner.correlation is not None and inner.key not in seen:
            seen.add(inner.key)
            stack.extend(known[ref] for ref in inner.correlation.rules if ref in known)
    return None


# --------------------------------------------------------------------------- compiling


def _compile_entry(doc: Any, spec: logsources.PipelineSpec, path: str) -> tuple[Any, ...]:
    """Compile one rule document under a pipeline: ``("ok", code, ...)`` or ``("err", reason)``."""
    with warnings.catch_warnings():
        # pySigma checks regexes with Python's re, which warns on POSIX classes ("[[:digit:]]",
        # fine in RE2): a Python warning on the user's terminal says nothing about the rule.
        warnings.simplefilter("ignore")
        return _compile_document(doc, spec, path)


def _compile_document(doc: Any, spec: logsources.PipelineSpec, path: str) -> tuple[Any, ...]:
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule

    if isinstance(doc, _LazyDoc):
        doc = doc.load()
    try:
        pristine: Any = SigmaRule.from_dict(doc)
    except Exception as exc:
        return ("err", _reason(exc))
    wanted = [v for v in spec.variants if _variant_applies(v, pristine)]
    variants: list[Any] = []
    keys: set[tuple[str | None, ...]] = set()
    failure: str | None = None
    for number, variant in enumerate(wanted):
        try:
            rule = pristine if number == 0 else SigmaRule.from_dict(doc)
            logsources.build_pipeline(variant.pipelines).apply(rule)
            ir = any_of(condition_to_ir(c.parsed) for c in rule.detection.parsed_condition)
        except (SigmaError, CompileError) as exc:
            failure = failure or _reason(exc)
            if variant.when:
                continue  # e.g. a field 4657 does not have: the other variants still apply
            return ("err", failure)
        except Exception as exc:
            return ("err", f"{type(exc).__name__}: {exc}")
        variants.append(ir)
        keys |= _dispatch_keys(ir, spec.dispatch)
    if not variants:
        return ("err", failure or "no processing pipeline variant applies to this rule")
    combined = any_of(variants)
    source, regexes, networks = ir_to_source(combined, empty_is_null=spec.empty_is_null)
    try:
        code = compile(source, f"<sigma rule {path}>", "exec")
    except (SyntaxError, RecursionError, ValueError, MemoryError) as exc:
        return ("err", f"cannot compile the rule's condition: {exc}")
    groups = literal_groups(combined, frozenset(spec.dispatch), spec.common)
    return (
        "ok",
        marshal.dumps(code),  # unmarshalled only for the rules that ever meet a candidate
        regexes,
        networks,
        tuple(sorted(keys, key=repr)),
        tuple(tuple(sorted(g, key=repr)) for g in groups) if groups is not None else None,
        tuple(sorted(reads)) if (reads := lowered_reads(combined)) is not None else None,
    )


#: Fewer rules than this to compile: no worker processes (they cost more than they save).
PARALLEL_MIN = 64
#: What forked compile workers read: the rule documents and the pipeline (inherited memory).
_JOB: tuple[list[tuple[Any, str]], logsources.PipelineSpec] | None = None


def _compile_many(
    items: list[tuple[Any, str]], spec: logsources.PipelineSpec, workers: int
) -> list[tuple[Any, ...]]:
    """Compile rule documents, in parallel forked processes when there are many."""
    count = workers if workers > 0 else (os.cpu_count() or 1)
    count = min(count, max(1, len(items) // PARALLEL_MIN))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_compile_entry(doc, spec, path) for doc, path in items]
    global _JOB
    for variant in spec.variants:  # import pySigma and build pipelines once, before forking
        logsources.build_pipeline(variant.pipelines)
    _JOB = (items, spec)
    slices = count * 4
    results: list[tuple[Any, ...] | None] = [None] * len(items)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            for part, blob in enumerate(
                pool.map(_compile_slice, [(k, slices) for k in range(slices)])
            ):
                for offset, entry in enumerate(marshal.loads(blob)):
                    results[part + offset * slices] = entry
    finally:
        _JOB = None
    return [r if r is not None else ("err", "not compiled") for r in results]


def _compile_slice(task: tuple[int, int]) -> bytes:
    """In a worker: compile every ``step``-th pending rule from ``start``; marshalled entries."""
    start, step = task
    assert _JOB is not None
    items, spec = _JOB
    return marshal.dumps([_compile_entry(doc, spec, path) for doc, path in items[start::step]])


def _variant_applies(variant: logsources.Variant, rule: Any) -> bool:
    """Whether a ``when`` processing item of ``variant`` would change ``rule`` (unprocessed)."""
    if not variant.when:
        return True
    pipeline = logsources.build_pipeline(variant.pipelines)
    return any(
        item.identifier in variant.when and item.match_rule_conditions(rule)
        for item in pipeline.items
    )


def _dispatch_keys(ir: tuple[Any, ...], dispatch: tuple[str, ...]) -> set[tuple[str | None, ...]]:
    """The (value or None per dispatch field) combinations an event needs to match ``ir``."""
    if not dispatch:
        return {()}
    choices: list[Iterable[str | None]] = []
    for name in dispatch:
        values = equality_values(ir, name)
        choices.append([None] if values is None else sorted(values))
    return set(itertools.product(*choices))
