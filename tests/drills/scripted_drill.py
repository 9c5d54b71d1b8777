"""A scripted drill over the shipped samples: workspace, example systems, keys, a signed drill
and its journal written by several keys at once (the intrusion of 21/11/2026 in ``samples/``)."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner, Result

from socctl.cli.main import app
from socctl.drills.spec import DrillSpec, load_spec
from socctl.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "playbooks" / "examples" / "drill-2026-hp-01.yaml"
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
    """``drill start`` from the shipped example definition (its title given a script)."""
    definition = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    definition["title"] = TITLE
    path = ws.parent / "drill-definition.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    ok(cli(ws, "drill", "start", DRILL, "--from", str(path), "--key", str(keys / "ctl.pem"),
           "--logs", logs))  # fmt: skip
    return load_spec(Workspace(ws), DRILL)


#: What each key logs, in its own chain (times +07:00 on 21/11/2026, as the sample traces).
SCRIPT: dict[str, list[dict[str, Any]]] = {
    "red-a": [
        {"kind": "attack", "step_id": "s1-sqli", "technique": "T1190", "host": "dvc-web01",
         "system": "cong-dvc", "at": "2026-11-21T01:58:00+07:00", "outcome": "success"},
        {"kind": "finding", "finding_id": "F1", "title": "SQL injection <b>tra cứu hồ sơ</b>",
         "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
         "criteria": {"resources": "high", "data": "high", "users": "low"},
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
         "step_ids": ["s1-sqli", "s2-webshell"], "action": "chặn 203.0.113.0/24"},
        {"kind": "contain", "at": "2026-11-22T06:00:00+07:00", "host": "dvc-web01",
         "step_ids": ["s6-deface"], "action": "khôi phục trang chủ"},
    ],
}  # fmt: skip


def command(entry: dict[str, Any]) -> list[str]:
    """The ``socctl drill`` arguments that log one scripted entry."""
    fields = dict(entry)
    kind = fields.pop("kind")
    if kind == "validate":
        return ["finding", "validate", DRILL, fields["finding_id"], "--verdict",
                fields["verdict"], "--reason", fields["reason"]]  # fmt: skip
    args: list[str] = []
    for name, value in fields.items():
        option = OPTIONS.get(name, "--" + name.replace("_", "-"))
        if name == "criteria":
            for criterion, grade in value.items():
                args += [f"--{criterion}", grade]
        elif isinstance(value, list):
            for item in value:
                args += [option, item]
        else:
            args += [option, value]
    if kind == "close":
        return ["close", DRILL, *args]
    prefix = ["finding", "add"] if kind == "finding" else ["log", kind]
    return [*prefix, DRILL, *args]


#: Entry fields whose option is not ``--<field>``.
OPTIONS = {
    "step_id": "--step",
    "step_ids": "--step",
    "steps": "--step",
    "finding_id": "--id",
    "cvss_vector": "--cvss",
    "evidence": "--evidence",
}


def log(ws: Path, keys: Path, slug: str, entries: list[dict[str, Any]]) -> None:
    """Log the entries one after the other with ``socctl drill``, as that key's holder."""
    for entry in entries:
        args = [str(a) for a in command(entry)]
        run = subprocess.run(
            [sys.executable, "-m", "socctl", "--workspace", str(ws), "drill", *args,
             "--key", str(keys / f"{slug}.pem")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert run.returncode == 0, f"{slug}: {args}: {run.stderr}"


def run_drill(ws: Path, keys: Path) -> None:
    """Every team logs at the same time, each key in its own process; then the controller."""
    evidence = ws.parent / "sqlmap-output.txt"
    evidence.write_text("[INFO] parameter 'maHoSo' is vulnerable\n", encoding="utf-8")
    script = {
        slug: [{**e, "evidence": [str(evidence)]} if e["kind"] == "finding" else e for e in items]
        for slug, items in SCRIPT.items()
    }
    with ThreadPoolExecutor(len(script)) as pool:
        for future in [pool.submit(log, ws, keys, slug, items) for slug, items in script.items()]:
            future.result()
    log(
        ws,
        keys,
        "ctl",
        [{"kind": "validate", "finding_id": "F1", "verdict": "valid", "reason": "đủ bằng chứng"}],
    )
    log(ws, keys, "ctl", [{"kind": "close", "at": "2026-11-25T18:00:00+07:00"}])
