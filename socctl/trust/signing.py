"""Signing: canonical bytes of structured content and Ed25519 signatures over bytes."""

from __future__ import annotations

import base64
import json
import unicodedata
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from socctl.trust.keys import ALGORITHM, fingerprint, load_private_key


class Signature(BaseModel):
    """A detached signature, as stored beside the content it signs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_fingerprint: str
    signature_b64: str
    algorithm: Literal["ed25519"] = ALGORITHM


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {_plain(str(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return _plain(str(value))
    if value is None or isinstance(value, bool | int | float):
        return value
    raise TypeError(f"cannot sign a {type(value).__name__}: convert it to JSON data first")


def canonical_bytes(obj: Any) -> bytes:
    """The bytes to sign for structured content: sorted-key compact JSON, UTF-8, strings NFC.

    Key order, YAML layout and Unicode normalisation (an editor saving Vietnamese text as NFD)
    do not change them; any change of a value does.
    """
    text = json.dumps(
        _plain(obj), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def sign(private_key_path: Path, payload: bytes) -> Signature:
    """Sign ``payload`` with the private key at ``private_key_path``."""
    key = load_private_key(Path(private_key_path))
    return Signature(
        key_fingerprint=fingerprint(key.public_key()),
        signature_b64=base64.b64encode(key.sign(payload)).decode("ascii"),
    )
