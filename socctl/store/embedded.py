"""The embedded log store: one SQLite database (WAL) per index under ``.socctl/logs/``.

A document is an event stored compactly: its ``fields`` and, when it differs, its original
``data`` as orjson blobs, with kind, timestamp (UTC microseconds) and where it came from. Its
id is a hash of the source file, the record reference and the content, so ingesting the same
records again adds nothing; the file and record it came from are kept (a file name that is not
valid UTF-8 as its raw bytes) so alerts can name them. ``seq`` (the row id) is the ingest position cursors refer to: it
only grows because documents are never deleted one by one (dropping an index removes its file),
so it needs no AUTOINCREMENT (which costs 15% of ingest speed).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import orjson

from socctl.detection.event import Event
from socctl.errors import InputError, NotFoundError
from socctl.store.base import IndexInfo, IngestStats, Origin, validate_index_name
from socctl.store.sqlite import connect, from_micros, to_micros, transaction
from socctl.workspace import Workspace

#: Documents written per transaction: big enough to be fast, small enough for readers to
#: see progress and for an interrupted ingest to lose little (rerunning it completes it).
BATCH = 20_000
#: Document ids looked up per query (SQLite allows 32766 parameters).
LOOKUP_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY,
    doc_id BLOB NOT NULL UNIQUE,
    ts INTEGER,
    kind TEXT NOT NULL,
    source_id INTEGER NOT NULL REFERENCES sources(id),
    ref TEXT NOT NULL,
    fields BLOB NOT NULL,
    data BLOB
);
CREATE INDEX IF NOT EXISTS documents_ts ON documents(ts);
"""

