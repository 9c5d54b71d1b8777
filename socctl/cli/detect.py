"""``socctl detect run``: Sigma detections over log files (ad hoc) or an index, once or continuously.

Alerts go to stdout (or ``--output``); progress and the end-of-run summary go to stderr, so
stdout stays clean data.
"""

from __future__ import annotations

import gc
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from socctl.cli.context import state
from socctl.cli.output import (
    FORMAT_OPTION,
    OUTPUT_OPTION,
    Format,
    emit,
    emit_ndjson,
    err_console,
    is_stdout,
)
from socctl.detection.alerts import (
    LEVELS,
    SUMMARY_COLUMNS,
    Alert,
    Lookup,
    build_alerts,
    level_rank,
    parse_level,
    summary_row,
    suppress,
    table_row,
)
from socctl.detection.event import display_text
from socctl.detection.rules import RuleSet, default_rule_paths, load_rules
from socctl.detection.runner import RunStats, run_files
from socctl.errors import InputError, UsageError
from socctl.i18n import headers, number, t
from socctl.timeutil import now_utc, parse_duration, parse_time

if TYPE_CHECKING:
    from socctl.detection.continuous import IndexDetection
    from socctl.detection.inputs.malformed import Malformed
    from socctl.workspace import Workspace

app = typer.Typer(help="Run Sigma detections over log files or an index.", no_args_is_help=True)

#: The shortest ``--every``: shorter would only keep a core busy.
MIN_INTERVAL = timedelta(seconds=1)
#: Malformed records and rule load errors listed on stderr (all are counted).
SHOWN_PROBLEMS = 5


@dataclass
class Summary:
    """What the end-of-run line on stderr reports."""

    events: int = 0
    malformed: int = 0
    rules: int = 0
    rules_failed: int = 0
    stored: int | None = None
    #: Files not read at all: the run exits 3 after reporting the others.
    rejected: list[Malformed] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def line(self, alerts: Sequence[Alert], lang: str) -> str:
        levels = Counter(a.level or "none" for a in alerts)
        by_level = ", ".join(
            f"{lvl} {levels[lvl]}" for lvl in (*reversed(LEVELS), "none") if levels[lvl]
        )
        parts = [
            t("detect.summary.events", lang, n=number(self.events, lang)),
            t("detect.summary.rules", lang, run=self.rules, failed=self.rules_failed),
            t("detect.summary.alerts", lang, n=len(alerts))
            + (f" ({by_level})" if by_level else ""),
            t("detect.summary.malformed", lang, n=self.malformed),
        ]
        if self.stored is not None:
            parts.append(t("detect.summary.stored", lang, n=self.stored))
        seconds = number(time.monotonic() - self.started, lang, 2)
        parts.append(t("detect.summary.seconds", lang, n=seconds))
        return t("detect.summary", lang, parts=" · ".join(parts))


def _warn(text: str, lang: str) -> None:
    err_console.print(t("warning", lang, text=display_text(text)), markup=False, soft_wrap=True)


