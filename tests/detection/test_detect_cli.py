"""``socctl detect run``, ``logs`` and ``alerts`` driven as a user runs them (subprocesses)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from store_fixtures import (
    FAILED_LOGON_RULE,
    SOCCTL,
    ndjson,
    socctl,
    write_log,
    write_rules,
)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A workspace, a rules folder and a log with 3 failed logons among 6 events."""
    socctl("init", tmp_path / "ws", cwd=tmp_path)
    rules = write_rules(tmp_path / "rules", FAILED_LOGON_RULE)
    log = tmp_path / "security.jsonl"
    write_log(log, [0, 2, 4])
    with log.open("a", encoding="utf-8") as handle:
        handle.write("".join(write_log(tmp_path / "x", [1, 3, 5], 4624).read_text()))
        handle.write("{this is not json\n")
    return tmp_path / "ws", rules, log


def test_ad_hoc_run_works_without_a_workspace_and_keeps_stdout_clean(
    setup: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, rules, log = setup
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson", cwd=tmp_path)
    alerts = ndjson(run.stdout)
    assert [a["timestamp"] for a in alerts] == [
        "2026-11-21T01:00:00Z",
        "2026-11-21T01:00:02Z",
        "2026-11-21T01:00:04Z",
    ]
    assert alerts[0]["source"]["path"] == str(log)
    assert "events 6" in run.stderr and "alerts 3 (high 3)" in run.stderr
    assert "malformed 1" in run.stderr and "byte" in run.stderr
    assert not (tmp_path / ".socctl").exists()


def test_ingest_twice_adds_nothing_and_indices_lists_it(setup: tuple[Path, Path, Path]) -> None:
    ws, _, log = setup
    first = ndjson(
        socctl("logs", "ingest", log, "--index", "winlog", "-f", "ndjson", cwd=ws).stdout
    )
    again = ndjson(
        socctl("logs", "ingest", log, "--index", "winlog", "-f", "ndjson", cwd=ws).stdout
    )
    assert (first[0]["added"], first[0]["malformed"]) == (6, 1)
    assert (again[0]["added"], again[0]["duplicates"]) == (0, 6)
    listed = ndjson(socctl("logs", "indices", "-f", "ndjson", cwd=ws).stdout)
    assert listed == [
        {
            "index": "winlog",
            "events": 6,
            "first": "2026-11-21T01:00:00Z",
            "last": "2026-11-21T01:00:05Z",
            "size_mb": listed[0]["size_mb"],
        }
    ]


def test_rerunning_over_an_index_adds_no_duplicate_alerts(setup: tuple[Path, Path, Path]) -> None:
    ws, rules, log = setup
    socctl("logs", "ingest", log, "--index", "winlog", cwd=ws)
    command = ("detect", "run", "--index", "winlog", "--rules", rules, "-f", "ndjson")
    first = socctl(*command, cwd=ws)
    second = socctl(*command, cwd=ws)
    assert ndjson(first.stdout) == ndjson(second.stdout)
    assert "new in alert store 3" in first.stderr and "new in alert store 0" in second.stderr
    stored = ndjson(socctl("alerts", "list", "-f", "ndjson", cwd=ws).stdout)
    assert sorted(a["alert_id"] for a in stored) == sorted(
        a["alert_id"] for a in ndjson(first.stdout)
    )
    shown = ndjson(
        socctl("alerts", "show", stored[0]["alert_id"][:10], "-f", "ndjson", cwd=ws).stdout
    )
    assert shown == [stored[0]]
    window = ("--from", "2026-11-21T01:00:01Z", "--to", "2026-11-21T01:00:03Z")
    assert len(ndjson(socctl(*command, *window, cwd=ws).stdout)) == 1


def test_alerts_list_filters(setup: tuple[Path, Path, Path]) -> None:
    ws, rules, log = setup
    socctl("detect", "run", "--logs", log, "--rules", rules, cwd=ws)
    assert (
        len(ndjson(socctl("alerts", "list", "--level", "high", "-f", "ndjson", cwd=ws).stdout)) == 3
    )
    assert (
        ndjson(socctl("alerts", "list", "--level", "critical", "-f", "ndjson", cwd=ws).stdout) == []
    )
    assert (
        len(
            ndjson(
                socctl(
                    "alerts", "list", "--host", "DC01.haiphong.gov.vn", "-f", "ndjson", cwd=ws
                ).stdout
            )
        )
        == 3
    )


def test_fail_on_exits_1_only_at_or_above_the_level(setup: tuple[Path, Path, Path]) -> None:
    _, rules, log = setup
    base = ("detect", "run", "--logs", log, "--rules", rules, "-f", "csv")
    assert socctl(*base, "--fail-on", "high", cwd=log.parent, check=False).returncode == 1
    assert socctl(*base, "--fail-on", "critical", cwd=log.parent).returncode == 0


def test_suppress_groups_repeats_with_a_count(setup: tuple[Path, Path, Path]) -> None:
    _, rules, log = setup
    run = socctl(
        "detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson",
        "--suppress", "host,user", "--window", "10m", cwd=log.parent,
    )  # fmt: skip
    alerts = ndjson(run.stdout)
    assert [(a["count"], a["last_timestamp"]) for a in alerts] == [(3, "2026-11-21T01:00:04Z")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "--logs PATH... or an index"),
        (("--logs", "x.log", "--index", "winlog"), "not both"),
        (("--logs", "x.log", "--every", "5m"), "--every needs --index"),
        (("--index", "winlog", "--since", "yesterday"), "not a duration"),
        (("--logs", "x.log", "--fail-on", "severe"), "not a level"),
        (("--logs", "x.log", "--window", "5m"), "--window applies to --suppress"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(
    setup: tuple[Path, Path, Path], args: tuple[str, ...], message: str
) -> None:
    ws, _, _ = setup
    run = socctl("detect", "run", *args, cwd=ws, check=False)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_unknown_index_is_a_clear_error(setup: tuple[Path, Path, Path]) -> None:
    ws, rules, _ = setup
    run = socctl("detect", "run", "--index", "nothing", "--rules", rules, cwd=ws, check=False)
    assert run.returncode == 3 and "no index 'nothing'" in run.stderr


def test_ingest_and_detect_run_at_the_same_time(setup: tuple[Path, Path, Path]) -> None:
    ws, rules, log = setup
    socctl("logs", "ingest", log, "--index", "winlog", cwd=ws)
    big = write_log(ws.parent / "big.jsonl", range(10, 30_010))
    ingest = subprocess.Popen(
        [*SOCCTL, "logs", "ingest", str(big), "--index", "winlog"],
        cwd=ws,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    counts = []
    while ingest.poll() is None:
        run = socctl("detect", "run", "--index", "winlog", "--rules", rules, "-f", "ndjson", cwd=ws)
        counts.append(len(ndjson(run.stdout)))
    assert ingest.wait() == 0, ingest.stderr.read() if ingest.stderr else ""
    assert counts and counts == sorted(counts)
    final = socctl("detect", "run", "--index", "winlog", "--rules", rules, "-f", "ndjson", cwd=ws)
    assert len(ndjson(final.stdout)) == 3 + 30_000


def test_events_without_a_time_are_named_when_a_correlation_cannot_use_them(
    tmp_path: Path,
) -> None:
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "title: Fail\nname: fail\nlogsource: {product: test}\n"
        "detection: {sel: {act: fail}, condition: sel}\n---\n"
        "title: Many\ncorrelation: {type: event_count, rules: [fail], timespan: 1m,"
        " condition: {gte: 2}}\n",
        encoding="utf-8",
    )
    log = tmp_path / "untimed.jsonl"
    log.write_text('{"act": "fail"}\n{"act": "fail"}\n{"act": "ok"}\n', encoding="utf-8")
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson", cwd=tmp_path)
    assert ndjson(run.stdout) == []
    assert "2 matches of rules used by correlation rules have no event time" in run.stderr
