"""Log stores: named indices of events that detections search (embedded SQLite; Elasticsearch later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socctl.errors import UsageError
from socctl.store.base import IndexInfo, IngestStats, LogStore, validate_index_name
from socctl.store.embedded import EmbeddedStore
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from socctl.store.alerts import AlertStore
    from socctl.store.cluster.alerts import ClusterAlertStore

__all__ = [
    "EmbeddedStore",
    "IndexInfo",
    "IngestStats",
    "LogStore",
    "open_alert_store",
    "open_store",
    "validate_index_name",
]


def open_store(workspace: Workspace) -> LogStore:
    """The log store the workspace's settings choose; settings errors surface here, first."""
    if workspace.settings.detection.store != "embedded":
        raise UsageError(
            "this command reads the embedded log store, and the cluster is the store"
            " (detection.store = elasticsearch)",
            hint='give the cluster with --cluster URL, or set store = "embedded" under'
            " [detection] in socctl.toml",
        )
    return EmbeddedStore(workspace)


def open_alert_store(workspace: Workspace) -> AlertStore | ClusterAlertStore:
    """The workspace's alert store: the cluster's alerts indices when the cluster is the store
    (``detection.store = elasticsearch``), else beside the log store :func:`open_store` chooses."""
    if workspace.settings.detection.store == "elasticsearch":
        from socctl.store.cluster.alerts import ClusterAlertStore
        from socctl.store.cluster.client import open_client

        settings = workspace.settings.elasticsearch
        return ClusterAlertStore(open_client(settings), settings.alerts_index)
    from socctl.store.alerts import AlertStore

    return AlertStore(workspace, open_store(workspace))
