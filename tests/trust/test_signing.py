"""Signatures: what appraisals and approvals rely on to be trusted, and forgeries to fail."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from socctl.errors import InputError
from socctl.trust import Role, Signature, SignatureError, canonical_bytes, load_trust, sign
from socctl.trust.enroll import new_key
from socctl.workspace import Workspace, init_workspace

DECISION = {
    "system": "cong-dvc",
    "level": 3,
    "decision": {"number": "123/QĐ-UBND", "date": "2026-11-20"},
    "approver": "Nguyễn Văn An",
}


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SOCCTL_KEY_PASSPHRASE", raising=False)
    return init_workspace(tmp_path / "ws")


def enrol(ws: Workspace, person: str, *roles: Role) -> Path:
    made = new_key(
        ws,
        person=person,
        organisation="UBND TP Hải Phòng",
        roles=list(roles),
        today=date(2026, 11, 21),
    )
    return made.private_key


def test_a_signature_by_a_trusted_key_with_the_role_verifies(ws: Workspace) -> None:
    key = enrol(ws, "Nguyễn Văn An", Role.owner)
    payload = canonical_bytes(DECISION)
    signature = sign(key, payload)
    signer = load_trust(ws).verify(signature, payload, Role.owner)
    assert (signer.slug, signer.person, signer.role) == (
        "nguyen-van-an",
        "Nguyễn Văn An",
        Role.owner,
    )
    assert signer.fingerprint == signature.key_fingerprint


def test_changed_content_fails(ws: Workspace) -> None:
    key = enrol(ws, "Nguyễn Văn An", Role.owner)
    signature = sign(key, canonical_bytes(DECISION))
    edited = canonical_bytes(DECISION | {"level": 2})
    with pytest.raises(SignatureError, match="does not match the signed content"):
        load_trust(ws).verify(signature, edited, Role.owner)


def test_a_forged_signature_fails(ws: Workspace) -> None:
    key = enrol(ws, "Nguyễn Văn An", Role.owner)
    payload = canonical_bytes(DECISION)
    real = sign(key, payload)
    flipped = bytearray(real.signature_b64.encode())
    flipped[5] = ord("A") if flipped[5] != ord("A") else ord("B")
    for forged in (
        real.model_copy(update={"signature_b64": flipped.decode()}),
        real.model_copy(update={"signature_b64": "not base64 !!"}),
    ):
        with pytest.raises(SignatureError, match="does not match"):
            load_trust(ws).verify(forged, payload, Role.owner)


def test_a_key_the_workspace_does_not_trust_fails(ws: Workspace, tmp_path: Path) -> None:
    other = init_workspace(tmp_path / "elsewhere")
    outsider = new_key(
        other, person="Kẻ Mạo Danh", organisation="?", roles=[Role.owner], today=date(2026, 11, 21)
    ).private_key
    payload = canonical_bytes(DECISION)
    with pytest.raises(SignatureError, match="does not trust"):
        load_trust(ws).verify(sign(outsider, payload), payload, Role.owner)


def test_a_trusted_key_without_the_role_fails(ws: Workspace) -> None:
    key = enrol(ws, "Trần Thị Bình", Role.it_officer)
    payload = canonical_bytes(DECISION)
    with pytest.raises(SignatureError, match="does not hold the role 'owner'"):
        load_trust(ws).verify(sign(key, payload), payload, Role.owner)
    with pytest.raises(InputError, match="unknown role"):
        load_trust(ws).verify(sign(key, payload), payload, "king")


def test_granting_a_role_by_editing_trust_needs_a_matching_key(ws: Workspace) -> None:
    """Editing roles is a reviewed change in git; swapping in another key breaks the fingerprint."""
    enrol(ws, "Trần Thị Bình", Role.it_officer)
    path = ws.trust_dir / "tran-thi-binh.yaml"
    text = path.read_text(encoding="utf-8")
    other = enrol(ws, "Lê Văn Cường", Role.owner)
    other_key = (ws.trust_dir / "le-van-cuong.yaml").read_text(encoding="utf-8")
    other_public = next(line for line in other_key.splitlines() if line.startswith("public_key:"))
    path.write_text(
        "\n".join(
            other_public if line.startswith("public_key:") else line for line in text.splitlines()
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="fingerprint does not match") as caught:
        load_trust(ws)
    assert "tran-thi-binh.yaml" in str(caught.value)
    assert other.exists()


def test_a_trust_file_with_an_unknown_field_is_refused(ws: Workspace) -> None:
    enrol(ws, "Nguyễn Văn An", Role.owner)
    path = ws.trust_dir / "nguyen-van-an.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "superuser: true\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'superuser'"):
        load_trust(ws)


def test_canonical_bytes_ignore_key_order_and_unicode_form_but_not_values() -> None:
    reordered = dict(reversed(list(DECISION.items())))
    decomposed = {
        k: unicodedata.normalize("NFD", v) if isinstance(v, str) else v for k, v in DECISION.items()
    }
    assert canonical_bytes(DECISION) == canonical_bytes(reordered) == canonical_bytes(decomposed)
    assert canonical_bytes(DECISION) != canonical_bytes(DECISION | {"approver": "Nguyễn Văn Ân"})
    assert canonical_bytes({"d": date(2026, 1, 2)}) == b'{"d":"2026-01-02"}'
    assert (
        canonical_bytes({"a": "Hải Phòng", "b": [1, 2]}) == '{"a":"Hải Phòng","b":[1,2]}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_bytes({"x": float("nan")})


def test_signature_is_a_strict_model_that_round_trips() -> None:
    signature = Signature(key_fingerprint="SHA256:abc", signature_b64="AAAA")
    assert Signature.model_validate(signature.model_dump()) == signature
    assert signature.algorithm == "ed25519"
    with pytest.raises(ValueError):
        Signature.model_validate(signature.model_dump() | {"algorithm": "rsa"})


def test_an_encrypted_key_needs_its_passphrase(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCCTL_KEY_PASSPHRASE", "mật khẩu dài 2026")
    key = enrol(ws, "Nguyễn Văn An", Role.owner)
    assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    payload = canonical_bytes(DECISION)
    assert load_trust(ws).verify(sign(key, payload), payload, Role.owner).person == "Nguyễn Văn An"
    monkeypatch.delenv("SOCCTL_KEY_PASSPHRASE")
    with pytest.raises(InputError, match=r"encrypted.*SOCCTL_KEY_PASSPHRASE"):
        sign(key, payload)
    monkeypatch.setenv("SOCCTL_KEY_PASSPHRASE", "sai")
    with pytest.raises(InputError, match="wrong passphrase"):
        sign(key, payload)


def test_a_private_key_readable_by_others_is_refused(ws: Workspace) -> None:
    key = enrol(ws, "Nguyễn Văn An", Role.owner)
    key.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        sign(key, b"x")
