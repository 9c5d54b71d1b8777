"""The drill journal: one signed, hash-chained, append-only chain per author.

``drills/<id>/journal/<key-slug>.jsonl`` holds one entry per line, written by that key only.
Each line is the canonical JSON of an entry (sorted keys, compact, UTF-8); the entry's
``signature`` is its author's Ed25519 signature over the same JSON without the signature, and
the line's hash (SHA-256 of the line, signature included) is the next entry's ``prev``. So the
signature of an entry vouches for every line before it in its chain, as a signed git commit
does for its history: a chain whose lines are entries 1, 2, 3… each linking to the line before
is proven by the signature of its last entry; any other chain has every signature checked, to
name each bad entry. The controller's chain also carries checkpoints: the (seq, hash) head of
every chain at that moment, so that removing the last entries of a chain is found too.
Different authors never write the same file, so copies of a workspace synced with git merge
without conflicts.
"""

from __future__ import annotations

import base64
import binascii
import gc
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from socctl.drills.spec import (
    JOURNAL_DIR,
    SIGNATURE_NAME,
    SPEC_NAME,
    AwareDatetime,
    DrillSpec,
    Team,
    TeamRole,
    drill_dir,
    load_spec,
)
from socctl.errors import InputError
from socctl.storage.yamlio import load_model
from socctl.timeutil import now_utc
from socctl.trust.signing import Signature, canonical_bytes
from socctl.trust.store import Role, load_trust
from socctl.workspace import Workspace

CHAIN_SUFFIX = ".jsonl"
#: Bytes read from a chain's end to find its head (an entry is far smaller).
TAIL_BYTES = 256 * 1024
#: From this many signatures on, they are checked in worker processes.
PARALLEL_FROM = 20_000
#: Lines of a chain a worker process checks at a time.
CHUNK_LINES = 2_500
#: Length of an Ed25519 signature.
SIGNATURE_BYTES = 64
#: ``prev`` of the first entry of a chain.
GENESIS = "0" * 64
#: Entry kinds each team role may log.
ALLOWED_KINDS: dict[TeamRole, frozenset[str]] = {
    TeamRole.red: frozenset({"attack", "finding"}),
    TeamRole.blue: frozenset({"detect", "report", "contain"}),
    TeamRole.controller: frozenset({"validate", "close", "checkpoint"}),
}


class Outcome(StrEnum):
    success = "success"
    failure = "failure"
    blocked = "blocked"


class Impact(StrEnum):
    """One of the three Vietnamese impact criteria, graded."""

    none = "none"
    low = "low"
    high = "high"


