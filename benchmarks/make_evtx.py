"""Build a synthetic EVTX set from the SigmaHQ regression samples (no EVTX writer exists in Python).

Each output file strings together copies of the samples' 64 KiB chunks; record numbers are renumbered
and both chunk checksums recomputed, so every file is a valid EVTX log any parser reads.
"""

from __future__ import annotations

import argparse
import random
import struct
import zlib
from pathlib import Path

CHUNK = 65536
FILE_HEADER = 4096


def chunks_of(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out = []
    for offset in range(FILE_HEADER, len(data) - 511, CHUNK):
        chunk = data[offset : offset + CHUNK]
        if chunk[:8] == b"ElfChnk\x00" and len(chunk) == CHUNK:
            out.append(chunk)
    return out


def renumber(chunk: bytes, first: int) -> tuple[bytes, int]:
    """Give the chunk's records ids from ``first``; return the chunk and the next id."""
    buf = bytearray(chunk)
    free = struct.unpack_from("<I", buf, 48)[0]
    offset, record_id = 512, first
    while offset + 24 <= free and buf[offset : offset + 4] == b"\x2a\x2a\x00\x00":
        size = struct.unpack_from("<I", buf, offset + 4)[0]
        struct.pack_into("<Q", buf, offset + 8, record_id)
        record_id += 1
        offset += size
    last = record_id - 1
    struct.pack_into("<QQQQ", buf, 8, first, last, first, last)
    struct.pack_into("<I", buf, 52, zlib.crc32(bytes(buf[512:free])))
    struct.pack_into("<I", buf, 124, zlib.crc32(bytes(buf[:120]) + bytes(buf[128:512])))
    return bytes(buf), record_id


def file_header(template: bytes, n_chunks: int, next_record: int) -> bytes:
    buf = bytearray(template[:FILE_HEADER])
    struct.pack_into("<QQQ", buf, 8, 0, n_chunks - 1, next_record)
    struct.pack_into("<H", buf, 42, n_chunks)
    struct.pack_into("<I", buf, 124, zlib.crc32(bytes(buf[:120])))
    return bytes(buf)


def build(corpus: Path, out: Path, files: int, events: int, seed: int) -> int:
    samples = sorted(corpus.glob("*/events.evtx"))
    if not samples:
        raise SystemExit(f"no EVTX samples under {corpus}")
    pool = [(s, c) for s in samples for c in chunks_of(s)]
    template = samples[0].read_bytes()
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    per_file = max(1, events // files)
    for index in range(files):
        body, next_id = [], 1
        while next_id - 1 < per_file:
            chunk, next_id = renumber(rng.choice(pool)[1], next_id)
            body.append(chunk)
        (out / f"host{index:03d}.evtx").write_bytes(
            file_header(template, len(body), next_id) + b"".join(body)
        )
        written += next_id - 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True, help="sigmahq-regression folder")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--files", type=int, default=280)
    parser.add_argument("--events", type=int, default=8300)
    parser.add_argument("--seed", type=int, default=1167)
    args = parser.parse_args()
    total = build(args.corpus, args.out, args.files, args.events, args.seed)
    print(f"wrote {total} events in {args.files} files to {args.out}")


if __name__ == "__main__":
    main()
