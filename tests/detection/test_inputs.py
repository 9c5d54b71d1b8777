"""Log inputs: format detection, each reader's fields, gzip, folders, byte ranges, bad input."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from socctl.detection.inputs import (
    FORMATS,
    Malformed,
    detect_format,
    iter_paths,
    read_events,
    split_ranges,
)
from socctl.detection.inputs import lines as lines_module
from socctl.errors import InputError, NotFoundError, UsageError

AUTH_LOG = (
    "Nov 20 10:00:01 web01 sshd[1234]: Failed password for invalid user admin from 203.0.113.7 port 52111 ssh2\n"
    "Nov 20 10:00:03 web01 sshd[1234]: Accepted publickey for alice from 10.0.0.5 port 50000 ssh2: RSA SHA256:x\n"
    "Nov 20 10:01:00 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id\n"
    "Nov 20 10:02:00 web01 useradd[99]: new user: name=bob, UID=0, GID=0, home=/root, shell=/bin/bash\n"
)
RFC5424 = (
    '<38>1 2026-11-20T10:00:00.123+07:00 web02 sshd 777 ID47 [origin@32473 ip="10.0.0.2" note="a \\"q\\""] '
    "Invalid user x from 198.51.100.4 port 22\n"
)
FORTIGATE = (
    '<189>date=2026-11-20 time=10:05:00 devname="FGT-HP" logid="0000000013" type="traffic" '
    'srcip=10.1.1.5 srcport=5555 dstip=8.8.8.8 dstport=53 action="deny" user="nam" tz="+0700"\n'
)
AUDIT_LOG = (
    'type=SYSCALL msg=audit(1763600000.123:456): arch=c000003e syscall=59 success=yes a0=55d1 uid=0 comm="id" exe="/usr/bin/id" key="exec"\n'
    'type=EXECVE msg=audit(1763600000.123:456): argc=2 a0="ls" a1=2F746D7020646972\n'
    "type=PROCTITLE msg=audit(1763600000.123:456): proctitle=6C73002D6C61\n"
    "type=USER_START msg=audit(1763600001.000:457): pid=9 uid=0 msg='op=PAM:session_open acct=\"root\" res=success'\n"
)
ACCESS_LOG = (
    '203.0.113.9 - - [20/Nov/2026:10:00:00 +0700] "GET /index.php?id=1%27+UNION+SELECT HTTP/1.1" 200 512 "-" "sqlmap/1.7"\n'
    '10.0.0.1 - bob [20/Nov/2026:10:00:01 +0700] "POST /upload HTTP/1.1" 302 - "http://x/" "Mozilla/5.0"\n'
)
ECS_RECORD = {
    "@timestamp": "2026-11-20T03:00:00.000Z",
    "ecs": {"version": "8.11.0"},
    "event": {"code": "1", "category": ["process"]},
    "winlog": {"event_id": "1", "event_data": {"CommandLine": "whoami /all"}},
    "process": {"executable": "C:\\Windows\\System32\\whoami.exe", "args": ["whoami", "/all"]},
}
EVTX_JSON_RECORD = {
    "Event": {
        "System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
            "EventID": 1,
            "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T03:00:00Z"}},
            "Channel": "Microsoft-Windows-Sysmon/Operational",
        },
        "EventData": {"Image": "C:\\x.exe", "CommandLine": "x.exe -enc AAAA"},
    }
}


def _write(path: Path, content: str | bytes, *, compress: bool = False) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def _jsonl(records: list[dict]) -> bytes:
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


SAMPLES: dict[str, bytes] = {
    "evtx-json": _jsonl([EVTX_JSON_RECORD]),
    "ecs": _jsonl([ECS_RECORD]),
    "jsonl": _jsonl([{"timestamp": "2026-11-20T10:00:00+07:00", "host": "a", "n": 1}]),
    "json": orjson.dumps([{"host": "a"}, {"host": "b"}], option=orjson.OPT_INDENT_2),
    "syslog": (AUTH_LOG + RFC5424 + FORTIGATE).encode(),
    "auditd": AUDIT_LOG.encode(),
    "access": ACCESS_LOG.encode(),
    "csv": b'time,host,CommandLine\n2026-11-20T10:00:00Z,pc1,"cmd /c ""whoami"""\n',
    "xml": (
        b'<?xml version="1.0" encoding="utf-8"?>\n<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">'
        b'<System><Provider Name="Microsoft-Windows-Security-Auditing"/><EventID>4625</EventID>'
        b'<TimeCreated SystemTime="2026-11-20T03:00:00.000Z"/><EventRecordID>7</EventRecordID>'
        b"<Channel>Security</Channel><Computer>DC01</Computer></System>"
        b'<EventData><Data Name="TargetUserName">admin</Data><Data Name="LogonType">3</Data></EventData>'
        b"</Event></Events>\n"
    ),
}


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_format_is_detected_from_content_also_when_gzipped(
    tmp_path: Path, fmt: str, compress: bool
) -> None:
    path = _write(tmp_path / "log.data", SAMPLES[fmt], compress=compress)
    assert detect_format(path) == fmt
    malformed: list[Malformed] = []
    assert list(read_events(path, on_malformed=malformed.append))
    assert malformed == []


