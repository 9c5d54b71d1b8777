"""The compiled-rule cache: one :mod:`marshal` file of entries keyed by content hash.

A key is the hash of a rule file's text plus what its compiled form depends on (pipeline
fingerprint, engine version), so an unchanged rule is never converted twice and a changed one
never reuses a stale entry. The whole cache is one file read at start and written atomically
when something was added: a warm run is a single read.
"""

from __future__ import annotations

import contextlib
import marshal
import sys
from pathlib import Path
from typing import Any

from socctl.errors import InputError

#: Bump whenever the compiled form changes meaning: every entry is then recompiled.
ENGINE_VERSION = "14"
#: Per engine version and Python (marshalled code objects only load in the Python that made them).
CACHE_NAME = f"sigma-engine-v{ENGINE_VERSION}-{sys.implementation.cache_tag}.bin"
#: Entries kept at most; beyond, the ones this run did not use are dropped.
MAX_ENTRIES = 40_000


def _of_another_python(name: str) -> bool:
    """A cache file named for another Python (older names carry no Python: ours to remove)."""
    return name.count("-") > 2 and not name.endswith(f"-{sys.implementation.cache_tag}.bin")


def default_cache_dir() -> Path:
    """``~/.cache/socctl`` (or ``$XDG_CACHE_HOME/socctl``): used when there is no workspace."""
    import os

    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "socctl"


class RuleCache:
    """Entries from the cache file; :meth:`save` writes back when something changed."""

    def __init__(self, directory: Path | None) -> None:
        self.path = directory / CACHE_NAME if directory is not None else None
        self._entries: dict[str, Any] = {}
        self._used: set[str] = set()
        self._dirty = False
        if self.path is not None and self.path.is_file():
            with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                loaded = marshal.loads(self.path.read_bytes())
                if isinstance(loaded, dict):
                    self._entries = loaded

    def get(self, key: str) -> Any:
        value = self._entries.get(key)
        if value is not None:
            self._used.add(key)
        return value

    def put(self, key: str, value: Any) -> None:
        if self.path is None:
            return
        self._entries[key] = value
        self._used.add(key)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if it changed; a cache that cannot be written is simply skipped."""
        if self.path is None or not self._dirty:
            return
        from socctl.storage import atomic_write  # only when writing: a warm run never does

        entries = self._entries
        if len(entries) > MAX_ENTRIES:
            entries = {k: v for k, v in entries.items() if k in self._used}
        with contextlib.suppress(OSError, InputError):  # e.g. a read-only home: run uncached
            atomic_write(self.path, marshal.dumps(entries))
            for old in self.path.parent.glob("sigma-engine-v*.bin"):
                if old.name != CACHE_NAME and not _of_another_python(old.name):
                    old.unlink()  # another engine version's: never read again
        self._dirty = False
