"""SigmaHQ regression cases: each rule fires at least ``min_matches`` times on its EVTX sample.

Every case runs through the engine API (``load_rules`` + ``run_files``) and through the command a
user types: ``socctl detect run --logs X.evtx --rules rule.yml --format ndjson``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.detection.rules import load_rules
from socctl.detection.runner import RunStats, run_files

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "sigmahq-regression"

pytestmark = pytest.mark.corpus


def _cases() -> list[dict[str, Any]]:
    index = CORPUS / "cases.json"
    if not index.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))
    return cases


CASES = _cases()


@pytest.fixture(autouse=True)
def _corpus_present() -> None:
    if not CASES:
        pytest.skip(f"SigmaHQ regression corpus not found at {CORPUS}")


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOCCTL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def _ids(case: dict[str, Any]) -> str:
    return f"{case['rule_id'][:8]}-{case['title'][:40]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_engine_fires_on_the_sample(case: dict[str, Any]) -> None:
    folder = CORPUS / case["rule_id"]
    rules = load_rules([folder / "rule.yml"], cache_dir=None, use_cache=False)
    assert rules.errors == []
    stats = RunStats()
    hits = [
        m
        for m in run_files(rules, [folder / "events.evtx"], stats=stats)
        if m.rule.id == case["rule_id"]
    ]
    assert stats.malformed == 0
    assert len(hits) >= case["min_matches"]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_detect_run_command_fires_on_the_sample(case: dict[str, Any]) -> None:
    folder = CORPUS / case["rule_id"]
    result = CliRunner().invoke(
        app,
        [
            "detect",
            "run",
            "--logs",
            str(folder / "events.evtx"),
            "--rules",
            str(folder / "rule.yml"),
            "--format",
            "ndjson",
        ],
    )
    assert result.exit_code == 0, result.output
    alerts = [orjson.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert sum(a["rule"]["id"] == case["rule_id"] for a in alerts) >= case["min_matches"]
