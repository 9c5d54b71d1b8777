"""The office the dossier, gate, posture and report tests share.

An office is a workspace holding the city's online public services portal (``cong-dvc``, level 3)
and one key per role: the IT officer files, the specialised unit appraises, the owner approves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import yaml
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.errors import SocctlError
from socctl.inventory.dossier import Step, StepSignature, step_payload
from socctl.trust import sign
from socctl.workspace import init_workspace

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "assessments" / "examples" / "cong-dvc.yaml"
SYSTEM = "cong-dvc"
ROLES = ("it_officer", "specialised_unit", "owner", "police")


@dataclass
class Result:
    code: int
    out: str
    error: str


def run(ws: Path, *args: str) -> Result:
    """Invoke the CLI as ``socctl.cli.main:run`` would: a socctl error is one line and its code."""
    result = CliRunner().invoke(app, ["--workspace", str(ws), *args])
    if isinstance(result.exception, SocctlError):
        return Result(result.exception.exit_code, result.stdout, str(result.exception))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, "")


def ok(ws: Path, *args: str) -> str:
    result = run(ws, *args)
    assert result.code == 0, f"socctl {' '.join(args)}: {result.error or result.out}"
    return result.out


@dataclass
class Office:
    ws: Path
    keys: dict[str, Path]  # role -> private key; "untrusted" is a key of another workspace

    @property
    def dossier(self) -> Path:
        return self.ws / "dossiers" / f"{SYSTEM}.yaml"

    def key(self, role: str) -> str:
        return str(self.keys[role])


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def make_office(root: Path) -> Office:
    ws = init_workspace(root / "ws").root
    ok(ws, "system", "add", str(EXAMPLE))
    keys: dict[str, Path] = {}
    for role in ROLES:
        keys[role] = root / "keys" / f"{role}.pem"
        ok(
            ws,
            "keys",
            "new",
            "--name",
            f"Cán bộ {role}",
            "--org",
            "Hải Phòng",
            "--role",
            role,
            "--slug",
            role.replace("_", "-"),
            "--out",
            str(keys[role]),
        )
    other = init_workspace(root / "elsewhere").root
    keys["untrusted"] = root / "keys" / "untrusted.pem"
    ok(
        other,
        "keys",
        "new",
        "--name",
        "Người lạ",
        "--org",
        "Không rõ",
        "--role",
        "owner",
        "--out",
        str(keys["untrusted"]),
    )
    return Office(ws, keys)


def fill(office: Office, *, regulation: bool = True) -> None:
    """Do what the IT officer does by hand: evidence for every item, a status for each requirement."""
    data = yaml.safe_load(office.dossier.read_text(encoding="utf-8"))
    for section in ("parts", "explanation", "security_plan"):
        for entry in data[section].values():
            entry["evidence"] = [{"note": "Thuyết minh kèm theo hồ sơ"}]
    for index, entry in enumerate(data["catalogue"].values()):
        entry["status"] = "met" if index % 4 else "partial"
        entry["evidence"] = [{"url": f"https://attt.haiphong.gov.vn/minh-chung/{index}"}]
    if regulation:
        data["security_regulation"] = {
            "issued": True,
            "number": "12/QĐ-TTPVHCC",
            "date": days_ago(40),
        }
    office.dossier.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def submit(office: Office, days: int) -> None:
    """A new dossier, filled in and submitted by the IT officer ``days`` ago."""
    ok(office.ws, "dossier", "new", SYSTEM)
    fill(office)
    ok(
        office.ws,
        "dossier",
        "submit",
        SYSTEM,
        "--key",
        office.key("it_officer"),
        "--date",
        days_ago(days),
    )


def appraise(office: Office, days: int) -> None:
    """A favourable appraisal by the owner's specialised unit ``days`` ago."""
    by = ["--key", office.key("specialised_unit"), "--organisation", "Phòng An toàn thông tin"]
    opinion = ["--opinion", "Đủ điều kiện", "--date", days_ago(days)]
    ok(office.ws, "dossier", "appraise", SYSTEM, *by, *opinion)


def approve_all(office: Office) -> None:
    """New, filled, submitted, appraised and approved, with past dates."""
    submit(office, 30)
    appraise(office, 20)
    ok(
        office.ws,
        "dossier",
        "approve",
        SYSTEM,
        "--key",
        office.key("owner"),
        "--decision-number",
        "125/QĐ-UBND",
        "--date",
        days_ago(10),
    )


def rewrite(office: Office, change) -> None:  # type: ignore[no-untyped-def]
    """Edit the dossier file by hand (as a forger would)."""
    data = yaml.safe_load(office.dossier.read_text(encoding="utf-8"))
    change(data)
    office.dossier.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def resign_last_step(office: Office, key: Path) -> None:
    """Replace the approval's signature by a valid signature of ``key`` over the same step."""
    data = yaml.safe_load(office.dossier.read_text(encoding="utf-8"))
    step = Step.model_validate(data["history"][-1])
    signature = sign(key, step_payload(SYSTEM, step))
    data["history"][-1]["signature"] = StepSignature(
        key=signature.key_fingerprint, value=signature.signature_b64
    ).model_dump()
    office.dossier.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


EXAMPLES = sorted((REPO / "assessments" / "examples").glob("*.yaml"))


def office_with_examples(root: Path) -> Office:
    """An office that also holds every other example system."""
    office = make_office(root)
    for example in EXAMPLES:
        if example.stem != SYSTEM:
            ok(office.ws, "system", "add", str(example))
    return office
