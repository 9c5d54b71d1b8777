"""Safe storage: atomic writes, the workspace lock and bounded, validated YAML."""

from socctl.storage.atomic import atomic_write
from socctl.storage.lock import workspace_lock
from socctl.storage.yamlio import dump_yaml, load_model, load_yaml

__all__ = ["atomic_write", "dump_yaml", "load_model", "load_yaml", "workspace_lock"]
