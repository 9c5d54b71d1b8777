"""The workspace's alert store (``.socctl/alerts.sqlite``): alerts kept once by ``alert_id``,
and the per-rule checkpoints of continuous detection, saved in the same transaction.

Alerts are listed by streaming rows from SQLite, so millions of them never sit in memory.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from socctl.detection.alerts import Alert, level_rank
from socctl.errors import NotFoundError, UsageError
from socctl.store.base import LogStore, display_text
from socctl.store.embedded import EmbeddedStore
from socctl.store.sqlite import connect, to_micros, transaction
from socctl.timeutil import now_utc
from socctl.workspace import Workspace

#: Shortest alert-id prefix ``get`` accepts.
MIN_PREFIX = 6

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    alert_id TEXT PRIMARY KEY,
    rule_id TEXT NOT NULL,
    level_rank INTEGER NOT NULL,
    ts INTEGER,
    host TEXT COLLATE NOCASE,
    system_id TEXT,
    stored INTEGER NOT NULL,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS alerts_rule ON alerts(rule_id);
CREATE INDEX IF NOT EXISTS alerts_host ON alerts(host);
CREATE INDEX IF NOT EXISTS alerts_system ON alerts(system_id);
CREATE TABLE IF NOT EXISTS checkpoints (
    index_name TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    cursor TEXT NOT NULL,
    updated INTEGER NOT NULL,
    PRIMARY KEY (index_name, rule_id)
);
"""


@dataclass(frozen=True)
class AlertFilter:
    """Which stored alerts to read: at or above ``level``, of ``rule``, ``host``, ``system``, with a
    timestamp at or after ``since``; None means any."""

    level: str | None = None
    rule: str | None = None
    host: str | None = None
    system: str | None = None
    since: datetime | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The WHERE clause (or nothing) and its parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        for sql, value in (
            ("level_rank >= ?", level_rank(self.level) if self.level else None),
            ("rule_id = ?", self.rule),
            ("host = ?", self.host),
            ("system_id = ?", self.system),
            ("ts >= ?", to_micros(self.since)),
        ):
            if value is not None:
                clauses.append(sql)
                params.append(value)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class AlertStore:
    """Alerts deduplicated by id, and checkpoints per (index, rule); ``logs`` is the log store
    whose documents alerts from an index refer to."""

    def __init__(self, workspace: Workspace, logs: LogStore | None = None) -> None:
        self.workspace = workspace
        self.path = workspace.state_dir / "alerts.sqlite"
        self.logs = logs if logs is not None else EmbeddedStore(workspace)

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        with closing(connect(self.path, _SCHEMA)) as conn:
            yield conn

    def add(
        self,
        alerts: Sequence[Alert],
        *,
        index: str | None = None,
        checkpoints: Mapping[str, str] | None = None,
    ) -> list[Alert]:
        """Store ``alerts`` not yet stored and return them; save ``checkpoints`` (rule id to
        cursor of ``index``) in the same transaction, so both are kept or neither.

        Each alert's sources are completed first: one from an index gains the ``path`` and
        ``record`` its document was read from; a file name that is not valid UTF-8 is shown with
        its undecodable bytes escaped (the alert id, already made, stays the same)."""
        self._complete_sources(alerts)
        stored = to_micros(now_utc())
        new: list[Alert] = []
        with self.workspace.lock("alerts"), self._conn() as conn, transaction(conn):
            for alert in alerts:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        alert.alert_id,
                        alert.rule["id"],
                        level_rank(alert.level),
                        to_micros(datetime.fromisoformat(alert.timestamp))
                        if alert.timestamp
                        else None,
                        alert.host,
                        alert.system["id"] if alert.system else None,
                        stored,
                        orjson.dumps(alert.to_dict(for_orjson=True), default=str),
                    ),
                )
                if cursor.rowcount:
                    new.append(alert)
            if checkpoints:
                conn.executemany(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?)",
                    [(index, rule, value, stored) for rule, value in checkpoints.items()],
                )
        return new

    def _complete_sources(self, alerts: Sequence[Alert]) -> None:
        by_index: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for source in _sources(alerts):
            if "index" in source:
                by_index[source["index"]].append(source)
            elif isinstance(source.get("path"), str):
                source["path"] = display_text(source["path"])
        for index, sources in by_index.items():
            try:
                origins = self.logs.origins(index, {source["document_id"] for source in sources})
            except NotFoundError:  # the index was dropped since: the alert keeps its id only
                continue
            for source in sources:
                origin = origins.get(source["document_id"])
                if origin is not None:
                    source["path"], source["record"] = origin.path, origin.record

    def checkpoints(self, index: str) -> dict[str, str]:
        """Rule id to the cursor continuous detection over ``index`` has reached."""
        if not self.path.is_file():
            return {}
        with self._conn() as conn:
            rows = conn.execute(
                "SELECT rule_id, cursor FROM checkpoints WHERE index_name = ?", (index,)
            ).fetchall()
        return dict(rows)

    def query(
        self, where: AlertFilter = AlertFilter(), limit: int | None = None
    ) -> list[dict[str, Any]]:
        """The alerts :meth:`stream` gives, as a list."""
        return [orjson.loads(doc) for doc in self.stream(where, limit)]

    def stream(
        self, where: AlertFilter = AlertFilter(), limit: int | None = None
    ) -> Iterator[bytes]:
        """Stored alerts matching ``where`` as JSON documents (one line each), newest first; at
        most ``limit`` (all when None or 0). Rows are read from SQLite as they are used."""
        clause, params = where.sql()
        tail = f" LIMIT {int(limit)}" if limit else ""
        if not self.path.is_file():
            return iter(())
        return self._rows(
            f"SELECT doc FROM alerts{clause} ORDER BY ts DESC, alert_id{tail}", params
        )

    def count(self, where: AlertFilter = AlertFilter()) -> int:
        """How many stored alerts :meth:`stream` would give without a limit."""
        clause, params = where.sql()
        if not self.path.is_file():
            return 0
        with self._conn() as conn:
            (total,) = conn.execute(f"SELECT count(*) FROM alerts{clause}", params).fetchone()
        return int(total)

    def _rows(self, sql: str, params: list[Any]) -> Iterator[bytes]:
        with self._conn() as conn:
            conn.execute("BEGIN")  # one snapshot while the rows are read
            for (doc,) in conn.execute(sql, params):
                yield doc

    def get(self, alert_id: str) -> dict[str, Any]:
        """The alert with this id, or with this unique id prefix (at least 6 characters)."""
        prefix = alert_id.strip().lower()
        if len(prefix) < MIN_PREFIX:
            raise UsageError(
                f"alert id '{alert_id}' is too short",
                hint=f"give at least {MIN_PREFIX} characters of the id",
            )
        rows = []
        if self.path.is_file():
            with self._conn() as conn:
                rows = conn.execute(
                    "SELECT doc FROM alerts WHERE alert_id >= ? AND alert_id < ? LIMIT 2",
                    (prefix, prefix + "g"),
                ).fetchall()
        if not rows:
            raise NotFoundError(f"no alert '{alert_id}'", hint="see 'socctl alerts list'")
        if len(rows) > 1:
            raise UsageError(
                f"alert id prefix '{alert_id}' matches several alerts", hint="give more characters"
            )
        result: dict[str, Any] = orjson.loads(rows[0][0])
        return result


def _sources(alerts: Iterable[Alert]) -> Iterator[dict[str, Any]]:
    """The source of each alert and of each event of a correlation."""
    for alert in alerts:
        yield alert.source
        if alert.correlation is not None:
            for event in alert.correlation.get("events", ()):
                yield event["source"]
