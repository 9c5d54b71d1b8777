"""Which signatures ``verify_journal`` checks: one per linked chain, every one of a chain that
does not link or whose last signature fails, and the same findings in worker processes."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from scripted_drill import DRILL, REPO, build, run_drill, start
from test_verify import TAMPERING, removed_last

from socctl.drills import journal
from socctl.drills.journal import verify_journal
from socctl.trust.store import load_trust
from socctl.workspace import Workspace


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws, keys = build(tmp_path_factory.mktemp("signatures"))
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    return ws


@pytest.fixture
def ws(logged: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "ws"
    shutil.copytree(logged, copy)
    return copy


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of signatures each call of ``_check_lines`` checked."""
    counts: list[int] = []
    real = journal._check_lines

    def counting(raw_key: bytes, lines: list[bytes]) -> list[bool]:
        counts.append(len(lines))
        return real(raw_key, lines)

    monkeypatch.setattr(journal, "_check_lines", counting)
    return counts


def chain_lines(ws: Path, slug: str) -> int:
    return len((ws / "drills" / DRILL / "journal" / f"{slug}.jsonl").read_bytes().splitlines())


def slugs(ws: Path) -> list[str]:
    return sorted(p.stem for p in (ws / "drills" / DRILL / "journal").glob("*.jsonl"))


def test_a_linked_chain_has_its_last_signature_checked(ws: Path, checked: list[int]) -> None:
    check = verify_journal(Workspace(ws), DRILL)
    assert check.ok, check.problems
    assert sum(checked) == check.signatures == len(slugs(ws))
    every = verify_journal(Workspace(ws), DRILL, every_signature=True)
    assert every.signatures == sum(chain_lines(ws, s) for s in slugs(ws)) == len(every.entries)
    assert every.entries == check.entries and every.heads == check.heads


@pytest.mark.parametrize(("tamper", "kind", "where"), TAMPERING)
def test_a_tampered_chain_has_every_signature_checked(
    ws: Path, tamper: Callable[[Path], None], kind: str, where: str
) -> None:
    before = verify_journal(Workspace(ws), DRILL).signatures
    tamper(ws)
    found = verify_journal(Workspace(ws), DRILL)
    assert any(p.kind == kind and where in str(p) for p in found.problems), found.problems
    if tamper is not removed_last:  # a chain cut at its end still links: its checkpoint tells
        assert found.signatures > before
    assert verify_journal(Workspace(ws), DRILL, every_signature=True).problems == found.problems


@pytest.mark.parametrize(("tamper", "kind", "where"), TAMPERING)
def test_worker_processes_find_the_same(
    ws: Path, monkeypatch: pytest.MonkeyPatch, tamper: Callable[[Path], None], kind: str, where: str
) -> None:
    tamper(ws)
    alone = verify_journal(Workspace(ws), DRILL, every_signature=True)
    monkeypatch.setattr(journal, "PARALLEL_FROM", 1)
    parallel = verify_journal(Workspace(ws), DRILL, every_signature=True)
    assert parallel.problems == alone.problems
    assert parallel.entries == alone.entries and parallel.heads == alone.heads
    assert any(p.kind == kind and where in str(p) for p in parallel.problems)


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
    assert journal._check_lines(own, variants) == [True, False, False]
    assert journal._check_lines(other, [line]) == [False]


def test_an_author_never_signs_after_a_line_someone_else_added(logged: Path, ws: Path) -> None:
    """Else the author's next signature would vouch for it and verify would pass it."""
    from socctl.errors import InputError
    from socctl.trust.keys import load_private_key

    path = ws / "drills" / DRILL / "journal" / "red-a.jsonl"
    last = path.read_bytes().splitlines()[-1]
    fields = orjson.loads(last)
    forged = dict(fields, seq=fields["seq"] + 1, prev=journal.entry_hash(last), note="forged")
    forged["signature"] = base64.b64encode(bytes(64)).decode()
    with path.open("ab") as handle:
        handle.write(journal.payload_bytes(forged) + b"\n")
    before = path.read_bytes()
    key = load_private_key(logged.parent / "keys" / "red-a.pem")
    entry = {k: v for k, v in fields.items() if k not in ("seq", "prev", "logged_at", "signature")}
    with pytest.raises(InputError, match="not signed by this key"):
        journal.append_entry(Workspace(ws), "red-a", key, entry)
    assert path.read_bytes() == before
    assert not verify_journal(Workspace(ws), DRILL).ok
