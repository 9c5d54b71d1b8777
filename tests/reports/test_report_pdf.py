"""Finding Chromium and failing clearly when it is missing, hangs or prints nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from socctl.errors import ServiceError
from socctl.reports.pdf import find_chromium, write_pdf

HTML = "<!DOCTYPE html><html lang='vi'><meta charset='utf-8'><p>Độc lập</p></html>"


def fake_browser(folder: Path, body: str) -> Path:
    script = folder / "chromium"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_missing_chromium_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCCTL_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServiceError) as caught:
        find_chromium()
    assert caught.value.exit_code == 4
    assert "apt-get install chromium" in str(caught.value)


def test_socctl_chromium_wins_and_a_wrong_one_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = fake_browser(tmp_path, "exit 0")
    monkeypatch.setenv("SOCCTL_CHROMIUM", str(browser))
    assert find_chromium() == browser
    monkeypatch.setenv("SOCCTL_CHROMIUM", str(tmp_path / "missing"))
    with pytest.raises(ServiceError, match="SOCCTL_CHROMIUM"):
        find_chromium()


def test_a_browser_printing_nothing_leaves_the_old_pdf_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCCTL_CHROMIUM", str(fake_browser(tmp_path, "echo 'GPU exploded' >&2")))
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-old")
    with pytest.raises(ServiceError, match="produced no PDF: GPU exploded"):
        write_pdf(HTML, target)
    assert target.read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chromium", "report.pdf"]


def test_a_hanging_browser_is_stopped_at_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCCTL_CHROMIUM", str(fake_browser(tmp_path, "sleep 60 & wait")))
    with pytest.raises(ServiceError, match=r"did not finish the PDF within 0\.5 s"):
        write_pdf(HTML, tmp_path / "report.pdf", timeout=0.5)
    assert not (tmp_path / "report.pdf").exists()
