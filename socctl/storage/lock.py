"""The workspace lock: writers take it so two commands never interleave their writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from socctl.errors import LockTimeout

DEFAULT_TIMEOUT = 60.0


@contextmanager
def workspace_lock(
    state_dir: Path, name: str = "write", timeout: float = DEFAULT_TIMEOUT
) -> Iterator[None]:
    """Hold the exclusive lock ``state_dir/<name>.lock``; wait up to ``timeout`` seconds."""
    state_dir.mkdir(parents=True, exist_ok=True)
    lock_path = state_dir / f"{name}.lock"
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockTimeout(
            f"another socctl command has held the workspace lock for {timeout:.0f}s",
            path=lock_path,
            hint="wait for it to finish, or stop it",
        ) from None
    try:
        yield
    finally:
        lock.release()