def test_every_format_has_a_description() -> None:
    assert set(SAMPLES) | {"evtx"} == set(FORMATS)


def test_windows_event_xml_flattens_like_evtx(tmp_path: Path) -> None:
    (event,) = read_events(_write(tmp_path / "export.xml", SAMPLES["xml"]))
    assert event.kind == "windows"
    assert event.fields["EventID"] == 4625 and event.fields["Channel"] == "Security"
    assert event.fields["Provider_Name"] == "Microsoft-Windows-Security-Auditing"
    assert event.fields["TargetUserName"] == "admin" and event.timestamp is not None
    assert all(FORMATS.values())


def test_ecs_documents_flatten_to_dotted_paths_with_lists_kept(tmp_path: Path) -> None:
    (event,) = read_events(_write(tmp_path / "beat.ndjson", SAMPLES["ecs"]))
    assert event.kind == "ecs"
    assert event.fields["winlog.event_data.CommandLine"] == "whoami /all"
    assert event.fields["winlog.event_id"] == "1"
    assert event.fields["process.args"] == ["whoami", "/all"]
    assert event.fields["event.category"] == ["process"]
    assert event.data == ECS_RECORD
    assert event.timestamp == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_flat_json_lines_are_generic_and_local_times_become_utc(tmp_path: Path) -> None:
    (event,) = read_events(_write(tmp_path / "flat.jsonl", SAMPLES["jsonl"]))
    assert event.kind == "generic"
    assert event.fields == {"timestamp": "2026-11-20T10:00:00+07:00", "host": "a", "n": 1}
    assert event.timestamp == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def test_flat_windows_exports_keep_the_windows_kind(tmp_path: Path) -> None:
    record = {"EventID": 4625, "Channel": "Security", "TargetUserName": "admin"}
    (event,) = read_events(_write(tmp_path / "flat.jsonl", _jsonl([record])))
    assert event.kind == "windows"


def test_auth_log_gives_sshd_and_sudo_fields(tmp_path: Path) -> None:
    path = _write(tmp_path / "auth.log", AUTH_LOG)
    os.utime(path, (datetime(2026, 11, 21, tzinfo=UTC).timestamp(),) * 2)
    failed, accepted, sudo, useradd = read_events(path)

    assert failed.kind == "linux"
    assert failed.fields["program"] == "sshd" and failed.fields["pid"] == "1234"
    assert failed.fields["host"] == "web01"
    assert failed.fields["action"] == "failed"
    assert failed.fields["user"] == "admin"
    assert failed.fields["srcip"] == "203.0.113.7"
    assert failed.fields["message"].startswith("Failed password for invalid user admin")
    assert failed.timestamp == datetime(2026, 11, 20, 3, 0, 1, tzinfo=UTC)  # 10:00:01 in Hai Phong
    assert failed.data == {"line": AUTH_LOG.splitlines()[0]}
    assert accepted.fields["action"] == "accepted" and accepted.fields["auth_method"] == "publickey"
    assert sudo.fields["user"] == "alice"
    assert sudo.fields["USER"] == "root" and sudo.fields["COMMAND"] == "/usr/bin/id"
    assert "UID=0," in useradd.fields["message"]


