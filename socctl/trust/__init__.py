"""Keys and trust: Ed25519 signatures over exact content, checked against the workspace's trust/.

Sign structured content with ``sign(key_path, canonical_bytes(obj))`` and check it with
``load_trust(ws).verify(signature, canonical_bytes(obj), Role.owner)``.
"""

from socctl.trust.signing import Signature, canonical_bytes, sign
from socctl.trust.store import (
    Role,
    SignatureError,
    TrustEntry,
    TrustStore,
    VerifiedSigner,
    load_trust,
)

__all__ = [
    "Role",
    "Signature",
    "SignatureError",
    "TrustEntry",
    "TrustStore",
    "VerifiedSigner",
    "canonical_bytes",
    "load_trust",
    "sign",
]
