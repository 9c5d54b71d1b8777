"""``drill plan`` for 300 level-3+ systems with freeze windows and agency unavailability.

Builds (in a temporary folder) a workspace of synthetic operating systems of levels 3-5 owned by
20 agencies, a ``drills/planning.yaml`` with a freeze window for every third system, two
unavailable spells per agency, drill lengths of 5-12 working days and a history for half the
systems, then times ``socctl drill plan --year 2027`` from outside the process, as a user runs it.

    .venv/bin/python benchmarks/drill_plan.py [--systems 300] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import yaml

SOCCTL = Path(sys.executable).with_name("socctl")


def build(root: Path, count: int) -> None:
    subprocess.run([str(SOCCTL), "init", str(root)], check=True, capture_output=True)
    agencies = [f"Cơ quan {n:02}" for n in range(20)]
    systems: dict[str, dict[str, object]] = {}
    history = []
    for n in range(count):
        sid = f"he-thong-{n:03}"
        data = {
            "id": sid,
            "name": f"Hệ thống {n:03}",
            "owner": agencies[n % len(agencies)],
            "operator": "Trung tâm dữ liệu",
            "status": "operating",
            "classification": {"designated_level": 3 + n % 3},
        }
        (root / "systems" / f"{sid}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
        rules: dict[str, object] = {"drill_days": 5 + n % 8}
        if n % 3 == 0:
            first = date(2027, 1, 1) + timedelta(days=(n * 7) % 300)
            rules["freeze"] = [{"start": first, "end": first + timedelta(days=30)}]
        systems[sid] = rules
        if n % 2:
            history.append({"system": sid, "date": date(2025, 1, 1) + timedelta(days=n * 2)})
    unavailable = {
        agency: {
            "unavailable": [
                {
                    "start": date(2027, 3, 1) + timedelta(days=9 * i),
                    "end": date(2027, 3, 10) + timedelta(days=9 * i),
                },
                {
                    "start": date(2027, 8, 1) + timedelta(days=5 * i),
                    "end": date(2027, 8, 14) + timedelta(days=5 * i),
                },
            ]
        }
        for i, agency in enumerate(agencies)
    }
    config = {
        "drill_days": 10,
        "max_parallel": 16,
        "red_team": {"drills_per_week": 24},
        "agencies": unavailable,
        "systems": systems,
        "history": history,
    }
    (root / "drills" / "planning.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="socctl-bench-plan-") as tmp:
        root = Path(tmp) / "ws"
        build(root, args.systems)
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            done = subprocess.run(
                [
                    str(SOCCTL),
                    "--workspace",
                    str(root),
                    "drill",
                    "plan",
                    "--year",
                    "2027",
                    "-f",
                    "json",
                ],
                capture_output=True,
                text=True,
            )
            times.append(time.perf_counter() - began)
            if done.returncode:
                sys.exit(f"drill plan failed: {done.stderr.strip()}")
        status = yaml.safe_load((root / "drills" / "2027" / "plan.yaml").read_text())[
            "solver_status"
        ]
        print(
            f"drill plan: {args.systems} systems, solver {status}: "
            f"best {min(times):.2f} s, median {statistics.median(times):.2f} s over {args.runs} runs"
        )


if __name__ == "__main__":
    main()