def test_rfc3164_dates_after_the_files_last_change_belong_to_the_year_before(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path / "auth.log", "Dec 31 23:59:00 h sshd[1]: a\nJan  1 00:01:00 h sshd[1]: b\n"
    )
    os.utime(path, (datetime(2026, 1, 2, tzinfo=UTC).timestamp(),) * 2)
    december, january = read_events(path)
    assert december.timestamp == datetime(2025, 12, 31, 16, 59, tzinfo=UTC)
    assert january.timestamp == datetime(2025, 12, 31, 17, 1, tzinfo=UTC)


def test_rfc5424_with_structured_data(tmp_path: Path) -> None:
    (event,) = read_events(_write(tmp_path / "s.log", RFC5424))
    assert event.fields["facility"] == "auth" and event.fields["severity"] == "info"
    assert event.fields["host"] == "web02" and event.fields["program"] == "sshd"
    assert event.fields["origin@32473.ip"] == "10.0.0.2"
    assert event.fields["origin@32473.note"] == 'a "q"'
    assert event.fields["srcip"] == "198.51.100.4"
    assert event.timestamp == datetime(2026, 11, 20, 3, 0, 0, 123000, tzinfo=UTC)


def test_fortigate_key_values_are_firewall_events(tmp_path: Path) -> None:
    (event,) = read_events(_write(tmp_path / "fw.log", FORTIGATE))
    assert event.kind == "firewall"
    assert event.fields["srcip"] == "10.1.1.5" and event.fields["dstip"] == "8.8.8.8"
    assert event.fields["action"] == "deny" and event.fields["user"] == "nam"
    assert event.fields["devname"] == "FGT-HP"
    assert event.timestamp == datetime(2026, 11, 20, 3, 5, tzinfo=UTC)


def test_auditd_records_decode_hex_and_nested_messages(tmp_path: Path) -> None:
    syscall, execve, proctitle, user_start = read_events(_write(tmp_path / "audit.log", AUDIT_LOG))
    assert syscall.kind == "auditd"
    assert syscall.fields["type"] == "SYSCALL" and syscall.fields["exe"] == "/usr/bin/id"
    assert syscall.fields["a0"] == "55d1"  # syscall arguments are numbers, not text
    assert syscall.fields["serial"] == execve.fields["serial"] == 456
    assert execve.fields["a1"] == "/tmp dir"
    assert proctitle.fields["proctitle"] == "ls -la"
    assert user_start.fields["op"] == "PAM:session_open" and user_start.fields["acct"] == "root"
    assert syscall.timestamp == datetime.fromtimestamp(1763600000.123, UTC)


def test_access_log_uses_sigma_webserver_fields(tmp_path: Path) -> None:
    injection, upload = read_events(_write(tmp_path / "access.log", ACCESS_LOG))
    assert injection.kind == "webserver"
    assert injection.fields["c-ip"] == "203.0.113.9"
    assert injection.fields["cs-method"] == "GET"
    assert injection.fields["cs-uri-stem"] == "/index.php"
    assert injection.fields["cs-uri-query"] == "/index.php?id=1%27+UNION+SELECT"
    assert injection.fields["cs-version"] == "HTTP/1.1"
    assert injection.fields["sc-status"] == 200 and injection.fields["sc-bytes"] == 512
    assert injection.fields["cs-user-agent"] == "sqlmap/1.7"
    assert injection.timestamp == datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
    assert upload.fields["cs-username"] == "bob" and upload.fields["sc-bytes"] == 0
    assert upload.fields["cs-referer"] == "http://x/"


