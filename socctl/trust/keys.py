"""Ed25519 key material: private keys on disk (PEM, 0600), public keys and their fingerprints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from socctl.errors import InputError
from socctl.storage import atomic_write

ALGORITHM: Final = "ed25519"
#: Environment variable holding the passphrase that encrypts private keys.
PASSPHRASE_ENV = "SOCCTL_KEY_PASSPHRASE"


def slugify(text: str) -> str:
    """'Nguyễn Văn Đức' -> 'nguyen-van-duc': a safe file name from a person's name."""
    folded = text.replace("đ", "d").replace("Đ", "D")
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")[:64].strip("-")


def default_key_dir() -> Path:
    """Where private keys go unless told otherwise: outside any workspace, in the user's config."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "socctl" / "keys"


def passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def public_key_b64(key: Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Decode a public key written by :func:`public_key_b64`; ValueError when it is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"is {len(raw)} bytes, an Ed25519 public key has 32")
    return Ed25519PublicKey.from_public_bytes(raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """``SHA256:<base64>`` of the raw public key, as OpenSSH prints it."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")
    return f"SHA256:{digest}"


def write_private_key(key: Ed25519PrivateKey, path: Path) -> None:
    """Write a private key as PKCS#8 PEM with mode 0600, encrypted when a passphrase is set."""
    secret = passphrase()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    atomic_write(path, pem, mode=0o600)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Read a private key written by :func:`write_private_key`, with clear errors."""
    try:
        info = path.stat()
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("private key not found", path=path, hint="check the path") from None
    except OSError as exc:
        raise InputError(f"cannot read the private key: {exc.strerror}", path=path) from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(
            "private key is readable by other users", path=path, hint=f"run: chmod 600 {path}"
        )
    password = passphrase()
    try:
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except TypeError:  # encrypted without a passphrase, or a passphrase for a plain key
            if password is None:
                raise InputError(
                    "private key is encrypted",
                    path=path,
                    hint=f"set {PASSPHRASE_ENV} to its passphrase",
                ) from None
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, UnsupportedAlgorithm):
        hint = f"check {PASSPHRASE_ENV}" if password else "use a key made by 'socctl keys new'"
        raise InputError(
            "not a readable PEM private key (or a wrong passphrase)", path=path, hint=hint
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            "not an Ed25519 private key", path=path, hint="use a key made by 'socctl keys new'"
        )
    return key
