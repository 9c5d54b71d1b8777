"""The workspace lock: writers take it so two commands never interleave their writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from socctl.errors import LockTimeout

DEFAULT_TIMEOUT = 60.0
#: How long to wait quietly before ``on_wait`` is told that another command holds the lock.
QUIET_WAIT = 1.0


@contextmanager
def workspace_lock(
    state_dir: Path,
    name: str = "write",
    timeout: float = DEFAULT_TIMEOUT,
    on_wait: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the exclusive lock ``state_dir/<name>.lock``; wait up to ``timeout`` seconds, calling
    ``on_wait`` once if the lock is not free within a second."""
    # imported here: it costs commands that never write ~30 ms
    from filelock import FileLock, Timeout

    state_dir.mkdir(parents=True, exist_ok=True)
    lock_path = state_dir / f"{name}.lock"
    lock = FileLock(str(lock_path))
    try:
        try:
            lock.acquire(timeout=min(QUIET_WAIT, timeout))
        except Timeout:
            if timeout <= QUIET_WAIT:
                raise
            if on_wait is not None:
                on_wait()
            lock.acquire(timeout=timeout - QUIET_WAIT)
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
