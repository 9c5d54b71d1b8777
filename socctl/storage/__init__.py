"""Safe storage: atomic writes, the workspace lock and (in ``yamlio``) bounded, validated YAML.

``yamlio`` is imported from its module (it pulls in pydantic) so that light commands stay fast.
"""

from socctl.storage.atomic import atomic_open, atomic_write
from socctl.storage.lock import workspace_lock

__all__ = ["atomic_open", "atomic_write", "workspace_lock"]
