"""What SigmaHQ's Windows rules mean, on every input format (regression samples in ``regression/``).

- Data names with spaces (Defender's ``Source Name``, ``Process Name``) match rules' ``SourceName``,
  ``ProcessName`` (the spaces removed, as SigmaHQ's regression checker does), unless the event has
  a field of the space-free name already.
- On Windows logs ``Field: null`` is "empty or missing" and ``Field: ''`` is "empty" (an empty
  element, ``null`` in evtx_dump JSON, ``""`` after export); elsewhere (flat JSON, syslog)
  ``null`` is absent or JSON null and ``''`` the empty string only.

The rules are SigmaHQ's, from the shipped corpus, run through ``socctl detect run``.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from socctl.cli.main import app
from socctl.detection.inputs.windows import flatten_windows

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "regression"
TARBALL = HERE.parents[1] / ".." / "shared" / "corpus" / "sigmahq-rules.tar.gz"

AMSI = "rules/windows/builtin/windefend/win_defender_malware_detected_amsi_source.yml"
ASR_LSASS = "rules/windows/builtin/windefend/win_defender_asr_lsass_access.yml"
CACTUSTORCH = "rules/windows/create_remote_thread/create_remote_thread_win_hktl_cactustorch.yml"
DUMPER = (
    "rules/windows/create_remote_thread/create_remote_thread_win_susp_password_dumper_lsass.yml"
)

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def sigma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not TARBALL.is_file():
        pytest.skip(f"SigmaHQ rule archive not found at {TARBALL}")
    folder = tmp_path_factory.mktemp("sigmahq")
    with tarfile.open(TARBALL) as archive:
        members = [archive.getmember(name) for name in (AMSI, ASR_LSASS, CACTUSTORCH, DUMPER)]
        archive.extractall(folder, members=members, filter="data")
    return folder


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("SOCCTL_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def _record_id(event: dict[str, Any]) -> int:
    if "winlog" in event:
        return int(event["winlog"]["record_id"])
    if "Event" in event:
        return int(event["Event"]["System"]["EventRecordID"])
    return int(event["id"])


def alerts(sigma: Path, logs: Path, *rules: str) -> dict[str, set[int]]:
    """Rule title -> record ids of the events it alerted on, from ``socctl detect run``."""
    args = ["detect", "run", "--logs", str(logs), "-f", "ndjson"]
    for rule in rules:
        args += ["--rules", str(sigma / rule)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    found: dict[str, set[int]] = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            alert = json.loads(line)
            found.setdefault(alert["rule"]["title"], set()).add(_record_id(alert["event"]))
    return found


AMSI_TITLE = "Windows Defender AMSI Trigger Detected"
ASR_TITLE = "LSASS Access Detected via Attack Surface Reduction"
CACTUSTORCH_TITLE = "HackTool - CACTUSTORCH Remote Thread Creation"
DUMPER_TITLE = "Password Dumper Remote Thread in LSASS"


@pytest.mark.parametrize(
    "sample",
    [
        "defender-operational.evtx.jsonl",
        "defender-operational.xml",
        "defender-operational.winlogbeat.ndjson",
    ],
)
def test_defender_source_name_with_a_space_matches_sourcename(sigma: Path, sample: str) -> None:
    # 5101: Source Name "AMSI"; 5102: "Real-Time Protection"
    assert alerts(sigma, SAMPLES / sample, AMSI) == {AMSI_TITLE: {5101}}


@pytest.mark.parametrize("sample", ["defender-operational.evtx.jsonl", "defender-operational.xml"])
def test_defender_process_name_filters_of_an_asr_rule_apply(sigma: Path, sample: str) -> None:
    # 5103: procdump64.exe reads lsass (alert); 5104: svchost.exe, filtered by `ProcessName`
    assert alerts(sigma, SAMPLES / sample, ASR_LSASS) == {ASR_TITLE: {5103}}


def test_a_field_written_without_spaces_keeps_its_own_value(sigma: Path, tmp_path: Path) -> None:
    lines = (SAMPLES / "defender-operational.evtx.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines[:2]]
    events[0]["Event"]["EventData"]["SourceName"] = "Real-Time Protection"  # 5101: AMSI spaced
    events[1]["Event"]["EventData"]["SourceName"] = "AMSI"  # 5102: AMSI unspaced
    logs = tmp_path / "both.jsonl"
    logs.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert alerts(sigma, logs, AMSI) == {AMSI_TITLE: {5102}}
    fields, _ = flatten_windows(events[0]["Event"])
    assert (fields["Source Name"], fields["SourceName"]) == ("AMSI", "Real-Time Protection")


@pytest.mark.parametrize(
    "sample",
    [
        "sysmon-remote-thread.evtx.jsonl",  # "StartModule": null, as evtx_dump writes it
        "sysmon-remote-thread.xml",  # <Data Name="StartModule"></Data> and <Data .../>
        "sysmon-remote-thread.winlogbeat.ndjson",  # "StartModule": ""
    ],
)
def test_an_empty_element_is_both_null_and_empty_on_windows(sigma: Path, sample: str) -> None:
    # 7201/7202: StartModule empty; 7203/7204: StartModule set (no alert)
    assert alerts(sigma, SAMPLES / sample, CACTUSTORCH, DUMPER) == {
        CACTUSTORCH_TITLE: {7201},
        DUMPER_TITLE: {7202},
    }


def test_an_absent_field_is_null_but_not_empty_on_windows(sigma: Path, tmp_path: Path) -> None:
    lines = (SAMPLES / "sysmon-remote-thread.evtx.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines[:2]]
    for event in events:
        del event["Event"]["EventData"]["StartModule"]
    logs = tmp_path / "absent.jsonl"
    logs.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    assert alerts(sigma, logs, CACTUSTORCH, DUMPER) == {CACTUSTORCH_TITLE: {7201}}


def _flat(number: int, target: str, **start: Any) -> dict[str, Any]:
    return {
        "id": number,
        "SourceImage": "C:\\Windows\\System32\\wscript.exe",
        "TargetImage": target,
        **start,
    }


def test_flat_json_keeps_null_and_empty_apart(sigma: Path, tmp_path: Path) -> None:
    wow = "C:\\Windows\\SysWOW64\\rundll32.exe"
    lsass = "C:\\Windows\\System32\\lsass.exe"
    records = [
        _flat(1, wow, StartModule=None),
        _flat(2, wow, StartModule=""),
        _flat(3, wow),
        _flat(4, lsass, StartModule=None),
        _flat(5, lsass, StartModule=""),
        _flat(6, lsass),
    ]
    logs = tmp_path / "flat.jsonl"
    logs.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert alerts(sigma, logs, CACTUSTORCH, DUMPER) == {
        CACTUSTORCH_TITLE: {1, 3},
        DUMPER_TITLE: {5},
    }


def test_syslog_absent_is_null_and_an_empty_parameter_is_empty(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    for number, (name, test) in enumerate((("null", "null"), ("empty", "''"))):
        (rules / f"{name}.yml").write_text(
            f"title: origin {name}\nid: 6d1c2a4e-0000-4000-8000-00000000000{number}\n"
            "logsource: {product: linux}\n"
            f"detection:\n  sel:\n    program: backup\n    origin.software: {test}\n"
            "  condition: sel\nlevel: low\n",
            encoding="utf-8",
        )
    logs = tmp_path / "syslog.log"
    logs.write_text(
        "<13>1 2026-11-21T03:00:00+07:00 dvc-db01 backup 811 - - no origin\n"
        '<13>1 2026-11-21T03:00:01+07:00 dvc-db01 backup 811 - [origin software=""] empty\n'
        '<13>1 2026-11-21T03:00:02+07:00 dvc-db01 backup 811 - [origin software="pg"] set\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["detect", "run", "--logs", str(logs), "--rules", str(rules), "-f", "ndjson"]
    )
    found = sorted(
        (alert["rule"]["title"], alert["event"]["line"].rsplit(" ", 1)[1])
        for alert in map(json.loads, filter(None, result.stdout.splitlines()))
    )
    assert found == [("origin empty", "empty"), ("origin null", "origin")]
