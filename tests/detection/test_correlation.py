"""Sigma correlation rules: true sliding windows, group-by, one match per window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.detection.rules import RuleSet, load_rules

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

FAILED = {
    "title": "Failed logon",
    "name": "failed_logon",
    "logsource": {"product": "test"},
    "detection": {"sel": {"Action": "fail"}, "condition": "sel"},
}
SUCCESS = {
    "title": "Successful logon",
    "name": "ok_logon",
    "logsource": {"product": "test"},
    "detection": {"sel": {"Action": "ok"}, "condition": "sel"},
}


def load(tmp_path: Path, correlation: dict[str, Any], *bases: dict[str, Any]) -> RuleSet:
    docs = [
        *(bases or (FAILED,)),
        {
            "title": "Correlation",
            "id": "c0ffee00-0000-4000-8000-000000000001",
            "correlation": correlation,
        },
    ]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    rules = load_rules([tmp_path / "rules.yml"], cache_dir=None, use_cache=False)
    assert not rules.errors, rules.errors
    return rules


def ev(seconds: float, **fields: Any) -> Event:
    return Event(
        fields=fields,
        data=fields,
        source="t",
        ref=str(seconds),
        kind="generic",
        timestamp=T0 + timedelta(seconds=seconds),
    )


def correlations(matches: list[Match]) -> list[Match]:
    return [m for m in matches if m.is_correlation]


def run(rules: RuleSet, *events: Event) -> list[Match]:
    detector = Detector(rules)
    return correlations([*detector.feed(events), *detector.flush()])


def brute_force(count: int = 3, span: str = "1m", **extra: Any) -> dict[str, Any]:
    return {
        "type": "event_count",
        "rules": ["failed_logon"],
        "group-by": ["User"],
        "timespan": span,
        "condition": {"gte": count},
        **extra,
    }


def test_event_count_uses_a_sliding_window_not_fixed_buckets(tmp_path: Path) -> None:
    # 08:00:50, 08:01:10, 08:01:30: split by any fixed one-minute bucket, within one sliding minute
    rules = load(tmp_path, brute_force())
    found = run(rules, *(ev(s, Action="fail", User="an") for s in (50, 70, 90)))
    assert len(found) == 1
    window = found[0]
    assert [e.ref for e in window.events] == ["50", "70", "90"]
    assert window.window == (T0 + timedelta(seconds=50), T0 + timedelta(seconds=90))
    assert window.group == {"User": "an"}


def test_event_count_needs_the_events_within_the_timespan(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force())
    assert run(rules, *(ev(s, Action="fail", User="an") for s in (0, 40, 80, 120))) == []


def test_groups_are_counted_separately(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force())
    events = [
        ev(s, Action="fail", User=u) for s, u in ((1, "an"), (2, "binh"), (3, "an"), (4, "binh"))
    ]
    assert run(rules, *events) == []
    found = run(rules, *events, ev(5, Action="fail", User="binh"))
    assert [m.group for m in found] == [{"User": "binh"}]
    assert len(found[0].events) == 3


def test_one_match_per_window_then_counting_starts_again(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force())
    found = run(rules, *(ev(s, Action="fail", User="an") for s in range(7)))
    assert [len(m.events) for m in found] == [3, 3]


def test_state_carries_across_feed_calls(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force())
    detector = Detector(rules)
    first = correlations(
        list(detector.feed([ev(0, Action="fail", User="an"), ev(10, Action="fail", User="an")]))
    )
    second = correlations(list(detector.feed([ev(20, Action="fail", User="an")])))
    assert first == [] and len(second) == 1


def test_base_rule_of_a_correlation_alerts_only_with_generate(tmp_path: Path) -> None:
    events = [ev(s, Action="fail", User="an") for s in (0, 1, 2)]
    quiet = Detector(load(tmp_path, brute_force()))
    assert [m.is_correlation for m in quiet.feed(events)] == [True]
    loud = Detector(load(tmp_path, brute_force(generate=True)))
    assert [m.is_correlation for m in loud.feed(events)] == [False, False, False, True]


def test_value_count_counts_distinct_values(tmp_path: Path) -> None:
    spray = {
        "type": "value_count",
        "rules": ["failed_logon"],
        "group-by": ["Source"],
        "timespan": "5m",
        "condition": {"gte": 3, "field": "User"},
    }
    rules = load(tmp_path, spray)
    same_user = [ev(s, Action="fail", Source="10.0.0.9", User="an") for s in range(5)]
    assert run(rules, *same_user) == []
    users = [
        ev(s, Action="fail", Source="10.0.0.9", User=u) for s, u in enumerate(["a", "b", "a", "c"])
    ]
    found = run(rules, *users)
    assert len(found) == 1 and found[0].group == {"Source": "10.0.0.9"}


def test_temporal_needs_every_rule_within_the_window(tmp_path: Path) -> None:
    both = {
        "type": "temporal",
        "rules": ["failed_logon", "ok_logon"],
        "group-by": ["User"],
        "timespan": "1m",
    }
    rules = load(tmp_path, both, FAILED, SUCCESS)
    assert len(run(rules, ev(0, Action="ok", User="an"), ev(30, Action="fail", User="an"))) == 1
    assert run(rules, ev(0, Action="ok", User="an"), ev(90, Action="fail", User="an")) == []
    assert run(rules, ev(0, Action="ok", User="an"), ev(30, Action="fail", User="binh")) == []


def test_temporal_ordered_needs_the_order(tmp_path: Path) -> None:
    guessed = {
        "type": "temporal_ordered",
        "rules": ["failed_logon", "ok_logon"],
        "group-by": ["User"],
        "timespan": "1m",
    }
    rules = load(tmp_path, guessed, FAILED, SUCCESS)
    assert run(rules, ev(0, Action="ok", User="an"), ev(10, Action="fail", User="an")) == []
    found = run(rules, ev(0, Action="fail", User="an"), ev(10, Action="ok", User="an"))
    assert [e.ref for e in found[0].events] == ["0", "10"]


def test_correlation_with_an_unknown_rule_is_a_load_error(tmp_path: Path) -> None:
    (tmp_path / "c.yml").write_text(
        yaml.safe_dump({"title": "x", "correlation": {**brute_force(), "rules": ["nope"]}}),
        encoding="utf-8",
    )
    rules = load_rules([tmp_path / "c.yml"], cache_dir=None, use_cache=False)
    assert len(rules.errors) == 1 and "nope" in rules.errors[0].reason


# What a check against the Sigma correlation specification and pySigma's SQLite backend found.

A = {
    "title": "A",
    "name": "rule_a",
    "logsource": {"product": "test"},
    "detection": {"sel": {"act": "a"}, "condition": "sel"},
}
B = {
    "title": "B",
    "name": "rule_b",
    "logsource": {"product": "test"},
    "detection": {"sel": {"act": "b"}, "condition": "sel"},
}
C = {
    "title": "C",
    "name": "rule_c",
    "logsource": {"product": "test"},
    "detection": {"sel": {"act": "c"}, "condition": "sel"},
}
A2 = {
    "title": "A too",
    "id": "aaaaaaaa-0000-4000-8000-000000000002",
    "logsource": {"product": "test"},
    "detection": {"sel": {"flag": "x"}, "condition": "sel"},
}


def load_errors(tmp_path: Path, correlation: dict[str, Any], *bases: dict[str, Any]) -> list[str]:
    docs = [*bases, {"title": "Correlation", "correlation": correlation}]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump_all(docs), encoding="utf-8")
    rules = load_rules([tmp_path / "rules.yml"], cache_dir=None, use_cache=False)
    return [e.reason for e in rules.errors]


def test_aliases_group_events_of_rules_that_name_the_field_differently(tmp_path: Path) -> None:
    corr = {
        "type": "temporal",
        "rules": ["rule_a", "rule_b"],
        "group-by": ["ip"],
        "timespan": "10s",
        "aliases": {"ip": {"rule_a": "src", "rule_b": "dst"}},
    }
    rules = load(tmp_path, corr, A, B)
    found = run(
        rules,
        ev(0, act="a", src="1.1.1.1"),
        ev(3, act="b", dst="1.1.1.1"),
        ev(20, act="a", src="5.5.5.5"),
        ev(22, act="b", dst="6.6.6.6"),
    )
    assert [(m.group, [e.ref for e in m.events]) for m in found] == [
        ({"ip": "1.1.1.1"}, ["0", "3"])
    ]


def test_a_temporal_condition_counts_the_rules_that_matched(tmp_path: Path) -> None:
    corr = {
        "type": "temporal",
        "rules": ["rule_a", "rule_b", "rule_c"],
        "timespan": "10s",
        "condition": {"gte": 2},
    }
    rules = load(tmp_path, corr, A, B, C)
    assert len(run(rules, ev(0, act="a"), ev(3, act="b"))) == 1
    assert run(rules, ev(0, act="a"), ev(3, act="a")) == []


def test_event_count_counts_an_event_matching_two_rules_once(tmp_path: Path) -> None:
    corr = {
        "type": "event_count",
        "rules": ["rule_a", A2["id"]],
        "timespan": "10s",
        "condition": {"gte": 2},
    }
    rules = load(tmp_path, corr, A, A2)
    assert run(rules, ev(0, act="a", flag="x")) == []
    found = run(rules, ev(0, act="a", flag="x"), ev(1, act="a"))
    assert [[e.ref for e in m.events] for m in found] == [["0", "1"]]


def test_eq_is_judged_on_whole_windows(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force(count=2, span="10s", condition={"eq": 2}))
    found = run(rules, *(ev(s, Action="fail", User="an") for s in range(5)))
    assert [[e.ref for e in m.events] for m in found] == [["3", "4"]]


def test_a_range_condition_needs_both_bounds(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force(span="10s", condition={"gt": 1, "lte": 3}))
    two = run(rules, *(ev(s, Action="fail", User="an") for s in (0, 1)))
    assert [[e.ref for e in m.events] for m in two] == [["0", "1"]]
    assert run(rules, ev(0, Action="fail", User="an")) == []
    # 0..3: the window starting at 0 holds four events, too many; the next one holds three
    four = run(rules, *(ev(s, Action="fail", User="an") for s in range(4)))
    assert [[e.ref for e in m.events] for m in four] == [["1", "2", "3"]]


def test_value_count_ignores_null_and_case(tmp_path: Path) -> None:
    spray = {
        "type": "value_count",
        "rules": ["failed_logon"],
        "timespan": "5m",
        "condition": {"gte": 3, "field": "User"},
    }
    rules = load(tmp_path, spray)
    users = ["Bob", "bob", None, "carl"]
    assert run(rules, *(ev(s, Action="fail", User=u) for s, u in enumerate(users))) == []
    assert (
        len(run(rules, *(ev(s, Action="fail", User=u) for s, u in enumerate([*users, "an"])))) == 1
    )


def test_group_by_ignores_case_and_events_without_the_field_form_no_group(tmp_path: Path) -> None:
    rules = load(tmp_path, brute_force())
    found = run(
        rules, *(ev(s, Action="fail", User=u) for s, u in enumerate(["Admin", "admin", "ADMIN"]))
    )
    assert [m.group for m in found] == [{"User": "Admin"}]
    assert run(rules, *(ev(s, Action="fail") for s in range(5))) == []


@pytest.mark.parametrize(
    ("correlation", "reason"),
    [
        (
            {
                "type": "event_count",
                "rules": ["rule_a", "rule_a"],
                "timespan": "1m",
                "condition": {"gte": 2},
            },
            "twice",
        ),
        (
            {
                "type": "value_sum",
                "rules": ["rule_a"],
                "timespan": "1m",
                "condition": {"gte": 2, "field": "n"},
            },
            "value_sum",
        ),
        (
            {
                "type": "event_count",
                "rules": ["rule_a"],
                "timespan": "1m",
                "condition": {"gt": 1, "lte": "many"},
            },
            "whole number",
        ),
    ],
)
def test_correlations_socctl_cannot_evaluate_are_load_errors(
    tmp_path: Path, correlation: dict[str, Any], reason: str
) -> None:
    errors = load_errors(tmp_path, correlation, A)
    assert len(errors) == 1 and reason in errors[0]


def chained(**outer: Any) -> list[dict[str, Any]]:
    many = {
        "title": "Many failed logons",
        "name": "many_failed",
        "correlation": brute_force(count=3, span="1m"),
    }
    then = {
        "title": "Success after many failed logons",
        "correlation": {
            "type": "temporal_ordered",
            "rules": ["many_failed", "ok_logon"],
            "group-by": ["User"],
            "timespan": "1m",
            **outer,
        },
    }
    return [FAILED, SUCCESS, many, then]


def test_a_correlation_can_reference_another_correlation(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(yaml.safe_dump_all(chained()), encoding="utf-8")
    rules = load_rules([tmp_path / "rules.yml"], cache_dir=None, use_cache=False)
    assert not rules.errors, rules.errors
    events = [
        *(ev(s, Action="fail", User="an") for s in (0, 1, 2)),
        ev(5, Action="ok", User="binh"),
        ev(10, Action="ok", User="an"),
    ]
    found = run(rules, *events)
    assert [(m.rule.title, m.group) for m in found] == [
        ("Success after many failed logons", {"User": "an"})
    ]
    inner, success = found[0].events
    assert inner.data["correlation"] == "Many failed logons" and inner.data["count"] == 3
    assert success.ref == "10"
    assert run(rules, *events[1:]) == []  # two failures only: the inner correlation never fired


def test_a_referenced_correlation_alerts_itself_only_with_generate(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(
        yaml.safe_dump_all(chained(generate=True)), encoding="utf-8"
    )
    rules = load_rules([tmp_path / "rules.yml"], cache_dir=None, use_cache=False)
    events = [*(ev(s, Action="fail", User="an") for s in (0, 1, 2)), ev(10, Action="ok", User="an")]
    assert [m.rule.title for m in run(rules, *events)] == [
        "Many failed logons",
        "Success after many failed logons",
    ]


def test_correlations_referring_to_each_other_in_a_loop_are_load_errors(tmp_path: Path) -> None:
    loop = [
        FAILED,
        {"title": "X", "name": "x", "correlation": {**brute_force(), "rules": ["y"]}},
        {"title": "Y", "name": "y", "correlation": {**brute_force(), "rules": ["x"]}},
        {"title": "Z", "correlation": {**brute_force(), "rules": ["y"]}},
    ]
    (tmp_path / "rules.yml").write_text(yaml.safe_dump_all(loop), encoding="utf-8")
    rules = load_rules([tmp_path / "rules.yml"], cache_dir=None, use_cache=False)
    reasons = [e.reason for e in rules.errors]
    assert len(reasons) == 3 and all(r.correlation is None for r in rules.rules)
    assert ["itself" in r for r in reasons] == [True, True, False]  # X, Y; then Z refers to Y
