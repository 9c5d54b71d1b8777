"""A scripted drill over the shipped samples: workspace, example systems, keys, a signed drill
and its journal written by several keys at once (the intrusion of 21/11/2026 in ``samples/``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner, Result

from socctl.cli.main import app
from socctl.drills.journal import append_entry, spec_payload
from socctl.drills.spec import DrillSpec, drill_dir
from socctl.trust.keys import load_private_key
from socctl.trust.signing import sign
from socctl.trust.store import load_trust
from socctl.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
DRILL = "2026-hp-01"
#: A script in a field: it must print as text and never run.
MARKER = "<script>document.body.setAttribute('data-xss', '1')</script>"
TITLE = f"Diễn tập thực chiến năm 2026 {MARKER}"
KEYS = {
    "red-a": "red_team",
    "red-b": "red_team",
    "soc-a": "soc",
    "onsite-a": "soc",
    "ctl": "drill_controller",
}
TEAMS: dict[str, tuple[str, str]] = {
    "red-a": ("red-1", "red"),
    "red-b": ("red-1", "red"),
    "soc-a": ("soc", "blue"),
    "onsite-a": ("onsite", "blue"),
    "ctl": ("btc", "controller"),
}


def cli(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--workspace", str(ws), *args])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def build(root: Path) -> tuple[Path, Path]:
    """The workspace (with two example systems and five keys) and the folder of private keys."""
    ws, keys = root / "ws", root / "keys"
    ok(CliRunner().invoke(app, ["init", str(ws)]))
    for system in ("cong-dvc", "mang-ttdl"):
        ok(cli(ws, "system", "add", str(REPO / "assessments/examples" / f"{system}.yaml")))
    for slug, role in KEYS.items():
        ok(
            cli(
                ws, "keys", "new", "--name", slug, "--org", "Hải Phòng", "--role", role,
                "--slug", slug, "--out", str(keys / f"{slug}.pem"),
            )
        )  # fmt: skip
    return ws, keys


def start(ws: Path, keys: Path, logs: str) -> DrillSpec:
    """Fix and sign the drill (what ``drill start`` writes)."""
    spec = DrillSpec.model_validate(
        {
            "id": DRILL,
            "title": TITLE,
            "year": 2026,
            "scenarios": ["portal-web-attack"],
            "targets": [
                {
                    "system": "cong-dvc",
                    "hosts": ["dvc-web01", "dvc-app02.haiphong.gov.vn", "dvc-db01.haiphong.gov.vn"],
                },
                {"system": "mang-ttdl", "hosts": ["FGT-HP-CORE01", "dc01.haiphong.gov.vn"]},
            ],
            "teams": [
                {
                    "id": "red-1",
                    "name": "Đội tấn công 1",
                    "role": "red",
                    "members": ["red-a", "red-b"],
                },
                {"id": "soc", "name": "SOC Hải Phòng", "role": "blue", "members": ["soc-a"]},
                {
                    "id": "onsite",
                    "name": "Tổ kỹ thuật tại chỗ",
                    "role": "blue",
                    "members": ["onsite-a"],
                },
                {"id": "btc", "name": "Ban tổ chức", "role": "controller", "members": ["ctl"]},
            ],
            "window": {"start": "2026-11-20T08:00:00+07:00", "end": "2026-11-25T18:00:00+07:00"},
            "engagement": "default",
            "scoring": "hp-default",
            "scoring_version": "2026.1",
            "logs": {"paths": [logs]},
            "created_by": "ctl",
            "created_at": "2026-11-20T07:30:00+07:00",
        }
    )
    workspace = Workspace(ws)
    folder = drill_dir(workspace, DRILL)
    folder.mkdir(parents=True)
    data = yaml.safe_dump(spec.model_dump(mode="json"), allow_unicode=True, sort_keys=False)
    (folder / "drill.yaml").write_text(data, encoding="utf-8")
    signature = sign(keys / "ctl.pem", spec_payload(spec))
    (folder / "drill.sig.yaml").write_text(yaml.safe_dump(signature.model_dump(mode="json")))
    return spec


EVIDENCE = [{"sha256": "5" * 64, "name": "sqlmap-output.txt"}]
#: What each key logs, in its own chain (times +07:00 on 21/11/2026, as the sample traces).
SCRIPT: dict[str, list[dict[str, Any]]] = {
    "red-a": [
        {"kind": "attack", "step_id": "s1-sqli", "technique": "T1190", "host": "dvc-web01",
         "system": "cong-dvc", "at": "2026-11-21T01:58:00+07:00", "outcome": "success"},
        {"kind": "finding", "finding_id": "F1", "title": "SQL injection <b>tra cứu hồ sơ</b>",
         "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
         "criteria": {"resources": "high", "data": "high", "users": "low"}, "evidence": EVIDENCE,
         "steps": ["s1-sqli"], "host": "dvc-web01", "system": "cong-dvc",
         "at": "2026-11-21T02:00:00+07:00"},
        {"kind": "attack", "step_id": "s2-webshell", "technique": "T1505.003", "host": "dvc-web01",
         "system": "cong-dvc", "at": "2026-11-21T02:04:00+07:00", "outcome": "success"},
        {"kind": "attack", "step_id": "s6-deface", "technique": "T1491.002", "host": "dvc-web01",
         "system": "cong-dvc", "at": "2026-11-21T23:58:00+07:00", "outcome": "success"},
    ],
    "red-b": [
        {"kind": "attack", "step_id": "s3-ssh", "technique": "T1110", "host": "dvc-web01",
         "system": "cong-dvc", "at": "2026-11-21T02:09:00+07:00", "outcome": "success"},
        {"kind": "attack", "step_id": "s4-dcsync", "technique": "T1003.006",
         "host": "dc01.haiphong.gov.vn", "system": "mang-ttdl", "at": "2026-11-21T03:02:00+07:00",
         "outcome": "success"},
        {"kind": "attack", "step_id": "s5-exfil", "technique": "T1048",
         "host": "dvc-db01.haiphong.gov.vn", "system": "cong-dvc",
         "at": "2026-11-21T03:30:00+07:00", "outcome": "success"},
    ],
    "soc-a": [
        {"kind": "detect", "at": "2026-11-21T02:05:00+07:00", "step_id": "s1-sqli"},
        {"kind": "report", "at": "2026-11-21T03:00:00+07:00", "to": "Công an thành phố",
         "incident": "SOC-2026-114", "step_ids": ["s1-sqli", "s2-webshell"]},
        {"kind": "detect", "at": "2026-11-21T03:10:00+07:00", "host": "dc01.haiphong.gov.vn",
         "technique": "T1003"},
    ],
    "onsite-a": [
        {"kind": "contain", "at": "2026-11-21T04:00:00+07:00", "host": "dvc-web01",
         "system": "cong-dvc", "step_ids": ["s1-sqli", "s2-webshell"], "action": "chặn 203.0.113.0/24"},
        {"kind": "contain", "at": "2026-11-22T06:00:00+07:00", "host": "dvc-web01",
         "system": "cong-dvc", "step_ids": ["s6-deface"], "action": "khôi phục trang chủ"},
    ],
}  # fmt: skip


def log(ws: Path, keys: Path, slug: str, entries: list[dict[str, Any]]) -> None:
    workspace = Workspace(ws)
    fingerprint = load_trust(workspace).get(slug).entry.fingerprint
    key = load_private_key(keys / f"{slug}.pem")
    team, role = TEAMS[slug]
    for fields in entries:
        append_entry(
            workspace,
            slug,
            key,
            {"drill": DRILL, "author": fingerprint, "role": role, "team": team, **fields},
        )


def run_drill(ws: Path, keys: Path) -> None:
    """Every team logs at the same time, each key in its own chain; then the controller."""
    with ThreadPoolExecutor(len(SCRIPT)) as pool:
        for future in [pool.submit(log, ws, keys, slug, items) for slug, items in SCRIPT.items()]:
            future.result()
    log(
        ws,
        keys,
        "ctl",
        [{"kind": "validate", "finding_id": "F1", "verdict": "valid", "reason": "đủ bằng chứng"}],
    )
    log(ws, keys, "ctl", [{"kind": "close", "at": "2026-11-25T18:00:00+07:00"}])