@contextmanager
def _progress(unit: str, lang: str) -> Iterator[Callable[[int, int | None], None]]:
    """A progress bar on stderr when it is a terminal; yields ``update(done, total)``."""
    if not err_console.is_terminal:
        yield lambda _done, _total: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    label = t(f"detect.progress.{unit}", lang)
    done = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()  # bytes read as a size
    columns = [TextColumn(label), BarColumn(), done, TimeElapsedColumn()]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(unit, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _lookup(ws: Workspace | None, lang: str) -> Lookup | None:
    if ws is None:
        return None
    from socctl.inventory.hosts import HostIndex

    try:
        return HostIndex.from_workspace(ws).lookup
    except InputError as exc:
        _warn(t("detect.no_systems", lang, error=exc), lang)
        return None


def _file_alerts(
    ruleset: RuleSet,
    paths: Sequence[Path],
    options: tuple[str | None, int],
    lookup: Lookup | None,
    summary: Summary,
    lang: str,
) -> list[Alert]:
    input_format, workers = options
    stats = RunStats()
    with _progress("bytes", lang) as progress:
        matches = run_files(
            ruleset,
            [p.resolve() for p in paths],
            input_format=input_format,
            workers=workers,
            progress=progress,
            stats=stats,
        )
        alerts = list(build_alerts(matches, "file", lookup))
    _require_events(stats, paths)
    summary.events, summary.malformed = stats.events, stats.malformed
    summary.rules, summary.rules_failed = stats.rules, stats.rules_failed
    summary.rejected = stats.rejected
    for record in stats.malformed_records[:SHOWN_PROBLEMS]:
        _warn(str(record), lang)
    if stats.malformed > SHOWN_PROBLEMS:
        _warn(t("detect.malformed_total", lang, n=stats.malformed), lang)
    if stats.untimed:
        _warn(t("detect.untimed", lang, n=stats.untimed), lang)
    return alerts


def _require_events(stats: RunStats, paths: Sequence[Path]) -> None:
    """Refuse a run that read nothing: no log file, or not one readable event in them."""
    if stats.files == 0:
        raise InputError(
            "no log file found",
            path=", ".join(map(str, paths)),
            hint="give log files or folders holding them",
        )
    if stats.events == 0 and len(stats.rejected) == stats.files:
        raise _rejected_error(stats.rejected)
    if stats.events == 0 and stats.malformed_records:
        first = stats.malformed_records[0]
        raise InputError(
            f"no event could be read from the {stats.files} log file(s); first problem at "
            f"{first.where}: {display_text(first.reason)}",
            path=display_text(first.path),
            hint="give readable logs, or their format with --input-format",
        )


def _rejected_error(rejected: Sequence[Malformed]) -> InputError:
    """The error of a run that left files unread: the first one, and how many others."""
    first = rejected[0]
    others = f"; {len(rejected) - 1} other file(s) not read either" if len(rejected) > 1 else ""
    return InputError(display_text(first.reason) + others, path=display_text(first.path))


def _require_rules(ruleset: RuleSet, paths: Sequence[Path]) -> None:
    """Refuse a run without one usable rule (all failed to load or compile, or none found)."""
    if any(rule.key not in ruleset.failed_keys for rule in ruleset.rules):
        return
    if not ruleset.errors:
        raise InputError(
            "no Sigma rule found",
            path=", ".join(map(str, paths)),
            hint="give --rules a rule file or a folder of .yml rules",
        )
    first = ruleset.errors[0]
    raise InputError(
        f"no rule could be loaded ({len(ruleset.errors)} failed): {first.reason}",
        path=first.path,
        hint="'socctl rules check' lists the problems",
    )


def _time_bounds(
    since: str | None, start: str | None, end: str | None
) -> tuple[datetime | None, datetime | None]:
    if since and start:
        raise UsageError("give --since or --from, not both")
    begin = now_utc() - parse_duration(since) if since else parse_time(start) if start else None
    finish = parse_time(end) if end else None
    if begin and finish and finish <= begin:
        raise UsageError("--to is not after the start of the range", hint="swap --from and --to")
    return begin, finish


def _suppress_fields(values: Sequence[str]) -> list[str]:
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _check_output_is_not_an_input(output: Path, files: Sequence[Path]) -> None:
    """Refuse an ``--output`` that is one of the log files or inside a folder being scanned."""
    target = output.resolve()
    for given in files:
        source = given.resolve()
        if target == source or (source.is_dir() and source in target.parents):
            raise UsageError(
                f"--output {output} would overwrite the logs being scanned ({given})",
                hint="write the alerts to a file outside the inputs",
            )


def _output(
    alerts: Sequence[Alert], fmt: Format, output: Path | None, lang: str, counted: bool
) -> None:
    """Print the alerts in time order; ``counted`` (with ``--suppress``) adds the count column."""
    ordered = sorted(alerts, key=lambda a: (a.timestamp is None, a.timestamp or ""))
    if fmt is Format.ndjson:  # written as the alerts' dicts are made, one batch at a time
        emit_ndjson((a.to_dict(for_orjson=True) for a in ordered), output)
        return
    if fmt is Format.json:  # written by orjson: events already serialized
        emit([a.to_dict(for_orjson=True) for a in ordered], fmt, output)
        return
    data = [a.to_dict() for a in ordered]
    if fmt is Format.csv:
        emit([summary_row(a) for a in data], fmt, output, SUMMARY_COLUMNS)
    else:
        columns = [c for c in SUMMARY_COLUMNS if counted or c != "count"]
        rows = [table_row(a) for a in data]
        emit(rows, fmt, output, columns, headers=headers(lang, "alert"))


@app.command("run")
def run(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(None, help="More log files (as after --logs)."),
    logs: list[Path] = typer.Option(
        None, "--logs", "-l", help="Log files or folders to scan ad hoc (repeatable)."
    ),
    index: str | None = typer.Option(
        None, "--index", "-i", help="Index of the log store (with --cluster: a name or pattern)."
    ),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="Run the rules in this Elasticsearch or OpenSearch cluster (URL) over --index.",
    ),
    since: str | None = typer.Option(
        None, "--since", help="With --index: events of the last 24h, 7d..."
    ),
    start: str | None = typer.Option(None, "--from", help="With --index: events from this time."),
    end: str | None = typer.Option(None, "--to", help="With --index: events before this time."),
    rules: list[Path] = typer.Option(
        None,
        "--rules",
        "-r",
        help="Rule files or folders (repeatable; default: shipped + workspace).",
    ),
    input_format: str | None = typer.Option(
        None, "--input-format", help="Format of every log file (default: detected)."
    ),
    pipeline: str | None = typer.Option(
        None, "--pipeline", help="Field-mapping pipeline for every event (default: by input)."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Compile every rule afresh."),
    workers: int | None = typer.Option(
        None, "--workers", min=0, help="With --logs: worker processes (0 = one per core)."
    ),
    suppress_by: list[str] = typer.Option(
        None,
        "--suppress",
        help="Group repeats of a rule with the same FIELD values (host,user,...).",
    ),
    window: str | None = typer.Option(None, "--window", help="Suppression window (default 10m)."),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="Exit 1 when an alert at or above this level is found."
    ),
    every: str | None = typer.Option(
        None, "--every", help="With --index: run continuously, every 5m..."
    ),
    lookback: str | None = typer.Option(
        None, "--lookback", help="With --every: re-read this much before new events (default 1m)."
    ),
    fmt: Format = FORMAT_OPTION,
    output: Path | None = OUTPUT_OPTION,
) -> None:
    """Run Sigma rules over log files (--logs) or an index (--index); print the alerts."""
    files = [*(logs or []), *(paths or [])]
    output = None if is_stdout(output) else output
    if output is not None:
        _check_output_is_not_an_input(output, files)
    if bool(files) == bool(index):
        raise UsageError(
            "give log files with --logs PATH... or an index with --index NAME, not both"
        )
    if files and (since or start or end):
        raise UsageError(
            "--since, --from and --to apply to --index", hint="filter the files instead"
        )
    if workers is not None and not files:
        raise UsageError("--workers applies to --logs")
    if every is None and lookback is not None:
        raise UsageError("--lookback applies to continuous runs", hint="add --every 5m")
    if every is not None and (not index or end or output or fail_on):
        raise UsageError(
            "--every needs --index and works without --to, --output and --fail-on",
            hint="redirect stdout to keep the alerts",
        )
    if window is not None and not suppress_by:
        raise UsageError("--window applies to --suppress", hint="add --suppress FIELD")
    interval = parse_duration(every) if every is not None else None
    if interval is not None and interval < MIN_INTERVAL:
        raise UsageError(f"--every {every} is too short", hint="give 1s or more, e.g. --every 5m")
    fields = _suppress_fields(suppress_by or [])
    span = parse_duration(window or "10m")
    threshold = parse_level(fail_on) if fail_on else None
    begin, finish = _time_bounds(since, start, end)

    if cluster is not None and not index:
        raise UsageError("--cluster needs --index PATTERN", hint="e.g. --index 'winlogbeat-*'")
    app_state = state(ctx)
    ws = app_state.workspace() if index else app_state.optional_workspace()
    url = None
    if index is not None and ws is not None:
        from socctl.cli.detect_cluster import cluster_url

        url = cluster_url(ws, cluster)
    if index is not None and ws is not None and url is None:
        from socctl.store import open_store

        store = open_store(ws)  # refuses a store that is configured but not available
    settings = ws.settings.detection if ws else None
    rule_paths = list(rules) if rules else default_rule_paths(ws)
    ruleset = load_rules(
        rule_paths,
        cache_dir=ws.cache_dir if ws else None,
        use_cache=not no_cache and (settings.cache if settings else True),
        pipeline=None if url else pipeline,
    )
    _require_rules(ruleset, rule_paths)
    lang = app_state.terminal_lang()
    lookup = _lookup(ws, lang)
    if workers is None:
        workers = settings.workers if settings else 0
    summary = Summary()

    if index is not None and ws is not None:
        from socctl.detection.continuous import IndexDetection
        from socctl.store.alerts import AlertStore

    if interval is not None and url is not None and ws is not None and index is not None:
        from socctl.cli.detect_cluster import watch_cluster

        timing = (interval, parse_duration(lookback or "1m"))
        rendering = (fields, span, fmt)
        watch_cluster(ws, url, index, ruleset, begin, timing, (pipeline, lookup, lang), rendering)
        return

    if interval is not None and ws is not None and index is not None:
        detection = IndexDetection(store, index, ruleset, AlertStore(ws, store), lookup)
        _watch(
            detection,
            begin,
            interval,
            parse_duration(lookback or "1m"),
            fields,
            span,
            (fmt, lang),
        )
        return

    if url is not None and index is not None and ws is not None:
        from socctl.cli.detect_cluster import run_cluster

        alerts, summary.events, summary.rules, summary.stored = run_cluster(
            ws, url, index, ruleset, (begin, finish), (pipeline, lookup, lang), _progress
        )
        summary.rules_failed = len(ruleset.errors)
    elif index is not None and ws is not None:
        total = store.count(index, begin, finish)
        with _progress("events", lang) as progress:
            detection = IndexDetection(
                store,
                index,
                ruleset,
                AlertStore(ws, store),
                lookup,
                lambda done: progress(done, total),
            )
            result = detection.run(begin, finish)
        alerts, summary.events, summary.stored = result.alerts, result.events, len(result.new)
        summary.rules, summary.rules_failed = result.rules, len(ruleset.errors)
    else:
        alerts = _file_alerts(ruleset, files, (input_format, workers), lookup, summary, lang)
        if ws is not None:
            from socctl.store.alerts import AlertStore

            summary.stored = len(AlertStore(ws).add(alerts))

    _require_rules(ruleset, rule_paths)  # some fail only when compiled for the events read
    # What is left to do only reads the rules and alerts, which live until the process ends: keep
    # the collector from walking them again (a full collection of the compiled rules cost ~0.1 s).
    gc.freeze()
    shown = suppress(alerts, fields, span) if fields else alerts
    _output(shown, fmt, output, lang, bool(fields))
    _report_rule_errors(ruleset, lang)
    err_console.print(summary.line(alerts, lang), markup=False, soft_wrap=True)
    if summary.rejected:
        raise _rejected_error(summary.rejected)
    if threshold is not None and any(level_rank(a.level) >= level_rank(threshold) for a in alerts):
        raise typer.Exit(1)


