"""socctl against Zircolite on the same SigmaHQ Windows rules and logs, measured side by side.

Zircolite is not on PyPI: give the folder holding its ``zircolite.py`` (2.x command line:
``--noexternal`` for the pyevtx bindings, ``-c DIR/config/fieldMappings.json``) with ``--zircolite
DIR`` or ``ZIRCOLITE=DIR`` (its Python: ``DIR/.venv/bin/python`` if present, else
``--zircolite-python``; its requirements there, pySigma's SQLite backend and the sysmon and windows
pipelines included). Each scenario runs both tools alternately (socctl, Zircolite, socctl, ...)
so that the load of a shared machine falls on both alike; medians are reported, with each socctl
figure as a ratio to Zircolite's. Times and peak memory are measured from outside each process
(``os.wait4``: wall seconds, CPU seconds of the process and the workers it waited for, largest
resident set).

Scenarios (data prepared by ``run.py``'s ``prepare`` under ``--data``):

- ``evtx cold``: socctl ``--no-cache`` against Zircolite converting the YAML rules (pySigma SQLite
  backend, pipelines ``sysmon`` + ``windows-logsources``, as its documentation shows);
- ``evtx warm``: socctl with its rule cache against Zircolite with the same rules already converted
  (``-r ruleset.json``, saved once with ``--save-ruleset``): each tool's own way not to convert again;
- per phase: conversion = cold - warm, the rest = warm;
- ``jsonl N``: N evtx_dump JSON lines (``--json-input``), warm, for peak memory; ``--memory-only-socctl``
  sizes (e.g. 1M) run socctl alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CORPUS, HERE, SOCCTL

PIPELINES = ["-p", "sysmon", "-p", "windows-logsources"]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


@dataclass
class Pair:
    scenario: str
    events: int
    socctl: list[Run] = field(default_factory=list)
    zircolite: list[Run] = field(default_factory=list)


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> Run:
    """Run ``cmd`` to the end (its output to a scratch file); wall, CPU and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err.read().decode()[-3000:]}")
    return Run(round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2), usage.ru_maxrss / 1024)


