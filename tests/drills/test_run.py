"""Running a drill from the CLI: what ``drill start`` and ``drill log`` refuse, before writing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from scripted_drill import DRILL, EXAMPLE, REPO, build, run_drill, start

from socctl.drills.journal import load_journal
from socctl.workspace import Workspace

IN_WINDOW = "2026-11-21T10:00:00+07:00"


def socctl(ws: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "socctl", "--workspace", str(ws), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def refused(run: subprocess.CompletedProcess[str], code: int, *texts: str) -> None:
    assert run.returncode == code, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    for text in texts:
        assert text in run.stderr, run.stderr


def snapshot(ws: Path) -> dict[str, bytes]:
    """Every file under the drill's folder, to show a refusal wrote nothing."""
    folder = ws / "drills" / DRILL
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ws, keys = build(tmp_path_factory.mktemp("run"))
    start(ws, keys, str(REPO / "samples"))
    return ws, keys


@pytest.fixture
def drill(started: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the started drill (its keys stay where they are)."""
    ws, keys = started
    copy = tmp_path / "ws"
    shutil.copytree(ws, copy)
    return copy, keys


def attack(ws: Path, keys: Path, *extra: str, key: str = "red-a", **options: str) -> list[str]:
    values = {"step": "s1", "technique": "T1190", "host": "dvc-web01", "at": IN_WINDOW, **options}
    args = [a for name, value in values.items() for a in (f"--{name}", value)]
    return ["drill", "log", "attack", DRILL, "--key", str(keys / f"{key}.pem"), *args, *extra]


def test_an_attack_is_logged_with_its_system_and_evidence_digest(
    drill: tuple[Path, Path],
) -> None:
    ws, keys = drill
    evidence = ws.parent / "nmap.txt"
    evidence.write_text("80/tcp open http\n", encoding="utf-8")
    run = socctl(ws, *attack(ws, keys, "--evidence", evidence, technique="t1190"))
    assert run.returncode == 0, run.stderr
    assert "logged attack (seq 1) in drills/2026-hp-01/journal/red-a.jsonl" in run.stderr
    entry = load_journal(Workspace(ws), DRILL).attacks[0]
    assert (entry.technique, entry.system, entry.team) == ("T1190", "cong-dvc", "red-1")
    digest = entry.evidence[0].sha256
    assert (ws / "drills" / DRILL / "evidence" / digest).read_bytes() == evidence.read_bytes()


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"technique": "T9999"}, "'T9999' is not a technique of ATT&CK Enterprise"),
        ({"technique": "T1486"}, "T1486"),  # data encrypted for impact: excluded
        ({"host": "mail.haiphong.gov.vn"}, "host mail.haiphong.gov.vn is not a target"),
        ({"at": "2026-11-26T09:00:00+07:00"}, "is outside the drill window"),
        ({"at": "2026-11-21T10:00"}, None),  # Vietnam time without an offset: inside
    ],
)
def test_attacks_outside_the_rules_are_refused_before_anything_is_written(
    drill: tuple[Path, Path], options: dict[str, str], expected: str | None
) -> None:
    ws, keys = drill
    before = snapshot(ws)
    run = socctl(ws, *attack(ws, keys, **options))
    if expected is None:
        assert run.returncode == 0, run.stderr
        return
    refused(run, 3, expected)
    assert snapshot(ws) == before


def test_a_step_on_another_systems_host_is_refused(drill: tuple[Path, Path]) -> None:
    ws, keys = drill
    run = socctl(ws, *attack(ws, keys, "--system", "mang-ttdl"))
    refused(run, 3, "host dvc-web01 is a target of system cong-dvc, not mang-ttdl")


def test_roles_limit_what_a_key_may_log(drill: tuple[Path, Path]) -> None:
    ws, keys = drill
    as_blue = socctl(ws, *attack(ws, keys, key="soc-a"))
    refused(as_blue, 3, "soc-a is in the blue team 'soc', which cannot log an attack action")
    as_red = socctl(ws, "drill", "log", "detect", DRILL, "--key", keys / "red-a.pem",
                    "--at", IN_WINDOW)  # fmt: skip
    refused(as_red, 3, "cannot log a detection", "logged by a blue key")
    as_red_validating = socctl(ws, "drill", "finding", "validate", DRILL, "F1", "--key",
                               keys / "red-b.pem", "--verdict", "valid", "--reason", "x")  # fmt: skip
    refused(as_red_validating, 3, "cannot log a finding's validation")


def test_a_step_id_is_logged_once(drill: tuple[Path, Path]) -> None:
    ws, keys = drill
    assert socctl(ws, *attack(ws, keys)).returncode == 0
    again = socctl(ws, *attack(ws, keys, key="red-b"))
    refused(again, 3, "step 's1' is already logged (by red-a)")


def test_a_finding_needs_evidence_a_valid_vector_and_logged_steps(
    drill: tuple[Path, Path],
) -> None:
    ws, keys = drill
    base = ["drill", "finding", "add", DRILL, "--key", keys / "red-a.pem", "--id", "F1",
            "--title", "SQLi", "--resources", "high", "--data", "high", "--users", "low",
            "--host", "dvc-web01", "--at", IN_WINDOW]  # fmt: skip
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    refused(socctl(ws, *base, "--cvss", vector), 3, "finding F1 has no evidence")
    evidence = ws.parent / "proof.txt"
    evidence.write_text("dump\n", encoding="utf-8")
    with_evidence = [*base, "--evidence", evidence]
    refused(socctl(ws, *with_evidence, "--cvss", "CVSS:3.1/AV:N"), 3, "is not valid")
    refused(
        socctl(ws, *with_evidence, "--cvss", vector, "--step", "s9"),
        3,
        "step 's9' is not logged",
    )
    missing = socctl(ws, *base, "--cvss", vector, "--evidence", ws.parent / "nothing.txt")
    refused(missing, 3, "nothing.txt", "cannot read the evidence file")
    assert not (ws / "drills" / DRILL / "evidence").exists()
    assert socctl(ws, *with_evidence, "--cvss", vector).returncode == 0


def test_a_key_outside_the_drill_cannot_log(drill: tuple[Path, Path], tmp_path: Path) -> None:
    ws, _ = drill
    made = socctl(ws, "keys", "new", "--name", "Khách", "--org", "Khác", "--role", "red_team",
                  "--slug", "guest", "--out", tmp_path / "guest.pem")  # fmt: skip
    assert made.returncode == 0, made.stderr
    run = socctl(ws, *attack(ws, tmp_path, key="guest"))
    refused(run, 3, "key 'guest' is not a member of any team of drill 2026-hp-01")


def test_a_closed_drill_takes_no_more_entries(drill: tuple[Path, Path]) -> None:
    ws, keys = drill
    closing = socctl(ws, "drill", "close", DRILL, "--key", keys / "ctl.pem", "--at",
                     "2026-11-25T18:00:00+07:00")  # fmt: skip
    assert closing.returncode == 0, closing.stderr
    refused(socctl(ws, *attack(ws, keys)), 3, "drill 2026-hp-01 was closed")
    listed = socctl(ws, "drill", "list", "-f", "csv")
    assert "2026-hp-01" in listed.stdout and "closed" in listed.stdout


def _definition(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data.update(changes)
    path = tmp_path / "definition.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_start_refuses_a_second_start_and_a_non_controller(
    started: tuple[Path, Path], tmp_path: Path
) -> None:
    ws, keys = started
    again = socctl(ws, "drill", "start", DRILL, "--from", EXAMPLE, "--key", keys / "ctl.pem")
    refused(again, 3, "drill '2026-hp-01' is already started")
    by_red = socctl(ws, "drill", "start", "2026-hp-02", "--from", EXAMPLE, "--key",
                    keys / "red-a.pem")  # fmt: skip
    refused(by_red, 3, "key 'red-a' is not a member of the drill's controller team")
    assert not (ws / "drills" / "2026-hp-02").exists()


def test_start_checks_the_definition_against_inventory_trust_and_playbooks(
    started: tuple[Path, Path], tmp_path: Path
) -> None:
    ws, keys = started
    teams = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["teams"]
    cases = [
        ({"targets": [{"system": "khong-co", "hosts": ["x"]}]}, "khong-co"),
        ({"scenarios": ["no-such-scenario"]}, "no-such-scenario"),
        ({"engagement": "no-such-rules"}, "no-such-rules"),
        ({"window": {"start": "2026-11-25T08:00:00+07:00", "end": "2026-11-20T08:00:00+07:00"}},
         "the window must end after it starts"),
        ({"teams": [{**teams[0], "members": ["soc-a"]}, teams[3]]},
         "team 'red-1' is red but key 'soc-a' holds soc"),
    ]  # fmt: skip
    for changes, expected in cases:
        path = _definition(tmp_path, **changes)
        run = socctl(ws, "drill", "start", "2026-hp-03", "--from", path, "--key", keys / "ctl.pem")
        refused(run, 3, expected)
        assert not (ws / "drills" / "2026-hp-03").exists()


def test_the_scripted_drill_verifies(drill: tuple[Path, Path]) -> None:
    ws, keys = drill
    run_drill(ws, keys)
    run = socctl(ws, "drill", "verify", DRILL)
    assert run.returncode == 0, run.stderr
    assert "15 entries in 5 chain(s), all signed and in order" in run.stderr


def test_scenarios_and_rules_of_engagement_are_listed(started: tuple[Path, Path]) -> None:
    ws, _ = started
    listed = socctl(ws, "drill", "scenarios", "-f", "csv")
    assert listed.returncode == 0, listed.stderr
    ids = [line.split(",")[0] for line in listed.stdout.splitlines()[1:]]
    assert ids == ["phishing-ad", "portal-web-attack", "ransomware-precursors",
                   "vpn-credential-stuffing"]  # fmt: skip
    steps = socctl(ws, "drill", "scenarios", "portal-web-attack", "-f", "csv")
    assert "exploit,initial-access,T1190" in steps.stdout
    refused(socctl(ws, "drill", "scenarios", "nope"), 3, "nope")
    rules = socctl(ws, "drill", "engagements", "-f", "csv")
    assert rules.stdout.startswith("id,version,title,max_depth") and "T1486" in rules.stdout
