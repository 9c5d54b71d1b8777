"""``drill verify`` and ``drill score`` on a synthetic 12-day drill of 100,000 journal entries
(target: each under 5 s).

Builds (in a temporary folder) a workspace with two example systems and five keys, a signed
drill over the shipped samples, and five signed, hash-chained chains written in one pass (red:
attacks and findings; blue: detections, reports, containments; controller: verdicts), then, from
outside the process as a user runs them: ``drill verify`` (each linked chain proven by its last
signature), ``drill verify --all-signatures`` (every Ed25519 signature checked), ``drill
correlate`` once, ``drill score``, and ``drill verify`` after 1 % more entries were appended to
one chain.

    .venv/bin/python benchmarks/drill_score.py [--entries 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "drills"))

from scripted_drill import DRILL, TEAMS, build, start  # noqa: E402

from socctl.drills.journal import (  # noqa: E402
    ENTRY_ADAPTER,
    GENESIS,
    entry_hash,
    payload_bytes,
    read_head,
)
from socctl.trust.keys import load_private_key  # noqa: E402
from socctl.trust.signing import canonical_bytes  # noqa: E402
from socctl.trust.store import load_trust  # noqa: E402
from socctl.workspace import Workspace  # noqa: E402

START = datetime.fromisoformat("2026-11-20T08:00:00+07:00")
DAYS = 12
HOSTS = [("dvc-web01", "cong-dvc"), ("dc01.haiphong.gov.vn", "mang-ttdl")]
TECHNIQUES = ["T1190", "T1505.003", "T1110", "T1003.006", "T1048", "T1059.001"]


def synthetic(total: int) -> dict[str, list[dict[str, Any]]]:
    """Entries by key: 40% attacks, 40% detections, 8% reports, 8% containments, 4% findings
    and their verdicts, spread over 12 days."""
    span = DAYS * 86400
    by_key: dict[str, list[dict[str, Any]]] = {k: [] for k in TEAMS}
    steps = int(total * 0.4)
    for n in range(steps):
        at = START + timedelta(seconds=span * n / steps)
        host, system = HOSTS[n % 2]
        key = "red-a" if n % 2 else "red-b"
        by_key[key].append(
            {"kind": "attack", "step_id": f"s{n}", "technique": TECHNIQUES[n % 6], "host": host,
             "system": system, "at": at.isoformat(), "outcome": "success"}
        )  # fmt: skip
        by_key["soc-a"].append(
            {"kind": "detect", "at": (at + timedelta(minutes=5)).isoformat(), "step_id": f"s{n}"}
        )
        if n % 5 == 0:
            later = at + timedelta(hours=2)
            by_key["soc-a"].append(
                {"kind": "report", "at": later.isoformat(), "to": "Công an thành phố",
                 "incident": f"I{n}", "step_ids": [f"s{n}"]}
            )  # fmt: skip
            by_key["onsite-a"].append(
                {"kind": "contain", "at": later.isoformat(), "host": host, "system": system,
                 "step_ids": [f"s{n}"], "action": "chặn"}
            )  # fmt: skip
        if n % 20 == 0:
            by_key["red-a"].append(
                {"kind": "finding", "finding_id": f"F{n}", "title": "Lỗ hổng",
                 "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                 "criteria": {"resources": "high", "data": "low", "users": "none"},
                 "evidence": [{"sha256": "5" * 64, "name": "proof.txt"}], "host": host,
                 "system": system, "at": at.isoformat()}
            )  # fmt: skip
            by_key["ctl"].append(
                {"kind": "validate", "finding_id": f"F{n}", "verdict": "valid", "reason": "đủ"}
            )
    return by_key


def write_chains(
    ws: Path, keys: Path, by_key: dict[str, list[dict[str, Any]]], *, append: bool = False
) -> int:
    """Sign and chain every key's entries as the journal does, in one write per chain (after
    the chain's existing entries when ``append``)."""
    workspace = Workspace(ws)
    trust = load_trust(workspace)
    folder = ws / "drills" / DRILL / "journal"
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for slug, items in by_key.items():
        key = load_private_key(keys / f"{slug}.pem")
        team, role = TEAMS[slug]
        base = {
            "drill": DRILL,
            "author": trust.get(slug).entry.fingerprint,
            "role": role,
            "team": team,
        }
        path = folder / f"{slug}.jsonl"
        head = read_head(path) if append else None
        prev, first = (head.hash, head.seq + 1) if head else (GENESIS, 1)
        lines = []
        for seq, fields in enumerate(items, start=first):
            body = {**base, **fields, "seq": seq, "prev": prev, "logged_at": START.isoformat()}
            plain = ENTRY_ADAPTER.validate_python(body).model_dump(
                mode="json", exclude={"signature"}
            )
            plain = orjson.loads(canonical_bytes(plain))
            payload = payload_bytes(plain)
            plain["signature"] = base64.b64encode(key.sign(payload)).decode("ascii")
            lines.append(payload_bytes(plain))
            prev = entry_hash(lines[-1])
        with path.open("ab" if append else "wb") as handle:
            handle.write(b"\n".join(lines) + b"\n")
        written += len(items)
    return written


#: CPU seconds (user + system) of each socctl command, its worker processes included.
CPU: list[float] = []


def socctl(ws: Path, *args: str) -> float:
    """Seconds a socctl command takes (its CPU seconds go to ``CPU``); its messages (correlate
    lists every missed step) are shown only when it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "socctl", "--workspace", str(ws), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if run.returncode != 0:
        sys.exit(f"socctl {' '.join(args)} failed ({run.returncode}):\n{run.stderr[-2000:]}")
    return took


def cpu(runs: int = 1) -> str:
    """CPU seconds of the last ``runs`` commands (their median)."""
    return f"CPU {statistics.median(CPU[-runs:]):.2f} s"


def median(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="socctl-drill-score-") as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "user-cache")
        ws, keys = build(Path(tmp))
        start(ws, keys, str(REPO / "samples"))
        entries = write_chains(ws, keys, synthetic(args.entries))
        first = socctl(ws, "drill", "verify", DRILL)
        first_cpu = cpu()
        linked = [socctl(ws, "drill", "verify", DRILL) for _ in range(args.runs)]
        linked_cpu = cpu(args.runs)
        every = [socctl(ws, "drill", "verify", DRILL, "--all-signatures") for _ in range(args.runs)]
        every_cpu = cpu(args.runs)
        correlate = socctl(ws, "drill", "correlate", DRILL)
        correlate_cpu = cpu()
        times = [socctl(ws, "drill", "score", DRILL, "--format", "json") for _ in range(args.runs)]
        score_cpu = cpu(args.runs)
        more = max(1, entries // 100)
        detections = [
            {"kind": "detect", "at": START.isoformat(), "note": f"extra {n}"} for n in range(more)
        ]
        write_chains(ws, keys, {"soc-a": detections}, append=True)
        grown = socctl(ws, "drill", "verify", DRILL)
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"{entries:,} entries over {DAYS} days; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}); load average at the end {load}"
    )
    print(f"drill verify, first run after writing: {first:.2f} s ({first_cpu})")
    print(f"drill verify: {median(linked)} ({linked_cpu})")
    print(f"drill verify --all-signatures: {median(every)} ({every_cpu})")
    print(f"drill correlate once: {correlate:.2f} s ({correlate_cpu})")
    print(f"drill score --format json: {median(times)} ({score_cpu})")
    print(f"drill verify after {more:,} entries appended to one chain: {grown:.2f} s ({cpu()})")


if __name__ == "__main__":
    main()
