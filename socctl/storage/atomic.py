"""Atomic file writes: a reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from socctl.errors import InputError


def atomic_write(path: str | Path, data: str | bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync and rename (see
    :func:`atomic_open`)."""
    with atomic_open(path, mode=mode) as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


@contextlib.contextmanager
def atomic_open(path: str | Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces ``path`` only when the block completes.

    A symbolic link is written through (the link stays); a device or FIFO (``/dev/stdout``) is
    written to directly; an existing file keeps its permissions unless ``mode`` is given. A
    failure (read-only, full disk, a folder in the way) is an :class:`InputError` naming the path.
    """
    given = Path(path)
    try:
        target = given.resolve() if given.is_symlink() else given
        current = target.stat() if target.exists() else None
        if current is not None and stat.S_ISDIR(current.st_mode):
            raise IsADirectoryError(21, "is a directory")
        if current is not None and not stat.S_ISREG(current.st_mode):
            with open(target, "wb") as handle:
                yield handle
            return
        permissions = mode if mode is not None else (current.st_mode & 0o7777 if current else 0o644)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, permissions)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(target.parent)
    except OSError as exc:
        raise InputError(
            f"cannot write: {exc.strerror or exc}",
            path=given,
            hint="check that the folder exists, is writable and has free space",
        ) from None


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
