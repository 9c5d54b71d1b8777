"""Events, matches and workspaces built by hand for the log-store and alert tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from socctl.detection.event import Event
from socctl.detection.match import Match, RuleInfo
from socctl.workspace import Workspace, init_workspace

T0 = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


def logon_failure(n: int, *, user: str = "admin", host: str = "dc01.haiphong.gov.vn") -> Event:
    """A Windows 4625 (failed logon) event, ``n`` seconds after T0."""
    fields = {
        "Channel": "Security",
        "EventID": 4625,
        "Computer": host,
        "TargetUserName": user,
        "IpAddress": "10.0.0.9",
    }
    return Event(
        fields=fields,
        data={"Event": {"System": {"EventID": 4625, "Computer": host}, "EventData": fields}},
        source="/evidence/Security.evtx",
        ref=str(n),
        kind="windows",
        timestamp=T0 + timedelta(seconds=n),
    )


def rule(level: str = "high", rule_id: str = "r-1") -> RuleInfo:
    return RuleInfo(
        id=rule_id,
        title="Failed logon",
        level=level,
        status="test",
        tags=("attack.credential_access", "attack.t1110"),
        techniques=("T1110",),
    )


def match(event: Event, level: str = "high", rule_id: str = "r-1") -> Match:
    return Match(rule=rule(level, rule_id), events=[event])


FAILED_LOGON_RULE = """
title: Failed logon
id: 5b0f6f4e-0c6a-4a8e-9d6c-000000004625
status: test
level: high
tags: [attack.credential_access, attack.t1110]
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
"""

SPRAY_RULE = """
title: Password spraying
id: 5b0f6f4e-0c6a-4a8e-9d6c-00000000c0a1
status: test
level: critical
correlation:
    type: event_count
    rules: [5b0f6f4e-0c6a-4a8e-9d6c-000000004625]
    group-by: [Computer]
    timespan: 10m
    condition: {gte: 3}
"""


def write_rules(folder: Path, *texts: str) -> Path:
    """Sigma rule files in ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, text in enumerate(texts):
        (folder / f"rule{n}.yml").write_text(text, encoding="utf-8")
    return folder


SOCCTL = [sys.executable, "-m", "socctl"]


def evtx_json_line(n: int, event_id: int = 4625, user: str = "admin") -> str:
    """One evtx_dump-style JSON line, ``n`` seconds after T0."""
    stamp = (T0 + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
    record = {
        "Event": {
            "System": {
                "EventID": event_id,
                "Channel": "Security",
                "Computer": "dc01.haiphong.gov.vn",
                "TimeCreated": {"#attributes": {"SystemTime": stamp}},
            },
            "EventData": {"TargetUserName": user, "IpAddress": "10.0.0.9"},
        }
    }
    return json.dumps(record) + "\n"


def write_log(path: Path, seconds: Iterable[int], event_id: int = 4625) -> Path:
    path.write_text("".join(evtx_json_line(n, event_id) for n in seconds), encoding="utf-8")
    return path


def socctl(
    *args: str | Path, cwd: Path, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess, without any workspace from the environment."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")}
    result = subprocess.run(
        [*SOCCTL, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**environ, **(env or {})},
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def ndjson(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
