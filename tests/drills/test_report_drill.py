"""The drill report as the police and DOST see it: in headless Chromium, and printed to PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import (
    A4_WINDOW,
    dump_dom,
    elements,
    pdf_page_count,
    pdf_text,
    screenshot,
    visible_text,
)
from scripted_drill import DRILL, MARKER, REPO, build, cli, ok, run_drill, start

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("report")
    ws, keys = build(root)
    start(ws, keys, str(REPO / "samples"))
    run_drill(ws, keys)
    ok(cli(ws, "drill", "correlate", DRILL))
    html = root / "out" / "drill.html"
    ok(cli(ws, "drill", "report", DRILL, "-f", "html", "-o", str(html)))
    return ws, html


def test_dom_holds_every_part_and_no_script_ran(report: tuple[Path, Path], chromium: Path) -> None:
    dom = dump_dom(chromium, report[1])
    text = visible_text(dom)
    for part in (
        "BÁO CÁO KẾT QUẢ DIỄN TẬP THỰC CHIẾN AN TOÀN THÔNG TIN MẠNG",
        "1. Tóm tắt",
        "2. Bảng điểm",
        "3. Diễn biến các bước tấn công",
        "4. Lỗ hổng được phát hiện theo mức độ nghiêm trọng",
        "5. Bước tấn công không được phát hiện và khuyến nghị",
        "6. Tính toàn vẹn của nhật ký diễn tập",
        "Đại diện Công an thành phố",
        "Đại diện Sở Khoa học và Công nghệ",
    ):
        assert part in text, part
    assert MARKER in text  # printed as text
    assert "SQL injection <b>tra cứu hồ sơ</b>" in text
    assert not any(b.get("data-xss") for b in elements(dom, "body"))
    assert "s5-exfil" in text and "Không phát hiện" in text
    assert "Hợp lệ: không mục nào bị sửa" in text
    assert len(elements(dom, "svg")) >= 2
    rows = [r for r in elements(dom, "tr")]
    assert len(rows) >= 6 + 4  # one row per step, and the scoreboards


def test_screenshot(report: tuple[Path, Path], chromium: Path, tmp_path: Path) -> None:
    png = tmp_path / "drill.png"
    assert screenshot(chromium, report[1], png) == A4_WINDOW
    assert png.stat().st_size > 10_000


def test_pdf(report: tuple[Path, Path], tmp_path: Path) -> None:
    pdf = tmp_path / "drill.pdf"
    ok(cli(report[0], "drill", "report", DRILL, "-f", "pdf", "-o", str(pdf)))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and pdf_page_count(data) >= 2
    text = pdf_text(pdf)
    if text is None:
        pytest.skip("pdftotext (poppler-utils) not installed: PDF text not checked")
    assert "Thời gian phát hiện trung bình" in text
    assert "SQL Injection Attempt in a Web Portal Request" in text
