"""The posture report for the police and DOST: Vietnamese HTML in headless Chromium and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import dump_dom, elements, pdf_page_count, pdf_text, visible_text
from inventory.test_dossier_workflow import REPO, SYSTEM, Office, approve_all, make_office, ok

EXAMPLES = sorted((REPO / "assessments" / "examples").glob("*.yaml"))


@pytest.fixture
def office(tmp_path: Path) -> Office:
    office = make_office(tmp_path)
    for example in EXAMPLES:
        if example.stem != SYSTEM:
            ok(office.ws, "system", "add", str(example))
    approve_all(office)
    return office


def report(office: Office, fmt: str, target: Path) -> Path:
    ok(office.ws, "report", "posture", "--format", fmt, "--output", str(target))
    return target


@pytest.mark.browser
def test_the_posture_report_reads_in_vietnamese_with_its_charts(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    dom = dump_dom(chromium, report(office, "html", tmp_path / "p.html"))
    text = visible_text(dom)
    for expected in (
        "Báo cáo tình hình bảo đảm an toàn hệ thống thông tin theo cấp độ",
        "Hệ thống thông tin theo cấp độ và trạng thái",
        "Hồ sơ đề xuất cấp độ",
        "Đã phê duyệt",
        "Chưa có hồ sơ",
        "Hệ thống đang vận hành chưa được phê duyệt cấp độ",
        "Bảo vệ theo mô hình 4 lớp",
        "Lực lượng tại chỗ",
        "Báo cáo định kỳ hằng năm",
        "Cổng dịch vụ công thành phố Hải Phòng",
    ):
        assert expected in text, expected
    assert len(elements(dom, "svg")) == 3
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_a_system_name_holding_a_script_renders_as_text(
    office: Office, chromium: Path, tmp_path: Path
) -> None:
    system_file = office.ws / "systems" / f"{SYSTEM}.yaml"
    text = system_file.read_text(encoding="utf-8")
    system_file.write_text(
        text.replace("name: Cổng dịch vụ công", "name: <script>alert(1)</script> Cổng", 1), "utf-8"
    )
    dom = dump_dom(chromium, report(office, "html", tmp_path / "p.html"))
    assert "<script>alert(1)</script> Cổng" in visible_text(dom)
    assert elements(dom, "script") == []


@pytest.mark.browser
def test_the_posture_report_prints_to_pdf(office: Office, chromium: Path, tmp_path: Path) -> None:
    pdf = report(office, "pdf", tmp_path / "p.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and pdf_page_count(data) >= 1
    text = pdf_text(pdf)
    if text is not None:
        assert "BÁO CÁO TÌNH HÌNH BẢO ĐẢM AN TOÀN" in text
