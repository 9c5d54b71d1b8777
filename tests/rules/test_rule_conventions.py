"""The shipped rules are valid Sigma and follow SigmaHQ's conventions.

pySigma parses every rule and runs its validators (all but the two that download ATT&CK and
D3FEND data, which this offline machine cannot). The conventions are SigmaHQ's rule guide:
https://github.com/SigmaHQ/sigma/wiki/Rule-Creation-Guide
"""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml
from casefiles import RULES_DIR, RuleFile, shipped_rule_files
from sigma.collection import SigmaCollection
from sigma.validation import SigmaValidator
from sigma.validators.core import validators
from typer.testing import CliRunner

from socctl.cli.main import app

RULE_FILES = shipped_rule_files()
NEEDS_DOWNLOAD = {"attacktag", "d3_fendtag"}
LEVELS = {"informational", "low", "medium", "high", "critical"}
TECHNIQUE = re.compile(r"attack\.t\d{4}(\.\d{3})?$")
FOLDERS = {"web", "windows", "linux", "network"}


def test_pysigma_loads_and_validates_every_rule() -> None:
    collection = SigmaCollection.load_ruleset([RULES_DIR / folder for folder in sorted(FOLDERS)])
    errors = [(str(r.source), e) for r in collection.rules for e in r.errors]
    assert errors == []
    validator = SigmaValidator(
        [check for name, check in validators.items() if name not in NEEDS_DOWNLOAD]
    )
    assert validator.validate_rules(collection) == []


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda r: r.stem)
def test_rule_metadata_follows_the_conventions(rule_file: RuleFile) -> None:
    assert rule_file.path.parent.name in FOLDERS
    docs = [d for d in yaml.safe_load_all(rule_file.path.read_text(encoding="utf-8")) if d]
    for doc in docs:
        assert doc["author"] == "socctl (Hai Phong SOC)"
        assert doc["status"] in {"experimental", "test", "stable"}
        assert doc["level"] in LEVELS
        assert isinstance(doc["date"], date)
        assert doc["description"].strip() and doc["references"] and doc["falsepositives"]
        assert any(TECHNIQUE.match(tag) for tag in doc["tags"]), "no ATT&CK technique tag"
        assert ("logsource" in doc) != ("correlation" in doc)
    base_rules = [d for d in docs if "correlation" not in d]
    if rule_file.correlation:
        # Base rules are only steps of the correlation and say so by their level.
        assert all(d["level"] == "informational" and d.get("name") for d in base_rules)
    else:
        assert len(docs) == 1 and docs[0]["level"] != "informational"


def test_socctl_rules_check_reports_no_error_for_the_shipped_tree() -> None:
    args = [arg for folder in sorted(FOLDERS) for arg in ("--rules", str(RULES_DIR / folder))]
    result = CliRunner().invoke(app, ["rules", "check", *args])
    assert result.exit_code == 0, result.output
    named = [r.path.name for r in RULE_FILES if r.path.name in result.output]
    assert named == [], f"rules check reported problems:\n{result.output}"
