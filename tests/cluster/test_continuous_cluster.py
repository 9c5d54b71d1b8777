"""``detect run --cluster --every`` against the real node: per-rule checkpoints in the cluster, new
events found in the next cycle and nothing reported twice, and a run killed with SIGKILL in the
middle of a cycle resumed by the next run with no alert lost or written twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from subprocess_cli import socctl

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = ROOT / "samples" / "windows"
SYSMON = WINDOWS / "dvc-app02-sysmon.jsonl"
RULE = """\
title: comsvcs MiniDump
id: 33333333-4444-5555-6666-777777777777
status: test
logsource: {product: windows, category: process_creation}
detection:
  sel:
    CommandLine|contains|all: ['comsvcs.dll', 'minidump']
  condition: sel
level: high
"""


def call(url: str, body: Any = None, method: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"}, method=method)
    with urllib.request.urlopen(request) as response:
        return json.load(response)


Start = Callable[..., subprocess.Popen[str]]


@pytest.fixture
def start() -> Iterator[Start]:
    """Starts ``socctl detect run ARGS -f ndjson`` in the background; a run still going when the
    test ends (it failed before stopping it) is killed."""
    running: list[subprocess.Popen[str]] = []

    def launch(*args: str | Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "socctl", "detect", "run", *map(str, args), "-f", "ndjson"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        running.append(process)
        return process

    yield launch
    for process in running:
        if process.poll() is None:
            process.kill()
            process.communicate()


def wait_line(stream: IO[str], wanted: str, seen: list[str], timeout: float = 120) -> str:
    """The next line of ``stream`` holding ``wanted`` (the lines read are kept in ``seen``)."""
    limit = time.monotonic() + timeout
    while time.monotonic() < limit:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if wanted in line:
            return line
    raise AssertionError(f"no line with {wanted!r} in:\n{''.join(seen)}")


def ids(text: str) -> list[str]:
    return [json.loads(line)["alert_id"] for line in text.splitlines() if line.strip()]


def stored(url: str, prefix: str) -> list[str]:
    call(f"{url}/{prefix}-*/_refresh", {}, "POST")
    answer = call(f"{url}/{prefix}-*/_search", {"size": 1000, "_source": False})
    return [hit["_id"] for hit in answer["hits"]["hits"]]


def checkpoints(url: str, prefix: str) -> int:
    try:
        call(f"{url}/{prefix}.checkpoints/_refresh", {}, "POST")
        return int(call(f"{url}/{prefix}.checkpoints/_count")["count"])
    except urllib.error.HTTPError:
        return 0  # not created yet


@pytest.fixture(scope="module")
def workspace(opensearch_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A workspace and a fresh index holding the Windows samples."""
    ws = tmp_path_factory.mktemp("ws")
    index = f"t-cont-{uuid.uuid4().hex[:8]}"
    assert socctl("init", ws, cwd=ws, env={}).returncode == 0
    result = socctl(
        "logs", "ingest", WINDOWS, "--cluster", opensearch_url, "--index", index, cwd=ws, env={}
    )
    assert result.returncode == 0, result.stderr
    return ws, index