class Verdict(StrEnum):
    valid = "valid"
    rejected = "rejected"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Model):
    """An evidence file, copied to ``drills/<id>/evidence/<sha256>``."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    name: str = Field(min_length=1)


class Criteria(_Model):
    """Impact on system resources, on data, on users (tài nguyên hệ thống, dữ liệu, người dùng)."""

    resources: Impact
    data: Impact
    users: Impact


class Head(_Model):
    seq: int = Field(ge=1)
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")


class _Entry(_Model):
    """Fields every entry has: who wrote it, where it sits in its chain, its signature."""

    drill: str
    author: str = Field(description="the author's key fingerprint, SHA256:…")
    role: TeamRole
    team: str
    seq: int = Field(ge=1)
    prev: str = Field(pattern=r"^[0-9a-f]{64}$")
    logged_at: AwareDatetime
    signature: str = ""


class AttackEntry(_Entry):
    kind: Literal["attack"] = "attack"
    step_id: str = Field(min_length=1)
    #: The scenario step this action carries out, as ``scenario-id/step-id``.
    scenario_step: str | None = None
    technique: str
    host: str
    system: str
    at: AwareDatetime
    outcome: Outcome
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""


class FindingEntry(_Entry):
    kind: Literal["finding"] = "finding"
    finding_id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    cvss_vector: str
    criteria: Criteria
    evidence: list[Evidence] = Field(min_length=1)
    steps: list[str] = Field(default_factory=list)
    host: str
    system: str
    at: AwareDatetime
    note: str = ""


class DetectEntry(_Entry):
    kind: Literal["detect"] = "detect"
    at: AwareDatetime
    host: str | None = None
    system: str | None = None
    technique: str | None = None
    step_id: str | None = None
    alert_id: str | None = None
    note: str = ""


class ReportEntry(_Entry):
    kind: Literal["report"] = "report"
    at: AwareDatetime
    #: To whom, e.g. "Công an thành phố", "Sở KH&CN".
    to: str = Field(min_length=1)
    incident: str = Field(min_length=1)
    step_ids: list[str] = Field(default_factory=list)
    note: str = ""


class ContainEntry(_Entry):
    kind: Literal["contain"] = "contain"
    at: AwareDatetime
    host: str
    system: str
    step_ids: list[str] = Field(default_factory=list)
    action: str = Field(min_length=1)


class ValidateEntry(_Entry):
    kind: Literal["validate"] = "validate"
    finding_id: str
    verdict: Verdict
    reason: str = Field(min_length=1)


class CloseEntry(_Entry):
    kind: Literal["close"] = "close"
    at: AwareDatetime


class CheckpointEntry(_Entry):
    kind: Literal["checkpoint"] = "checkpoint"
    #: Head of every chain at the checkpoint, by author fingerprint.
    heads: dict[str, Head]


Entry = Annotated[
    AttackEntry
    | FindingEntry
    | DetectEntry
    | ReportEntry
    | ContainEntry
    | ValidateEntry
    | CloseEntry
    | CheckpointEntry,
    Field(discriminator="kind"),
]
ENTRY_ADAPTER: TypeAdapter[Entry] = TypeAdapter(Entry)
ENTRIES_ADAPTER: TypeAdapter[list[Entry]] = TypeAdapter(list[Entry])
E = TypeVar("E", bound=_Entry)


def journal_dir(ws: Workspace, drill_id: str) -> Path:
    return drill_dir(ws, drill_id) / JOURNAL_DIR


def entry_hash(line: bytes) -> str:
    """The hash of an entry: SHA-256 hex of its line (the signed entry, without the line end)."""
    return hashlib.sha256(line.rstrip(b"\r\n")).hexdigest()


def find_close(ws: Workspace, spec: DrillSpec) -> datetime | None:
    """When the drill was closed, from the controllers' chains (unverified: a quick status)."""
    controllers = [m for t in spec.teams if t.role is TeamRole.controller for m in t.members]
    folder = journal_dir(ws, spec.id)
    for slug in controllers:
        path = folder / f"{slug}.jsonl"
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            for line in handle:
                if b'"kind":"close"' in line:
                    entry = ENTRY_ADAPTER.validate_json(line)
                    if isinstance(entry, CloseEntry):
                        return entry.at
    return None


