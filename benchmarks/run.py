"""Detection benchmarks: whole-process wall time, events per second and peak memory per input format.

Prepares (once, under benchmarks/data/, git-ignored) the SigmaHQ rule tree from
../shared/corpus/sigmahq-rules.tar.gz, a synthetic EVTX set and seeded synthetic logs, then runs
``socctl detect run`` as a user would and measures each run from outside the process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus"
SOCCTL = [sys.executable, "-m", "socctl"]


@dataclass
class Result:
    scenario: str
    rules: str
    events: int
    wall_s: float
    cpu_s: float
    events_per_s: float
    peak_rss_mb: float
    alerts: int


def prepare(data: Path, events: int) -> dict[str, Path]:
    data.mkdir(parents=True, exist_ok=True)
    sigma = data / "sigmahq"
    if not (sigma / "rules").is_dir():
        with tarfile.open(CORPUS / "sigmahq-rules.tar.gz") as tar:
            tar.extractall(sigma, filter="data")
    evtx = data / "evtx"
    if not evtx.is_dir():
        subprocess.run(
            [
                sys.executable,
                HERE / "make_evtx.py",
                "--corpus",
                CORPUS / "sigmahq-regression",
                "--out",
                evtx,
            ],
            check=True,
        )
    for kind, name in (("windows", "windows.jsonl"), ("linux", "auth.log"), ("web", "access.log")):
        target = data / name
        if not target.is_file() or target.stat().st_mtime < (HERE / "generate.py").stat().st_mtime:
            subprocess.run(
                [
                    sys.executable,
                    HERE / "generate.py",
                    kind,
                    "--events",
                    str(events),
                    "--out",
                    data,
                ],
                check=True,
            )
    return {"sigma": sigma / "rules", "evtx": evtx, "data": data}


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """Run socctl once; return wall seconds, CPU seconds (user + system, its workers included),
    peak RSS in MB (its largest process) and alerts.

    The child is reaped with ``os.wait4``: its resource usage includes the workers it waited
    for, and nothing but socctl's own process is timed.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([*SOCCTL, *args], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        if code not in (0, 1):
            raise SystemExit(f"socctl {' '.join(args)} failed ({code}):\n{err.read().decode()}")
        out.seek(0)
        alerts = sum(1 for _ in out)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, alerts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--events", type=int, default=1_000_000, help="events per synthetic log")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each scenario (the best is kept)"
    )
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is missing: {CORPUS}")
    paths = prepare(args.data, args.events)
    sigma, evtx, data = paths["sigma"], paths["evtx"], paths["data"]
    n_evtx = int(
        subprocess.run(
            [sys.executable, "-c", _COUNT_EVTX, str(evtx)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    scenarios = [
        (
            "evtx cold (--no-cache)",
            sigma / "windows",
            ["--logs", str(evtx), "--no-cache"],
            n_evtx,
            args.repeat,
        ),
        ("evtx warm (cache)", sigma / "windows", ["--logs", str(evtx)], n_evtx, args.repeat),
        (
            "windows jsonl 1M",
            sigma / "windows",
            ["--logs", str(data / "windows.jsonl")],
            args.events,
            args.repeat,
        ),
        (
            "linux auth.log",
            sigma / "linux",
            ["--logs", str(data / "auth.log")],
            args.events,
            args.repeat,
        ),
        (
            "nginx access.log",
            sigma / "web",
            ["--logs", str(data / "access.log")],
            args.events,
            args.repeat,
        ),
    ]
    cache = Path(tempfile.mkdtemp(prefix="socctl-bench-cache-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")} | {
        "XDG_CACHE_HOME": str(cache)
    }
    results = []
    for name, rules, extra, events, repeat in scenarios:
        if args.only and args.only not in name:
            continue
        cmd = ["detect", "run", "--rules", str(rules), *extra, "--format", "ndjson"]
        if "--no-cache" not in extra:
            measure(cmd, env)  # fill the cache
        runs = [measure(cmd, env) for _ in range(repeat)]
        wall, cpu, rss, alerts = min(runs)
        n_rules = sum(1 for _ in rules.rglob("*.yml"))
        results.append(
            Result(
                name,
                f"{n_rules} ({rules.relative_to(sigma.parent)})",
                events,
                round(wall, 2),
                round(cpu, 2),
                round(events / wall),
                round(rss),
                alerts,
            )
        )
        print(
            f"{name}: {wall:.2f} s ({cpu:.2f} s CPU), {events / wall:,.0f} events/s,"
            f" peak {rss:.0f} MB, {alerts} alerts",
            flush=True,
        )
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(
        json.dumps({"machine": machine, "results": [asdict(r) for r in results]}, indent=2)
    )
    print(f"\nMachine: {machine}\n")
    print("| scenario | rules | events | wall (s) | CPU (s) | events/s | peak RSS (MB) | alerts |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.scenario} | {r.rules} | {r.events:,} | {r.wall_s} | {r.cpu_s} | {r.events_per_s:,}"
            f" | {r.peak_rss_mb} | {r.alerts:,} |"
        )


_COUNT_EVTX = """
import sys, pathlib, evtx
print(sum(1 for f in pathlib.Path(sys.argv[1]).glob('*.evtx') for _ in evtx.PyEvtxParser(str(f)).records()))
"""

if __name__ == "__main__":
    main()
