"""Sigma rules as Lucene ``query_string`` queries, converted by pySigma's Elasticsearch backend.

The query of a rule is exactly what ``sigma convert -t lucene -p PIPELINE`` prints for it: the
same backend (``LuceneBackend`` of pysigma-backend-elasticsearch, whose Lucene dialect
OpenSearch shares) and the same pipeline. The pipeline is ``--pipeline`` when given, else the
one the index's fields call for (:func:`pipeline_for_mapping`): Winlogbeat / Elastic Agent
documents (``winlog.*``) take ``ecs_windows`` for Windows rules, other rules no pipeline.
Rules the backend cannot convert are kept with the backend's reason; nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from socctl.detection.rules import LoadedRule, RuleLoadError, RuleSet
from socctl.errors import UsageError

#: The pipelines ``--pipeline`` accepts for a cluster, by the name sigma-cli gives them.
PIPELINES = ("ecs_windows", "ecs_windows_old", "none")
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


def check_pipeline(name: str | None) -> str | None:
    """``name`` if it is a pipeline :data:`PIPELINES` knows, else :class:`UsageError`."""
    if name is not None and name not in PIPELINES:
        raise UsageError(
            f"unknown pipeline '{name}' for a cluster",
            hint=f"give one of {', '.join(PIPELINES)}",
        )
    return name


def pipeline_for_mapping(mapping: dict[str, Any]) -> str:
    """The pipeline an index's documents call for: ``ecs_windows`` when they carry Winlogbeat's
    ``winlog`` object, else ``none``."""
    for index in mapping.values():
        properties = index.get("mappings", {}).get("properties", {})
        if "winlog" in properties:
            return "ecs_windows"
    return "none"


@cache
def _backend(pipeline: str) -> Any:
    from sigma.backends.elasticsearch import LuceneBackend

    if pipeline == "none":
        return LuceneBackend()
    from sigma.pipelines.elasticsearch import windows

    return LuceneBackend(getattr(windows, pipeline)())


def rule_pipeline(rule: LoadedRule, pipeline: str) -> str:
    """The pipeline for ``rule``: ECS Windows mappings only apply to Windows rules."""
    if pipeline.startswith("ecs_windows") and rule.logsource.get("product") != "windows":
        return "none"
    return pipeline


def convert(ruleset: RuleSet, pipeline: str) -> Conversion:
    """The Lucene query of every detection rule of ``ruleset`` (correlations are run by the
    correlation engine over their rules' hits)."""
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    result = Conversion([], [])
    for rule in ruleset.detection_rules:
        if rule.key in ruleset.failed_keys:
            continue
        name = rule_pipeline(rule, pipeline)
        try:
            collection = SigmaCollection.from_dicts([ruleset.document(rule)])
            queries = _backend(name).convert(collection)
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
