"""Remembered signature checks: a chain that only grew has its new lines checked, and nothing
remembered ever hides tampering (each kind still found and named, in worker processes too)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from scripted_drill import DRILL, REPO, build, run_drill, start
from test_verify import (
    edited,
    forged,
    removed_last,
    removed_middle,
    reordered,
    replayed_from_another_author,
    replayed_within,
    signature_swapped,
)

from socctl.drills import journal
from socctl.drills.journal import append_entry, verify_journal
from socctl.trust.keys import load_private_key
from socctl.trust.store import load_trust
from socctl.workspace import Workspace

TAMPERING: list[tuple[Callable[[Path], None], str, str]] = [
    (edited, "edited", "red-a.jsonl:1"),
    (removed_middle, "removed", "seq 2 of red-a missing"),
    (removed_last, "removed", "seq 2 of onsite-a, listed by the checkpoint"),
    (reordered, "reordered", "red-b.jsonl:2"),
    (replayed_within, "replayed", "repeats the entry at line 1"),
    (replayed_from_another_author, "replayed", "an entry of red-b, copied into the chain of red-a"),
    (forged, "forged", "a key this workspace does not trust"),
    (signature_swapped, "edited", "does not match the entry"),
]  # fmt: skip


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This user's cache (where the secret of the remembered checks is kept)."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ws, keys = build(tmp_path_factory.mktemp("remembered"))
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    return ws, keys


@pytest.fixture
def ws(logged: tuple[Path, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(logged[0], copy)
    shutil.rmtree(Workspace(copy).cache_dir / "drills", ignore_errors=True)
    return copy


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many lines each verification checked the signature of."""
    counts: list[int] = []
    real = journal._check_lines

    def counting(raw_key: bytes, lines: list[bytes]) -> list[tuple[str, bool]]:
        counts[-1] += len(lines)
        return real(raw_key, lines)

    monkeypatch.setattr(journal, "_check_lines", counting)
    yield counts


def verify(ws: Path, counts: list[int]) -> journal.JournalCheck:
    counts.append(0)
    return verify_journal(Workspace(ws), DRILL)


def total_lines(ws: Path) -> int:
    folder = ws / "drills" / DRILL / "journal"
    return sum(len(p.read_bytes().splitlines()) for p in folder.glob("*.jsonl"))


def test_only_new_lines_are_checked(
    ws: Path, logged: tuple[Path, Path], checked: list[int]
) -> None:
    first = verify(ws, checked)
    assert first.ok, first.problems
    assert checked[-1] == total_lines(ws)
    again = verify(ws, checked)
    assert checked[-1] == 0
    assert again.ok and again.heads == first.heads and again.entries == first.entries
    trust = load_trust(Workspace(ws))
    append_entry(
        Workspace(ws),
        "soc-a",
        load_private_key(logged[1] / "soc-a.pem"),
        {
            "drill": DRILL,
            "author": trust.get("soc-a").entry.fingerprint,
            "role": "blue",
            "team": "soc",
            "kind": "detect",
            "at": "2026-11-21T10:00:00+07:00",
            "note": "late detection",
        },
    )
    grown = verify(ws, checked)
    assert grown.ok, grown.problems
    assert checked[-1] == 1
    assert len(grown.entries) == len(first.entries) + 1


@pytest.mark.parametrize(("tamper", "kind", "where"), TAMPERING)
def test_tampering_after_a_remembered_check_is_named(
    ws: Path, checked: list[int], tamper: Callable[[Path], None], kind: str, where: str
) -> None:
    assert verify(ws, checked).ok
    tamper(ws)
    found = verify(ws, checked)
    assert any(p.kind == kind and where in str(p) for p in found.problems), found.problems
    # and again, once the tampered chain's checks are remembered too
    assert verify(ws, checked).problems == found.problems


@pytest.mark.parametrize(("tamper", "kind", "where"), TAMPERING)
def test_worker_processes_find_the_same(
    ws: Path, monkeypatch: pytest.MonkeyPatch, tamper: Callable[[Path], None], kind: str, where: str
) -> None:
    tamper(ws)
    alone = verify_journal(Workspace(ws), DRILL)
    shutil.rmtree(Workspace(ws).cache_dir / "drills")
    monkeypatch.setattr(journal, "PARALLEL_FROM", 1)
    parallel = verify_journal(Workspace(ws), DRILL)
    assert parallel.problems == alone.problems
    assert parallel.entries == alone.entries and parallel.heads == alone.heads
    assert any(p.kind == kind and where in str(p) for p in parallel.problems)


def records(ws: Path) -> list[Path]:
    return sorted((Workspace(ws).cache_dir / "drills" / DRILL).glob("*.json"))


def test_a_record_written_by_hand_is_ignored(ws: Path, checked: list[int]) -> None:
    verify(ws, checked)
    edited(ws)
    verify(ws, checked)
    path = next(p for p in records(ws) if p.name == "red-a.json")
    mac, _, body = path.read_bytes().partition(b"\n")
    doc = orjson.loads(body)
    assert doc["hashes"][0] is None  # the edited line is not remembered as valid
    doc["hashes"][0] = doc["hashes"][1]
    path.write_bytes(mac + b"\n" + orjson.dumps(doc))
    found = verify(ws, checked)
    assert checked[-1] == len(
        (ws / "drills" / DRILL / "journal" / "red-a.jsonl").read_bytes().splitlines()
    )
    assert any(p.kind == "edited" and "red-a.jsonl:1" in str(p) for p in found.problems)


def test_records_of_another_user_are_ignored(
    ws: Path, checked: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    verify(ws, checked)
    assert records(ws)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-user"))
    assert verify(ws, checked).ok
    assert checked[-1] == total_lines(ws)


def test_signature_checks(ws: Path) -> None:
    """Valid, one bit changed, too short, another key's: only the first passes."""
    path = ws / "drills" / DRILL / "journal" / "red-a.jsonl"
    line = path.read_bytes().splitlines()[0]
    fields = orjson.loads(line)
    signature = base64.b64decode(fields["signature"])
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    variants = [
        line,
        orjson.dumps({**fields, "signature": base64.b64encode(flipped).decode()}),
        orjson.dumps({**fields, "signature": base64.b64encode(signature[:32]).decode()}),
    ]
    trust = load_trust(Workspace(ws))
    own, other = (base64.b64decode(trust.get(s).entry.public_key) for s in ("red-a", "red-b"))
    results = journal._check_lines(own, variants)
    assert [ok for _, ok in results] == [True, False, False]
    assert len({digest for digest, _ in results}) == 1  # the hash leaves out the signature
    assert journal._check_lines(other, [line]) == [(results[0][0], False)]