def _report_rule_errors(ruleset: RuleSet, lang: str) -> None:
    for error in ruleset.errors[:SHOWN_PROBLEMS]:
        _warn(t("detect.rule_not_loaded", lang, error=error), lang)
    if len(ruleset.errors) > SHOWN_PROBLEMS:
        _warn(t("detect.rules_not_loaded_total", lang, n=len(ruleset.errors)), lang)


def _watch(
    detection: IndexDetection,
    first_start: datetime | None,
    every: timedelta,
    lookback: timedelta,
    fields: list[str],
    span: timedelta,
    output: tuple[Format, str],
) -> None:
    """Cycles until SIGINT/SIGTERM; each prints its new alerts and a summary line."""
    fmt, lang = output
    from socctl.detection.continuous import Interrupted

    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.is_set():
            summary = Summary()
            try:
                result = detection.cycle(first_start, lookback, stop.is_set)
            except Interrupted:
                break
            summary.events, summary.stored = result.events, len(result.new)
            summary.rules, summary.rules_failed = result.rules, len(detection.ruleset.errors)
            if result.new:
                shown = suppress(result.new, fields, span) if fields else result.new
                _output(shown, fmt, None, lang, bool(fields))
            err_console.print(summary.line(result.new, lang), markup=False, soft_wrap=True)
            stop.wait(max(0.0, every.total_seconds() - (time.monotonic() - summary.started)))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err_console.print(t("detect.stopped", lang), markup=False)
    sys.stdout.flush()
