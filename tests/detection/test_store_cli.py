"""``socctl logs`` and ``alerts`` as a user runs them: the store setting and config errors are
honoured before any work, bad input creates nothing, odd file names and alert floods are handled."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from store_fixtures import (
    FAILED_LOGON_RULE,
    logon_failure,
    match,
    ndjson,
    socctl,
    write_log,
    write_rules,
)

from socctl.detection.alerts import build_alert
from socctl.store.alerts import AlertStore
from socctl.workspace import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    socctl("init", tmp_path / "ws", cwd=tmp_path)
    return tmp_path / "ws"


def _indices(ws: Path) -> list[str]:
    return sorted(p.name for p in (ws / ".socctl" / "logs").glob("*")) if ws.exists() else []


def _one_clear_line(stderr: str, *needles: str) -> None:
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in stderr, stderr


def _set_store(ws: Path, value: str) -> None:
    config = ws / "socctl.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[detection]", f'[detection]\nstore = "{value}"'), "utf-8")


COMMANDS = [("logs", "indices"), ("logs", "ingest", "LOG", "-i", "winlog"), ("alerts", "list")]


@pytest.mark.parametrize("command", COMMANDS[:2])
def test_embedded_store_commands_are_refused_plainly_when_the_cluster_is_the_store(
    ws: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = write_log(tmp_path / "security.jsonl", [0, 1])
    _set_store(ws, "elasticsearch")
    args = [str(log) if arg == "LOG" else arg for arg in command]
    for env in ({}, {"SOCCTL_DETECTION__STORE": "elasticsearch"}):
        run = socctl(*args, cwd=ws, check=False, env=env)
        assert run.returncode == 2
        _one_clear_line(run.stderr, "the cluster is the store")
    assert _indices(ws) == []


def test_alerts_are_read_from_the_configured_cluster_when_it_is_the_store(ws: Path) -> None:
    _set_store(ws, "elasticsearch")
    env = {"SOCCTL_ELASTICSEARCH__HOSTS": '["http://127.0.0.1:9"]'}
    run = socctl("alerts", "list", cwd=ws, check=False, env=env)
    assert run.returncode == 4
    _one_clear_line(run.stderr, "cannot reach the cluster at http://127.0.0.1:9")


@pytest.mark.parametrize("command", COMMANDS)
def test_configuration_errors_surface_before_any_work(
    ws: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    log = write_log(tmp_path / "security.jsonl", [0, 1])
    args = [str(log) if arg == "LOG" else arg for arg in command]
    run = socctl(*args, cwd=ws, check=False, env={"SOCCTL_DETECTION__STORE": "bogus"})
    assert run.returncode == 3
    _one_clear_line(run.stderr, "SOCCTL_DETECTION__STORE")
    with (ws / "socctl.toml").open("a", encoding="utf-8") as config:
        config.write("x = [\n")
    run = socctl(*args, cwd=ws, check=False)
    assert run.returncode == 3
    _one_clear_line(run.stderr, "socctl.toml", "not valid TOML")
    assert _indices(ws) == []


def test_ingest_checks_its_inputs_before_creating_an_index(ws: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "security.jsonl", [0, 1])
    missing = socctl("logs", "ingest", log, tmp_path / "nope", "-i", "newidx", cwd=ws, check=False)
    assert missing.returncode == 3
    _one_clear_line(missing.stderr, "nope", "no such file or folder")
    unknown = ("logs", "ingest", log, "-i", "newidx", "--input-format", "nope")
    bad_format = socctl(*unknown, cwd=ws, check=False)
    assert bad_format.returncode == 2
    _one_clear_line(bad_format.stderr, "unknown input format 'nope'")
    assert _indices(ws) == []


def test_file_names_that_are_not_utf8_are_ingested_and_named_in_alerts(
    ws: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for raw, seconds in ((b"bad\xffname.jsonl", [0]), (b"bad\xfename.jsonl", [1])):
        write_log(logs / os.fsdecode(raw), seconds)
    (logs / os.fsdecode(b"junk\xff.log")).write_bytes(b"\x00\x01binary\n")
    rules = write_rules(tmp_path / "rules", FAILED_LOGON_RULE)
    for added in (2, 0):  # each name is its own source, and stays the same one
        run = socctl("logs", "ingest", logs, "-i", "winlog", "-f", "ndjson", cwd=ws, check=False)
        assert run.returncode == 3, run.stderr  # the binary file is not read; the others are
        assert ndjson(run.stdout)[0]["added"] == added
        assert f"{logs}/junk\\xff.log" in run.stderr  # named as a user can type it
    socctl("detect", "run", "-i", "winlog", "--rules", rules, cwd=ws)
    alerts = ndjson(socctl("alerts", "list", "-f", "ndjson", cwd=ws).stdout)
    assert sorted(a["source"]["path"] for a in alerts) == [
        f"{logs}/bad\\xfename.jsonl",
        f"{logs}/bad\\xffname.jsonl",
    ]


def test_alerts_from_an_index_name_the_original_file_and_record(ws: Path, tmp_path: Path) -> None:
    log = write_log(tmp_path / "security.jsonl", [0, 1, 2])
    rules = write_rules(tmp_path / "rules", FAILED_LOGON_RULE)
    socctl("logs", "ingest", log, "-i", "winlog", cwd=ws)
    socctl("detect", "run", "-i", "winlog", "--rules", rules, cwd=ws)
    alerts = ndjson(socctl("alerts", "list", "-f", "ndjson", cwd=ws).stdout)
    line_bytes = len(log.read_bytes().splitlines(keepends=True)[0])  # the lines are equally long
    offsets = {str(n * line_bytes) for n in range(3)}
    assert {a["source"]["index"] for a in alerts} == {"winlog"}
    assert {a["source"]["path"] for a in alerts} == {str(log)}
    assert {a["source"]["record"] for a in alerts} == offsets  # byte offsets of the lines
    rows = list(csv.DictReader(io.StringIO(socctl("alerts", "list", "-f", "csv", cwd=ws).stdout)))
    for alert, row in zip(alerts, rows, strict=True):
        source = alert["source"]
        assert source["document_id"] in row["source"]
        assert f"{log}#{source['record']}" in row["source"]


def test_alert_lists_stream_every_format_and_tables_stop_at_1000(ws: Path) -> None:
    AlertStore(Workspace(ws)).add(
        [build_alert(match(logon_failure(n)), "file") for n in range(1005)]
    )
    table = socctl("alerts", "list", cwd=ws)
    assert table.stderr.strip() == "showing 1000 of 1005; --limit 0 for all"
    assert "showing" not in socctl("alerts", "list", "--limit", "0", cwd=ws).stderr
    lines = ndjson(socctl("alerts", "list", "-f", "ndjson", cwd=ws).stdout)
    assert len(lines) == 1005
    assert [a["timestamp"] for a in lines[:2]] == ["2026-11-21T01:16:44Z", "2026-11-21T01:16:43Z"]
    assert json.loads(socctl("alerts", "list", "-f", "json", cwd=ws).stdout) == lines
    rows = list(csv.DictReader(io.StringIO(socctl("alerts", "list", "-f", "csv", cwd=ws).stdout)))
    assert [r["alert_id"] for r in rows] == [a["alert_id"] for a in lines]
    out = ws / "out" / "alerts.json"
    socctl("alerts", "list", "-f", "json", "--limit", "3", "-o", out, cwd=ws)
    assert json.loads(out.read_text(encoding="utf-8")) == lines[:3]
    assert (
        json.loads(socctl("alerts", "list", "-f", "json", "--level", "critical", cwd=ws).stdout)
        == []
    )
