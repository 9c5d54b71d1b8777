"""What sigma-cli prints for the rules socctl converts for a cluster, to compare the two."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from socctl.detection.rules import RuleSet
from socctl.store.cluster.convert import RuleQuery, lucene_regex

SIGMA = Path(sys.executable).parent / "sigma"
_REGEX = re.compile(r":/((?:\\.|[^/\\])*)/")


def sigma_convert(
    ruleset: RuleSet,
    queries: list[RuleQuery],
    folder: Path,
    *pipelines: str | Path,
    target: str = "lucene",
) -> list[str]:
    """``sigma convert -t TARGET -p P…`` (``lucene``, or ``opensearch_lucene`` of
    pysigma-backend-opensearch) of the rules of ``queries`` (each on its own: files with
    correlations hold several rules), one query per rule, each regular expression widened as
    socctl widens it to match anywhere in the value (:func:`lucene_regex`)."""
    rules = folder / "rules.yml"
    docs = [ruleset.document(query.rule) for query in queries]
    rules.write_text(yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8")
    options = [str(x) for pipeline in pipelines for x in ("-p", pipeline)]
    if target != "lucene":  # pySigma's ECS pipelines name only the Elasticsearch backend
        options.append("--disable-pipeline-check")
    cli = subprocess.run(
        [SIGMA, "convert", "-t", target, *options, rules],
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        _REGEX.sub(lambda m: f":/{lucene_regex(m[1])}/", line)
        for line in cli.stdout.splitlines()
        if line
    ]
