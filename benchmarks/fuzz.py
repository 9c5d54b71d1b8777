"""Fuzz campaign over every log reader: mutated shipped samples, read in process, errors counted.

For each input format, ``--cases`` files are made from that format's seed (tests/mutations.py: the
head of a shipped sample, or the smallest EVTX of ../shared/corpus) by one to three random
mutations (bit flips, truncation, random bytes, a damaged run, huge lines, deep nesting, invalid
UTF-8, NUL bytes, shuffled lines, gzip with or without damage). Each file is read twice: with the
format detected from content and name, and forced to the reader's format. Counted per reader:
cases, events read, malformed records reported, files refused, and internal errors (any exception
other than socctl's own errors, or a case over ``--timeout`` seconds). The run fails (exit 1) on
any internal error and prints the first ones with the seed to replay them.

    nice .venv/bin/python benchmarks/fuzz.py [--cases 100000] [--jobs 2] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from random import Random
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mutations import file_name, mutate, seeds

from socctl.detection.inputs import Malformed, read_events
from socctl.errors import SocctlError


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def run_batch(fmt: str, first: int, count: int, seed: int, timeout: float) -> dict[str, Any]:
    """``count`` cases of ``fmt`` numbered from ``first``; the totals and the first failures."""
    name, data = seeds()[fmt]
    totals = {"cases": 0, "events": 0, "malformed": 0, "refused": 0, "internal": 0, "slowest": 0.0}
    failures: list[str] = []
    signal.signal(signal.SIGALRM, _alarm)
    folder = Path(tempfile.mkdtemp(prefix="socctl-fuzz-", dir=_scratch()))
    for case in range(first, first + count):
        rng = Random(f"{seed}:{fmt}:{case}")
        mutation, content = mutate(data, rng, rng.choice((1, 1, 2, 3)))
        path = folder / file_name(name, mutation)
        path.write_bytes(content)
        malformed: list[Malformed] = []
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            for forced in (None, fmt):
                for _ in read_events(path, forced, on_malformed=malformed.append):
                    totals["events"] += 1
        except SocctlError:
            pass  # one of socctl's own errors: a message, not a crash
        except _Timeout:
            totals["internal"] += 1
            failures.append(f"{fmt} case {case} ({mutation}): over {timeout} s")
        except Exception as exc:  # any other exception is the defect counted
            totals["internal"] += 1
            if len(failures) < 5:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                failures.append(
                    f"{fmt} case {case} ({mutation}): {type(exc).__name__}: {exc}"
                    f" at {where.filename}:{where.lineno}"
                )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            path.unlink()
        totals["slowest"] = max(totals["slowest"], time.perf_counter() - started)
        totals["cases"] += 1
        totals["malformed"] += sum(not m.whole_file for m in malformed)
        totals["refused"] += sum(m.whole_file for m in malformed)
    folder.rmdir()
    return {"fmt": fmt, "totals": totals, "failures": failures}


def _scratch() -> str | None:
    """A memory-backed folder when there is one (the files are written and read once)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases per reader")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds allowed per case")
    parser.add_argument("--batch", type=int, default=500, help="cases per task")
    parser.add_argument("--only", nargs="*", help="these formats only")
    args = parser.parse_args()

    formats = sorted(args.only or seeds())
    if "evtx" not in seeds():
        print("no EVTX seed: ../shared/corpus/sigmahq-regression is absent", file=sys.stderr)
    results: dict[str, dict[str, Any]] = {}
    failures: list[str] = []
    elapsed: dict[str, float] = dict.fromkeys(formats, 0.0)
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        jobs = [
            (fmt, first, min(args.batch, args.cases - first))
            for fmt in formats
            for first in range(0, args.cases, args.batch)
        ]
        futures = [
            (fmt, pool.submit(run_batch, fmt, first, count, args.seed, args.timeout))
            for fmt, first, count in jobs
        ]
        for fmt, future in futures:
            began = time.perf_counter()
            result = future.result()
            elapsed[fmt] += time.perf_counter() - began
            failures.extend(result["failures"])
            totals = results.setdefault(fmt, dict.fromkeys(result["totals"], 0))
            for key, value in result["totals"].items():
                totals[key] = max(totals[key], value) if key == "slowest" else totals[key] + value
    wall = time.perf_counter() - started

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {args.jobs} worker processes"
    )
    header = f"{'reader':<10} {'cases':>8} {'events':>10} {'malformed':>10} {'refused':>8}"
    print(header + f" {'internal':>8} {'slowest':>8}")
    for fmt in formats:
        t = results[fmt]
        print(
            f"{fmt:<10} {t['cases']:>8} {t['events']:>10} {t['malformed']:>10} {t['refused']:>8}"
            f" {t['internal']:>8} {t['slowest']:>7.2f}s"
        )
    total = sum(t["cases"] for t in results.values())
    internal = sum(t["internal"] for t in results.values())
    print(f"total: {total} cases, {internal} internal errors, {wall:.0f} s wall")
    for line in failures[:20]:
        print("FAIL", line)
    return 1 if internal else 0


if __name__ == "__main__":
    sys.exit(main())
