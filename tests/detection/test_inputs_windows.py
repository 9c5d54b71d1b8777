"""Windows inputs over SigmaHQ's regression samples: EVTX and evtx_dump JSON flatten alike."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from evtx import PyEvtxParser

from socctl.detection.inputs import Malformed, detect_format, read_events

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "sigmahq-regression"

pytestmark = pytest.mark.corpus


def _cases() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"the SigmaHQ regression corpus is not at {CORPUS}")
    return sorted(path.parent for path in CORPUS.glob("*/events.evtx"))


def _comparable(fields: dict) -> dict:
    # SigmaHQ's JSON exports trim trailing spaces that the EVTX records hold.
    return {
        key: value.rstrip() if isinstance(value, str) else value for key, value in fields.items()
    }


def test_every_corpus_evtx_record_becomes_a_flat_windows_event() -> None:
    malformed: list[Malformed] = []
    total = 0
    for case in _cases():
        sample = case / "events.evtx"
        assert detect_format(sample) == "evtx"
        events = list(read_events(sample, on_malformed=malformed.append))
        expected = sum(1 for _ in PyEvtxParser(str(sample)).records())
        assert len(events) == expected, case.name
        for event in events:
            assert event.kind == "windows"
            assert isinstance(event.fields["EventID"], int)
            assert event.fields["Provider_Name"]
            assert event.fields["Channel"]
            assert event.ref.isdigit()
            assert event.timestamp is not None and event.timestamp.utcoffset().total_seconds() == 0
            assert event.timestamp.isoformat().startswith(event.fields["SystemTime"][:19])
        assert len({event.ref for event in events}) == len(events)  # the record number in the file
        total += len(events)
    assert total > 0
    assert malformed == []


def test_evtx_flattening_matches_sigmahq_json_exports() -> None:
    compared = 0
    for case in _cases():
        export = case / "events.json"
        if not export.exists():
            continue
        from_evtx = {e.fields["EventRecordID"]: e.fields for e in read_events(case / "events.evtx")}
        from_json = {e.fields["EventRecordID"]: e.fields for e in read_events(export)}
        assert from_json.keys() == from_evtx.keys(), case.name
        for record_id, fields in from_evtx.items():
            assert _comparable(fields) == _comparable(from_json[record_id]), (case.name, record_id)
            compared += 1
    assert compared > 0


def test_evtx_dump_json_lines_flatten_exactly_like_the_evtx(tmp_path: Path) -> None:
    cases = _cases()[:10]
    originals = [e for case in cases for e in read_events(case / "events.evtx")]
    dump = tmp_path / "dump.jsonl"
    dump.write_bytes(b"".join(orjson.dumps(e.data) + b"\n" for e in originals))

    assert detect_format(dump) == "evtx-json"
    again = list(read_events(dump))
    assert [e.fields for e in again] == [e.fields for e in originals]
    assert [e.timestamp for e in again] == [e.timestamp for e in originals]
    assert {e.kind for e in again} == {"windows"}


def test_eventid_with_qualifiers_and_userdata_leaves(tmp_path: Path) -> None:
    record = {
        "Event": {
            "System": {
                "Provider": {
                    "#attributes": {"Name": "Microsoft-Windows-Eventlog", "Guid": "{fc65}"}
                },
                "EventID": {"#text": 1102, "#attributes": {"Qualifiers": 0}},
                "TimeCreated": {"#attributes": {"SystemTime": "2026-11-20T01:02:03.1234567Z"}},
                "Channel": "Security",
                "Computer": "dc01.haiphong.gov.vn",
                "Security": {"#attributes": {"UserID": "S-1-5-18"}},
            },
            "UserData": {
                "LogFileCleared": {
                    "#attributes": {
                        "xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
                    },
                    "SubjectUserName": "attacker",
                    "SubjectDomainName": "HP",
                }
            },
        }
    }
    path = tmp_path / "cleared.jsonl"
    path.write_bytes(orjson.dumps(record) + b"\n")

    (event,) = read_events(path)
    assert event.fields["EventID"] == 1102
    assert event.fields["Qualifiers"] == 0
    assert event.fields["Provider_Name"] == "Microsoft-Windows-Eventlog"
    assert event.fields["Provider_Guid"] == "{fc65}"
    assert event.fields["UserID"] == "S-1-5-18"
    assert event.fields["SubjectUserName"] == "attacker"
    assert "xmlns" not in event.fields
    assert (
        event.timestamp is not None
        and event.timestamp.isoformat() == "2026-11-20T01:02:03.123456+00:00"
    )


def test_a_file_that_is_not_evtx_inside_is_reported_not_raised(tmp_path: Path) -> None:
    broken = tmp_path / "broken.evtx"
    broken.write_bytes(b"ElfFile\0" + b"\xff" * 5000)
    malformed: list[Malformed] = []
    assert list(read_events(broken, on_malformed=malformed.append)) == []
    assert malformed and malformed[0].path == str(broken)


def test_an_evtx_file_cut_short_is_reported_with_its_size(tmp_path: Path) -> None:
    sample = max((case / "events.evtx" for case in _cases()), key=lambda p: p.stat().st_size)
    whole = sample.read_bytes()
    malformed: list[Malformed] = []
    assert list(read_events(sample, on_malformed=malformed.append)) and not malformed
    cut = tmp_path / "cut.evtx"
    cut.write_bytes(whole[: len(whole) - 1000])
    read = list(read_events(cut, on_malformed=malformed.append))
    # the cut falls in the last chunk's unused end: every record before it is still read
    assert len(read) == len(list(read_events(sample)))
    assert [(m.path, m.where) for m in malformed] == [(str(cut), f"byte {len(whole) - 1000}")]
    assert "cut short" in malformed[0].reason


def _utf16_letter(chunk: bytes) -> int:
    """The offset of a letter inside a UTF-16 text of a record (changing it keeps the record readable)."""
    free = int.from_bytes(chunk[48:52], "little")  # the end of the chunk's records
    for at in range(512, free - 16):
        if chunk[at : at + 16 : 2].isalpha() and not any(chunk[at + 1 : at + 16 : 2]):
            return at + 8
    raise AssertionError("no UTF-16 text in the chunk")


def test_a_chunk_failing_its_checksum_is_reported_and_its_records_kept(tmp_path: Path) -> None:
    sample = max((case / "events.evtx" for case in _cases()), key=lambda p: p.stat().st_size)
    whole = bytearray(sample.read_bytes())
    first_chunk = int.from_bytes(whole[40:42], "little")
    expected = len(list(read_events(sample)))

    edited = whole.copy()
    letter = first_chunk + _utf16_letter(bytes(whole[first_chunk : first_chunk + 65536]))
    edited[letter] ^= 0x01  # 'a' <-> 'b' and so on: the record still parses
    altered = tmp_path / "altered.evtx"
    altered.write_bytes(edited)
    malformed: list[Malformed] = []
    assert len(list(read_events(altered, on_malformed=malformed.append))) == expected
    assert [(m.where, m.reason.split(":")[0]) for m in malformed] == [
        (f"byte {first_chunk}", "EVTX chunk 0 fails its records checksum")
    ]

    edited = whole.copy()
    edited[first_chunk + 60] ^= 0xFF  # reserved bytes of the chunk header, covered by its checksum
    header = tmp_path / "header.evtx"
    header.write_bytes(edited)
    malformed.clear()
    assert len(list(read_events(header, on_malformed=malformed.append))) == expected
    assert [m.reason.split(":")[0] for m in malformed] == ["EVTX chunk 0 fails its header checksum"]