_INSERT = (
    "INSERT OR IGNORE INTO documents (doc_id, ts, kind, source_id, ref, fields, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def document_id(event: Event) -> bytes:
    """The document's stable id: a hash of source, record reference and content."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(event.source.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(event.ref.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update(orjson.dumps(event.data, option=orjson.OPT_SORT_KEYS, default=str))
    return digest.digest()


class EmbeddedStore:
    """The workspace's embedded log store (see the module docstring)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.directory = workspace.state_dir / "logs"

    def _path(self, index: str) -> Path:
        return self.directory / f"{validate_index_name(index)}.sqlite"

    def _open(self, index: str, *, create: bool = False) -> sqlite3.Connection:
        path = self._path(index)
        if not create and not path.is_file():
            raise NotFoundError(
                f"no index '{index}' in the embedded log store",
                hint="see 'socctl logs indices', or load logs with 'socctl logs ingest PATH --index NAME'",
            )
        return connect(path, _SCHEMA)

    # -- listing ---------------------------------------------------------------------------

    def indices(self) -> list[IndexInfo]:
        infos = []
        for path in sorted(self.directory.glob("*.sqlite")):
            name = path.stem
            first, last = self.time_range(name)
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
            infos.append(IndexInfo(name, self.count(name), first, last, size))
        return infos

    def count(self, index: str, start: datetime | None = None, end: datetime | None = None) -> int:
        where, params = _time_filter(start, end)
        with closing(self._open(index)) as conn:
            row = conn.execute(f"SELECT count(*) FROM documents {where}", params).fetchone()
        return int(row[0])

    def time_range(self, index: str) -> tuple[datetime | None, datetime | None]:
        with closing(self._open(index)) as conn:
            first, last = conn.execute("SELECT min(ts), max(ts) FROM documents").fetchone()
        return from_micros(first), from_micros(last)

    def cursor(self, index: str) -> str:
        with closing(self._open(index)) as conn:
            (seq,) = conn.execute("SELECT coalesce(max(seq), 0) FROM documents").fetchone()
        return _cursor(seq)

    # -- ingest ----------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path], index: str, fmt: str | None = None) -> IngestStats:
        from socctl.detection.inputs import iter_paths, read_events

        stats = IngestStats()
        validate_index_name(index)
        files = list(iter_paths([Path(p).resolve() for p in paths]))  # a missing path fails here

        def events() -> Iterator[Event]:
            for path in files:
                stats.files += 1
                yield from read_events(path, fmt, on_malformed=stats.report)

        return self.ingest_events(index, events(), stats)

    def ingest_events(
        self, index: str, events: Iterable[Event], stats: IngestStats | None = None
    ) -> IngestStats:
        """Add ``events`` (see :class:`~socctl.store.base.LogStore`); an index this call creates
        is removed again when it fails, so an error leaves no empty index behind."""
        stats = stats or IngestStats()
        path = self._path(index)
        with self.workspace.lock(f"logs-{index}"):
            created = not path.exists()
            try:
                with closing(self._open(index, create=True)) as conn:
                    _add(conn, events, stats)
            except Exception:
                if created:
                    for leftover in (path, *path.parent.glob(path.name + "-*")):
                        leftover.unlink(missing_ok=True)
                raise
        return stats

    def origins(self, index: str, document_ids: Iterable[str]) -> dict[str, Origin]:
        keys = {}
        for doc_id in document_ids:
            try:
                keys[bytes.fromhex(doc_id)] = doc_id
            except ValueError:
                continue
        found: dict[str, Origin] = {}
        wanted = list(keys)
        with closing(self._open(index)) as conn:
            for start in range(0, len(wanted), LOOKUP_CHUNK):
                chunk = wanted[start : start + LOOKUP_CHUNK]
                rows = conn.execute(
                    "SELECT d.doc_id, s.path, d.ref FROM documents d"
                    " JOIN sources s ON s.id = d.source_id"
                    f" WHERE d.doc_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                for doc_id, source, ref in rows:
                    path = (
                        source.decode("utf-8", "backslashreplace")
                        if isinstance(source, bytes)
                        else source
                    )
                    found[keys[doc_id]] = Origin(path, ref)
        return found

    # -- search ----------------------------------------------------------------------------

    def search(
        self,
        index: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        after: str | None = None,
        until: str | None = None,
    ) -> Iterator[Event]:
        where, params = _time_filter(start, end)
        clauses = [where.removeprefix("WHERE ")] if where else []
        for bound, op in ((after, ">"), (until, "<=")):
            if bound is not None:
                clauses.append(f"seq {op} ?")
                params.append(_seq(bound))
        sql = (
            "SELECT doc_id, ts, kind, fields, data FROM documents"
            + (" WHERE " + " AND ".join(clauses) if clauses else "")
            + " ORDER BY ts, seq"
        )
        conn = self._open(index)
        return _iterate(conn, sql, params, index)


def _iterate(conn: sqlite3.Connection, sql: str, params: list[Any], index: str) -> Iterator[Event]:
    loads = orjson.loads
    try:
        conn.execute("BEGIN")  # one snapshot for the whole search, while ingest goes on
        for doc_id, ts, kind, fields_blob, data_blob in conn.execute(sql, params):
            fields = loads(fields_blob)
            yield Event(
                fields=fields,
                data=fields if data_blob is None else loads(data_blob),
                source=index,
                ref=doc_id.hex(),
                kind=kind,
                timestamp=from_micros(ts),
            )
    finally:
        conn.close()


def _add(conn: sqlite3.Connection, events: Iterable[Event], stats: IngestStats) -> None:
    sources: dict[str, int] = {}
    iterator = iter(events)
    while batch := list(islice(iterator, BATCH)):
        with transaction(conn):
            rows = [_row(event, _source_id(conn, sources, event.source)) for event in batch]
            before = conn.total_changes
            conn.executemany(_INSERT, rows)
            added = conn.total_changes - before
        stats.read += len(batch)
        stats.added += added
        stats.duplicates += len(batch) - added


def _row(event: Event, source_id: int) -> tuple[Any, ...]:
    fields = orjson.dumps(event.fields, default=str)
    data = None if event.data is event.fields or event.data == event.fields else event.data
    return (
        document_id(event),
        to_micros(event.timestamp),
        event.kind,
        source_id,
        event.ref,
        fields,
        None if data is None else orjson.dumps(data, default=str),
    )


def _source_id(conn: sqlite3.Connection, cache: dict[str, int], source: str) -> int:
    if source not in cache:
        key = _source_key(source)
        conn.execute("INSERT OR IGNORE INTO sources (path) VALUES (?)", (key,))
        (cache[source],) = conn.execute("SELECT id FROM sources WHERE path = ?", (key,)).fetchone()
    return cache[source]


def _source_key(source: str) -> str | bytes:
    """How a source is kept: its text, or (SQLite text must be UTF-8) the raw bytes of a file
    name that is not valid UTF-8, so two such names never collide."""
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return source.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return source.encode("utf-8", "surrogatepass")
    return source


def _time_filter(start: datetime | None, end: datetime | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    if start is not None:
        clauses.append("ts >= ?")
        params.append(to_micros(start))
    if end is not None:
        clauses.append("ts < ?")
        params.append(to_micros(end))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _cursor(seq: int) -> str:
    """A cursor: the sequence zero-padded, so cursors compare as strings in ingest order."""
    return f"{seq:020d}"


def _seq(cursor: str) -> int:
    try:
        return int(cursor)
    except ValueError:
        raise InputError(f"'{cursor}' is not a cursor of the embedded log store") from None
