"""``socctl detect run`` defects found in review (issue 4): evidence kept safe, alerts attributed
to the server, ids that survive copying a log, and runs that read nothing refused."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from store_fixtures import FAILED_LOGON_RULE, match, ndjson, socctl, write_log, write_rules

from socctl.detection.alerts import build_alert
from socctl.detection.event import Event
from socctl.inventory.hosts import SystemRef

SERVER = SystemRef("cong-dich-vu-cong", "Cổng dịch vụ công", "Sở KH&CN Hải Phòng", 3)
ATTACKER = SystemRef("may-tram-ke-toan", "Máy trạm kế toán", "Sở Tài chính", 2)


@pytest.fixture
def logs(tmp_path: Path) -> tuple[Path, Path]:
    """A rules folder and a log with 3 failed logons."""
    return write_rules(tmp_path / "rules", FAILED_LOGON_RULE), write_log(
        tmp_path / "security.jsonl", [0, 2, 4]
    )


def _one_line_error(run: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert run.returncode == code, run.stderr
    assert text in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("output", ["security.jsonl", "./security.jsonl"])
def test_output_that_is_an_input_is_refused_and_the_log_kept(
    logs: tuple[Path, Path], output: str
) -> None:
    rules, log = logs
    before = log.read_bytes()
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-o", output, cwd=log.parent,
                 check=False)  # fmt: skip
    _one_line_error(run, 2, "would overwrite the logs")
    assert log.read_bytes() == before


def test_output_inside_a_scanned_folder_is_refused(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    run = socctl("detect", "run", "--logs", log.parent, "--rules", rules,
                 "-o", log.parent / "alerts.json", cwd=log.parent, check=False)  # fmt: skip
    _one_line_error(run, 2, "would overwrite the logs")
    assert not (log.parent / "alerts.json").exists()


def test_output_dash_is_stdout(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson", "-o", "-",
                 cwd=log.parent)  # fmt: skip
    assert len(ndjson(run.stdout)) == 3
    assert not (log.parent / "-").exists()


def _web_event(**server: str) -> Event:
    fields = {"c-ip": "203.0.113.7", "srcip": "203.0.113.7", "c-uri": "/?id=1'--", **server}
    return Event(fields=fields, data=dict(fields), source="access.log", ref="0", kind="webserver")


def _lookup(name: str) -> SystemRef | None:
    return {"203.0.113.7": ATTACKER, "10.10.0.5": SERVER, "portal01": SERVER}.get(name)


@pytest.mark.parametrize("server", [{}, {"s-ip": "10.10.0.5"}, {"s-computername": "portal01"}])
def test_web_alerts_name_the_server_never_the_client(server: dict[str, str]) -> None:
    alert = build_alert(match(_web_event(**server)), "file", _lookup)
    assert alert.host == server.get("s-computername")
    assert alert.system == (
        None
        if not server
        else {"id": SERVER.id, "name": SERVER.name, "owner": SERVER.owner, "level": SERVER.level}
    )
    assert alert.event["c-ip"] == "203.0.113.7"  # the client stays in the evidence


def test_alert_ids_do_not_depend_on_where_the_log_is(
    logs: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, log = logs
    rotated = tmp_path / "archive" / "security.jsonl.1"
    rotated.parent.mkdir()
    shutil.copy(log, rotated)
    socctl("init", tmp_path / "ws", cwd=tmp_path)
    ws = tmp_path / "ws"
    first = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson", cwd=ws)
    again = socctl("detect", "run", "--logs", rotated, "--rules", rules, "-f", "ndjson", cwd=ws)
    assert [a["alert_id"] for a in ndjson(first.stdout)] == [
        a["alert_id"] for a in ndjson(again.stdout)
    ]
    assert "new in alert store 3" in first.stderr and "new in alert store 0" in again.stderr


def test_a_run_without_a_loadable_rule_exits_3(logs: tuple[Path, Path]) -> None:
    _, log = logs
    broken = write_rules(log.parent / "broken", "title: [unclosed\n")
    run = socctl("detect", "run", "--logs", log, "--rules", broken, cwd=log.parent, check=False)
    _one_line_error(run, 3, "no rule could be loaded")


def test_a_run_that_reads_no_event_exits_3(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    junk = log.parent / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 4)
    empty = log.parent / "empty.log"
    empty.write_bytes(b"")
    run = socctl("detect", "run", "--logs", junk, empty, "--rules", rules, cwd=log.parent,
                 check=False)  # fmt: skip
    _one_line_error(run, 3, "junk.bin: binary data, not a text log")
    assert "1 other file(s) not read either" in run.stderr


def test_rules_counted_as_run_and_failed_never_negative(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    (rules / "broken.yml").write_text("title: [unclosed\n", encoding="utf-8")
    (rules / "empty.yml").write_text("", encoding="utf-8")
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "csv", cwd=log.parent)
    assert "rules 1 run, 2 failed to load" in run.stderr


def test_piped_table_is_plain_in_time_order_with_local_time_and_file_name(
    logs: tuple[Path, Path],
) -> None:
    rules, _ = logs
    log = write_log(logs[1].parent / "shuffled.jsonl", [4, 0, 2])
    run = socctl("detect", "run", "--logs", log, "--rules", rules, cwd=log.parent)
    lines = run.stdout.splitlines()
    assert not set(run.stdout) & set("┏┃┡│└━─")
    assert lines[0].split() == ["alert_id", "timestamp", "level", "rule", "host", "user",
                                "system", "source"]  # fmt: skip
    rows = [line.split() for line in lines[1:]]
    assert [len(row[0]) for row in rows] == [12, 12, 12]
    assert [f"{row[1]} {row[2]}" for row in rows] == [
        "2026-11-21 08:00:00",
        "2026-11-21 08:00:02",
        "2026-11-21 08:00:04",
    ]  # Asia/Ho_Chi_Minh
    sources = [row[-1] for row in rows]  # jsonl records are byte offsets; 4 s is the first line
    assert sources[-1] == "shuffled.jsonl#0" and all(
        source.startswith("shuffled.jsonl#") for source in sources
    )
    suppressed = socctl("detect", "run", "--logs", log, "--rules", rules, "--suppress", "host",
                        cwd=log.parent)  # fmt: skip
    header, row = suppressed.stdout.splitlines()
    assert header.split()[-1] == "count" and row.split()[-1] == "3"


def test_json_keeps_utc_times_full_ids_and_paths(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "-f", "ndjson", cwd=log.parent)
    first = ndjson(run.stdout)[0]
    assert first["timestamp"] == "2026-11-21T01:00:00Z" and len(first["alert_id"]) == 32
    assert first["source"]["path"] == str(log)


def test_suppress_by_a_field_no_alert_has_is_refused(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    run = socctl("detect", "run", "--logs", log, "--rules", rules, "--suppress", "nosuchfield",
                 cwd=log.parent, check=False)  # fmt: skip
    _one_line_error(run, 2, "--suppress nosuchfield: no alert has this field")
    assert "host, user, system" in run.stderr and "TargetUserName" in run.stderr


def test_file_names_that_are_not_utf8_are_shown_not_fatal(logs: tuple[Path, Path]) -> None:
    rules, log = logs
    folder = log.parent / "evidence"
    folder.mkdir()
    shutil.copy(log, folder / os.fsdecode(b"bad\xffname.log"))
    command = ("detect", "run", "--logs", folder, "--rules", rules, "-f")
    alerts = ndjson(socctl(*command, "ndjson", cwd=log.parent).stdout)
    assert alerts[0]["source"]["path"] == str(folder / "bad\\xffname.log")
    for fmt in ("table", "csv"):
        assert "bad\\xffname.log" in socctl(*command, fmt, cwd=log.parent).stdout, fmt


def test_every_under_one_second_is_refused(tmp_path: Path) -> None:
    run = socctl("detect", "run", "--index", "winlog", "--every", "0s", cwd=tmp_path, check=False)
    _one_line_error(run, 2, "--every 0s is too short")


def test_the_elasticsearch_store_without_a_reachable_cluster_exits_4(
    logs: tuple[Path, Path], tmp_path: Path
) -> None:
    rules, _ = logs
    socctl("init", tmp_path / "ws", cwd=tmp_path)
    env = {"SOCCTL_DETECTION__STORE": "elasticsearch",
           "SOCCTL_ELASTICSEARCH__HOSTS": '["http://127.0.0.1:9"]'}  # fmt: skip
    run = socctl("detect", "run", "--index", "winlog", "--rules", rules, cwd=tmp_path / "ws",
                 env=env, check=False)  # fmt: skip
    _one_line_error(run, 4, "cannot reach the cluster at http://127.0.0.1:9")


def test_a_gzip_log_cut_short_is_reported_and_its_good_part_read(
    logs: tuple[Path, Path],
) -> None:
    rules, _ = logs
    text = write_log(logs[1].parent / "many.jsonl", range(2000)).read_bytes()
    whole = gzip.compress(text)
    cut = logs[1].parent / "cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    run = socctl("detect", "run", "--logs", cut, "--rules", rules, "-f", "csv", cwd=cut.parent)
    assert "cut short" in run.stderr and str(cut) in run.stderr and "malformed 1" in run.stderr
    assert 0 < len(run.stdout.splitlines()) - 1 < 2000
