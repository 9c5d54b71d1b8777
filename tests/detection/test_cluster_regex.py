"""Sigma's ``re`` on a cluster: a Lucene regular expression must match the whole value, Sigma's
matches anywhere in it, so the query socctl sends is widened on each end the rule does not
anchor (checked against the real node in tests/cluster/test_detect.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from socctl.detection.rules import load_rules
from socctl.store.cluster.convert import convert, lucene_regex

SVCHOST = """\
title: svchost without -k
id: 33333333-4444-5555-6666-777777777777
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\\\\svchost.exe'
  flags:
    CommandLine|re: '-k\\s\\w{1,64}(?:\\s?(?:-p|-s))?'
  condition: sel and not flags
level: high
"""


@pytest.mark.parametrize(
    ("sigma", "lucene"),
    [
        (r"-k\s\w{1,64}(?:\s?(?:-p|-s))?", r".*(-k\s\w{1,64}(\s?(-p|-s))?).*"),
        (r"a|b", r".*(a|b).*"),
        (r"^powershell", r"(powershell).*"),
        (r"\.exe$", r".*(\.exe)"),
        (r"^-[a-zA-Z]*G$", r"(-[a-zA-Z]*G)"),
        (r"costs 5\$", r".*(costs 5\$).*"),
        (r"(?i)mimikatz", r".*(mimikatz).*"),
    ],
)
def test_a_sigma_regex_becomes_a_lucene_regex_matching_the_same_values(
    sigma: str, lucene: str
) -> None:
    assert lucene_regex(sigma) == lucene


def test_the_query_of_a_rule_carries_the_widened_regex(tmp_path: Path) -> None:
    rule = tmp_path / "svchost.yml"
    rule.write_text(SVCHOST, encoding="utf-8")
    ruleset = load_rules([rule], cache_dir=None, use_cache=False)
    (query,) = convert(ruleset, "winlogbeat").queries
    assert r"process.command_line:/.*(-k\s\w{1,64}(\s?(-p|-s))?).*/" in query.query