ProblemKind = Literal[
    "edited",
    "removed",
    "reordered",
    "replayed",
    "forged",
    "unknown-key",
    "wrong-role",
    "broken-chain",
    "malformed",
    "spec",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a journal, where it is: ``file:line`` and author+seq."""

    kind: ProblemKind
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.kind}: {self.message}"


@dataclass(frozen=True)
class JournalCheck:
    """What ``verify_journal`` found: the problems (none when intact), entries and chain heads."""

    drill_id: str
    problems: list[Problem]
    entries: list[Entry]
    heads: dict[str, Head]
    chains: int
    #: Signatures checked (one a linked chain, else one an entry).
    signatures: int

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Journal:
    """A verified journal: its entries in time order (``logged_at``, author, seq)."""

    drill_id: str
    entries: list[Entry]
    heads: dict[str, Head] = field(default_factory=dict)

    def _of(self, kind: type[E]) -> list[E]:
        return [entry for entry in self.entries if isinstance(entry, kind)]

    @property
    def attacks(self) -> list[AttackEntry]:
        return self._of(AttackEntry)

    @property
    def findings(self) -> list[FindingEntry]:
        return self._of(FindingEntry)

    @property
    def detections(self) -> list[DetectEntry]:
        return self._of(DetectEntry)

    @property
    def reports(self) -> list[ReportEntry]:
        return self._of(ReportEntry)

    @property
    def containments(self) -> list[ContainEntry]:
        return self._of(ContainEntry)

    @property
    def validations(self) -> list[ValidateEntry]:
        return self._of(ValidateEntry)

    @property
    def closed_at(self) -> datetime | None:
        closes = self._of(CloseEntry)
        return closes[0].at if closes else None

    @property
    def digest(self) -> str:
        """SHA-256 hex over every chain's head (author fingerprint, seq, hash), sorted: the same
        journal always gives the same digest, any change to any chain changes it."""
        text = "".join(f"{a}\t{h.seq}\t{h.hash}\n" for a, h in sorted(self.heads.items()))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def payload_bytes(fields: dict[str, Any]) -> bytes:
    """The bytes an entry's signature covers and its hash is taken of: canonical JSON of the
    entry without its signature (sorted keys, compact, UTF-8, as ``canonical_bytes``)."""
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def chain_path(ws: Workspace, drill_id: str, key_slug: str) -> Path:
    return journal_dir(ws, drill_id) / f"{key_slug}{CHAIN_SUFFIX}"


def _last_line(path: Path) -> bytes | None:
    """The last non-blank line of a chain file (split as :meth:`_Checker.read_chain` splits)."""
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        handle.seek(max(0, size - TAIL_BYTES))
        lines = handle.read().split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[-1] if lines else None


def read_head(path: Path) -> Head | None:
    """The (seq, hash) of the last entry of a chain file, or None when it is empty."""
    return _head(path, _last_line(path))


def _head(path: Path, line: bytes | None) -> Head | None:
    """The (seq, hash) of ``line``, the last line of the chain at ``path``."""
    if line is None:
        return None
    try:
        fields = orjson.loads(line)
        if "signature" not in fields:
            raise KeyError("signature")
        return Head(seq=fields["seq"], hash=entry_hash(line))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise InputError(
            "the last line of this chain is not a journal entry",
            path=path,
            hint="run 'socctl drill verify' to see what is wrong; a chain is never repaired",
        ) from None


def append_entry(
    ws: Workspace, key_slug: str, private_key: Ed25519PrivateKey, fields: dict[str, Any]
) -> Entry:
    """Sign ``fields`` (an entry without chain fields) and append it to the key's chain.

    The chain fields (``seq``, ``prev``, ``logged_at``) are filled in under the chain's own
    lock, so several commands of one author append one after the other while other authors'
    chains are never touched.
    """
    drill_id = fields["drill"]
    path = chain_path(ws, drill_id, key_slug)
    with ws.lock(f"drill-{drill_id}-{key_slug}"):
        last = _last_line(path)
        head = _head(path, last)
        # The new signature vouches for the chain before it: only for a head this key signed.
        try:
            own = (
                last is None or _check_lines(private_key.public_key().public_bytes_raw(), [last])[0]
            )
        except (binascii.Error, ValueError, TypeError):
            own = False
        if not own:
            raise InputError(
                "the last entry of this chain is not signed by this key (added by someone else?)",
                path=path,
                hint="run 'socctl drill verify' to see what is wrong; a chain is never repaired",
            )
        body = dict(fields)
        body["seq"] = head.seq + 1 if head else 1
        body["prev"] = head.hash if head else GENESIS
        body["logged_at"] = now_utc().isoformat()
        body.pop("signature", None)
        plain = ENTRY_ADAPTER.validate_python(body).model_dump(mode="json", exclude={"signature"})
        plain = orjson.loads(canonical_bytes(plain))  # NFC strings, JSON values only
        payload = payload_bytes(plain)
        plain["signature"] = base64.b64encode(private_key.sign(payload)).decode("ascii")
        line = payload_bytes(plain) + b"\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise InputError(f"cannot append to the journal: {exc.strerror}", path=path) from None
    return ENTRY_ADAPTER.validate_python(plain)


@dataclass(slots=True)
class _Record:
    line: int
    seq: int
    prev: str
    hash: str
    signed: bool
    entry: Entry | None


@dataclass(slots=True)
class _Pending:
    """A line of the chain's author whose signature is to be checked."""

    record: _Record
    fields: dict[str, Any]
    raw: bytes


@dataclass
class _Chain:
    slug: str
    path: Path
    fingerprint: str | None
    records: list[_Record] = field(default_factory=list)
    by_seq: dict[int, _Record] = field(default_factory=dict)
    team: Team | None = None
    public_key: str = ""
    pending: list[_Pending] = field(default_factory=list)
    #: No line was found wrong while reading (malformed, another drill's or author's).
    clean: bool = True

    def linked(self) -> bool:
        """Whether the lines are entries 1, 2, 3… of the author, each linking to the line
        before: then the last entry's signature vouches for all of them."""
        if not self.clean or len(self.pending) != len(self.records):
            return False
        prev = GENESIS
        for seq, pending in enumerate(self.pending, start=1):
            record = pending.record
            if record.seq != seq or record.prev != prev:
                return False
            prev = record.hash
        return True


def _check_lines(raw_key: bytes, lines: list[bytes]) -> list[bool]:
    """For lines already read as signed entries: whether each one's signature is the key's
    over the entry (the canonical JSON without the signature).

    The canonical JSON is first made by orjson (a tenth of the time of :func:`payload_bytes`;
    the same bytes for every entry the journal writes: no floats, sorted ASCII keys), and made
    again by :func:`payload_bytes` for an entry whose signature does not match those bytes.
    libsodium checks first (half the time of OpenSSL's check here); it accepts no signature
    OpenSSL rejects (it is the stricter of the two: both check S < L and the cofactorless
    equation, libsodium also refuses small-order and non-canonical points), and what it refuses
    is checked again with ``cryptography`` (OpenSSL), which has the last word as before."""
    if not lines:
        return []
    key = Ed25519PublicKey.from_public_bytes(raw_key)
    results = []
    for line in lines:
        fields = orjson.loads(line)
        signature = base64.b64decode(fields.pop("signature"), validate=True)
        try:
            fast = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # an integer beyond 64 bits
            fast = b""
        if fast and _signed(key, raw_key, signature, fast):
            results.append(True)
            continue
        payload = payload_bytes(fields)
        results.append(payload != fast and _signed(key, raw_key, signature, payload))
    return results


def _signed(key: Ed25519PublicKey, raw_key: bytes, signature: bytes, payload: bytes) -> bool:
    """Whether ``signature`` is the key's over ``payload`` (libsodium, then OpenSSL)."""
    if len(signature) == SIGNATURE_BYTES:
        try:
            crypto_sign_open(signature + payload, raw_key)
            return True
        except BadSignatureError:
            pass
    try:
        key.verify(signature, payload)
        return True
    except InvalidSignature:
        return False


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class _Signatures:
    """The signature checks of a verification, added chain by chain: once there are many, in
    worker processes, in chunks, while this process reads the next chains and validates the
    fields of the entries."""

    def __init__(self) -> None:
        self._jobs: list[tuple[bytes, list[bytes]]] = []
        self._futures: list[list[Any]] = []
        self._pool: Any = None
        self._total = 0
        self._workers = min(_workers(), 8)

    def add(self, raw_key: bytes, lines: list[bytes]) -> None:
        self._jobs.append((raw_key, lines))
        self._total += len(lines)
        if self._pool is None and self._total >= PARALLEL_FROM and self._workers >= 2:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(self._workers)
            for job in self._jobs:
                self._submit(*job)
        elif self._pool is not None:
            self._submit(raw_key, lines)

    def _submit(self, raw_key: bytes, lines: list[bytes]) -> None:
        self._futures.append(
            [
                self._pool.submit(_check_lines, raw_key, lines[i : i + CHUNK_LINES])
                for i in range(0, len(lines), CHUNK_LINES)
            ]
        )

    def results(self) -> list[list[bool]]:
        """By chain added, whether each line's signature is valid."""
        if self._pool is None:
            return [_check_lines(raw_key, lines) for raw_key, lines in self._jobs]
        try:
            return [[r for f in futures for r in f.result()] for futures in self._futures]
        finally:
            self._pool.shutdown()


def _validate(items: list[dict[str, Any]]) -> list[Entry | ValidationError]:
    """Each item as an entry, or the reason it is not one (all at once while all are fine)."""
    try:
        return list(ENTRIES_ADAPTER.validate_python(items))
    except ValidationError:
        pass
    results: list[Entry | ValidationError] = []
    for item in items:
        try:
            results.append(ENTRY_ADAPTER.validate_python(item))
        except ValidationError as exc:
            results.append(exc)
    return results


class _Checker:
    """One pass over every chain of a drill, collecting problems (never repairing)."""

    def __init__(self, ws: Workspace, spec: DrillSpec) -> None:
        self.ws, self.spec = ws, spec
        self.trust = load_trust(ws)
        self.problems: list[Problem] = []
        self.fingerprints = {key.entry.fingerprint: key.slug for key in self.trust.all()}

    def add(self, kind: ProblemKind, path: Path, line: int | None, message: str) -> None:
        self.problems.append(Problem(kind, self._rel(path), line, message))

    def _rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.ws.root))
        except ValueError:
            return str(path)

    def check_spec(self) -> None:
        folder = drill_dir(self.ws, self.spec.id)
        sig_path = folder / SIGNATURE_NAME
        if not sig_path.is_file():
            self.add("spec", sig_path, None, "the drill has no controller signature")
            return
        try:
            signature = load_model(sig_path, Signature)
            signer = self.trust.verify(signature, spec_payload(self.spec), Role.drill_controller)
        except InputError as exc:
            self.add("spec", folder / SPEC_NAME, None, f"drill.yaml: {exc.message}")
            return
        team = self.spec.team_of(signer.slug)
        if team is None or team.role is not TeamRole.controller:
            self.add(
                "spec", sig_path, None, f"signed by {signer.slug}, not a controller of the drill"
            )

    def read_chain(self, path: Path) -> _Chain:
        """The chain's records; the lines of its author, whose signatures are to be checked,
        in ``pending``."""
        slug = path.name[: -len(CHAIN_SUFFIX)]
        try:
            key = self.trust.get(slug)
        except InputError:
            key = None
        chain = _Chain(slug, path, key.entry.fingerprint if key else None)
        chain.team = self.spec.team_of(slug)
        if key is None:
            self.add(
                "unknown-key", path, None, f"chain of '{slug}', a key this workspace does not trust"
            )
            return chain
        if chain.team is None:
            self.add("wrong-role", path, None, f"'{slug}' is not a member of any team of the drill")
        chain.public_key = key.entry.public_key
        with path.open("rb") as handle:
            data = handle.read()
        problems = len(self.problems)
        for number, line in enumerate(data.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                fields = orjson.loads(line)
                signature = fields.pop("signature")
                base64.b64decode(signature, validate=True)
                seq, prev = fields["seq"], fields["prev"]
                if not isinstance(seq, int) or not isinstance(prev, str):
                    raise TypeError
            except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, binascii.Error):
                self.add("malformed", path, number, "not a signed journal entry (edited by hand?)")
                continue
            record = _Record(number, seq, prev, entry_hash(line), False, None)
            chain.records.append(record)
            where = f"seq {seq}"
            if fields.get("drill") != self.spec.id:
                self.add(
                    "replayed",
                    path,
                    number,
                    f"{where} belongs to drill '{fields.get('drill')}', copied into this one",
                )
                continue
            author = fields.get("author")
            if author != chain.fingerprint:
                other = self.fingerprints.get(str(author))
                if other:
                    self.add(
                        "replayed",
                        path,
                        number,
                        f"{where} is an entry of {other}, copied into the chain of {slug}",
                    )
                else:
                    self.add(
                        "forged",
                        path,
                        number,
                        f"{where} is signed by {author}, a key this workspace does not trust",
                    )
                continue
            chain.pending.append(_Pending(record, fields, line))
        chain.clean = len(self.problems) == problems
        return chain

    def check_entry(
        self, chain: _Chain, record: _Record, validated: Entry | ValidationError
    ) -> None:
        where = f"seq {record.seq}"
        if isinstance(validated, ValidationError):
            first = validated.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            self.add(
                "malformed", chain.path, record.line, f"{where}: field '{loc}': {first['msg']}"
            )
            return
        entry = validated
        record.entry = entry
        team = chain.team
        if team is None:
            return
        if entry.team != team.id or entry.role is not team.role:
            self.add(
                "wrong-role",
                chain.path,
                record.line,
                f"{where} claims team '{entry.team}' ({entry.role}); {chain.slug} is in '{team.id}' ({team.role})",
            )
        elif entry.kind not in ALLOWED_KINDS[team.role]:
            self.add(
                "wrong-role",
                chain.path,
                record.line,
                f"{where}: a {team.role} key cannot log '{entry.kind}'",
            )

    def check_order(self, chain: _Chain) -> None:
        seen: dict[str, _Record] = {}
        highest = 0
        for record in chain.records:
            if not record.signed:
                chain.by_seq.setdefault(record.seq, record)
                continue
            first = seen.get(record.hash)
            if first is not None:
                self.add(
                    "replayed",
                    chain.path,
                    record.line,
                    f"seq {record.seq} repeats the entry at line {first.line}",
                )
                continue
            seen[record.hash] = record
            other = chain.by_seq.get(record.seq)
            if other is not None:
                self.add(
                    "broken-chain",
                    chain.path,
                    record.line,
                    f"a second seq {record.seq} (the first is at line {other.line})",
                )
                continue
            chain.by_seq[record.seq] = record
            if record.seq < highest:
                self.add(
                    "reordered",
                    chain.path,
                    record.line,
                    f"seq {record.seq} comes after seq {highest}",
                )
            highest = max(highest, record.seq)
        if not chain.by_seq:
            return
        top = max(chain.by_seq)
        missing = [seq for seq in range(1, top + 1) if seq not in chain.by_seq]
        for start, end in _ranges(missing):
            span = f"seq {start}" if start == end else f"seq {start}–{end}"
            self.add("removed", chain.path, None, f"{span} of {chain.slug} missing")
        for seq, record in sorted(chain.by_seq.items()):
            before = chain.by_seq.get(seq - 1)
            if not record.signed or (seq > 1 and (before is None or not before.signed)):
                continue
            expected = GENESIS if seq == 1 else before.hash if before else GENESIS
            if record.prev != expected:
                self.add(
                    "broken-chain",
                    chain.path,
                    record.line,
                    f"seq {seq} does not link to seq {seq - 1} (prev differs from its hash)",
                )

    def check_checkpoints(self, chains: dict[str, _Chain]) -> None:
        by_fingerprint = {c.fingerprint: c for c in chains.values() if c.fingerprint}
        for chain in chains.values():
            for record in chain.records:
                entry = record.entry
                if not isinstance(entry, CheckpointEntry):
                    continue
                at = f"{self._rel(chain.path)}:{record.line}"
                for author, head in sorted(entry.heads.items()):
                    target = by_fingerprint.get(author)
                    name = self.fingerprints.get(author, author)
                    if target is None:
                        self.add(
                            "removed",
                            chain.path,
                            record.line,
                            f"the chain of {name} (checkpoint lists seq {head.seq}) is missing",
                        )
                        continue
                    found = target.by_seq.get(head.seq)
                    if found is None:
                        self.add(
                            "removed",
                            target.path,
                            None,
                            f"seq {head.seq} of {name}, listed by the checkpoint at {at}, is missing",
                        )
                    elif found.hash != head.hash:
                        self.add(
                            "edited",
                            target.path,
                            found.line,
                            f"seq {head.seq} differs from the entry the checkpoint at {at} recorded",
                        )