def median(runs: list[Run], attribute: str) -> float:
    return statistics.median(getattr(r, attribute) for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--zircolite", type=Path, default=os.environ.get("ZIRCOLITE"))
    parser.add_argument("--zircolite-python", type=Path)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each tool per scenario")
    parser.add_argument("--memory-events", type=int, nargs="*", default=[80_000])
    parser.add_argument("--memory-only-socctl", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--only", help="run only scenarios whose name contains this")
    args = parser.parse_args()
    if args.zircolite is None or not (args.zircolite / "zircolite.py").is_file():
        raise SystemExit(
            "give Zircolite's folder (holding zircolite.py): --zircolite DIR or ZIRCOLITE=DIR"
        )
    zpython = args.zircolite_python or (
        args.zircolite / ".venv" / "bin" / "python"
        if (args.zircolite / ".venv" / "bin" / "python").is_file()
        else Path(sys.executable)
    )
    zircolite = [str(zpython), str(args.zircolite / "zircolite.py")]
    config = ["-c", str(args.zircolite / "config" / "fieldMappings.json")]
    if not CORPUS.is_dir():
        raise SystemExit(f"the corpus is missing: {CORPUS}")
    rules, evtx = _prepare(args.data)
    work = Path(tempfile.mkdtemp(prefix="socctl-vs-zircolite-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCCTL_")} | {
        "XDG_CACHE_HOME": str(work / "cache")
    }
    ruleset = work / "ruleset.json"
    saved = _save_ruleset([*zircolite, *config], rules, evtx, work, env)
    shutil.move(saved, ruleset)

    def socctl(logs: Path, *extra: str) -> list[str]:
        out = ["detect", "run", "--rules", str(rules), "--logs", str(logs), "-f", "ndjson"]
        return [*SOCCTL, *out, *extra]

    def zirco(logs: Path, rule_arg: Path, *extra: str) -> list[str]:
        out = ["-e", str(logs), "-r", str(rule_arg), "-o", str(work / "zircolite.json")]
        return [
            *zircolite,
            *out,
            "--noexternal",
            *config,
            "-l",
            str(work / "zircolite.log"),
            *extra,
        ]

    n_evtx = _count_evtx(evtx)
    scenarios: list[tuple[str, int, list[str] | None, list[str] | None]] = [
        ("evtx cold", n_evtx, socctl(evtx, "--no-cache"), zirco(evtx, rules, *PIPELINES)),
        ("evtx warm", n_evtx, socctl(evtx), zirco(evtx, ruleset)),
    ]
    for size in [*args.memory_events, *args.memory_only_socctl]:
        lines = _jsonl(args.data, size)
        with_z = size in args.memory_events
        scenarios.append(
            (
                f"jsonl {size:,}",
                size,
                socctl(lines),
                zirco(lines, ruleset, "--json-input") if with_z else None,
            )
        )
    subprocess.run(socctl(evtx), cwd=work, env=env, capture_output=True, check=False)  # fill cache
    pairs = []
    for name, events, ours, theirs in scenarios:
        if args.only and args.only not in name:
            continue
        pair = Pair(name, events)
        for _ in range(args.repeat if theirs is not None else 1):
            pair.socctl.append(timed(ours, work, env))
            if theirs is not None:
                pair.zircolite.append(timed(theirs, work, env))
            print(name, pair.socctl[-1], pair.zircolite[-1] if pair.zircolite else "", flush=True)
        pairs.append(pair)
    report(pairs)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "zircolite.json").write_text(
        json.dumps({"machine": machine(), "pairs": [asdict(p) for p in pairs]}, indent=2)
    )
    shutil.rmtree(work, ignore_errors=True)


def _prepare(data: Path) -> tuple[Path, Path]:
    """The SigmaHQ Windows rules and the synthetic EVTX set (as ``run.py`` prepares them)."""
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
    return sigma / "rules" / "windows", evtx


def _save_ruleset(
    zircolite: list[str], rules: Path, evtx: Path, work: Path, env: dict[str, str]
) -> Path:
    """Convert the rules once with ``--save-ruleset`` (Zircolite writes ``ruleset-*.json`` in cwd)."""
    sample = next(evtx.glob("*.evtx"))
    subprocess.run(
        [*zircolite, "-e", str(sample), "-r", str(rules), *PIPELINES, "-sr", "--noexternal"],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
    )
    return next(work.glob("ruleset-*.json"))


def _count_evtx(folder: Path) -> int:
    code = "import sys,pathlib,evtx;print(sum(1 for f in pathlib.Path(sys.argv[1]).glob('*.evtx') for _ in evtx.PyEvtxParser(str(f)).records()))"
    return int(
        subprocess.run(
            [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=True
        ).stdout
    )


def _jsonl(data: Path, size: int) -> Path:
    """``size`` evtx_dump JSON lines of the seeded Windows generator (``generate.py``)."""
    target = data / f"windows-{size}" / "windows.jsonl"
    if not target.is_file():
        subprocess.run(
            [
                sys.executable,
                HERE / "generate.py",
                "windows",
                "--events",
                str(size),
                "--out",
                target.parent,
            ],
            check=True,
        )
    return target


def machine() -> str:
    load = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}, load average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}"
    )


def report(pairs: list[Pair]) -> None:
    print(f"\nMachine: {machine()}; medians of alternating runs\n")
    print(
        "| scenario | events | socctl wall / CPU (s) | Zircolite wall / CPU (s) | wall ratio | CPU ratio | socctl peak RSS (MB) | Zircolite peak RSS (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    by_name = {p.scenario: p for p in pairs}
    for p in pairs:
        sw, sc, sm = (median(p.socctl, a) for a in ("wall_s", "cpu_s", "peak_rss_mb"))
        if p.zircolite:
            zw, zc, zm = (median(p.zircolite, a) for a in ("wall_s", "cpu_s", "peak_rss_mb"))
            print(
                f"| {p.scenario} | {p.events:,} | {sw:.2f} / {sc:.2f} | {zw:.2f} / {zc:.2f} | {zw / sw:.1f}× | {zc / sc:.1f}× | {sm:.0f} | {zm:.0f} |"
            )
        else:
            print(
                f"| {p.scenario} | {p.events:,} | {sw:.2f} / {sc:.2f} | – | – | – | {sm:.0f} | – |"
            )
    cold, warm = by_name.get("evtx cold"), by_name.get("evtx warm")
    if cold and warm and cold.zircolite and warm.zircolite:
        for label, attr in (("wall", "wall_s"), ("CPU", "cpu_s")):
            s_conv = median(cold.socctl, attr) - median(warm.socctl, attr)
            z_conv = median(cold.zircolite, attr) - median(warm.zircolite, attr)
            print(
                f"\nphase, {label}: rule conversion (cold - warm) socctl {s_conv:.2f} s, Zircolite"
                f" {z_conv:.2f} s ({z_conv / max(s_conv, 0.01):.1f}×); the rest (warm run) socctl"
                f" {median(warm.socctl, attr):.2f} s, Zircolite {median(warm.zircolite, attr):.2f} s"
                f" ({median(warm.zircolite, attr) / median(warm.socctl, attr):.1f}×)"
            )


if __name__ == "__main__":
    main()
