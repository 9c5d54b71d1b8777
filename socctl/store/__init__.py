"""Log stores: named indices of events that detections search (embedded SQLite; Elasticsearch later)."""

from socctl.store.base import IndexInfo, IngestStats, LogStore, validate_index_name
from socctl.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "IndexInfo", "IngestStats", "LogStore", "validate_index_name"]
