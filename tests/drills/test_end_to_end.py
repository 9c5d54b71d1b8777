"""A whole drill over the shipped samples from the CLI: several keys log at once, the embedded
engine's real alerts are correlated, then score, report (HTML and PDF) and a tampered journal."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from scripted_drill import DRILL, REPO, build, cli, ok, run_drill, start

from socctl.drills.journal import load_journal
from socctl.workspace import Workspace


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws, keys = build(tmp_path_factory.mktemp("drill"))
    plan = ok(cli(ws, "drill", "plan", "--year", "2027", "-f", "csv")).stdout
    assert {row.split(",")[0] for row in plan.splitlines()[1:]} == {"cong-dvc", "mang-ttdl"}
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    return ws


def test_correlate_links_the_sample_alerts_to_the_steps(drill: Path) -> None:
    result = ok(cli(drill, "drill", "correlate", DRILL))
    assert "5 of 6 steps detected" in result.output
    assert "missed: s5-exfil T1048" in result.output
    saved = json.loads((drill / "drills" / DRILL / "correlation.json").read_text())
    assert saved["journal_digest"] == load_journal(Workspace(drill), DRILL).digest
    assert len(saved["ruleset_digest"]) == 64
    steps = {s["step_id"]: s for s in saved["steps"]}
    sqli = steps["s1-sqli"]["alerts"][0]
    assert sqli["rule_title"] == "SQL Injection Attempt in a Web Portal Request"
    assert sqli["at"].startswith("2026-11-20T18:58:02")  # 01:58:02 +07:00, after the step at 01:58
    # SSH brute force on dvc-web01, not the VPN brute force on the firewall (another system)
    assert {a["host"] for a in steps["s3-ssh"]["alerts"]} == {"dvc-web01"}
    # the defacement alert has no host: its file, dvc-web01-access.log, names it
    assert steps["s6-deface"]["alerts"][0]["rule_title"].startswith("Portal Home Page Overwritten")
    assert steps["s4-dcsync"]["technique"] == "T1003.006" and steps["s4-dcsync"]["alerts"]


def test_score_from_the_journal_and_the_alerts(drill: Path) -> None:
    ok(cli(drill, "drill", "correlate", DRILL))
    first = ok(cli(drill, "drill", "score", DRILL, "--format", "json")).stdout
    assert ok(cli(drill, "drill", "score", DRILL, "--format", "json")).stdout == first
    sheet = json.loads(first)
    assert (sheet["model_id"], sheet["model_version"]) == ("hp-default", "2026.1")
    assert sheet["journal_digest"] == load_journal(Workspace(drill), DRILL).digest
    assert (sheet["steps"], sheet["detected"]) == (6, 5)
    rows = {r["step_id"]: r for r in sheet["step_rows"]}
    assert rows["s1-sqli"]["minutes_to_detect"] == pytest.approx(2 / 60, abs=0.01)
    assert rows["s1-sqli"]["reported_in_time"] is True
    assert rows["s1-sqli"]["detected_by"] == ["onsite", "soc"]
    assert rows["s4-dcsync"]["detected_by"] == ["soc"]  # by host and parent technique T1003
    assert rows["s5-exfil"]["detected"] is False
    teams = {t["team"]: t for t in sheet["teams"]}
    assert teams["red-1"]["findings_valid"] == 1 and teams["red-1"]["points"] > 0
    tactics = {t["key"]: t for t in sheet["tactics"]}
    assert tactics["exfiltration"]["rate"] == 0.0 and tactics["impact"]["rate"] == 1.0
    web = next(s for s in sheet["systems"] if s["key"] == "cong-dvc")
    assert 0 < web["uptime"] < 1  # defaced at 23:58, restored at 06:00 the next day

    table = ok(cli(drill, "drill", "score", DRILL, "--format", "csv")).stdout
    records = list(csv.DictReader(io.StringIO(table)))
    assert {r["model"] for r in records} == {"hp-default 2026.1"}
    assert {r["journal"] for r in records} == {sheet["journal_digest"]}
    assert any(r["kind"] == "tactic" and r["id"] == "credential-access" for r in records)


def test_report_html_and_pdf(drill: Path, tmp_path: Path) -> None:
    ok(cli(drill, "drill", "correlate", DRILL))
    html = tmp_path / "drill.html"
    ok(cli(drill, "drill", "report", DRILL, "-f", "html", "-o", str(html)))
    text = html.read_text(encoding="utf-8")
    assert "BÁO CÁO KẾT QUẢ DIỄN TẬP THỰC CHIẾN" in text
    assert "&lt;script&gt;document.body" in text and "<script" not in text
    assert text.count("<svg") >= 2


@pytest.mark.browser
def test_report_pdf(drill: Path, tmp_path: Path, chromium: Path) -> None:
    from browser import pdf_text

    ok(cli(drill, "drill", "correlate", DRILL))
    pdf = tmp_path / "drill.pdf"
    ok(cli(drill, "drill", "report", DRILL, "-f", "pdf", "-o", str(pdf)))
    text = pdf_text(pdf)
    if text is None:
        pytest.skip("pdftotext is not installed")
    assert "Bước tấn công không được phát hiện" in text
    assert "Đội tấn công 1" in text


def test_a_tampered_journal_is_not_scored(tmp_path: Path) -> None:
    ws, keys = build(tmp_path)
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    ok(cli(ws, "drill", "correlate", DRILL))
    chain = ws / "drills" / DRILL / "journal" / "red-a.jsonl"
    lines = chain.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[0] = lines[0].replace('"outcome":"success"', '"outcome":"blocked"')
    chain.write_text("".join(lines), encoding="utf-8")
    for command in ("correlate", "score"):
        result = subprocess.run(
            [sys.executable, "-m", "socctl", "--workspace", str(ws), "drill", command, DRILL],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 3, result.stderr
        assert "red-a.jsonl:1" in result.stderr and "edited" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
