"""``keys new``: a person's key pair, the private half kept outside the workspace."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from socctl.errors import InputError, UsageError
from socctl.storage import atomic_write
from socctl.storage.yamlio import dump_yaml
from socctl.trust.keys import (
    default_key_dir,
    fingerprint,
    passphrase,
    public_key_b64,
    slugify,
    write_private_key,
)
from socctl.trust.store import Role, TrustEntry, trust_path
from socctl.workspace import Workspace


@dataclass(frozen=True)
class NewKey:
    slug: str
    entry: TrustEntry
    trust_file: Path
    private_key: Path
    encrypted: bool


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def new_key(
    ws: Workspace,
    *,
    person: str,
    organisation: str,
    roles: list[Role],
    today: date,
    out: Path | None = None,
    slug: str | None = None,
) -> NewKey:
    """Make an Ed25519 key pair: the private key to ``out`` (default: the user's key folder),
    the public key to the workspace's ``trust/<slug>.yaml``. Nothing is overwritten."""
    name = slug or slugify(person)
    if not name:
        raise UsageError(
            f"cannot make a key name from '{person}'", hint="pass --slug, e.g. --slug nguyen-van-an"
        )
    trust_file = trust_path(ws, name)
    private = (out or default_key_dir() / f"{name}.pem").expanduser()
    if _inside(private, ws.root):
        raise UsageError(
            "a private key must not be stored inside the workspace (it is a shared git repository)",
            path=private,
            hint="leave --out out, or choose a path outside the workspace",
        )
    if private.is_dir():
        raise InputError(
            "is a directory; --out names the private key file",
            path=private,
            hint=f"give a file name, e.g. --out {private / 'key.pem'}",
        )
    if private.exists():
        raise InputError(
            "a private key already exists here; it is never overwritten",
            path=private,
            hint="choose another --out or --slug",
        )
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    entry = TrustEntry(
        person=person,
        organisation=organisation,
        roles=sorted(set(roles), key=list(Role).index),
        public_key=public_key_b64(public),
        fingerprint=fingerprint(public),
        added=today,
    )
    with ws.lock():
        if trust_file.exists():
            raise InputError(
                "a trusted key with this name already exists",
                path=trust_file,
                hint="pass --slug with another name",
            )
        write_private_key(key, private)
        try:
            data = entry.model_dump(mode="json") | {"added": entry.added}  # a YAML date
            atomic_write(trust_file, dump_yaml(data))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                private.unlink()
            raise
    return NewKey(name, entry, trust_file, private, encrypted=passphrase() is not None)
