"""Sigma rules as Lucene ``query_string`` queries, converted by pySigma's Elasticsearch backend.

The query of a rule is what ``sigma convert -t lucene -p PIPELINE`` prints for it (the same
backend, ``LuceneBackend`` of pysigma-backend-elasticsearch, whose Lucene dialect OpenSearch
shares: pysigma-backend-opensearch's backend is the same with monitor and dashboard outputs
added, and the same pipelines: the ``cluster`` section of ``rules/pipelines/logsources.yml``),
but for two things Lucene does differently from Sigma: a regular expression is widened to match
anywhere in the value (:func:`lucene_regex`), and a CIDR value on a field the indices do not map
as ``ip`` is matched by prefix wildcards. The pipeline is ``--pipeline`` when given, else the
one the index's fields call for (:func:`pipeline_for_mapping`): Winlogbeat / Elastic Agent
documents (``winlog.*``) take ``winlogbeat`` (pySigma's ``sysmon``, then ``ecs_windows``),
Wazuh's (``data.win.*``) ``wazuh``, both for Windows rules only; other rules no pipeline. Rules
the backend cannot convert are kept with the backend's reason; nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from socctl.detection.rules import LoadedRule, RuleLoadError, RuleSet
from socctl.errors import UsageError

#: Why a pipeline was chosen: ``given`` (``--pipeline``) or what the index mapping holds.
Reason = Literal["given", "winlog", "data.win", "neither"]
#: Field names a Lucene query names (``a.b\-c:``), to fetch them with the hits.
_FIELD = re.compile(r"(?<![\\\w.@-])((?:[\w@]|\\.)(?:[\w.@-]|\\.)*):")


@dataclass(frozen=True, slots=True)
class RuleQuery:
    """A detection rule and its Lucene query (the backend's output, unchanged)."""

    rule: LoadedRule
    query: str
    pipeline: str

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the query names (unescaped), in order."""
        names = (m.group(1).replace("\\", "") for m in _FIELD.finditer(self.query))
        return tuple(dict.fromkeys(names))


@dataclass
class Conversion:
    """The queries of the rules converted, and the rules that could not be, with the reason."""

    queries: list[RuleQuery]
    failed: list[RuleLoadError]


def pipelines() -> dict[str, tuple[str, ...]]:
    """The pipelines ``--pipeline`` accepts for a cluster: name → pySigma pipelines in order."""
    from socctl.detection.logsources import data

    return data().cluster


def check_pipeline(name: str | None) -> str | None:
    """``name`` if it is one of :func:`pipelines`, else :class:`UsageError`."""
    if name is not None and name not in pipelines():
        raise UsageError(
            f"unknown pipeline '{name}' for a cluster",
            hint=f"give one of {', '.join(pipelines())}",
        )
    return name


def pipeline_for_mapping(mapping: dict[str, Any], index: str) -> tuple[str, Reason]:
    """The pipeline the documents of ``mapping`` (indices matching ``index``) call for, and why:
    ``winlogbeat`` when they carry Winlogbeat's / Elastic Agent's ``winlog`` object, ``wazuh``
    when they carry Wazuh's ``data.win``, else ``none``. Indices of both kinds are refused."""
    kinds: set[Reason] = set()
    for spec in mapping.values():
        properties = spec.get("mappings", {}).get("properties", {})
        if "winlog" in properties:
            kinds.add("winlog")
        if "win" in properties.get("data", {}).get("properties", {}):
            kinds.add("data.win")
    if len(kinds) > 1:
        raise UsageError(
            f"the indices matching '{index}' hold both Winlogbeat (winlog) and Wazuh (data.win) "
            "documents",
            hint="give an index pattern of one kind, or --pipeline",
        )
    if "winlog" in kinds:
        return "winlogbeat", "winlog"
    if "data.win" in kinds:
        return "wazuh", "data.win"
    return "none", "neither"


def lucene_regex(pattern: str) -> str:
    """Sigma's ``re`` (a search anywhere in the value, Python's syntax) as a Lucene regular
    expression, which must match the whole value: ``.*`` on each end that ``^`` / ``$`` does not
    anchor (the anchors dropped), ``(?:`` groups as plain groups, a leading ``(?i)`` dropped
    (keyword fields with socctl's normalizer match any case). Lucene knows ``\\d``, ``\\s`` and
    ``\\w``; lookarounds and back-references have no Lucene form and stay as they are."""
    body = pattern.replace("(?:", "(")
    body = body.removeprefix("(?i)")
    start, end = ".*", ".*"
    if body.startswith("^"):
        start, body = "", body[1:]
    escapes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
    if body.endswith("$") and escapes % 2 == 0:
        end, body = "", body[:-1]
    return f"{start}({body}){end}"


@cache
def _backend(pipeline: str, ip_fields: frozenset[str] | None) -> Any:
    from sigma.backends.elasticsearch import LuceneBackend
    from sigma.conditions import ConditionFieldEqualsValueExpression, ConditionOR
    from sigma.types import SigmaString

    from socctl.detection.logsources import build_pipeline

    class MappedLucene(LuceneBackend):
        """A CIDR value on a field the indices do not map as ``ip`` (only an ``ip`` field
        answers ``field:10.0.0.0\\/8``) becomes pySigma's own expansion into prefix wildcards
        (``10.*``), which keyword fields answer; a regular expression is made to match where
        Sigma's does (:func:`lucene_regex`)."""

        def convert_value_re(self, regex: Any, state: Any) -> Any:
            converted = super().convert_value_re(regex, state)
            return lucene_regex(converted) if isinstance(converted, str) else converted

        def convert_condition_field_eq_val_cidr(self, cond: Any, state: Any) -> Any:
            if ip_fields is None or cond.field in ip_fields:
                return super().convert_condition_field_eq_val_cidr(cond, state)
            prefixes: list[Any] = [
                ConditionFieldEqualsValueExpression(cond.field, SigmaString(prefix))
                for prefix in cond.value.expand()
            ]
            return self.convert_condition(ConditionOR(prefixes, cond.source), state)

    names = pipelines()[pipeline]
    return MappedLucene(build_pipeline(names)) if names else MappedLucene()


def rule_pipeline(rule: LoadedRule, pipeline: str) -> str:
    """The pipeline for ``rule``: the Windows mappings only apply to Windows rules."""
    if rule.logsource.get("product") != "windows":
        return "none"
    return pipeline


def convert(ruleset: RuleSet, pipeline: str, ip_fields: frozenset[str] | None = None) -> Conversion:
    """The Lucene query of every detection rule of ``ruleset`` (correlations are run by the
    correlation engine over their rules' hits). A CIDR value is a CIDR query on the fields of
    ``ip_fields`` (default: every field, as ``sigma convert`` prints it) and prefix wildcards on
    the others."""
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    result = Conversion([], [])
    for rule in ruleset.detection_rules:
        if rule.key in ruleset.failed_keys:
            continue
        name = rule_pipeline(rule, pipeline)
        try:
            collection = SigmaCollection.from_dicts([ruleset.document(rule)])
            queries = _backend(name, ip_fields).convert(collection)
        except SigmaError as exc:
            result.failed.append(_failure(rule, str(exc)))
            continue
        if len(queries) != 1 or not isinstance(queries[0], str):
            result.failed.append(_failure(rule, "the backend gave no single Lucene query"))
            continue
        result.queries.append(RuleQuery(rule, queries[0], name))
    return result


def _failure(rule: LoadedRule, reason: str) -> RuleLoadError:
    return RuleLoadError(
        rule.info.path or rule.key, rule.info.id, f"not convertible to Lucene: {reason}"
    )
