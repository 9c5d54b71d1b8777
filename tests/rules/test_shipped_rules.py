"""Every rule socctl ships fires on the events it is written for and stays quiet on near misses.

Each rule file under ``rules/`` has a case in ``tests/rules/cases/`` (see ``casefiles.py``); the
events are written to a log file in their real format and run through ``socctl detect run``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from casefiles import CASES_DIR, RuleFile, load_case, shipped_rule_files
from typer.testing import CliRunner

from socctl.cli.main import app

RULE_FILES = shipped_rule_files()


@pytest.fixture(autouse=True)
def _outside_any_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ad hoc runs: no workspace, so no alert store and only the rules given."""
    monkeypatch.delenv("SOCCTL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def detect(log: Path, rule: Path, out: Path, input_format: str | None) -> list[dict]:
    """Alerts of ``socctl detect run --logs LOG --rules RULE --format ndjson``."""
    args = ["detect", "run", "--logs", str(log), "--rules", str(rule), "--format", "ndjson"]
    if input_format:
        args += ["--input-format", input_format]
    result = CliRunner().invoke(app, [*args, "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def alerts_of(rule_file: RuleFile, which: str, tmp_path: Path) -> tuple[list[dict], int]:
    """Alerts of the case's rules over its ``fire`` or ``quiet`` events, and the event count."""
    case = load_case(rule_file.stem)
    events = getattr(case, which)
    log = case.write(events, tmp_path / which)
    alerts = detect(log, rule_file.path, tmp_path / f"{which}.ndjson", case.input_format)
    return [a for a in alerts if a["rule"]["id"] in rule_file.ids], len(events)


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda r: r.stem)
def test_rule_fires_on_its_case(rule_file: RuleFile, tmp_path: Path) -> None:
    alerts, events = alerts_of(rule_file, "fire", tmp_path)
    if rule_file.correlation:
        assert alerts, f"{rule_file.stem}: the correlation did not fire"
    else:
        records = sorted(int(a["source"]["record"]) for a in alerts)
        assert len(alerts) == events, f"{rule_file.stem}: {len(alerts)} of {events} events fired"
        assert len(set(records)) == events, f"{rule_file.stem}: an event fired twice"


@pytest.mark.parametrize("rule_file", RULE_FILES, ids=lambda r: r.stem)
def test_rule_stays_quiet_on_near_misses(rule_file: RuleFile, tmp_path: Path) -> None:
    alerts, _ = alerts_of(rule_file, "quiet", tmp_path)
    assert not alerts, f"{rule_file.stem} fired on: " + "; ".join(
        json.dumps(a["event"])[:200] for a in alerts
    )


def test_every_shipped_rule_has_a_case_and_every_case_a_rule() -> None:
    stems = {r.stem for r in RULE_FILES}
    cases = {p.stem for p in CASES_DIR.glob("*.yaml")}
    assert stems - cases == set(), "rules without a test case"
    assert cases - stems == set(), "test cases without a rule"
    assert len(stems) >= 25


def test_rule_ids_are_unique_uuid4() -> None:
    ids = [i for r in RULE_FILES for i in r.all_ids]
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 4 for i in ids)
