"""The files a run reads: given files, and folders searched recursively."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from socctl.errors import NotFoundError


def iter_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Each given file, then every file under each given folder (sorted, hidden ones skipped).

    Hidden means a name starting with ``.``, for files and folders below a given folder; documents
    beside the logs (README, ``*.md``) are skipped too. A file named explicitly is always read. Symbolic links to folders are not followed; a file is
    yielded once even when reached twice.
    """
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found: Iterable[Path] = _walk(path)
        elif path.is_file():
            found = (path,)
        else:
            raise NotFoundError("no such file or folder", path=path, hint="check the path")
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _walk(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        base = Path(root)
        found.extend(base / name for name in files if not _is_skipped(name))
    return sorted((path for path in found if path.is_file()), key=lambda path: path.parts)


#: Documents that live beside logs in a folder and are not logs.
_DOCUMENT_SUFFIXES = (".md", ".rst")


def _is_skipped(name: str) -> bool:
    return (
        name.startswith(".")
        or name.upper().startswith("README")
        or name.endswith(_DOCUMENT_SUFFIXES)
    )
