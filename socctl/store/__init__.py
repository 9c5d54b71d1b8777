"""Log stores: named indices of events that detections search (embedded SQLite; Elasticsearch later)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from socctl.errors import UsageError
from socctl.store.base import IndexInfo, IngestStats, LogStore, validate_index_name
from socctl.store.embedded import EmbeddedStore
from socctl.workspace import Workspace

if TYPE_CHECKING:
    from socctl.store.alerts import AlertStore

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
            "the Elasticsearch log store is not available yet (detection.store = elasticsearch)",
            hint='use the embedded store: set store = "embedded" under [detection] in socctl.toml'
            " or SOCCTL_DETECTION__STORE=embedded",
        )
    return EmbeddedStore(workspace)


def open_alert_store(workspace: Workspace) -> AlertStore:
    """The workspace's alert store, beside the log store :func:`open_store` chooses."""
    from socctl.store.alerts import AlertStore

    return AlertStore(workspace, open_store(workspace))
