"""The workspace's trust store: ``trust/<slug>.yaml`` maps public keys to people and roles."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from socctl.errors import InputError, NotFoundError
from socctl.inventory.system import SLUG
from socctl.storage.yamlio import load_model
from socctl.trust.keys import ALGORITHM, fingerprint, public_key_from_b64
from socctl.trust.signing import Signature
from socctl.workspace import Workspace

SUFFIX = ".yaml"


class Role(StrEnum):
    """The people who sign in socctl; the one vocabulary for who may take which step.

    The regimes (``assessments/regimes/*.yaml``) name these roles for each step and keep the
    legal authority's name as text; the Prime Minister, Defence and the Cipher Committee decide
    outside socctl.
    """

    it_officer = "it_officer"  # cán bộ CNTT, for the operator (đơn vị vận hành)
    specialised_unit = "specialised_unit"  # đơn vị chuyên trách về ATTT / an ninh mạng
    owner = "owner"  # chủ quản hệ thống thông tin
    police = "police"  # Công an thành phố, locally for the Ministry of Public Security
    dost = "dost"  # Sở Khoa học và Công nghệ
    soc = "soc"  # Trung tâm an ninh mạng (SOC) thành phố
    red_team = "red_team"  # đội tấn công trong diễn tập thực chiến
    drill_controller = "drill_controller"  # ban điều hành diễn tập


class SignatureError(InputError):
    """A signature that cannot be trusted: unknown key, bad signature or missing role."""


class TrustEntry(BaseModel):
    """One trusted person's public key, as ``trust/<slug>.yaml`` holds it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    person: str = Field(min_length=1)
    organisation: str = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    algorithm: Literal["ed25519"] = ALGORITHM
    public_key: str = Field(description="raw Ed25519 public key, base64")
    fingerprint: str
    added: date

    @field_validator("public_key")
    @classmethod
    def _valid_key(cls, value: str) -> str:
        try:
            public_key_from_b64(value)
        except ValueError as exc:
            raise ValueError(f"not an Ed25519 public key: it {exc}") from None
        return value

    @model_validator(mode="after")
    def _fingerprint_matches(self) -> TrustEntry:
        actual = fingerprint(public_key_from_b64(self.public_key))
        if self.fingerprint != actual:
            raise ValueError(f"fingerprint does not match the public key (it is {actual})")
        return self


@dataclass(frozen=True)
class VerifiedSigner:
    """Who made a signature that verified, and the role it was checked for."""

    slug: str
    person: str
    organisation: str
    roles: tuple[Role, ...]
    fingerprint: str
    role: Role


@dataclass(frozen=True)
class TrustedKey:
    slug: str
    path: Path
    entry: TrustEntry


class TrustStore:
    """The trusted keys of a workspace, by fingerprint and by slug."""

    def __init__(self, keys: list[TrustedKey]) -> None:
        self._by_fingerprint = {key.entry.fingerprint: key for key in keys}
        self._by_slug = {key.slug: key for key in keys}

    def all(self) -> list[TrustedKey]:
        return sorted(self._by_slug.values(), key=lambda key: key.slug)

    def get(self, slug_or_fingerprint: str) -> TrustedKey:
        found = self._by_slug.get(slug_or_fingerprint) or self._by_fingerprint.get(
            slug_or_fingerprint
        )
        if found is None:
            raise NotFoundError(
                f"no trusted key '{slug_or_fingerprint}'", hint="see 'socctl keys list'"
            )
        return found

    def verify(
        self, signature: Signature, payload: bytes, required_role: Role | str
    ) -> VerifiedSigner:
        """Check that a trusted key holding ``required_role`` signed exactly ``payload``."""
        try:
            role = Role(required_role)
        except ValueError:
            raise InputError(
                f"unknown role '{required_role}'", hint=f"use one of: {', '.join(Role)}"
            ) from None
        key = self._by_fingerprint.get(signature.key_fingerprint)
        if key is None:
            raise SignatureError(
                f"signed by key {signature.key_fingerprint}, which this workspace does not trust",
                hint="the signer's public key must be in trust/ (socctl keys new)",
            )
        entry = key.entry
        try:
            raw = base64.b64decode(signature.signature_b64, validate=True)
            public_key_from_b64(entry.public_key).verify(raw, payload)
        except (InvalidSignature, binascii.Error):
            raise SignatureError(
                f"the signature of {entry.person} ({key.slug}) does not match the signed content",
                hint="the content changed after signing, or the signature is forged; sign it again",
            ) from None
        if role not in entry.roles:
            held = ", ".join(entry.roles)
            raise SignatureError(
                f"{entry.person} ({key.slug}) signed but does not hold the role '{role}' (holds: {held})",
                path=key.path,
                hint=f"the step needs a signature by a '{role}'",
            )
        return VerifiedSigner(
            key.slug, entry.person, entry.organisation, tuple(entry.roles), entry.fingerprint, role
        )


def _check_slug(slug: str, path: Path | None = None) -> str:
    if not SLUG.match(slug):
        raise InputError(
            f"'{slug}' is not a key name",
            path=path,
            hint="use lower-case letters, digits and '-', e.g. nguyen-van-an",
        )
    return slug


def trust_path(ws: Workspace, slug: str) -> Path:
    """``trust/<slug>.yaml``, refusing a slug that is not a safe file name."""
    return ws.trust_dir / f"{_check_slug(slug)}{SUFFIX}"


def load_trust(ws: Workspace) -> TrustStore:
    """Every ``trust/*.yaml`` of the workspace; an invalid or duplicate key stops with its file."""
    keys: list[TrustedKey] = []
    seen: dict[str, Path] = {}
    paths = sorted(ws.trust_dir.glob(f"*{SUFFIX}")) if ws.trust_dir.is_dir() else []
    for path in paths:
        slug = _check_slug(path.name[: -len(SUFFIX)], path)
        entry = load_model(path, TrustEntry)
        if entry.fingerprint in seen:
            raise InputError(
                f"the same public key is already trusted in {seen[entry.fingerprint].name}",
                path=path,
                hint="keep one file per key",
            )
        seen[entry.fingerprint] = path
        keys.append(TrustedKey(slug, path, entry))
    return TrustStore(keys)
