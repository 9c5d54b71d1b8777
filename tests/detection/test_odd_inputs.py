"""Odd inputs and setups a review of the engine found mishandled: each runs as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from store_fixtures import ndjson, socctl

from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.rules import load_rules

SECURITY = {"product": "windows", "service": "security"}


def write(path: Path, *docs: dict[str, object]) -> Path:
    path.write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    return path


def test_a_bool_dispatch_value_meets_its_rules_whatever_came_before(tmp_path: Path) -> None:
    rule = {"title": "odd", "logsource": SECURITY,
            "detection": {"sel": {"EventID": "true"}, "condition": "sel"}}  # fmt: skip
    rules = load_rules([write(tmp_path / "r.yml", rule)], cache_dir=None, use_cache=False)
    odd = Event({"Channel": "Security", "EventID": True}, {}, "t", "2", "windows")
    after_an_int = Detector(rules)
    after_an_int.match_event(Event({"Channel": "Security", "EventID": 1}, {}, "t", "1", "windows"))
    assert [m.rule.info.title for m in after_an_int.match_event(odd)] == ["odd"]
    assert [m.rule.info.title for m in Detector(rules).match_event(odd)] == ["odd"]


def test_integers_beyond_64_bits_are_read_as_text_not_a_crash(tmp_path: Path) -> None:
    rule = {"title": "big", "logsource": {"product": "test"},
            "detection": {"sel": {"size|gt": 5}, "condition": "sel"}}  # fmt: skip
    rules = write(tmp_path / "r.yml", rule)
    huge = "1" + "0" * 340
    log = tmp_path / "docs.json"  # objects one after another: read by the tolerant decoder
    log.write_text(f'{{"size": {huge}}}\n{{"size": 7}}\n', encoding="utf-8")
    run = socctl("detect", "run", "--rules", rules, "--logs", log, "-f", "ndjson", cwd=tmp_path)
    assert [a["event"]["size"] for a in ndjson(run.stdout)] == [huge, 7]  # huge > 5 too


def test_a_cache_folder_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    rule = {"title": "r", "logsource": {"product": "test"},
            "detection": {"sel": {"A": "x"}, "condition": "sel"}}  # fmt: skip
    rules = write(tmp_path / "r.yml", rule)
    log = tmp_path / "ev.jsonl"
    log.write_text('{"A": "x"}\n', encoding="utf-8")
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    run = socctl(
        "detect", "run", "--rules", rules, "--logs", log, "-f", "ndjson",
        cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "not-a-folder")},
    )  # fmt: skip
    assert len(ndjson(run.stdout)) == 1


def test_rules_reached_by_two_paths_load_once(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    write(folder / "r.yml", {"title": "r", "logsource": {"product": "test"},
                             "detection": {"sel": {"A": "x"}, "condition": "sel"}})  # fmt: skip
    log = tmp_path / "ev.jsonl"
    log.write_text('{"A": "x"}\n', encoding="utf-8")
    run = socctl(
        "detect", "run", "--rules", "rules", "--rules", folder, "--logs", log, "-f", "ndjson",
        cwd=tmp_path,
    )  # fmt: skip
    assert len(ndjson(run.stdout)) == 1 and "rules 1 run" in run.stderr


def test_correlation_fields_with_modifiers_are_load_errors(tmp_path: Path) -> None:
    base = {"title": "b", "name": "b", "logsource": {"product": "test"},
            "detection": {"sel": {"A": "x"}, "condition": "sel"}}  # fmt: skip
    corr = {"title": "c", "correlation": {"type": "event_count", "rules": ["b"],
            "group-by": ["user|contains"], "timespan": "1m", "condition": {"gte": 2}}}  # fmt: skip
    rules = load_rules([write(tmp_path / "r.yml", base, corr)], cache_dir=None, use_cache=False)
    assert len(rules.errors) == 1 and "'|'" in rules.errors[0].reason


def test_group_values_that_are_objects_or_lists_of_objects_group(tmp_path: Path) -> None:
    base = {"title": "b", "name": "b", "logsource": {"product": "test"},
            "detection": {"sel": {"A": "x"}, "condition": "sel"}}  # fmt: skip
    corr = {"title": "c", "correlation": {"type": "event_count", "rules": ["b"],
            "group-by": ["user"], "timespan": "1m", "condition": {"gte": 2}}}  # fmt: skip
    rules = write(tmp_path / "r.yml", base, corr)
    log = tmp_path / "ev.jsonl"
    log.write_text(
        "".join(
            f'{{"time": "2026-11-21T00:00:0{n}Z", "A": "x", "user": [{{"n": "Bob"}}]}}\n'
            for n in range(2)
        ),
        encoding="utf-8",
    )
    run = socctl("detect", "run", "--rules", rules, "--logs", log, "-f", "ndjson", cwd=tmp_path)
    assert [a["correlation"]["count"] for a in ndjson(run.stdout)] == [2]


def test_a_correlation_groups_security_4688_events_by_their_own_field_names(
    tmp_path: Path,
) -> None:
    base = {"title": "whoami", "name": "whoami",
            "logsource": {"product": "windows", "category": "process_creation"},
            "detection": {"sel": {"CommandLine|contains": "whoami"}, "condition": "sel"}}  # fmt: skip
    corr = {"title": "twice", "correlation": {"type": "event_count", "rules": ["whoami"],
            "group-by": ["Image"], "timespan": "1m", "condition": {"gte": 2}}}  # fmt: skip
    rules = write(tmp_path / "r.yml", base, corr)
    log = tmp_path / "security.jsonl"
    lines = []
    for n in range(2):
        system = {"EventID": 4688, "Channel": "Security", "Computer": "ws1",
                  "TimeCreated": {"#attributes": {"SystemTime": f"2026-11-21T00:00:0{n}Z"}}}  # fmt: skip
        data = {"NewProcessName": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami"}
        lines.append({"Event": {"System": system, "EventData": data}})
    log.write_text("".join(f"{json.dumps(x)}\n" for x in lines), encoding="utf-8")
    run = socctl("detect", "run", "--rules", rules, "--logs", log, "-f", "ndjson", cwd=tmp_path)
    found = [a["correlation"]["group"] for a in ndjson(run.stdout)]
    assert found == [{"Image": "C:\\Windows\\System32\\whoami.exe"}]
