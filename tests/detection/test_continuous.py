"""Continuous detection: per-rule checkpoints give no gap and no duplicate across restarts."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from store_fixtures import (
    FAILED_LOGON_RULE,
    SOCCTL,
    logon_failure,
    ndjson,
    socctl,
    workspace,
    write_log,
    write_rules,
)

from socctl.detection.continuous import IndexDetection, Interrupted
from socctl.detection.rules import load_rules
from socctl.store import EmbeddedStore
from socctl.store.alerts import AlertStore


def test_cycles_across_a_restart_see_every_event_once(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    rules = load_rules([write_rules(tmp_path / "r", FAILED_LOGON_RULE)], cache_dir=None)
    store = EmbeddedStore(ws)

    def restart() -> IndexDetection:
        return IndexDetection(store, "winlog", rules, AlertStore(ws))

    store.ingest_events("winlog", [logon_failure(n) for n in range(0, 10)])
    assert len(restart().cycle(None, timedelta(minutes=1)).new) == 10
    store.ingest_events("winlog", [logon_failure(n) for n in range(10, 15)])
    detection = restart()
    assert len(detection.cycle(None, timedelta(minutes=1)).new) == 5
    assert detection.cycle(None, timedelta(minutes=1)).new == []  # nothing new
    # a document that arrives late, with a time before everything seen so far
    store.ingest_events("winlog", [logon_failure(-3600)])
    late = restart().cycle(None, timedelta(minutes=1)).new
    assert [a.timestamp for a in late] == ["2026-11-21T00:00:00Z"]
    assert len(AlertStore(ws).query()) == 16


def test_an_interrupted_cycle_saves_nothing_and_the_next_one_resumes(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    rules = load_rules([write_rules(tmp_path / "r", FAILED_LOGON_RULE)], cache_dir=None)
    store = EmbeddedStore(ws)
    store.ingest_events("winlog", [logon_failure(n) for n in range(3000)])
    detection = IndexDetection(store, "winlog", rules, AlertStore(ws))
    try:
        detection.cycle(None, timedelta(minutes=1), stop=lambda: True)
    except Interrupted:
        pass
    else:
        raise AssertionError("the cycle did not stop")
    assert AlertStore(ws).checkpoints("winlog") == {}
    assert len(detection.cycle(None, timedelta(minutes=1)).new) == 3000


WATCH = ("--every", "1s", "--lookback", "1m", "-f", "ndjson")


def _watch(ws: Path, rules: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SOCCTL, "detect", "run", "--index", "winlog", "--rules", str(rules), *WATCH],
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _stop(process: subprocess.Popen[str], sig: signal.Signals) -> tuple[list[dict], str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped: checkpoints saved" in err
    return ndjson(out), err


def _wait_cycles(process: subprocess.Popen[str], seconds: float = 4) -> None:
    time.sleep(seconds)
    assert process.poll() is None


def test_continuous_mode_over_a_restart_has_no_gap_and_no_duplicate(tmp_path: Path) -> None:
    socctl("init", tmp_path / "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    rules = write_rules(tmp_path / "rules", FAILED_LOGON_RULE)
    socctl("logs", "ingest", write_log(tmp_path / "a.jsonl", range(0, 5)), "-i", "winlog", cwd=ws)

    first = _watch(ws, rules)
    _wait_cycles(first)
    socctl("logs", "ingest", write_log(tmp_path / "b.jsonl", range(5, 8)), "-i", "winlog", cwd=ws)
    _wait_cycles(first)
    before, _ = _stop(first, signal.SIGINT)

    # while nothing runs: more events, some older than everything seen
    socctl(
        "logs", "ingest", write_log(tmp_path / "c.jsonl", range(-30, -27)), "-i", "winlog", cwd=ws
    )
    second = _watch(ws, rules)
    _wait_cycles(second)
    after, _ = _stop(second, signal.SIGTERM)

    ids = [a["alert_id"] for a in before + after]
    assert len(ids) == len(set(ids)) == 11
    assert {a["source"]["index"] for a in after} == {"winlog"}
    assert len(after) == 3