def _ranges(numbers: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for n in numbers:
        if spans and spans[-1][1] == n - 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


def spec_payload(spec: DrillSpec) -> bytes:
    """The bytes the controller signs for ``drill.yaml``."""
    return canonical_bytes(spec.model_dump(mode="json"))


def chain_files(ws: Workspace, drill_id: str) -> list[Path]:
    folder = journal_dir(ws, drill_id)
    return sorted(folder.glob(f"*{CHAIN_SUFFIX}")) if folder.is_dir() else []


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection in the block: loading a journal makes hundreds of thousands
    of objects and no cycles, and the collections they trigger walked all of them again and
    again (more than the loading itself for 100,000 entries). On leaving, what was made goes
    to the oldest generation at once (through ``gc.freeze``), rather than being walked by the
    first young collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def verify_journal(ws: Workspace, drill_id: str, *, every_signature: bool = False) -> JournalCheck:
    """Check the drill's signature and every chain: signatures, authors, roles, order, links
    and the controller's checkpoints. Problems are listed, never repaired.

    A chain whose lines all link (see :meth:`_Chain.linked`) has the signature of its last
    entry checked, which vouches for every line before it; when that fails, when the chain
    does not link, or with ``every_signature``, each entry's signature is checked."""
    with collector_paused():
        return _verify(ws, drill_id, every_signature)


def _verify(ws: Workspace, drill_id: str, every_signature: bool) -> JournalCheck:
    spec = load_spec(ws, drill_id)
    checker = _Checker(ws, spec)
    checker.check_spec()
    chains = [checker.read_chain(path) for path in chain_files(ws, drill_id)]
    validated = [_validate([p.fields for p in chain.pending]) for chain in chains]
    valid, checks = _signatures(chains, every_signature)
    for chain, entries_of, good in zip(chains, validated, valid, strict=True):
        for pending, entry in zip(chain.pending, entries_of, strict=True):
            record = pending.record
            if record.line in good:
                record.signed = True
                checker.check_entry(chain, record, entry)
            else:
                checker.add(
                    "edited",
                    chain.path,
                    record.line,
                    f"seq {record.seq}: the signature of {chain.slug} does not match the entry (changed after signing, or forged)",
                )
    by_slug = {chain.slug: chain for chain in chains}
    for chain in by_slug.values():
        checker.check_order(chain)
    checker.check_checkpoints(by_slug)
    entries: list[Entry] = []
    heads: dict[str, Head] = {}
    for chain in by_slug.values():
        good_records = [r for r in chain.records if r.entry is not None]
        entries.extend(r.entry for r in good_records if r.entry is not None)
        if chain.fingerprint and chain.by_seq:
            top = chain.by_seq[max(chain.by_seq)]
            heads[chain.fingerprint] = Head(seq=top.seq, hash=top.hash)
    entries.sort(key=lambda e: (e.logged_at, e.author, e.seq))
    return JournalCheck(drill_id, checker.problems, entries, heads, len(by_slug), checks)


def _signatures(chains: list[_Chain], every: bool) -> tuple[list[set[int]], int]:
    """By chain, the lines whose signature holds (checked, or vouched for by the last
    entry's); and how many signatures were checked."""
    valid: list[set[int]] = [set() for _ in chains]
    whole: list[int] = []  # chains whose every line is checked
    heads = _Signatures()
    proven: list[int] = []
    for n, chain in enumerate(chains):
        if chain.pending and not every and chain.linked():
            heads.add(base64.b64decode(chain.public_key), [chain.pending[-1].raw])
            proven.append(n)
        else:
            whole.append(n)
    checks = 0
    for n, (ok,) in zip(proven, heads.results(), strict=True):
        checks += 1
        if ok:
            valid[n] = {p.record.line for p in chains[n].pending}
        else:  # name each bad entry
            whole.append(n)
    lines = _Signatures()
    for n in whole:
        lines.add(base64.b64decode(chains[n].public_key), [p.raw for p in chains[n].pending])
    for n, results in zip(whole, lines.results(), strict=True):
        checks += len(results)
        valid[n] = {p.record.line for p, ok in zip(chains[n].pending, results, strict=True) if ok}
    return valid, checks


def load_journal(ws: Workspace, drill_id: str) -> Journal:
    """The verified journal; an :class:`InputError` (exit 3) naming the first problem otherwise."""
    check = verify_journal(ws, drill_id)
    if check.problems:
        first = check.problems[0]
        more = len(check.problems) - 1
        raise InputError(
            f"{first.kind}: {first.message}" + (f" (and {more} more problems)" if more else ""),
            path=first.path,
            line=first.line,
            hint=f"run 'socctl drill verify {drill_id}'; a journal is never repaired",
        )
    return Journal(drill_id, check.entries, check.heads)
