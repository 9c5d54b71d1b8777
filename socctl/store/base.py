"""The log-store interface, named in Elasticsearch terms (index, document id) so ES can implement it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from socctl.detection.event import Event
from socctl.detection.event import display_text as display_text  # re-exported for callers
from socctl.detection.inputs.malformed import Malformed
from socctl.errors import UsageError

#: Elasticsearch's rules for index names, kept a little stricter (a safe file name too).
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
#: Malformed records kept as examples in :class:`IngestStats` (all are counted).
MALFORMED_EXAMPLES = 20


def validate_index_name(name: str) -> str:
    """Return ``name`` if it is a valid index name, else raise :class:`UsageError`."""
    if not _INDEX_NAME.match(name) or name in {".", ".."}:
        raise UsageError(
            f"'{name}' is not a valid index name",
            hint="use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return name


@dataclass(slots=True)
class IngestStats:
    """What one ingest did: documents read, added, already present, and malformed records
    (skipped; repaired ones are only listed among the examples)."""

    files: int = 0
    read: int = 0
    added: int = 0
    duplicates: int = 0
    malformed: int = 0
    malformed_examples: list[Malformed] = field(default_factory=list)
    #: Files not read at all (format not recognised, or not the one their name says).
    rejected_files: list[Malformed] = field(default_factory=list)

    def report(self, record: Malformed) -> None:
        """Count a malformed record, keeping the first few as examples."""
        self.malformed += record.skipped
        if record.whole_file:
            self.rejected_files.append(record)
        elif len(self.malformed_examples) < MALFORMED_EXAMPLES:
            self.malformed_examples.append(record)


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """An index as ``logs indices`` lists it."""

    name: str
    count: int
    first: datetime | None
    last: datetime | None
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a document was read from: the file (shown with undecodable bytes escaped) and the
    record (number, byte offset) within it."""

    path: str
    record: str


class LogStore(Protocol):
    """Named indices of documents (events); each document has a stable id and an ingest position.

    A *cursor* is an opaque ingest position: documents ingested later come after it, whatever
    their timestamps, so a continuous detection that resumes from its cursor misses nothing.
    Cursors compare as strings in ingest order.
    """

    def indices(self) -> list[IndexInfo]:
        """Every index with its document count and time range."""
        ...

    def ingest(self, paths: Iterable[Path], index: str, fmt: str | None = None) -> IngestStats:
        """Read log files into ``index``; documents already present are not added again."""
        ...

    def ingest_events(self, index: str, events: Iterable[Event]) -> IngestStats:
        """Add events to ``index`` (bulk indexing); documents already present are skipped."""
        ...

    def search(
        self,
        index: str,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        after: str | None = None,
        until: str | None = None,
    ) -> Iterator[Event]:
        """Documents with ``start <= timestamp < end`` ingested after cursor ``after`` and up to
        cursor ``until``, in timestamp order. ``Event.source`` is the index, ``Event.ref`` the
        document id."""
        ...

    def count(self, index: str, start: datetime | None = None, end: datetime | None = None) -> int:
        """How many documents of ``index`` have ``start <= timestamp < end``."""
        ...

    def time_range(self, index: str) -> tuple[datetime | None, datetime | None]:
        """The earliest and latest document timestamps of ``index``."""
        ...

    def cursor(self, index: str) -> str:
        """The ingest position now (see the class docstring)."""
        ...

    def origins(self, index: str, document_ids: Iterable[str]) -> dict[str, Origin]:
        """Where each document of ``index`` was read from, by document id (unknown ids are left
        out)."""
        ...
