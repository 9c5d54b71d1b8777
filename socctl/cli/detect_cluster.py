"""``detect run --cluster URL --index PATTERN``: the rules run by Elasticsearch or OpenSearch."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from socctl.cli.output import err_console
from socctl.detection.alerts import Alert, Lookup
from socctl.detection.rules import RuleSet
from socctl.i18n import t
from socctl.workspace import Workspace

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
    settings = ws.settings.elasticsearch
    client = open_client(settings, url)
    with progress("rules", lang) as update:
        run = detect(
            client,
            index,
            ruleset,
            window,
            pipeline=check_pipeline(pipeline),
            batch=settings.batch_size,
            lookup=lookup,
            progress=update,
        )
    ruleset.errors.extend(run.failed)
    new = ClusterAlertStore(client, settings.alerts_index).add(run.alerts)
    err_console.print(
        t(
            "detect.cluster",
            lang,
            product=client.product,
            url=client.url,
            index=index,
            field=run.time_field,
            pipeline=run.pipeline,
            msearch=run.requests.get("msearch", 0),
            batch=run.batch,
            pit=run.requests.get("pit", 0),
            correlations=run.correlations,
        ),
        markup=False,
        soft_wrap=True,
    )
    return run.alerts, run.hits, run.rules, len(new)
