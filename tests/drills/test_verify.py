"""``drill verify`` on the scripted drill: intact, then each kind of tampering found and named."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from scripted_drill import DRILL, REPO, build, run_drill, start

from socctl.drills.journal import entry_hash, payload_bytes


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws, keys = build(tmp_path_factory.mktemp("verify"))
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    return ws


def verify(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socctl", "--workspace", str(ws), "drill", "verify", DRILL,
         "-f", "csv", *args],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def chain(ws: Path, slug: str) -> Path:
    return ws / "drills" / DRILL / "journal" / f"{slug}.jsonl"


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def edit(path: Path, change: Callable[[list[str]], list[str]]) -> None:
    path.write_text("".join(change(lines(path))), encoding="utf-8")


def edited(ws: Path) -> None:
    edit(chain(ws, "red-a"), lambda ls: [ls[0].replace("dvc-web01", "dvc-web02"), *ls[1:]])


def removed_middle(ws: Path) -> None:
    edit(chain(ws, "red-a"), lambda ls: [ls[0], *ls[2:]])


def removed_last(ws: Path) -> None:  # only the controller's checkpoint knows there was one
    edit(chain(ws, "onsite-a"), lambda ls: ls[:-1])


def reordered(ws: Path) -> None:
    edit(chain(ws, "red-b"), lambda ls: [ls[1], ls[0], *ls[2:]])


def replayed_within(ws: Path) -> None:
    edit(chain(ws, "soc-a"), lambda ls: [*ls, ls[0]])


def replayed_from_another_author(ws: Path) -> None:
    other = lines(chain(ws, "red-b"))[0]
    edit(chain(ws, "red-a"), lambda ls: [*ls, other])


def forged(ws: Path) -> None:
    """An entry re-signed by a key the workspace does not trust, claiming to be red-a's."""
    stranger = Ed25519PrivateKey.generate()
    last = lines(chain(ws, "red-a"))[-1]
    fields = json.loads(last)
    fields.pop("signature")
    fields["author"] = "SHA256:" + "A" * 43
    fields["seq"] += 1
    fields["prev"] = entry_hash(last.encode())
    payload = payload_bytes(fields)
    fields["signature"] = base64.b64encode(stranger.sign(payload)).decode()
    edit(chain(ws, "red-a"), lambda ls: [*ls, json.dumps(fields) + "\n"])


def edited_last(ws: Path) -> None:
    """The last entry, whose signature vouches for the chain, changed: every entry is checked."""
    edit(chain(ws, "red-a"), lambda ls: [*ls[:-1], ls[-1].replace('"seq":', '"note":"x","seq":')])


def signature_of_middle_entry_changed(ws: Path) -> None:
    """Only a signature changed (the entry's fields as signed): the next line's link breaks."""

    def change(ls: list[str]) -> list[str]:
        fields = json.loads(ls[1])
        raw = bytearray(base64.b64decode(fields["signature"]))
        raw[0] ^= 1
        fields["signature"] = base64.b64encode(bytes(raw)).decode()
        return [ls[0], json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n", *ls[2:]]

    edit(chain(ws, "soc-a"), change)


def signature_swapped(ws: Path) -> None:
    first, second = (json.loads(line) for line in lines(chain(ws, "red-a"))[:2])
    first["signature"] = second["signature"]
    edit(chain(ws, "red-a"), lambda ls: [json.dumps(first) + "\n", *ls[1:]])


def spec_changed(ws: Path) -> None:
    spec = ws / "drills" / DRILL / "drill.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("18:00:00", "20:00:00"), "utf-8")


#: Each tampering of the chains, the kind of problem it is and where it is named.
TAMPERING: list[tuple[Callable[[Path], None], str, str]] = [
    (edited, "edited", "red-a.jsonl:1"),
    (removed_middle, "removed", "seq 2 of red-a missing"),
    (removed_last, "removed", "seq 2 of onsite-a, listed by the checkpoint"),
    (reordered, "reordered", "red-b.jsonl:2"),
    (replayed_within, "replayed", "repeats the entry at line 1"),
    (replayed_from_another_author, "replayed", "an entry of red-b, copied into the chain of red-a"),
    (forged, "forged", "a key this workspace does not trust"),
    (signature_swapped, "edited", "does not match the entry"),
    (edited_last, "edited", "does not match the entry"),
    (signature_of_middle_entry_changed, "edited", "soc-a.jsonl:2"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("tamper", "kind", "where"), [*TAMPERING, (spec_changed, "spec", "drill.yaml")]
)
def test_each_kind_of_tampering_is_named(
    logged: Path, tmp_path: Path, tamper: Callable[[Path], None], kind: str, where: str
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(logged, ws)
    before = {p: p.read_bytes() for p in (ws / "drills").rglob("*") if p.is_file()}
    tamper(ws)
    tampered = {p: p.read_bytes() for p in (ws / "drills").rglob("*") if p.is_file()}
    run = verify(ws)
    assert run.returncode == 3, run.stdout + run.stderr
    assert f"{kind}," in run.stdout and where in run.stdout, run.stdout
    assert "the journal fails verification" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    # never repaired: the files are as the tampering left them
    assert {p: p.read_bytes() for p in (ws / "drills").rglob("*") if p.is_file()} == tampered
    assert tampered != before


def test_an_intact_journal_verifies(logged: Path) -> None:
    run = verify(logged)
    assert run.returncode == 0, run.stderr
    assert "all signed and in order" in run.stderr
    assert run.stdout.splitlines() == ["kind,where,problem"]  # no problem, for a script too


def test_a_linked_chain_is_proven_by_its_last_signature_or_each_on_request(logged: Path) -> None:
    chains = list((logged / "drills" / DRILL / "journal").glob("*.jsonl"))
    entries = sum(len(lines(path)) for path in chains)
    assert entries > len(chains)
    assert f"({len(chains)} signature(s) checked)" in verify(logged).stderr
    every = verify(logged, "--all-signatures")
    assert every.returncode == 0, every.stderr
    assert f"{entries} entries" in every.stderr
    assert f"({entries} signature(s) checked)" in every.stderr
