"""Running a rule set over files: in parallel over files and byte ranges of big line files.

Rules are compiled in the parent for the kinds of event the input formats produce, then worker
processes are forked (they inherit the compiled rules: nothing is pickled but the results).
Correlations run in the parent over the base matches of all workers, in time order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from socctl.detection import logsources
from socctl.detection.correlation import CorrelationEngine
from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.match import Match
from socctl.detection.rules import RuleSet

#: Malformed records kept with their place (all are counted).
MAX_MALFORMED_KEPT = 1000
#: Below this many bytes of input, no worker processes (they cost more than they save).
PARALLEL_MIN_BYTES = 4 << 20
#: Byte ranges per worker for big line files (smaller pieces balance better)...
RANGES_PER_WORKER = 4
#: ...and no bigger than this, so a piece's matches held in memory stay small.
MAX_RANGE_BYTES = 8 << 20

Progress = Callable[[int, int], None]


@dataclass
class RunStats:
    """What a run did: shown in its summary."""

    files: int = 0
    events: int = 0
    rules: int = 0
    rules_failed: int = 0
    matches: int = 0
    malformed: int = 0
    malformed_records: list[Any] = field(default_factory=list)
    seconds: float = 0.0

    def add_malformed(self, records: list[Any]) -> None:
        self.malformed += sum(1 for r in records if getattr(r, "skipped", True))
        room = MAX_MALFORMED_KEPT - len(self.malformed_records)
        if room > 0:
            self.malformed_records.extend(records[:room])


@dataclass(frozen=True, slots=True)
class _Task:
    path: str
    fmt: str | None
    start: int
    end: int | None
    size: int


@dataclass(slots=True)
class _Result:
    matches: list[Match]
    correlated: list[tuple[str, Event]]
    events: int
    malformed: list[Any]
    size: int


#: The detector forked workers use (inherited memory, set just before the pool starts).
_WORKER_DETECTOR: Detector | None = None


def run_files(
    ruleset: RuleSet,
    paths: Sequence[Path],
    *,
    input_format: str | None = None,
    workers: int = 0,
    progress: Progress | None = None,
    stats: RunStats | None = None,
) -> Iterator[Match]:
    """Matches of ``ruleset`` over the files under ``paths``, then correlation matches.

    ``workers`` 0 means one per core. ``progress(done_bytes, total_bytes)`` is called as pieces
    finish. ``stats`` (if given) is filled in as the run goes.
    """
    from socctl.detection import inputs

    stats = stats if stats is not None else RunStats()
    began = time.perf_counter()
    count = workers if workers > 0 else (os.cpu_count() or 1)
    detector = Detector(ruleset)
    tasks: list[_Task] = []
    formats: set[str] = set()
    for path in inputs.iter_paths(paths):
        stats.files += 1
        fmt = input_format
        if fmt is None:
            try:
                fmt = inputs.detect_format(path)
            except Exception as exc:  # reported like any unreadable record, the run goes on
                stats.add_malformed([inputs.Malformed(str(path), "start of file", str(exc))])
                continue
        formats.add(fmt)
        pieces = max(count * RANGES_PER_WORKER, _size(path) // MAX_RANGE_BYTES)
        ranges = inputs.split_ranges(path, pieces, fmt)
        for start, end in ranges:
            piece = (end if end is not None else _size(path)) - start
            tasks.append(_Task(str(path), fmt, start, end, piece))
    for fmt in sorted(formats):  # compile before forking, so workers inherit the rules
        for kind in logsources.kinds_of_format(fmt):
            detector.index(kind)
    total = sum(t.size for t in tasks)
    results = _execute(detector, tasks, count if total >= PARALLEL_MIN_BYTES else 1)
    correlated: list[tuple[str, Event]] = []
    done = 0
    try:
        for result in results:
            stats.events += result.events
            stats.add_malformed(result.malformed)
            stats.matches += len(result.matches)
            correlated.extend(result.correlated)
            done += result.size
            if progress is not None:
                progress(done, total)
            yield from result.matches
        yield from _correlate(detector.correlations, ruleset, correlated, stats)
    finally:
        stats.rules = detector.rules_run
        stats.rules_failed = len(ruleset.errors)
        stats.seconds = time.perf_counter() - began


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _execute(detector: Detector, tasks: list[_Task], count: int) -> Iterator[_Result]:
    """Results of every task, in task order (so output order does not depend on timing)."""
    global _WORKER_DETECTOR
    # The compiled rules are long-lived: keep the garbage collector from walking them again and
    # again (and, in forked workers, from touching every page of them).
    gc.freeze()
    try:
        if count <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for task in tasks:
                yield _run_task(detector, task)
            return
        _WORKER_DETECTOR = detector
        with multiprocessing.get_context("fork").Pool(min(count, len(tasks))) as pool:
            yield from pool.imap(_worker, tasks, chunksize=1)
    finally:
        _WORKER_DETECTOR = None
        gc.unfreeze()


def _worker(task: _Task) -> _Result:
    assert _WORKER_DETECTOR is not None
    return _run_task(_WORKER_DETECTOR, task)


def _run_task(detector: Detector, task: _Task) -> _Result:
    from socctl.detection import inputs

    malformed: list[Any] = []
    matches: list[Match] = []
    correlated: list[tuple[str, Event]] = []
    referenced = detector.correlations.referenced
    silent = detector.correlations.silent
    events = 0
    match_event = detector.match_event
    for event in inputs.read_events(
        task.path, task.fmt, start=task.start, end=task.end, on_malformed=malformed.append
    ):
        events += 1
        for compiled in match_event(event):
            key = compiled.rule.key
            if key not in silent:
                matches.append(Match(compiled.rule.info, [event]))
            if key in referenced:
                correlated.append((key, event))
    return _Result(matches, correlated, events, malformed, task.size)


def _correlate(
    engine: CorrelationEngine,
    ruleset: RuleSet,
    correlated: list[tuple[str, Event]],
    stats: RunStats,
) -> Iterator[Match]:
    """Correlation matches over every worker's base matches, fed in time order."""
    if not correlated:
        return
    by_key = {r.key: r for r in ruleset.detection_rules}
    correlated.sort(key=lambda item: item[1].timestamp.timestamp() if item[1].timestamp else 0.0)
    for key, event in correlated:
        for match in engine.add(by_key[key], event):
            stats.matches += 1
            yield match
    for match in engine.flush():
        stats.matches += 1
        yield match
