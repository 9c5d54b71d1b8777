"""The embedded log store: documents kept once, searched by time and by ingest position."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from store_fixtures import T0, logon_failure, workspace

from socctl.detection.event import Event
from socctl.errors import InputError, NotFoundError, UsageError
from socctl.store import EmbeddedStore, embedded
from socctl.workspace import Workspace


def test_ingesting_the_same_events_twice_adds_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    events = [logon_failure(n) for n in range(50)]
    first = store.ingest_events("winlog", events)
    second = store.ingest_events("winlog", events)
    assert (first.added, first.duplicates) == (50, 0)
    assert (second.read, second.added, second.duplicates) == (50, 0, 50)
    assert store.count("winlog") == 50


def test_same_content_at_another_record_or_file_is_another_document(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    event = logon_failure(1)
    stats = store.ingest_events(
        "winlog", [event, replace(event, ref="2"), replace(event, source="/other/Security.evtx")]
    )
    assert stats.added == 3


def test_search_returns_the_events_in_time_order_with_document_ids(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    events = [logon_failure(n) for n in (30, 10, 20, 40)]
    store.ingest_events("winlog", events)
    found = list(store.search("winlog", T0 + timedelta(seconds=10), T0 + timedelta(seconds=40)))
    assert [e.timestamp for e in found] == [T0 + timedelta(seconds=s) for s in (10, 20, 30)]
    assert {e.source for e in found} == {"winlog"}
    assert len({e.ref for e in found}) == 3
    original = events[1]
    assert (found[0].fields, found[0].data, found[0].kind) == (
        original.fields,
        original.data,
        original.kind,
    )
    # a document keeps its id when searched again
    assert [e.ref for e in store.search("winlog")][:3] == [e.ref for e in found]


def test_cursor_resumes_after_the_documents_already_seen_whatever_their_time(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    store.ingest_events("winlog", [logon_failure(n) for n in range(100, 110)])
    cursor = store.cursor("winlog")
    late = [logon_failure(n) for n in range(5)]  # arrives later, but is older
    store.ingest_events("winlog", late)
    resumed = list(store.search("winlog", after=cursor))
    assert [e.timestamp for e in resumed] == [e.timestamp for e in late]
    assert list(store.search("winlog", after=cursor, until=cursor)) == []


def test_indices_lists_counts_and_time_ranges(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    store.ingest_events("winlog", [logon_failure(n) for n in (5, 1, 9)])
    store.ingest_events("web", [logon_failure(3)])
    listed = {i.name: i for i in store.indices()}
    assert sorted(listed) == ["web", "winlog"]
    assert listed["winlog"].count == 3
    assert (listed["winlog"].first, listed["winlog"].last) == (
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=9),
    )
    assert store.count("winlog", start=T0 + timedelta(seconds=2)) == 2


def test_unknown_index_and_bad_names_are_clear_errors(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    with pytest.raises(NotFoundError, match="no index 'nothing'"):
        store.search("nothing")
    for bad in ("Upper", "../escape", "a b", "", "-dash"):
        with pytest.raises(UsageError, match="not a valid index name"):
            store.ingest_events(bad, [])


def _ingest_slowly(root: Path, total: int) -> None:
    embedded.BATCH = 50  # many small transactions, so the reader runs between them
    store = EmbeddedStore(Workspace(root))
    store.ingest_events("winlog", (logon_failure(n) for n in range(total)))


def test_search_runs_while_another_process_ingests(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    store = EmbeddedStore(ws)
    store.ingest_events("winlog", [logon_failure(-1)])
    total = 20_000
    writer = multiprocessing.get_context("spawn").Process(
        target=_ingest_slowly, args=(ws.root, total)
    )
    writer.start()
    seen = []
    while writer.is_alive():
        seen.append(sum(1 for _ in store.search("winlog")))
    writer.join()
    assert writer.exitcode == 0
    assert seen == sorted(seen)  # every search saw a consistent, growing snapshot
    assert store.count("winlog") == total + 1


def test_an_ingest_that_fails_leaves_no_new_index_and_keeps_an_old_one(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))

    def failing() -> Iterator[Event]:
        yield logon_failure(1)
        raise InputError("unreadable record")

    with pytest.raises(InputError):
        store.ingest_events("fresh", failing())
    assert store.indices() == []
    store.ingest_events("winlog", [logon_failure(0)])
    with pytest.raises(InputError):
        store.ingest_events("winlog", failing())
    assert [i.name for i in store.indices()] == ["winlog"]


def test_ingest_of_a_missing_path_creates_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    with pytest.raises(NotFoundError, match="no such file or folder"):
        store.ingest([tmp_path / "nope"], "fresh")
    assert store.indices() == []


def test_origins_name_the_file_and_record_even_for_names_that_are_not_utf8(
    tmp_path: Path,
) -> None:
    store = EmbeddedStore(workspace(tmp_path))
    names = [os.fsdecode(b"/evidence/bad\xffname.log"), os.fsdecode(b"/evidence/bad\xfename.log")]
    events = [replace(logon_failure(1), source=name) for name in names]
    assert store.ingest_events("winlog", events).added == 2
    assert store.ingest_events("winlog", events).added == 0  # the same names, the same documents
    ids = [e.ref for e in store.search("winlog")]
    origins = store.origins("winlog", [*ids, "00" * 16, "not hex"])
    assert sorted((o.path, o.record) for o in origins.values()) == [
        ("/evidence/bad\\xfename.log", "1"),
        ("/evidence/bad\\xffname.log", "1"),
    ]
