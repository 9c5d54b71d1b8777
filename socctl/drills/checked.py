"""Signature checks of journal chains remembered between runs: a chain that only grew is
checked for its new lines only.

What is remembered, in ``.socctl/cache/drills/<id>/<key-slug>.json``, is a pure function of
bytes: for the first ``size`` bytes of a chain, whose SHA-256 is ``sha256``, checked with the
public key ``key``, the hash of each line whose Ed25519 signature verified. Every run reads the
chain again and hashes those bytes: a change of any of them (an edited, removed or reordered
entry), or of the author's key in ``trust/``, makes the record unusable and every line is
checked again. Everything else verification finds (authors, roles, order, links,
checkpoints, fields) is checked on every run.

The record carries an HMAC under a secret of this user kept outside the workspace
(``~/.cache/socctl/journal-checks.key``), so that a record copied along with a workspace, or
written by hand, is ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

import orjson

from socctl.detection.cache import default_cache_dir
from socctl.workspace import Workspace

#: Bump when the meaning of a record changes: older records are then ignored.
VERSION = 1
SECRET_NAME = "journal-checks.key"
SECRET_BYTES = 32


def _secret() -> bytes | None:
    """This user's secret (made on first use); None when it cannot be read or made."""
    path = default_cache_dir() / SECRET_NAME
    with contextlib.suppress(OSError):
        data = path.read_bytes()
        if len(data) == SECRET_BYTES:
            return data
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SECRET_NAME}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_bytes(SECRET_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # never replaces a secret another process made meanwhile
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == SECRET_BYTES else None


class CheckedLines:
    """The remembered checks of one drill's chains."""

    def __init__(self, ws: Workspace, drill_id: str) -> None:
        self.folder = ws.cache_dir / "drills" / drill_id
        self.drill_id = drill_id
        self._key: bytes | bool | None = False  # not read yet

    def _mac_key(self) -> bytes | None:
        if self._key is False:
            self._key = _secret()
        return self._key if isinstance(self._key, bytes) else None

    def _path(self, slug: str) -> Path:
        return self.folder / f"{slug}.json"

    def _mac(self, secret: bytes, body: bytes) -> bytes:
        return hmac.new(secret, body, hashlib.sha256).hexdigest().encode("ascii")

    def load(self, slug: str, public_key: str, data: bytes) -> list[str | None]:
        """By line of ``data`` (index 0 is line 1): the entry's hash when its signature was
        found valid over exactly these bytes with this key, else None. Only the lines of the
        remembered prefix are listed (none when the record does not fit ``data``)."""
        secret = self._mac_key()
        if secret is None:
            return []
        try:
            raw = self._path(slug).read_bytes()
        except OSError:
            return []
        mac, _, body = raw.partition(b"\n")
        if not hmac.compare_digest(mac, self._mac(secret, body)):
            return []
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return []
        if not isinstance(doc, dict):
            return []
        size, hashes = doc.get("size"), doc.get("hashes")
        if (
            doc.get("version") != VERSION
            or doc.get("drill") != self.drill_id
            or doc.get("slug") != slug
            or doc.get("key") != public_key
            or not isinstance(size, int)
            or not isinstance(hashes, list)
            or not 0 < size <= len(data)
            or data[size - 1 : size] != b"\n"
        ):
            return []
        prefix = memoryview(data)[:size]
        if hashlib.sha256(prefix).hexdigest() != doc.get("sha256"):
            return []
        if len(hashes) != data.count(b"\n", 0, size):
            return []
        return hashes

    def save(self, slug: str, public_key: str, data: bytes, hashes: list[str | None]) -> None:
        """Remember ``hashes`` (by line, None for a line not found valid) for the complete
        lines of ``data``; silently skipped when the cache cannot be written."""
        secret = self._mac_key()
        size = data.rfind(b"\n") + 1
        if secret is None or size == 0:
            return
        lines = data.count(b"\n", 0, size)
        body = orjson.dumps(
            {
                "version": VERSION,
                "drill": self.drill_id,
                "slug": slug,
                "key": public_key,
                "size": size,
                "sha256": hashlib.sha256(memoryview(data)[:size]).hexdigest(),
                "hashes": hashes[:lines] + [None] * (lines - len(hashes)),
            }
        )
        _replace(self._path(slug), self._mac(secret, body) + b"\n" + body)


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` over ``path`` through a temporary file and a rename, without waiting
    for the disk (no fsync): a record cut short by a crash fails its HMAC and is ignored.
    Silently skipped when the cache cannot be written."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
