"""SQLite connections set up for one writer and many readers in separate processes (WAL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from socctl.errors import InputError
from socctl.timeutil import to_utc

#: How long a writer waits for another process's write transaction before failing.
BUSY_TIMEOUT_MS = 60_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` in WAL mode with ``schema`` applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-65536")
        conn.executescript(schema)
    except sqlite3.DatabaseError as exc:
        raise InputError(
            f"cannot open the database: {exc}",
            path=path,
            hint="it may be damaged; move it away and rebuild it",
        ) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[None]:
    """A transaction: committed when the block ends, rolled back on any exception."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def to_micros(value: datetime | None) -> int | None:
    """A time as integer microseconds since the epoch (UTC); naive times are local."""
    if value is None:
        return None
    return (to_utc(value) - _EPOCH) // _MICROSECOND


def from_micros(value: int | None) -> datetime | None:
    return None if value is None else _EPOCH + value * _MICROSECOND
