"""Running a rule set over files: in parallel over files and byte ranges of big line files.

Rules are compiled in the parent for the kinds of event the input formats produce, then worker
processes are forked (they inherit the compiled rules: nothing is pickled but the results).
Correlations run in the parent over the base matches of all workers, in time order.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from socctl.detection import logsources
from socctl.detection.correlation import CorrelationEngine
from socctl.detection.engine import Detector
from socctl.detection.event import Event
from socctl.detection.match import Match, RuleInfo
from socctl.detection.rules import RuleSet
from socctl.errors import ServiceError, SocctlError

#: Malformed records kept with their place (all are counted).
MAX_MALFORMED_KEPT = 1000
#: Below this many bytes of input, no worker processes (they cost more than they save).
PARALLEL_MIN_BYTES = 4 << 20
#: Byte ranges per worker for big line files (smaller pieces balance better)...
RANGES_PER_WORKER = 4
#: ...and no bigger than this, so a piece's matches held in memory stay small.
MAX_RANGE_BYTES = 8 << 20
#: Task numbers a worker holds at a time (the next ones wait in its pipe).
TASKS_AHEAD = 2

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
    #: Files not read at all (format not recognised or not the one their name says).
    rejected: list[Any] = field(default_factory=list)
    #: Matches of rules that correlations reference, on events without a time (not correlated).
    untimed: int = 0
    seconds: float = 0.0

    def add_malformed(self, records: list[Any]) -> None:
        self.malformed += sum(1 for r in records if getattr(r, "skipped", True))
        self.rejected.extend(r for r in records if getattr(r, "whole_file", False))
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
    """What a task sends back: its matched events as plain tuples and its matches as (rule key,
    event number) pairs, so a worker's result is cheap to pickle and unpickle (no rule
    metadata, no dataclass per match)."""

    matched: list[tuple[Any, ...]]
    matches: list[tuple[str, int]]
    correlated: list[tuple[str, int]]
    events: int
    malformed: list[Any]
    size: int

    def unpack(self, infos: dict[str, RuleInfo]) -> tuple[list[Match], list[tuple[str, Event]]]:
        """The matches and correlation inputs, rebuilt with the parent's rule metadata."""
        events = [Event(*fields) for fields in self.matched]
        matches = [Match(infos[key], [events[number]]) for key, number in self.matches]
        return matches, [(key, events[number]) for key, number in self.correlated]


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
            except SocctlError as exc:  # reported like any unreadable record, the run goes on
                stats.add_malformed([inputs.rejected_file(str(path), exc)])
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
    infos = {rule.key: rule.info for rule in ruleset.detection_rules}
    correlated: list[tuple[str, Event]] = []
    done = 0
    try:
        for result in results:
            matches, inputs_of_correlations = result.unpack(infos)
            stats.events += result.events
            stats.add_malformed(result.malformed)
            stats.matches += len(matches)
            correlated.extend(inputs_of_correlations)
            done += result.size
            if progress is not None:
                progress(done, total)
            yield from matches
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
    # The compiled rules are long-lived: keep the garbage collector from walking them again and
    # again (and, in forked workers, from touching every page of them).
    gc.freeze()
    try:
        if count <= 1 or len(tasks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for task in tasks:
                yield _run_task(detector, task)
        else:
            yield from _forked(detector, tasks, min(count, len(tasks)))
    finally:
        gc.unfreeze()


def _forked(detector: Detector, tasks: list[_Task], count: int) -> Iterator[_Result]:
    """Run the tasks in this process and ``count - 1`` forked workers, which inherit the compiled
    rules; each worker holds up to :data:`TASKS_AHEAD` task numbers, and gets another when it
    sends a result back.

    This process takes the next task itself whenever the result it waits for is still being
    worked on: one process fewer builds its own rule buckets and pickles its results (on the
    280-file EVTX set, two workers and an idle parent cost ~25 % more CPU than one process).
    One pipe per worker and no helper threads: ``multiprocessing.Pool``'s worker-handler
    thread polls while results are in transit, which cost as much CPU as the detection itself
    on 280 small EVTX files. Tasks queued ahead keep a worker busy while this process works.
    """
    context = multiprocessing.get_context("fork")
    workers: list[tuple[Any, Connection]] = []
    busy: dict[Connection, deque[int]] = {}
    done: dict[int, _Result] = {}
    following = 0
    finished = False
    try:
        for _ in range(count - 1):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(detector, tasks, theirs), daemon=True)
            process.start()
            theirs.close()
            workers.append((process, ours))
            busy[ours] = deque()
        for _ in range(TASKS_AHEAD):
            for _, connection in workers:
                following = _hand_out(connection, following, len(tasks), busy)
        for wanted in range(len(tasks)):
            while wanted not in done:
                pending = [c for c, queued in busy.items() if queued]
                if following < len(tasks) and (wanted == following or not wait(pending, 0)):
                    done[following] = _run_task(detector, tasks[following])
                    following += 1
                    continue
                for ready in wait(pending):
                    assert isinstance(ready, Connection)
                    try:
                        outcome = ready.recv()
                    except EOFError:
                        raise ServiceError(
                            "a detection worker process stopped unexpectedly"
                        ) from None
                    if isinstance(outcome, BaseException):
                        raise outcome
                    done[busy[ready].popleft()] = outcome
                    following = _hand_out(ready, following, len(tasks), busy)
            yield done.pop(wanted)
        finished = True
    finally:
        for process, connection in workers:
            if not finished:  # Ctrl-C or an error: no worker's result is wanted any more
                process.terminate()
            with contextlib.suppress(OSError):
                connection.send(None)
            connection.close()
        for process, _ in workers:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


def _hand_out(
    connection: Connection, number: int, total: int, busy: dict[Connection, deque[int]]
) -> int:
    """Send task ``number`` to a worker if there is one left; the next task's number."""
    if number >= total:
        return number
    connection.send(number)
    busy[connection].append(number)
    return number + 1


def _serve(detector: Detector, tasks: list[_Task], connection: Connection) -> None:
    """A worker: run the tasks whose numbers arrive until None; send each result (or error)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while (number := connection.recv()) is not None:
        try:
            outcome: Any = _run_task(detector, tasks[number])
        except Exception as exc:
            outcome = exc
        try:
            connection.send(outcome)
        except Exception as exc:  # an error that cannot be pickled
            connection.send(ServiceError(f"detection worker failed: {exc}"))


def _run_task(detector: Detector, task: _Task) -> _Result:
    from socctl.detection import inputs

    malformed: list[Any] = []
    matched: list[tuple[Any, ...]] = []
    matches: list[tuple[str, int]] = []
    correlated: list[tuple[str, int]] = []
    referenced = detector.correlations.referenced
    silent = detector.correlations.silent
    events = 0
    match_event = detector.match_event
    for event in inputs.read_events(
        task.path, task.fmt, start=task.start, end=task.end, on_malformed=malformed.append
    ):
        events += 1
        hits = match_event(event)
        if not hits:
            continue
        number = len(matched)
        matched.append(
            (event.fields, event.data, event.source, event.ref, event.kind, event.timestamp)
        )
        for compiled in hits:
            key = compiled.rule.key
            if key not in silent:
                matches.append((key, number))
            if key in referenced:
                correlated.append((key, number))
    return _Result(matched, matches, correlated, events, malformed, task.size)


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
    stats.untimed = engine.untimed
