"""The candidate index and the parallel runner never change what a run finds."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from socctl.detection import engine, runner
from socctl.detection.compile import lower_view
from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.rules import load_rules, rule_files

RULES = {
    "a_contains": "sel:\n    A|contains: needle\ncondition: sel\n",
    "b_endswith": "sel:\n    B|endswith: '.exe'\ncondition: sel\n",
    "a_equals": "sel:\n    A: exact\ncondition: sel\n",
    "keyword": "kw:\n    - mimikatz\ncondition: kw\n",
    "both": "a:\n    A|contains: left\nb:\n    B|contains: right\ncondition: a and b\n",
    "not_a": "sel:\n    C: x\nfilter:\n    A|contains: needle\ncondition: sel and not filter\n",
}
#: Literals made of digits and time or id punctuation only (values like them are otherwise not
#: searched), a field reference and a case-sensitive test (rules reading two fields, or none,
#: lower-cased).
PLAIN_RULES = {
    "kw_time": "kw:\n    - '12:34'\ncondition: kw\n",
    "port": "sel:\n    P: 4444\ncondition: sel\n",
    "same": "sel:\n    A|fieldref: B\ncondition: sel\n",
    "cased": "sel:\n    A|cased|contains: Left\ncondition: sel\n",
}

VALUES: list[dict[str, Any]] = [
    {"A": "has NEEDLE inside"},
    {"B": "has needle inside"},  # a value A's rule wants, but in field B
    {"A": "Exact"},
    {"A": "exact and more"},
    {"B": "C:\\Tools\\run.EXE"},
    {"B": "run.exe.txt"},
    {"C": "x", "A": "no"},
    {"C": "x", "A": "a needle"},
    {"D": 42, "E": "MimiKatz.exe"},
    {"D": ["one", "mimikatz"]},
    {"D": ["one", 2, True]},
    {"A": "left", "B": "right"},
    {"A": "left", "B": "wrong"},
    {"A": None, "B": "right"},
    {"A": "\x00needle\x01"},
    {"D": "2026-01-01T12:34:56Z", "E": 12345, "F": "{0197231E-F356}"},
    {"P": 4444, "Q": "0x3e7"},
    {"P": "4444"},
    {"A": "Left", "B": "left"},
    {"A": "x", "B": "x", "C": "2026-01-01 12:34"},
]


@pytest.fixture(params=[RULES, {**RULES, **PLAIN_RULES}], ids=["rules", "with-plain-rules"])
def detector(tmp_path: Path, request: pytest.FixtureRequest) -> Detector:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, detection in request.param.items():
        doc = {
            "title": name,
            "logsource": {"product": "test"},
            "detection": yaml.safe_load(detection),
        }
        (folder / f"{name}.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    rules = load_rules([folder], cache_dir=None, use_cache=False)
    assert not rules.errors, rules.errors
    return Detector(rules)


def _brute(detector: Detector, event: Event) -> list[str]:
    index = detector.index(event.kind)
    return [
        r.rule.info.title for r in index.rules if r.match(event.fields, lower_view(event.fields))
    ]


def test_values_seen_before_give_the_same_matches_as_new_ones(
    detector: Detector, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tiny memory, so it is also emptied and refilled during the run
    monkeypatch.setattr(engine, "MAX_REMEMBERED_VALUES", 5)
    events = [
        Event(dict(fields), {}, "test", str(n), "generic")
        for n, fields in enumerate(itertools.chain(VALUES, reversed(VALUES), VALUES, VALUES))
    ]
    found = [[r.rule.info.title for r in detector.match_event(e)] for e in events]
    assert found == [_brute(detector, e) for e in events]
    # the cases the rules were written for
    first = dict(zip(range(len(VALUES)), found, strict=False))
    assert first[0] == ["a_contains"] and first[1] == []
    assert first[8] == ["keyword"] and first[9] == ["keyword"]
    assert first[11] == ["both"] and first[12] == [] and first[13] == []
    if len(detector.ruleset.rules) > len(RULES):
        assert first[15] == ["kw_time"] and first[16] == first[17] == ["port"]
        assert first[18] == ["cased", "same"] and first[19] == ["kw_time", "same"]


def _write_logs(folder: Path) -> list[Path]:
    folder.mkdir()
    paths = []
    for number in range(3):
        path = folder / f"log{number}.jsonl"
        lines = [
            json.dumps(
                {
                    **VALUES[(line + number) % len(VALUES)],
                    "time": f"2026-01-01T00:00:{line % 60:02d}Z",
                }
            )
            for line in range(300)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_forked_workers_return_what_one_process_returns(
    detector: Detector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _write_logs(tmp_path / "logs")
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    runs = []
    for workers in (1, 2, 3):  # this process alone; with one forked worker; with two
        stats = runner.RunStats()
        found = runner.run_files(detector.ruleset, paths, workers=workers, stats=stats)
        runs.append(([(m.rule.title, m.events[0].source, m.events[0].ref) for m in found], stats))
    (serial, serial_stats), *forked_runs = runs
    assert serial
    for forked, forked_stats in forked_runs:
        assert forked == serial
        assert forked_stats.events == serial_stats.events == 900
        assert forked_stats.matches == len(serial)


def test_rule_files_are_found_in_order_skipping_hidden_ones(tmp_path: Path) -> None:
    for name in (
        "b/2.yml",
        "a.yaml",
        "b/1.yml",
        ".git/x.yml",
        "c/.draft.yml",
        "c/d/e.yml",
        "c/notes.txt",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("title: x\n", encoding="utf-8")
    (tmp_path / "link").symlink_to(tmp_path / "b", target_is_directory=True)
    found = [p.relative_to(tmp_path).as_posix() for p in rule_files([tmp_path])]
    assert found == ["a.yaml", "b/1.yml", "b/2.yml", "c/d/e.yml"]


WINDOWS_RULES = {
    "proc": (
        {"category": "process_creation", "product": "windows"},
        "sel:\n    Image|endswith: '\\\\evil.exe'\ncondition: sel\n",
    ),
    "logon": (
        {"product": "windows", "service": "security"},
        "sel:\n    EventID: 4625\n    TargetUserName: admin\ncondition: sel\n",
    ),
    "keyword": ({"product": "windows"}, "kw:\n    - mimikatz\ncondition: kw\n"),
}
SYSMON = "Microsoft-Windows-Sysmon/Operational"


def test_dispatch_values_of_any_type_or_case_meet_the_rules_they_belong_to(
    tmp_path: Path,
) -> None:
    """Buckets are remembered by raw Channel/EventID values: equal values of other types (1 and
    True, 1 and 1.0) or other cases must still meet every rule they can match."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, (logsource, detection) in WINDOWS_RULES.items():
        doc = {"title": name, "logsource": logsource, "detection": yaml.safe_load(detection)}
        (folder / f"{name}.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    detector = Detector(load_rules([folder], cache_dir=None, use_cache=False))
    shapes: list[dict[str, Any]] = [
        {"Channel": SYSMON, "EventID": True, "Image": "C:\\evil.exe"},
        {"Channel": SYSMON, "EventID": 1, "Image": "C:\\evil.exe"},
        {"Channel": SYSMON, "EventID": 1.0, "Image": "C:\\evil.exe"},
        {"Channel": SYSMON.upper(), "EventID": "1", "Image": "C:\\EVIL.exe"},
        {"Channel": [SYSMON], "EventID": 1, "Image": "C:\\evil.exe mimikatz"},
        {"Channel": "Security", "EventID": 4625, "TargetUserName": "admin"},
        {"Channel": "security", "EventID": "4625", "TargetUserName": "Admin"},
        {"Channel": "Security", "EventID": {"#text": 4625}, "TargetUserName": "admin"},
        {"EventID": 4625, "TargetUserName": "admin"},
        {"Channel": "Security", "EventID": 4624, "TargetUserName": "mimikatz"},
    ]
    events = [
        Event(dict(fields), {}, "test", str(n), "windows")
        for n, fields in enumerate(shapes + shapes[::-1])
    ]
    found = [[r.rule.info.title for r in detector.match_event(e)] for e in events]
    assert found == [_brute(detector, e) for e in events]
    assert found[1] == found[3] == ["proc"] and found[5] == found[6] == ["logon"]
    assert found[9] == ["keyword"]
