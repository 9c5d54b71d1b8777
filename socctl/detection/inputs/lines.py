"""Bytes and lines of a log file, gzip-compressed or not, with byte offsets and ranges."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from socctl.detection.inputs.malformed import Reporter
from socctl.errors import InputError, NotFoundError

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
BLOCK_SIZE = 1 << 20
#: Longer lines are reported as malformed and skipped without being held in memory.
MAX_LINE_BYTES = 16 << 20


class Truncated(Exception):
    """The compressed stream is cut short or corrupt; what came before it was delivered."""


def is_gzip(path: Path) -> bool:
    with _open(path) as handle:
        return handle.read(2) == GZIP_MAGIC


def _open(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise NotFoundError("no such file", path=path, hint="check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=path) from None


def read_head(path: Path, size: int = 256 << 10) -> bytes:
    """Up to ``size`` leading bytes of the (decompressed) content; never raises on bad gzip."""
    with _open(path) as handle:
        raw = handle.read(size)
        if not raw.startswith(GZIP_MAGIC):
            return raw
        decompressor = zlib.decompressobj(wbits=31)
        out = b""
        try:
            while len(out) < size and raw:
                out += decompressor.decompress(raw, size - len(out))
                raw = decompressor.unconsumed_tail or handle.read(BLOCK_SIZE)
                if decompressor.eof:
                    break
        except zlib.error:
            pass
        return out


def iter_blocks(path: Path, start: int = 0) -> Iterator[bytes]:
    """The file's content in blocks, decompressed when it is gzip (several members allowed).

    ``start`` seeks in an uncompressed file; a gzip file always starts at 0. Raises
    :class:`Truncated` after the last good block when a gzip stream is cut short or corrupt.
    """
    with _open(path) as handle:
        raw = handle.read(BLOCK_SIZE)
        if not raw.startswith(GZIP_MAGIC):
            if start:
                handle.seek(start)
                raw = handle.read(BLOCK_SIZE)
            while raw:
                yield raw
                raw = handle.read(BLOCK_SIZE)
            return
        yield from _gunzip(handle, raw)


def _gunzip(handle: BinaryIO, raw: bytes) -> Iterator[bytes]:
    decompressor = zlib.decompressobj(wbits=31)
    while True:
        try:
            out = decompressor.decompress(raw)
        except zlib.error as exc:
            raise Truncated(f"corrupt gzip data ({exc})") from None
        if out:
            yield out
        if decompressor.eof:
            raw = decompressor.unused_data or handle.read(BLOCK_SIZE)
            if not raw.lstrip(b"\0"):
                return
            decompressor = zlib.decompressobj(wbits=31)
            continue
        raw = handle.read(BLOCK_SIZE)
        if not raw:
            raise Truncated("the gzip stream is cut short (truncated file)")


def read_all(path: Path, report: Reporter) -> bytes:
    """The whole (decompressed) content; a truncated gzip stream is reported, its good part kept."""
    parts: list[bytes] = []
    try:
        parts.extend(iter_blocks(path))
    except Truncated as exc:
        report.malformed(f"byte {sum(map(len, parts))}", str(exc))
    return b"".join(parts)


def iter_lines(
    path: Path, report: Reporter, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """``(offset, line)`` pairs, the line without its newline, for lines starting in [start, end).

    A range starts at the first line beginning at or after ``start`` and stops before the first
    line beginning at or after ``end``, so consecutive ranges tile a file exactly. Offsets count
    decompressed bytes. A truncated gzip stream or an overlong line is reported and skipped.
    """
    seek = start - 1 if start > 0 and not is_gzip(path) else 0
    lines = _split_lines(iter_blocks(path, seek), seek)
    if seek:
        next(lines, None)  # the line running through start-1 belongs to the previous range
    pos = seek
    try:
        for pos, line in lines:
            if line is None:
                report.malformed(
                    f"byte {pos}", f"line longer than {MAX_LINE_BYTES >> 20} MiB, skipped"
                )
            elif end is not None and pos >= end:
                return
            elif pos >= start:
                yield pos, line
    except Truncated as exc:
        report.malformed(f"after byte {pos}", str(exc))


def _split_lines(blocks: Iterator[bytes], pos: int) -> Iterator[tuple[int, bytes | None]]:
    """Cut blocks into lines; an overlong line comes out as ``None`` without being kept."""
    parts: list[bytes] = []
    held = 0
    dropped = 0  # > 0 while skipping the rest of an overlong line
    for block in blocks:
        lines = block.split(b"\n")
        tail = lines.pop()
        if lines and (parts or dropped):
            first = lines.pop(0)
            if dropped:
                yield pos, None
                pos += dropped + len(first) + 1
            else:
                parts.append(first)
                line = b"".join(parts)
                yield pos, line
                pos += len(line) + 1
            parts, held, dropped = [], 0, 0
        for line in lines:
            yield pos, line
            pos += len(line) + 1
        if tail:
            if dropped:
                dropped += len(tail)
            else:
                parts.append(tail)
                held += len(tail)
                if held > MAX_LINE_BYTES:
                    parts, dropped = [], held
    if dropped:
        yield pos, None
    elif parts:
        yield pos, b"".join(parts)