def test_a_run_killed_mid_cycle_resumes_with_no_alert_lost_or_written_twice(
    opensearch_url: str, workspace: tuple[Path, str], start: Start
) -> None:
    ws, index = workspace
    url = opensearch_url
    prefix = f"t-alerts-{uuid.uuid4().hex[:8]}"
    # One rule per msearch: a commit (alerts, then checkpoints) after each, so a kill lands mid-run.
    env = {"SOCCTL_ELASTICSEARCH__ALERTS_INDEX": prefix, "SOCCTL_ELASTICSEARCH__BATCH_SIZE": "1"}
    reference = socctl(
        "detect", "run", "--cluster", url, "--index", index, "-f", "ndjson",
        cwd=ws, env={**env, "SOCCTL_ELASTICSEARCH__ALERTS_INDEX": f"ref-{prefix}"},
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr
    expected = ids(reference.stdout)
    assert len(expected) >= 10 and len(set(expected)) == len(expected)

    killed = start("--cluster", url, "--index", index, "--every", "1s", cwd=ws, env=env)
    limit = time.monotonic() + 120
    while checkpoints(url, prefix) == 0 and killed.poll() is None and time.monotonic() < limit:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    first_out, first_err = killed.communicate(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    assert "summary:" not in first_err, "the kill came after the first cycle ended"
    rules = 45  # the shipped Windows rules and correlations, each with its checkpoint
    done = checkpoints(url, prefix)
    assert 0 < done < rules, f"{done} checkpoints: the kill did not land mid-cycle"
    before = stored(url, prefix)
    assert set(before) <= set(expected)  # all, when the rules left had no alert

    resumed = start("--cluster", url, "--index", index, "--every", "1s", cwd=ws, env=env)
    assert resumed.stderr is not None
    seen: list[str] = []
    summary = wait_line(resumed.stderr, "summary:", seen)
    resumed.send_signal(signal.SIGTERM)
    second_out, second_err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, "".join(seen) + second_err
    assert f"rules {rules} run" in summary

    # The alerts index holds every alert once: those of the killed run and the rest.
    after = stored(url, prefix)
    assert sorted(after) == sorted(expected)
    assert f"new in alert store {len(expected) - len(before)}" in summary
    # Printed: nothing twice, nothing that is not an alert of the window.
    printed = ids(first_out) + ids(second_out)
    assert len(printed) == len(set(printed)) and set(printed) <= set(expected)
    assert set(ids(second_out)) == set(expected) - set(before)
    assert checkpoints(url, prefix) == rules


def test_each_cycle_reports_only_the_alerts_of_events_new_since_its_checkpoints(
    opensearch_url: str, workspace: tuple[Path, str], tmp_path: Path, start: Start
) -> None:
    ws, index = workspace
    url = opensearch_url
    prefix = f"t-alerts-{uuid.uuid4().hex[:8]}"
    rule = tmp_path / "minidump.yml"
    rule.write_text(RULE, encoding="utf-8")
    env = {"SOCCTL_ELASTICSEARCH__ALERTS_INDEX": prefix}
    args = ("--cluster", url, "--index", index, "--rules", rule, "--every", "1s")
    run = start(*args, "--lookback", "5m", cwd=ws, env=env)
    assert run.stderr is not None and run.stdout is not None
    seen: list[str] = []
    try:
        assert "new in alert store 1" in wait_line(run.stderr, "summary:", seen)
        first = json.loads(run.stdout.readline())
        assert first["timestamp"].startswith("2026-11-20")
        assert "new in alert store 0" in wait_line(run.stderr, "summary:", seen)

        # An event of a minute ago, searchable only now: inside the lookback, so read.
        line = next(x for x in SYSMON.open(encoding="utf-8") if "MiniDump" in x)
        when = datetime.now(UTC) - timedelta(minutes=1)
        late = line.replace("2026-11-20T20:06:12.000000Z", when.isoformat().replace("+00:00", "Z"))
        late = late.replace("2026-11-20 20:06:12.000", when.strftime("%Y-%m-%d %H:%M:%S.000"))
        late = late.replace('"EventRecordID": 1204879', '"EventRecordID": 99')
        (tmp_path / "late.jsonl").write_text(late, encoding="utf-8")
        ingest = ("logs", "ingest", tmp_path / "late.jsonl", "--cluster", url, "--index", index)
        assert socctl(*ingest, cwd=ws, env={}).returncode == 0

        assert "new in alert store 1" in wait_line(run.stderr, "new in alert store 1", seen)
        second = json.loads(run.stdout.readline())
        assert second["timestamp"][:16] == when.isoformat()[:16]
        # The next cycles read the new event again (lookback) and report nothing.
        assert "new in alert store 0" in wait_line(run.stderr, "summary:", seen)
    finally:
        run.send_signal(signal.SIGTERM)
        rest, _ = run.communicate(timeout=60)
    assert run.returncode == 0
    assert ids(rest) == []
    assert sorted(stored(url, prefix)) == sorted([first["alert_id"], second["alert_id"]])
