"""The pipeline ``detect run --cluster`` takes from an index pattern's mapping when no
``--pipeline`` is given: Winlogbeat's and Elastic Agent's ``winlog`` object, Wazuh's
``data.win``, neither, or both (refused)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from subprocess_cli import socctl

from socctl.errors import UsageError
from socctl.store.cluster.convert import check_pipeline, pipeline_for_mapping

DATE = {"type": "date"}
KEYWORD = {"type": "keyword"}
#: Index mappings as ``GET <pattern>/_mapping`` answers them (the fields that decide).
WINLOGBEAT = {"properties": {"@timestamp": DATE, "winlog": {"properties": {"channel": KEYWORD}}}}
WAZUH = {
    "properties": {
        "timestamp": DATE,
        "agent": {"properties": {"name": KEYWORD}},
        "data": {"properties": {"win": {"properties": {"system": {"properties": {}}}}}},
    }
}
WAZUH_LINUX = {"properties": {"timestamp": DATE, "data": {"properties": {"srcip": KEYWORD}}}}
PLAIN = {"properties": {"@timestamp": DATE, "message": {"type": "text"}}}


def indices(*mappings: dict[str, Any]) -> dict[str, Any]:
    return {f"index-{n}": {"mappings": m} for n, m in enumerate(mappings)}


@pytest.mark.parametrize(
    ("mapping", "chosen"),
    [
        (indices(WINLOGBEAT), ("winlogbeat", "winlog")),
        (indices(WAZUH), ("wazuh", "data.win")),
        # a day of Wazuh alerts without Windows events next to one with them
        (indices(WAZUH_LINUX, WAZUH), ("wazuh", "data.win")),
        (indices(WAZUH_LINUX), ("none", "neither")),
        (indices(PLAIN, PLAIN), ("none", "neither")),
    ],
)
def test_the_pipeline_follows_the_fields_of_the_indices(
    mapping: dict[str, Any], chosen: tuple[str, str]
) -> None:
    assert pipeline_for_mapping(mapping, "logs-*") == chosen


def test_winlogbeat_and_wazuh_indices_under_one_pattern_are_refused_in_one_line() -> None:
    with pytest.raises(UsageError) as caught:
        pipeline_for_mapping(indices(WINLOGBEAT, WAZUH), "*")
    assert "'*' hold both Winlogbeat (winlog) and Wazuh (data.win)" in str(caught.value)
    assert "--pipeline" in (caught.value.hint or "")


def test_wazuh_is_a_pipeline_the_option_takes() -> None:
    assert check_pipeline("wazuh") == "wazuh"
    with pytest.raises(UsageError, match="unknown pipeline 'wazuh4'"):
        check_pipeline("wazuh4")


@pytest.mark.parametrize("continuous", [(), ("--every", "1m")], ids=["once", "every"])
def test_an_unknown_pipeline_is_refused_before_the_cluster_is_reached(
    tmp_path: Path, continuous: tuple[str, ...]
) -> None:
    assert socctl("init", tmp_path / "ws").returncode == 0
    result = socctl(
        "detect", "run", "--cluster", "http://127.0.0.1:9", "--index", "logs",
        "--pipeline", "winlog", *continuous, cwd=tmp_path / "ws",
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "unknown pipeline 'winlog'" in line and "winlogbeat, ecs_windows" in line
    assert "cannot reach" not in line
