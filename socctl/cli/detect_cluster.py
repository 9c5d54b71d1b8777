"""``detect run --cluster URL --index PATTERN``: the rules run by Elasticsearch or OpenSearch."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from socctl.cli.output import Format, err_console
from socctl.detection.alerts import Alert, Lookup
from socctl.detection.rules import RuleSet
from socctl.i18n import t
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from socctl.store.cluster.client import ClusterClient
    from socctl.store.cluster.store import ClusterRun

Progress = Callable[[str, str], AbstractContextManager[Callable[[int, int | None], None]]]


def cluster_url(ws: Workspace, given: str | None) -> str | None:
    """``--cluster``, or the first host of ``[elasticsearch]`` when the cluster is the store."""
    if given is not None:
        return given
    if ws.settings.detection.store == "elasticsearch":
        return ws.settings.elasticsearch.hosts[0]
    return None


def run_cluster(
    ws: Workspace,
    url: str,
    index: str,
    ruleset: RuleSet,
    window: tuple[datetime | None, datetime | None],
    options: tuple[str | None, Lookup | None, str],
    progress: Progress,
) -> tuple[list[Alert], int, int, int]:
    """Run the rules in the cluster and keep the alerts in its alerts index: the alerts, the
    hits fetched, the rules run and the alerts new to the index. Rules that could not run join
    ``ruleset.errors`` (listed like rules that failed to load)."""
    from socctl.store.cluster.alerts import ClusterAlertStore
    from socctl.store.cluster.client import open_client
    from socctl.store.cluster.convert import check_pipeline
    from socctl.store.cluster.store import detect

    pipeline, lookup, lang = options
    pipeline = check_pipeline(pipeline)  # a wrong name is refused before connecting
    settings = ws.settings.elasticsearch
    client = open_client(settings, url)
    with progress("rules", lang) as update:
        run = detect(
            client,
            index,
            ruleset,
            window,
            pipeline=pipeline,
            batch=settings.batch_size,
            lookup=lookup,
            progress=update,
        )
    ruleset.errors.extend(run.failed)
    new = ClusterAlertStore(client, settings.alerts_index).add(run.alerts)
    _describe(client, index, run, lang)
    return run.alerts, run.hits, run.rules, len(new)


def watch_cluster(
    ws: Workspace,
    url: str,
    index: str,
    ruleset: RuleSet,
    first_start: datetime | None,
    timing: tuple[timedelta, timedelta],
    options: tuple[str | None, Lookup | None, str],
    shown: tuple[list[str], timedelta, Format],
) -> None:
    """``--every``: cycles over the cluster until SIGINT/SIGTERM. Alerts new to the alerts index
    are printed as soon as they are written (stdout flushed), a summary line ends each cycle."""
    from socctl.cli.detect import Summary, _output, _report_rule_errors
    from socctl.detection.alerts import suppress
    from socctl.detection.continuous import Interrupted
    from socctl.store.cluster.alerts import ClusterAlertStore
    from socctl.store.cluster.client import open_client
    from socctl.store.cluster.continuous import ClusterDetection
    from socctl.store.cluster.convert import check_pipeline

    every, lookback = timing
    pipeline, lookup, lang = options
    pipeline = check_pipeline(pipeline)  # a wrong name is refused before connecting
    fields, span, fmt = shown
    settings = ws.settings.elasticsearch
    client = open_client(settings, url)

    def print_new(alerts: list[Alert]) -> None:
        _output(suppress(alerts, fields, span) if fields else alerts, fmt, None, lang, bool(fields))
        sys.stdout.flush()

    detection = ClusterDetection(
        client,
        index,
        ruleset,
        ClusterAlertStore(client, settings.alerts_index),
        pipeline,
        settings.batch_size,
        lookup,
        print_new,
    )
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    errors = len(ruleset.errors)
    first = True
    try:
        while not stop.is_set():
            summary = Summary()
            try:
                cycle = detection.cycle(first_start, lookback, stop.is_set)
            except Interrupted:
                break
            run = cycle.run
            if first:
                ruleset.errors.extend(run.failed)
                _report_rule_errors(ruleset, lang)
                _describe(client, index, run, lang)
                first = False
            summary.events, summary.stored = run.hits, len(cycle.new)
            summary.rules, summary.rules_failed = run.rules, errors + len(run.failed)
            err_console.print(summary.line(cycle.new, lang), markup=False, soft_wrap=True)
            stop.wait(max(0.0, every.total_seconds() - (time.monotonic() - summary.started)))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err_console.print(t("detect.stopped", lang), markup=False)
    sys.stdout.flush()


def _describe(client: ClusterClient, index: str, run: ClusterRun, lang: str) -> None:
    """The line saying where and how the rules ran (correlations: by socctl's engine)."""
    err_console.print(
        t(
            "detect.cluster",
            lang,
            product=client.product,
            url=client.url,
            index=index,
            field=run.time_field,
            pipeline=run.pipeline,
            why=t(f"detect.pipeline.{run.pipeline_reason}", lang),
            msearch=run.requests.get("msearch", 0),
            batch=run.batch,
            pit=run.requests.get("pit", 0),
            correlations=run.correlations,
        ),
        markup=False,
        soft_wrap=True,
    )
