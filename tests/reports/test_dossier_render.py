"""The dossier as reviewers read it: Vietnamese HTML in headless Chromium, PDF and Markdown, with
the signatures' verification printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import dump_dom, elements, pdf_page_count, pdf_text, visible_text
from inventory.test_dossier_workflow import (
    SYSTEM,
    Office,
    approve_all,
    make_office,
    ok,
    rewrite,
    run,
)

ALERT = "<script>alert(1)</script>"


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return make_office(tmp_path)


def render(office: Office, fmt: str, target: Path) -> Path:
    ok(office.ws, "dossier", "render", SYSTEM, "--format", fmt, "--output", str(target))
    return target


@pytest.mark.browser
def test_an_approved_dossier_reads_as_a_vietnamese_official_document(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    approve_all(office)
    text = visible_text(dump_dom(chromium, render(office, "html", tmp_path / "d.html")))
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Hồ sơ đề xuất cấp độ an toàn hệ thống thông tin",  # upper-cased by CSS
        "Cổng dịch vụ công thành phố Hải Phòng",
        "Cấp độ 3",
        "Thành phần hồ sơ",  # ND85 Art. 15 / ND331 Art. 21
        "Nội dung thuyết minh",  # TT12 Art. 8
        "Phương án bảo đảm an toàn thông tin",
        "Đáp ứng yêu cầu an toàn theo cấp độ",  # the catalogue table
        "L3-QL-01",
        "Đã phê duyệt",
        "Phê duyệt",
        "Mọi chữ ký số hợp lệ",
    ):
        assert expected in text, expected


@pytest.mark.browser
def test_a_forged_approval_is_printed_as_invalid(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    approve_all(office)
    rewrite(office, lambda d: d["history"][-1].update(decision_number="999/QĐ-UBND"))
    text = visible_text(dump_dom(chromium, render(office, "html", tmp_path / "d.html")))
    assert "Không hợp lệ" in text
    assert "Có chữ ký số không hợp lệ" in text
    assert "Mọi chữ ký số hợp lệ" not in text


@pytest.mark.browser
def test_a_field_holding_a_script_renders_as_text(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    rewrite(office, lambda d: d["parts"]["part.overview"].update(evidence=[{"note": ALERT}]))
    dom = dump_dom(chromium, render(office, "html", tmp_path / "d.html"))
    assert ALERT in visible_text(dom)
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_the_dossier_prints_to_pdf(office: Office, chromium: Path, tmp_path: Path) -> None:
    approve_all(office)
    pdf = render(office, "pdf", tmp_path / "d.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_page_count(data) >= 2
    text = pdf_text(pdf)
    if text is not None:
        assert "HỒ SƠ ĐỀ XUẤT CẤP ĐỘ" in text and "Cấp độ 3" in text


def test_a_pdf_needs_an_output_file(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    result = run(office.ws, "dossier", "render", SYSTEM, "--format", "pdf")
    assert result.code == 2 and "--output" in result.error


def test_markdown_keeps_its_tables_whatever_the_fields_hold(office: Office) -> None:
    ok(office.ws, "dossier", "new", SYSTEM)
    rewrite(office, lambda d: d["parts"]["part.overview"].update(evidence=[{"note": "a | b <i>"}]))
    md = run(office.ws, "dossier", "render", SYSTEM, "--format", "md").out
    assert "## II. Thành phần hồ sơ" in md
    row = next(line for line in md.splitlines() if "a \\| b" in line)
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # four columns: the note's bar is escaped
    assert "<i>" not in md and "&lt;i&gt;" in md
    assert "| Mã | Yêu cầu | Căn cứ | Đánh giá | Minh chứng |" in md