def test_csv_rows_and_json_documents(tmp_path: Path) -> None:
    (row,) = read_events(_write(tmp_path / "x.csv", SAMPLES["csv"]))
    assert row.fields == {
        "time": "2026-11-20T10:00:00Z",
        "host": "pc1",
        "CommandLine": 'cmd /c "whoami"',
    }
    assert row.timestamp == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    first, second = read_events(_write(tmp_path / "a.json", SAMPLES["json"]))
    assert (first.fields, second.fields, second.ref) == ({"host": "a"}, {"host": "b"}, "1")

    pretty = b"\n".join(
        orjson.dumps(r, option=orjson.OPT_INDENT_2) for r in (EVTX_JSON_RECORD, ECS_RECORD)
    )
    windows, ecs = read_events(_write(tmp_path / "events.json", pretty))
    assert (windows.kind, windows.fields["CommandLine"]) == ("windows", "x.exe -enc AAAA")
    assert ecs.kind == "ecs"


def test_an_explicit_format_overrides_detection(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.log", SAMPLES["ecs"])
    (event,) = read_events(path, "jsonl")
    assert event.kind == "generic"
    with pytest.raises(UsageError):
        list(read_events(path, "parquet"))


def _numbered_lines(count: int) -> bytes:
    return b"".join(orjson.dumps({"n": n, "pad": "x" * (n % 37)}) + b"\n" for n in range(count))


def test_byte_ranges_tile_a_file_without_gap_or_overlap(tmp_path: Path) -> None:
    path = _write(tmp_path / "big.jsonl", _numbered_lines(3000))
    size = path.stat().st_size
    whole = [e.fields["n"] for e in read_events(path)]
    line_start = path.read_bytes().index(b"\n", 500) + 1
    for cuts in ([size // 3, 2 * size // 3], [1, line_start, line_start + 1, size - 1], [size]):
        bounds = list(zip([0, *cuts], [*cuts, None], strict=True))
        pieces = [
            e.fields["n"] for start, end in bounds for e in read_events(path, start=start, end=end)
        ]
        assert pieces == whole


def test_split_ranges_cuts_big_line_files_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socctl.detection.inputs as inputs

    monkeypatch.setattr(inputs, "MIN_RANGE_BYTES", 1000)
    path = _write(tmp_path / "big.jsonl", _numbered_lines(2000))
    ranges = split_ranges(path, 4)
    assert len(ranges) == 4 and ranges[0][0] == 0 and ranges[-1][1] is None
    pieces = [
        e.fields["n"] for start, end in ranges for e in read_events(path, start=start, end=end)
    ]
    assert pieces == list(range(2000))

    gzipped = _write(tmp_path / "big.jsonl.gz", _numbered_lines(2000), compress=True)
    assert split_ranges(gzipped, 4) == [(0, None)]
    document = _write(tmp_path / "doc.json", orjson.dumps([{"n": n} for n in range(2000)]))
    assert split_ranges(document, 4) == [(0, None)]
    with pytest.raises(UsageError):
        list(read_events(document, start=10))


def test_malformed_lines_are_reported_with_offsets_and_skipped(tmp_path: Path) -> None:
    content = b'{"n": 1}\n{"n": 2\n\n[1, 2]\n{"n": 3}\n'
    malformed: list[Malformed] = []
    events = list(read_events(_write(tmp_path / "x.jsonl", content), on_malformed=malformed.append))
    assert [e.fields["n"] for e in events] == [1, 3]
    expected = [content.index(b'{"n": 2'), content.index(b"[1, 2]")]
    assert [m.where for m in malformed] == [f"byte {offset}" for offset in expected]
    assert all(m.skipped for m in malformed)


def test_truncated_gzip_keeps_what_came_before_and_reports_the_cut(tmp_path: Path) -> None:
    whole = gzip.compress(_numbered_lines(5000))
    path = _write(tmp_path / "cut.jsonl.gz", whole[: len(whole) // 2])
    malformed: list[Malformed] = []
    numbers = [e.fields["n"] for e in read_events(path, on_malformed=malformed.append)]
    assert numbers and numbers == list(range(len(numbers))) and len(numbers) < 5000
    assert len(malformed) == 1 and "truncated" in malformed[0].reason


def test_binary_junk_and_empty_files_are_reported_clearly(tmp_path: Path) -> None:
    junk = _write(tmp_path / "junk.bin", bytes(range(256)) * 50)
    empty = _write(tmp_path / "empty.log", b"")
    blank = _write(tmp_path / "blank.log", b"\n  \n\n", compress=True)
    for path in (junk, empty, blank):
        with pytest.raises(InputError) as caught:
            detect_format(path)
        assert str(path) in str(caught.value)
        malformed: list[Malformed] = []
        assert list(read_events(path, on_malformed=malformed.append)) == []
        assert len(malformed) == 1 and malformed[0].path == str(path)
    with pytest.raises(NotFoundError):
        list(read_events(tmp_path / "missing.log"))


def test_junk_lines_inside_a_known_format_are_skipped(tmp_path: Path) -> None:
    content = (
        AUTH_LOG.encode()
        + b"\x00\x01\x02 binary \xff\xfe\n"
        + b"Nov 20 10:09:00 web01 CRON[5]: ok\n"
    )
    malformed: list[Malformed] = []
    events = list(
        read_events(_write(tmp_path / "auth.log", content), on_malformed=malformed.append)
    )
    assert len(events) == 5 and events[-1].fields["program"] == "CRON"
    assert len([m for m in malformed if m.skipped]) == 1


def test_invalid_utf8_is_replaced_read_and_counted_once(tmp_path: Path) -> None:
    content = b'{"user": "Nguy\xe1n"}\n{"user": "ok"}\n{"user": "\xff\xfe"}\n'
    malformed: list[Malformed] = []
    events = list(read_events(_write(tmp_path / "x.jsonl", content), on_malformed=malformed.append))
    assert [e.fields["user"] for e in events] == ["Nguy\ufffdn", "ok", "\ufffd\ufffd"]
    (notice,) = malformed
    assert not notice.skipped and notice.where == "byte 0" and notice.reason.startswith("2 record")


def test_a_ten_megabyte_line_is_read(tmp_path: Path) -> None:
    big = {"n": 1, "blob": "A" * (10 << 20)}
    path = _write(tmp_path / "big.jsonl", _jsonl([big, {"n": 2}]))
    assert [e.fields["n"] for e in read_events(path)] == [1, 2]


def test_an_overlong_line_is_skipped_without_being_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(lines_module, "BLOCK_SIZE", 1024)
    content = _jsonl([{"n": 1}, {"blob": "B" * 20000}, {"n": 3}])
    malformed: list[Malformed] = []
    events = list(
        read_events(_write(tmp_path / "x.jsonl", content), "jsonl", on_malformed=malformed.append)
    )
    assert [e.fields["n"] for e in events] == [1, 3]
    overlong = content.index(b'{"blob"')
    assert [m.where for m in malformed] == [f"byte {overlong}"]
    assert events[1].ref == str(content.index(b'{"n":3}'))


def test_folders_are_searched_recursively_in_order_skipping_hidden_and_docs(tmp_path: Path) -> None:
    names = ("b/2.log", "a.log", "b/1.log", "c/.hidden.log", ".git/x.log", "c/d/e.log", "README.md")
    for name in (*names, "c/NOTES.md", "c/README"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    found = [path.relative_to(tmp_path).as_posix() for path in iter_paths([tmp_path])]
    assert found == ["a.log", "b/1.log", "b/2.log", "c/d/e.log"]
    explicit = tmp_path / "c" / ".hidden.log"
    assert list(iter_paths([explicit, tmp_path / "a.log", tmp_path / "a.log"])) == [
        explicit,
        tmp_path / "a.log",
    ]
    with pytest.raises(NotFoundError):
        list(iter_paths([tmp_path / "nope"]))
