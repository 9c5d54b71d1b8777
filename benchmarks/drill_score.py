"""``drill score`` on a synthetic 12-day drill of 100,000 journal entries (target: under 5 s).

Builds (in a temporary folder) a workspace with two example systems and five keys, a signed
drill over the shipped samples, and five signed, hash-chained chains written in one pass (red:
attacks and findings; blue: detections, reports, containments; controller: verdicts), then runs
``drill correlate`` once and times ``drill score`` from outside the process, as a user runs it.

    .venv/bin/python benchmarks/drill_score.py [--entries 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import base64
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

from socctl.drills.journal import ENTRY_ADAPTER, GENESIS, entry_hash, payload_bytes  # noqa: E402
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


def write_chains(ws: Path, keys: Path, by_key: dict[str, list[dict[str, Any]]]) -> int:
    """Sign and chain every key's entries as the journal does, in one write per chain."""
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
        prev, lines = GENESIS, []
        for seq, fields in enumerate(items, start=1):
            body = {**base, **fields, "seq": seq, "prev": prev, "logged_at": START.isoformat()}
            plain = ENTRY_ADAPTER.validate_python(body).model_dump(
                mode="json", exclude={"signature"}
            )
            plain = orjson.loads(canonical_bytes(plain))
            payload = payload_bytes(plain)
            prev = entry_hash(payload)
            plain["signature"] = base64.b64encode(key.sign(payload)).decode("ascii")
            lines.append(payload_bytes(plain))
        (folder / f"{slug}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        written += len(items)
    return written


def socctl(ws: Path, *args: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "socctl", "--workspace", str(ws), *args],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="socctl-drill-score-") as tmp:
        ws, keys = build(Path(tmp))
        start(ws, keys, str(REPO / "samples"))
        entries = write_chains(ws, keys, synthetic(args.entries))
        correlate = socctl(ws, "drill", "correlate", DRILL)
        times = [socctl(ws, "drill", "score", DRILL, "--format", "json") for _ in range(args.runs)]
    print(
        f"drill score, {entries:,} entries over {DAYS} days: median {statistics.median(times):.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in times)}; correlate once {correlate:.2f} s)"
    )


if __name__ == "__main__":
    main()
