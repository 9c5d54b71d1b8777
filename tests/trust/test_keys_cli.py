"""``socctl keys``: making a person's key pair and reading the trust store."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.errors import SocctlError
from socctl.trust import Role, canonical_bytes, load_trust, sign
from socctl.workspace import Workspace, init_workspace


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("SOCCTL_KEY_PASSPHRASE", raising=False)
    return init_workspace(tmp_path / "ws")


def run(ws: Workspace, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--workspace", str(ws.root), *args])
    if isinstance(result.exception, SocctlError):
        return result.exception.exit_code, result.stdout, str(result.exception)
    return result.exit_code, result.stdout, result.stderr


NEW = (
    "keys",
    "new",
    "--name",
    "Nguyễn Thị Hồng",
    "--org",
    "Công an thành phố Hải Phòng",
    "--role",
    "police",
)


def test_new_key_keeps_the_private_half_outside_the_workspace(
    ws: Workspace, tmp_path: Path
) -> None:
    code, out, err = run(ws, *NEW, "--role", "drill_controller")
    assert code == 0, err
    private = tmp_path / "config" / "socctl" / "keys" / "nguyen-thi-hong.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert "PRIVATE KEY" not in out and private.read_text() not in out
    assert not any(
        "PRIVATE" in p.read_text(errors="ignore") for p in ws.root.rglob("*") if p.is_file()
    )
    entry = yaml.safe_load((ws.trust_dir / "nguyen-thi-hong.yaml").read_text(encoding="utf-8"))
    assert entry["person"] == "Nguyễn Thị Hồng"
    assert entry["organisation"] == "Công an thành phố Hải Phòng"
    assert entry["roles"] == ["police", "drill_controller"]
    assert entry["fingerprint"] in out
    # the key made here signs, and the workspace trusts it for its roles
    signature = sign(private, canonical_bytes({"drill": "dt-2026"}))
    signer = load_trust(ws).verify(
        signature, canonical_bytes({"drill": "dt-2026"}), Role.drill_controller
    )
    assert signer.slug == "nguyen-thi-hong"


def test_existing_keys_are_never_overwritten(ws: Workspace, tmp_path: Path) -> None:
    assert run(ws, *NEW)[0] == 0
    private = tmp_path / "config" / "socctl" / "keys" / "nguyen-thi-hong.pem"
    before = private.read_bytes(), (ws.trust_dir / "nguyen-thi-hong.yaml").read_bytes()
    code, _, err = run(ws, *NEW)
    assert code == 3 and "never overwritten" in err
    code, _, err = run(ws, *NEW, "--out", str(tmp_path / "other.pem"))
    assert code == 3 and "already exists" in err and "--slug" in err
    assert not (tmp_path / "other.pem").exists()  # nothing half-done
    assert (private.read_bytes(), (ws.trust_dir / "nguyen-thi-hong.yaml").read_bytes()) == before


def test_a_private_key_inside_the_workspace_is_refused(ws: Workspace) -> None:
    code, _, err = run(ws, *NEW, "--out", str(ws.root / "keys" / "me.pem"))
    assert code == 2 and "inside the workspace" in err
    assert not (ws.root / "keys").exists()
    assert not list(ws.trust_dir.glob("*.yaml"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--role", "king"), "king"),
        (("--slug", "../evil"), "is not a key name"),
    ],
)
def test_bad_key_options_are_refused(ws: Workspace, extra: tuple[str, ...], message: str) -> None:
    code, _, err = run(ws, *NEW, *extra)
    assert code in (2, 3) and message in err
    assert not list(ws.trust_dir.glob("*.yaml"))


def test_list_and_show(ws: Workspace) -> None:
    run(ws, *NEW)
    run(ws, "keys", "new", "--name", "Lê Văn Sở", "--org", "Sở KH&CN", "--role", "dost")
    code, out, _ = run(ws, "keys", "list", "--format", "json")
    rows = json.loads(out)
    assert [r["slug"] for r in rows] == ["le-van-so", "nguyen-thi-hong"]
    assert rows[0]["roles"] == ["dost"]
    code, out, _ = run(ws, "keys", "show", "le-van-so", "--format", "json")
    shown = json.loads(out)
    assert shown["fingerprint"] == rows[0]["fingerprint"] and len(shown["public_key"]) == 44
    by_fingerprint = json.loads(run(ws, "keys", "show", rows[0]["fingerprint"], "-f", "json")[1])
    assert by_fingerprint["slug"] == "le-van-so"
    code, _, err = run(ws, "keys", "show", "ai-do")
    assert code == 3 and "no trusted key 'ai-do'" in err


def test_out_naming_a_directory_says_it_is_one(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "my-keys"
    folder.mkdir()
    code, _, err = run(ws, *NEW, "--out", str(folder))
    assert code == 3 and "is a directory" in err and "already exists" not in err
    assert not list(ws.trust_dir.glob("*.yaml")) and not list(folder.iterdir())
