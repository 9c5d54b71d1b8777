"""``socctl logs ingest --cluster`` against a real node: every input format, ECS documents the
Elasticsearch pipelines match, nothing added twice, rejected documents reported, faults."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from subprocess_cli import socctl

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
REGRESSION = ROOT.parent / "shared" / "corpus" / "sigmahq-regression"


def ingest(url: str, index: str, *paths: Path, cwd: Path) -> tuple[dict[str, Any], str]:
    """Run an ingest; its one result row and its stderr."""
    result = socctl(
        "logs", "ingest", *paths, "--cluster", url, "--index", index, "-f", "json", cwd=cwd
    )
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    return row, result.stderr


def get(url: str) -> Any:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def count(url: str, index: str, query: str | None = None) -> int:
    search = f"?q={urllib.request.quote(query)}" if query else ""
    return int(get(f"{url}/{index}/_count{search}")["count"])


def unique(name: str) -> str:
    return f"t-{name}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("folder", sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()))
def test_every_sample_format_is_loaded_once_and_a_second_ingest_adds_nothing(
    cluster_url: str, tmp_path: Path, folder: str
) -> None:
    index = unique(folder)
    first, _ = ingest(cluster_url, index, SAMPLES / folder, cwd=tmp_path)
    assert first["read"] > 0
    assert (first["added"], first["duplicates"], first["rejected"]) == (first["read"], 0, 0)
    assert count(cluster_url, index) == first["read"]

    second, _ = ingest(cluster_url, index, SAMPLES / folder, cwd=tmp_path)
    assert (second["added"], second["duplicates"]) == (0, first["read"])
    assert count(cluster_url, index) == first["read"]


def test_windows_events_carry_the_ecs_fields_the_sigma_pipelines_query(
    cluster_url: str, tmp_path: Path
) -> None:
    index = unique("sysmon")
    row, _ = ingest(
        cluster_url, index, SAMPLES / "windows" / "dvc-app02-sysmon.jsonl", cwd=tmp_path
    )
    sysmon_1 = count(cluster_url, index, "event.code:1")
    assert 0 < sysmon_1 < row["read"]
    assert (
        count(cluster_url, index, 'winlog.channel:"Microsoft-Windows-Sysmon/Operational"')
        == row["read"]
    )
    # Sigma's Image maps to process.executable(.caseless); the original name is kept too.
    hit = get(f"{cluster_url}/{index}/_search?size=1&q=event.code:1")["hits"]["hits"][0]["_source"]
    image = hit["winlog"]["event_data"]["Image"]
    assert hit["process"]["executable"] == image
    assert hit["host"]["name"] == hit["winlog"]["computer_name"]
    # Keyword fields match case-insensitively, as Sigma does.
    name = image.rsplit("\\", 1)[-1]
    upper = count(cluster_url, index, f"process.executable.caseless:*\\\\{name.upper()}")
    assert upper == count(cluster_url, index, f"process.executable:*\\\\{name.lower()}") > 0


@pytest.mark.corpus
def test_evtx_and_evtx_json_regression_samples_are_loaded(cluster_url: str, tmp_path: Path) -> None:
    if not REGRESSION.is_dir():
        pytest.skip("no SigmaHQ regression samples beside the repository")
    sample = next(p for p in sorted(REGRESSION.iterdir()) if (p / "events.evtx").is_file())
    index = unique("evtx")
    row, _ = ingest(
        cluster_url, index, sample / "events.evtx", sample / "events.json", cwd=tmp_path
    )
    assert row["files"] == 2 and row["rejected"] == 0
    # The .evtx and its JSON export hold the same events, told apart by their source file.
    assert count(cluster_url, index) == row["read"] == row["added"]
    assert count(cluster_url, index, "log.file.path:*evtx") * 2 == row["read"]


def test_documents_the_cluster_refuses_are_counted_and_named(
    cluster_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "app.jsonl"
    lines = [
        {"timestamp": "2026-03-01T08:00:00Z", "user": {"name": "an"}, "action": "login"},
        {"timestamp": "2026-03-01T08:00:01Z", "user": "binh", "action": "login"},
        {"timestamp": "2026-03-01T08:00:02Z", "user": {"name": "chi"}, "action": "logout"},
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    index = unique("conflict")
    row, stderr = ingest(cluster_url, index, log, cwd=tmp_path)
    assert (row["read"], row["added"], row["rejected"]) == (3, 2, 1)
    (warning,) = [line for line in stderr.splitlines() if "rejected" in line]
    assert "user" in warning and "Traceback" not in stderr
    assert count(cluster_url, index) == 2


def test_an_unreachable_cluster_is_one_line_exit_4_without_the_password(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://analyst:s3cret-pw@127.0.0.1:{port}"
    log = SAMPLES / "linux" / "dvc-web01-auth.log"
    for args in (("logs", "ingest", log, "--index", "x"), ("logs", "indices")):
        result = socctl(*args, "--cluster", url, cwd=tmp_path)
        assert result.returncode == 4, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert f"127.0.0.1:{port}" in result.stderr and "refused" in result.stderr
        assert "s3cret" not in result.stderr + result.stdout


def test_a_missing_input_path_fails_before_any_index_is_created(
    cluster_url: str, tmp_path: Path
) -> None:
    index = unique("missing")
    result = socctl(
        "logs",
        "ingest",
        tmp_path / "nope.log",
        "--cluster",
        cluster_url,
        "--index",
        index,
        cwd=tmp_path,
    )
    assert result.returncode == 3, result.stderr
    assert "nope.log" in result.stderr
    with pytest.raises(urllib.error.HTTPError):
        get(f"{cluster_url}/{index}")
