"""Hostile inputs built from the shipped samples: seeds per reader and the mutations applied to them.

Used by the fuzz tests (tests/fuzz) and by benchmarks/fuzz.py. Every seed is a small valid file of
one input format (the head of a shipped sample, or a document built from one); every mutation
turns bytes into other bytes with a seeded ``random.Random`` so each case can be replayed.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
REGRESSION = REPO / "tests" / "detection" / "regression"
CORPUS = REPO.parent / "shared" / "corpus" / "sigmahq-regression"

#: Bytes of a sample kept as a seed (whole lines): small seeds keep each case fast.
SEED_BYTES = 6000


def _head(path: Path, size: int = SEED_BYTES) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    if len(data) <= size:
        return data
    cut = data.rfind(b"\n", 0, size)
    return data[: cut + 1] if cut > 0 else data[:size]


def _json_document() -> bytes:
    lines = _head(SAMPLES / "windows" / "dc01-security.jsonl").splitlines()[:5]
    return orjson.dumps([orjson.loads(line) for line in lines], option=orjson.OPT_INDENT_2)


def _flat_jsonl() -> bytes:
    rows = _head(SAMPLES / "csv" / "motcua-iis01-export.csv").decode().splitlines()
    header = rows[0].split(",")
    out = [orjson.dumps(dict(zip(header, row.split(","), strict=False))) for row in rows[1:20]]
    return b"\n".join(out) + b"\n"


def evtx_seed() -> bytes | None:
    """The one-chunk EVTX file of the SigmaHQ regression corpus with the most record bytes (the
    chunk's free-space offset), or None without the corpus."""
    best: tuple[int, str, bytes] | None = None
    for path in CORPUS.glob("*/events.evtx"):
        if path.stat().st_size != 4096 + 65536:
            continue
        data = path.read_bytes()
        key = (int.from_bytes(data[4096 + 48 : 4096 + 52], "little"), path.parent.name, data)
        best = key if best is None or key[:2] > best[:2] else best
    return best[2] if best else None


def seeds() -> dict[str, tuple[str, bytes]]:
    """For each reader (input format): a file name and valid content of that format."""
    found: dict[str, tuple[str, bytes]] = {
        "evtx-json": ("security.jsonl", _head(SAMPLES / "windows" / "dc01-security.jsonl")),
        "ecs": ("winlogbeat.ndjson", _head(SAMPLES / "winlogbeat" / "ws-kt-017-winlogbeat.ndjson")),
        "jsonl": ("flat.jsonl", _flat_jsonl()),
        "json": ("events.json", _json_document()),
        "syslog": ("auth.log", _head(SAMPLES / "linux" / "dvc-web01-auth.log")),
        "auditd": ("audit.log", _head(SAMPLES / "linux" / "dvc-db01-audit.log")),
        "access": ("access.log", _head(SAMPLES / "web" / "dvc-web01-access.log.1.gz")),
        "csv": ("export.csv", _head(SAMPLES / "csv" / "motcua-iis01-export.csv")),
        "xml": ("events.xml", (REGRESSION / "sysmon-remote-thread.xml").read_bytes()),
    }
    evtx = evtx_seed()
    if evtx is not None:
        found["evtx"] = ("security.evtx", evtx)
    return found


Mutation = Callable[[bytes, random.Random], bytes]


def bit_flips(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data or b"\0")
    for _ in range(rng.randint(1, 16)):
        buf[rng.randrange(len(buf))] ^= 1 << rng.randrange(8)
    return bytes(buf)


def truncation(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def random_bytes(data: bytes, rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice((0, 1, 2, 8, 300, 4096, rng.randrange(10_000))))


def random_splice(data: bytes, rng: random.Random) -> bytes:
    """A run of random bytes written over the content somewhere (a damaged sector)."""
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.randbytes(rng.randrange(1, 600)) + data[at + rng.randrange(600) :]


def huge_line(data: bytes, rng: random.Random) -> bytes:
    """A line of up to 300 KB (of one byte, or of a record's start repeated) somewhere."""
    at = _line_start(data, rng)
    size = rng.randrange(10_000, 300_000)
    filler = rng.choice((b"A", b'{"a":"', b"<Event>", b'"x",', b"\xff"))
    return data[:at] + (filler * (size // len(filler))) + b"\n" + data[at:]


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    """JSON arrays/objects or XML elements nested tens of thousands of levels, closed or not."""
    depth = rng.choice((65, 1_000, 100_000))
    opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}"), (b"<a>", b"</a>")))
    line = opener * depth + (closer * depth if rng.random() < 0.5 else b"")
    at = _line_start(data, rng)
    return data[:at] + line + b"\n" + data[at:]


def invalid_utf8(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = rng.choice(
            (b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80")
        )
    return bytes(buf)


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = b"\0" * rng.choice((1, 2, 16, 512))
    return bytes(buf)


def line_shuffle(data: bytes, rng: random.Random) -> bytes:
    """Lines dropped, doubled or swapped (a record's pieces out of order)."""
    lines = data.split(b"\n")
    for _ in range(rng.randint(1, 6)):
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        choice = rng.random()
        if choice < 0.3:
            lines.pop(i)
            if not lines:
                lines = [b""]
        elif choice < 0.6:
            lines.insert(i, lines[j])
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def gzipped(data: bytes, rng: random.Random) -> bytes:
    """The content gzip-compressed, sometimes cut short or with flipped bits afterwards."""
    packed = gzip.compress(data, compresslevel=1, mtime=0)
    choice = rng.random()
    if choice < 0.35:
        return packed[: rng.randrange(len(packed) + 1)]
    if choice < 0.7:
        return bit_flips(packed, rng)
    return packed


def _line_start(data: bytes, rng: random.Random) -> int:
    at = rng.randrange(len(data) + 1)
    start = data.rfind(b"\n", 0, at)
    return start + 1


#: Every mutation by name.
MUTATIONS: dict[str, Mutation] = {
    "bit-flips": bit_flips,
    "truncation": truncation,
    "random-bytes": random_bytes,
    "random-splice": random_splice,
    "huge-line": huge_line,
    "deep-nesting": deep_nesting,
    "invalid-utf8": invalid_utf8,
    "nul-bytes": nul_bytes,
    "line-shuffle": line_shuffle,
    "gzip": gzipped,
}


def mutate(data: bytes, rng: random.Random, rounds: int = 1) -> tuple[str, bytes]:
    """``rounds`` random mutations one after another; their names joined by ``+``."""
    names = []
    for _ in range(rounds):
        name = rng.choice(list(MUTATIONS))
        data = MUTATIONS[name](data, rng)
        names.append(name)
    return "+".join(names), data


def file_name(name: str, mutation: str) -> str:
    """A gzip mutation's file ends in ``.gz`` when it is the last one (an archive's name)."""
    return name + ".gz" if mutation.endswith("gzip") else name
